"""Structured logs: one JSON object a line, with the request id that caused it.

Log records carry only what operators need (route, status, timing, counts). Answers, form
fields, query strings and tokens are never passed to a logger, and only whitelisted `extra`
fields are written, so a careless `extra=` can't leak them either.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import IO, Any

# The id of the request (web) or job (worker) being handled, for every line logged meanwhile.
request_id_var: ContextVar[str | None] = ContextVar("palaute_request_id", default=None)
# Set while handling a submission (a POST) or a job it scheduled: lines logged meanwhile carry
# their time to the minute only, so logs can't time a response finer than operations need
# (docs/reliability.md, "Logs").
coarse_time_var: ContextVar[bool] = ContextVar("palaute_coarse_time", default=False)


def timestamp(created: float, msecs: float, coarse: bool = False) -> str:
    """A log line's time in UTC: to the millisecond, or to the minute for submissions."""
    if coarse:
        return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(created))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(msecs):03d}Z"

SAFE_FIELDS = ("method", "route", "endpoint", "lang", "survey", "status", "duration_ms",
               "folded", "deleted", "pending", "job_id", "retry_after", "survey_id", "error_type",
               "county", "submissions", "baseline", "hour")
_MARK = "_palaute_json"


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "palaute", **kwargs: Any) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": timestamp(record.created, record.msecs, coarse_time_var.get()),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for name in SAFE_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class JsonLinesStream(io.TextIOBase):
    """Wraps stderr/stdout so that text written around logging (a traceback printed by a child
    process or thread, a warning) still comes out as JSON lines, one record per line."""

    def __init__(self, target: IO[str], service: str) -> None:
        self.target = target
        self.service = service
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if not line.startswith("{"):
                line = json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                   "level": "error", "service": self.service,
                                   "logger": "stderr", "msg": line, "request_id": None},
                                  ensure_ascii=False)
            self.target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()


def capture_stray_output(service: str) -> None:
    """For worker processes: route anything printed outside logging through JSON lines too."""
    if not isinstance(sys.stderr, JsonLinesStream):
        sys.stderr = JsonLinesStream(sys.__stderr__ or sys.stderr, service)
    if not isinstance(sys.stdout, JsonLinesStream):
        sys.stdout = JsonLinesStream(sys.__stdout__ or sys.stdout, service)


def configure(service: str, level: int | str = logging.INFO,
              stream: IO[str] | None = None) -> None:
    """Send the root logger's records to `stream` (stderr) as JSON lines. Idempotent: replaces
    a handler added earlier by this function, leaves other handlers (e.g. pytest's) alone."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # RQ logs every job it starts and ends at INFO: routine, so shown only at DEBUG.
    quiet = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for name in ("rq.worker", "rq.cron", "rq.scheduler", "rq.job", "rq.queue"):
        logging.getLogger(name).setLevel(quiet)
