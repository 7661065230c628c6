"""A county's organisation as a tree of units with headcounts, imported from CSV.

The CSV has the columns `code,parent_code,name_fi,name_sv,headcount`; the one row with an empty
`parent_code` is the organisation (the root). `parse` checks the whole file and reports every
bad row by its line number (`UnitsFileError`); `apply` then replaces the county's organisation
tree in the session (flush only: the edge commits, so nothing is half-imported). Re-importing
updates names, parents and headcounts and may add units; a unit missing from the new file is
deleted if nothing refers to it (a response, an invitation, a survey naming it as its
organisation, or a retired unit under it), else retired (`retired_on`).

The same table is meant to hold a county's service units later (kind 'service': health
stations, clinics, home care areas) for citizen feedback per unit; the organisation import only
touches kinds 'organisation' and 'unit'.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.infra import clock
from surveys.models import (
    Invitation,
    PendingResponse,
    QuarantinedResponse,
    Response,
    Survey,
    Unit,
    UnitAggregate,
)

COLUMNS = ("code", "parent_code", "name_fi", "name_sv", "headcount")
CODE_RE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
ORG_KINDS = ("organisation", "unit")
MAX_HEADCOUNT = 10_000_000


@dataclass(frozen=True)
class Problem:
    """One bad row (line 0: the file as a whole). `code` is a stable error name; `value` the
    offending value, shown next to the line number."""

    line: int
    code: str
    value: str = ""


PROBLEM_TEXTS = {
    "not_utf8": "the file is not UTF-8 text",
    "empty": "the file is empty",
    "missing_column": "missing column: {value}",
    "wrong_field_count": "wrong number of fields",
    "bad_code": "bad unit code {value!r} (letters, digits, . _ -; at most 40)",
    "duplicate_code": "duplicate unit code {value!r}",
    "unknown_parent": "unknown parent unit {value!r}",
    "cycle": "unit {value!r} is in a cycle of parents",
    "bad_headcount": "headcount {value!r} is not a whole number ≥ 0",
    "missing_name": "missing name ({value})",
    "no_root": "no organisation row (a row with an empty parent_code)",
    "two_roots": "a second organisation row {value!r} (only one row may have an empty "
                 "parent_code)",
    "name_too_long": "name longer than 200 characters ({value})",
}


def describe(problem: Problem) -> str:
    """English text of a problem, for the CLI (the admin page translates the codes)."""
    text = PROBLEM_TEXTS[problem.code].format(value=problem.value)
    return f"line {problem.line}: {text}" if problem.line else text


class UnitsFileError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(describe(p) for p in problems))


@dataclass(frozen=True)
class Row:
    line: int
    code: str
    parent_code: str  # "" for the organisation
    name_fi: str
    name_sv: str
    headcount: int


def parse(data: bytes) -> list[Row]:
    """The rows of a units CSV, parents before children, or UnitsFileError listing every
    problem by line. Accepts a UTF-8 byte order mark and `;` as the separator (Excel in
    Finnish and Swedish)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UnitsFileError([Problem(line, "not_utf8")]) from None
    if not text.strip():
        raise UnitsFileError([Problem(0, "empty")])
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UnitsFileError([Problem(1, "missing_column", c) for c in missing])
    at = {c: header.index(c) for c in COLUMNS}
    problems: list[Problem] = []
    rows: list[Row] = []
    seen: dict[str, int] = {}
    parents_named: list[tuple[int, str]] = []  # every row's parent, checked once all are read
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            problems.append(Problem(line, "wrong_field_count"))
            continue
        value = {c: fields[i].strip() for c, i in at.items()}
        ok = True
        if not CODE_RE.fullmatch(value["code"]):
            problems.append(Problem(line, "bad_code", value["code"]))
            ok = False
        elif value["code"] in seen:
            problems.append(Problem(line, "duplicate_code", value["code"]))
            ok = False
        else:
            seen[value["code"]] = line
        if value["parent_code"]:
            parents_named.append((line, value["parent_code"]))
        for name in ("name_fi", "name_sv"):
            if not value[name]:
                problems.append(Problem(line, "missing_name", name))
                ok = False
            elif len(value[name]) > 200:
                problems.append(Problem(line, "name_too_long", name))
                ok = False
        raw = value["headcount"]
        if not re.fullmatch(r"[0-9]{1,8}", raw) or int(raw) > MAX_HEADCOUNT:
            problems.append(Problem(line, "bad_headcount", raw))
            ok = False
        if ok:
            rows.append(Row(line, value["code"], value["parent_code"], value["name_fi"],
                            value["name_sv"], int(raw)))
    roots = [r for r in rows if not r.parent_code]
    if not roots and not problems:
        problems.append(Problem(0, "no_root"))
    for extra in roots[1:]:
        problems.append(Problem(extra.line, "two_roots", extra.code))
    codes = {r.code for r in rows}
    # Codes of rows refused above still count as known parents: one fault is reported once.
    known = set(seen)
    children: dict[str, list[Row]] = {}
    for line, parent_code in parents_named:
        if parent_code not in known:
            problems.append(Problem(line, "unknown_parent", parent_code))
    for r in rows:
        children.setdefault(r.parent_code, []).append(r)
    ordered: list[Row] = []
    queue = list(roots[:1])
    while queue:
        node = queue.pop(0)
        ordered.append(node)
        queue.extend(children.get(node.code, []))
    reached = {r.code for r in ordered}
    for r in rows:
        if r.code not in reached and r.parent_code in codes and _in_cycle(r, rows):
            problems.append(Problem(r.line, "cycle", r.code))
    if problems:
        raise UnitsFileError(sorted(problems, key=lambda p: (p.line, p.code)))
    return ordered


def _in_cycle(row: Row, rows: list[Row]) -> bool:
    parent = {r.code: r.parent_code for r in rows}
    seen, code = set(), row.code
    while code and code not in seen:
        seen.add(code)
        code = parent.get(code, "")
    return code == row.code


@dataclass
class Summary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def apply(session: Session, region_code: str, rows: list[Row], today: date) -> Summary:
    """Make the county's organisation tree what `rows` (from `parse`) say. Flushes only."""
    existing = {u.code: u for u in session.scalars(
        select(Unit).where(Unit.region_code == region_code, Unit.kind.in_(ORG_KINDS)))}
    summary = Summary()
    by_code: dict[str, Unit] = {}
    for row in rows:  # parents first
        unit = existing.get(row.code)
        kind = "unit" if row.parent_code else "organisation"
        parent_id = by_code[row.parent_code].id if row.parent_code else None
        if unit is None:
            unit = Unit(kind=kind, region_code=region_code, code=row.code,
                        parent_id=parent_id, name_fi=row.name_fi, name_sv=row.name_sv,
                        headcount=row.headcount)
            session.add(unit)
            session.flush()
            summary.added.append(row.code)
        else:
            new = (kind, parent_id, row.name_fi, row.name_sv, row.headcount, None)
            old = (unit.kind, unit.parent_id, unit.name_fi, unit.name_sv, unit.headcount,
                   unit.retired_on)
            if new != old:
                (unit.kind, unit.parent_id, unit.name_fi, unit.name_sv, unit.headcount,
                 unit.retired_on) = new
                summary.updated.append(row.code)
        by_code[row.code] = unit
    session.flush()
    absent = {code: u for code, u in existing.items() if code not in by_code}
    if not absent:
        return summary
    ids = [u.id for u in absent.values()]
    referred = set(session.scalars(select(Response.unit_id).where(Response.unit_id.in_(ids))
                                   .distinct()))
    referred |= set(session.scalars(select(Invitation.unit_id)
                                    .where(Invitation.unit_id.in_(ids)).distinct()))
    # Held and quarantined responses carry their unit too, and the unit aggregates keep it
    # after the raw responses are purged.
    for table in (PendingResponse, QuarantinedResponse, UnitAggregate):
        referred |= set(session.scalars(select(table.unit_id)
                                        .where(table.unit_id.in_(ids)).distinct()))
    named = {_organisation_of(d) for d in session.scalars(
        select(Survey.definition).where(Survey.audience == "staff", Survey.scope == region_code))}
    referred |= {u.id for code, u in absent.items() if code in named}
    # Children of other kinds (service units) keep their parent too.
    referred |= set(session.scalars(select(Unit.parent_id).where(
        Unit.parent_id.in_(ids), Unit.kind.not_in(ORG_KINDS))))
    # A kept unit keeps its absent ancestors (its parent_id points at them).
    parent = {u.id: u.parent_id for u in absent.values()}
    kept = set()
    for unit_id in referred:
        while unit_id in parent and unit_id not in kept:
            kept.add(unit_id)
            unit_id = parent[unit_id]
    for code, unit in sorted(absent.items()):
        if unit.id in kept:
            if unit.retired_on is None:
                unit.retired_on = today
                summary.retired.append(code)
        else:
            summary.deleted.append(code)
    doomed = [u for u in absent.values() if u.id not in kept]

    def depth(unit: Unit) -> int:
        d, parent_id = 0, unit.parent_id
        while parent_id in parent:
            d, parent_id = d + 1, parent[parent_id]
        return d

    # Children first: nothing kept points at a doomed unit (kept units' parents are kept).
    for unit in sorted(doomed, key=depth, reverse=True):
        session.delete(unit)
        session.flush()
    session.flush()
    return summary


def _organisation_of(definition: dict | None) -> str | None:
    return (definition or {}).get("organisation")


def import_file(session: Session, region_code: str, data: bytes,
                today: date | None = None) -> Summary:
    """`parse` then `apply`: raises UnitsFileError (changing nothing) on any bad row."""
    rows = parse(data)
    return apply(session, region_code, rows, today or clock.today())


def organisation(session: Session, region_code: str, code: str) -> Unit | None:
    """The organisation (root unit) `code` of a county, or None."""
    return session.scalar(select(Unit).where(Unit.region_code == region_code,
                                             Unit.code == code, Unit.kind == "organisation"))


def organisations(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.kind == "organisation")
                                .order_by(Unit.region_code, Unit.code)))


def tree(session: Session, root: Unit) -> list[tuple[int, Unit]]:
    """(depth, unit) under and including `root`, depth first, children by code."""
    rows = session.scalars(select(Unit).where(Unit.region_code == root.region_code,
                                              Unit.kind.in_(ORG_KINDS))).all()
    return depth_first(root, rows)


def depth_first(root: Unit, units: Iterable[Unit]) -> list[tuple[int, Unit]]:
    """(depth, unit) under and including `root` among `units`, depth first, children by
    code (`tree`, without the database)."""
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    out: list[tuple[int, Unit]] = []

    def walk(unit: Unit, depth: int) -> None:
        out.append((depth, unit))
        for child in sorted(children.get(unit.id, []), key=lambda c: c.code):
            walk(child, depth + 1)

    walk(root, 0)
    return out


def descendants(session: Session, unit: Unit) -> list[int]:
    """Ids of `unit` and every unit under it."""
    return [u.id for _depth, u in tree(session, unit)]


def root_of(session: Session, unit: Unit) -> Unit:
    while unit.parent_id is not None:
        unit = session.get(Unit, unit.parent_id)
    return unit


def count(session: Session, region_code: str) -> int:
    return session.scalar(select(func.count()).select_from(Unit)
                          .where(Unit.region_code == region_code)) or 0
