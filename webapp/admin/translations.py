"""The translators' workflow on the admin side (docs/languages.md, "Survey texts"):

- `/surveys/<slug>/translations`: each language's state (complete, draft awaiting native
  review, missing), the survey's texts as a PO file per language, and for those who may edit
  the survey: upload a translated PO file, mark a language reviewed or a draft, and the
  translator links (make one for one language, revoke).
- `/surveys/<slug>/archive`: archive a closed survey; `/surveys/<slug>/results`: its results
  for the accounts allowed to read them, whatever its state (an archived survey's public pages
  are gone).

The PO files are those of `palaute surveys export-po` / `import-po` (surveys.definitions.
content_po, lifecycle.import_po). Every page goes through `access.requires`; every change and
every download is in the audit log. A translator link's token is shown once, here, and stored
nowhere (surveys.accounts.translator_links).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from surveys.accounts import policy, translator_links
from surveys.definitions import content_po, lifecycle, snapshots
from surveys.definitions import format as defs
from surveys.languages import LANGUAGES

from ..extensions import get_db, now, settings
from . import auth
from .access import allowed, requires
from .blueprints import bp
from .builder import message_in_user_language
from .views import STATE_NAMES

MAX_PO_BYTES = 512 * 1024

LINK_STATES = {
    "active": lazy_gettext("Valid"),
    "expired": lazy_gettext("Expired"),
    "revoked": lazy_gettext("Revoked"),
}


def language_rows(definition: dict) -> list[dict]:
    """Each platform language's state in the survey, the source language first."""
    source = definition["languages"][0]
    rows = []
    for lang in [source] + [x for x in LANGUAGES if x != source]:
        state, missing = content_po.language_state(definition, lang)
        rows.append({"code": lang, "source": lang == source, "state": state,
                     "state_name": STATE_NAMES[state], "missing": missing,
                     "offered": lang in definition["languages"]})
    return rows


def _page(survey, *, errors: list[str] | None = None, notice: str | None = None,
          new_link: str | None = None, status: int = 200):
    obj = policy.survey_object(survey)
    may_edit = allowed("edit", obj)
    moment = now()
    links = [{"id": link.id, "lang": link.lang, "created": link.created_at,
              "expires": link.expires_at,
              "state": translator_links.state(link, moment),
              "state_name": LINK_STATES[translator_links.state(link, moment)]}
             for link in translator_links.of_survey(get_db(), survey.id)] if may_edit else []
    source = survey.definition["languages"][0]
    return render_template(
        "admin_survey_translations.html", item=survey,
        title=defs.localized(survey.definition["title"], g.lang),
        rows=language_rows(survey.definition), may_edit=may_edit, links=links,
        targets=[x for x in LANGUAGES if x != source], errors=errors or [], notice=notice,
        new_link=new_link, default_days=translator_links.DEFAULT_DAYS,
        max_days=translator_links.MAX_DAYS), status


@bp.get("/surveys/<slug>/translations")
@requires("view", "survey")
def survey_translations(slug: str):
    return _page(g.admin_object)


@bp.get("/surveys/<slug>/translations/po")
@requires("view", "survey")
def survey_po(slug: str):
    """The survey's texts as a PO file in ?language= (default: the first translation)."""
    survey = g.admin_object
    d = survey.definition
    lang = request.args.get("language") or (d["languages"][1:] or d["languages"])[0]
    if lang not in LANGUAGES:
        abort(404)
    auth.record("surveys.export_po", object_kind="survey", object_id=f"{slug}:{lang}")
    get_db().commit()
    return po_response(d, lang, slug)


def po_response(definition: dict, lang: str, slug: str) -> Response:
    return Response(content_po.export_po(definition, lang, slug),
                    mimetype="text/x-gettext-translation", headers={
                        "Content-Disposition": f'attachment; filename="{slug}.{lang}.po"'})


def read_upload(only_lang: str | None = None):
    """(catalog, None) of the uploaded `po` file, or (None, the error to show)."""
    upload = request.files.get("po")
    raw = upload.read(MAX_PO_BYTES + 1) if upload else b""
    if not raw:
        return None, _("Choose a PO file to upload.")
    if len(raw) > MAX_PO_BYTES:
        return None, _("The file is too large.")
    try:
        return content_po.read(io.BytesIO(raw)), None
    except content_po.PoImportError as exc:
        return None, " ".join(problem_in_user_language(p) for p in exc.problems)


def _listed(items: Counter, tag: bool) -> str:
    """Placeholders as "%(a)s, %(b)s"; tag names as tags, each opening one before its
    closing one: "<b>, </b>"."""
    if not tag:
        return ", ".join(sorted(items.elements()))
    names = sorted(items.elements(), key=lambda t: (t.lstrip("/"), t.startswith("/")))
    return ", ".join(f"<{name}>" for name in names)


def _differences(p: dict, tag: bool) -> str:
    """What a translation lacks of its source's placeholders or tags, and what it adds."""
    lacks = Counter(p["expected"]) - Counter(p["found"])
    adds = Counter(p["found"]) - Counter(p["expected"])
    said = []
    if lacks and tag:
        said.append(_("The translation lacks these HTML tags of the source text: %(tags)s. "
                      "Keep every tag of the source text.", tags=_listed(lacks, tag)))
    elif lacks:
        said.append(_("The translation lacks these placeholders of the source text: %(names)s. "
                      "Copy them into the translation as they are.",
                      names=_listed(lacks, tag)))
    if adds and tag:
        said.append(_("The translation has HTML tags that the source text does not: %(tags)s. "
                      "Remove them.", tags=_listed(adds, tag)))
    elif adds:
        said.append(_("The translation has placeholders that the source text does not: "
                      "%(names)s. Remove them, or write them as in the source text.",
                      names=_listed(adds, tag)))
    return " ".join(said)


# Each kind of PO-import problem (surveys.definitions.content_po.PROBLEMS) in the user's
# language, from its params; every one is checked in tests/unit/webapp/test_po_messages.py.
_PROBLEMS: dict[str, Callable[[dict], str]] = {
    "unreadable": lambda p: _("The file is not a readable PO file."),
    "no_language": lambda p: _(
        "The PO file does not say its language (Language in its header): set the language "
        "of the translation in your PO editor and save the file again."),
    "language": lambda p: _(
        "The language of the PO file, %(found)s, is not one of the platform's languages: "
        "%(languages)s.", found=p["found"], languages=p["expected"]),
    "source_language": lambda p: _(
        "The PO file is in %(lang)s, the survey's source language: translations must be in "
        "another language.", lang=p["lang"]),
    "wrong_language": lambda p: _(
        "The PO file is in %(found)s, but this link is for translations into %(lang)s only.",
        found=p["found"], lang=p["expected"]),
    "plural": lambda p: _("Survey texts have no plural forms (msgid_plural): remove them."),
    "unknown_context": lambda p: _(
        "The survey has no text %(context)s (msgctxt): download a fresh PO file and "
        "translate in it.", context=p["context"]) if p["context"] else _(
        "The entry has no msgctxt, which says where the text is in the survey: download a "
        "fresh PO file and translate in it."),
    "duplicate_context": lambda p: _(
        "The text %(context)s (msgctxt) is in the file twice; keep one.",
        context=p["context"]),
    "unknown_msgid": lambda p: _(
        "The source text (msgid) of %(context)s is not the survey's current text in "
        "%(lang)s: download a fresh PO file and translate in it.",
        context=p["context"], lang=p["source"]),
    "placeholders": lambda p: _differences(p, tag=False),
    "tags": lambda p: _differences(p, tag=True),
    "definition": lambda p: str(message_in_user_language(p["message"])),
    "no_survey": lambda p: _("There is no survey %(slug)s.", slug=p["slug"]),
    "open_incomplete": lambda p: _(
        "The survey is already open, so %(lang)s can be added only with every text "
        "translated. Missing: %(texts)s.", lang=p["lang"], texts=p["missing"]),
}


def problem_in_user_language(problem: content_po.PoProblem) -> str:
    """One problem of a PO import in the user's language, with the entry's line in the file
    and its place in the survey (msgctxt) when it has them."""
    text = _PROBLEMS[problem.code](problem.params)
    if problem.line and problem.context:
        return _("Line %(line)s (%(place)s): %(problem)s", line=problem.line,
                 place=problem.context, problem=text)
    if problem.line:
        return _("Line %(line)s: %(problem)s", line=problem.line, problem=text)
    if problem.context:
        return f"{problem.context}: {text}"
    return text


def po_errors(exc: content_po.PoImportError) -> list[str]:
    """The import's problems in the user's language (one line each, naming the entry), under
    a sentence that says nothing was imported."""
    return [_("The file was not imported; nothing was changed:"),
            *(problem_in_user_language(p) for p in exc.problems)]


@bp.route("/surveys/<slug>/translations/upload", methods=["GET", "POST"])
@requires("edit", "survey")
def survey_po_upload(slug: str):
    survey = g.admin_object
    if request.method == "GET":
        return _page(survey)
    catalog, error = read_upload()
    if error:
        return _page(survey, errors=[error], status=422)
    review = "reviewed" if request.form.get("reviewed") == "on" else "draft"
    db = get_db()
    try:
        lang, changed = lifecycle.import_po(db, slug, catalog, review=review)
    except content_po.PoImportError as exc:
        db.rollback()
        auth.record("surveys.import_po", "refused", object_kind="survey", object_id=slug)
        db.commit()
        return _page(survey, errors=po_errors(exc), status=422)
    auth.record("surveys.import_po", object_kind="survey", object_id=f"{slug}:{lang}")
    db.commit()
    return _page(survey, notice=_("%(n)s texts changed in %(language)s.", n=changed,
                                  language=lang))


@bp.route("/surveys/<slug>/translations/review", methods=["GET", "POST"])
@requires("edit", "survey")
def survey_review(slug: str):
    """Mark a language's texts reviewed by a native speaker, or a draft again."""
    survey = g.admin_object
    if request.method == "GET":
        return _page(survey)
    lang = request.form.get("language", "")
    state = request.form.get("state", "")
    if state not in ("draft", "reviewed") or lang not in survey.definition["languages"]:
        abort(400)
    db = get_db()
    lifecycle.set_review(db, slug, lang, state)
    auth.record(f"surveys.review_{state}", object_kind="survey", object_id=f"{slug}:{lang}")
    db.commit()
    return redirect(url_for("admin.survey_translations", slug=slug), code=303)


@bp.route("/surveys/<slug>/translator-links", methods=["GET", "POST"])
@requires("edit", "survey")
def translator_links_page(slug: str):
    """Make a translator link for one language (shown once), or revoke one."""
    survey = g.admin_object
    if request.method == "GET":
        return _page(survey)
    db = get_db()
    if request.form.get("op") == "revoke":
        raw_id = request.form.get("link", "")
        done = raw_id.isdigit() and translator_links.revoke(db, survey.id, int(raw_id), now())
        auth.record("translator_links.revoke", "ok" if done else "not_found",
                    object_kind="translator_link", object_id=f"{slug}:{raw_id[:20]}")
        db.commit()
        if not done:
            abort(404)
        return redirect(url_for("admin.survey_translations", slug=slug), code=303)
    lang = request.form.get("language", "")
    raw_days = (request.form.get("days") or "").strip() or str(translator_links.DEFAULT_DAYS)
    days = int(raw_days) if raw_days.isdigit() and len(raw_days) < 4 else 0
    try:
        link, raw = translator_links.create(db, survey, lang, now=now(), days=days,
                                            by_user_id=auth.actor().user_id)
    except translator_links.LinkError:
        db.rollback()
        return _page(survey, status=422, errors=[
            _("Choose a language other than the source language, and a validity of 1 to "
              "%(n)s days.", n=translator_links.MAX_DAYS)])
    auth.record("translator_links.create", object_kind="translator_link",
                object_id=f"{slug}:{lang}:{link.id}")
    db.commit()
    base = (settings().public_url or request.host_url).rstrip("/")
    return _page(survey, new_link=base + url_for("translator.texts", token=raw))


@bp.route("/surveys/<slug>/archive", methods=["GET", "POST"])
@requires("archive", "survey")
def survey_archive(slug: str):
    """Archive a closed survey (GET: the question)."""
    survey = g.admin_object
    title = defs.localized(survey.definition["title"], g.lang)
    if request.method == "GET":
        return render_template("admin_archive.html", item=survey, title=title)
    db = get_db()
    try:
        lifecycle.archive(db, slug)
    except lifecycle.PublishError:
        db.rollback()
        return render_template("admin_archive.html", item=survey, title=title), 409
    auth.record("surveys.archive", object_kind="survey", object_id=slug)
    db.commit()
    return redirect(url_for("admin.survey", slug=slug), code=303)


@bp.get("/surveys/<slug>/results")
@requires("view_results", "survey")
def survey_results(slug: str):
    """The results page for accounts allowed to read them, in any state after publishing
    (an archived survey has no public page); the same figures, the same suppression."""
    from .. import results  # the public results page's own rendering

    survey = g.admin_object
    if survey.status in ("draft", "scheduled"):
        return render_template("admin_no_results.html", item=survey,
                               title=defs.localized(survey.definition["title"], g.lang))
    snapshot = snapshots.get(get_db(), slug, 0.0)
    return results.render_page(snapshot, public=False)
