"""The blank-form cache on its own: tokens swapped in, pages kept per key, bounded."""

from __future__ import annotations

from webapp.respond.form_cache import BlankFormCache


def page(csrf: str, token: str, body: str = "form") -> str:
    return f"<form>{body}<input value='{csrf}'><input value='{token}'></form>"


def test_a_kept_page_gets_the_new_tokens_and_is_rendered_once():
    cache = BlankFormCache()
    renders = []

    def render(csrf, token):
        renders.append(1)
        return page(csrf, token)

    first = cache.page("k", "C1", "T1", lambda: render("C1", "T1"))
    second = cache.page("k", "C2", "T2", lambda: render("C2", "T2"))
    assert first == page("C1", "T1") and second == page("C2", "T2")
    assert len(renders) == 1


def test_other_keys_are_other_pages():
    cache = BlankFormCache()
    cache.page("fi", "C", "T", lambda: page("C", "T", "suomi"))
    assert "svenska" in cache.page("sv", "C", "T", lambda: page("C", "T", "svenska"))
    assert len(cache) == 2


def test_a_page_whose_tokens_are_ambiguous_is_not_kept():
    cache = BlankFormCache()
    cache.page("k", "C", "T", lambda: page("C", "T", body="C"))  # the csrf value twice
    assert len(cache) == 0


def test_the_cache_is_bounded():
    cache = BlankFormCache(max_entries=3)
    for i in range(10):
        cache.page(i, "C", "T", lambda: page("C", "T"))
        assert len(cache) <= 3
