"""Small groups stay hidden even when figures of other scopes could be subtracted."""

from __future__ import annotations

from surveys.infra import clock
from surveys.report.disclosure import ALL_MONTHS, hidden_cells
from tests.conftest import VALID_ANSWERS, submit
from workers import jobs

AREA_OF = {"01": "etela", "02": "etela", "17": "lansi", "05": "lansi", "19": "pohjois",
           "21": "pohjois", "18": "pohjois"}
M1, M2 = "2026-01", "2026-02"


def hidden_places(counts, threshold=5):
    hidden = hidden_cells(counts, AREA_OF, threshold)
    return {place for place, period in hidden if period == ALL_MONTHS}


def test_api_applies_secondary_suppression(client, demo_survey):
    for region, n in (("17", 6), ("19", 10), ("21", 3)):
        for _ in range(n):
            assert submit(client, demo_survey, "fi", {**VALID_ANSWERS, "region": region}
                          ).status_code == 303
    jobs.fold_pending()

    def get(**params):
        return client.get(f"/api/v1/surveys/{demo_survey}/results",
                          query_string=params).get_json()

    assert get(region="21")["suppressed"] is True
    # North Ostrobothnia has 10, but showing it beside the area (13) would reveal Lapland.
    assert get(region="19")["suppressed"] is True
    assert get(area="pohjois")["respondents"] == 13
    assert get(region="17")["respondents"] == 6
    assert get()["respondents"] == 19


def test_kept_suppression_table_never_outlives_new_data(client, demo_survey):
    """The table is kept between requests (docs/performance.md), but under the results stamp
    that every fold replaces: a region shown at one moment is hidden again as soon as new data
    make it subtractable, and the reverse."""
    def get(**params):
        return client.get(f"/api/v1/surveys/{demo_survey}/results",
                          query_string=params).get_json()

    def add(region, n):
        for _ in range(n):
            assert submit(client, demo_survey, "fi", {**VALID_ANSWERS, "region": region}
                          ).status_code == 303
        jobs.fold_pending()

    add("19", 10)
    assert get(region="19")["respondents"] == 10  # the area is 19 alone: nothing to subtract
    assert get(region="19")["respondents"] == 10  # served from the kept table
    add("21", 3)
    # Lapland (3) is hidden; 19 beside its area (13) would reveal it: both hidden at once.
    assert get(region="21")["suppressed"] is True
    assert get(region="19")["suppressed"] is True
    add("21", 2)
    assert get(region="21")["respondents"] == 5
    assert get(region="19")["respondents"] == 10


# -- issue 10, findings 1 and 3, through the API -------------------------------------------

def _published_figures(client, slug: str) -> dict:
    """Every figure the public API shows for the survey, as the auditor's figures:
    {(place, period, key, measure): value}."""
    from surveys.report.audit import ALL_MONTHS, area_place, count_of

    figures = {}
    scopes = [{}] + [{"area": a} for a in ("etela", "lansi", "sisa", "ita", "pohjois")] + [
        {"region": r} for r in AREA_OF_ALL]

    def place_of(scope):
        if scope["level"] == "country":
            return "FI"
        return area_place(scope["code"]) if scope["level"] == "area" else scope["code"]

    def add(place, period, doc):
        if doc["respondents"] is not None:
            figures[(place, period, "*", "n")] = doc["respondents"]
        for qid, q in doc["questions"].items():
            if q["n"] is None:
                continue
            figures[(place, period, qid, "n")] = q["n"]
            for option, count in (q.get("counts") or {}).items():
                if count is not None:
                    figures[(place, period, qid, count_of(option))] = count
            for measure in ("mean", "nps"):
                if q[measure] is not None:
                    figures[(place, period, qid, measure)] = q[measure]

    for params in scopes:
        doc = client.get(f"/api/v1/surveys/{slug}/results", query_string=params).get_json()
        add(place_of(doc["scope"]), ALL_MONTHS, doc)
        monthly = client.get(f"/api/v1/surveys/{slug}/results/monthly",
                             query_string=params).get_json()
        for month in monthly["months"]:
            add(place_of(monthly["scope"]), month["month"], month)
    return figures


AREA_OF_ALL = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13",
               "14", "15", "16", "17", "18", "19", "20", "21", "90"]


def _adversary_data(client, slug, session):
    """Lapland (21): 3 respondents in January who all answered 1 on got_help and 0 on the NPS,
    6 this month; North Ostrobothnia (19): 6 in January and 6 this month."""
    from datetime import date

    from sqlalchemy import select, update

    from surveys.models import PendingResponse, Response
    from tests.conftest import TestCli
    from webapp.cli import main

    def add(region, n, **answers):
        for i in range(n):
            varied = {"recommend": str(5 + i % 5), "got_help": str(2 + i % 3),
                      "service": ("dental", "social")[i % 2]}
            assert submit(client, slug, "fi", {**VALID_ANSWERS, **varied, "region": region,
                                               **answers}).status_code == 303

    # Stored responses wait in the holding table until the fold (surveys.fold.aggregation).
    add("21", 3, recommend="0", got_help="1")
    january = session.scalars(select(PendingResponse.id)).all()
    add("21", 6)
    add("19", 6)
    january += [i for i in session.scalars(select(PendingResponse.id).where(
        PendingResponse.region_code == "19")).all()]
    for table in (PendingResponse, Response):
        session.execute(update(table).where(table.id.in_(january))
                        .values(submitted_on=date(2026, 1, 15)))
    session.commit()
    add("19", 6)
    assert TestCli().invoke(main, ["aggregates", "rebuild"]).exit_code == 0
    jobs.fold_pending()


def test_finding_1_combined_tables_are_audited(client, demo_survey, session):

    from surveys.definitions import snapshots
    from surveys.report.audit import ALL_MONTHS, audit
    from surveys.report.results import survey_table

    _adversary_data(client, demo_survey, session)
    figures = _published_figures(client, demo_survey)
    table, _ = survey_table(session, snapshots.load(session, demo_survey))
    assert table.value(("21", "2026-01", "*", "n")) == 3
    # Everything the API shows, as one system: every protected figure passes the audit.
    result = audit(table, figures, full_ranges=True)
    assert result.passed, result.exposed[:5]
    lapland_january = [r for r in result.ranges if r.figure == ("21", "2026-01", "*", "n")]
    assert lapland_january and lapland_january[0].width >= 5
    # No county month is published, and every month of the period is listed for everyone.
    assert not any(f[0] in AREA_OF_ALL and f[1] != ALL_MONTHS for f in figures)
    current = clock.today().strftime("%Y-%m")
    months = client.get(f"/api/v1/surveys/{demo_survey}/results/monthly?region=21"
                        ).get_json()["months"]
    assert months[0]["month"] == "2026-01" and months[-1]["month"] == current
    assert len(months) == len(table.months) and all(m["suppressed"] for m in months)
    area = client.get(f"/api/v1/surveys/{demo_survey}/results/monthly?area=pohjois"
                      ).get_json()["months"]
    assert [m["month"] for m in area] == [m["month"] for m in months]
    # Lapland's total (9) is shown beside its area: the auditor found that safe.
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?region=21").get_json()[
        "respondents"] in (9, None)


def test_finding_3_no_attribute_disclosure_in_shown_groups(client, demo_survey):
    for age in ("42", "42", "43", "67", "16"):
        assert submit(client, demo_survey, "fi", {**VALID_ANSWERS, "age": age}).status_code == 303
    jobs.fold_pending()
    doc = client.get(f"/api/v1/surveys/{demo_survey}/results?region=17").get_json()
    assert doc["respondents"] == 5
    got_help = doc["questions"]["got_help"]
    # All five answered 4: no 100 % shown, neither as a count nor as a mean.
    assert got_help["n"] == 5 and got_help["counts"]["4"] is None and got_help["mean"] is None
    assert "4" in got_help["withheld"]
    # Ages in bands, never exact values; the band of one (60–69) is withheld.
    country = client.get(f"/api/v1/surveys/{demo_survey}/results").get_json()
    age = country["questions"]["age"]
    assert "42" not in age["counts"] and "40–49" in age["counts"]
    assert age["counts"]["40–49"] == 3 and age["counts"]["60–69"] is None
    assert age["mean"] is None
    for d in (doc, country):
        for q in d["questions"].values():
            assert not any(c is not None and 0 < c < 3 for c in (q["counts"] or {}).values())
    page = client.get(f"/fi/results/{demo_survey}?region=17")
    assert page.status_code == 200 and "40–49" in page.get_data(as_text=True)


def test_disclosure_audit_command(client, demo_survey, session):
    from tests.conftest import TestCli
    from webapp.cli import main

    _adversary_data(client, demo_survey, session)
    result = TestCli().invoke(main, ["disclosure", "audit", demo_survey])
    assert result.exit_code == 0, result.output
    assert "0 exposed" in result.output and "21" in result.output
    assert "pinned or narrowed by the published counts (the respondents', each question's " \
           "n): 0" in result.output
    # The rules alone, with counties' months, would expose Lapland's January: as a group
    # the auditor bounds, and as a set of cells the published counts pin.
    rules_only = TestCli().invoke(main, ["disclosure", "audit", demo_survey, "--rules-only"])
    assert rules_only.exit_code == 1, rules_only.output
    assert "EXPOSED" in rules_only.output
    narrowed = [line for line in rules_only.output.splitlines()
                if line.startswith("EXPOSED") and " set of " in line]
    assert any("21/" in line for line in narrowed), rules_only.output
    assert TestCli().invoke(main, ["disclosure", "audit", "nope"]).exit_code != 0
