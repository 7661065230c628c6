"""What a queued release job cuts (workers.jobs._cut_survey with `what`): the integration
tests of `--enqueue` cut a first release, which CUT_DUE would cut as well, so they pass with
`what` ignored by the worker."""

from datetime import datetime

import pytest

from surveys.infra import queue
from workers import jobs


class _Survey:
    slug = "s"


@pytest.fixture
def calls(monkeypatch):
    got: list[str] = []

    class Cut:
        id = 7

    def cut(session, survey, moment):
        got.append("release")
        return Cut()

    def cut_units(session, survey, moment, mode):
        got.append("units")
        return Cut()

    monkeypatch.setattr(jobs.releases, "due", lambda *a: False)  # not due: last cut < 24 h ago
    monkeypatch.setattr(jobs.releases, "cut", cut)
    monkeypatch.setattr(jobs.unit_report, "releasable", lambda s: True)
    monkeypatch.setattr(jobs.unit_report, "cut_if_closed", cut_units)
    return got


@pytest.mark.parametrize(("what", "expected"), [
    (queue.CUT_DUE, ["units"]),              # the hourly job: the release only when due
    (queue.CUT_NOW, ["release", "units"]),   # `results release --enqueue`: now, due or not
    (queue.CUT_UNITS, ["units"]),            # `surveys close --enqueue`: the units alone
])
def test_a_release_job_cuts_what_it_was_queued_for(calls, what, expected):
    jobs._cut_survey(None, _Survey(), "daily", datetime(2099, 1, 1), what)
    assert calls == expected


def test_units_alone_even_when_the_release_is_due(calls, monkeypatch):
    monkeypatch.setattr(jobs.releases, "due", lambda *a: True)
    jobs._cut_survey(None, _Survey(), "daily", datetime(2099, 1, 1), queue.CUT_UNITS)
    assert calls == ["units"]
