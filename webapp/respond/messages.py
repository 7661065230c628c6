"""Sentences for the domain's validation error codes, in the page language."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext

from surveys.definitions.format import LocalizedText

from ..i18n import ui_lang

ERROR_MESSAGES = {
    "required": lazy_gettext("Please answer this question."),
    "invalid_choice": lazy_gettext("Please choose one of the options shown."),
    "duplicate_choice": lazy_gettext("Each option can be chosen only once."),
    "too_many_values": lazy_gettext("Please give only one answer."),
    "not_a_number": lazy_gettext("Please enter a whole number, for example 42."),
    "invalid_text": lazy_gettext("The answer contains characters that cannot be saved."),
    "unknown_fields": lazy_gettext("The form contained fields this survey does not have."),
    "unavailable": lazy_gettext(
        "The service is temporarily unavailable, so your answers were not saved yet. They are "
        "kept below: please send them again in a moment."
    ),
    "rate_limited": lazy_gettext(
        "Very many answers have been sent from your network in a short time, so yours were not "
        "saved yet. They are kept below: please send them again in a moment."
    ),
    "expired": lazy_gettext(
        "The form had expired. Your answers are kept below: please check them and send again."
    ),
}


def error_message(code: str, params: dict[str, Any]) -> LocalizedText:
    """The sentence, knowing its language (a Finnish fallback on a Sámi page is marked)."""
    if code == "out_of_range":
        msgid = "Please enter a number from %(min)s to %(max)s."
        return LocalizedText(gettext("Please enter a number from %(min)s to %(max)s.", **params),
                             ui_lang(msgid))
    if code == "too_long":
        msgid = "Please shorten your answer to at most %(max)s characters."
        return LocalizedText(
            gettext("Please shorten your answer to at most %(max)s characters.", **params),
            ui_lang(msgid))
    lazy = ERROR_MESSAGES.get(code, ERROR_MESSAGES["invalid_choice"])
    return LocalizedText(str(lazy), ui_lang(lazy._args[0]))
