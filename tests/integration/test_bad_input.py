"""Bad input never gives a 500 and never stores anything."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from surveys.fold import aggregation
from surveys.infra import db
from surveys.models import PendingResponse, SubmissionReceipt
from tests.conftest import VALID_ANSWERS, TestCli, form_tokens, submit
from webapp.cli import main as cli


def stored(database_url) -> tuple[int, int, int]:
    with db.session_scope(database_url) as s:
        # (responses stored, held or moved; not yet folded; receipts)
        return (aggregation.stored_count(s), aggregation.pending_count(s),
                s.scalar(select(func.count()).select_from(SubmissionReceipt)))


def tokens(client, slug, lang="fi") -> dict[str, str]:
    return form_tokens(client.get(f"/{lang}/s/{slug}").get_data(as_text=True))


def test_oversized_body_is_413_translated_page(client, demo_survey, database_url):
    data = {**tokens(client, demo_survey, "sv"), **VALID_ANSWERS, "comment": "x" * 300_000}
    resp = client.post(f"/sv/s/{demo_survey}", data=data)
    assert resp.status_code == 413
    html = resp.get_data(as_text=True)
    assert '<html lang="sv">' in html and "<h1>" in html
    assert stored(database_url) == (0, 0, 0)


def test_too_many_fields_is_413(client, demo_survey, database_url):
    data = {**tokens(client, demo_survey), **VALID_ANSWERS}
    data.update({f"f{i}": "1" for i in range(600)})
    resp = client.post(f"/fi/s/{demo_survey}", data=data)
    assert resp.status_code == 413
    assert stored(database_url) == (0, 0, 0)


def test_invalid_utf8_in_form_fields(client, demo_survey, database_url):
    t = tokens(client, demo_survey)
    body = "&".join(f"{k}={v}" for k, v in t.items()).encode()
    body += b"&region=1\xff&recommend=9\xc3&service=dental&got_help=4&comment=ok\xed\xa0\x80"
    resp = client.post(f"/fi/s/{demo_survey}", data=body,
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400
    assert stored(database_url) == (0, 0, 0)
    # The same bytes in a free-text answer alone are stored as replacement characters.
    body = "&".join(f"{k}={v}" for k, v in tokens(client, demo_survey).items()).encode()
    body += b"&region=17&recommend=9&service=dental&got_help=4&comment=ok%FF%FE"
    resp = client.post(f"/fi/s/{demo_survey}", data=body,
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 303
    assert stored(database_url)[0] == 1


@pytest.mark.parametrize("change", [
    {"recommend": "11"}, {"recommend": "-1"}, {"recommend": "9.5"}, {"got_help": "0"},
    {"service": "spa"}, {"channels": ["phone", "phone"]}, {"channels": "carrier-pigeon"},
    {"age": "121"}, {"age": "1e3"}, {"age": "٤٢"}, {"age": "4_2"}, {"region": "99"},
    {"region": ["17", "21"]},
    {"unknown_question": "1"}, {"comment": "a\x00b"}, {"comment": "x" * 2001},
    {"recommend": ["9", "10"]}, {"comment": ["a", "b"]},
])
def test_values_outside_the_definition_are_400(client, demo_survey, database_url, change):
    resp = submit(client, demo_survey, "fi", {**VALID_ANSWERS, **change})
    assert resp.status_code == 400
    assert 'class="error-summary"' in resp.get_data(as_text=True)
    assert stored(database_url) == (0, 0, 0)


@pytest.mark.parametrize("token", ["", "x", "a.b.c", "ä" * 50, "." * 500, "\x00", "%00"])
def test_malformed_submission_tokens(client, demo_survey, database_url, token):
    data = {**tokens(client, demo_survey), **VALID_ANSWERS, "submission_token": token}
    assert client.post(f"/fi/s/{demo_survey}", data=data).status_code == 400
    assert stored(database_url) == (0, 0, 0)


def test_multipart_with_files_and_json_bodies(client, demo_survey, database_url):
    data = {**tokens(client, demo_survey), **VALID_ANSWERS,
            "comment": (io.BytesIO(b"\xff\x00binary"), "evil.bin")}
    resp = client.post(f"/fi/s/{demo_survey}", data=data, content_type="multipart/form-data")
    assert resp.status_code < 500
    resp = client.post(f"/fi/s/{demo_survey}", json={"recommend": 9})
    assert resp.status_code == 400
    resp = client.post(f"/fi/s/{demo_survey}", data=b"\x00" * 1000,
                       content_type="multipart/form-data; boundary=zzz")
    assert resp.status_code == 400
    with db.session_scope(database_url) as s:
        for r in s.scalars(select(PendingResponse)):
            assert "binary" not in str(r.answers)


def test_stale_csrf_token(client, demo_survey, database_url):
    data = {**tokens(client, demo_survey), **VALID_ANSWERS}
    data["csrf_token"] = data["csrf_token"][:-3] + "abc"
    resp = client.post(f"/fi/s/{demo_survey}", data=data)
    assert resp.status_code == 400
    assert "Hyvää palvelua." in resp.get_data(as_text=True)
    assert stored(database_url) == (0, 0, 0)


def test_closed_survey_is_410(client, demo_survey, database_url):
    data = {**tokens(client, demo_survey), **VALID_ANSWERS}
    TestCli().invoke(cli, ["surveys", "close", demo_survey])
    assert client.get(f"/fi/s/{demo_survey}").status_code == 410
    resp = client.post(f"/fi/s/{demo_survey}", data=data)
    assert resp.status_code == 410
    assert "/privacy" in resp.get_data(as_text=True)
    assert stored(database_url) == (0, 0, 0)


@pytest.mark.parametrize("path", [
    "/xx/s/asiakaskokemus-2026", "/fi/s/%C3%28", "/fi/s/%FF%FE", "/fi/s/a%00b",
    "/fi/s/" + "a" * 5000, "/fi/s/asiakaskokemus-2026/thanks/x", "/%FF/",
    "/api/v1/surveys/x/results", "/api/v1/surveys/%FF/results",
])
def test_unknown_surveys_languages_and_paths_are_404(client, demo_survey, path):
    assert client.get(path).status_code == 404
    assert client.post(path, data={"a": "b"}).status_code in (404, 405)


@pytest.mark.parametrize("params", [
    {"region": "99"}, {"area": "nowhere"}, {"region": "17", "area": "etela"}, {"lang": "xx"},
    {"region": "\x00"}, {"region": "ä" * 1000}, {"from": "2026-13"},
])
def test_api_bad_parameters_are_4xx_json(client, demo_survey, params):
    resp = client.get(f"/api/v1/surveys/{demo_survey}/results", query_string=params)
    assert resp.status_code < 500
    assert resp.is_json


@pytest.mark.parametrize("yaml_text, where", [
    ("slug: x\n  bad: [", "line"),
    ("- a list", "(top level)"),
    ("slug: BAD SLUG\naudience: citizen\nscope: national\nlanguages: [fi]\ngoals: []\n"
     "title: {fi: T}\nquestions: [{id: q, type: nps, text: {fi: Q}}]\n", "slug"),
    ("slug: ok\naudience: citizen\nscope: national\nlanguages: [fi]\ngoals: []\n"
     "title: {fi: T}\nquestions: [{id: q, type: single, text: {fi: Q}}]\n", "questions[0].choices"),
    ("slug: ok\naudience: citizen\nscope: national\nlanguages: [fi]\ngoals: []\n"
     "title: {fi: T}\nretention_months: 0\nquestions: [{id: q, type: nps, text: {fi: Q}}]\n",
     "retention_months"),
    ("slug: ok\naudience: citizen\nscope: national\nlanguages: [fi]\ngoals: []\n"
     "title: {fi: T}\nprivacy: {controller: {sv: X}}\n"
     "questions: [{id: q, type: nps, text: {fi: Q}}]\n", "privacy.controller"),
])
def test_broken_survey_files_name_the_field(database_url, tmp_path, yaml_text, where):
    path = tmp_path / "survey.yaml"
    path.write_text(yaml_text)
    result = TestCli().invoke(cli, ["surveys", "import", str(path)])
    assert result.exit_code == 1
    assert where in result.output
    assert "Traceback" not in result.output


def test_survey_file_that_is_not_utf8(database_url, tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_bytes(b"slug: \xff\xfe\n")
    result = TestCli().invoke(cli, ["surveys", "import", str(path)])
    assert result.exit_code == 1
    assert "UTF-8" in result.output


# --- fuzzing ------------------------------------------------------------------------------------
FIELDS = ["region", "recommend", "service", "got_help", "channels", "age", "comment",
          "csrf_token", "submission_token", "other", ""]
VALUES = st.one_of(
    st.sampled_from(["17", "9", "dental", "4", "phone", "42", "", "0", "-1", "10", "11",
                     "in_person", "x" * 3000]),
    st.text(max_size=50),
)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(fields=st.lists(st.tuples(st.sampled_from(FIELDS), VALUES), max_size=15),
       keep_tokens=st.booleans(), lang=st.sampled_from(["fi", "sv", "se", "en", "xx"]))
def test_fuzz_submission_endpoint(client, demo_survey, database_url, fields, keep_tokens, lang):
    before = stored(database_url)
    page = client.get(f"/fi/s/{demo_survey}")
    data = list(form_tokens(page.get_data(as_text=True)).items()) if keep_tokens else []
    data += fields
    resp = client.post(f"/{lang}/s/{demo_survey}", data=MultiDict(data))
    assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
    after = stored(database_url)
    if resp.status_code >= 400:
        assert after == before
    else:
        assert resp.status_code == 303


@FUZZ
@given(body=st.binary(max_size=400))
def test_fuzz_submission_raw_bytes(client, demo_survey, database_url, body):
    before = stored(database_url)
    t = tokens(client, demo_survey)
    prefix = "&".join(f"{k}={v}" for k, v in t.items()).encode() + b"&"
    resp = client.post(f"/fi/s/{demo_survey}", data=prefix + body,
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code < 500
    assert resp.status_code == 303 or stored(database_url) == before


@FUZZ
@given(slug=st.one_of(st.just("asiakaskokemus-2026"), st.text(max_size=30)),
       params=st.dictionaries(st.sampled_from(["region", "area", "lang", "from", "to", "x"]),
                              st.text(max_size=20), max_size=4))
def test_fuzz_results_api(client, demo_survey, slug, params):
    from urllib.parse import quote

    resp = client.get(f"/api/v1/surveys/{quote(slug, safe='')}/results", query_string=params)
    assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
    assert resp.is_json
