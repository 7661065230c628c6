"""A survey's life cycle: import a definition, publish it (language rights), close it, merge a
translator's PO file. Each function changes the session and leaves the commit to its caller (the
edge that owns the transaction: a CLI command, a request, a job)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from babel.messages.catalog import Catalog
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.infra import clock
from surveys.models import Municipality, Region, Survey
from surveys.reference.regions import region_codes
from surveys.staff import mailing, units

from . import format as defs
from . import language_rights as rights
from .content_po import SAMI, PoImportError, PoProblem, apply_po
from .lookup import find

# The project's decision: every survey gets a close date, so retention always starts. Without
# one in the definition it closes this long after opening.
DEFAULT_OPEN_MONTHS = 12


class PublishError(ValueError):
    pass


# The refusals a page words for the user tell apart by class, not by message text.
class SurveyClosed(PublishError):
    """A closed or archived survey is not published again: reopening is its own action."""


class ClosesTooSoon(PublishError):
    """The close date (the survey's, or a reopening's new one) is not after today."""


class TextsMissing(PublishError):
    """A language of the survey lacks texts."""


class ResponsesPurged(PublishError):
    """The raw responses were purged: the survey is not reopened."""


def default_closes_on(opens: date) -> date:
    """DEFAULT_OPEN_MONTHS after `opens` (the month's last day when it has no such day)."""
    month = opens.month - 1 + DEFAULT_OPEN_MONTHS
    year, month = opens.year + month // 12, month % 12 + 1
    return opens.replace(year=year, month=month,
                         day=min(opens.day, calendar.monthrange(year, month)[1]))


def _day(definition: dict[str, Any], name: str) -> date | None:
    raw = definition.get(name)
    return date.fromisoformat(raw) if raw else None


class LanguageRightsError(PublishError):
    """Publishing would break a language right; `violations` says which and under which law."""

    def __init__(self, slug: str, violations: list[rights.Violation]):
        self.violations = violations
        super().__init__(
            f"survey {slug!r} can't be published: "
            + "; ".join(v.message() for v in violations)
            + ". Add the missing language(s); only a pilot may be published without them, "
            "with an override whose reason is recorded on the survey."
        )


def import_survey(session: Session, text: str) -> tuple[Survey, bool]:
    """Validate a YAML definition and store it. Returns (survey, created)."""
    data = defs.load(text, region_codes(session))
    _check_organisation(session, data)  # staff surveys (issue 12)
    survey = find(session, data["slug"])
    created = survey is None
    if survey is None:
        survey = Survey(slug=data["slug"], status="draft")
        session.add(survey)
    elif survey.status != "draft":
        changes = shape_changes(survey.definition, data)
        if changes:
            raise defs.DefinitionError([
                (path, f"the survey is already published; only texts may change: {what}")
                for path, what in changes
            ])
        if data["min_group_size"] < survey.min_group_size:
            # Respondents answered trusting the threshold they were told about.
            raise defs.DefinitionError([
                ("min_group_size", "the survey is already published; the threshold may be "
                                   f"raised but not lowered below {survey.min_group_size}")
            ])
    if survey.status != "draft":
        # An open survey must stay publishable: no language may lose texts or be dropped in a
        # way that breaks language rights (unless an override for a pilot is on record).
        _check_still_publishable(session, survey, data)
    # Earlier versions of questions are the server's record of what was answered: a file's
    # own list is replaced (a draft has no answers, so none).
    retired = [] if survey.status == "draft" else superseded(survey.definition, data)
    data.pop("retired_questions", None)
    if retired:
        data["retired_questions"] = retired
    survey.audience = data["audience"]
    survey.scope = data["scope"]
    survey.min_group_size = data["min_group_size"]
    survey.retention_months = data["retention_months"]
    survey.definition = data
    survey.opens_on = _day(data, "opens_on")
    closes = _day(data, "closes_on")
    if closes is None and survey.opens_on is not None:
        closes = default_closes_on(survey.opens_on)
    if closes is not None or survey.status == "draft":
        survey.closes_on = closes
    session.flush()
    return survey, created


def _check_organisation(session: Session, data: dict[str, Any]) -> None:
    """A staff survey's organisation must be an organisation root of its county (imported with
    `palaute units import`)."""
    code = data.get("organisation")
    if data["audience"] == "staff" and code is not None \
            and units.organisation(session, data["scope"], code) is None:
        raise defs.DefinitionError([
            ("organisation", f"no organisation {code!r} in county {data['scope']} "
                             "(import its units first: palaute units import)")])


def shape_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """What responses depend on and `new` would change without a new version: (field path,
    what changed). The scope, the organisation, which questions there are and their order;
    per question its type, choices, range and bands, unless `new` raises the question's version
    (then its earlier version keeps its answers apart, see superseded()). Texts may change:
    keeping the version marks a changed wording as a correction."""
    changes: list[tuple[str, str]] = []
    if old["scope"] != new["scope"]:
        changes.append(("scope", f"the scope changed from {old['scope']!r} to {new['scope']!r}"))
    if old.get("organisation") != new.get("organisation"):  # staff surveys: invitations' units
        changes.append(("organisation", "the organisation changed"))
    old_ids = [defs.base_id(q) for q in old["questions"]]
    new_ids = [defs.base_id(q) for q in new["questions"]]
    for qid in old_ids:
        if qid not in new_ids:
            changes.append(("questions", f"question {qid!r} was removed"))
    if [x for x in old_ids if x in new_ids] != [x for x in new_ids if x in old_ids]:
        changes.append(("questions", "the order of the questions changed"))
    for i, q in enumerate(new["questions"]):
        path, qid = f"questions[{i}]", new_ids[i]
        if qid not in old_ids:
            changes.append((f"{path}.id", f"question {qid!r} was added"))
            continue
        before = old["questions"][old_ids.index(qid)]
        was, now = defs.version_of(before), defs.version_of(q)
        if now < was:
            changes.append((f"{path}.version", f"question {qid!r} is at version {was}; its "
                                               f"version can't go back to {now}"))
            continue
        if now > was:
            continue  # a new version: anything may change
        bump = (f": give it version: {was + 1} to start a new version of the question (the "
                "answers so far stay with this one)")
        if before["type"] != q["type"]:
            changes.append((f"{path}.type", f"question {qid!r} changed type from "
                                            f"{before['type']} to {q['type']}{bump}"))
        old_choices = [c["id"] for c in before.get("choices", [])]
        new_choices = [c["id"] for c in q.get("choices", [])]
        if old_choices != new_choices:
            changes.append((f"{path}.choices", f"the choices of question {qid!r} changed "
                                               f"from {old_choices} to {new_choices}{bump}"))
        if (before.get("min"), before.get("max")) != (q.get("min"), q.get("max")):
            changes.append((f"{path}.min", f"the range of question {qid!r} changed{bump}"))
        if before.get("bands") != q.get("bands"):
            # New bands beside the earlier releases' would give, by difference, the count of
            # a band narrower than any published.
            changes.append((f"{path}.bands", f"the bands of question {qid!r} changed{bump}"))
    return changes


def superseded(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The earlier versions `new` keeps for their results: those already kept, and each
    current question of `old` that `new` replaces by a later version."""
    kept = list(old.get("retired_questions") or ())
    new_versions = {defs.base_id(q): defs.version_of(q) for q in new["questions"]}
    kept += [q for q in old["questions"]
             if new_versions.get(defs.base_id(q), 0) > defs.version_of(q)]
    return kept


def county_facts(session: Session, code: str) -> rights.County | None:
    region = session.get(Region, code)
    if region is None:
        return None
    homeland = session.scalar(
        select(Municipality.code)
        .where(Municipality.region_code == code, Municipality.sami_homeland.is_(True))
        .limit(1)
    )
    return rights.County(code=region.code, name=region.name_fi,
                         languages=tuple(region.languages.split("+")),
                         sami_homeland=homeland is not None)


def language_rights_violations(session: Session, survey: Survey,
                               definition: dict[str, Any] | None = None) -> list[rights.Violation]:
    """Violations by `survey` (or by `definition`, a new version of it)."""
    d = definition or survey.definition
    county = None if d["scope"] == "national" else county_facts(session, d["scope"])
    return rights.check(d["audience"], d["scope"], rights.complete_languages(d), county)


def _check_still_publishable(session: Session, survey: Survey, data: dict[str, Any]) -> None:
    errors = [
        ("languages", f"{lang}: texts missing ({', '.join(paths)}); the survey is open")
        for lang in data["languages"] if (paths := defs.missing_texts(data, lang))
    ]
    if survey.language_rights_override is None:
        errors += [("languages", v.message())
                   for v in language_rights_violations(session, survey, data)]
    if errors:
        raise defs.DefinitionError(errors)


def publish(session: Session, slug: str, override_reason: str | None = None,
            today: date | None = None) -> Survey:
    """Open a draft for answers. Refuses missing texts, and language-rights violations unless
    `override_reason` is given, in which case the override is recorded on the survey. Refuses
    a closed or archived survey: reopening is its own recorded action (`reopen`)."""
    survey = find(session, slug)
    if survey is None:
        raise PublishError(f"no survey {slug!r}")
    if survey.status in ("closed", "archived"):
        raise SurveyClosed(f"survey {slug!r} is {survey.status}: a closed survey is not "
                           "published again; a national admin may reopen it, with a reason")
    problems = {
        lang: missing
        for lang in survey.definition["languages"]
        if (missing := defs.missing_texts(survey.definition, lang))
    }
    if problems:
        detail = "; ".join(f"{lang}: {', '.join(paths)}" for lang, paths in problems.items())
        raise TextsMissing(f"texts missing, so the survey can't be published: {detail}")
    violations = language_rights_violations(session, survey)
    if violations:
        reason = (override_reason or "").strip()
        if not reason:
            raise LanguageRightsError(slug, violations)
        survey.language_rights_override = {
            "reason": reason,
            "on": (today or clock.today()).isoformat(),
            "violations": [v.as_dict() for v in violations],
        }
    day = today or clock.today()
    if survey.closes_on is None:
        survey.closes_on = default_closes_on(max(survey.opens_on or day, day))
    if survey.closes_on <= day:
        raise ClosesTooSoon(f"survey {slug!r} would close on {survey.closes_on.isoformat()}, "
                           "which is not after today: change its close date")
    survey.status = "scheduled" if survey.opens_on and survey.opens_on > day else "published"
    return survey


def run_schedule(session: Session, today: date) -> list[tuple[str, str]]:
    """Open the scheduled surveys whose day has come and close the published ones whose close
    date has come. Idempotent: a second run on the same day finds nothing to do. Returns
    (slug, "surveys.open" | "surveys.close") for each change, for the audit log."""
    done: list[tuple[str, str]] = []
    due = select(Survey).where(Survey.status == "scheduled", Survey.opens_on <= today)
    for survey in session.scalars(due.order_by(Survey.id)):
        survey.status = "published"
        done.append((survey.slug, "surveys.open"))
    session.flush()
    ending = select(Survey).where(Survey.status == "published", Survey.closes_on <= today)
    for survey in session.scalars(ending.order_by(Survey.id)):
        survey.status = "closed"
        survey.closed_on = survey.closes_on
        mailing.forget(session, survey.id)  # the address list of invitations by e-mail
        done.append((survey.slug, "surveys.close"))
    session.flush()
    return done


def reopen(session: Session, slug: str, reason: str, by_user_id: int | None,
           today: date, closes_on: date | None = None) -> Survey:
    """Open a closed survey again (a national admin's decision: the caller asks the policy).
    The reason is required and recorded on the survey; it gets a new close date. Not after
    its raw responses were purged at the end of their retention period."""
    survey = find(session, slug)
    if survey is None:
        raise PublishError(f"no survey {slug!r}")
    if survey.status != "closed":
        raise PublishError(f"survey {slug!r} is not closed")
    if survey.responses_purged_on is not None:
        # Its aggregates could no longer be rebuilt, nor its unit figures change (the groups
        # in a value of two breakdowns can't be counted again: surveys.report.units): answers
        # collected now could not be counted as the survey promises.
        raise ResponsesPurged(f"survey {slug!r} cannot be reopened: its raw responses were "
                           f"purged on {survey.responses_purged_on.isoformat()} at the end of "
                           "their retention period")
    reason = (reason or "").strip()
    if not reason:
        raise PublishError("a reason is required to reopen a closed survey")
    closes = closes_on or default_closes_on(today)
    if closes <= today:
        raise ClosesTooSoon("the new close date must be after today")
    survey.status = "published"
    survey.closed_on = None
    survey.closes_on = closes
    survey.reopened = {"reason": reason, "on": today.isoformat(), "by": by_user_id}
    session.flush()
    return survey


def import_po(session: Session, slug: str, catalog: Catalog, *, only_lang: str | None = None,
              review: str | None = None) -> tuple[str, int]:
    """Merge a translator's PO file into survey SLUG. Returns (language, texts changed).

    Raises PoImportError (nothing written) on any unknown or broken entry, and on a PO in
    another language than `only_lang` (a translator link's). `review` ("draft" or "reviewed")
    sets the language's review state when texts changed; a Sámi language whose texts change
    without a review is marked a draft awaiting native review (the command line, `review`
    None, leaves the state as the file's author set it).
    """
    survey = find(session, slug)
    if survey is None:
        raise PoImportError([PoProblem("no_survey", {"slug": slug})])
    found = str(catalog.locale) if catalog.locale else ""
    if only_lang is not None and found != only_lang:
        raise PoImportError([PoProblem("wrong_language", {"found": found, "expected": only_lang})
                             if found else PoProblem("no_language")])
    offered = set(survey.definition["languages"])
    new, lang, changed = apply_po(survey.definition, catalog, region_codes(session))
    if changed and review is not None:
        state = review if review == "reviewed" or lang in SAMI else None
        if state is not None:
            new["translation_review"] = {**(new.get("translation_review") or {}), lang: state}
    if survey.status != "draft" and lang not in offered and defs.missing_texts(new, lang):
        raise PoImportError([PoProblem("open_incomplete", {
            "lang": lang, "missing": ", ".join(defs.missing_texts(new, lang))})])
    survey.definition = new
    session.flush()
    return lang, changed

def close(session: Session, slug: str, today: date | None = None) -> Survey:
    """Stop accepting answers. The close date starts the retention period of raw responses;
    the addresses invitations were mailed to are deleted now (surveys.staff.mailing)."""
    survey = find(session, slug)
    if survey is None:
        raise PublishError(f"no survey {slug!r}")
    if survey.status not in ("closed", "archived"):
        survey.status = "closed"
        survey.closed_on = today or clock.today()
    mailing.forget(session, survey.id)
    return survey


def set_review(session: Session, slug: str, lang: str, state: str) -> Survey:
    """Mark the texts of `lang` reviewed by a native speaker, or a draft awaiting review."""
    assert state in ("draft", "reviewed"), state
    survey = find(session, slug)
    if survey is None or lang not in survey.definition["languages"]:
        raise PublishError(f"survey {slug!r} has no language {lang!r}")
    review = {**(survey.definition.get("translation_review") or {}), lang: state}
    survey.definition = {**survey.definition, "translation_review": review}
    session.flush()
    return survey


def archive(session: Session, slug: str) -> Survey:
    """Archive a closed survey: it leaves every public list and page; its results stay for the
    accounts allowed to read them (and retention runs on as for a closed survey)."""
    survey = find(session, slug)
    if survey is None:
        raise PublishError(f"no survey {slug!r}")
    if survey.status != "closed":
        raise PublishError(f"survey {slug!r} is not closed; only a closed survey is archived")
    survey.status = "archived"
    session.flush()
    return survey
