"""Security headers on every response (webapp/security.py), per-survey frame-ancestors
(embed_origins), HSTS over HTTPS only, no-store on admin pages, and the respondent's cookies."""

from __future__ import annotations

import yaml
from werkzeug.routing import Rule

from surveys.definitions import demo, lifecycle
from surveys.infra import db
from tests.conftest import VALID_ANSWERS, form_tokens

EMBEDDED = "upotettu-kysely-2026"
ORIGINS = ["https://www.example.fi", "https://*.hyvinvointialue.example"]
# A value for each path argument of the route table. A new route with an argument missing here
# fails test_every_get_route_has_the_security_headers: add a sample for it.
# token: a well-formed token that matches no invitation or account link (a 404 or 410 page).
SAMPLE_ARGS = {"lang": "fi", "slug": "asiakaskokemus-2026", "filename": "style.css",
               "kind": "accessibility", "n": 2, "fmt": "csv", "export_id": "0" * 32,
               "token": "A" * 43, "region": "19",
               "task_id": "0" * 32}


def embedded_survey(database_url) -> str:
    """The Ostrobothnia demo survey as another survey that a county's website may frame."""
    text = next(t for t in demo.definitions() if "osterbotten-halsostation-2026" in t)
    definition = yaml.safe_load(text)
    definition.update(slug=EMBEDDED, embed_origins=ORIGINS)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, yaml.safe_dump(definition, allow_unicode=True))
        lifecycle.publish(s, EMBEDDED)
    return EMBEDDED


def csp_directives(resp) -> dict[str, str]:
    policy = resp.headers["Content-Security-Policy"]
    return {d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2]
            for d in policy.split(";") if d.strip()}


def assert_secure_headers(resp, where: str, framed_by: str = "'none'") -> None:
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", where
    assert resp.headers.get("Referrer-Policy") == "same-origin", where
    assert len(resp.headers.getlist("Content-Security-Policy")) == 1, where
    policy = resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    directives = csp_directives(resp)
    assert directives["default-src"] == "'self'", where
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'", where
    assert directives["frame-ancestors"] == framed_by, where
    if framed_by == "'none'":
        assert resp.headers.get("X-Frame-Options") == "DENY", where
    else:
        assert "X-Frame-Options" not in resp.headers, where


def url_for_rule(rule: Rule) -> str:
    missing = sorted(set(rule.arguments) - set(SAMPLE_ARGS))
    assert not missing, f"{rule.rule}: no sample value for {missing}: add one to SAMPLE_ARGS"
    _domain, url = rule.build({k: SAMPLE_ARGS[k] for k in rule.arguments})
    return url


def test_every_get_route_has_the_security_headers(app, client, demo_survey):
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ())]
    assert len(rules) >= 10  # the table was read
    seen = set()
    for rule in rules:
        url = url_for_rule(rule)
        resp = client.get(url)
        assert resp.status_code < 500, (url, resp.status_code)
        assert_secure_headers(resp, url)
        assert "Strict-Transport-Security" not in resp.headers, url  # plain HTTP here
        seen.add(rule.endpoint)
    assert {"respond.survey", "admin.surveys", "api.results", "static", "health.healthz"} <= seen


def test_errors_and_posts_have_the_security_headers(client, demo_survey):
    cases = {
        "unknown page": client.get("/fi/no-such-page"),
        "unknown survey": client.get("/fi/s/no-such-survey"),
        "unknown API object": client.get("/api/v1/surveys/no-such-survey/results"),
        "method not allowed": client.post("/fi/"),
        "invalid answers": client.post(f"/fi/s/{demo_survey}", data={"recommend": "99"}),
        "too large": client.post(f"/fi/s/{demo_survey}", data={"comment": "x" * 300_000}),
    }
    for where, resp in cases.items():
        assert resp.status_code in (400, 404, 405, 413), (where, resp.status_code)
        assert_secure_headers(resp, where)


def test_a_survey_with_embed_origins_may_be_framed_by_them_only(client, database_url,
                                                               demo_survey):
    slug = embedded_survey(database_url)
    framed_by = " ".join(ORIGINS)
    form = client.get(f"/sv/s/{slug}")
    assert form.status_code == 200
    assert_secure_headers(form, "form", framed_by)
    for url in (f"/fi/s/{slug}", f"/sv/s/{slug}/thanks", f"/sv/s/{slug}/privacy"):
        assert_secure_headers(client.get(url), url, framed_by)
    # A form sent back with errors is still the survey's page, in its frame.
    data = {**form_tokens(form.get_data(as_text=True)), "recommend": "11"}
    invalid = client.post(f"/sv/s/{slug}", data=data)
    assert invalid.status_code == 400
    assert_secure_headers(invalid, "invalid answers", framed_by)
    # Its answers stored from inside the frame: the redirect and the thank-you page.
    data = {**form_tokens(client.get(f"/sv/s/{slug}").get_data(as_text=True)),
            "recommend": "9", "language_ok": "5"}
    sent = client.post(f"/sv/s/{slug}", data=data)
    assert sent.status_code == 303
    assert_secure_headers(sent, "answers sent", framed_by)

    # Not its results, the API, the admin pages, other surveys or the front page.
    for url in (f"/sv/results/{slug}", f"/api/v1/surveys/{slug}/results",
                f"/fi/admin/surveys/{slug}", f"/fi/s/{demo_survey}", "/fi/",
                "/fi/s/no-such-survey"):
        assert_secure_headers(client.get(url), url)


def test_hsts_only_over_https(settings, client, redis_conn, demo_survey):
    from webapp import create_app

    assert "Strict-Transport-Security" not in client.get(f"/fi/s/{demo_survey}").headers
    over_https = client.get(f"/fi/s/{demo_survey}", base_url="https://palaute.example")
    assert over_https.headers["Strict-Transport-Security"] == \
        "max-age=31536000; includeSubDomains"
    # Behind a TLS-terminating proxy the operator declares HTTPS with SESSION_COOKIE_SECURE=1.
    declared = create_app(settings.with_overrides(session_cookie_secure=True),
                          {"TESTING": True}).test_client()
    for url in ("/fi/", "/healthz", "/api/v1/surveys", "/fi/no-such-page"):
        assert declared.get(url).headers["Strict-Transport-Security"] == \
            "max-age=31536000; includeSubDomains", url


def test_admin_pages_are_never_stored(client, demo_survey):
    for url in ("/fi/admin/surveys", f"/sv/admin/surveys/{demo_survey}", "/en/admin/translations",
                "/admin/login", "/fi/admin/no-such-page"):
        resp = client.get(url)
        assert resp.headers["Cache-Control"] == "no-store", url
        assert_secure_headers(resp, url)
    for url in (f"/fi/s/{demo_survey}", "/fi/", "/api/v1/surveys", "/fi/administration"):
        assert "no-store" not in client.get(url).headers.get("Cache-Control", ""), url


def _set_cookies(resp) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in resp.headers.getlist("Set-Cookie")}


def test_respondent_cookies_are_httponly_lax_and_secure_over_https(settings, redis_conn,
                                                                  client, demo_survey):
    from webapp import create_app

    plain = _set_cookies(client.get(f"/fi/s/{demo_survey}"))
    assert set(plain) == {"lang", "palaute_form"}
    for name, header in plain.items():
        assert "HttpOnly" in header and "SameSite=Lax" in header, name
        assert "Secure" not in header, name  # development over plain HTTP

    https_client = create_app(settings, {"TESTING": True}).test_client()
    over_https = _set_cookies(https_client.get(f"/sv/s/{demo_survey}",
                                               base_url="https://palaute.example"))
    declared = create_app(settings.with_overrides(session_cookie_secure=True),
                          {"TESTING": True}).test_client()
    behind_proxy = _set_cookies(declared.get(f"/sv/s/{demo_survey}"))
    for cookies in (over_https, behind_proxy):
        # The __Host- prefix: only this host, over HTTPS, may set them (ASVS 5.0 V3.3.1, V3.3.3).
        assert set(cookies) == {"__Host-lang", "__Host-palaute_form"}
        for name, header in cookies.items():
            assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header, \
                name
            assert "Path=/" in header and "Domain" not in header, name

    # The form's answers are still accepted over HTTPS with the Secure cookie, and the language
    # remembered under its prefixed name chooses the language of a bare link.
    page = declared.get(f"/fi/s/{demo_survey}", base_url="https://palaute.example")
    data = {**form_tokens(page.get_data(as_text=True)), **VALID_ANSWERS}
    assert declared.post(f"/fi/s/{demo_survey}", data=data,
                         base_url="https://palaute.example").status_code == 303
    assert declared.get(f"/s/{demo_survey}").headers["Location"].endswith(f"/sv/s/{demo_survey}")


def test_an_embeddable_survey_can_be_answered_inside_a_frame_over_https(settings, redis_conn,
                                                                       database_url, session):
    """A Lax cookie is neither kept nor sent in a frame on another site: the form cookie of a
    survey with embed_origins is `SameSite=None; Secure; Partitioned` over HTTPS, and the
    form sent with it is stored. Other surveys keep `SameSite=Lax`."""

    from surveys.fold import aggregation
    from webapp import create_app

    slug = embedded_survey(database_url)
    demo_slug = "asiakaskokemus-2026"
    with db.session_scope(database_url) as s:
        demo.seed(s)
    https = "https://palaute.example"
    framed = create_app(settings, {"TESTING": True}).test_client()
    page = framed.get(f"/sv/s/{slug}", base_url=https)
    cookie = _set_cookies(page)["__Host-palaute_form"]
    for attribute in ("SameSite=None", "Secure", "Partitioned", "HttpOnly"):
        assert attribute in cookie
    data = {**form_tokens(page.get_data(as_text=True)), "recommend": "9", "language_ok": "5"}
    assert framed.post(f"/sv/s/{slug}", data=data, base_url=https).status_code == 303
    assert aggregation.stored_count(session) == 1

    # Over plain HTTP a SameSite=None cookie would be refused: Lax, as everywhere else.
    plain = create_app(settings, {"TESTING": True}).test_client()
    assert "SameSite=Lax" in _set_cookies(plain.get(f"/sv/s/{slug}"))["palaute_form"]
    other = create_app(settings, {"TESTING": True}).test_client()
    cookie = _set_cookies(other.get(f"/fi/s/{demo_slug}", base_url=https))["__Host-palaute_form"]
    assert "SameSite=Lax" in cookie and "Partitioned" not in cookie
