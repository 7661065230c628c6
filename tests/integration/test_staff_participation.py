"""HR's invitations page shows participation (respondents and response rates per unit) as of
the daily count, never live: a submission through an invitation does not move any figure of
the page; the count is taken once a day, only in the night, and publishes a unit's new
respondents only when at least the threshold of them have come (docs/privacy.md,
"Participation on HR's page")."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from surveys.definitions import lifecycle, lookup
from surveys.infra import clock, db
from surveys.languages.locale_data import format_date
from surveys.models import ParticipationCount
from tests.conftest import make_user, sign_in
from tests.integration.test_staff_invitations import answer, create
from tests.integration.test_staff_units import TREE, import_units
from tests.unit.staff.test_staff_format import SLUG, staff_yaml
from workers import jobs


def _hr(app, database_url):
    make_user(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    hr = app.test_client()
    assert sign_in(hr, "hr@example.fi").status_code == 303
    return hr


def _survey(database_url):
    import_units(database_url)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml())
        lifecycle.publish(s, SLUG)


def page(client, lang: str = "fi") -> str:
    html = client.get(f"/{lang}/admin/surveys/{SLUG}/invitations").get_data(as_text=True)
    return html.split("<h2>", 1)[1].split('<h2 id="mail">', 1)[0]  # the response rates


def rate_table(client, lang: str = "fi") -> dict[str, list[str]]:
    """{unit code: the cells of its row} of the table of response rates per unit ({} while
    there is none)."""
    section = page(client, lang)
    if "<table>" not in section:
        return {}
    table = section.split("<table>", 1)[1].split("</table>", 1)[0]
    return {re.search(r"\(([A-Z0-9]+)\)</th>", row)[1]: re.findall(r"<td>([^<]*)</td>", row)
            for row in table.split("<tr>")[2:]}


def night(day: date, hour: int = 0) -> str:
    """The hourly job's run at `hour`:04 of `day`."""
    return f"{day.isoformat()}T{hour:02d}:04:00"


def counts_stored(database_url) -> int:
    with db.session_scope(database_url) as s:
        return s.scalar(select(func.count(func.distinct(ParticipationCount.counted_on))))


def test_a_submission_moves_no_figure_of_the_page(app, client, database_url):
    _survey(database_url)
    hr = _hr(app, database_url)
    tokens = create(database_url, "WARD1", 12)
    for token in tokens[:6]:
        assert answer(client, token).status_code == 303
    before = rate_table(hr)
    # One more person answers, at 14:02: HR watching the page must not see it.
    assert answer(client, tokens[6]).status_code == 303
    assert rate_table(hr) == before


def test_the_page_shows_the_nights_count_and_changes_only_by_the_threshold(app, client,
                                                                           database_url):
    _survey(database_url)
    hr = _hr(app, database_url)
    tokens = create(database_url, "WARD1", 20)
    create(database_url, "WARD2", 3)
    day = clock.today()
    for token in tokens[:6]:
        assert answer(client, token).status_code == 303
    assert rate_table(hr) == {}
    assert "Ei vielä lukuja" in page(hr)
    # In the day nothing is counted; in the night once, whatever runs after.
    assert jobs.count_participation(f"{day.isoformat()}T14:04:00") == {}
    assert jobs.count_participation(night(day)) == {SLUG: True}
    assert jobs.count_participation(night(day, 1)) == {SLUG: False}
    assert counts_stored(database_url) == 1
    table = rate_table(hr)
    assert table["WARD1"] == ["20", "6", "30\xa0%", "30", "20\xa0%"]
    assert table["WARD2"][1] == "piilotettu" and table["HR"][1] == "piilotettu"
    # The organisation's 6 over 23 invitations: CARE minus WARD1 is WARD2's 0 (no one's answer)
    assert table["ORG1"][:2] == ["23", "6"] and table["CARE"][:2] == ["23", "6"]
    as_of = format_date(day - timedelta(days=1), "fi")
    assert f"Tilanne {as_of} päättyessä." in page(hr)
    # Someone answers in the day: nothing moves, nor when the job runs again that day.
    assert answer(client, tokens[6]).status_code == 303
    assert jobs.count_participation(night(day, 5)) == {SLUG: False}
    assert rate_table(hr) == table
    # The next night the count has grown by 1 only: the published figures stand.
    assert jobs.count_participation(night(day + timedelta(days=1))) == {SLUG: True}
    assert rate_table(hr)["WARD1"][1] == "6"
    # 4 more (5 since the figure last changed): it changes, by 5.
    for token in tokens[7:11]:
        assert answer(client, token).status_code == 303
    assert jobs.count_participation(night(day + timedelta(days=2))) == {SLUG: True}
    assert rate_table(hr)["WARD1"][:3] == ["20", "11", "55\xa0%"]
    as_of = format_date(day + timedelta(days=1), "fi")
    assert f"Tilanne {as_of} päättyessä." in page(hr)


def test_the_date_is_labelled_in_each_language(app, client, database_url):
    _survey(database_url)
    hr = _hr(app, database_url)
    day = clock.today()
    jobs.count_participation(night(day))
    yesterday = day - timedelta(days=1)
    for lang, text in (("fi", "Tilanne {} päättyessä."), ("sv", "Läget vid utgången av {}."),
                       ("en", "As of the end of {}.")):
        assert text.format(format_date(yesterday, lang)) in page(hr, lang), lang


def test_a_closed_survey_is_counted_until_its_figures_stop_changing(app, client,
                                                                    database_url):
    _survey(database_url)
    tokens = create(database_url, "WARD1", 12)
    day = clock.today()
    assert jobs.count_participation(night(day)) == {SLUG: True}
    for token in tokens[:5]:
        assert answer(client, token).status_code == 303
    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
    # The close's last answers are counted the next night, then nothing more is stored.
    assert jobs.count_participation(night(day + timedelta(days=1))) == {SLUG: True}
    assert jobs.count_participation(night(day + timedelta(days=2))) == {SLUG: False}
    assert counts_stored(database_url) == 2
    with db.session_scope(database_url) as s:
        survey_id = lookup.find(s, SLUG).id
        spent = dict(s.execute(select(ParticipationCount.unit_id, ParticipationCount.spent)
                               .where(ParticipationCount.survey_id == survey_id,
                                      ParticipationCount.counted_on == day
                                      + timedelta(days=1))).all())
    assert sorted(spent.values()) == [0, 0, 0, 0, 5]


def test_figures_stand_when_the_tree_changes_under_them(app, client, database_url, caplog):
    """A unit moved to another parent: today's sums would differ from the published ones by a
    whole unit moved, not by people who answered. The figures stand, over their own tree."""
    _survey(database_url)
    hr = _hr(app, database_url)
    ward1, ward2 = create(database_url, "WARD1", 10), create(database_url, "WARD2", 10)
    for token in ward1[:6] + ward2[:6]:
        assert answer(client, token).status_code == 303
    day = clock.today()
    jobs.count_participation(night(day))
    table = rate_table(hr)
    assert table["CARE"][1] == "12" and table["HR"][1] == "piilotettu"
    import_units(database_url, TREE.replace("WARD2,CARE,", "WARD2,HR,"))
    for token in ward2[6:]:
        assert answer(client, token).status_code == 303
    assert jobs.count_participation(night(day + timedelta(days=1))) == {SLUG: False}
    assert "the organisation tree changed" in caplog.text
    assert rate_table(hr) == table
    as_of = format_date(day - timedelta(days=1), "fi")
    assert f"Tilanne {as_of} päättyessä." in page(hr)  # the day they were counted



def test_the_night_is_the_finnish_night_whatever_the_servers_zone():
    """The job reads the clock in Finnish time (surveys.infra.clock.local): 23:04 UTC in
    December is 01:04 in Finland (a night's count), 05:04 UTC in June is 08:04 (the working
    day: none)."""
    from datetime import UTC, datetime

    from surveys.infra import clock
    from surveys.staff import participation

    winter = clock.local(datetime(2026, 12, 1, 23, 4, tzinfo=UTC))
    assert (winter.date(), winter.hour) == (date(2026, 12, 2), 1)
    assert winter.hour in participation.NIGHT_HOURS
    summer = clock.local(datetime(2026, 6, 1, 5, 4, tzinfo=UTC))
    assert summer.hour == 8 and summer.hour not in participation.NIGHT_HOURS
