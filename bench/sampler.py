"""RSS, PSS and CPU of each watched process tree (and the machine's CPU), sampled throughout.

RSS counts every page a process maps, so pages that gunicorn's workers share with their master
(the preloaded app) are counted once per process. PSS (proportional set size, from
/proc/<pid>/smaps_rollup) splits each shared page among the processes that map it, so the PSS
of a whole tree counts each page once: the memory the web tier really takes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

import psutil

# PSS is costlier to read than RSS (the kernel walks the page tables): every few samples.
PSS_EVERY = 4


def pss_mb(pid: int) -> float | None:
    """The process's proportional set size in MB; None if it is gone or unreadable."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return None


def tree_pss_mb(pids: list[int]) -> float | None:
    values = [v for v in (pss_mb(pid) for pid in pids) if v is not None]
    return sum(values) if values else None


class Sampler(threading.Thread):
    """Samples the RSS and CPU of each watched process tree every `interval` seconds, and the
    PSS of the trees named in `pss_roles` every PSS_EVERY samples."""

    def __init__(self, t0: float, interval: float = 0.25, pss_roles: tuple[str, ...] = ("web",)):
        super().__init__(daemon=True)
        self.t0, self.interval, self.pss_roles = t0, interval, pss_roles
        self.roots: dict[str, psutil.Process] = {}
        self.phase = "setup"
        self.samples: list[dict[str, Any]] = []
        self._stop_evt = threading.Event()

    def watch(self, role: str, pid: int) -> None:
        self.roots[role] = psutil.Process(pid)

    def unwatch(self, role: str) -> None:
        self.roots.pop(role, None)

    def run(self) -> None:
        tick = 0
        while not self._stop_evt.wait(self.interval):
            tick += 1
            now = time.monotonic() - self.t0
            for role, root in list(self.roots.items()):
                try:
                    procs = [root, *root.children(recursive=True)]
                    # CPU of reaped children (RQ work horses) is in the parent's children_*.
                    t = root.cpu_times()
                    cpu = t.children_user + t.children_system
                    rss = {}
                    for p in procs:
                        with contextlib.suppress(psutil.Error):
                            rss[p.pid] = p.memory_info().rss / 2**20
                            t = p.cpu_times()
                            cpu += t.user + t.system
                except psutil.Error:
                    continue
                if not rss:
                    continue
                kids = [v for pid, v in rss.items() if pid != root.pid]
                sample = {
                    "t": now, "phase": self.phase, "role": role,
                    "root_mb": rss.get(root.pid, 0.0),
                    "max_mb": max(rss.values()),
                    "child_max_mb": max(kids) if kids else None,
                    "total_mb": sum(rss.values()),
                    "cpu_s": cpu,
                }
                if role in self.pss_roles and tick % PSS_EVERY == 0:
                    sample["pss_total_mb"] = tree_pss_mb(list(rss))
                    sample["processes"] = len(rss)
                self.samples.append(sample)
            t = psutil.cpu_times()
            self.samples.append({"t": now, "phase": self.phase, "role": "machine",
                                 "cpu_s": sum(t) - t.idle - getattr(t, "iowait", 0.0)})

    def stop(self) -> None:
        self._stop_evt.set()
        self.join(5)


def cpu_by_phase(samples: list[dict], phases: tuple[str, ...]) -> dict:
    """CPU seconds used by each process tree (and the whole machine) in each phase."""
    out: dict[str, dict[str, float]] = {}
    for phase in phases:
        by_role: dict[str, list[dict]] = {}
        for smp in samples:
            if smp["phase"] == phase and "cpu_s" in smp:
                by_role.setdefault(smp["role"], []).append(smp)
        out[phase] = {role: round(v[-1]["cpu_s"] - v[0]["cpu_s"], 2)
                      for role, v in by_role.items() if len(v) > 1}
        times = [smp["t"] for v in by_role.values() for smp in v]
        if times:
            out[phase]["seconds"] = round(max(times) - min(times), 2)
    return out
