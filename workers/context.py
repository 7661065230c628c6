"""The worker process's settings: built once at start-up (workers.run, workers.scheduler) and
inherited by the work horses RQ forks for each job.

A job run by some other worker (`rq worker`, a test's SimpleWorker) finds none set and reads
the environment once, as any other edge would.
"""

from __future__ import annotations

from surveys.infra.settings import Settings

_settings: Settings | None = None


def use(settings: Settings) -> None:
    global _settings
    _settings = settings


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings
