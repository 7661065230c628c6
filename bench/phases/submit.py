"""Submit throughput: Palaute and the ceiling app (bench/ceiling.py) under the same closed-loop
load, in alternating rounds (docs/performance.md, steps 3 and 4)."""

from __future__ import annotations

from ..common import pct
from ..environment import Environment


def figures(rounds: list[dict]) -> dict:
    """Throughput over the rounds' summed windows; latencies pooled."""
    requests = [r for data in rounds for r in data["requests"]]
    submits = [r for r in requests if r[0] == "submit"]
    forms = [r for r in requests if r[0] == "form"]
    acked = [r for r in submits if r[3] == 303]
    if not requests:
        return {"rps": 0.0}
    window = sum(max(r[2] for r in data["requests"]) - min(r[1] for r in data["requests"])
                 for data in rounds if data["requests"])
    lat = [(r[2] - r[1]) * 1000 for r in acked]
    flat = [(r[2] - r[1]) * 1000 for r in forms if r[3] == 200]
    return {
        "rps": len(acked) / window if window > 0 else 0.0,
        "acked": len(acked),
        "errors": len(submits) - len(acked) + sum(1 for r in forms if r[3] != 200),
        "window_s": window,
        "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
        "form_p50_ms": pct(flat, 50), "form_p95_ms": pct(flat, 95),
        "rounds": len(rounds),
    }


def measure(env: Environment, bases: dict[str, str]) -> dict[str, dict]:
    """The same closed-loop load against each app (Palaute, the ceiling), in alternating
    rounds: A B, then B A, and so on (--submit-rounds), for --submit-duration in all per app.
    A machine whose speed drifts during the run (one shared with other work does) then
    slows both sides alike, instead of whichever happened to run second."""
    a = env.args
    for label, base in bases.items():
        # Warm-up: templates compiled, pools filled, every gunicorn worker has served.
        env.sampler.phase = f"warmup-{label}"
        env.load(f"{label}-warmup", "submit", base, "--concurrency", str(a.concurrency),
                 "--duration", str(a.warmup), timeout=a.warmup + 60)
    duration = a.submit_duration / a.submit_rounds
    collected: dict[str, list[dict]] = {label: [] for label in bases}
    labels = list(bases)
    for i in range(a.submit_rounds):
        for label in labels if i % 2 == 0 else reversed(labels):
            env.phase(f"submit-{label}-{i + 1}")
            collected[label].append(env.load(
                f"{label}-{i + 1}", "submit", bases[label],
                "--concurrency", str(a.concurrency), "--duration", str(duration),
                "--max-responses", str(a.max_responses), timeout=duration + 60))
            env.sampler.phase = f"after-{label}-{i + 1}"
            if label == "palaute":
                env.wait_folded(120)  # each round starts with an empty outbox
    return {label: figures(rounds) for label, rounds in collected.items()}
