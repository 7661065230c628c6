"""How many SQL statements a submission and a results request run: pinned, so a change that adds
round trips on the hot paths shows up here (performance itself is measured by `make bench`)."""

from __future__ import annotations

from tests.conftest import VALID_ANSWERS, form_tokens, run_worker


def test_statements_per_submission(client, demo_survey, count_queries, settings):
    client.get(f"/fi/s/{demo_survey}")  # warm: the survey and county list are kept per process
    page = client.get(f"/fi/s/{demo_survey}")
    data = {**form_tokens(page.get_data(as_text=True)), **VALID_ANSWERS}
    with count_queries() as statements:
        resp = client.post(f"/fi/s/{demo_survey}", data=data)
    assert resp.status_code == 303
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "WITH"))]
    if settings.database_url.startswith("postgresql"):
        # Guard, receipt and held response (the holding table is the outbox): one statement.
        assert len(writes) == 1, statements
        assert len(statements) == 1, statements
    else:
        # SQLite: the guarded receipt, the held response.
        assert len(writes) == 2, statements
        assert len(statements) == 2, statements


def test_statements_per_results_request_do_not_grow_with_responses(
        settings, demo_survey, count_queries, redis_conn):
    from webapp import create_app

    # The survey's snapshot kept for the whole test: its re-read after Settings.survey_cache_s
    # (1 s) would otherwise count in one measurement and not the other, depending on how long
    # the submissions took.
    client = create_app(settings.with_overrides(survey_cache_s=3600.0),
                        {"TESTING": True}).test_client()
    url = f"/api/v1/surveys/{demo_survey}/results?region=17"

    def answer(n: int) -> None:
        for _ in range(n):
            page = client.get(f"/fi/s/{demo_survey}")
            client.post(f"/fi/s/{demo_survey}",
                        data={**form_tokens(page.get_data(as_text=True)), **VALID_ANSWERS})
        run_worker(redis_conn)
        client.get(url)  # a new results stamp: its suppression table is computed once

    def measure() -> int:
        # The answer itself computed (not served from the answer caches, this process's or the
        # one the web processes share, tested below); the suppression table of this results
        # stamp is already kept.
        from webapp.results_cache import forget

        forget(redis_conn)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    answer(6)
    few = measure()
    answer(30)
    assert measure() == few
    assert few <= 4, few


def test_a_cached_results_answer_runs_at_most_two_statements(
        client, demo_survey, count_queries, redis_conn):
    for _ in range(6):
        page = client.get(f"/fi/s/{demo_survey}")
        client.post(f"/fi/s/{demo_survey}",
                    data={**form_tokens(page.get_data(as_text=True)), **VALID_ANSWERS})
    run_worker(redis_conn)
    for url in (f"/api/v1/surveys/{demo_survey}/results?region=17",
                f"/api/v1/surveys/{demo_survey}/results/monthly",
                f"/api/v1/surveys/{demo_survey}/results.csv?area=lansi",
                f"/fi/results/{demo_survey}?region=17",
                f"/sv/results/{demo_survey}/export.csv"):
        first = client.get(url)
        assert first.status_code == 200, url
        with count_queries() as statements:
            again = client.get(url)
        assert again.status_code == 200 and again.get_data() == first.get_data(), url
        # the published figures' version; the survey's snapshot at most once more
        assert len(statements) <= 2, (url, statements)
        with count_queries() as statements:
            not_modified = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert not_modified.status_code == 304 and not not_modified.get_data(), url
        assert len(statements) <= 2, (url, statements)
