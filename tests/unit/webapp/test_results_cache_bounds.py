"""The per-process results cache: one answer per view, bounded in entries and in bytes."""

from webapp.results_cache import _Kept


def answer(n: int) -> tuple[bytes, int, list]:
    return (b"x" * n, 200, [])


def test_a_newer_version_replaces_the_view_and_the_older_is_not_served():
    kept = _Kept(10, max_bytes=1000)
    kept.put("view", "v1", answer(100))
    kept.put("view", "v2", answer(50))
    assert len(kept) == 1 and kept.bytes == 50
    assert kept.get("view", "v1") is None
    assert kept.get("view", "v2") == answer(50)


def test_bounded_in_bytes_least_recently_used_first():
    kept = _Kept(10, max_bytes=250)
    kept.put("a", "1", answer(100))
    kept.put("b", "1", answer(100))
    assert kept.get("a", "1") is not None  # a is now the most recently used
    kept.put("c", "1", answer(100))
    assert kept.get("b", "1") is None
    assert kept.get("a", "1") is not None and kept.get("c", "1") is not None
    assert kept.bytes == 200


def test_bounded_in_entries_and_an_answer_over_the_budget_is_not_kept():
    kept = _Kept(2, max_bytes=1000)
    for view in "abc":
        kept.put(view, "1", answer(10))
    assert len(kept) == 2 and kept.get("a", "1") is None
    kept.put("big", "1", answer(1001))
    assert kept.get("big", "1") is None and len(kept) == 2
