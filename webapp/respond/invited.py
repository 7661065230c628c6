"""Staff surveys: the one-time invitation link `/<lang>/i/<token>` (surveys.staff.invitations).

GET shows the survey's form for the invitation's unit, used or not; POST checks the answers,
spends the invitation and stores the response (holding the unit, never the invitation) in one
transaction, then 303 to the thank-you page. A valid answer posted with a spent invitation gets
410 in the page's language (an invalid one its errors, as any); an unknown or malformed token
the 404 page. The unit is not a field of the form: it is the
invitation's, read on the server from the token in the path, so a respondent can't choose or
change it. The token is a path parameter that webapp.request_log does not log (only `slug` is
allow-listed) and the page is never cached (webapp.respond.form_cache is not used here: the
form's action carries the token).
"""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from surveys.collect.answers import check_submission
from surveys.collect.store import SurveyChanged, store_response
from surveys.definitions.format import localized
from surveys.infra import queue
from surveys.models import Survey
from surveys.staff import invitations

from ..extensions import get_db, get_redis, settings, today, visible_survey
from . import form_tokens
from .messages import error_message
from .views import _view_model, bp


def _page(survey, token: str, form, values, errors, status: int = 200):
    form.submission_token.data = form_tokens.new_submission_token(survey.slug)
    html = render_template("survey.html", form=form, values=values, errors=errors,
                           form_action=url_for("respond.invited", token=token),
                           **_view_model(survey, g.lang, ()))
    return html, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _spent(survey):
    title = localized(survey.definition["title"], g.lang)
    return render_template("invitation_spent.html", title=title, survey=survey), 410, {
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.route("/<lang>/i/<token>", methods=["GET", "POST"])
def invited(token: str):
    db = get_db()
    invitation = invitations.find(db, token)
    if invitation is None:
        abort(404)
    slug = db.get(Survey, invitation.survey_id).slug
    db.expunge(invitation)  # kept for spending: its survey, unit and hash
    db.rollback()  # nothing read here is kept in the transaction that stores the answer
    survey = visible_survey(slug)
    try:
        return _answer(survey, token, invitation)
    except SurveyChanged:
        return _answer(visible_survey(slug, fresh=True), token, invitation)


def _answer(survey, token: str, invitation):
    if g.lang not in survey.definition["languages"]:
        abort(404)
    if survey.status == "closed":
        title = localized(survey.definition["title"], g.lang)
        return render_template("closed.html", title=title, survey=survey), 410
    # Whether the link was used is not said until an answer is posted with it: HR holds every
    # link it handed out, and a page that said "used" at a GET would show HR who has answered,
    # as it happens ("Participation on HR's page" in docs/privacy.md counts once a night for
    # that reason). Learning it then costs a vote, which the link's owner would find spent.
    if request.method == "GET":
        return _page(survey, token, form_tokens.submit_form(), MultiDict(), {})
    values = request.form
    form = form_tokens.submit_form(values)
    submission = form_tokens.valid_submission_token(form.submission_token.data, survey.slug) \
        if form.validate() else None
    if submission is None:
        return _page(survey, token, form, values, {"_form": error_message("expired", {})}, 400)
    answers = {k: values.getlist(k) for k in values}
    checked = check_submission(survey.definition, answers, {survey.scope})
    if not checked.ok:
        errors = {field: error_message(code, params)
                  for field, (code, params) in checked.errors.items()}
        return _page(survey, token, form, values, errors, 400)
    # The spent mark and the response: one transaction (store_response commits or rolls back
    # both). A concurrent use of the same link waits for this mark and then finds it spent.
    db = get_db()
    if not invitations.spend(db, settings().secret(), invitation):
        db.rollback()
        return _spent(survey)
    if store_response(db, survey, g.lang, checked, submission, today=today(),
                      unit_id=invitation.unit_id):
        queue.notify_submitted(get_redis())
    return redirect(url_for("respond.thanks", slug=survey.slug), code=303)
