"""What a translator link's holder may do (surveys.accounts.translator_links): read ONE
survey's source texts and write its texts in ONE language, nothing else.

- `/<lang>/translate/<token>`: every text of the survey, the source text beside a field for
  the link's language; a plain form, no JavaScript. POST saves through the PO import's own
  checks (surveys.definitions.content_po, lifecycle.import_po, limited to the link's
  language); a Sámi text saved here is marked a draft awaiting native review.
- `/<lang>/translate/<token>/po`: GET the survey's texts as a PO file in the link's
  language, POST a translated one (refused, 403, in any other language).

`<lang>` is the interface language of the page; the language translated is the link's. An
unknown, expired or revoked link answers 410 and changes nothing. No admin session is made
or needed: the link opens no admin page. Every save and download is in the audit log (via
"translator", the link's id). The token is a path parameter that webapp.request_log does not
log; the pages are never stored and send no referrer.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from surveys.accounts import audit, translator_links
from surveys.definitions import content_po, lifecycle
from surveys.definitions import format as defs
from surveys.models import Survey

from .. import csrf
from ..extensions import get_db, now
from .translations import po_errors, po_response, read_upload

bp = Blueprint("translator", __name__, url_prefix="/<lang>/translate")

HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _context() -> str:
    token = (request.view_args or {}).get("token", "")
    return f"{csrf.browser_nonce()}|translator|{hashlib.sha256(token.encode()).hexdigest()}"


@bp.before_request
def _guard():
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if not csrf.valid(request.form.get(csrf.FIELD), _context()):
        return render_template("error.html", code=400, csrf_failed=True), 400, HEADERS
    return None


@bp.after_request
def _headers(response):
    response.headers.update(HEADERS)
    if response.status_code < 400:  # a good link's page: its address holds a live token
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _record(link, action: str, outcome: str = "ok") -> None:
    survey = get_db().get(Survey, link.survey_id)
    audit.record(get_db(), action=action, outcome=outcome, at=now(), via="translator",
                 object_kind="translator_link",
                 object_id=f"{link.id}:{survey.slug}:{link.lang}",
                 client_address=request.remote_addr)


def _open(token: str):
    """(link, survey) of a usable link; else the 410 page is raised."""
    db = get_db()
    link = translator_links.find(db, token)
    if not translator_links.usable(link, now()):
        abort(410)
    return link, db.get(Survey, link.survey_id)


def _gone():
    return render_template("translator_gone.html"), 410, HEADERS


def _fields(survey: Survey, lang: str, values: dict[str, str] | None = None) -> list[dict]:
    d = survey.definition
    source = d["languages"][0]
    return [{"path": path, "note": note, "source": defs.localized(text, source),
             "value": (values or {}).get(path, text.get(lang, "")),
             "anchor": "t-" + "".join(c if c.isalnum() else "-" for c in path)}
            for path, text, note in content_po.text_fields(d)]


def _page(token: str, link, survey: Survey, *, values=None, errors=None, notice=None,
          status: int = 200):
    d = survey.definition
    state, missing = content_po.language_state(d, link.lang)
    return render_template(
        "translator.html", token=token, link=link, item=survey,
        title=defs.localized(d["title"], d["languages"][0]), source=d["languages"][0],
        target=link.lang, fields=_fields(survey, link.lang, values), errors=errors or [],
        notice=notice, state=state, missing=missing, csrf_value=csrf.token_for(_context()),
        revision=survey.revision), status


@bp.errorhandler(410)
def _link_gone(_exc):
    return _gone()


@bp.route("/<token>", methods=["GET", "POST"])
def texts(token: str):
    link, survey = _open(token)
    if request.method == "GET":
        return _page(token, link, survey)
    values = {f["path"]: request.form.get(f["path"], "")
              for f in _fields(survey, link.lang)}
    if request.form.get("revision") != str(survey.revision):
        return _page(token, link, survey, values=values, status=409, errors=[
            _("The survey's texts were changed meanwhile. Check your translations against the "
              "source texts shown now, then save again.")])
    db = get_db()
    slug = survey.slug
    catalog = content_po.catalog_of(survey.definition, link.lang, values)
    try:
        _lang, changed = lifecycle.import_po(db, slug, catalog, only_lang=link.lang,
                                             review="draft")
    except content_po.PoImportError as exc:
        db.rollback()
        _record(link, "translator.save", "refused")
        db.commit()
        return _page(token, link, survey, values=values, errors=po_errors(exc), status=422)
    _record(link, "translator.save")
    db.commit()
    return _page(token, link, survey, notice=_("Saved: %(n)s texts changed.", n=changed))


@bp.route("/<token>/po", methods=["GET", "POST"])
def po(token: str):
    link, survey = _open(token)
    db = get_db()
    if request.method == "GET":
        _record(link, "translator.export_po")
        db.commit()
        return po_response(survey.definition, link.lang, survey.slug)
    catalog, error = read_upload()
    if error:
        return _page(token, link, survey, errors=[error], status=422)
    try:
        _lang, changed = lifecycle.import_po(db, survey.slug, catalog, only_lang=link.lang,
                                             review="draft")
    except content_po.PoImportError as exc:
        db.rollback()
        _record(link, "translator.import_po", "refused")
        db.commit()
        other = str(catalog.locale or "") != link.lang
        return _page(token, link, survey, errors=po_errors(exc), status=403 if other else 422)
    _record(link, "translator.import_po")
    db.commit()
    return _page(token, link, survey, notice=_("Saved: %(n)s texts changed.", n=changed))
