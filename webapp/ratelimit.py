"""The limit on public submissions: RATE_LIMIT_SUBMIT survey answers per client and survey.

Flask-Limiter counts, in the same Redis as the queue, the POSTs to a survey form
(`respond.survey`) per client address (webapp.clients: behind trusted proxies only) and survey.
Nothing else is limited: the form's GET, the thank-you and privacy pages, results and the API
cost no write and hold no answers. Why the default is what it is: docs/security.md.

- Over the limit, the respondent's blueprint answers 429 with the form, the typed answers and
  the same one-time token (webapp.respond.views), and `Retry-After` from `retry_after_s`.
- The counter's key is an HMAC (keyed from SECRET_KEY) of the address and the survey, so Redis
  never holds an address; it expires with its window. Flask-Limiter's own log line naming the
  key is dropped (the request log already records the 429 and the survey, never an address).
- Redis down: the limit is skipped (`swallow_errors`) and the answer is taken, as a submission
  is taken when the fold can't be scheduled. Redis is reached with short timeouts.
- `off` builds no limiter at all (the benchmark measures the server, not the limiter).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse_many

from surveys.infra import queue
from surveys.infra.redis import no_client_setinfo, planned_url
from surveys.infra.settings import Settings

from . import clients
from .extensions import settings

LIMITED_ENDPOINT = "respond.survey"
KEY_PREFIX = "palaute-rl"
# Retry-After when the window can't be read (Redis gone between the count and the answer).
FALLBACK_RETRY_AFTER_S = 60
_EXTENSION = "palaute_limiter"
_KEY = "palaute_ratelimit_key"


def is_off(value: str) -> bool:
    return value.strip().lower() in ("off", "0", "none", "")


def check_notation(value: str) -> None:
    """Raise ValueError naming RATE_LIMIT_SUBMIT unless it is `off` or Flask-Limiter's notation."""
    if is_off(value):
        return
    try:
        parse_many(value)
    except ValueError as exc:
        raise ValueError(f"RATE_LIMIT_SUBMIT={value!r}: expected Flask-Limiter's notation, e.g. "
                         "`60/minute;2000/hour`, or `off`") from exc


def storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a redis-py URL (`unix://` is `redis+unix://` there)."""
    return "redis+" + redis_url if redis_url.startswith("unix://") else redis_url


def _hmac_key() -> bytes:
    key = current_app.extensions.get(_KEY)
    if key is None:
        secret = current_app.secret_key
        secret_bytes = secret.encode() if isinstance(secret, str) else secret
        key = current_app.extensions[_KEY] = hmac.new(secret_bytes, b"palaute-ratelimit",
                                                      hashlib.sha256).digest()
    return key


def client_survey_key() -> str:
    """The counter's key: an HMAC of the client's address (IPv6: its /64) and the survey."""
    # The embedded Redis (no REDIS_URL) is started by the first process that needs it.
    queue.redis_url(settings())
    who = clients.rate_key(clients.client_address())
    slug = (request.view_args or {}).get("slug", "")
    return hmac.new(_hmac_key(), f"{who}\x00{slug}".encode(), hashlib.sha256).hexdigest()[:32]


class _QuietLimiterLog(logging.Filter):
    """Flask-Limiter's breach line names the key: drop it. Its "storage unreachable" errors come
    with a traceback on every request while Redis is down: keep one warning line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("ratelimit "):
            return False
        if record.exc_info:
            exc = record.exc_info[1]
            record.msg, record.args = "%s (%s)", (record.getMessage(), type(exc).__name__)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_log_filter = _QuietLimiterLog()


def init_app(app: Flask, app_settings: Settings) -> None:
    """Limit `respond.survey` POSTs (call after the blueprints are registered)."""
    value = app_settings.rate_limit_submit
    check_notation(value)
    if is_off(value):
        return
    limiter_log = logging.getLogger("flask-limiter")
    if _log_filter not in limiter_log.filters:
        limiter_log.addFilter(_log_filter)
    limiter = Limiter(
        key_func=client_survey_key,
        storage_uri=storage_uri(planned_url(app_settings)),
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1,
                         **no_client_setinfo()},
        # Smooth over window edges: no double burst where two fixed windows meet.
        strategy="sliding-window-counter",
        key_prefix=KEY_PREFIX,
        headers_enabled=False,
        swallow_errors=True,
    )
    limiter.init_app(app)
    app.extensions[_EXTENSION] = limiter
    view = app.view_functions[LIMITED_ENDPOINT]
    app.view_functions[LIMITED_ENDPOINT] = limiter.limit(value, methods=["POST"])(view)


def retry_after_s() -> int:
    """Seconds until the breached limit of this request lets the client send again."""
    limiter: Limiter | None = current_app.extensions.get(_EXTENSION)
    breached = limiter.current_limit if limiter is not None else None
    if breached is None:
        return FALLBACK_RETRY_AFTER_S
    try:
        return max(1, int(breached.reset_at - time.time()))
    except Exception:  # the storage went away since the count: a sensible default
        return FALLBACK_RETRY_AFTER_S
