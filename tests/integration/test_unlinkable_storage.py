"""Unlinkable storage (issue 10, finding 4): nothing in how responses are stored follows the order
in which they arrived, and a one-time form token's receipt can't be joined to its response.

Responses are submitted in a known order (the order is written into each answer, for the test
only) and folded one by one, the worst case: a fold after every submission. Then the physical
order of `responses` (SQLite rowid, PostgreSQL ctid), the inserting transaction of each row
(PostgreSQL xmin) and the receipts are compared with that order. The fold's shuffle is seeded
here (an injected random.Random), so the outcome does not depend on luck; in production it is
random.SystemRandom.
"""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from sqlalchemy import select, text

from surveys.collect import store
from surveys.collect.answers import Checked
from surveys.definitions import lifecycle
from surveys.fold import aggregation
from surveys.infra import clock
from surveys.models import PendingResponse, Response, Survey
from tests.conftest import fold_concurrently

N = 42
K = 5  # the demo survey's min_group_size


def _token(i: int) -> str:
    return f"one-time-form-token-{i:03d}"


def _submit_in_order(session_factory, slug: str, n: int, seed: int) -> int:
    """Submit n responses in order 0..n-1, folding after each one. Returns the survey id."""
    rng = random.Random(seed)
    with session_factory() as s:
        survey = s.scalar(select(Survey).where(Survey.slug == slug))
        assert survey.min_group_size == K
        for i in range(n):
            checked = Checked(answers={"recommend": i % 11, "comment": f"arrival {i:03d}"},
                              region="17")
            assert store.store_response(s, survey, "fi", checked, _token(i), clock.today())
            assert aggregation.fold_pending(session_factory, rng=rng) == 1
        return survey.id


def _arrival(answers: dict) -> int:
    return int(answers["comment"].split()[1])


def _physical_order(session) -> str:
    return "ctid" if session.get_bind().dialect.name == "postgresql" else "rowid"


def _stored_in_order(session) -> list[tuple[int, str | None]]:
    """(arrival, xmin or None) of each row of `responses`, in physical order."""
    pg = session.get_bind().dialect.name == "postgresql"
    xmin = "xmin::text" if pg else "NULL"
    order = _physical_order(session)
    rows = session.execute(text(f"SELECT answers, {xmin} FROM responses ORDER BY {order}"))
    return [(_arrival(a if isinstance(a, dict) else json.loads(a)), x) for a, x in rows]


def _receipts_in_order(session) -> list[tuple[int, str | None]]:
    """(arrival, xmin or None) of each receipt, in physical order."""
    pg = session.get_bind().dialect.name == "postgresql"
    xmin = "xmin::text" if pg else "NULL"
    order = _physical_order(session)
    by_hash = {store.token_hash(_token(i)): i for i in range(N)}
    rows = session.execute(text(
        f"SELECT token_hash, {xmin} FROM submission_receipts ORDER BY {order}"))
    return [(by_hash[h], x) for h, x in rows]


def test_storage_order_and_transactions_do_not_follow_arrival(demo_survey, session_factory):
    survey_id = _submit_in_order(session_factory, demo_survey, N, seed=20261201)
    with session_factory() as s:
        stored = _stored_in_order(s)
        held = [_arrival(a) for a in s.scalars(select(PendingResponse.answers))]
        # Every response was counted at once; all but the last few were moved.
        assert aggregation.pending_count(s) == 0
        assert len(stored) + len(held) == N
        assert K <= len(held) < 2 * K
        assert len(stored) >= N - 2 * K
        arrivals = [a for a, _ in stored]

        # Position: not arrival order, nor close to it. (Before the holding table, rowid and
        # ctid order *was* arrival order.)
        assert arrivals != sorted(arrivals)
        inversions = sum(1 for i in range(len(arrivals)) for j in range(i + 1, len(arrivals))
                         if arrivals[i] > arrivals[j])
        assert inversions >= len(arrivals) // 2, arrivals
        # Batches are not windows of arrival either: the responses kept back are drawn at
        # random, so some batch holds a response that arrived before another batch's.
        # Every batch moved is at least min_group_size: cut the physical order into the batches
        # the fold moved (on PostgreSQL the xmin groups tell them apart; see below).
        if s.get_bind().dialect.name == "postgresql":
            groups = Counter(x for _, x in stored)
            assert min(groups.values()) >= K, groups
            assert len(groups) >= 2
            # No batch is in arrival order inside (deterministic with the seeded shuffle; a
            # sorted batch of 5 has a chance of 1/120).
            by_batch: dict[str, list[int]] = {}
            for a, x in stored:
                by_batch.setdefault(x, []).append(a)
            in_order = [b for b in by_batch.values() if b == sorted(b)]
            assert len(in_order) <= len(by_batch) // 3, by_batch

        # The receipts follow arrival (rowid / ctid; on PostgreSQL but for space reused after
        # earlier deletes), which is why nothing may link them: ranking receipts and responses
        # side by side (the attack that worked before) matches almost none of them.
        receipts = _receipts_in_order(s)
        assert sorted(a for a, _ in receipts) == list(range(N))
        matches = sum(1 for (r, _), a in zip(receipts, arrivals, strict=False) if r == a)
        assert matches <= len(arrivals) // 4, (receipts, arrivals)
        if s.get_bind().dialect.name == "postgresql":
            # ... and no response, held or moved, shares a transaction with any receipt: the
            # receipt's xmin is its submission's, the response's is the fold's that moved it.
            receipt_xmins = {x for _, x in receipts}
            assert not receipt_xmins & {x for _, x in stored}
            held_xmins = set(s.scalars(text("SELECT xmin::text FROM pending_responses")))
            assert not receipt_xmins & held_xmins
    assert survey_id


def test_held_rows_have_no_rowid_on_sqlite(demo_survey, session_factory):
    _submit_in_order(session_factory, demo_survey, 3, seed=1)
    with session_factory() as s:
        if s.get_bind().dialect.name != "sqlite":
            pytest.skip("SQLite's rowid; PostgreSQL's ctid is covered above")
        with pytest.raises(Exception, match="rowid"):
            s.execute(text("SELECT rowid FROM pending_responses")).all()


def test_small_survey_waits_then_moves_whole_when_closed(demo_survey, session_factory):
    """Fewer than 2 x min_group_size responses are never moved while the survey is open (a batch
    would be small); at close they are all moved at once, and nothing is counted twice."""
    _submit_in_order(session_factory, demo_survey, 2 * K - 1, seed=2)
    with session_factory() as s:
        assert s.scalar(select(Response.id)) is None
        assert aggregation.stored_count(s) == 2 * K - 1
        ids = [s.scalar(select(Survey.id))]
        before = aggregation.stored_counts(s, ids)
        assert aggregation.recount(s, ids) == before
        lifecycle.close(s, demo_survey)
        s.commit()
        # The sweep sees a closed survey's held responses and schedules a fold.
        assert aggregation.pending_count(s) == 0 and aggregation.waiting_to_move(s) == 1
    assert aggregation.fold_pending(session_factory) == 0  # nothing new to count...
    with session_factory() as s:
        # ... but everything moved, in one batch, and still counted once.
        assert s.scalar(select(PendingResponse.id)) is None
        assert aggregation.stored_count(s) == 2 * K - 1
        assert aggregation.waiting_to_move(s) == 0
        assert aggregation.stored_counts(s, ids) == before == aggregation.recount(s, ids)
        if s.get_bind().dialect.name == "postgresql":
            assert s.scalar(text("SELECT count(DISTINCT xmin::text) FROM responses")) == 1


def test_every_batch_is_at_least_min_group_size_under_concurrent_folds(demo_survey,
                                                                       session_factory):
    """Four folds at once over 60 waiting responses: each survey is moved by one fold at a time
    (its row lock), so no batch is split below min_group_size and nothing is counted twice."""

    with session_factory() as s:
        survey = s.scalar(select(Survey).where(Survey.slug == demo_survey))
        for i in range(60):
            checked = Checked(answers={"recommend": 3, "comment": f"arrival {i:03d}"},
                              region="17")
            assert store.store_response(s, survey, "fi", checked, _token(i), clock.today())
        sid = survey.id
    folded = fold_concurrently(session_factory, batch_size=4)
    assert folded == 60
    with session_factory() as s:
        assert aggregation.stored_count(s) == 60
        assert aggregation.recount(s, [sid]) == aggregation.stored_counts(s, [sid])
        if s.get_bind().dialect.name == "postgresql":
            groups = s.execute(text(
                "SELECT count(*) FROM responses GROUP BY xmin::text")).scalars().all()
            assert groups and min(groups) >= K, groups
