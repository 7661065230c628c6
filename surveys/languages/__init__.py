"""Languages: the interface languages, their gettext catalogs and locale data Babel lacks."""

LANGUAGES: tuple[str, ...] = ("fi", "sv", "se", "smn", "sms", "en")
# Interface catalogs that must be complete (Language Act 423/2003: Finnish and Swedish).
REQUIRED_COMPLETE: tuple[str, ...] = ("fi", "sv")
