"""Blank survey forms as rendered, reused with fresh tokens.

A blank form is the same page for every respondent except for its two tokens, and rendering it
was the largest single cost of a response (docs/performance.md). The page is rendered once with
its real tokens, the tokens are swapped for sentinels, and each later visitor gets a copy with
their own tokens put back. Forms with answers or errors are always rendered afresh.

The key is everything the page depends on: the survey's fingerprint (its texts and state), the
page language, the host (absolute links), the county list and the query arguments the page's
links carry on (`webapp.i18n.KEPT_QUERY_ARGS`, already filtered and validated). Nothing else of
the request reaches the page, so one visitor's URL can't change what the next one is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

_CSRF_MARK, _TOKEN_MARK = "\x00csrf\x00", "\x00submission\x00"


class BlankFormCache:
    def __init__(self, max_entries: int = 256):
        self.max_entries = max_entries
        self._pages: dict[Hashable, str] = {}

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        self._pages.clear()

    def page(self, key: Hashable, csrf: str, token: str, render: Callable[[], str]) -> str:
        """The page for `key` with these tokens in it; `render()` makes it on a miss (it must
        contain each token exactly once to be kept)."""
        kept = self._pages.get(key)
        if kept is not None:
            return kept.replace(_CSRF_MARK, csrf).replace(_TOKEN_MARK, token)
        html = render()
        if html.count(csrf) == 1 and html.count(token) == 1:
            if len(self._pages) >= self.max_entries:
                self._pages.clear()
            self._pages[key] = html.replace(csrf, _CSRF_MARK).replace(token, _TOKEN_MARK)
        return html


# One per process, shared by the respondent views.
blank_forms = BlankFormCache()
