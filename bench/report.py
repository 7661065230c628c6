"""The report: every figure as JSON (the keys other tools and tests read), a Markdown table
and a PNG of throughput, latency and memory over time."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .common import pct, rnd
from .sampler import cpu_by_phase

TARGETS = {
    "submit_ratio": (">=", 0.5),
    "fold_per_s": (">=", 20_000),
    "freshness_p95_s": ("<=", 2.0),
    "results_ratio": ("<=", 1.5),
    "results_p95_ms_1m": ("<=", 50.0),
    "worker_memory_flat": ("==", True),
    "web_pss_mb": ("<=", 200.0),
}


def figures(args: argparse.Namespace, machine: dict, samples: list[dict], sub: dict, ceil: dict,
            folded: int, spent: float, per_one: dict, fresh: dict, small: dict, large: dict,
            stored: int) -> dict:
    """Every figure of one run, from what the phases measured and the sampler recorded."""
    web = [s for s in samples if s["role"] == "web"]
    wk = [s for s in samples if s["role"] == "worker"]
    pss = [s["pss_total_mb"] for s in web if s.get("pss_total_mb") is not None]
    pss_by_phase: dict[str, float] = {}
    for s in web:
        if s.get("pss_total_mb") is not None:
            pss_by_phase[s["phase"]] = rnd(max(s["pss_total_mb"], pss_by_phase.get(s["phase"], 0)))
    fold_phase = [s["max_mb"] for s in wk if s["phase"] == "fold-1m"]
    q = max(1, len(fold_phase) // 4)
    first, last = pct(fold_phase[:q], 50), pct(fold_phase[-q:], 50)
    growth = (last - first) if first is not None and last is not None else None
    # The long-lived worker process, from once it has done its first job (start-up imports
    # are not growth) to the end of the run.
    roots = [s["root_mb"] for s in wk if s["phase"] not in ("setup", "load-10k", "fold-10k")]
    root_growth = (roots[-1] - roots[0]) if roots else None
    flat = (growth is not None and growth <= max(16.0, 0.10 * first)
            and root_growth is not None and root_growth <= max(16.0, 0.10 * roots[0]))

    def worst(res: dict) -> float | None:
        vals = [v["p95_ms"] for v in res.values() if v["p95_ms"] is not None]
        return max(vals) if vals else None

    ratios = [large[k]["p95_ms"] / small[k]["p95_ms"] for k in small
              if small[k]["p95_ms"] and large[k]["p95_ms"]]
    fold_per_s = folded / spent if spent else 0.0
    r = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "settings": {k: v for k, v in vars(args).items() if k not in ("force",)},
        "submit_rps": rnd(sub["rps"]), "submit_p50_ms": rnd(sub.get("p50_ms")),
        "submit_p95_ms": rnd(sub.get("p95_ms")), "submit_p99_ms": rnd(sub.get("p99_ms")),
        "submit_form_p95_ms": rnd(sub.get("form_p95_ms")), "submit_errors": sub.get("errors"),
        "submit_acked": sub.get("acked"),
        "ceiling_rps": rnd(ceil["rps"]), "ceiling_p50_ms": rnd(ceil.get("p50_ms")),
        "ceiling_p95_ms": rnd(ceil.get("p95_ms")), "ceiling_p99_ms": rnd(ceil.get("p99_ms")),
        "ceiling_errors": ceil.get("errors"),
        "submit_ratio": rnd(sub["rps"] / ceil["rps"], 3) if ceil["rps"] else None,
        "fold_per_s": rnd(fold_per_s), "fold_responses": folded, "fold_seconds": rnd(spent, 2),
        "job_per_response_per_s": rnd(per_one["per_s"]),
        "job_per_response_jobs": per_one.get("jobs"),
        "fold_ratio": rnd(fold_per_s / per_one["per_s"], 1) if per_one["per_s"] else None,
        "freshness_target_rate": fresh.get("target_rate"),
        "freshness_rate": rnd(fresh.get("rate")),
        "freshness_p50_s": rnd(fresh.get("p50_s"), 3),
        "freshness_p95_s": rnd(fresh.get("p95_s"), 3),
        "freshness_max_s": rnd(fresh.get("max_s"), 3),
        "freshness_submit_p95_ms": rnd(fresh.get("submit_p95_ms")),
        "freshness_acked": fresh.get("acked"), "freshness_seen": fresh.get("seen"),
        "results_stored_small": args.n_small, "results_stored_large": stored,
        "results_p95_ms_10k": rnd(worst(small)), "results_p95_ms_1m": rnd(worst(large)),
        "results_page_p95_ms_10k": rnd(small["page"]["p95_ms"]),
        "results_api_p95_ms_10k": rnd(small["api"]["p95_ms"]),
        "results_page_p95_ms_1m": rnd(large["page"]["p95_ms"]),
        "results_api_p95_ms_1m": rnd(large["api"]["p95_ms"]),
        "results_page_p50_ms_1m": rnd(large["page"]["p50_ms"]),
        "results_api_p50_ms_1m": rnd(large["api"]["p50_ms"]),
        "results_ratio": rnd(max(ratios), 3) if ratios else None,
        "results_errors": sum(v["errors"] for v in (*small.values(), *large.values())),
        "web_peak_rss_mb": rnd(max((s["child_max_mb"] or 0) for s in web) if web else None),
        "web_total_peak_rss_mb": rnd(max(s["total_mb"] for s in web) if web else None),
        # The tier's memory with shared pages counted once (PSS summed over master and workers).
        "web_pss_mb": rnd(max(pss) if pss else None),
        "web_pss_mb_by_phase": pss_by_phase,
        "worker_peak_rss_mb": rnd(max(s["max_mb"] for s in wk) if wk else None),
        "worker_fold_rss_first_mb": rnd(first), "worker_fold_rss_last_mb": rnd(last),
        "worker_rss_growth_mb": rnd(growth),
        "worker_root_rss_start_mb": rnd(roots[0] if roots else None),
        "worker_root_rss_end_mb": rnd(roots[-1] if roots else None),
        "worker_memory_flat": flat,
    }
    rounds = range(1, args.submit_rounds + 1)
    cpu = cpu_by_phase(samples, tuple(f"submit-{app}-{i}" for app in ("palaute", "ceiling")
                                  for i in rounds) + ("freshness", "fold-1m"))
    for app in ("palaute", "ceiling"):  # the rounds of each app, summed
        parts = [cpu.pop(f"submit-{app}-{i}") for i in rounds]
        cpu[f"submit-{app}"] = {key: round(sum(p.get(key, 0.0) for p in parts), 2)
                                for key in {k for p in parts for k in p}}
    r["cpu_s_by_phase"] = cpu

    def per_cpu(count: float | None, phase: str, role: str) -> float | None:
        used = cpu.get(phase, {}).get(role)
        return rnd(count / used) if count and used else None

    def others(phase: str) -> float | None:
        c = cpu.get(phase, {})
        if "machine" not in c or not c.get("seconds"):
            return None
        ours = sum(v for k, v in c.items() if k not in ("machine", "seconds"))
        return rnd((c["machine"] - ours) / c["seconds"], 2)

    # Normalised by the CPU the process tree actually got: comparable across runs on a
    # machine that other work shares (the side-by-side ratios are the primary figures).
    r["submit_per_web_cpu_s"] = per_cpu((sub.get("acked") or 0), "submit-palaute", "web")
    r["ceiling_per_web_cpu_s"] = per_cpu((ceil.get("acked") or 0), "submit-ceiling",
                                         "ceiling")
    r["fold_per_worker_cpu_s"] = per_cpu(folded, "fold-1m", "worker")
    # Cores busy outside the benchmark's own processes (the database server, Redis and
    # anything else running on the machine) during each phase.
    r["other_cores_busy"] = {ph: others(ph) for ph in cpu}
    r["targets_met"] = {k: check(r.get(k), op, v) for k, (op, v) in TARGETS.items()}
    return r


def check(value: Any, op: str, target: Any) -> bool | None:
    if value is None:
        return None
    return {">=": value >= target, "<=": value <= target, "==": value == target}[op]


def write_reports(r: dict, timeline: dict, samples: list[dict], out_dir: Path,
                  stem: str, plot: bool = True) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.json", out_dir / f"{stem}.md"]
    paths[0].write_text(json.dumps(r, indent=2) + "\n")
    paths[1].write_text(markdown(r))
    if plot:
        paths.append(out_dir / f"{stem}.png")
        plot_timeline(timeline, samples, paths[2])
    return paths


def markdown(r: dict) -> str:
    m = r["machine"]
    t = r["targets_met"]

    def ok(key: str) -> str:
        return {True: "yes", False: "**no**", None: "n/a"}[t.get(key)]

    rows = [
        ("Submit (GET form + POST), responses/s", r["submit_rps"], "", ""),
        ("Submit POST latency p50 / p95 / p99 ms",
         f'{r["submit_p50_ms"]} / {r["submit_p95_ms"]} / {r["submit_p99_ms"]}', "", ""),
        ("Ceiling app, responses/s", r["ceiling_rps"], "", ""),
        ("Responses per CPU second of the web tier (Palaute / ceiling)",
         f'{r["submit_per_web_cpu_s"]} / {r["ceiling_per_web_cpu_s"]}', "", ""),
        ("Submit ratio (Palaute : ceiling)", r["submit_ratio"], ">= 0.5", ok("submit_ratio")),
        ("Fold, one worker, responses/s", r["fold_per_s"], ">= 20,000", ok("fold_per_s")),
        ("Fold, responses per CPU second of the worker", r["fold_per_worker_cpu_s"], "", ""),
        ("One job per response, responses/s", r["job_per_response_per_s"], "", ""),
        ("Fold ratio (batched : per response)", r["fold_ratio"], "", ""),
        (f'Freshness p95 s at {r["freshness_rate"]}/s achieved '
         f'({r["freshness_target_rate"]}/s target)', r["freshness_p95_s"], "<= 2 s",
         ok("freshness_p95_s")),
        ("Results p95 ms, 10k responses (page / API)",
         f'{r["results_page_p95_ms_10k"]} / {r["results_api_p95_ms_10k"]}', "", ""),
        (f'Results p95 ms, {r["results_stored_large"]:,} responses (page / API)',
         f'{r["results_page_p95_ms_1m"]} / {r["results_api_p95_ms_1m"]}', "<= 50",
         ok("results_p95_ms_1m")),
        ("Results ratio (1M : 10k, worst of page/API)", r["results_ratio"], "<= 1.5",
         ok("results_ratio")),
        ("Web worker peak RSS MB (one process / whole tier)",
         f'{r["web_peak_rss_mb"]} / {r["web_total_peak_rss_mb"]}', "", ""),
        (f'Web tier peak PSS MB (master + {m["web_workers"]} workers, shared pages once)',
         r["web_pss_mb"], "<= 200", ok("web_pss_mb")),
        ("RQ worker peak RSS MB", r["worker_peak_rss_mb"], "", ""),
        ("Worker RSS during the 1M fold, first -> last quarter MB",
         f'{r["worker_fold_rss_first_mb"]} -> {r["worker_fold_rss_last_mb"]}', "flat",
         ok("worker_memory_flat")),
    ]
    lines = [
        f'# Benchmark {r["date"]}', "",
        f'Machine: {m["cpu"]}, {m["cores"]} cores, {m["memory_gb"]} GB; {m["database"]}; '
        f'{m["redis"]}; gunicorn {m["web_workers"]} sync workers; Python {m["python"]}.', "",
        "| Measure | Value | Target | Met |", "| --- | --- | --- | --- |",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows), "",
        "All figures from one `make bench` run; ratios compare runs made side by side in it.",
        "Cores busy outside the benchmark's processes (database server, other work), by phase: "
        + ", ".join(f"{k} {v}" for k, v in r["other_cores_busy"].items()) + ".", "",
    ]
    return "\n".join(lines)


def plot_timeline(timeline: dict, samples: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    by_label: dict[str, list] = {}
    for label, kind, t0, t1, status in timeline["load"]:
        if "warmup" in label:
            continue
        by_label.setdefault(label, []).append((kind, t0, t1, status))
    for label, reqs in by_label.items():
        kinds = {"submit"} if not label.startswith("results") else {"results0", "results1"}
        done = [(t1, (t1 - t0) * 1000) for k, t0, t1, st in reqs if k in kinds and st in (200, 303)]
        if not done:
            continue
        start, end = int(min(t for t, _ in done)), int(max(t for t, _ in done)) + 1
        secs = list(range(start, end))
        counts = [0] * len(secs)
        lats: list[list[float]] = [[] for _ in secs]
        for t, lat in done:
            counts[int(t) - start] += 1
            lats[int(t) - start].append(lat)
        ax1.plot(secs, counts, label=label)
        ax2.plot(secs, [pct(v, 95) if v else None for v in lats], label=label)
    ax1.set_ylabel("completed per s")
    ax1.set_title("Throughput (responses or results requests per second)")
    ax1.legend(fontsize=8)
    ax2.set_ylabel("p95 latency ms")
    ax2.set_yscale("log")
    ax2.legend(fontsize=8)
    for role in sorted({s["role"] for s in samples}):
        pts = [(s["t"], s["max_mb"]) for s in samples if s["role"] == role and "max_mb" in s]
        if not pts:
            continue
        ax3.plot([p[0] for p in pts], [p[1] for p in pts], label=f"{role} (largest process)")
    ax3.set_ylabel("RSS MB")
    ax3.set_xlabel("seconds since start")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


