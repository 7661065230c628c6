"""HR's invitations page shows participation (respondents and response rates per unit) as of
the daily count, never live: a submission through an invitation does not move any figure of
the page (docs/privacy.md, "Participation on HR's page")."""

from __future__ import annotations

import re

from surveys.definitions import lifecycle
from surveys.infra import db
from tests.conftest import make_user, sign_in
from tests.integration.test_staff_invitations import answer, create
from tests.integration.test_staff_units import import_units
from tests.unit.staff.test_staff_format import SLUG, staff_yaml


def _hr(app, database_url):
    make_user(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    hr = app.test_client()
    assert sign_in(hr, "hr@example.fi").status_code == 303
    return hr


def rate_table(client, lang: str = "fi") -> dict[str, list[str]]:
    """{unit code: the cells of its row} of the table of response rates per unit."""
    html = client.get(f"/{lang}/admin/surveys/{SLUG}/invitations").get_data(as_text=True)
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    return {re.search(r"\(([A-Z0-9]+)\)</th>", row)[1]: re.findall(r"<td>([^<]*)</td>", row)
            for row in table.split("<tr>")[2:]}


def test_a_submission_moves_no_figure_of_the_page(app, client, database_url):
    import_units(database_url)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml())
        lifecycle.publish(s, SLUG)
    hr = _hr(app, database_url)
    tokens = create(database_url, "WARD1", 12)
    for token in tokens[:6]:
        assert answer(client, token).status_code == 303
    before = rate_table(hr)
    # One more person answers, at 14:02: HR watching the page must not see it.
    assert answer(client, tokens[6]).status_code == 303
    assert rate_table(hr) == before
