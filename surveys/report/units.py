"""Staff surveys' results per unit of the organisation tree, and per breakdown value.

Read from the unit aggregates only (surveys.fold.units), never from raw responses. A unit's
figures are its own respondents' and all its descendants'. What may be shown is decided by the
same machinery as every other result (docs/privacy.md, "Disclosure rules"): the threshold, the
differencing heuristic (surveys.report.disclosure.secondary, per sum), the attribute rules, and
the linear-programming auditor (surveys.report.audit) with its extra suppression
(surveys.report.disclosure.publish). Only the shape of the table differs:

- places are the units (any depth), and the finest cells an attacker could want are the leaf
  units and, for a unit with sub-units that has respondents of its own, its own part
  (`<code>/own`, never published: a unit's figures always include its sub-units);
- periods are the values of one breakdown question (and "*", the unit's total); the value ""
  (no answer) is never published but is a part of the total like any other. The breakdown
  questions are dimensions, not questions, of unit results: their answers per unit are the
  sizes of the value groups (a value holding all of a unit's respondents who answered the
  breakdown question is hidden, as a unanimous answer is);
- sums: a unit = its sub-units + its own part, per value; a unit's total = its values;
- besides the groups, every set of two or more of a place's values (not all) holding 1 … k−1
  people is audited as a hidden group (`UnitTable.unions`): an own part's total and its count
  in a shown value follow from published figures, and so would its people outside that value.

One table per breakdown (and one without), each audited with the unit totals. The totals must be
the same figures in every view, so the publications are recomputed with every total that any of
them hides hidden in all of them, until they agree; then each total figure is published only if
every publication publishes it (hiding a figure more never exposes another: it only widens the
auditor's ranges). Breakdowns are audited one at a time with the totals; a cut also reads their
respondent counts against each other (surveys.report.units_across) and stores no release where
they narrow a group together: see docs/privacy.md, "Breakdowns read together".

Unit results are for signed-in roles (surveys.accounts.policy `view_results` of the staff
survey). Under RESULTS_RELEASE `daily`/`hourly` they are served from *unit releases* (`cut`,
table unit_releases), never from the live aggregates: a release is cut when the survey closes
(`palaute surveys close`, the scheduled release job, `palaute results release`), nothing is shown
before the first, and the last one is shown while a reopened survey is open again. A later cut
changes the figures only as a whole, and only if every finest cell (leaf or own part × total or
breakdown value × respondents or a question's answers) grew by nobody or by at least the
threshold since the last release (`growth`): otherwise the last release stands, so the figures
shown after a second close minus those after the first never isolate one or two late
respondents. A release that may change is published and audited with the previous release's
figures as an earlier layer (surveys.report.history's system, `publish_units(history=...)`),
hiding more until both together pass. Under `live` (development, tests) figures are read as
folded. The argument: docs/privacy.md, "Releases of unit figures".
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import combinations
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from surveys.definitions.format import MAX_BREAKDOWN_CHOICES, localized, reported_questions
from surveys.definitions.snapshots import SurveySnapshot
from surveys.fold.aggregation import ANSWERED, counted_unit_answers
from surveys.fold.units import NO_ANSWER, UNIT_TOTAL, breakdowns
from surveys.infra import clock, db
from surveys.models import (
    ENDED_STATUSES,
    RESPONDENTS,
    PendingResponse,
    QuarantinedResponse,
    Survey,
    Unit,
    UnitAggregate,
    UnitCutRefusal,
    UnitRelease,
)
from surveys.staff import invitations, participation, suppression
from surveys.staff import units as org_units

from .audit import (
    ALL_MONTHS,
    BELOW_THRESHOLD,
    COUNT,
    EXACT,
    MEAN,
    MIN_OPTION_COUNT,
    NPS,
    UNANIMOUS,
    AuditResult,
    Figure,
    Group,
    Layer,
    N,
    QuestionModel,
    Table,
    audit,
    between,
)
from .disclosure import MAX_ROUNDS, Publication, _Suppression, measures, publish, secondary
from .releases import increments_protected, increments_since
from .results import _question_figures, band_of, question_model, result_options

if TYPE_CHECKING:  # numpy and scipy: a web process reading releases loads neither
    from . import units_across

log = logging.getLogger(__name__)

OWN = "/own"  # a unit code never holds "/": the own part of a unit with sub-units
WHOLE = ALL_MONTHS + "all"  # the one pseudo-value of the table without a breakdown


class UnitScopeError(ValueError):
    pass


class NoOrganisation(UnitScopeError):
    """A staff survey whose organisation is not imported: it has no unit results at all."""


@dataclass
class UnitTable(Table):
    """True counts per (leaf, value): `cells[(leaf, value)][key][measure]`, leaves being the
    units without sub-units and the own parts of the others; `months` holds the breakdown's
    values (or WHOLE). `parent_of` maps every unit code and own part to its parent."""

    parent_of: Mapping[str, str | None] = field(default_factory=dict)
    units: tuple[str, ...] = ()  # the publishable places, tree order
    shown_values: tuple[str, ...] = ()  # values published (not "", not WHOLE)
    # Whether the auditor protects a unit's unanimity in a breakdown value
    # (`unanimous_values`); off only to measure its cost (bench/units_cpu.py).
    audit_unanimous_values: ClassVar[bool] = True
    # Whether that unanimity is read among those who answered the breakdown question (else
    # among all of a unit, "no answer" included, the rule before the second 6 December
    # session); off only to measure what it costs (bench/units_cpu.py).
    unanimity_among_answering: ClassVar[bool] = True

    def __post_init__(self) -> None:
        kids: dict[str, list[str]] = defaultdict(list)
        for place, parent in self.parent_of.items():
            if parent is not None:
                kids[parent].append(place)
        self.children = {p: sorted(c) for p, c in kids.items()}
        self.counties = sorted(p for p in self.parent_of if p not in self.children)
        self.areas = []
        self._index = {(c, m): i for i, (c, m) in
                       enumerate((c, m) for c in self.counties for m in self.months)}
        self.question = {q.id: q for q in self.questions}
        self._leaves: dict[str, list[str]] = {}
        for place in self.parent_of:
            leaves, stack = [], [place]
            while stack:
                node = stack.pop()
                if node in self.children:
                    stack.extend(self.children[node])
                else:
                    leaves.append(node)
            self._leaves[place] = sorted(leaves)

    @property
    def breakdown(self) -> bool:
        return self.months != (WHOLE,)

    def places(self) -> list[str]:
        return [*self.units, *sorted(p for p in self.parent_of if p.endswith(OWN))]

    def periods(self) -> list[str]:
        return [*self.months, ALL_MONTHS] if self.breakdown else [ALL_MONTHS]

    def counties_of(self, place: str) -> list[str]:
        return self._leaves[place]

    def _union_periods(self) -> tuple[str, ...]:
        """The breakdown values, whose sets `Table.unions` audits: each place's (unit's or own
        part's) people in two or more of its breakdown values but not all, where they are
        1 … k−1: the own part is no published group, yet its total
        (the unit minus its sub-units) and its count in a shown value follow from published
        figures, and so do its people outside that value (11 − 6 − (6 − 3) = 2 in
        tests/unit/report/test_unit_disclosure.py), a group that no published category names
        and whose cells each still range over 0 … k−1. Every such set of values is audited as
        one hidden group (surveys.report.audit.protected_figures), sets holding nobody too
        (a set's people are the same with an empty value, and a reader may take either):
        at most 2^(MAX_BREAKDOWN_CHOICES + 1) per place, which is why a breakdown question
        has at most that many choices (surveys.definitions.format). With `published`, the
        sets across a unit's hidden sub-units and own part too (`Table._across`)."""
        if not self.breakdown:
            return ()
        if len(self.months) > MAX_BREAKDOWN_CHOICES + 1:
            raise ValueError(f"a breakdown of {len(self.months) - 1} choices cannot be audited "
                             f"(at most {MAX_BREAKDOWN_CHOICES}: each set of its values is)")
        return self.months

    def unanimous_values(self) -> list[tuple[Figure, str]]:
        """Where a breakdown value holds all of a unit's respondents who answered the question
        (every ward respondent who gave a profession a nurse, "no answer" beside or not), the
        unit's people in its other values (none) as a group whose unanimity is protected: they
        can be someone, given everything published. The suppression hides such a value from
        the start (`_UnitSuppression`); this makes the auditor refuse it also where it follows
        from other sums (a sibling's zeros taken from a parent's count:
        test_a_harmless_breakdown_value_does_not_show_a_unit_held_whole; among those who
        answered: test_a_units_unanimity_among_those_who_answered_the_breakdown_is_refused).
        Among those who answered, as a question's unanimity is protected: the group leaves
        "no answer" out, so it is a part of the unit's people outside the value, and holding
        someone it is also that. (A breakdown of one choice: its "no answer", `_others`.)"""
        if not (self.breakdown and self.audit_unanimous_values):
            return []
        out: list[tuple[Figure, str]] = []
        # The own parts too: no published group, but their totals and values follow from
        # their unit's minus its sub-units' (test_an_own_parts_unanimity_is_refused_...).
        for unit, value in self.held_by_all_answering(self.places()):
            # A union even of one value: the group is "the rest", not that value's own group
            # (whose other rules it must not stand for); `held_in` finds the value from it.
            group = self._union([(unit, v) for v in self._others(value)])
            out.append(((*group, RESPONDENTS, N), UNANIMOUS))
        return out

    def _others(self, value: str) -> list[str]:
        """The values whose emptiness makes `value` unanimous: the other shown values; for a
        breakdown of one choice (answering it is choosing it), "no answer"."""
        if not self.unanimity_among_answering:
            return [v for v in self.months if v != value]
        return [v for v in self.shown_values if v != value] or [NO_ANSWER]

    def held_in(self, group: Group) -> Group | None:
        """The (place, value) whose unanimity a group of `unanimous_values` protects: the one
        shown value of its place outside it."""
        parts = self.parts(group)
        if len({place for place, _v in parts}) != 1:
            return None
        held = [v for v in self.shown_values if v not in {v for _p, v in parts}]
        return (parts[0][0], held[0]) if len(held) == 1 else None

    def held_by_all_answering(self, places: Iterable[str]) -> list[Group]:
        """The (place, shown value) where the value holds all of the place's respondents who
        answered the breakdown question (at least one; with one choice, all its respondents:
        `_others`)."""
        out: list[Group] = []
        for place in places:
            for v in self.shown_values:
                if self._sum((place, v), RESPONDENTS, N) and not any(
                        self._sum((place, o), RESPONDENTS, N) for o in self._others(v)):
                    out.append((place, v))
        return out

    def relations(self) -> list[tuple[Group, list[Group]]]:
        """A unit = its sub-units and own part (per value, and in total); a unit's total = its
        values."""
        out: list[tuple[Group, list[Group]]] = []
        for period in self.periods():
            for parent, kids in self.children.items():
                out.append(((parent, period), [(c, period) for c in kids]))
        if self.breakdown:
            for place in self.places():
                out.append(((place, ALL_MONTHS), [(place, v) for v in self.months]))
        return out


def _settle(values: Mapping[Group, float], relations: list[tuple[Group, list[Group]]],
            hidden: set[Group], threshold: int) -> set[Group]:
    """The differencing heuristic of surveys.report.disclosure.hidden_cells on any table: in
    every shown sum the hidden parts hold nobody or at least the threshold, a hidden sum hides
    its parts; until nothing changes."""
    changed = True
    while changed:
        changed = False
        for parent, parts in relations:
            if parent in hidden:
                newly = set(parts) - hidden
            else:
                newly = secondary({p: int(values[p]) for p in parts},
                                  {p for p in parts if p in hidden}, threshold)
            if newly:
                hidden |= newly
                changed = True
    return hidden


class _UnitSuppression(_Suppression):
    """surveys.report.disclosure's suppression, started on the unit tree: positions are the
    units × shown values (and totals); `forced` hides more groups from the start (totals that
    another breakdown's publication hides)."""

    def __init__(self, table: UnitTable, forced: Mapping[str, set[Group]]) -> None:
        self.table = table
        periods = [*table.shown_values, ALL_MONTHS] if table.breakdown else [ALL_MONTHS]
        self.positions = [(u, p) for u in table.units for p in periods]
        self.position_set = set(self.positions)
        self.relations = table.relations()
        k = table.threshold
        groups = table.groups()
        never = {g for g in groups if g not in self.position_set}
        # A breakdown value holding all of a unit's respondents who answered the breakdown
        # question would show that everyone of them gave that answer (no answer is unanimous
        # when shown, among those who answered), even one the survey declares harmless: its
        # other values' zeros would go into the parent's sums and give a sibling's unanimity
        # in a value that is not (docs/privacy.md, "Harmless answers";
        # test_a_harmless_breakdown_value_does_not_show_a_unit_held_whole).
        unanimous = set(table.held_by_all_answering(table.units))
        self.hidden = {}
        for key in table.counted_keys():
            values = {g: table.value((*g, key, N)) or 0 for g in groups}
            start = ({g for g, n in values.items() if n < k} | never | unanimous
                     | set(forced.get(key, ())))
            self.hidden[key] = _settle(values, self.relations, start, k)
        self.withheld = set()
        self.published = {}
        for group in self.positions:
            for q in table.questions:
                self._attribute_rules(group, q)

    def breakdown_value(self, period: str) -> bool:
        return period != ALL_MONTHS

    def measures(self, q: QuestionModel, period: str) -> list[str]:
        # A breakdown value is a group like a unit's total: option counts, mean, NPS.
        return measures(q, ALL_MONTHS)


@dataclass
class UnitPublication:
    """The audited figures of each table ("*": without a breakdown, else a breakdown question's
    id), their unit totals equal in all of them."""

    tables: dict[str, UnitTable]
    pubs: dict[str, Publication]
    # The tables whose figures lost a total after their audit (kept only where all publish it),
    # each then audited again as published (`publish_units`).
    reduced: frozenset[str] = frozenset()
    # The breakdowns whose values are withheld because the views read together would narrow
    # a group (`withhold_across`), in the order withheld: the API says so (`values_withheld`).
    withheld: list[str] = field(default_factory=list)
    # Those of `withheld` whose values would have hidden unit totals (`publish_units`): the API
    # gives the reason "unit_totals" rather than "read_together".
    withheld_for_totals: list[str] = field(default_factory=list)

    def get(self, breakdown: str, place: str, period: str, key: str,
            measure: str) -> float | None:
        return self.pubs[breakdown].figures.get((place, period, key, measure))

    def reason(self, breakdown: str, place: str, period: str, key: str) -> str | None:
        return self.pubs[breakdown].reason(place, period, key)


def invited_per_leaf(table: UnitTable, issued: Mapping[str, int]) -> dict[str, int]:
    """The invitations issued per leaf of `table` (a unit without sub-units, or a unit's own
    part) from those per unit code (its own, not its sub-units'); 0 where none were issued:
    every respondent of a staff survey answered through an invitation of their unit."""
    out = {}
    for leaf in table.counties:
        code = leaf[:-len(OWN)] if leaf.endswith(OWN) else leaf
        out[leaf] = int(issued.get(code, 0))
    return out


def pinned_by_invitations(table: UnitTable, figures: Mapping[Figure, float],
                          invited: Mapping[str, int], earlier: Sequence[suppression.Sums] = (),
                          slack: Mapping[str, int] | None = None) -> list[str]:
    """The units and own parts whose respondents (1 … k−1 of them, hidden) the shown unit
    totals of `figures` and of the earlier times (`earlier`, newest first, each a list of
    (leaves, count) over the tree of its time: `unit_sums`) pin, read with the invitations
    issued (`invited`, per leaf): surveys.staff.suppression.pinned. A review of the 7 December
    session found the auditor blind to them: a hidden unit of 3 answered of 4 invited, beside
    a hidden sibling of 7 of 7 under a shown total of 10, is 3 … 4. What this reads: the unit
    totals (respondents) alone, without the reasons, the breakdowns' values or the questions'
    n (docs/privacy.md)."""
    places = {p: table.counties_of(p) for p in table.parent_of}
    truth = {p: table.value((p, ALL_MONTHS, RESPONDENTS, N)) or 0 for p in places}
    return suppression.pinned(places, [unit_sums(table, figures), *earlier], invited, truth,
                              table.threshold, slack)


def unit_sums(table: UnitTable, figures: Mapping[Figure, float]) -> list[tuple[list[str], float]]:
    """The shown unit totals (respondents) of `figures` as sums of `table`'s leaves."""
    return [(table.counties_of(p), float(v)) for (p, period, key, measure), v in figures.items()
            if (period, key, measure) == (ALL_MONTHS, RESPONDENTS, N) and v is not None
            and p in table.parent_of]


def _narrows(table: UnitTable, figures: Mapping[Figure, float],
             history: Sequence[Layer] = ()) -> bool:
    """Whether the gate after the auditor (surveys.report.narrowing.narrowing_figures) finds a
    set of cells the figures pin or narrow, with those of the earlier releases in `history`,
    or cannot decide: then the round is published again with the sets audited, through
    `publish`, which fixes or refuses it."""
    if not table.narrowing_gate:
        return False
    from .narrowing import narrowing_figures  # (scipy: only where one is audited)

    return narrowing_figures(table, figures, [f for f, _r in history]) != ([], [])


def publish_units(tables: Mapping[str, UnitTable],
                  history: Mapping[str, Sequence[Layer]] | None = None,
                  seen: Sequence[suppression.Sums] | None = None,
                  slack: Mapping[str, int] | None = None) -> UnitPublication:
    """The tables published together (`_publish_together`), unless a breakdown's values cost
    unit totals that the table without a breakdown shows on its own (a unit's respondents, or a
    question's answerers in it, not only an option count): a total hidden in one
    table is hidden in all, so a sparse breakdown (a few people per unit in each value) could
    take the organisation's own results with it, down to nothing (21 respondents in three parts
    of 7, where the age breakdown hid every unit's question results:
    test_a_breakdown_that_would_hide_the_unit_totals_is_withheld_instead; at 150 respondents
    in 41 units, bench/units_cpu.py, no figure at all). Those breakdowns' values are withheld
    instead (`withheld_for_totals`; each such view shows the unit totals only, audited as its
    own table with them), the others kept in the survey's order while they cost no total. The
    totals come first because every view shows them and HR reads the units' results before any
    breakdown of them. Where a view so shown would not pass its own audit (an earlier release
    of its values read with today's totals), every breakdown is withheld; failing that too, the
    publication together stands."""
    history = history or {}
    together = _publish_together(tables, history, seen, slack)
    breakdowns = [b for b in tables if b != UNIT_TOTAL]
    if not breakdowns:
        return together
    alone = _publish_together({UNIT_TOTAL: tables[UNIT_TOTAL]}, history, seen, slack)
    # The groups shown (a unit's respondents, a question's n in it) and each question's result
    # in them (its mean or NPS): a breakdown that only withholds one more option count of a
    # shown total keeps its values; one that leaves a unit's question n without its result does
    # not (found by review: U1's 11 answerers of the workload question shown, mean gone).
    wanted = {f for f in alone.pubs[UNIT_TOTAL].figures if f[3] in (N, MEAN, NPS)}
    if wanted <= together.pubs[UNIT_TOTAL].figures.keys():
        return together
    chosen, kept = alone, []
    for b in breakdowns:
        trying = [*kept, b]
        # (Every breakdown at once is the publication together, which hid a total.)
        trial = together if len(trying) == len(breakdowns) else _publish_together(
            {UNIT_TOTAL: tables[UNIT_TOTAL], **{c: tables[c] for c in trying}},
            history, seen, slack)
        if wanted <= trial.pubs[UNIT_TOTAL].figures.keys():
            chosen, kept = trial, trying
    for base, showing in ((chosen, kept), (alone, [])) if kept else ((alone, []),):
        pub = _withheld_for_totals(tables, base, showing, history)
        if pub is not None:
            if pub.withheld:
                log.info("unit publication: the values of %s are withheld so that the unit "
                         "totals shown without them stay shown", ", ".join(pub.withheld),
                         extra={"withheld": pub.withheld})
            return pub
    return together


def _withheld_for_totals(tables: Mapping[str, UnitTable], base: UnitPublication,
                         kept: Sequence[str], history: Mapping[str, Sequence[Layer]]
                         ) -> UnitPublication | None:
    """`base` (the tables of `kept` published with the one without a breakdown) with every
    other breakdown's view showing only its unit totals; None unless every view passes its
    audit as shown, with its reasons and earlier releases (a cut trusts a passed result:
    `passes_with_history`), read with every question (`uncoupled` empty)."""
    shown = base.pubs[UNIT_TOTAL]  # (its figures and reasons are all of unit totals)
    pubs = dict(base.pubs)
    withheld = [b for b in tables if b != UNIT_TOTAL and b not in kept]
    for b in withheld:
        pubs[b] = Publication(tables[b], dict(shown.figures), shown.result,
                              reasons=dict(shown.reasons))
    for b, p in pubs.items():
        p.result = audit(tables[b], p.figures, reasons=p.reasons, history=history.get(b, ()))
        if not p.result.passed or p.result.uncoupled:
            return None
    # And the gate after the auditor, which `_publish_together` ran on the others' figures
    # (these or more: fewer only widen every range): a withheld view read with an earlier
    # release that showed its values was never gated (found by review; no leak reproduced,
    # the gate is the proof).
    if any(_narrows(tables[b], pubs[b].figures, history.get(b, ())) for b in withheld):
        return None
    return UnitPublication(dict(tables), {b: pubs[b] for b in tables}, base.reduced,
                           withheld=list(withheld), withheld_for_totals=list(withheld))


def _publish_together(tables: Mapping[str, UnitTable],
                      history: Mapping[str, Sequence[Layer]] | None = None,
                      seen: Sequence[suppression.Sums] | None = None,
                      slack: Mapping[str, int] | None = None) -> UnitPublication:
    """Each table published and audited (surveys.report.disclosure.publish), with the totals any
    of them hides hidden in all of them, then each total figure kept only where all publish it.

    `history`: per table, the figures and reasons of the earlier unit releases still public
    (newest first): each table is then audited with them as surveys.report.history audits a
    release with the one before it, hiding more until both together pass (`cut`).

    The tables' `caps` (`tables_of`'s `issued`): the invitations issued per leaf, which HR
    knows. The auditor reads them with every figure and reason of a table; and where the
    shown unit totals, read with them and with HR's page (`seen`), pin a hidden unit's
    respondents, the total that pins it is hidden too (`pinned_by_invitations`).
    `seen`: the unit totals shown earlier, newest first, as sums of leaves (default: the
    earlier releases'; `cut` adds HR's participation page, over the tree it was counted on);
    `slack`: per leaf, responses counted earlier and no longer (quarantined)."""
    history = history or {}
    invited = {leaf: int(cap) for leaf, cap in tables[UNIT_TOTAL].caps.items()} or None
    keys = next(iter(tables.values())).counted_keys()
    forced: dict[str, set[Group]] = {key: set() for key in keys}
    earlier = [unit_sums(tables[UNIT_TOTAL], f) for f, _r in
               history.get(UNIT_TOTAL, ())] if seen is None else seen
    # First the totals the heuristic alone hides in any table (cheap, no linear program), so
    # that the audited round below seldom has to be repeated.
    grew = True
    while grew:
        grew = False
        for t in tables.values():
            state = _UnitSuppression(t, forced)
            for key in keys:
                more = {g for g in state.hidden[key] if g[1] == ALL_MONTHS} - forced[key]
                if more:
                    forced[key] |= more
                    grew = True
    while True:
        pubs: dict[str, Publication] = {}
        # The sets of values (`UnitTable.unions`) are audited only once the totals agree: a round
        # that hides one more total is repeated, and the sets are many (bench/units_cpu.py).
        unions = False
        for round_ in range(MAX_ROUNDS):
            unions = unions or round_ == MAX_ROUNDS - 1
            pubs = {b: publish(t, state=_UnitSuppression(t, forced), history=history.get(b, ()),
                               unions=unions)
                    for b, t in tables.items()}
            grew = False
            for key in keys:
                for b, t in tables.items():
                    for u in t.units:
                        g = (u, ALL_MONTHS)
                        if (u, ALL_MONTHS, key, N) not in pubs[b].figures and g not in forced[key]:
                            forced[key].add(g)
                            grew = True
            if not grew:
                if unions or not any(t.more_to_audit(pubs[b].figures)
                                     or _narrows(t, pubs[b].figures, history.get(b, ()))
                                     for b, t in tables.items()):
                    break
                # The totals agree: audit each publication with its sets of values. Where all
                # pass, read with every question too (`uncoupled` empty), they stand as they
                # are; otherwise one more round publishes every table with its sets audited from
                # the start (and `publish` publishes nothing it could not read together).
                checked = {b: audit(t, pubs[b].figures, reasons=pubs[b].reasons,
                                    history=history.get(b, ())) for b, t in tables.items()}
                if all(r.passed and not r.uncoupled for r in checked.values()) and \
                        not any(_narrows(t, pubs[b].figures, history.get(b, ()))
                                for b, t in tables.items()):
                    for b, r in checked.items():
                        pubs[b].result = r
                    break
                unions = True
        common = set.intersection(*({f for f in p.figures if f[1] == ALL_MONTHS}
                                    for p in pubs.values()))
        reduced = set()
        lost: dict[str, list[Figure]] = {}
        for b, p in pubs.items():
            kept = {f: v for f, v in p.figures.items() if f[1] != ALL_MONTHS or f in common}
            if len(kept) != len(p.figures):
                reduced.add(b)
                lost[b] = [f for f in p.figures if f not in kept]
            p.figures = kept
        # Every view shows the unit totals with the reasons of those hidden, and each table
        # withdrew the reasons that exposed something in its own audit (disclosure.
        # audited_reasons): a total's reason is kept only where every table kept it alike, so
        # each view's reasons are a part of those its table passed with (fewer reasons: wider
        # ranges). The earlier releases a cut audits with are stored the same way.
        shared = set.intersection(*({(g, r) for g, r in p.reasons.items() if g[1] == ALL_MONTHS}
                                    for p in pubs.values()))
        for p in pubs.values():
            p.reasons = {g: r for g, r in p.reasons.items()
                         if g[1] != ALL_MONTHS or (g, r) in shared}
        # A table that lost a total figure here was audited with it: it is audited again as
        # published, so that every table's result is of its figures as published (a cut then
        # audits none again, `passes_with_history`, and `live` views are audited as shown).
        # Where that fails, what it lost is hidden in every table from the start and all are
        # published again (`forced` only grows: a lost figure's group was not forced, or it
        # would not have been published). It should not fail: the unit totals' n are forced
        # alike above, so a table loses only counts, means or NPS of a shown total, which the
        # auditor does not protect unless below MIN_OPTION_COUNT (withheld in every table
        # alike); losing a figure or a reason only widens its ranges. The fallback is tested
        # on its own (test_a_table_failing_its_audit_as_published_is_published_again).
        failing = _failing_as_published(tables, pubs, reduced, history)
        if not failing:
            totals = tables[UNIT_TOTAL]
            shown = {p: v for (p, period, key, measure), v in pubs[UNIT_TOTAL].figures.items()
                     if (period, key, measure) == (ALL_MONTHS, RESPONDENTS, N)
                     and p in totals.units}
            pinned = [] if invited is None else pinned_by_invitations(
                totals, pubs[UNIT_TOTAL].figures, invited, earlier, slack)
            hide = {suppression.pinning(totals.parent_of.get(p), totals.parent_of, shown, p)
                    for p in pinned} - {None}
            if not hide:
                break
            for key in keys:  # as every total is: hidden in every table, for every key
                forced[key] |= {(place, ALL_MONTHS) for place in hide}
            continue
        more = False
        for b in failing:
            for place, period, key, _measure in set(lost[b]):
                if (place, period) not in forced[key]:
                    forced[key].add((place, period))
                    more = True
        if not more:  # cannot happen (above); `passes_with_history` refuses it if it does
            break
    return UnitPublication(dict(tables), pubs, frozenset(reduced))


def _failing_as_published(tables: Mapping[str, UnitTable], pubs: Mapping[str, Publication],
                          reduced: Iterable[str],
                          history: Mapping[str, Sequence[Layer]]) -> list[str]:
    """The tables of `reduced` that fail the audit as published; each one's result replaced
    by that audit's."""
    failing = []
    for b in sorted(reduced):
        again = audit(tables[b], pubs[b].figures, reasons=pubs[b].reasons,
                      history=history.get(b, ()))
        # Stored either way: a failing table must not keep its passing result from before it
        # lost figures (`passes_with_history` trusts a passed result).
        pubs[b].result = again
        if not again.passed:
            failing.append(b)
    return failing


def passes_with_history(pub: UnitPublication, history: Mapping[str, Sequence[Layer]],
                        pairs: units_across.Pairs | None = None, across: bool = True) -> bool:
    """Whether every table of `pub` passes the audit with its earlier layers, as published (a
    total hidden in one table is hidden in all: `publish_units`). A table whose audit in
    `publish_units` passed is not audited again: that audit read exactly these figures and
    layers, and these reasons or more (the same programs, the same result: a quarter of a
    unit cut's CPU, bench/unit_history_cpu.py), a table that lost a total there included,
    which `publish_units` audits again as published. The others are (one not read with every
    question, `uncoupled`). And the breakdowns read against each other
    (surveys.report.units_across): no group narrowed by the views together (`pairs`: the true
    counts of each pair of breakdowns, `stored_pairs`; None: their groups not read; `across`
    False: read already, by `withhold_across`)."""
    for b, table in pub.tables.items():
        p = pub.pubs[b]
        if p.result.passed and not p.result.uncoupled:
            continue
        if not audit(table, p.figures, reasons=p.reasons, history=history.get(b, ())).passed:
            return False
    return not across or _pub_read_together(pub, history, pairs) == []


def _pub_read_together(pub: UnitPublication, history: Mapping[str, Sequence[Layer]],
                       pairs: units_across.Pairs | None) -> list[units_across.Narrowed] | None:
    return _read_together(pub.tables, {b: p.figures for b, p in pub.pubs.items()},
                          {b: p.reasons for b, p in pub.pubs.items()}, pairs, history)


def _read_together(tables: Mapping[str, UnitTable], figures: Mapping[str, Mapping[Figure, float]],
                   reasons: Mapping[str, Mapping[tuple[str, str, str], str]],
                   pairs: units_across.Pairs | None, history: Mapping[str, Sequence[Layer]]
                   ) -> list[units_across.Narrowed] | None:
    """What the views read together narrow (surveys.report.units_across); None where they
    have no solution or the solver failed (logged): not proven, so not to be published."""
    if sum(b != UNIT_TOTAL for b in tables) < 2:
        return []  # one breakdown is audited with the totals already (and numpy not loaded)
    from . import units_across

    try:
        return units_across.narrowed(tables, figures, reasons, pairs, history)
    except units_across.Infeasible:  # today's figures themselves: not sums of today's counts
        log.error("unit release: the breakdowns read together have no solution")
        return None
    except RuntimeError as exc:
        log.error("unit release: the breakdowns could not be read together: %s",
                  type(exc).__name__)
        return None


def withhold_across(pub: UnitPublication, history: Mapping[str, Sequence[Layer]],
                    pairs: units_across.Pairs | None = None) -> tuple[list[str], bool | None]:
    """Where the breakdowns read together narrow a group (surveys.report.units_across), the
    values of the last breakdown (in the survey's order) that still shows any are withheld
    from `pub`, until they do not. With no earlier release that ends by the last breakdown at
    the latest: with no values shown, every group of a place ranges from none to its total's
    most, which the unit totals' own audit keeps at k − 1 or more where it is small. A
    breakdown withheld keeps the unit totals, alike in every view, and shows its values as
    hidden with no reason (fewer figures and reasons only widen every range, so each table's
    own audit still stands).
    Returns the breakdowns withheld, and whether the views then pass read together: True;
    False where with an earlier release they still narrow a group; None where that is not
    known (no solution together, or the solver failed). Else the last release stands."""
    before = len(pub.withheld)
    while True:
        found = _pub_read_together(pub, history, pairs)
        if found is None:
            return pub.withheld[before:], None
        showing = [b for b in pub.tables if b != UNIT_TOTAL and b not in pub.withheld]
        if not found or not showing:
            return pub.withheld[before:], not found
        _withhold(pub, showing[-1])


def _withhold(pub: UnitPublication, breakdown: str) -> None:
    """Hide every value of `breakdown` in `pub`, keeping its unit totals (alike in every view)."""
    view = pub.pubs[breakdown]
    view.figures = {f: v for f, v in view.figures.items() if f[1] == ALL_MONTHS}
    view.reasons = {g: r for g, r in view.reasons.items() if g[1] == ALL_MONTHS}
    if breakdown not in pub.withheld:
        pub.withheld.append(breakdown)


# -- tables from the unit aggregates --------------------------------------------------------

@dataclass(frozen=True)
class Tree:
    root: Unit
    rows: list[tuple[int, Unit]]  # (depth, unit), depth first

    @property
    def by_code(self) -> dict[str, Unit]:
        return {u.code: u for _d, u in self.rows}

    def signature(self) -> tuple:
        codes = {u.id: u.code for _d, u in self.rows}
        return tuple((u.code, codes.get(u.parent_id)) for _d, u in self.rows)


def _measure(questions: Mapping[str, dict[str, Any]], qid: str, option: str) -> str | None:
    """The table's measure of an aggregate's option (surveys.report.results.survey_table)."""
    if qid == RESPONDENTS or option == ANSWERED:
        return N
    if qid not in questions:
        return None  # a question removed from the definition since
    if questions[qid]["type"] == "number":
        return band_of(questions[qid], int(option)) or ""
    return option


def tables_of(rows: Iterable[tuple[int, str, str, str, str, int]], tree: Tree,
              definition: dict[str, Any], threshold: int,
              issued: Mapping[str, int] | None = None) -> dict[str, UnitTable]:
    """The unit tables ("*" and one per breakdown question) from unit aggregates' rows
    (unit id, breakdown, value, question id, option, count). `issued`: the invitations issued
    per unit code, which HR knows: each leaf's respondents are at most its invitations in
    every table (`Table.caps`, read by the auditor with everything published)."""
    code_of = {u.id: u.code for _d, u in tree.rows}
    has_kids = {u.parent_id for _d, u in tree.rows}
    parent_of: dict[str, str | None] = {u.code: code_of.get(u.parent_id) if u is not tree.root
                                        else None for _d, u in tree.rows}
    questions = {q["id"]: q for q in reported_questions(definition)}
    dims = [b for b in breakdowns(definition) if b in questions]
    # A breakdown question is a dimension of unit results, not one of their questions: its
    # answers per unit are the sizes of its values' groups, published (or not) as those.
    models = tuple(question_model(q) for q in reported_questions(definition) if q["id"] not in dims)
    cells: dict[str, dict] = {b: defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
                              for b in [UNIT_TOTAL, *dims]}
    owns: set[str] = set()
    for unit_id, breakdown, value, qid, option, count in rows:
        code = code_of.get(unit_id)
        if code is None or breakdown not in cells:
            continue  # a unit outside the organisation; a breakdown no longer in the survey
        measure = _measure(questions, qid, option)
        if measure is None:
            continue
        leaf = code
        if unit_id in has_kids:
            leaf = code + OWN
            owns.add(code)
        period = WHOLE if breakdown == UNIT_TOTAL else value
        cells[breakdown][(leaf, period)][qid][measure] += int(count)
    # A unit's own part with invitations is a leaf even where nobody of it answered: HR knows
    # its invitations, and without the leaf its count would be read as none (a review of the
    # 7 December session's second stop: U0's 20 own invitations left out, U0 over U1's 1 of
    # 1 was read as 0 … 1, and the size rule's bound as 1).
    owns |= {code_of[u] for u in has_kids if u in code_of and (issued or {}).get(code_of[u])}
    places = dict(parent_of)
    for code in owns:
        places[code + OWN] = code
    units = tuple(u.code for _d, u in tree.rows)
    out: dict[str, UnitTable] = {
        UNIT_TOTAL: UnitTable({}, (WHOLE,), models, threshold, cells[UNIT_TOTAL],
                              parent_of=places, units=units)}
    for b in dims:
        shown = tuple(o.value for o in result_options(questions[b], "fi"))
        out[b] = UnitTable({}, (*shown, NO_ANSWER), models, threshold, cells[b],
                           parent_of=places, units=units, shown_values=shown)
    if issued is not None:
        totals = out[UNIT_TOTAL]
        # (Never below a leaf's respondents: each answered through an invitation of their
        # unit, but a bound the truth broke would leave the auditor's systems without it.)
        caps = {leaf: max(n, int(totals.value((leaf, ALL_MONTHS, RESPONDENTS, N)) or 0))
                for leaf, n in invited_per_leaf(totals, issued).items()}
        for table in out.values():
            table.caps = caps
    return out


# Per process: {(database URL, survey id): (stamp, threshold, tree signature, publication)}.
_CACHE: dict[tuple[str, int], tuple[str, int, tuple, UnitPublication]] = {}


# The most breakdowns whose values' groups are read against the views at once (surveys.report.
# units_across): None, every number from two to all of a survey's breakdowns. Lower only to
# measure what reading more costs (bench/units_cpu.py); a lower cap leaves groups unread.
MAX_JOINT_SIZE: int | None = None


def joint_sizes(breakdowns: int) -> range:
    """How many breakdowns' values at once `pairs_of` counts the groups of, for a survey of
    this many breakdowns: two, three, … all of them (MAX_JOINT_SIZE)."""
    most = breakdowns if MAX_JOINT_SIZE is None else min(breakdowns, MAX_JOINT_SIZE)
    return range(2, most + 1)


def pairs_of(rows: Iterable[tuple[int | None, Mapping[str, Any]]], tree: Tree,
             views: Sequence[str]) -> Counter:
    """The people per (leaf, breakdown, value, other breakdown, its value[, a third, its
    value, …]) of these (unit id, answers), each pair, each three, … and all of `views`
    (breakdown ids: `joint_sizes`) in their order, values as the fold counts them
    (surveys.fold.units: "" for no answer): what surveys.report.units_across reads the groups
    in a value of two or more breakdowns at once against. A leaf: a unit without sub-units, or
    a unit's own part."""
    parents = {u.parent_id for _d, u in tree.rows}
    leaf_of = {u.id: u.code + OWN if u.id in parents else u.code for _d, u in tree.rows}
    out: Counter = Counter()
    sizes = joint_sizes(len(views))
    for unit_id, answers in rows:
        leaf = leaf_of.get(unit_id) if unit_id is not None else None
        if leaf is None or not isinstance(answers, Mapping):
            continue
        values = [NO_ANSWER if (v := answers.get(b)) is None else str(v) for b in views]
        for size in sizes:
            for joint in combinations(range(len(views)), size):
                out[(leaf, *(x for i in joint for x in (views[i], values[i])))] += 1
    return out


def stored_pairs(session: Session, survey: SurveySnapshot, tree: Tree,
                 tables: Mapping[str, UnitTable]) -> Counter | None:
    """`pairs_of` the survey's stored responses: those moved into `responses` and those folded
    and still held for their batch (surveys.fold.aggregation.place), as the aggregates count
    them. None where they are not the responses the unit aggregates count (raw responses
    deleted at the end of their retention period), or with fewer than two breakdowns."""
    views = [b for b in tables if b != UNIT_TOTAL]
    if len(views) < 2:
        return None
    # One statement, so one snapshot: a fold that moves held rows into `responses` between
    # two reads would leave them out of both. (A stored text that is not JSON is no mapping:
    # left out, so the counts below differ.)
    pairs = pairs_of(counted_unit_answers(session, survey.id), tree, views)
    totals = tables[UNIT_TOTAL]
    counted: Counter = Counter()
    for (leaf, *joint), n in pairs.items():
        if joint[::2] == views[:2]:  # each response once (its first two breakdowns' pair)
            counted[leaf] += n
    for leaf in totals.counties:
        if counted[leaf] != (totals.value((leaf, ALL_MONTHS, RESPONDENTS, N)) or 0):
            return None
    return pairs


# What `_pairs_to_read` found: the pairs were read (or are not needed: fewer than two
# breakdowns); the stored responses are not those counted; they were deleted at the end of
# their retention period (the pairs can no longer be read).
READ, UNPROVEN, PURGED = "read", "unproven", "purged"


def _pairs_to_read(session: Session, survey: SurveySnapshot, tree: Tree,
                   tables: Mapping[str, UnitTable]) -> tuple[Counter | None, str]:
    """`stored_pairs`, and whether the breakdowns may be read together with what it gives
    (READ); UNPROVEN where the stored responses are not those the aggregates count for any
    reason but a retention purge (a fold committed between the reads, a row not readable);
    PURGED after a purge."""
    pairs = stored_pairs(session, survey, tree, tables)
    if pairs is not None or len(tables) <= 2:
        return pairs, READ
    purged = session.scalar(select(Survey.responses_purged_on).where(Survey.id == survey.id))
    return None, UNPROVEN if purged is None else PURGED


def _withhold_from(pub: UnitPublication, first: int) -> None:
    """Withhold the values of every breakdown from the `first` on (in the survey's order): 1
    where the pairs cannot be read, so that no view shows a group in a value of two; 0 where
    the reading together is not proven (each breakdown withheld shows only the unit totals,
    alike in every view)."""
    # (Counted among those still showing: a breakdown withheld for the unit totals
    # (`publish_units`) is not the first, found by review.)
    for b in [b for b in pub.tables if b != UNIT_TOTAL and b not in pub.withheld][first:]:
        _withhold(pub, b)


def forget_cached() -> None:
    _CACHE.clear()
    _RELEASES.clear()


def tree_of(session: Session, survey: SurveySnapshot) -> Tree:
    """The survey's organisation tree, or UnitScopeError (not a staff survey, or its
    organisation is not imported)."""
    if survey.audience != "staff":
        raise UnitScopeError("units are for staff surveys")
    root = invitations.organisation_of(session, survey)
    if root is None:
        raise NoOrganisation("the survey's organisation is not imported")
    return Tree(root, org_units.tree(session, root))


def live_tables(session: Session, survey: SurveySnapshot, tree: Tree) -> dict[str, UnitTable]:
    """The unit tables of today's unit aggregates."""
    rows = session.execute(select(UnitAggregate.unit_id, UnitAggregate.breakdown,
                                  UnitAggregate.value, UnitAggregate.question_id,
                                  UnitAggregate.option, UnitAggregate.count)
                           .where(UnitAggregate.survey_id == survey.id))
    return tables_of(rows, tree, survey.definition, survey.min_group_size,
                     issued=_issued(session, survey, tree))


def _issued(session: Session, survey: SurveySnapshot, tree: Tree) -> dict[str, int]:
    """The invitations issued so far per unit code of the survey's tree (HR issued them and
    its pages show them)."""
    codes = {u.id: u.code for _d, u in tree.rows}
    return {codes[u]: n for u, (n, _spent) in invitations.counts(session, survey.id).items()
            if u in codes}


def unit_publication(session: Session, survey: SurveySnapshot, tree: Tree) -> UnitPublication:
    """The audited unit publication, kept per process under the survey's results stamp (every
    fold and rebuild replaces it), its threshold and the shape of the tree."""
    conn = session.connection()
    cache_key = (conn.engine.url.render_as_string(hide_password=True), survey.id)
    stamp = conn.execute(select(Survey.results_stamp).where(Survey.id == survey.id)).scalar()
    signature = tree.signature()
    cached = _CACHE.get(cache_key)
    if stamp and cached is not None and cached[:3] == (stamp, survey.min_group_size, signature):
        return cached[3]
    pub = publish_units(live_tables(session, survey, tree))
    if _read_live(session, survey, tree, pub) and stamp:
        _CACHE[cache_key] = (stamp, survey.min_group_size, signature, pub)
    return pub


def _read_live(session: Session, survey: SurveySnapshot, tree: Tree,
               pub: UnitPublication) -> bool:
    """Under `live`, the views are read together as a first cut reads them (`withhold_across`
    with no earlier release): where they narrow a group, breakdowns' values are withheld.
    Where that cannot be proven (the stored responses not those counted, as when a fold
    commits between the reads, or the solver failed) every breakdown's values are withheld,
    which with no earlier release always passes (`withhold_across`), and False: that is not
    kept, and the next request reads again. After a retention purge, one breakdown's values
    at most are shown (`_withhold_from`)."""
    pairs, state = _pairs_to_read(session, survey, tree, pub.tables)
    if state == PURGED:
        _withhold_from(pub, 1)
    if state != UNPROVEN:
        withheld, together = withhold_across(pub, {}, pairs)
        if withheld:
            log.warning("unit results: read together, the breakdowns would give a group away; "
                        "the values of %s are withheld", ", ".join(withheld),
                        extra={"survey": survey.slug})
        if together:
            return True
    else:
        log.warning("unit results: the stored responses are not those counted; every "
                    "breakdown's values are withheld until they are",
                    extra={"survey": survey.slug})
    _withhold_from(pub, 0)
    return False


# -- releases of unit figures ---------------------------------------------------------------

Sizes = dict[str, dict[str, dict[str, int]]]  # leaf -> key -> size label -> n


def _size_label(breakdown: str, period: str) -> str:
    return RESPONDENTS if breakdown == UNIT_TOTAL else f"{breakdown}={period}"


def unit_sizes(tables: Mapping[str, UnitTable]) -> Sizes:
    """The sizes of every finest cell of every table: per leaf (a unit without sub-units, or a
    unit's own part), per key (respondents, or those who answered a question), per size label
    ("*": the leaf's total; "<breakdown>=<value>": a breakdown value, "" for no answer)."""
    out: Sizes = {}
    for b, table in tables.items():
        for (leaf, period), keys in table.cells.items():
            for key, measures_ in keys.items():
                n = int(measures_.get(N, 0))
                if n:
                    out.setdefault(leaf, {}).setdefault(key, {})[_size_label(b, period)] = n
    return out


@dataclass(frozen=True)
class Growth:
    """What changed since the last unit release: whether any cell did, and the cells that grew
    by 1 … threshold − 1 (leaf, key, size label, increment)."""

    changed: bool
    too_few: list[tuple[str, str, str, int]]

    @property
    def allowed(self) -> bool:
        """Whether a new release may change the figures (docs/privacy.md, "Releases of unit
        figures"): something changed and no finest cell grew by fewer than the threshold."""
        return self.changed and not self.too_few


def growth(before: Sizes, now: Sizes, threshold: int) -> Growth:
    """Compare every finest cell's sizes with those of the release that last changed the unit
    figures (surveys.report.releases' rule, applied to every cell at once)."""
    changed, too_few = False, []
    for leaf in sorted(set(before) | set(now)):
        was, got = before.get(leaf, {}), now.get(leaf, {})
        for key in sorted(set(was) | set(got)):
            increments = increments_since(was.get(key), got.get(key, {}))
            for label, v in sorted(increments.items()):
                changed |= v != 0
                if not increments_protected([v], threshold):
                    too_few.append((leaf, key, label, v))
    return Growth(changed, too_few)


# A staff survey's unit figures may change at most this many times (unit releases stored): each
# release is one more earlier layer in the audit of every later cut, so a survey reopened and
# closed again and again would grow that audit without bound. Past it the last release stands
# for good, as a county survey's figures do once pacing's times are used
# (bench/unit_history_cpu.py; docs/performance.md, "Unit releases by their number").
MAX_UNIT_RELEASES = 3


def releases_stored(session: Session, survey_id: int) -> int:
    """How many unit releases a survey has."""
    return session.scalar(select(func.count()).select_from(UnitRelease)
                          .where(UnitRelease.survey_id == survey_id)) or 0


def releases_used(session: Session, survey: SurveySnapshot) -> int | None:
    """How many unit releases `survey` has, where that is all it may have (None: fewer)."""
    stored = releases_stored(session, survey.id)
    return stored if stored >= MAX_UNIT_RELEASES else None


def releasable(survey: SurveySnapshot) -> bool:
    """Whether unit releases are cut for `survey`: a staff survey that has closed."""
    return survey.audience == "staff" and survey.status in ENDED_STATUSES


def release_due(session: Session, survey: SurveySnapshot) -> bool:
    """Whether a closed staff survey may need a unit release cut (the hourly job's test): it
    has none yet, or answers were folded since its last was cut (the survey's results stamp,
    which every fold that counts its answers replaces, differs from the one the release was
    cut under). Else its unit tables are those of the last release: a cut would find nothing
    that changed. Never once its releases are used (`MAX_UNIT_RELEASES`)."""
    if releases_used(session, survey) is not None:
        return False
    current = session.scalar(select(Survey.results_stamp).where(Survey.id == survey.id))
    refused = session.scalar(select(UnitCutRefusal.data)
                             .where(UnitCutRefusal.survey_id == survey.id))
    if refused is not None and refused.get("stamp") == current:
        try:
            signature = _signature(tree_of(session, survey))
        except UnitScopeError:
            signature = None
        if refused == _refusal(current, survey, signature, refused.get("why")):
            return False  # refused on these very figures: a cut would refuse them again
    last = session.execute(
        select(UnitRelease.data["stamp"].as_string())
        .where(UnitRelease.survey_id == survey.id)
        .order_by(UnitRelease.id.desc()).limit(1)).first()
    if last is None or last[0] is None:  # none yet, or cut before releases kept their stamp
        return True
    return current != last[0]


def _signature(tree: Tree) -> list[list[str | None]]:
    """The tree's shape as a release stores it (JSON: lists)."""
    return [list(pair) for pair in tree.signature()]


def _refusal(stamp: str | None, survey: SurveySnapshot, signature: list | None,
             why: str | None) -> dict[str, Any]:
    return {"stamp": stamp, "threshold": survey.min_group_size, "tree": signature, "why": why}


def _refuse(session: Session, survey: SurveySnapshot, stamp: str | None, signature: list,
            why: str) -> None:
    """Record that a cut refused these figures for a reason they always give (`release_due`
    then finds no cut due until they change): one row per survey, written over (a row of its
    own, so no lock is held on the survey's, which the fold updates)."""
    data = _refusal(stamp, survey, signature, why)
    insert = (sqlite_insert if db.is_sqlite(session) else pg_insert)(UnitCutRefusal.__table__)
    session.execute(insert.values(survey_id=survey.id, data=data)
                    .on_conflict_do_update(index_elements=["survey_id"], set_={"data": data}))


def _latest(session: Session, survey_id: int) -> tuple[int, datetime] | None:
    row = session.execute(select(UnitRelease.id, UnitRelease.released_at)
                          .where(UnitRelease.survey_id == survey_id)
                          .order_by(UnitRelease.id.desc()).limit(1)).first()
    return None if row is None else (row[0], row[1])


def _layer(data: Mapping[str, Any], breakdown: str) -> Layer:
    """A stored release's figures and reasons of one table, as the auditor reads a time's."""
    figures = {(p, per, key, m): v
               for p, per, key, m, v in data["figures"].get(breakdown, [])}
    reasons = {(p, per, key): r for p, per, key, r in data["reasons"].get(breakdown, [])}
    return figures, reasons


def _release_rates(session: Session, survey: SurveySnapshot, tree: Tree,
                   pub: UnitPublication) -> dict[str, dict[str, Any]]:
    """Per unit, the response rate a release shows: invitations issued and headcount at the cut,
    and the released respondents ÷ those, only where the release shows the respondents (so a
    rate tells nothing the released figures don't)."""
    out = {}
    for rate in suppression.response_rates(session, survey, tree.root):
        n = pub.get(UNIT_TOTAL, rate.code, ALL_MONTHS, RESPONDENTS, N)
        out[rate.code] = {
            "issued": rate.issued, "headcount": rate.headcount,
            "of_issued": round(n / rate.issued, 3) if n is not None and rate.issued else None,
            "of_headcount": round(n / rate.headcount, 3)
            if n is not None and rate.headcount else None,
            "suppressed": n is None,
        }
    return out


def _participation_page(session: Session, last: tuple[date, Mapping[int, Any]] | None,
                        table: UnitTable) -> tuple[date, list[tuple[list[str], float]]] | None:
    """What HR's invitations page shows of the survey's participation, as last counted
    (surveys.staff.participation): each shown unit's respondents with its sub-units', as sums
    of `table`'s leaves over the tree the page was counted on (a unit moved since sums other
    leaves now: each unit's own part is a leaf either way). HR reads them beside the release,
    each hiding small units by a rule of its own: a review of 7 December read a unit's one
    respondent from the two (the page showed a full unit the release hid, the release the
    sibling the page hid). `last`: its last count (`participation.latest`). None before the
    first count or where it shows no unit."""
    if _page_day(last) is None:
        return None
    day, counted = last
    shown = participation.shown_of(counted)
    codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(counted))).all())
    under = suppression.subtrees({u: f.parent_id for u, f in counted.items()})
    return day, [([_leaf_of(table, codes[u]) for u in under[unit]
                   if _leaf_of(table, codes[u]) in table.parent_of], float(n))
                 for unit, n in shown.items()]


def _own_issued(tree: Tree, rates: Mapping[str, Mapping[str, Any]]) -> dict[str, int] | None:
    """Each unit's own invitations when a release was cut, from its stored rates (each unit's
    with its sub-units'); None where a unit of the tree has none stored (`cut` refuses)."""
    if any(u.code not in rates for _d, u in tree.rows):
        return None
    kids: dict[int | None, list[str]] = defaultdict(list)
    for _d, u in tree.rows:
        kids[u.parent_id].append(u.code)
    return {u.code: int(rates[u.code]["issued"]) - sum(int(rates[c]["issued"])
                                                        for c in kids[u.id])
            for _d, u in tree.rows}


def _caps_then(tables: Mapping[str, UnitTable], issued: Mapping[str, int] | None
               ) -> dict[str, int]:
    """Per leaf, the invitations issued at an earlier time (`issued`: per unit code, its own,
    as recorded then), where fewer than today's bound (`Table.caps`): that time's respondents
    were at most those, which today's bound does not say (a review of the 7 December session's
    second stop: a unit of 4 of 4 invited at the first release, 96 invited since, pinned its
    sibling's one respondent). The numbers recorded, not the invitations' days: a day is too
    coarse (invitations issued later on a release's day, or after the night's count)."""
    if issued is None:
        return {}
    then = invited_per_leaf(tables[UNIT_TOTAL], issued)
    now = tables[UNIT_TOTAL].caps
    return {leaf: n for leaf, n in then.items() if n < now.get(leaf, n)}


def _bounded(layer: Layer, bounds: Mapping[str, int], threshold: int) -> Layer:
    """An earlier time's layer with each leaf's bound of then, taken together with the reason
    the layer shows for it (a group has one reason: "between" both; `audit.between`, never
    published): below the threshold, 0 … min(k − 1, bound); hidden to protect another,
    k … bound; none, 0 … bound."""
    figures, reasons = layer
    out = dict(reasons or {})
    for leaf, n in bounds.items():
        group = (leaf, ALL_MONTHS, RESPONDENTS)
        reason = out.get(group)
        low, high = (0, n) if reason is None else (
            (0, min(threshold - 1, n)) if reason == BELOW_THRESHOLD else (threshold, n))
        out[group] = between(low, high)
    return figures, out


def _page_layer(last: tuple[date, Mapping[int, Any]] | None, survey: SurveySnapshot,
                tree: Tree, tables: Mapping[str, UnitTable], quarantined: bool) -> Layer | None:
    """HR's page as last counted (`last`: `participation.latest`), as an earlier time of the
    unit tables (each shown unit's respondents, no reasons: the page says only that a unit is
    hidden), each leaf bounded by the invitations the count recorded (`_bounded`), for the
    auditor to read with every figure and reason. None where the tables cannot hold it: the
    page was counted over another tree (its sums are then read by `pinned_by_invitations`
    alone, over the tree they were counted on), or responses are in quarantine or were purged
    from it (`_quarantined`; counted on the page and not in the figures: the layer would
    contradict today's; the program allows for them)."""
    if last is None:
        return None
    counted = last[1]
    if {u: f.parent_id for u, f in counted.items()} != {u.id: u.parent_id for _d, u in tree.rows}:
        log.info("unit release: HR's page was counted over another tree; the auditor reads "
                 "it with the unit totals only", extra={"survey": survey.slug})
        return None
    if quarantined:
        log.info("unit release: responses in quarantine (or purged from it); the auditor reads "
                 "HR's page with the unit totals only", extra={"survey": survey.slug})
        return None
    codes = {u.id: u.code for _d, u in tree.rows}  # (the page's units: the same tree)
    shown = {(codes[u], ALL_MONTHS, RESPONDENTS, N): float(n)
             for u, n in participation.shown_of(counted).items()}
    issued = {codes[u]: f.issued for u, f in counted.items()}
    return _bounded((shown, {}), _caps_then(tables, issued), survey.min_group_size)


def _page_day(last: tuple[date, Mapping[int, Any]] | None) -> date | None:
    """The day of HR's page's figures as `_participation_page` reads them from its last count
    (`last`; None: it reads none)."""
    if last is None or not participation.shown_of(last[1]):
        return None
    return last[0]


def _page_place(earlier: Sequence[UnitRelease], day: date) -> int:
    """Where HR's page counted on `day` stands among the earlier releases (newest first): after
    those cut on its Finnish day or later (a count stops once a release exists, so in practice
    it is older than all of them)."""
    return sum(1 for r in earlier if clock.day_of(r.released_at.isoformat()) >= day)


def _leaf_of(table: UnitTable, code: str) -> str:
    """The leaf of `table` holding a unit's own respondents: its own part if it has sub-units."""
    return code + OWN if code + OWN in table.parent_of else code


def _quarantined(session: Session, survey: SurveySnapshot, tree: Tree,
                 table: UnitTable) -> dict[str, int]:
    """Per leaf, the survey's responses in quarantine, or deleted from it by the retention
    purge (`Survey.quarantine_purged`): counted by HR's page (a spent invitation) and not in
    the figures."""
    codes = {u.id: u.code for _d, u in tree.rows}
    rows = session.execute(select(QuarantinedResponse.unit_id, func.count())
                           .where(QuarantinedResponse.survey_id == survey.id)
                           .group_by(QuarantinedResponse.unit_id)).all()
    purged = session.scalar(select(Survey.quarantine_purged).where(Survey.id == survey.id))
    out: dict[str, int] = {}
    for unit_id, n in [*rows, *((int(u), n) for u, n in (purged or {}).items())]:
        if unit_id in codes:
            leaf = _leaf_of(table, codes[unit_id])
            out[leaf] = out.get(leaf, 0) + n
    return out


def cut(session: Session, survey: SurveySnapshot, now: datetime) -> UnitRelease | None:
    """Cut a release of `survey`'s unit figures now (at its close: `releasable`); None if the
    last release stands (nothing is stored).

    The first release publishes today's unit tables as they are published live. A later one
    (after a reopen) changes the figures only if every finest cell grew by nobody or by at least
    the threshold since the last release (`growth`), and then its tables are published and
    audited together with the figures of every release before it (each an earlier layer: unit
    releases are few, one per close), hiding more until all together pass. Otherwise the last
    release stands as a whole: no figure of it changes, so no figure can be subtracted from
    another of a different time (docs/privacy.md, "Releases of unit figures"). None as well
    once the survey has all the unit releases it may have (`MAX_UNIT_RELEASES`).

    Every table is read, besides, with the invitations issued as upper bounds (the tables'
    `caps`; each earlier time with those it recorded, `_caps_then`) and HR's participation
    page (its last count) as one more earlier time: by the auditor where it was counted over
    today's tree (`_page_layer`), and by the program over the unit totals over the tree it
    was counted on (`publish_units`' `seen` and `slack`). The page and the release's store
    take one lock in turn (`participation.hold_page`)."""
    used = releases_used(session, survey)
    if used is not None:
        log.info("unit release: all the survey's unit releases are used; the last release "
                 "stands", extra={"survey": survey.slug, "releases": used})
        return None
    tree = tree_of(session, survey)
    if session.scalar(select(PendingResponse.id).where(PendingResponse.survey_id == survey.id,
                                                       PendingResponse.folded.is_(False))
                      .limit(1)) is not None:
        # Answers stored before the close and not yet counted: the release waits for them (the
        # scheduled job cuts it once they are folded), else they could only ever show as a
        # later change, which the rule may refuse for good.
        log.info("unit release: waiting for answers not yet folded",
                 extra={"survey": survey.slug})
        return None
    # Read before the tables: a fold committed in between leaves this stamp older than the
    # tables, so the release looks due again (`release_due`), never the other way round.
    stamp = session.scalar(select(Survey.results_stamp).where(Survey.id == survey.id))
    tables = live_tables(session, survey, tree)
    sizes = unit_sizes(tables)
    signature = _signature(tree)
    earlier = session.scalars(select(UnitRelease).where(UnitRelease.survey_id == survey.id)
                              .order_by(UnitRelease.id.desc())).all()
    layers: dict[str, list[Layer]] = {}
    if earlier:
        previous = earlier[0].data
        if any(r.data["tree"] != signature for r in earlier):
            # Its figures are sums over another tree: today's would differ from them by whole
            # units moved, not by respondents who joined. The last release stands.
            log.warning("unit release: the organisation tree changed since the last release; "
                        "the last release stands", extra={"survey": survey.slug})
            _refuse(session, survey, stamp, signature, "tree")
            return None
        grew = growth(previous["sizes"], sizes, survey.min_group_size)
        if not grew.allowed:
            if grew.changed:  # (how many cells would count respondents: not logged)
                log.info("unit release: some cells grew by fewer than the threshold; the last "
                         "release stands", extra={"survey": survey.slug})
            _refuse(session, survey, stamp, signature,
                    "growth" if grew.changed else "unchanged")
            return None
        # Each read with the invitations issued when it was cut.
        issued_then = [_own_issued(tree, r.data.get("rates", {})) for r in earlier]
        if None in issued_then:
            # A release stores a rate for every unit of its tree, the tree every later cut
            # has: only a row changed by hand lacks one. Today's invitations are no bound on
            # those of then (a unit may have had 4 of the 100 it has now), so that release
            # cannot be read as HR reads it. The last release stands.
            log.warning("unit release: the invitations issued when an earlier release was cut "
                        "are not recorded; the last release stands",
                        extra={"survey": survey.slug})
            _refuse(session, survey, stamp, signature, "rates")
            return None
        bounds = [_caps_then(tables, issued) for issued in issued_then]
        layers = {b: [_bounded(_layer(r.data, b), bound, survey.min_group_size)
                      for r, bound in zip(earlier, bounds, strict=True)] for b in tables}
    seen = None
    audited = layers  # the earlier times every table is audited with
    last = participation.latest(session, survey.id)
    page = _participation_page(session, last, tables[UNIT_TOTAL])
    counted_on = page[0] if page is not None else None
    slack = _quarantined(session, survey, tree, tables[UNIT_TOTAL])
    if page is not None:  # read with the earlier releases' totals, in its place among them
        day, sums = page
        totals = [unit_sums(tables[UNIT_TOTAL], f) for f, _r in layers.get(UNIT_TOTAL, ())]
        at = _page_place(earlier, day)
        seen = [*totals[:at], sums, *totals[at:]]
        shown = _page_layer(last, survey, tree, tables, bool(slack))
        if shown is not None:
            # And by the auditor, with every table's figures and reasons: the program over
            # the unit totals alone did not read the reasons (a review of the 7 December
            # session's second stop: the page's ORG 8 and the release's reasons "at least 3"
            # and "at most 2" with the invitations pinned an own part to 1 … 3).
            audited = {b: [*layers.get(b, [])[:at], shown, *layers.get(b, [])[at:]]
                       for b in tables}
    pairs, state = _pairs_to_read(session, survey, tree, tables)
    if state == UNPROVEN:  # not proven, so not cut; the scheduled job tries again
        log.warning("unit release: the stored responses are not those counted; no release",
                    extra={"survey": survey.slug})
        return None
    if state == PURGED and layers:
        # The groups in a value of two breakdowns can no longer be counted, and an earlier
        # release is public (its views may show them): none is read against it. It stands.
        log.warning("unit release: raw responses deleted (retention); the breakdowns cannot "
                    "be read with the last release, which stands", extra={"survey": survey.slug})
        _refuse(session, survey, stamp, signature, "purged")
        return None
    try:
        pub = publish_units(tables, history=audited, seen=seen, slack=slack)
    except suppression.Contradicted:  # (as `contradicted` below, for the unit totals' program)
        log.warning("unit release: the figures of an earlier time do not lie under today's "
                    "(responses quarantined since?); the last release stands",
                    extra={"survey": survey.slug, "tables": [UNIT_TOTAL]})
        _refuse(session, survey, stamp, signature, "contradicted")
        return None
    except suppression.Unsolvable:
        log.warning("unit release: the figures and the invitations issued have no solution; "
                    "no release", extra={"survey": survey.slug})
        return None
    below = sorted(b for b, p in pub.pubs.items()
                   if p.result.contradicted or p.result.truth_outside)
    if below:
        # An earlier time's figures (a release's, or HR's page's) cannot lie under today's:
        # counts fell (a rebuild quarantined responses, a fall the growth rule allows). The
        # auditor reads every time as a part of the next, so it left those times out
        # (audit `contradicted`) and what it passed was never read with them. Refused until
        # the figures change (e.g. the quarantined responses requeued once fixed).
        log.warning("unit release: the figures of an earlier time do not lie under today's "
                    "(responses quarantined since?); the last release stands",
                    extra={"survey": survey.slug, "tables": below})
        _refuse(session, survey, stamp, signature, "contradicted")
        return None
    if state == PURGED:  # the first release: one breakdown's values at most are shown
        log.info("unit release: raw responses deleted (retention); one breakdown's values "
                 "at most are shown", extra={"survey": survey.slug})
        _withhold_from(pub, 1)
    withheld, together = withhold_across(pub, audited, pairs)
    if withheld:
        log.warning("unit release: read together, the breakdowns would give a group away; "
                    "the values of %s are withheld", ", ".join(withheld),
                    extra={"survey": survey.slug})
    # The first release too: a table that lost a total after its own audit is audited again
    # as published (with no earlier release, only such a table is).
    if not together or not passes_with_history(pub, audited, across=False):
        if layers:
            log.warning("unit release: no publication passes the audit with the last release; "
                        "it stands", extra={"survey": survey.slug})
        else:
            log.warning("unit release: the publication does not pass its audit as published "
                        "(each table, then its breakdowns read together); no release",
                        extra={"survey": survey.slug})
        if together is not None:
            # The same figures give the same audit: not tried again every hour (a publication
            # of CPU each time) until they change. A reading not proven (the solver failed) is.
            _refuse(session, survey, stamp, signature, "audit")
        return None
    data = {
        "tree": signature,
        "threshold": survey.min_group_size,
        "sizes": sizes,
        "figures": {b: [[*f, v] for f, v in sorted(p.figures.items())]
                    for b, p in pub.pubs.items()},
        "reasons": {b: [[*g, r] for g, r in sorted(p.reasons.items())]
                    for b, p in pub.pubs.items()},
        "rates": _release_rates(session, survey, tree, pub),
        "stamp": stamp,
        "withheld": pub.withheld,
        "withheld_for_totals": pub.withheld_for_totals,
        # Per leaf, the responses counted on HR's page and not in the figures (quarantined,
        # or purged from quarantine) that this cut allowed for: what is public does not
        # change when they are requeued later, so the operator's audit reads the release
        # with these (`audit_latest`), not with today's.
        "slack": dict(slack),
    }
    release = UnitRelease(survey_id=survey.id, released_at=now.replace(second=0, microsecond=0),
                          data=data, seq=earlier[0].seq + 1 if earlier else 0)
    participation.hold_page(session, survey.id)  # a count from here on sees this release
    if _page_day(participation.latest(session, survey.id)) != counted_on:
        # HR's page was counted after this cut read it: the release was audited without the
        # count HR now reads beside it. Not stored; the next run cuts with it (nothing refused).
        log.warning("unit release not stored: HR's participation page was counted while the "
                    "cut read it; the next run cuts again", extra={"survey": survey.slug})
        return None
    # Its place in the survey's sequence is unique: a cut at the same moment that stored a
    # release since this one read the last takes it; else the two, each audited without the
    # other, could differ by a few.
    if not db.add_unless_taken(session, release):
        log.warning("unit release not stored: another cut of this survey stored one first",
                    extra={"survey": survey.slug})
        return None
    return release


def cut_if_closed(session: Session, survey: SurveySnapshot, now: datetime,
                  mode: str) -> UnitRelease | None:
    """`cut` for a closed staff survey under releases (RESULTS_RELEASE daily or hourly); None
    for any other survey or mode, or when the survey's organisation is not imported."""
    if mode == "live" or not releasable(survey):
        return None
    try:
        return cut(session, survey, now)
    except UnitScopeError:
        return None


class ReleasedUnits:
    """A stored unit release, read as a UnitPublication is."""

    def __init__(self, release_id: int, released_at: datetime, data: Mapping[str, Any]) -> None:
        self.id, self.released_at = release_id, released_at
        self.figures = {b: dict(_layer(data, b)[0]) for b in data["figures"]}
        self.reasons = {b: dict(_layer(data, b)[1]) for b in data["reasons"]}
        self.rates: dict[str, dict[str, Any]] = dict(data["rates"])
        # (Releases cut before 6 December 2026's fourth session do not record it.)
        self.withheld: list[str] = list(data.get("withheld", ()))
        # (Nor this, before 8 December 2026's second session: `publish_units`.)
        self.withheld_for_totals: list[str] = list(data.get("withheld_for_totals", ()))

    def get(self, breakdown: str, place: str, period: str, key: str,
            measure: str) -> float | None:
        return self.figures.get(breakdown, {}).get((place, period, key, measure))

    def reason(self, breakdown: str, place: str, period: str, key: str) -> str | None:
        return self.reasons.get(breakdown, {}).get((place, period, key))

    def info(self) -> dict[str, str]:
        return {"released_at": self.released_at.strftime("%Y-%m-%dT%H:%MZ")}


# Per process: {(database URL, survey id, release id): the release read} (a release never
# changes).
_RELEASES: dict[tuple[str, int, int], ReleasedUnits] = {}


def released(session: Session, survey_id: int) -> ReleasedUnits | None:
    """The latest unit release of the survey, or None (none cut yet)."""
    latest = _latest(session, survey_id)
    if latest is None:
        return None
    release_id, released_at = latest
    key = (session.connection().engine.url.render_as_string(hide_password=True), survey_id,
           release_id)
    got = _RELEASES.get(key)
    if got is None or got.released_at != released_at:  # an id reused after a deletion
        row = session.get(UnitRelease, release_id)
        assert row is not None
        got = _RELEASES[key] = ReleasedUnits(row.id, row.released_at, row.data)
    return got


# -- auditing the latest unit release ------------------------------------------------------

@dataclass
class TableAudit:
    """The audit of one table of a stored unit release: the auditor's result (None when the
    stored figures have no solution under today's data: tampered, or the aggregates shrank),
    and the stored figures that show a group below the threshold outright ("threshold": the
    stored n, or today's, is 1 … k−1), or an option count below MIN_OPTION_COUNT ("exact")
    (figure, rule): the linear-programming auditor takes a published figure as allowed by the
    rules, so these are checked besides."""

    result: AuditResult | None
    shown_small: list[tuple[Figure, str]]
    # The sets of cells (a unit's values, several units') that the stored figures and reasons
    # pin or narrow below the size rule, read with the invitations (surveys.report.narrowing,
    # the gate a cut passes): the auditor bounds only the groups and the sets it lists.
    narrowed: list[Any] = field(default_factory=list)
    # Keys whose search stopped undecided (its time limit, or figures with no solution):
    # nothing proven, so the table does not pass.
    undecided: list[str] = field(default_factory=list)

    @property
    def exposed(self) -> list[tuple[Figure, str]]:
        ranges = [] if self.result is None else [(r.figure, r.rule) for r in self.result.exposed]
        return [*self.shown_small, *ranges]

    @property
    def contradicted(self) -> bool:
        """Today's figures contradict the release's times (an earlier one's figures, or the
        release's own, do not lie under them: responses quarantined since?): the auditor read
        that system without them, so it proves nothing of what they show. A cut refuses."""
        return self.result is not None and bool(self.result.contradicted
                                                or self.result.truth_outside)

    @property
    def passed(self) -> bool:
        return (self.result is not None and not self.exposed and not self.contradicted
                and not self.narrowed and not self.undecided)


@dataclass
class UnitReleaseAudit:
    release: UnitRelease
    earlier: int  # unit releases audited as earlier layers (every one before it)
    tree_changed: bool  # its tree is not today's: not audited (tables empty)
    current: bool  # today's finest-cell sizes are those it was cut from
    threshold_changed: bool  # cut under another min_group_size (today's is audited)
    tables: dict[str, TableAudit]
    left_out: int  # stored figures of groups today's tables do not have
    # The groups its breakdowns read against each other narrow (surveys.report.units_across);
    # None where they could not be read (no solution together, or the solver failed).
    across: list[units_across.Narrowed] | None = field(default_factory=list)
    # HR's participation page: the day of its last count where the audit read it as an
    # earlier time (as `cut` does, `_page_layer`); False where it could not (counted over
    # another tree, responses in quarantine, or counted after the release); None: never
    # counted.
    page: date | bool | None = None
    # Earlier releases with no stored rate for some unit of the tree (a row changed by hand:
    # a cut refuses, "rates"): read with today's invitations, looser than HR's reading, so the
    # audit cannot pass.
    unrecorded: int = 0
    # The units and own parts the shown unit totals pin with the invitations, the earlier
    # releases' and HR's page (the program `publish_units` runs, `pinned_by_invitations`);
    # None where that program has no solution (an earlier time's counts above today's, as
    # a cut refuses: `contradicted`).
    pinned: list[str] | None = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (not self.tree_changed and all(t.passed for t in self.tables.values())
                and self.across == [] and not self.unrecorded and self.pinned == [])


def _shown_small(table: UnitTable, figures: Mapping[Figure, float]) -> list[tuple[Figure, str]]:
    k = table.threshold
    out = []
    for fig, v in sorted(figures.items()):
        measure = fig[3]
        if measure == N:
            true = table.value(fig) or 0
            if 0 < v < k or 0 < true < k:
                out.append((fig, BELOW_THRESHOLD))
        elif measure.startswith(COUNT) and 0 < v < MIN_OPTION_COUNT:
            out.append((fig, EXACT))
    return out


def audit_latest(session: Session, survey: SurveySnapshot) -> UnitReleaseAudit | None:
    """Audit the latest unit release of a staff survey as a whole, table by table: its stored
    figures and reasons, with those of every unit release before it and HR's participation
    page as earlier layers (as `cut` audits it), against the tables of today's unit
    aggregates; and every stored figure against the threshold itself. None if no unit
    release was cut. UnitScopeError if the survey's organisation is not imported."""
    tree = tree_of(session, survey)
    rows = session.scalars(select(UnitRelease).where(UnitRelease.survey_id == survey.id)
                           .order_by(UnitRelease.id.desc())).all()
    if not rows:
        return None
    newest = rows[0]
    data = newest.data
    # (A cut stores a release only over the tree of every release before it: one over another
    # tree would be a hand-made row, its sums not placeable here.)
    earlier = [r for r in rows[1:] if r.data["tree"] == data["tree"]]
    signature = _signature(tree)
    tables = live_tables(session, survey, tree)
    out = UnitReleaseAudit(newest, len(earlier), data["tree"] != signature,
                           data["sizes"] == unit_sizes(tables),
                           data["threshold"] != survey.min_group_size, {}, 0)
    if out.tree_changed:  # its figures are sums over another tree
        return out
    # HR's page, as the cut reads it (`_page_layer`): an earlier time of every table, in its
    # place among the earlier releases by Finnish day. (A count stops once a release exists;
    # one of a later day than the newest release is no earlier time of it: not read.)
    last = participation.latest(session, survey.id)
    # The quarantine as the cut allowed for it (releases cut before the 7 December session's
    # third stop did not store it: today's).
    slack = data["slack"] if "slack" in data else _quarantined(session, survey, tree,
                                                               tables[UNIT_TOTAL])
    read = last if last is not None and last[0] <= clock.day_of(
        newest.released_at.isoformat()) else None
    page = None if read is None else _page_layer(read, survey, tree, tables, bool(slack))
    out.page = None if last is None else last[0] if page is not None else False
    at = 0 if read is None else _page_place(earlier, read[0])
    published: dict[str, dict[Figure, float]] = {}
    shown_reasons: dict[str, dict[tuple[str, str, str], str]] = {}
    every_layer: dict[str, list[Layer]] = {}
    issued_then = [_own_issued(tree, r.data.get("rates", {})) for r in earlier]
    out.unrecorded = issued_then.count(None)  # (read with today's: looser than HR's reading)
    bounds = [_caps_then(tables, issued) for issued in issued_then]
    from .narrowing import narrowed_everywhere  # (scipy: only where one is audited)

    for b, table in tables.items():
        groups = set(table.groups())
        figures, reasons = _layer(data, b)
        kept = published[b] = {f: v for f, v in figures.items() if f[:2] in groups}
        out.left_out += len(figures) - len(kept)
        reasons = shown_reasons[b] = {g: r for g, r in reasons.items() if g[:2] in groups}
        layers = every_layer[b] = []
        times = [_bounded(_layer(r.data, b), bound, survey.min_group_size)  # (each with its
                 for r, bound in zip(earlier, bounds, strict=True)]          # invitations)
        if page is not None:
            times.insert(at, page)
        for f, why in times:
            layers.append(({x: v for x, v in f.items() if x[:2] in groups},
                           {g: v for g, v in (why or {}).items() if g[:2] in groups}))
        try:
            result: AuditResult | None = audit(table, kept, reasons=reasons, history=layers)
        except RuntimeError:  # no solution: the figures are not sums of today's counts
            result = None
        # (Figures with no solution fail as they are: nothing to search.)
        sets, undecided = narrowed_everywhere(
            table, kept, reasons, [f for f, _why in layers]) if result else ([], [])
        out.tables[b] = TableAudit(result, _shown_small(table, kept), sets, undecided)
    out.across = _read_together(tables, published, shown_reasons,
                                stored_pairs(session, survey, tree, tables), every_layer)
    # And the program over the unit totals, as the cut runs it (`publish_units`): with HR's
    # page over the tree it was counted on, which the auditor cannot hold where the tree
    # changed since, and with the slack for quarantined responses.
    totals = tables[UNIT_TOTAL]
    seen = [unit_sums(totals, _layer(r.data, UNIT_TOTAL)[0]) for r in earlier]
    sums = None if read is None else _participation_page(session, read, totals)
    if sums is not None:  # (its day is `read`'s: in the place of the page's layer)
        seen.insert(at, sums[1])
    invited = {leaf: int(cap) for leaf, cap in totals.caps.items()}
    try:
        out.pinned = sorted(map(str, pinned_by_invitations(
            totals, published[UNIT_TOTAL], invited, seen, slack))) if invited else []
    except (suppression.Contradicted, suppression.Unsolvable):
        out.pinned = None
    return out


# -- the documents --------------------------------------------------------------------------

@dataclass
class _View:
    """One table of the unit publication (or release), as surveys.report.results reads a
    Publication."""

    pub: Served | None
    breakdown: str

    def get(self, place: str, period: str, key: str, measure: str) -> float | None:
        if self.pub is None:
            return None
        return self.pub.get(self.breakdown, place, period, key, measure)

    def reason(self, place: str, period: str, key: str) -> str | None:
        """Why a hidden figure is hidden, as this table's audit let it be said (the reasons are
        facts of each table's audit, read from the same true counts in every table)."""
        if self.pub is None:
            return None
        return self.pub.reason(self.breakdown, place, period, key)


def unit_name(unit: Unit, lang: str) -> str:
    return unit.name_sv if lang == "sv" else unit.name_fi


def _block(view: Any, code: str, period: str, survey: SurveySnapshot,
           lang: str) -> dict[str, Any]:
    respondents = view.get(code, period, RESPONDENTS, N)
    return {
        "respondents": None if respondents is None else int(respondents),
        "suppressed": respondents is None,
        "questions": {q["id"]: _question_figures(view, code, period, q, lang)
                      for q in reported_questions(survey.definition)},
    }


def published(survey: SurveySnapshot, mode: str) -> bool:
    """Whether unit figures are read as folded (`live`); under releases they are read from the
    latest unit release (`released`), cut when the survey closes."""
    return mode == "live"


Served = UnitPublication | ReleasedUnits


def _rates(session: Session, survey: SurveySnapshot, tree: Tree,
           pub: UnitPublication | None) -> dict[str, dict[str, Any]]:
    """Per unit: invitations issued, headcount, and the response rate (spent ÷ issued, ÷
    headcount) only where the unit's respondents are published and surveys.staff.suppression
    shows its spent invitations (both decide on the same threshold)."""
    out = {}
    for rate in suppression.response_rates(session, survey, tree.root):
        shown = (pub is not None and rate.respondents is not None
                 and pub.get(UNIT_TOTAL, rate.code, ALL_MONTHS, RESPONDENTS, N) is not None)
        out[rate.code] = {
            "issued": rate.issued, "headcount": rate.headcount,
            "of_issued": round(rate.of_issued, 3) if shown and rate.of_issued is not None
            else None,
            "of_headcount": round(rate.of_headcount, 3)
            if shown and rate.of_headcount is not None else None,
            "suppressed": not shown,
        }
    return out


def _served(session: Session, survey: SurveySnapshot, tree: Tree,
            mode: str) -> tuple[Served | None, dict[str, dict[str, Any]]]:
    """The figures unit results show, and the response rates shown with them: as folded under
    `live`; else the latest unit release's (None before the first close)."""
    if published(survey, mode):
        pub = unit_publication(session, survey, tree)
        return pub, _rates(session, survey, tree, pub)
    release = released(session, survey.id)
    if release is None:
        return None, _rates(session, survey, tree, None)
    rates = dict(release.rates)
    if any(u.code not in rates for _d, u in tree.rows):  # a unit added since the cut
        for code, rate in _rates(session, survey, tree, None).items():
            rates.setdefault(code, rate)
    return release, rates


def unit_results(session: Session, survey: SurveySnapshot, unit_code: str | None,
                 breakdown: str | None, lang: str, mode: str) -> dict[str, Any]:
    """The results document of the API for a unit (default: the organisation) with its
    descendants, the shape of a region's plus `response_rate`, and with `breakdown` one block
    per value of that breakdown question. UnitScopeError for an unknown unit or breakdown."""
    tree = tree_of(session, survey)
    return _unit_document(survey, tree, *_served(session, survey, tree, mode), unit_code,
                          breakdown, lang, mode)


def _unit_document(survey: SurveySnapshot, tree: Tree, pub: Served | None,
                   rates: dict[str, dict[str, Any]], unit_code: str | None,
                   breakdown: str | None, lang: str, mode: str) -> dict[str, Any]:
    """`unit_results` of the figures served (`_served`)."""
    unit = tree.by_code.get(unit_code) if unit_code else tree.root
    if unit is None:
        raise UnitScopeError(f"unknown unit {unit_code!r}")
    questions = {q["id"]: q for q in reported_questions(survey.definition)}
    if breakdown is not None and breakdown not in breakdowns(survey.definition):
        raise UnitScopeError(f"{breakdown!r} is not a breakdown question of the survey")
    doc: dict[str, Any] = {
        "survey": survey.slug,
        "scope": {"level": "unit", "code": unit.code, "name": unit_name(unit, lang)},
        "min_group_size": survey.min_group_size,
        **_block(_View(pub, UNIT_TOTAL), unit.code, ALL_MONTHS, survey, lang),
        "unit": {"code": unit.code, "name": unit_name(unit, lang),
                 "parent": next((u.code for _d, u in tree.rows if u.id == unit.parent_id),
                                None),
                 "headcount": unit.headcount, "retired": unit.retired_on is not None},
        "response_rate": rates[unit.code],
        "published": pub is not None,
    }
    if not published(survey, mode):
        doc["release"] = pub.info() if isinstance(pub, ReleasedUnits) else None
    if breakdown is not None:
        labels = {o.value: o.label for o in result_options(questions[breakdown], lang)}
        view = _View(pub, breakdown)
        withheld = pub is not None and breakdown in pub.withheld
        doc["breakdown"] = {
            "question": breakdown,
            "text": localized(questions[breakdown]["text"], lang),
            # Every value hidden because this breakdown read with the others would narrow a
            # group (docs/privacy.md, "Breakdowns read together").
            "values_withheld": withheld,
            # ... or because its values would have hidden unit totals (`publish_units`).
            "reason": None if not withheld else "unit_totals"
            if breakdown in pub.withheld_for_totals else "read_together",
            "values": [{"value": v, "label": labels[v], **_block(view, unit.code, v, survey,
                                                                  lang)}
                       for v in labels],
        }
    return doc


@dataclass(frozen=True)
class TreeRow:
    depth: int
    code: str
    name: str
    retired: bool
    respondents: int | None  # None: suppressed (or not published yet)
    rate: dict[str, Any]


def unit_page(session: Session, survey: SurveySnapshot, unit_code: str | None,
              breakdown: str | None, lang: str,
              mode: str) -> tuple[dict[str, Any], list[TreeRow]]:
    """`unit_results`, and every unit of the organisation with its respondents and response
    rate, as published, from one reading of the tree and the figures served (HR's page).
    NoOrganisation where the organisation is not imported; UnitScopeError for an unknown unit
    or breakdown."""
    tree = tree_of(session, survey)
    pub, rates = _served(session, survey, tree, mode)
    doc = _unit_document(survey, tree, pub, rates, unit_code, breakdown, lang, mode)
    rows = []
    for depth, unit in tree.rows:
        n = pub.get(UNIT_TOTAL, unit.code, ALL_MONTHS, RESPONDENTS, N) if pub else None
        rows.append(TreeRow(depth, unit.code, unit_name(unit, lang), unit.retired_on is not None,
                            None if n is None else int(n), rates[unit.code]))
    return doc, rows
