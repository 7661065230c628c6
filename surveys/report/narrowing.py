"""Sets of cells the published counts and reasons pin or narrow below the size rule, of any
shape: the gate of the published figures (`narrowing_figures`, surveys.report.disclosure.
publish) and reasons (`narrowing_reasons`, disclosure.audited_reasons), and the operator's
check (`narrowed_everywhere`, `palaute disclosure audit`). See `narrowed_search`."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint
from scipy.sparse import csr_matrix, hstack, identity, vstack

from .audit import (
    ALL_MONTHS,
    RESPONDENTS,
    SIZE,
    Figure,
    Group,
    N,
    Reasons,
    Table,
    protected,
    reason_bounds,
)
from .derivable import MOST, MULTIPLIER, TIME_LIMIT, excluding, indicators, solve, values_of

log = logging.getLogger(__name__)


@dataclass
class Narrowed:
    """A set of cells whose range the published sums of `key` break the size rule for: its
    cells (the table's keys), and its range (`low`, `high`) computed directly."""

    key: str
    cells: list[tuple[str, ...]]
    low: float
    high: float
    # The published groups whose sums bound the range (nonzero duals of its two programs),
    # each with its key (the set's own; the respondents' for a question's set; a question's
    # for the respondents' set, `bounding_keys`): where the gate hides one to widen it
    # (surveys.report.disclosure, `fix_sets`).
    through: list[tuple[Group, str]] = field(default_factory=list)

    def of(self, key: str) -> Narrowed:
        """The same set for `key`, whose search this one stands for (the same figures: a
        memo hit, `signature`): its own groups bound it, not the searched key's (a review of
        the 8 December session: hiding the searched key's group widened nothing)."""
        return replace(self, key=key, through=[(g, key if of == self.key else of)
                                               for g, of in self.through])


def narrowed_sets(table: Table, published: Mapping[Figure, float], key: str = RESPONDENTS,
                  most: int = MOST, time_limit: float | None = None,
                  reasons: Reasons | None = None,
                  earlier: Sequence[Mapping[Figure, float]] = (),
                  floors: Mapping[Figure, float] | None = None) -> list[Narrowed]:
    """`narrowed_search`'s sets (whether or not it was decided)."""
    return narrowed_search(table, published, key, most, time_limit, reasons, earlier,
                           floors)[0]


def narrowed_everywhere(table: Table, published: Mapping[Figure, float],
                        reasons: Reasons | None = None,
                        earlier: Sequence[Mapping[Figure, float]] = ()
                        ) -> tuple[list[Narrowed], list[str]]:
    """Every counted key's sets (the respondents, then each question; `narrowed_search`, with
    the figures of `earlier` times, newest first) and the keys whose search could not decide:
    the operator's check of a publication or a stored release (`palaute disclosure audit`)."""
    found: list[Narrowed] = []
    undecided: list[str] = []
    for key in table.counted_keys():
        sets, stopped = narrowed_search(table, published, key,
                                        reasons=None if reasons is None else dict(reasons),
                                        earlier=earlier)
        found += sets
        undecided += [key] if stopped else []
    return found, undecided


def narrowed_search(table: Table, published: Mapping[Figure, float], key: str = RESPONDENTS,
                    most: int = MOST, time_limit: float | None = None,
                    reasons: Reasons | None = None,
                    earlier: Sequence[Mapping[Figure, float]] = (),
                    floors: Mapping[Figure, float] | None = None,
                    today_only: frozenset[str] = frozenset(), read_others: bool = True
                    ) -> tuple[list[Narrowed], bool]:
    """Sets of cells of 1 … k−1 people of `key` whose range, given the published sums of `key`
    (and its published `reasons`: below the threshold at most k − 1, protecting another at
    least k; and the invitations HR knows per unit, `Table.caps`) and that no cell is
    negative, breaks the size rule (audit.protected: narrower than k, and not from none to
    k − 1 or more, or to the set's units' invitations where fewer): pinned *or* narrowed,
    which `search` (exact derivation only) does not find.

    A range's two ends are linear programs (max and min of the set's sum subject to Ap = b,
    Gp ≤ h, p ≥ 0) whose duals are linear in the set x: its maximum is at most bᵀy + hᵀμ for
    any y, μ ≥ 0 with Aᵀy + Gᵀμ ≥ x, and its minimum at least bᵀz − hᵀλ for any z, λ ≥ 0 with
    Aᵀz − Gᵀλ ≤ x (weak duality, tight at the optimum). So one mixed-integer program per kind
    asks for x with either a minimum of at least 1 (someone proven there) and a width below
    k, or a maximum below k − 1. Each set found is confirmed by its range computed directly
    (two linear programs). Returns the sets and whether a program stopped at its time limit
    undecided (then others may exist).

    Such a set need not be a union of groups (a county's month in one language is a cell),
    which the auditor cannot hold: it is `publish`'s own gate (`narrowing_figures`, and
    `narrowing_reasons` for the reasons), the operator's audit (`palaute disclosure audit`)
    and the tests' check over generated publications.

    `earlier`: the figures of earlier times that were public (newest first; history.
    narrowed_release), each a layer of unknowns over the same cells with its own sums, every
    cell at most the same cell of the next newer layer (responses are only added), the newest
    at most today's. `floors`: counts known to be at least so large today (history.
    floors_of). The set is of today's cells. The system: `_primal` (`today_only`: the
    questions bounding the respondents whose earlier figures and floors are left out, as they
    contradict today's; `read_others` False: none of them, see the end)."""
    found, undecided, _weaker = _search(table, published, key, most, time_limit, reasons,
                                        earlier, floors, today_only, read_others)
    return found, undecided


def _search(table: Table, published: Mapping[Figure, float], key: str, most: int,
            time_limit: float | None, reasons: Reasons | None,
            earlier: Sequence[Mapping[Figure, float]], floors: Mapping[Figure, float] | None,
            today_only: frozenset[str] = frozenset(), read_others: bool = True
            ) -> tuple[list[Narrowed], bool, bool]:
    """`narrowed_search`, and whether what it decided is that of a weaker program than the
    one asked for (the other questions' blocks left out where they did not decide, or
    earlier figures left out where they contradict today's): then its "nothing found" does
    not stand for the program asked for (`narrowing_reasons`' mark)."""
    time_limit = TIME_LIMIT if time_limit is None else time_limit

    sums = _sums_of(published, key)
    values = values_of(table, key)
    k, size = table.threshold, table.size
    bounded: list[tuple[Group, float, float]] = []  # (group, sign, bound): sign·sum ≤ bound
    for (place, period, rkey), reason in (reasons or {}).items():
        if rkey == key:
            bounded += [((place, period), sign, bound)
                        for sign, bound in reason_bounds(reason, k)]
    # Nothing read of the key (no sum at any time, no floor, no reason, and for the
    # respondents no question's counts below them): every set of it ranges from none to its
    # people's most, which the size rule allows (a question's most are the respondents',
    # whose own search reads them). Floors alone narrow: earlier times left out of the cut
    # may have shown a count hidden at every time read
    # (`test_a_key_with_floors_and_no_published_figure_is_searched`).
    others = bounding_keys(table, [published, *earlier], key, floors) if read_others else []
    if values.sum() <= 0 or not (
            sums or any(_sums_of(e, key) for e in earlier) or _sums_of(floors or {}, key)
            or bounded or key == RESPONDENTS and others):
        return [], False, False
    # HR knows the invitations issued per unit (`Table.caps`): each bounds its unit's people
    # of any key, and the size rule of a set within units whose invitations are fewer than k − 1
    # is met at their sum (audit.protected).
    caps = {p: float(c) for p, c in table.caps.items() if math.isfinite(c)}
    primal = _primal(table, published, key, earlier, floors, bounded, caps, today_only,
                     others=others)
    through_of = primal.through_of
    feasible = _status(primal)
    if feasible != 0:
        if feasible == 2 and (earlier or floors):  # (2: infeasible; else the solver failed)
            # Earlier figures above today's (a rebuild that quarantined responses, rows
            # removed): as the auditor does (its `contradicted`), today's figures alone. First,
            # where the questions read with the respondents are what contradicts (their answers
            # withdrawn: `test_a_question_whose_figures_shrank_leaves_the_respondents_gated`),
            # every question's earlier figures and floors are left out, then each read again
            # where the system keeps a solution (a review of the 7 December session's seventh
            # stop: two questions contradicting only together left the respondents' own
            # earlier figures out too). A probe the solver fails is never read as an answer.
            if primal.others and not today_only:
                def status(left: set[str]) -> int:
                    return _status(_primal(table, published, key, earlier, floors, bounded,
                                           caps, frozenset(left), others=primal.others))

                left = set(primal.others)
                first = status(left)
                if first not in (0, 2):
                    return [], True, False
                if first == 0:
                    for o in primal.others:
                        got = status(left - {o})
                        if got == 0:
                            left.discard(o)
                        elif got != 2:
                            return [], True, False
                    log.warning("disclosure: earlier figures of %s do not lie under today's; "
                                "only today's read in the search of %s",
                                ", ".join(sorted(left)), _named(key), extra={"key": key})
                    found, undecided, _w = _search(table, published, key, most, time_limit,
                                                   reasons, earlier, floors, frozenset(left))
                    return found, undecided, True
            log.warning("disclosure: earlier figures do not lie under today's; sets narrowed "
                        "searched in today's figures alone", extra={"key": key})
            found, undecided, _w = _search(table, published, key, most, time_limit, reasons,
                                           (), None)
            return found, undecided, True
        # Figures with no solution (altered by hand, or today's data no longer under them),
        # or a solver that failed on them: nothing can be proven (the auditor raises on such
        # figures). A failure is never read as "no earlier times" (a review of the 7
        # December session's sixth stop: that could report a search decided that was not).
        return [], True, False
    # A question's program with the other questions' blocks is tried within a shorter limit:
    # where it does not decide, the search without them (below) takes the whole limit, and
    # at a national survey with months two questions' did not decide within 60 s
    # (bench/publish_cpu.py --served --flag questions_through_others).
    limit = min(time_limit, OTHERS_TIME_LIMIT) if primal.others and key != RESPONDENTS \
        else time_limit
    keys = list(table._index)
    program = Program(primal.a, primal.b, primal.g, primal.h, primal.width,
                      np.arange(size), values, [cell[0] for cell in keys], caps, k,
                      known=len(bounded))
    got, undecided = sets_in(program, most, limit)
    # (Today's sums only: an earlier time's figures are fixed.)
    found = [Narrowed(key, [keys[i] for i in chosen], low, high,
                      [(grp, of) for j, (grp, of, t) in enumerate(through_of)
                       if t == 0 and j in rows])
             for chosen, low, high, rows in got]
    if undecided and primal.others:
        # The other questions' blocks are a strengthening of the search as it stood before
        # the 7 December session's seventh stop; where they make it too large to decide
        # within the time limit (the respondents of a national survey's areas' months across
        # three releases, bench/history_cpu.py --gate; two questions of the served national
        # publication with months, bench/publish_cpu.py --flag questions_through_others),
        # the search without them decides what it proved before, and the sets found with
        # them still count.
        log.warning("disclosure: the search of %s reading the other questions' counts "
                    "stopped undecided; searched without them", _named(key), extra={"key": key})
        more, undecided, _w = _search(table, published, key, most, time_limit, reasons,
                                      earlier, floors, read_others=False)
        found += [s for s in more if s.cells not in [f.cells for f in found]]
        return found, undecided, True
    return found, undecided, False


@dataclass
class Program:
    """A system a set's range is the optimum of (Ap = b, Gp ≤ h, p ≥ 0, `width` unknowns)
    and the cells a set is chosen from: `columns`, their unknowns in p; `values`, their people
    in truth; `places`, the place (unit) of each, whose invitations (`caps`) bound it; `k` the
    threshold; G's rows from `known` on hold without the published reasons (the cells proven
    empty are proven from them only)."""

    a: csr_matrix
    b: np.ndarray
    g: csr_matrix
    h: np.ndarray
    width: int
    columns: np.ndarray
    values: np.ndarray
    places: list[str]
    caps: Mapping[str, float]
    k: int
    known: int = 0


def sets_in(program: Program, most: int = MOST, time_limit: float = TIME_LIMIT
            ) -> tuple[list[tuple[list[int], float, float, set[int]]], bool]:
    """The sets of `program`'s cells of 1 … k−1 people whose range breaks the size rule
    (`narrowed_search`'s docstring: one mixed-integer program per kind over the duals, each
    set found confirmed by its range computed directly), up to `most`: each as (its cells'
    positions in `columns`, low, high, the rows of A whose duals bound it), and whether a
    program stopped undecided (then others may exist)."""
    from scipy.optimize import linprog

    a, b, g, h, width_p = program.a, program.b, program.g, program.h, program.width
    values, caps, k = program.values, program.caps, program.k
    size = len(values)
    m, r = len(b), len(h)
    known = program.known
    # Only where some unit was sent fewer than k − 1 does the rule differ (else it is k − 1
    # for every set).
    places = sorted(set(program.places)) if any(c < k - 1 for c in caps.values()) else []
    q = len(places)
    # Unknowns: x (cells, 0/1), then y (m), μ (r), z (m), λ (r), and with caps t (per place,
    # 0/1: the set has cells there). x is the set on p's unknowns `columns` (`lift`).
    width = size + 2 * (m + r) + q
    eye = identity(size, format="csr")
    lift = csr_matrix((np.ones(size), (program.columns, np.arange(size))),
                      shape=(width_p, size))  # p's unknowns ← x
    nm, nr, nq = csr_matrix((width_p, m)), csr_matrix((width_p, r)), csr_matrix((width_p, q))
    cost = np.concatenate([np.ones(size), np.zeros(width - size)])
    integrality = np.concatenate([np.ones(size), np.zeros(2 * (m + r)), np.ones(q)])
    free, nonneg = np.full(m, -MULTIPLIER), np.zeros(r)
    bounds = Bounds(np.concatenate([np.zeros(size), free, nonneg, free, nonneg, np.zeros(q)]),
                    np.concatenate([np.ones(size), np.full(2 * (m + r), MULTIPLIER),
                                    np.ones(q)]))
    zeros_x, zeros_t = np.zeros(size), np.zeros(q)
    high_of = np.concatenate([zeros_x, b, h, np.zeros(m + r), zeros_t])  # bᵀy + hᵀμ
    low_of = np.concatenate([zeros_x, np.zeros(m + r), b, -h, zeros_t])  # bᵀz − hᵀλ
    base = [LinearConstraint(np.concatenate([values, np.zeros(width - size)]), 1.0, k - 1.0),
            # Aᵀy + Gᵀμ ≥ x (on the set's unknowns; ≥ 0 on the others)
            LinearConstraint(hstack([-lift, a.T, g.T, nm, nr, nq]).tocsr(), 0.0, np.inf)]
    most_of = np.zeros(width)  # the size rule's "k − 1 or more" for the set (none: k − 1)
    if q:
        # t is 1 exactly where the set has a cell: x ≤ t of its place, t ≤ the place's x.
        at = {p: j for j, p in enumerate(places)}
        place_of = csr_matrix((np.ones(size), (np.arange(size),
                                               [at[p] for p in program.places])),
                              shape=(size, q))
        gap = csr_matrix((size, 2 * (m + r)))
        base += [LinearConstraint(hstack([eye, gap, -place_of]).tocsr(), -np.inf, 0.0),
                 LinearConstraint(hstack([-place_of.T, csr_matrix((q, 2 * (m + r))),
                                          identity(q)]).tocsr(), -np.inf, 0.0)]
        most_of[size + 2 * (m + r):] = [min(caps.get(p, math.inf), k - 1.0) for p in places]
    kinds = [  # someone proven there, within fewer than k
        [LinearConstraint(hstack([-lift, nm, nr, a.T, -g.T, nq]).tocsr(), -np.inf, 0.0),
         LinearConstraint(low_of, 1e-3, np.inf),
         LinearConstraint(high_of - low_of, -np.inf, k - 1e-3)],
        # at most fewer than k − 1 (or than the invitations of its units, where fewer)
        [LinearConstraint(high_of, -np.inf, k - 1 - 1e-3),
         *([LinearConstraint(high_of - most_of, -np.inf, -1e-3)] if q else [])]]
    # (A and G go to linprog sparse: with many questions' blocks the order rows alone are
    # blocks × cells square.)

    def on_key(objective: np.ndarray) -> np.ndarray:  # an objective of x over all of p
        out = np.zeros(width_p)
        out[program.columns] = objective
        return out

    if q:
        # A cell the figures prove empty adds nothing to a set but its unit's invitations
        # (unbounded where HR knows none), which would make the rule of the set stricter than
        # the set itself: 18's 2 of 2 invited with 01's none was reported, though it tells
        # no more than 18 alone. Such cells are left out of the sets. Proven from the figures,
        # the invitations and the link only, not the reasons: the same cells with and without
        # them, so a search with reasons still finds every set one without finds
        # (`narrowing_reasons` relies on it; a review of the 7 December session's fifth stop).
        for i in np.flatnonzero(values == 0):
            objective = np.zeros(size)
            objective[i] = -1.0
            top = linprog(on_key(objective), A_eq=a, b_eq=b,
                          A_ub=g[known:] if r > known else None,
                          b_ub=h[known:] if r > known else None, bounds=(0, None))
            if top.status == 0 and -top.fun <= 1e-9:
                bounds.ub[i] = 0.0
    found: list[tuple[list[int], float, float, set[int]]] = []
    undecided = False
    for kind in kinds:
        constraints = [*base, *kind]
        while len(found) < most:
            got = solve(cost, constraints=constraints, integrality=integrality,
                        bounds=bounds, time_limit=time_limit)
            if got.x is None:
                undecided = undecided or got.status != 2
                break
            chosen = [i for i in range(size) if got.x[i] > 0.5]
            objective = np.zeros(size)
            objective[chosen] = 1.0
            ends = [linprog(sign * on_key(objective), A_eq=a, b_eq=b, A_ub=g if r else None,
                            b_ub=h if r else None, bounds=(0, None))
                    for sign in (1.0, -1.0)]
            if ends[0].status != 0 or ends[1].status not in (0, 3):
                undecided = True  # (the solver failed on a range: nothing proven)
                break
            low = ends[0].fun
            high = math.inf if ends[1].status == 3 else -ends[1].fun  # (3: unbounded)
            cap = sum(caps.get(p, math.inf) for p in {program.places[i] for i in chosen}) \
                if caps else None
            if not protected(SIZE, low, high, k, cap) and chosen not in [f[0] for f in found]:
                rows = {j for j in range(m)
                        if any(abs(e.eqlin.marginals[j]) > 1e-9 for e in ends)}
                found.append((chosen, low, high, rows))
            constraints.append(excluding(chosen, width))
    return found, undecided


def _named(key: str) -> str:
    """A counted key as the log names it."""
    return "the respondents" if key == RESPONDENTS else key


@dataclass
class _Primal:
    """The system a set's range is the optimum of (Ap = b, Gp ≤ h, p ≥ 0) over every time's
    blocks of cells (`width` unknowns, today's key block first); `through_of` names each row
    of A (group, key, time)."""

    a: csr_matrix
    b: np.ndarray
    g: csr_matrix
    h: np.ndarray
    through_of: list[tuple[Group, str, int]]
    width: int
    others: list[str]  # the other questions read (`bounding_keys`)


def _primal(table: Table, published: Mapping[Figure, float], key: str,
            earlier: Sequence[Mapping[Figure, float]], floors: Mapping[Figure, float] | None,
            bounded: list[tuple[Group, float, float]], caps: Mapping[str, float],
            today_only: frozenset[str] = frozenset(),
            others: Sequence[str] | None = None) -> _Primal:
    """`narrowed_search`'s primal: G's rows are the reasons (`bounded`, first: the rest hold
    without them), the invitations, the floors, then the order of the blocks. The other
    questions' blocks (`others`: none for [], else `bounding_keys`) have today's sums, and
    each earlier time's but `today_only`'s."""
    size = table.size

    # A question's answerers are some of the respondents, cell by cell: its program reads the
    # respondents' published counts too, as a second block of unknowns p_r with p_q ≤ p_r (a
    # review of the 7 December session's fifth stop: q shown for an area of 15 and hidden in
    # its county of 10 shown respondents, two counties' 4 answerers lay within 3 … 5 through
    # the respondents' counts, which q's own figures alone leave wide). Every other question
    # whose counts say more than the respondents' (`bounding_keys`) is one more block below
    # p_r: its answerers bound the respondents from below, and so, with a published sum,
    # other cells' respondents from above (the 7 December session's seventh stop, in the
    # respondents' program), and through them the key's answerers (the 8 December session,
    # in every question's).
    # The respondents' block is read even where none of their counts is published at any
    # time: their floors, the invitations (caps) and the other questions' counts bound them
    # too (a review of the 8 December session: unit A's 11 invited, a left-out time's 6
    # Finnish-speaking respondents and 3 Swedish-speaking answerers of q put those answerers
    # within 3 … 5, which q's program without the block missed).
    times = [published, *earlier]  # today's figures, then each earlier time's, newest first
    if others is None:
        others = bounding_keys(table, times, key, floors)
    block_keys = [key, *([RESPONDENTS] if key != RESPONDENTS else []), *others]
    per = len(block_keys)  # blocks per time: p (key), then p_r, then the other questions'
    r_block = block_keys.index(RESPONDENTS)
    blocks = per * len(times)
    width_p = blocks * size  # the primal's unknowns: each time's blocks, today's first
    # Equality rows: each time's sums of each block's key on its block; `through_of` names
    # each (group, key, time).
    a_parts, b_list, through_of = [], [], []
    for t, figures in enumerate(times):
        for b_off, of in enumerate(block_keys):
            mine = _sums_of(figures, of) if t == 0 or of not in today_only else []
            a_parts.append(_rows(table, [grp for grp, _v in mine], size, t * per + b_off,
                                 blocks))
            b_list += [v for _g, v in mine]
            through_of += [(grp, of, t) for grp, _v in mine]
    a = vstack(a_parts).tocsr()
    # A floor is a count that today's is at least (−sum ≤ −floor), on today's block of its key.
    floored = [(f[:2], block_keys.index(f[2]), -float(v)) for f, v in (floors or {}).items()
               if f[3] == N and f[2] in block_keys and f[2] not in today_only]
    # The invitations bound today's respondents (and so every question's answerers, and
    # every earlier time's).
    capped = [((p, ALL_MONTHS), 1.0, c) for p, c in sorted(caps.items())]
    eye_s = identity(size, format="csr")

    def pair(low_block: int, high_block: int) -> csr_matrix:  # p_low − p_high ≤ 0
        row = [csr_matrix((size, size))] * blocks
        row = [eye_s if i == low_block else -eye_s if i == high_block else z
               for i, z in enumerate(row)]
        return hstack(row).tocsr()

    # p_q ≤ p_r for every question's block at every time; each earlier time's cells at most
    # the next newer time's.
    ordered = [pair(t * per + b_off, t * per + r_block) for t in range(len(times))
               for b_off in range(per) if b_off != r_block]
    ordered += [pair((t + 1) * per + b_off, t * per + b_off)
                for t in range(len(times) - 1) for b_off in range(per)]
    # Those who did not answer a question only grow too (a stored response is never
    # changed): each earlier time's p_r − p_q at most the next newer time's, as the auditor's
    # lift reads them (a review of the 7 December session's seventh stop).
    if table.gate_non_answers_grow:
        ordered += [pair((t + 1) * per + r_block, t * per + r_block)
                    - pair((t + 1) * per + b_off, t * per + b_off)
                    for t in range(len(times) - 1) for b_off in range(per) if b_off != r_block]
    g = vstack([_rows(table, [grp for grp, _s, _h in bounded], size, 0, blocks,
                      [s for _g, s, _h in bounded]),
                _rows(table, [grp for grp, _s, _h in capped], size, r_block, blocks),
                *[_rows(table, [grp], size, block, blocks, [-1.0])
                  for grp, block, _h in floored],
                *ordered]).tocsr()
    h = np.array([bound for _g, _s, bound in [*bounded, *capped]]
                 + [bound for _g, _o, bound in floored] + [0.0] * size * len(ordered))
    return _Primal(a, np.array(b_list, dtype=float), g, h, through_of, width_p, list(others))


def _status(primal: _Primal) -> int:
    """Whether the system has a solution: 0 yes, 2 no (infeasible), else the solver failed."""
    from scipy.optimize import linprog

    return linprog(np.zeros(primal.width), A_eq=primal.a, b_eq=primal.b,
                   A_ub=primal.g if len(primal.h) else None,
                   b_ub=primal.h if len(primal.h) else None, bounds=(0, None)).status


def _sums_of(figures: Mapping[Figure, float], of: str) -> list[tuple[Group, float]]:
    """The published n figures of `of` (a counted key), as (group, value)."""
    return [(f[:2], v) for f, v in figures.items() if f[2] == of and f[3] == N]


def bounding_keys(table: Table, times: Sequence[Mapping[Figure, float]], key: str,
                  floors: Mapping[Figure, float] | None = None) -> list[str]:
    """The questions other than `key` whose published n figures (`times`: today's, then each
    earlier time's) or floors say more about the respondents than the respondents' own: a
    figure where theirs is not published or differs. One per distinct set of figures and
    floors (alike, they bound alike), and none alike `key`'s own (its block already says
    it). A question whose figures and floors are all the respondents' adds nothing: its
    answerers may be the respondents, cell by cell, at every time.

    Read in the respondents' program (`Table.gate_other_questions`), and in each question's
    (`Table.gate_questions_through_others`): a question's answerers are some of the
    respondents, whom another question's counts bound from below and so, with a published
    sum, other cells' from above."""
    if key == RESPONDENTS and not table.gate_other_questions \
            or key != RESPONDENTS and not table.gate_questions_through_others:
        return []
    times = [*times, floors or {}]
    theirs = [dict(_sums_of(f, RESPONDENTS)) for f in times]

    def figures_of(of: str) -> tuple:
        return tuple(frozenset(_sums_of(f, of)) for f in times)

    out: dict[tuple, str] = {figures_of(key): key}
    for of in table.counted_keys():
        if of in (key, RESPONDENTS):
            continue
        mine = [_sums_of(f, of) for f in times]
        if any(r.get(g) != v for r, sums in zip(theirs, mine, strict=True) for g, v in sums):
            out.setdefault(figures_of(of), of)
    return [of for of in out.values() if of != key]


def _rows(table: Table, groups: list[Group], size: int, block: int, blocks: int,
          signs: list[float] | None = None) -> csr_matrix:
    """One row per group over `blocks` blocks of the table's cells: its cells in `block`."""
    rows = indicators(table, groups, signs)
    before, after = csr_matrix((len(groups), block * size)), \
        csr_matrix((len(groups), (blocks - block - 1) * size))
    return hstack([before, rows, after]).tocsr()


# Seconds per program of a question's search with the other questions' blocks, at most
# (`narrowed_search`): past it, the search is done again without them.
OTHERS_TIME_LIMIT = 15.0


# Seconds per program of the search for sets the published figures narrow
# (`narrowing_figures`): past it, the layout is not proven, and not published. The served
# national publication with months decides in about 11 CPU seconds a key.
FIGURES_TIME_LIMIT = 60.0


def signature(table: Table, published: Mapping[Figure, float], key: str,
              earlier: Sequence[Mapping[Figure, float]] = (),
              floors: Mapping[Figure, float] | None = None) -> tuple:
    """What a search of `key` reads: its published n figures and its people per cell, and
    its n figures of each earlier time and its floors (two keys alike, such as a question
    everyone answered and the respondents, share a search; two alike today differ where an
    earlier time published them differently, a review of the 7 December session's sixth
    stop), and the n figures of the other questions its program reads."""
    def n_of(figures: Mapping[Figure, float], of: str) -> frozenset:
        return frozenset(_sums_of(figures, of))

    def own(of: str) -> tuple:
        out = (n_of(published, of), values_of(table, of).tobytes())
        if earlier or floors:
            out += (tuple(n_of(e, of) for e in earlier), n_of(floors or {}, of))
        return out

    # ... and the other questions' n figures that bound the respondents (`bounding_keys`).
    others = tuple(tuple(n_of(f, of) for f in (published, *earlier, floors or {}))
                   for of in bounding_keys(table, (published, *earlier), key, floors))
    mine = own(key)
    if key == RESPONDENTS:
        return (mine, others)
    # A question's search reads the respondents' counts too; where its own are theirs (a
    # question everyone answered), it is the respondents' search, but only where no other
    # question is read: else its block need not hold the others' answerers, as the
    # respondents' does, so its program is wider, and a search of it that found nothing must
    # not stand for theirs (a review of the 7 December session's seventh stop).
    theirs = own(RESPONDENTS)
    return (theirs, others) if mine == theirs and not others else (mine, theirs, others)


def narrowing_figures(table: Table, published: Mapping[Figure, float],
                      earlier: Sequence[Mapping[Figure, float]] = ()
                      ) -> tuple[list[Narrowed], list[str]]:
    """The gate of `publish` (surveys.report.disclosure): the sets of cells that the published
    figures alone pin or narrow (`narrowed_search` without reasons), for the first counted key
    that has any (the respondents, then each question; one key's fix changes the others'
    sums), and the keys whose search stopped at FIGURES_TIME_LIMIT undecided (not proven, so
    not published). Both empty: no such set exists, whatever its shape.

    The auditor bounds the groups and the sets listed or found exactly (surveys.report.
    derivable); a set narrowed without being pinned need not be a union of groups, so this
    search is its own gate rather than more groups for the auditor. One search per distinct
    key and publication (`Table._narrowed`), and none for a key whose search with its
    published reasons found nothing (`narrowing_reasons`: more constraints, so any set the
    figures narrow, the reasons narrow too).

    `earlier`: the figures of the earlier times still public (newest first: a unit release's
    history, surveys.report.units), read with today's (`narrowed_search`)."""
    undecided: list[str] = []
    earlier = earlier if table.gate_across_times else ()
    for key in table.counted_keys():
        # (With earlier times, a search of its own: `narrowing_reasons` marks today's.)
        mark = signature(table, published, key, earlier)
        if mark not in table._narrowed:
            table._narrowed[mark] = narrowed_search(table, published, key,
                                                    time_limit=FIGURES_TIME_LIMIT,
                                                    earlier=earlier)
        found, stopped = table._narrowed[mark]
        if found:
            return [s.of(key) for s in found], undecided
        if stopped:
            undecided.append(key)
    return [], undecided


# Seconds per program of the search for sets the published reasons narrow
# (`narrowing_reasons`): past it, the key's reasons are withdrawn rather than waited for.
REASONS_TIME_LIMIT = 10.0


def narrowing_reasons(table: Table, published: Mapping[Figure, float],
                      reasons: Reasons) -> set[tuple[str, str, str]]:
    """The published reasons to withdraw so that no set of cells is pinned or narrowed with
    them (`narrowed_search`, per key that has reasons): those of the groups that share cells
    with a set found; all of the key's where the sets share none, or the search stopped at
    REASONS_TIME_LIMIT. Empty: the reasons narrow nothing the search finds. (A set narrowed
    without any reason is found too, and costs its key's reasons: the auditor's rounds and
    the tests say there are none; the operator's audit names any.)"""
    out: set[tuple[str, str, str]] = set()
    for key in sorted({rkey for _p, _per, rkey in reasons}):
        mine = {g: r for g, r in reasons.items() if g[2] == key}
        found, undecided, weaker = _search(table, published, key, MOST, REASONS_TIME_LIMIT,
                                           mine, (), None)
        if not found and not undecided:
            # Nor do the figures alone (fewer constraints, wider ranges): the gate of the
            # figures (`narrowing_figures`) need not search this key again. Not where the
            # search fell back to a weaker program (the other questions' blocks left out
            # where they did not decide): its "nothing" would stand for the stronger search
            # (at 20,000 respondents with months the respondents' reasons' search does not
            # decide within REASONS_TIME_LIMIT with them).
            if not weaker:
                table._narrowed.setdefault(signature(table, published, key), ([], False))
            continue
        cells = {i for s in found for i in (table._index[c] for c in s.cells)}
        near = {g for g in mine if cells & set(table.cells_of(g[:2]))}
        out |= near if near and not undecided else set(mine)
    return out
