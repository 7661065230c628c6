"""The texts of the mails Palaute sends to accounts, in the link's language.

Outside a request (the mail job), so Babel's catalogs are read directly: the same
`translations/` as the web's, with the Sámi languages falling back to Finnish as on the web.
The strings are marked with `N_` so `make translations` extracts them.
"""

from __future__ import annotations

from functools import cache

from babel import support

from surveys.infra.settings import PROJECT_ROOT


def N_(text: str) -> str:  # noqa: N802 - gettext's marker name, extracted by pybabel
    return text


FALLBACK = {"se": "fi", "smn": "fi", "sms": "fi"}

TEXTS = {
    "invite": (
        N_("Your account in the Palaute administration"),
        N_("You have been invited to the administration of Palaute, the surveys of the "
           "wellbeing services counties, with the address %(email)s.\n\n"
           "Choose your password at this address:\n\n%(link)s\n\n"
           "The link works once and expires in %(hours)s hours. If you did not expect this "
           "mail, you can ignore it."),
    ),
    "reset": (
        N_("Resetting your Palaute password"),
        N_("Someone asked to reset the password of the account %(email)s in the Palaute "
           "administration.\n\n"
           "Choose a new password at this address:\n\n%(link)s\n\n"
           "The link works once and expires in %(minutes)s minutes. Setting a new password "
           "signs the account out everywhere. If you did not ask for this, you can ignore "
           "this mail: the password stays as it is."),
    ),
}


@cache
def _translations(lang: str) -> support.Translations:
    directory = PROJECT_ROOT / "translations"
    found = support.Translations.load(directory, [lang])
    if lang in FALLBACK:
        found.add_fallback(support.Translations.load(directory, [FALLBACK[lang]]))
    return found


def translations(lang: str) -> support.Translations:
    """The interface catalog of `lang` (Sámi falling back to Finnish), outside a request."""
    return _translations(lang)


def compose(purpose: str, lang: str, *, email: str, link: str, hours: int = 0,
            minutes: int = 0) -> tuple[str, str]:
    """(subject, body) of an invitation or reset mail."""
    t = _translations(lang)
    subject, body = TEXTS[purpose]
    values = {"email": email, "link": link, "hours": hours, "minutes": minutes}
    return t.gettext(subject), t.gettext(body) % values
