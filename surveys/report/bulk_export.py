"""The large export: every visible survey × every place (the country, the collaboration areas,
the counties) × every month, in one CSV or XLSX, made by a worker (workers.jobs.export_all).

The figures are the published monthly results (surveys.report.published), the same every view
shows: suppressed figures are empty cells. Headers are in the export's language (the project's
gettext catalogs; Sámi falls back to Finnish as the pages do). Files are kept EXPORT_TTL_S and
then deleted (`purge`, run daily by the cron).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from babel.support import NullTranslations, Translations
from sqlalchemy.orm import Session

from surveys.definitions.format import localized, reported_questions
from surveys.definitions.snapshots import SurveySnapshot
from surveys.infra import clock
from surveys.languages.catalogs import TRANSLATIONS_DIR

from . import exports, published, releases

FORMATS = ("csv", "xlsx")
EXPORT_TTL_S = 24 * 3600


def N_(text: str) -> str:  # noqa: N802 - gettext's marker: extracted, translated at run time
    return text


HEADERS = (N_("Survey"), N_("Area"), N_("Month"), N_("Question"), N_("Answered (n)"),
           N_("Mean"), N_("Net Promoter Score"))
ABOUT = {"respondents": N_("Respondents"), "version": N_("version"),
         "results": N_("Results"), "about": N_("About"),
         "made": N_("Made on"), "licence": N_("Licence"),
         "empty": N_("Empty cells"),
         "empty_text": N_("Hidden to protect anonymity: a group below the threshold, or one "
                          "that could be worked out from other figures.")}


def translations(lang: str) -> NullTranslations:
    found = Translations.load(str(TRANSLATIONS_DIR), [lang])
    if lang != "fi" and lang not in ("sv", "en"):
        found.add_fallback(Translations.load(str(TRANSLATIONS_DIR), ["fi"]))
    return found


def export_id(fmt: str, lang: str, versions: dict[str, str]) -> str:
    """The same export of the same published figures has the same id (asking again finds it)."""
    parts = [fmt, lang, *sorted(f"{slug}={v}" for slug, v in versions.items())]
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


def valid_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def path_of(directory: Path, export_id: str, fmt: str) -> Path:
    return directory / f"{export_id}.{fmt}"


def build(session: Session, surveys: list[SurveySnapshot], lang: str, mode: str,
          progress: Callable[[int, int], None]) -> exports.Sheet:
    """The sheet of every survey × place × month; `progress(done, total)` after each survey
    and place."""
    _ = translations(lang).gettext
    all_scopes = releases.scopes(session, lang)
    total = len(surveys) * len(all_scopes)
    rows = []
    done = 0
    for survey in surveys:
        title = localized(survey.definition["title"], lang)
        questions = [q for q in reported_questions(survey.definition) if q["type"] != "text"]
        for scope in all_scopes:
            doc = published.monthly_results(session, survey, scope, lang, mode)
            for month in doc["months"]:
                rows.append([title, scope.name, month["month"], _(ABOUT["respondents"]),
                             month["respondents"], None, None])
                for q in questions:
                    f = month["questions"][q["id"]]
                    rows.append([title, scope.name, month["month"],
                                 exports.question_label(survey.definition, q, lang,
                                                        _(ABOUT["version"])),
                                 f["n"], f["mean"], f["nps"]])
            done += 1
            progress(done, total)
    about = [(_(ABOUT["made"]), clock.today().isoformat()),
             (_(ABOUT["empty"]), _(ABOUT["empty_text"])),
             (_(ABOUT["licence"]), exports.LICENCE)]
    return exports.Sheet([_(h) for h in HEADERS], rows, about)


def write(sheet: exports.Sheet, fmt: str, lang: str, target: Path) -> None:
    """Write atomically: a reader sees the whole file or none."""
    if fmt == "csv":
        data = exports.to_csv(sheet, lang)
    else:
        _ = translations(lang).gettext
        data = exports.to_xlsx(sheet, {"data": _(ABOUT["results"]), "about": _(ABOUT["about"])})
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(target)


def fresh(path: Path, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return path.is_file() and now - path.stat().st_mtime < EXPORT_TTL_S


def purge(directory: Path, now: float | None = None) -> int:
    """Delete the exports older than EXPORT_TTL_S (and abandoned partial files)."""
    now = time.time() if now is None else now
    if not directory.is_dir():
        return 0
    deleted = 0
    for path in directory.iterdir():
        if path.is_file() and now - path.stat().st_mtime >= EXPORT_TTL_S:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
