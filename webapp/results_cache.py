"""Public results (pages, JSON, CSV, XLSX) cached per process and by any shared cache between.

A results view depends on its survey (texts: the snapshot's fingerprint), the request (path,
query, language) and the survey's published figures, whose version is one cheap statement
(surveys.report.published.versions: the latest release, or under `live` the results stamp the
worker replaces when it folds responses). So:

- the answer is kept per process under all of that, and served again without computing anything
  (a cached answer runs one statement, two if the survey's snapshot is re-read): it costs the
  same with a thousand or a million responses behind it;
- one entry per view (survey, path, query, language): a newer answer of the same view replaces
  the older one, whose figures are never served again (versions only move forward), and the
  entries together are bounded in bytes. Keyed by version instead, a results API polled while
  responses were folded every second kept one dead copy per fold, up to the entry bound: about
  10 MB in each web worker (docs/performance.md, memory);
- it carries an `ETag` made of the same key, and `Cache-Control: public, max-age=60`, so that a
  county's intranet proxy and browsers may keep it for a minute and then revalidate; a matching
  `If-None-Match` is answered `304 Not Modified` without a body.

- the web workers share what they computed, through Redis (`_Shared`): an answer one worker made
  for a view and version is served by the others from there instead of each computing it
  again. Besides the CPU, that spares each worker's memory: computing a results page the first
  time in a process writes to about 4 MB of the pages it shares with the preloading master,
  serving a finished one to under 1 MB (docs/performance.md, memory). Redis that does not
  answer only means each worker computes for itself;

Only public aggregated results go through here (never admin pages, which are `no-store`), and
only successful answers are kept. Such a response sets no cookie (webapp.i18n leaves the
language cookie off a public cacheable page), so a shared cache never hands one reader's cookie
to another.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from threading import Lock

import redis
from flask import Response, g, make_response, request

from surveys.definitions.snapshots import SurveySnapshot
from surveys.report.published import distinct, versions

from .extensions import get_db, get_redis, settings

log = logging.getLogger(__name__)

CACHE_CONTROL = "public, max-age=60"
MAX_ENTRIES = 512
# Per web process: a results page with its charts is 20-60 kB, the API's JSON a few kB.
MAX_BYTES = 8 * 1024 * 1024

# Shared through Redis: one hash per version of the published figures (all surveys of the view),
# a field per view. Bounded: at most SHARED_VIEWS views per version (the query string is part of
# a view, and any reader may write one) of at most SHARED_MAX_BYTES each (the large exports stay
# per process), and a version's hash lives SHARED_TTL_S after its last new view.
SHARED_PREFIX = "palaute:results:"
SHARED_VIEWS = 128
SHARED_MAX_BYTES = 256 * 1024
SHARED_TTL_S = 900

_Answer = tuple[bytes, int, list[tuple[str, str]]]


class _Kept:
    """A bounded LRU of finished answers, one per view: {view: (version, answer)}, at most
    `size` entries and `max_bytes` of bodies."""

    def __init__(self, size: int, max_bytes: int = MAX_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[str, _Answer]] = OrderedDict()
        self._bytes = 0
        self._lock = Lock()

    def get(self, view: str, version: str) -> _Answer | None:
        with self._lock:
            item = self._items.get(view)
            if item is None or item[0] != version:
                return None
            self._items.move_to_end(view)
            return item[1]

    def put(self, view: str, version: str, answer: _Answer) -> None:
        size = len(answer[0])
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(view, None)
            if old is not None:
                self._bytes -= len(old[1][0])
            self._items[view] = (version, answer)
            self._bytes += size
            while len(self._items) > self.size or self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped[0])

    @property
    def bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


kept = _Kept(MAX_ENTRIES)


class _Shared:
    """Finished answers in Redis, for every web process: {version: {view: answer}}."""

    # Add the view only while the version's hash has room, and keep the hash alive from then.
    _PUT = """
    if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
    return 1
    """

    @staticmethod
    def _encode(answer: _Answer) -> bytes:
        body, status, headers = answer
        return json.dumps([status, headers]).encode() + b"\n" + body

    @staticmethod
    def _decode(raw: bytes) -> _Answer | None:
        head, sep, body = raw.partition(b"\n")
        try:
            status, headers = json.loads(head)
        except ValueError:
            return None
        if not sep or not isinstance(status, int) or not isinstance(headers, list):
            return None
        return body, status, [(str(k), str(v)) for k, v in headers]

    def get(self, view: str, version: str) -> _Answer | None:
        try:
            raw = get_redis().hget(SHARED_PREFIX + version, view)
        except (redis.RedisError, OSError) as exc:
            log.debug("shared results cache unavailable: %s", type(exc).__name__)
            return None
        return None if raw is None else self._decode(raw)

    def put(self, view: str, version: str, answer: _Answer) -> None:
        if len(answer[0]) > SHARED_MAX_BYTES:
            return
        try:
            get_redis().eval(self._PUT, 1, SHARED_PREFIX + version, view, self._encode(answer),
                             SHARED_VIEWS, SHARED_TTL_S)
        except (redis.RedisError, OSError) as exc:
            log.debug("shared results cache unavailable: %s", type(exc).__name__)


shared = _Shared()


def forget(conn: redis.Redis | None = None) -> None:
    """Drop the answers this process keeps and, given a Redis connection, the shared ones
    (tests that must see an answer computed)."""
    kept.clear()
    if conn is not None:
        keys = list(conn.scan_iter(match=SHARED_PREFIX + "*"))
        if keys:
            conn.delete(*keys)


_KEPT_HEADERS = ("Content-Type", "Content-Disposition")


def _keys(surveys: Sequence[SurveySnapshot]) -> tuple[str, str, bool]:
    """(view, version, shareable): what is asked, and the texts and published figures it is
    answered from; the ETag is both. Shareable (through Redis, with the other processes) when
    every survey's figures have a version no other database state has: a release (its id and
    time), or under `live` a results stamp (random, replaced by every fold). A survey never
    folded has no stamp: its answer stays in this process."""
    mode = settings().results_release
    found = versions(get_db(), list(surveys), mode)
    view = [settings().database_url, request.path, g.get("lang", ""), mode,
            *sorted(f"{k}={v}" for k, v in request.args.items(multi=True)),
            *(str(s.id) for s in surveys)]
    version = [f"{s.id}:{s.fingerprint}:{found.get(s.id, '')}" for s in surveys]
    shareable = all(distinct(found.get(s.id, "")) for s in surveys)
    return _digest(view), _digest(version), shareable


def _digest(parts: list[str]) -> str:
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


def public(surveys: Sequence[SurveySnapshot], build: Callable[[], object]) -> Response:
    """The answer `build()` makes, kept per (request, surveys and their published figures)."""
    view, version, shareable = _keys(surveys)
    etag = view + version
    if request.if_none_match.contains(etag):
        resp = Response(status=304)
    else:
        item = kept.get(view, version)
        if item is None and shareable:
            item = shared.get(view, version)
            if item is not None:
                kept.put(view, version, item)
        if item is None:
            resp = make_response(build())
            if resp.status_code != 200:
                return resp
            headers = [(k, v) for k, v in resp.headers.items() if k in _KEPT_HEADERS]
            answer = (resp.get_data(), resp.status_code, headers)
            kept.put(view, version, answer)
            if shareable:
                shared.put(view, version, answer)
        else:
            body, status, headers = item
            resp = Response(body, status=status, headers=headers)
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    return resp
