"""Results latency: the region page and the API, at 10,000 and at 1,000,000 stored responses
(docs/performance.md, steps 2 and 7)."""

from __future__ import annotations

from ..common import SLUG, pct
from ..environment import Environment

URLS = [f"/fi/results/{SLUG}?region=17", f"/api/v1/surveys/{SLUG}/results?region=17"]


def cut_release(env: Environment) -> None:
    """Results views serve releases (docs/privacy.md): cut one of the data now loaded, as the
    hourly job would, and measure serving it. The cut itself (the disclosure audit included) is
    work of the worker, not of a request."""
    from datetime import UTC, datetime

    from surveys.definitions import lookup
    from surveys.infra import db
    from surveys.report import releases

    with db.session_scope(env.db_url) as session:
        survey = lookup.visible(session, SLUG)
        releases.cut(session, survey, datetime.now(UTC).replace(tzinfo=None))


def measure(env: Environment, label: str, base: str) -> dict:
    a = env.args
    cut_release(env)
    # A few unmeasured requests first (first-request costs are not what is measured).
    env.load(f"results-{label}-warmup", "results", base, "--urls", *URLS, "--requests", "5",
             "--concurrency", "1", timeout=60)
    data = env.load(f"results-{label}", "results", base, "--urls", *URLS,
                    "--requests", str(a.results_requests),
                    "--concurrency", str(a.results_concurrency),
                    "--duration", "120", timeout=180)
    out = {}
    for idx, name in enumerate(("page", "api")):
        rs = [r for r in data["requests"] if r[0] == f"results{idx}"]
        lat = [(r[2] - r[1]) * 1000 for r in rs if r[3] == 200]
        out[name] = {"n": len(lat), "errors": len(rs) - len(lat), "p50_ms": pct(lat, 50),
                     "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99)}
    return out
