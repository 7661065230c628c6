"""The file of invitation links HR hands out (surveys.staff.invitations.links_csv)."""

from __future__ import annotations

import csv
import io

from surveys.staff import invitations


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_one_row_per_token_with_its_link():
    got = rows(invitations.links_csv("https://palaute.example.fi/", "sv", "WARD2", ["a", "b"]))
    assert got == [{"unit": "WARD2", "link": "https://palaute.example.fi/sv/i/a"},
                   {"unit": "WARD2", "link": "https://palaute.example.fi/sv/i/b"}]


def test_a_unit_code_a_spreadsheet_would_read_as_a_formula_stays_text():
    """A unit code may start with "-" ([A-Za-z0-9_.-]): "-1-2" would show as -3."""
    got = rows(invitations.links_csv("https://x.fi", "fi", "-1-2", ["t"]))
    assert got == [{"unit": "'-1-2", "link": "https://x.fi/fi/i/t"}]
