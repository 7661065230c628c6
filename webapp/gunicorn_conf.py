"""Gunicorn settings. Every value can be overridden with the environment variable named."""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
# Sync workers: each request is a short database transaction; scale with processes.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so slow leaks can't grow without bound.
max_requests = 20000
max_requests_jitter = 2000
# Logs go to stdout; access logs carry no query strings with answers (all answers are POSTed).
# The app logs each request itself as a JSON line with its request id (surveys.logs).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "surveys.logs.JsonFormatter", "service": "web"}},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                          "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
        # Access lines hold IP addresses and raw paths: off unless GUNICORN_ACCESS_LOG is set.
        "gunicorn.access": {"level": "INFO" if accesslog else "CRITICAL",
                            "handlers": ["json"] if accesslog else [], "propagate": False},
    },
}
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
