"""Public results (pages, JSON, CSV, XLSX) cached per process and by any shared cache between.

A results view depends on its survey (texts: the snapshot's fingerprint), the request (path,
query, language) and the survey's published figures, whose version is one cheap statement
(surveys.report.published.versions: the latest release, or under `live` the results stamp the
worker replaces when it folds responses). So:

- the answer is kept per process under all of that, and served again without computing anything
  (a cached answer runs one statement, two if the survey's snapshot is re-read): it costs the
  same with a thousand or a million responses behind it;
- it carries an `ETag` made of the same key, and `Cache-Control: public, max-age=60`, so that a
  county's intranet proxy and browsers may keep it for a minute and then revalidate; a matching
  `If-None-Match` is answered `304 Not Modified` without a body.

Only public aggregated results go through here (never admin pages, which are `no-store`), and
only successful answers are kept. Such a response sets no cookie (webapp.i18n leaves the
language cookie off a public cacheable page), so a shared cache never hands one reader's cookie
to another.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from threading import Lock

from flask import Response, g, make_response, request

from surveys.definitions.snapshots import SurveySnapshot
from surveys.report.published import versions

from .extensions import get_db, settings

CACHE_CONTROL = "public, max-age=60"
MAX_ENTRIES = 512


class _Kept:
    """A bounded LRU of finished answers: {key: (body, status, headers)}."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[bytes, int, list[tuple[str, str]]]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: str):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, item) -> None:
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


kept = _Kept(MAX_ENTRIES)
_KEPT_HEADERS = ("Content-Type", "Content-Disposition")


def _key(surveys: Sequence[SurveySnapshot]) -> str:
    mode = settings().results_release
    found = versions(get_db(), list(surveys), mode)
    parts = [settings().database_url, request.path, g.get("lang", ""), mode,
             *sorted(f"{k}={v}" for k, v in request.args.items(multi=True))]
    parts += [f"{s.id}:{s.fingerprint}:{found.get(s.id, '')}" for s in surveys]
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


def public(surveys: Sequence[SurveySnapshot], build: Callable[[], object]) -> Response:
    """The answer `build()` makes, kept per (request, surveys and their published figures)."""
    key = _key(surveys)
    if request.if_none_match.contains(key):
        resp = Response(status=304)
    else:
        item = kept.get(key)
        if item is None:
            resp = make_response(build())
            if resp.status_code != 200:
                return resp
            headers = [(k, v) for k, v in resp.headers.items() if k in _KEPT_HEADERS]
            kept.put(key, (resp.get_data(), resp.status_code, headers))
        else:
            body, status, headers = item
            resp = Response(body, status=status, headers=headers)
    resp.set_etag(key)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    return resp
