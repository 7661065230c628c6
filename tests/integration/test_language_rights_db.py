"""Language rights at publish: each rule on its own, the service with the reference data, the
`palaute surveys publish` command, and the recorded override on the survey's admin page."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from surveys.definitions import demo, lifecycle, lookup
from surveys.definitions.language_rights import (
    County,
)
from surveys.infra import clock, db
from surveys.models import Survey
from tests.conftest import TestCli
from webapp.cli import main

SATAKUNTA = County("06", "Satakunnan hyvinvointialue", ("fi",), sami_homeland=False)
LAPLAND = County("21", "Lapin hyvinvointialue", ("fi",), sami_homeland=True)


def survey_yaml(slug: str, scope: str, texts: dict[str, str], audience: str = "citizen") -> str:
    return yaml.safe_dump({
        "slug": slug, "audience": audience, "scope": scope, "languages": list(texts),
        "goals": [2], "title": texts,
        "questions": [{"id": "q1", "type": "likert5", "text": texts}],
    }, allow_unicode=True)


def store(database_url, text: str) -> str:
    with db.session_scope(database_url) as s:
        survey, _ = lifecycle.import_survey(s, text)
        return survey.slug


def status_of(database_url, slug: str) -> tuple[str, dict | None]:
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, slug)
        return survey.status, survey.language_rights_override


def test_county_facts_come_from_the_reference_data(session):
    lapland = lifecycle.county_facts(session, "21")
    assert lapland.sami_homeland and lapland.languages == ("fi",)
    ostrobothnia = lifecycle.county_facts(session, "17")
    assert not ostrobothnia.sami_homeland and ostrobothnia.languages == ("fi", "sv")


@pytest.mark.parametrize(("scope", "texts", "missing", "law"), [
    ("national", {"fi": "Kysymys"}, "sv", "Language Act 423/2003"),
    ("17", {"sv": "Fråga"}, "fi", "Language Act 423/2003"),
    ("21", {"fi": "Kysymys", "se": "Gažaldat"}, "smn, sms", "Sámi Language Act 1086/2003"),
])
def test_publish_command_refuses_and_names_language_and_law(database_url, scope, texts,
                                                            missing, law):
    slug = store(database_url, survey_yaml(f"rights-{scope}", scope, texts))
    result = TestCli().invoke(main, ["surveys", "publish", slug])
    assert result.exit_code != 0
    assert f"missing: {missing}" in result.output and law in result.output
    assert status_of(database_url, slug) == ("draft", None)


def test_publish_service_raises_with_violations(session):
    lifecycle.import_survey(session, survey_yaml("rights-svc", "21", {"fi": "Kysymys"}))
    with pytest.raises(lifecycle.LanguageRightsError) as err:
        lifecycle.publish(session, "rights-svc")
    assert [(v.rule, v.missing) for v in err.value.violations] == [
        ("sami_homeland", ("se", "smn", "sms"))
    ]
    session.rollback()


def test_override_is_recorded_and_shown_on_the_admin_page(database_url, admin_client):
    client = admin_client
    slug = store(database_url, survey_yaml("rights-pilot", "17", {"fi": "Kysymys"}))
    runner = TestCli()
    blank = runner.invoke(main, ["surveys", "publish", slug, "--override-language-rights", " "])
    assert blank.exit_code != 0
    result = runner.invoke(main, ["surveys", "publish", slug,
                                  "--override-language-rights", "Pilotti yhdellä asemalla"])
    assert result.exit_code == 0, result.output
    status, override = status_of(database_url, slug)
    assert status == "published"
    assert override == {
        "reason": "Pilotti yhdellä asemalla", "on": clock.today().isoformat(),
        "violations": [{"rule": "bilingual_county", "missing": ["sv"],
                        "law": "Language Act 423/2003"}],
    }
    html = client.get(f"/fi/admin/surveys/{slug}").get_data(as_text=True)
    assert "Julkaistu kielellisten oikeuksien tarkistuksesta huolimatta" in html
    assert "Pilotti yhdellä asemalla" in html
    assert "Puuttuu: sv." in html and "(kielilaki 423/2003)" in html
    html = client.get(f"/sv/admin/surveys/{slug}").get_data(as_text=True)
    assert "Publicerad trots kontrollen av språkliga rättigheter" in html
    assert "(språklagen 423/2003)" in html
    listing = client.get("/fi/admin/surveys").get_data(as_text=True)
    assert "Ohitettu" in listing


def test_override_date_in_skolt_sami(database_url, admin_client):
    client = admin_client
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, survey_yaml("rights-sms", "21", {"fi": "Kysymys"}))
        lifecycle.publish(s, "rights-sms", "Pilot", today=date(2026, 3, 4))
    html = client.get("/sms/admin/surveys/rights-sms").get_data(as_text=True)
    assert "pâʹzzlâšttammään 4. p. 2026" in html
    assert "M03" not in html and "March" not in html


def test_compliant_survey_needs_no_override(database_url, admin_client):
    client = admin_client
    slug = store(database_url, survey_yaml("rights-ok", "17", {"sv": "Fråga", "fi": "Kysymys"}))
    result = TestCli().invoke(main, ["surveys", "publish", slug,
                                       "--override-language-rights", "not needed"])
    assert result.exit_code == 0
    assert status_of(database_url, slug) == ("published", None)
    html = client.get(f"/fi/admin/surveys/{slug}").get_data(as_text=True)
    assert "Kysely täyttää kielellisiä oikeuksia koskevat vaatimukset." in html


def test_draft_admin_page_lists_what_blocks_publishing(database_url, admin_client):
    client = admin_client
    slug = store(database_url, survey_yaml("rights-blocked", "21", {"fi": "Kysymys"}))
    html = client.get(f"/fi/admin/surveys/{slug}").get_data(as_text=True)
    assert "Kyselyä ei voi vielä julkaista:" in html
    assert "Puuttuu: se, smn, sms." in html and "(saamen kielilaki 1086/2003)" in html


def test_every_demo_survey_is_published_without_override(database_url):
    with db.session_scope(database_url) as s:
        seeded = dict(demo.seed(s))
        surveys = {x.slug: x for x in s.query(Survey)}
        assert set(seeded) == {"asiakaskokemus-2026", "lappi-kielipalvelut-2026",
                               "osterbotten-halsostation-2026"}
        for slug in seeded:
            assert surveys[slug].status == "published"
            assert surveys[slug].language_rights_override is None
        assert lifecycle.language_rights_violations(s, surveys["lappi-kielipalvelut-2026"]) == []


def test_an_open_survey_cannot_drop_a_required_language(database_url):
    from surveys.definitions.format import DefinitionError

    texts = {"sv": "Fråga", "fi": "Kysymys"}
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, survey_yaml("rights-open", "17", texts))
        lifecycle.publish(s, "rights-open")
    with db.session_scope(database_url) as s, pytest.raises(DefinitionError) as err:
        lifecycle.import_survey(s, survey_yaml("rights-open", "17", {"sv": "Fråga"}))
    assert "missing: fi" in str(err.value) and "423/2003" in str(err.value)
    # Texts may still change.
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, survey_yaml("rights-open", "17", {"sv": "Ny fråga",
                                                                  "fi": "Uusi kysymys"}))
    assert status_of(database_url, "rights-open")[0] == "published"
