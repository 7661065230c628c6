"""`palaute translations`: the interface catalogs in translations/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from surveys.infra.settings import PROJECT_ROOT
from surveys.languages import catalogs


@click.group("translations", cls=AppGroup)
def group() -> None:
    """Interface translations (gettext catalogs in translations/)."""


def _pybabel(*args: str) -> None:
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), *args], check=True, cwd=PROJECT_ROOT)


@group.command("extract")
def translations_extract() -> None:
    """Extract strings into translations/messages.pot and update every catalog."""
    # lazy_gettext, and the templates' helpers for element text (webapp.i18n: t, ui_in, ...).
    keywords = [arg for name, spec in catalogs.EXTRA_KEYWORDS.items()
                for arg in ("-k", name + (":" + ",".join(map(str, spec)) if spec else ""))]
    _pybabel("extract", "-F", "babel.cfg", *keywords, "--no-location",
             "--project", "Palaute", "--version", "0.1.0",
             "--sort-output", "-o", "translations/messages.pot", ".")
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations",
             "--no-fuzzy-matching", "--ignore-obsolete")


@group.command("status")
def translations_status() -> None:
    """Per language: strings reviewed by a native speaker, drafts awaiting review, missing."""
    click.echo(f"{'language':<9} {'reviewed':>8} {'draft':>6} {'missing':>8} {'total':>6}  "
               "catalog")
    for st in catalogs.status():
        click.echo(f"{st.lang:<9} {st.reviewed:>8} {st.draft:>6} {st.missing:>8} {st.total:>6}  "
                   f"{st.review}")


@group.command("review-package")
@click.argument("lang", type=click.Choice(["se", "smn", "sms"]))
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="PO file to write")
def translations_review_package(lang: str, out: str) -> None:
    """Write LANG's interface strings as one PO file for a native reviewer: where each string is
    used, its Finnish text, the current draft and its sources; the respondent's strings first."""
    from babel.messages.pofile import write_po

    package = catalogs.review_package(lang)
    with open(out, "wb") as f:
        write_po(f, package, width=76, sort_output=False, include_previous=False)
    entries = [m for m in package if m.id]
    drafts = sum(1 for m in entries if catalogs.is_translated(m))
    click.echo(f"{out}: {len(entries)} strings for {lang}, {drafts} with a draft, "
               f"{len(entries) - drafts} empty")


@group.command("compile")
@click.option("--quiet", is_flag=True,
              help="Print only errors (`make setup`: no line per catalog at every start).")
def translations_compile(quiet: bool) -> None:
    """Compile the catalogs to .mo files."""
    _pybabel(*(["--quiet"] if quiet else []), "compile", "-d", "translations", "--use-fuzzy",
             *([] if quiet else ["--statistics"]))
