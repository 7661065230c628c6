"""The cross-time audit (surveys/report/history.py): a release mixes blocks computed at different
cuts, and the release before it was public too. A pure simulation of the cut
(surveys.report.releases.cut without the database): each cut publishes today's audited figures
(surveys.report.disclosure.publish), the release rule decides which blocks change, the rest
carry, and — unless switched off — the cross-time audit holds back changing blocks until the
release passes."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.report.audit import (
    ALL_MONTHS,
    COUNTRY,
    EXACT,
    POSITIVE,
    SIZE,
    QuestionModel,
    Table,
    area_place,
    audit,
)
from surveys.report.disclosure import publish
from surveys.report.history import (
    AUDITED_RELEASES,
    audit_release,
    block_figures,
    blocks_narrowing,
    floors_of,
    narrowed_release,
    reduce_layers,
    select_times,
    served,
    settle,
    solved_cells,
)
from surveys.report.releases import changing_blocks

Q = QuestionModel("q", "one", ("1", "2", "3"), (1, 2, 3))
J, F = "2026-01", "2026-02"


class Simulation:
    """Releases of one survey, cut from a growing table as surveys.report.releases.cut does:
    each block (place × measure) takes today's figures if the release rule lets it change,
    else carries the figures of the time it last changed."""

    def __init__(self, area_of: dict[str, str], questions: tuple[QuestionModel, ...], k: int):
        self.area_of, self.questions, self.k = area_of, questions, k
        areas = sorted(set(area_of.values()))
        self.places = [*sorted(area_of), *(area_place(a) for a in areas), COUNTRY]
        self.sums = [(COUNTRY, [area_place(a) for a in areas])] + [
            (area_place(a), [c for c in sorted(area_of) if area_of[c] == a]) for a in areas]
        self.measures = ["*", *(q.id for q in questions)]
        # Each release: {block: (figures, reasons, time)}; sizes: each block's sizes when its
        # figures last changed; at[time]: everything published at that time.
        self.releases: list[dict] = []
        self.sizes: dict = {}
        self.at: dict[int, tuple[dict, dict]] = {}
        self.result = None  # the last audited cut's final audit (`settle`'s)
        self.narrowed: list = []  # every set the gate across times found, at any cut

    def table(self, cells: dict) -> Table:
        months = tuple(sorted({m for _c, m in cells})) or (J,)
        return Table(self.area_of, months, self.questions, self.k, cells)

    def block_sizes(self, t: Table) -> dict:
        return {(p, key): {m: t._sum((p, m), key, "n") for m in t.months
                           if t._sum((p, m), key, "n")}
                for p in self.places for key in self.measures}

    def layers(self, release: dict, time: int, window: list[dict]) -> tuple[tuple, dict]:
        """The current time's figures and every earlier time's (those of `window`, the
        releases audited with it, and everything published at each of their times)."""
        current: tuple[dict, dict] = ({}, {})
        earlier: dict[int, tuple[dict, dict]] = {}
        for view in [release, *window]:
            for figures, reasons, t in view.values():
                target = current if t == time else earlier.setdefault(t, ({}, {}))
                target[0].update(figures)
                target[1].update(reasons)
        for t, (figures, reasons) in earlier.items():
            figures.update(self.at[t][0])
            reasons.update(self.at[t][1])
        return current, earlier

    def cut(self, cells: dict, time: int, audited: bool = True,
            window: str = "all", gate: bool = True) -> dict | None:
        """`window`: the earlier releases the cut audits with, "all" (every time, as
        releases.cut within its budget) or "previous" (the release before it only: what the
        cut audited before). `gate`: the search for sets narrowed across times once the audit
        passes (history.narrowed_release), as releases.cut runs it."""
        t = self.table(cells)
        pub = publish(t)
        fresh: dict = {}
        for f, v in pub.figures.items():
            fresh.setdefault((f[0], f[2]), ({}, {}))[0][f] = v
        for g, r in pub.reasons.items():
            fresh.setdefault((g[0], g[2]), ({}, {}))[1][g] = r
        sizes = self.block_sizes(t)
        previous = self.releases[-1] if self.releases else {}
        before = {b: self.sizes[b] for b in previous}

        def rule(carry=()):
            return changing_blocks(before, sizes, self.sums, self.k, carry)

        def assemble(changing):
            out = {}
            for b in sizes:
                if b in changing:
                    out[b] = (*fresh.get(b, ({}, {})), time)
                elif b in previous:
                    out[b] = previous[b]
            return out

        changing = rule()
        if previous and not changing:
            return None
        if previous and audited:
            def audit_of(changing):
                views = self.releases if window == "all" else [previous]
                current, earlier = self.layers(assemble(changing), time, views)
                return audit_release(t, current, earlier)

            def gate_of(changing, result):
                views = self.releases if window == "all" else [previous]
                current, earlier = self.layers(assemble(changing), time, views)
                found, undecided = narrowed_release(t, current, earlier)
                self.narrowed += found
                return blocks_narrowing(found, undecided, changing, self.sums)

            changing, self.result = settle(changing, audit_of, rule, self.sums,
                                           gate_of if gate else None)
            if not changing:
                return None
        release = assemble(changing)
        self.releases.append(release)
        self.at[time] = ({}, {})
        for b in changing:
            self.sizes[b] = sizes[b]
            self.at[time][0].update(release[b][0])
            self.at[time][1].update(release[b][1])
        return release

    def audit_latest(self, cells: dict, every_release: bool = True, full: bool = True):
        """The latest release with the releases before it (all of them, or the audited window),
        against the table it was cut from."""
        time = max(self.at)
        window = self.releases[:-1] if every_release else \
            self.releases[-AUDITED_RELEASES:-1]
        current, earlier = self.layers(self.releases[-1], time, window)
        return audit_release(self.table(cells), current, earlier, full_ranges=full)


def respondents(n: int) -> dict:
    return {"*": {"n": n}}


# -- a carried county beside new figures pins a small one ----------------------------------------

AREA = area_place("a")


def test_a_carried_county_beside_changing_ones_pins_a_small_county():
    """First cut: counties c1 and c2 with 10 each. Then c2 gains 6 and c3 gets its first 2.
    Today's publication hides c3 (2) and, to protect it, c1 (10): 28 − 16 − 2. But c1 did not
    change, so the release keeps its earlier figure, shown: 10. With c2 = 16 and the area = 28
    changing, 28 − 16 − 10 = 2 is c3. Every figure was audited when it was computed; only the
    mixture pins c3."""
    area_of = {"c1": "a", "c2": "a", "c3": "a"}
    first = {("c1", J): respondents(10), ("c2", J): respondents(10)}
    second = {**first, ("c2", J): respondents(16), ("c3", J): respondents(2)}

    old = Simulation(area_of, (), 5)
    old.cut(first, 1)
    release = old.cut(second, 2, audited=False)  # the release rule alone
    shown = {f: v for figures, _r, _t in release.values() for f, v in figures.items()}
    assert shown[("c1", ALL_MONTHS, "*", "n")] == 10  # carried from the first cut
    assert shown[("c2", ALL_MONTHS, "*", "n")] == 16 and shown[(AREA, ALL_MONTHS, "*", "n")] == 28
    # Each time's figures pass the audit on their own...
    t = old.table(second)
    today = {f: v for figures, _r, time in release.values() if time == 2
             for f, v in figures.items()}
    assert audit(t, today, full_ranges=True).passed
    assert publish(t).result.passed
    # ...together they pin c3 to at most 2 (a size must be free over k, or over 0 … k − 1).
    result = old.audit_latest(second)
    assert not result.passed
    c3 = [r for r in result.exposed if r.figure == ("c3", ALL_MONTHS, "*", "n")]
    assert c3 and c3[0].rule == SIZE and c3[0].high <= 2

    # With the cross-time audit the cut holds back the changing blocks beside c3 instead.
    new = Simulation(area_of, (), 5)
    new.cut(first, 1)
    release = new.cut(second, 2)
    assert new.audit_latest(second).passed
    shown = {f: v for figures, _r, _t in release.values() for f, v in figures.items()}
    assert ("c3", ALL_MONTHS, "*", "n") not in shown
    assert shown.get((AREA, ALL_MONTHS, "*", "n")) != 28 or \
        shown.get(("c2", ALL_MONTHS, "*", "n")) != 16


@pytest.mark.parametrize(("shown_before", "passes"), [(10, True), (11, True), (12, False)])
def test_an_earlier_figure_bounds_a_hidden_group_of_today(shown_before, passes):
    """Aggregates only grow: c1 shown with m last time has at least m today, so today's area
    total (15, c1 and c2 hidden) leaves c2 (3 today) at most 15 − m. For m = 11 that is
    still all of 0 … k − 1; for m = 12 it is 0 … 3, and c2 is exposed."""
    area_of = {"c1": "a", "c2": "a"}
    t = Table(area_of, (J,), (), 5, {("c1", J): respondents(12), ("c2", J): respondents(3)})
    current = ({(AREA, ALL_MONTHS, "*", "n"): 15, (COUNTRY, ALL_MONTHS, "*", "n"): 15}, {})
    earlier = {1: ({("c1", ALL_MONTHS, "*", "n"): shown_before}, {})}
    result = audit_release(t, current, earlier, full_ranges=True)
    c2 = next(r for r in result.ranges if r.figure == ("c2", ALL_MONTHS, "*", "n"))
    assert (c2.low, c2.high) == (0, pytest.approx(15 - shown_before))
    assert result.passed is passes
    assert not result.contradicted and not result.truth_outside
    # Today's figures alone leave c2 anywhere in 0 … 15.
    assert audit(t, current[0]).passed


def test_figures_that_shrank_are_reported_not_trusted():
    """If an earlier time shows more than today has (a rebuild that quarantined responses),
    'only grows' is false; the system of that key is audited without the earlier times."""
    area_of = {"c1": "a", "c2": "a"}
    t = Table(area_of, (J,), (), 5, {("c1", J): respondents(10), ("c2", J): respondents(3)})
    current = ({(AREA, ALL_MONTHS, "*", "n"): 13, ("c1", ALL_MONTHS, "*", "n"): 10}, {})
    earlier = {1: ({(AREA, ALL_MONTHS, "*", "n"): 20, ("c1", ALL_MONTHS, "*", "n"): 20}, {})}
    result = audit_release(t, current, earlier, full_ranges=True)
    assert result.contradicted == ["*"]
    assert not result.passed  # 13 − 10 = 3 today, whatever happened before


def test_block_figures_read_what_the_documents_show():
    """A block's data hold the served documents; a question's figures of a group that the
    respondents' block hides are not served, so they are not figures."""
    head = {"total": {"respondents": 12, "suppressed": False},
            "months": {J: {"respondents": None, "suppressed": True, "reason": "threshold"},
                       F: {"respondents": 9, "suppressed": False}},
            "langs": {"fi": {"respondents": 12, "suppressed": False}}}
    q = {"total": {"type": "likert5", "n": 12, "counts": {"1": None, "2": 5, "3": 7},
                   "mean": 2.6, "nps": None, "suppressed": False, "withheld": ["1"]},
         "months": {J: {"n": 3, "mean": 1.0, "nps": None, "suppressed": False},
                    F: {"n": None, "mean": None, "nps": None, "suppressed": True,
                        "reason": "secondary"}},
         "langs": {"fi": {"n": 12, "mean": 2.6, "nps": None, "suppressed": False}}}
    figures, reasons = block_figures("19", "*", head, head)
    assert figures == {("19", ALL_MONTHS, "*", "n"): 12, ("19", F, "*", "n"): 9,
                       ("19", "lang:fi", "*", "n"): 12}
    assert reasons == {("19", J, "*"): "threshold"}
    figures, reasons = block_figures("19", "q", q, head)
    assert ("19", J, "q", "n") not in figures  # its month is hidden by the respondents' block
    assert figures[("19", ALL_MONTHS, "q", "count:2")] == 5
    assert ("19", ALL_MONTHS, "q", "count:1") not in figures
    assert figures[("19", ALL_MONTHS, "q", "mean")] == 2.6
    assert reasons == {("19", F, "q"): "secondary"}
    by_time = served({("19", "*"): (head, 3), ("19", "q"): (q, 1)})
    assert set(by_time) == {1, 3} and ("19", ALL_MONTHS, "q", "n") in by_time[1][0]


# -- every earlier release, not only the one before --------------------------------------------

def test_a_figure_replaced_two_releases_ago_still_pins_a_small_group():
    """Found by a search over generated histories (k = 3). Release 1 shows a1 = 3, all in
    January (the area's January is 3 too). Release 3 replaces every block: a1 is hidden beside
    a2's first 1 (in February), the area shows January 3 and February 4. Release 5: a2 has 4
    (3 more in January) and is shown, the area shows January 6 and February 4. Audited with
    the release before it only (3), that passes. But release 1 was public: a1's January is at
    least 3 today, so a2's January is at most 6 − 3 and its February at least 4 − 3 = 1; release
    3's "a2 below the threshold" and its area February keep a2's February at most 2. So a2's
    February (1) lies in [1, 2]. The cut that audits every earlier time holds the area back."""
    batches = [([("a1", "1")] * 3, J), ([("a1", "1")], F),
               ([("a1", "1")] * 2 + [("a2", "1")], F), ([], J), ([("a2", "1")] * 3, J)]
    figure = ("a2", F, "*", "n")
    for window in ("previous", "all"):
        sim = Simulation(COUNTIES, (Q,), 3)
        cells: dict = {}
        cut_at = []
        for time, (batch, month) in enumerate(batches, start=1):
            cells = add(cells, batch, month)
            if sim.cut(cells, time, window=window) is not None:
                cut_at.append(time)
        assert cut_at == [1, 3, 5]
        # Release 3 replaced everything of release 1: the window of the old cut misses time 1.
        assert {t for *_f, t in sim.releases[1].values()} == {3}
        result = sim.audit_latest(cells)  # with every release before it
        if window == "previous":
            assert sim.audit_latest(cells, every_release=False).passed
            exposed = {r.figure: r for r in result.exposed}
            assert figure in exposed and exposed[figure].rule == SIZE
            assert (exposed[figure].low, exposed[figure].high) == (pytest.approx(1),
                                                                   pytest.approx(2))
        else:
            assert result.passed, [(r.figure, r.low, r.high) for r in result.exposed]
            shown = {f for figures, _r, t in sim.releases[-1].values() for f in figures}
            assert (area_place("A"), "*", "*", "n") in shown  # the area: release 3's total...
            assert {t for *_f, t in sim.releases[-1].values()} == {3, 5}  # ...carried


def test_within_one_month_too_an_older_release_pins_a_withheld_count():
    """Also found by the search, with answers in one month only (threshold 5): b1's 5 (one
    answered 3), then a1 and a2, then 5 more in b1 and more in a1 and a2, then a cut with no new
    answers that lets the blocks held back before change. Audited with the release before it
    only, release 4 passes; with release 1 as well, b1's withheld count of 3s (1, in a shown
    group of 10) lies in [0.75, 1]: proven to be one person. The cut that audits every earlier
    time publishes a release that passes."""
    batches = [[("b1", "1")] * 4 + [("b1", "3")],
               [("a1", "1")] * 3 + [("a1", "3"), ("a2", "1")],
               [("a1", "3")] + [("a2", "1")] * 4 + [("a2", "3")] + [("b1", "1")] * 5, []]
    figure = ("b1", ALL_MONTHS, "q", "count:3")
    for window in ("previous", "all"):
        sim = Simulation(COUNTIES, (Q,), 5)
        cells: dict = {}
        for time, batch in enumerate(batches, start=1):
            cells = add(cells, batch, F)
            assert sim.cut(cells, time, window=window) is not None
        assert 1 not in {t for *_f, t in sim.releases[-1].values()} | \
            {t for *_f, t in sim.releases[-2].values()}  # the old window misses time 1
        result = sim.audit_latest(cells)
        if window == "previous":
            assert sim.audit_latest(cells, every_release=False).passed
            exposed = {r.figure: r for r in result.exposed}
            assert figure in exposed and exposed[figure].rule == EXACT
        else:
            assert result.passed, [(r.figure, r.low, r.high) for r in result.exposed]


def test_a_layer_equal_to_the_next_newer_one_adds_nothing():
    """reduce_layers drops an earlier layer whose figures and reasons are all among those of
    the next newer layer kept; the ranges are the same with it and without it."""
    area_of = {"c1": "a", "c2": "a"}
    t = Table(area_of, (J,), (), 5, {("c1", J): respondents(12), ("c2", J): respondents(3)})
    current = ({(AREA, ALL_MONTHS, "*", "n"): 15, (COUNTRY, ALL_MONTHS, "*", "n"): 15}, {})
    shown = ({("c1", ALL_MONTHS, "*", "n"): 11}, {("c2", ALL_MONTHS, "*"): "threshold"})
    partly = ({("c1", ALL_MONTHS, "*", "n"): 11}, {})
    assert reduce_layers(current, [shown, shown, partly]) == [shown]
    assert reduce_layers(current, [partly, shown]) == [partly, shown]
    assert reduce_layers(current, [current]) == []
    once = audit_release(t, current, {2: shown}, full_ranges=True)
    thrice = audit_release(t, current, {4: shown, 3: shown, 2: partly}, full_ranges=True)
    assert [(r.figure, r.low, r.high) for r in once.ranges] == \
        [(r.figure, r.low, r.high) for r in thrice.ranges]
    assert thrice.earlier_solved == 1


def test_a_layer_shown_again_later_is_not_redundant_if_another_lies_between():
    """Why only the *next* newer layer: time 1 shows the area 10, time 2 c1 = 8, time 3 the
    area 10 again. Sums only grow, so the area was 10 at time 2 as well, and c2 was 2 then:
    today c2 ≥ 2, and today's area (12) with c1 ≥ 8 leaves c2 in [2, 4]. Without time 1 (an
    equal figure is shown later) c2 at time 2 could be 0, and c2 today anything in 0 … 4: the
    exposure would be missed."""
    area_of = {"c1": "a", "c2": "a"}
    t = Table(area_of, (J,), (), 5, {("c1", J): respondents(10), ("c2", J): respondents(2)})
    area = (AREA, ALL_MONTHS, "*", "n")
    current = ({area: 12}, {})
    earlier = {3: ({area: 10}, {}), 2: ({("c1", ALL_MONTHS, "*", "n"): 8}, {}),
               1: ({area: 10}, {})}
    assert len(reduce_layers(current, [earlier[3], earlier[2], earlier[1]])) == 3
    full = audit_release(t, current, earlier, full_ranges=True)
    c2 = next(r for r in full.ranges if r.figure == ("c2", ALL_MONTHS, "*", "n"))
    assert (c2.low, c2.high) == (pytest.approx(2), pytest.approx(4)) and not full.passed
    without = audit_release(t, current, {3: earlier[3], 2: earlier[2]}, full_ranges=True)
    assert without.passed  # what an unsound "shown unchanged later" shortcut would conclude


def test_the_cut_keeps_its_window_and_the_newest_times_within_the_budget():
    """select_times: the times of the release being cut and of the one before it always, then
    the newest others while cells × layers stays within the limit; the rest are left out."""
    area_of = {"c1": "a", "c2": "a"}
    t = Table(area_of, (J,), (), 5, {("c1", J): respondents(10)})
    layer = ({("c1", ALL_MONTHS, "*", "n"): 10}, {})
    layers = {i: layer for i in range(1, 11)}
    assert solved_cells(t, False, 3) == 6  # 2 counties × 1 month, 3 layers
    chosen, left = select_times(t, layers, keep={10, 9}, limit=None)
    assert chosen == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1] and left == []  # the default budget
    chosen, left = select_times(t, layers, keep={10, 2}, limit=2 * 5)  # today + 4 earlier
    assert chosen == [10, 9, 8, 2] and left == [7, 6, 5, 4, 3, 1]
    chosen, left = select_times(t, layers, keep={10, 2}, limit=2)  # the window even so
    assert chosen == [10, 2] and left == [9, 8, 7, 6, 5, 4, 3, 1]


def test_every_time_pacing_allows_is_audited_also_where_the_months_are_solved():
    """A small table (1 county × 5 languages × 12 months = 60 cells) whose releases publish
    months: its cut audits them on the cells up to history.MAX_MONTHLY_CELLS
    and on county × language beyond, so its budget never runs out before pacing's capacity
    (surveys.report.pacing). Before the fix the 12th layer was counted as 720 cells against
    the 660 of the budget, and every older time was left out, though 14 layers (solved
    without their months, 70 unknowns) fit again."""
    from surveys.report import history, pacing

    langs = ("fi", "sv", "se", "smn", "sms")
    months = tuple(f"2026-{m:02}" for m in range(1, 13))
    t = Table({"c1": "a"}, months, (), 5, {("c1", J, "fi"): respondents(10)}, langs)
    assert t.size == 60
    layer = ({("c1", J, "*", "n"): 10}, {})  # a county's month: the months are published
    times = pacing.capacity(len(t.counties) * len(langs), history.MAX_HISTORY_CELLS)
    layers = {i: layer for i in range(1, times)}  # every time but today's
    chosen, left = select_times(t, layers, keep={times - 1})
    assert left == [] and len(chosen) == times - 1
    # And beyond the capacity the budget still leaves times out (its fallback).
    chosen, left = select_times(t, {i: layer for i in range(1, times + 1)}, keep={times})
    assert left == [1]


def test_times_left_out_still_bound_later_counts_from_below():
    """A time the cut's budget leaves out still says that every count it showed is at least as
    large later (floors_of; a count hidden to protect another, at least the threshold): c1
    shown 12 at time 1 bounds c2 (3 today) to at most 15 − 12, as the full layer does,
    wherever the floors are put (today's layer, or time 2's). A floor above today's count
    (the aggregates shrank) is reported as an earlier figure above today's is."""
    area_of = {"c1": "a", "c2": "a"}
    t = Table(area_of, (J,), (), 5, {("c1", J): respondents(12), ("c2", J): respondents(3)})
    current = ({(AREA, ALL_MONTHS, "*", "n"): 15, (COUNTRY, ALL_MONTHS, "*", "n"): 15}, {})
    time1 = ({("c1", ALL_MONTHS, "*", "n"): 12, (AREA, ALL_MONTHS, "*", "n"): 12}, {})
    time0 = ({(AREA, ALL_MONTHS, "*", "n"): 7}, {("c1", ALL_MONTHS, "*"): "secondary"})
    assert floors_of([time1, time0], 5) == {("c1", ALL_MONTHS, "*", "n"): 12,
                                            (AREA, ALL_MONTHS, "*", "n"): 12}
    assert floors_of([time0], 5) == {("c1", ALL_MONTHS, "*", "n"): 5,
                                     (AREA, ALL_MONTHS, "*", "n"): 7}
    time2 = ({(COUNTRY, ALL_MONTHS, "*", "n"): 14}, {})

    def c2(result):
        return next((r.low, r.high) for r in result.ranges
                    if r.figure == ("c2", ALL_MONTHS, "*", "n"))

    full = audit_release(t, current, {1: time1, 2: time2}, full_ranges=True)
    dropped = audit_release(t, current, {2: time2}, full_ranges=True)
    floored = audit_release(t, current, {2: time2}, full_ranges=True,
                            floors=floors_of([time1], 5), floors_until=1)
    today = audit_release(t, current, {}, full_ranges=True, floors=floors_of([time1], 5),
                          floors_until=1)
    assert c2(full) == (0, pytest.approx(3)) and not full.passed
    assert c2(dropped)[1] == pytest.approx(15) and dropped.passed  # the gap floors narrow
    assert c2(floored) == (0, pytest.approx(3)) and c2(today) == (0, pytest.approx(3))
    assert not floored.passed and not today.passed
    shrunk = audit_release(t, current, {}, floors={("c2", ALL_MONTHS, "*", "n"): 5},
                           floors_until=1)
    assert shrunk.truth_outside == ["*"]


# -- property: no release, with the releases before it, pins a small group of today -----------

COUNTIES = {"a1": "A", "a2": "A", "a3": "A", "b1": "B"}


@st.composite
def histories(draw):
    """Responses arriving in batches (county, answer), January then February, a cut after
    each batch: per county in each batch none, a few (below the threshold) or many, so that
    some blocks carry while others change, and small counties appear beside shown ones."""
    k = draw(st.sampled_from([3, 5]))
    answers = st.sampled_from("123")
    batches = []
    for _ in range(draw(st.integers(2, 5))):
        batch = []
        for county in sorted(COUNTIES):
            size = draw(st.sampled_from([0, 0, 1, 2, k - 1, k, k + 3, 2 * k]))
            batch += [(county, a) for a in draw(st.lists(answers, min_size=size,
                                                         max_size=size))]
        batches.append(batch)
    february_from = draw(st.integers(1, len(batches)))
    return k, batches, february_from


def add(cells: dict, batch, month: str) -> dict:
    cells = {c: {key: dict(v) for key, v in m.items()} for c, m in cells.items()}
    for county, answer in batch:
        cell = cells.setdefault((county, month), {"*": {"n": 0}, "q": {"n": 0}})
        cell["*"]["n"] += 1
        cell["q"]["n"] += 1
        cell["q"][answer] = cell["q"].get(answer, 0) + 1
    return cells


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories())
def test_no_release_with_the_ones_before_it_pins_a_small_group(history):
    """After every cut, the latest release with *every* release before it (not just the one
    the cut audits with) and everything published at their times leaves each group small
    today — and each of its answers — as free as the rules require (full ranges)."""
    k, batches, february_from = history
    sim = Simulation(COUNTIES, (Q,), k)
    cells: dict = {}
    for time, batch in enumerate(batches, start=1):
        cells = add(cells, batch, F if time > february_from else J)
        if sim.cut(cells, time) is None:
            continue
        result = sim.audit_latest(cells)
        assert result.passed, (time, [(r.figure, r.rule, r.low, r.high)
                                      for r in result.exposed][:4])
        assert not result.contradicted and not result.truth_outside
        assert not [r for r in result.ranges if r.rule == POSITIVE and r.low > 0]
        # Nor any set of cells, of any shape, with the releases before it.
        assert narrowed_now(sim, cells) == ([], [])


def test_months_stay_in_on_the_marginals_where_the_cells_are_too_many(monkeypatch):
    """Above MAX_MONTHLY_CELLS (cells × times) the cross-time audit solves on the marginals
    (areas × months, counties × languages) and still sees what the months say: the area's
    February is c2's. Left out (MONTHS_ON_MARGINALS off, or a county's month published), the
    whole-period figures stay and the months are dropped."""
    import surveys.report.history as history

    area_of = {"c1": "a", "c2": "a"}
    t = Table(area_of, (J, F), (), 5, {("c1", J): respondents(12), ("c2", F): respondents(3)})
    current = ({(AREA, ALL_MONTHS, "*", "n"): 15, (AREA, F, "*", "n"): 3}, {})
    earlier = {1: ({("c1", ALL_MONTHS, "*", "n"): 12, (AREA, J, "*", "n"): 12}, {})}
    exact = audit_release(t, current, earlier, full_ranges=True)
    assert not exact.months_dropped and not exact.passed  # the area's February is c2's
    monkeypatch.setattr(history, "MAX_MONTHLY_CELLS", 4)
    on_marginals = audit_release(t, current, earlier, full_ranges=True)
    assert solved_cells(t, True, 2, months="marginals") == (1 * 2 + 2 * 1) * 2
    assert not on_marginals.months_dropped and on_marginals.relaxed == []
    assert on_marginals.months_times == 1
    assert [r.figure for r in on_marginals.exposed] == [r.figure for r in exact.exposed]
    c2 = next(r for r in on_marginals.ranges if r.figure == ("c2", F, "*", "n"))
    assert (c2.low, c2.high) == (pytest.approx(0), pytest.approx(3))

    # Beyond MAX_HISTORY_CELLS of marginals the months of the older times are left out of
    # the months' part, and their counts bound today's from below: still exposed.
    monkeypatch.setattr(history, "MONTHS_HISTORY_CELLS", 4)
    newest_only = audit_release(t, current, earlier, full_ranges=True)
    assert newest_only.months_times == 0 and not newest_only.months_dropped
    c2 = next(r for r in newest_only.ranges if r.figure == ("c2", F, "*", "n"))
    assert (c2.low, c2.high) == (pytest.approx(0), pytest.approx(3))
    assert not newest_only.passed

    monkeypatch.setattr(history, "MONTHS_ON_MARGINALS", False)
    coarse = audit_release(t, current, earlier, full_ranges=True)
    assert coarse.months_dropped
    c2 = next(r for r in coarse.ranges if r.figure == ("c2", ALL_MONTHS, "*", "n"))
    assert (c2.low, c2.high) == (0, pytest.approx(3))  # still bounded by the carried 12

    monkeypatch.setattr(history, "MONTHS_ON_MARGINALS", True)
    county_month = {1: ({**earlier[1][0], ("c1", J, "*", "n"): 12}, {})}
    assert audit_release(t, current, county_month, full_ranges=True).months_dropped


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories())
def test_the_reused_highs_model_audits_releases_as_linprog_does(history):
    """The cross-time audit (two layers of unknowns, months in) with one warm-started HiGHS
    model per system (audit.SOLVER "highs") against linprog from scratch for each program (the
    reference): the same exposed figures, by the same rules. Cuts without the cross-time audit,
    so that some releases expose a figure; with full ranges, the same minimum and maximum of
    every protected figure."""
    import surveys.report.audit as audit_mod

    k, batches, february_from = history
    sim = Simulation(COUNTIES, (Q,), k)
    cells: dict = {}
    saved = audit_mod.SOLVER
    try:
        for time, batch in enumerate(batches, start=1):
            cells = add(cells, batch, F if time > february_from else J)
            if sim.cut(cells, time, audited=False) is None or len(sim.releases) < 2:
                continue
            for full in (False, True):
                got = {}
                for solver in ("highs", "linprog"):
                    audit_mod.SOLVER = solver
                    result = sim.audit_latest(cells, every_release=False, full=full)
                    got[solver] = ([(r.figure, r.rule) for r in result.exposed],
                                   result.contradicted, result.truth_outside,
                                   [(r.low, r.high) for r in result.ranges] if full else [])
                fast, ref = got["highs"], got["linprog"]
                assert fast[:3] == ref[:3]
                assert fast[3] == [(pytest.approx(lo, abs=1e-6), pytest.approx(hi, abs=1e-6))
                                   for lo, hi in ref[3]]
    finally:
        audit_mod.SOLVER = saved


def test_floors_learnt_after_the_earlier_times_stay_on_today_when_months_are_split(monkeypatch):
    """Above MAX_MONTHLY_CELLS, where the months' part keeps only the newest earlier time, the
    floors the cut passes (learnt at time 3, after both earlier times) still hold only from
    time 3: put on time 2 they would contradict its figure (c1 was 10 then)."""
    import surveys.report.history as history

    area_of = {"c1": "a", "c2": "a"}
    t = Table(area_of, (J, F), (), 5, {("c1", J): respondents(10), ("c1", F): respondents(4),
                                       ("c2", F): respondents(6)})
    c1 = ("c1", ALL_MONTHS, "*", "n")
    current = ({(AREA, ALL_MONTHS, "*", "n"): 20, (AREA, F, "*", "n"): 10}, {})
    earlier = {2: ({c1: 10, (AREA, J, "*", "n"): 10}, {}), 1: ({c1: 8}, {})}
    monkeypatch.setattr(history, "MAX_MONTHLY_CELLS", 4)
    monkeypatch.setattr(history, "MONTHS_HISTORY_CELLS", 2 * solved_cells(t, True, 1,
                                                                          months="marginals"))
    result = audit_release(t, current, earlier, floors={c1: 14}, floors_until=3)
    assert result.months_times == 1
    assert not result.contradicted and not result.truth_outside


def test_a_set_across_places_holds_back_the_blocks_beside_its_places():
    """An exposed set across two hidden counties (`Table._across`, place "∪20+21") holds back
    the changing blocks of its measure that share a sum with either county, not every
    block of that measure in the country (which held back a whole release in
    tests/integration/test_release_history.py)."""
    from surveys.report.audit import UNION, Range
    from surveys.report.history import blocks_to_carry

    sums = [(area_place("pohjois"), ["18", "19", "20", "21"]), (area_place("etela"), ["01"]),
            (COUNTRY, [area_place("pohjois"), area_place("etela")])]
    changing = {("19", "q"), ("01", "q"), ("19", "*")}
    exposed = [Range((UNION + "20+21", UNION + "lang:fi", "q", "n"), SIZE, 3, 0, 3)]
    assert Table.places_in(UNION + "20+21") == ["20", "21"]
    assert blocks_to_carry(exposed, changing, sums) == {("19", "q")}


# -- what the questions read together can't prove is not released -----------------------------

def test_a_cut_stores_only_releases_whose_questions_were_read_together(monkeypatch):
    """A release whose questions pass one at a time, but could not all be read together within
    the coupling's budget (audit._Joint; here a budget of none), is not proven against the
    reader of every question. Until the second 5 December session `settle` stored it all the
    same (the result's `uncoupled` was listed, not acted on); now the changing blocks of those
    questions are held back until what is released was read together (`unproven_blocks`), or
    nothing changes and the last release stands. (Seeds 2 and 6: at their second or third cut
    the budget runs out, one holding back every block, the other some.)"""
    import sys

    from surveys.report import audit as audit_module
    from tests.unit.report.test_audit_marginals import AREA_OF, LANGS, MONTHS, QUESTIONS, grow

    class Languages(Simulation):
        def table(self, cells: dict) -> Table:
            return Table(self.area_of, MONTHS, self.questions, self.k, cells, LANGS)

    monkeypatch.setattr(audit_module._Joint, "MAX_ROUNDS", 0)
    monkeypatch.setattr(audit_module._Joint, "EMBED_BUDGET", 0)
    seen = []
    real = audit_release

    def recorded(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(sys.modules[__name__], "audit_release", recorded)
    held_back = 0
    for seed in (2, 6):
        rng = random.Random(seed)
        sim = Languages(AREA_OF, QUESTIONS, 3)
        cells: dict = {}
        for time in range(1, 4):
            cells = grow(rng, cells, rng.choice([3, 8, 20]))
            seen.clear()
            wanted = set(changing_blocks({b: sim.sizes[b] for b in sim.releases[-1]},
                                         sim.block_sizes(sim.table(cells)), sim.sums, sim.k)
                         ) if sim.releases else set()
            release = sim.cut(cells, time)
            if time == 1:
                continue
            assert seen, "the cut was audited"
            if any(r.passed and r.uncoupled for r in seen):
                held_back += 1
                if release is None:
                    continue
                changed = {b for b, (_f, _r, t) in release.items() if t == time}
                assert changed != wanted  # not what the release rule alone changes
            assert sim.result.passed and sim.result.uncoupled == []
    assert held_back == 2


# -- sets narrowed across releases (history.narrowed_release) ------------------------------------

LANG_AREAS = {"17": "lansi", "18": "pohjois", "19": "pohjois", "21": "pohjois", "01": "etela"}
LANGS = ("fi", "sv", "se")
# Found by a probe of random histories (7 December session's sixth stop): January's responses,
# then a cut; February's, then a cut. Per (county, language): how many.
JANUARY = {("01", "sv"): 1, ("17", "se"): 3, ("17", "sv"): 2, ("18", "se"): 1, ("19", "fi"): 6,
           ("21", "fi"): 1, ("21", "se"): 2, ("21", "sv"): 3}
FEBRUARY = {("01", "fi"): 3, ("17", "fi"): 2, ("18", "fi"): 2, ("19", "se"): 1, ("21", "fi"): 6,
            ("21", "se"): 1, ("21", "sv"): 2}


class LanguageSimulation(Simulation):
    def table(self, cells: dict) -> Table:
        months = tuple(sorted({m for _c, m, _lg in cells})) or (J,)
        return Table(self.area_of, months, self.questions, self.k, cells, LANGS)


def add_in_languages(cells: dict, counts: dict, month: str) -> dict:
    cells = {c: {key: dict(v) for key, v in m.items()} for c, m in cells.items()}
    for (county, lang), n in counts.items():
        for i in range(n):
            cell = cells.setdefault((county, month, lang), {"*": {"n": 0}, "q": {"n": 0}})
            cell["*"]["n"] += 1
            cell["q"]["n"] += 1
            answer = "123"[i % 3]
            cell["q"][answer] = cell["q"].get(answer, 0) + 1
    return cells


def two_months(gate: bool) -> tuple[LanguageSimulation, dict]:
    sim = LanguageSimulation(LANG_AREAS, (Q,), 5)
    cells = add_in_languages({}, JANUARY, J)
    assert sim.cut(cells, 1, gate=gate) is not None
    cells = add_in_languages(cells, FEBRUARY, F)
    sim.cut(cells, 2, gate=gate)
    return sim, cells


def narrowed_now(sim: Simulation, cells: dict) -> tuple[list, list]:
    current, earlier = sim.layers(sim.releases[-1], max(sim.at), sim.releases[:-1])
    return narrowed_release(sim.table(cells), current, earlier)


def test_a_new_months_languages_follow_from_the_release_before_it():
    """No month × language group is published, and the auditor, reading both releases,
    passes the second: every group of today keeps its range. But all of the first release
    was January, and the country's January today is what the country was then, so nobody
    joined January since: today's Finnish speakers less the first release's are February's
    (13), and likewise February's Swedish speakers and its Northern Sámi speakers: 2 people
    each, in five counties, sets no group or list names."""
    sim, cells = two_months(gate=False)
    assert sim.audit_latest(cells).passed
    found, undecided = narrowed_now(sim, cells)
    assert not undecided
    pinned = {(s.low, tuple(sorted(s.cells))) for s in found if s.key == "*" and s.low == s.high}
    for lang in ("sv", "se"):
        assert (2.0, tuple(sorted((c, F, lang) for c in LANG_AREAS))) in pinned


def test_the_cut_holds_back_what_narrows_a_set_with_the_release_before_it():
    """The same two cuts with the gate across times (releases.cut's `gate_of`): the second
    release holds back the blocks whose sums bound the set, and what it stores narrows no set
    of cells with the first, for any counted key."""
    sim, cells = two_months(gate=True)
    assert sim.narrowed, "the gate found the set and acted"
    assert narrowed_now(sim, cells) == ([], [])
    assert sim.audit_latest(cells).passed


def test_the_operators_audit_names_sets_narrowed_across_releases(capsys, monkeypatch):
    """`palaute disclosure audit` searches a release's figures with the earlier times' (its
    `_print_narrowed`): it names the set, cell by cell, with its range, and fails. Today's
    figures alone narrow nothing. A search that cannot decide fails the audit too: what is
    not proven is not passed."""
    from surveys.report import narrowing
    from webapp.cli.disclosure import _print_narrowed

    sim, cells = two_months(gate=False)
    (figures, reasons), earlier = sim.layers(sim.releases[-1], max(sim.at), sim.releases[:-1])
    table = sim.table(cells)
    assert _print_narrowed(table, figures, reasons) is False
    assert _print_narrowed(table, figures, reasons, earlier) is True
    out = capsys.readouterr().out
    [line] = [x for x in out.splitlines() if "the 1 earlier time(s) together" in x]
    assert not line.endswith(": 0")
    sv = ", ".join(f"{c}/{F}/sv" for c in sorted(LANG_AREAS))
    assert any(x.startswith("EXPOSED") and f"set of {sv} [2, 2]" in x
               for x in out.splitlines()), out

    monkeypatch.setattr(narrowing, "narrowed_search", lambda *a, **kw: ([], True))
    assert _print_narrowed(table, figures, reasons) is True
    assert "UNDECIDED the search for such sets stopped at its time limit, or the figures " \
        "have no solution, for the respondents, q: not proven" in capsys.readouterr().out


@st.composite
def language_histories(draw):
    """As `histories`, in three languages and five counties in three areas, as the probe that
    found the sets above drew them: per county and language in each batch none or a few."""
    batches = []
    for _ in range(draw(st.integers(2, 4))):
        batch = {}
        for county in sorted(LANG_AREAS):
            for lang in LANGS:
                sizes = [0, 0, 0, 1, 2, 3, 6, 9] if lang == "fi" else [0, 0, 0, 0, 1, 2, 3]
                n = draw(st.sampled_from(sizes))
                if n:
                    batch[(county, lang)] = n
        batches.append(batch)
    return batches, draw(st.integers(1, len(batches)))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(language_histories())
def test_no_release_narrows_a_set_with_the_ones_before_it(history):
    """After every cut with the gate across times, the latest release with every release
    before it narrows no set of today's cells, for any counted key, and the auditor passes
    it. (Without the gate, the probe's random histories of this shape leaked such a set in
    about one in seven.)"""
    batches, february_from = history
    sim = LanguageSimulation(LANG_AREAS, (Q,), 5)
    cells: dict = {}
    for time, batch in enumerate(batches, start=1):
        cells = add_in_languages(cells, batch, F if time > february_from else J)
        if sim.cut(cells, time) is None:
            continue
        assert sim.audit_latest(cells, full=False).passed
        assert narrowed_now(sim, cells) == ([], [])


def test_above_the_cells_budget_the_areas_months_still_show_it(monkeypatch):
    """A national survey's cells × times exceed MAX_MONTHLY_CELLS from its second time on:
    the search then reads the table summed over the months, which cannot see a month. Months
    are published for areas and the country only, so the areas' cells (area × month ×
    language, history._areas_table) hold what two times' months say together: the same
    February Swedish speakers, as the areas' cells, and a cut with the gate holds them back."""
    from surveys.report import history

    monkeypatch.setattr(history, "MAX_MONTHLY_CELLS", 40)  # 30 cells a time; areas' 18
    sim, cells = two_months(gate=False)
    found, undecided = narrowed_now(sim, cells)
    assert not undecided
    sv = tuple(sorted((area_place(a), F, "sv") for a in set(LANG_AREAS.values())))
    assert (2.0, 2.0, sv) in {(s.low, s.high, tuple(sorted(s.cells))) for s in found}
    sim, cells = two_months(gate=True)
    assert sim.narrowed and narrowed_now(sim, cells) == ([], [])


def test_the_gate_of_a_publication_reads_the_earlier_times_it_is_given():
    """`narrowing.narrowing_figures(earlier=...)`, the gate `publish` runs with its `history`
    (a unit release's earlier releases, surveys.report.units): the same figures narrow
    nothing alone and the February sets with the first release's."""
    from surveys.report import narrowing

    sim, cells = two_months(gate=False)
    (figures, _reasons), earlier = sim.layers(sim.releases[-1], max(sim.at), sim.releases[:-1])
    table = sim.table(cells)
    assert narrowing.narrowing_figures(table, figures) == ([], [])
    found, undecided = narrowing.narrowing_figures(table, figures,
                                                   [f for f, _r in earlier.values()])
    assert found and not undecided
    assert all(s.key == "*" for s in found)  # the first key with any, as the gate fixes them
    assert tuple(sorted((c, F, "sv") for c in LANG_AREAS)) in {tuple(sorted(s.cells))
                                                                for s in found}


def test_earlier_figures_above_todays_leave_todays_figures_to_search():
    """Where an earlier time's figure lies above today's (responses quarantined since), the
    times together have no solution: as the auditor does (`contradicted`), the search reads
    today's figures alone, rather than stopping undecided (which would hold every release
    back until the figures grow past it)."""
    sim, cells = two_months(gate=False)
    current, earlier = sim.layers(sim.releases[-1], max(sim.at), sim.releases[:-1])
    first = next(iter(earlier))
    earlier[first][0][(COUNTRY, ALL_MONTHS, "*", "n")] += 100
    assert narrowed_release(sim.table(cells), current, {}) == ([], [])
    assert narrowed_release(sim.table(cells), current, earlier) == ([], [])


def test_a_question_whose_figures_shrank_leaves_the_respondents_gated():
    """Five January answers to q withdrawn (the respondents unchanged): the auditor finds q's
    earlier figures above today's, and its respondents' system (which reads every key's n)
    contradicted too. The gate used to skip every key then, and the release stored pinned
    February's Swedish speakers with the first (a review of the 7 December session's sixth
    stop). Now each key's search reads the earlier times wherever they lie under today's
    (the respondents' do), and today's alone where they do not (q's)."""
    sim = LanguageSimulation(LANG_AREAS, (Q,), 5)
    cells = add_in_languages({}, JANUARY, J)
    assert sim.cut(cells, 1) is not None
    cells = add_in_languages(cells, FEBRUARY, F)
    answers = cells[("19", J, "fi")]["q"]
    for option in ("1", "2", "3", "1", "2"):
        answers["n"] -= 1
        answers[option] -= 1
    assert sim.cut(cells, 2) is not None
    assert "q" in sim.result.contradicted
    assert sim.narrowed, "the gate read the respondents' earlier figures"
    assert narrowed_now(sim, cells) == ([], [])
