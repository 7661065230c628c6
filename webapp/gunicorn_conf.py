"""Gunicorn settings, from surveys.infra.settings.Settings (the README's configuration table)."""

import ctypes
import gc

from surveys.infra.settings import Settings

settings = Settings.from_env()

bind = settings.gunicorn_bind()
# Sync workers: each request is a short database transaction; scale with processes.
workers = settings.gunicorn_workers()
timeout = settings.gunicorn_timeout
graceful_timeout = 20
keepalive = 5
# The app is imported once in the master and forked: the workers share its pages (Python,
# Flask, SQLAlchemy, Babel, the templates) instead of each loading its own copy
# (docs/performance.md, memory). Nothing is connected at import: engines and Redis are
# created on first use, in each worker.
preload_app = True


def when_ready(server):
    """In the master, after the app is loaded and before the first worker is forked.

    First what every worker would otherwise load for itself on its first requests (the
    templates, the database driver, and what serving a few public pages initialises:
    webapp.preload; the connections those pages opened are closed again). Then move every
    object the master holds out of the garbage collector's reach (gc.freeze): otherwise each
    worker's first full collection writes to the header of every object inherited from the
    master and so copies nearly all of its pages (measured on 5 workers: 280-320 MB PSS
    instead of about 200 MB; docs/performance.md, memory). The objects stay alive and
    reachable as before; only the collector's traversal skips them (they were loaded once and
    live as long as the process)."""
    if server.cfg.preload_app:
        from webapp.preload import warm, warm_requests

        warm(server.app.wsgi())
        warm_requests(server.app.wsgi())
    gc.collect()
    gc.freeze()
    _return_free_pages()


def _return_free_pages() -> None:
    """Give the free pages of the master's C heap back to the system (glibc's malloc_trim)
    before the fork. What the imports and the warm-up freed stays resident otherwise: in the
    master, and, where a worker's allocations reuse it, copied into that worker too (measured:
    about 3 MB less PSS for the web tier with 5 workers; docs/performance.md, memory). A no-op
    where the C library has no malloc_trim (musl, macOS)."""
    try:
        # The symbols the process already has (the C library's among them): no search for the
        # library, which ctypes.util.find_library does by running ldconfig.
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


# Gunicorn's control socket would go to ~/.gunicorn, shared by every instance on the machine;
# Palaute does not use it.
control_socket_disable = True
# Recycle workers now and then so slow leaks can't grow without bound.
max_requests = 20000
max_requests_jitter = 2000
# Logs go to stdout; access logs carry no query strings with answers (all answers are POSTed).
# The app logs each request itself as a JSON line with its request id (surveys.infra.logs).
accesslog = settings.gunicorn_access_log or None
errorlog = "-"
loglevel = settings.log_level
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "surveys.infra.logs.JsonFormatter", "service": "web"}},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                          "stream": "ext://sys.stderr"}},
    "root": {"level": settings.log_level.upper(), "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": settings.log_level.upper(), "handlers": ["json"],
                           "propagate": False},
        # Access lines hold IP addresses and raw paths: off unless GUNICORN_ACCESS_LOG is set.
        "gunicorn.access": {"level": "INFO" if accesslog else "CRITICAL",
                            "handlers": ["json"] if accesslog else [], "propagate": False},
    },
}
forwarded_allow_ips = settings.forwarded_allow_ips
