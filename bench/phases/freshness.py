"""Freshness: acknowledgement -> counted in the aggregates, under an open-loop load at a target
rate while the load process polls them (docs/performance.md, step 5). The fold is real-time;
what results views show is a release of the aggregates (docs/privacy.md), so the aggregates are
what freshness measures."""

from __future__ import annotations

from ..common import pct
from ..environment import Environment
from . import submit


def measure(env: Environment, base: str) -> dict:
    a = env.args
    env.phase("freshness")
    data = env.load("freshness", "submit", base, "--rate", str(a.fresh_rate),
                    "--concurrency", str(a.fresh_concurrency),
                    "--duration", str(a.fresh_duration), "--poll",
                    "--poll-db", env.db_url,
                    timeout=a.fresh_duration + 90)
    fresh = figures(data, a.fresh_rate)
    env.wait_folded(120)
    return fresh


def figures(data: dict, target_rate: float) -> dict:
    acks = sorted(r[2] for r in data["requests"] if r[0] == "submit" and r[3] == 303)
    polls = sorted(data["polls"])
    if not acks:
        return {"rate": 0.0}
    window = acks[-1] - min(r[1] for r in data["requests"])
    lags: list[float] = []
    j = 0
    # The k-th acknowledged response counts as visible at the first poll showing >= k more
    # respondents than at the start (counts only grow); resolution is the poll interval.
    for k, ack in enumerate(acks, start=1):
        while j < len(polls) and polls[j][1] < k:
            j += 1
        if j == len(polls):
            break
        lags.append(max(0.0, polls[j][0] - ack))
    sub = submit.figures([data])
    return {"target_rate": target_rate, "rate": len(acks) / window if window else 0,
            "acked": len(acks), "seen": len(lags), "p50_s": pct(lags, 50),
            "p95_s": pct(lags, 95) if len(lags) == len(acks) else None,
            "max_s": max(lags) if lags else None, "submit_p95_ms": sub.get("p95_ms"),
            "errors": sub.get("errors")}
