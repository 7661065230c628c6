"""The load benchmark (`make bench`) at toy size: it runs end to end and reports every figure.

No timing thresholds here: performance goals live in the benchmark and docs/performance.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SETTINGS

pytestmark = pytest.mark.slow

REQUIRED = (
    "submit_rps", "submit_p95_ms", "ceiling_rps", "submit_ratio", "fold_per_s",
    "job_per_response_per_s", "fold_ratio", "freshness_p95_s", "results_p95_ms_10k",
    "results_p95_ms_1m", "results_ratio", "web_peak_rss_mb", "worker_peak_rss_mb", "web_pss_mb",
)


@pytest.fixture
def bench_env():
    """A database of the benchmark's own (it wipes it) and an embedded Redis."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "PALAUTE_INSTANCE_DIR")}
    base = SETTINGS.database_url
    if not base.startswith("postgresql"):
        yield env  # SQLite in the benchmark's temp dir
        return
    name = f"palaute_bench_smoke_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield {**env, "DATABASE_URL": base.rsplit("/", 1)[0] + f"/{name}"}
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_benchmark_runs_and_reports_every_figure(bench_env, tmp_path):
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--smoke", "--out-dir",
                           str(tmp_path)], cwd=root, env=bench_env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    reports = sorted(tmp_path.glob("*.json"))
    assert len(reports) == 1
    result = json.loads(reports[0].read_text())
    missing = [k for k in REQUIRED if not isinstance(result.get(k), int | float)]
    assert not missing, f"figures missing: {missing}\n{json.dumps(result, indent=1)}"
    assert result["machine"]["cores"] and result["machine"]["database"]
    assert result["submit_errors"] == 0 and result["results_errors"] == 0
    assert result["results_stored_large"] >= 2000
    assert isinstance(result["worker_memory_flat"], bool)
    assert reports[0].with_suffix(".md").read_text().startswith("# Benchmark")
    assert reports[0].with_suffix(".png").stat().st_size > 0
