"""HR's lists of addresses for invitations by e-mail (surveys.staff.mailing.parse_addresses):
every bad line by its number, duplicates merged, nothing accepted from a broken file."""

from __future__ import annotations

import pytest

from surveys.staff import mailing


def test_addresses_are_checked_line_by_line():
    parsed = mailing.parse_addresses(
        "email\n# comment\n Aino.Virtanen@Hyvinvointialue.FI ;\n\"b@example.fi\",\n"
        "aino.virtanen@hyvinvointialue.fi\nc@pääkaupunki.fi\n".encode())
    assert parsed.addresses == ["Aino.Virtanen@hyvinvointialue.fi", "b@example.fi",
                                "c@xn--pkaupunki-v2aa.fi"]
    assert parsed.merged == 1
    with pytest.raises(mailing.AddressListError) as err:
        mailing.parse_addresses(b"a@example.fi\nx\n.a@example.fi\na@b\na b@example.fi\n")
    assert [line for line, _code, _v in err.value.problems] == [2, 3, 4, 5]
    with pytest.raises(mailing.AddressListError) as err:
        mailing.parse_addresses(b"\xff\xfe")
    assert err.value.problems == [(0, "not_utf8", "")]
    with pytest.raises(mailing.AddressListError):
        mailing.parse_addresses(b"\n\n")


def test_mail_texts_exist_in_finnish_and_swedish():
    from surveys.accounts.mails import translations

    for lang, word in (("fi", "Kutsu"), ("sv", "Inbjudan")):
        t = translations(lang)
        for subject, body in mailing.TEXTS.values():
            assert t.gettext(subject) != subject and t.gettext(body) != body
        assert t.gettext(mailing.TEXTS[0][0]).startswith(word)
