"""bench/sampler.py: the web tier's PSS counts pages shared by a fork once, RSS once per process."""

from __future__ import annotations

import os
import signal

import psutil

from bench.sampler import pss_mb, tree_pss_mb


def test_pss_of_a_forked_pair_counts_shared_pages_once():
    ballast = bytearray(64 * 2**20)  # 64 MB written before the fork: shared by parent and child
    ballast[::4096] = b"x" * len(ballast[::4096])
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only waits to be measured
        signal.pause()
        os._exit(0)
    try:
        pids = [os.getpid(), child]
        rss = sum(psutil.Process(pid).memory_info().rss for pid in pids) / 2**20
        pss = tree_pss_mb(pids)
        child_rss = psutil.Process(child).memory_info().rss / 2**20
        assert pss is not None and 0 < pss_mb(child) < child_rss
        # The 64 MB count twice in the RSS sum and once in the PSS sum.
        assert rss - pss > 48
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    assert pss_mb(child) is None  # gone: no figure, no error
