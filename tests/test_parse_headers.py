"""Header decoding on the forms real list mail uses."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from patchdesk.model import RawMail, Unreadable
from patchdesk.parse import parse
from patchdesk.parse.headers import clean_references, decode_header, message_ids, parse_date

from mailgen import make_mail


@pytest.mark.parametrize("raw, expected", [
    (b"=?UTF-8?q?J=C3=B6rg_M=C3=BCller?= <jm@example.org>", "Jörg Müller <jm@example.org>"),
    (b"=?iso-8859-1?q?Andr=E9?= =?iso-8859-1?q?_Lopes?=", "André Lopes"),
    (b"=?utf-8?b?5L2Q6Jek?= <s@example.jp>", "佐藤 <s@example.jp>"),
    (b"=?x-unknown-charset?q?caf=E9?=", "café"),          # unknown charset: Latin-1 fallback
    (b"=?utf-8?q?caf=E9?=", "café"),                       # declared UTF-8, really Latin-1
    (b"[PATCH v2 1/3]\n foo:\n\tbar", "[PATCH v2 1/3] foo: bar"),
])
def test_decode_header(raw, expected):
    assert decode_header(raw)[0] == expected


def test_raw_8bit_header_is_decoded_and_flagged():
    text, eight_bit = decode_header("Jörg Müller".encode("utf-8"))
    assert (text, eight_bit) == ("Jörg Müller", True)
    assert decode_header("Jörg".encode("latin-1")) == ("Jörg", True)


def test_references_are_cleaned():
    refs = clean_references("<a@x> <b@x>\n <b@x> <self@x>", "<c@x>", "self@x")
    assert refs == ("a@x", "b@x", "c@x")
    # In-Reply-To names an older reference: it is still the parent
    assert clean_references("<a@x> <b@x>", "<a@x>", "m@x") == ("b@x", "a@x")
    # broken mailers: no angle brackets at all
    assert message_ids("a@x, b@x") == ["a@x", "b@x"]
    # "message from X on DATE <id>" style In-Reply-To
    assert clean_references("", 'Your message of "Mon, 1 Jan" <q@x>', "m@x") == ("q@x",)


@pytest.mark.parametrize("value, expected", [
    ("Mon, 02 Nov 2026 10:15:00 +0100", datetime(2026, 11, 2, 9, 15, tzinfo=timezone.utc)),
    ("2 Nov 2026 10:15:00 -0800", datetime(2026, 11, 2, 18, 15, tzinfo=timezone.utc)),
    ("Mon, 02 Nov 2026 10:15:00 +9999", datetime(2026, 11, 2, 10, 15, tzinfo=timezone.utc)),
    ("yesterday", None),
    ("Mon, 02 Nov 19999 10:15:00 +0100", None),
    ("", None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_missing_message_id_gets_stable_content_id():
    raw = make_mail(None, "[PATCH] frob: fix", body="diff\n")
    first, second = parse(RawMail(raw, "0")), parse(RawMail(raw + b"", "1"))
    assert first.msgid_synthetic and "msgid-missing" in first.flags
    assert first.msgid == second.msgid and first.msgid.endswith("@patchdesk.invalid")
    other = parse(RawMail(make_mail(None, "[PATCH] frob: fix", body="other\n"), "2"))
    assert other.msgid != first.msgid


def test_bad_date_falls_back_to_received():
    raw = make_mail("d@x", "hi", date="not a date",
                    extra="Received: from a by b; Tue, 03 Nov 2026 08:00:00 +0000")
    parsed = parse(RawMail(raw, "0"))
    assert parsed.date == datetime(2026, 11, 3, 8, 0, tzinfo=timezone.utc)
    assert "date-invalid" in parsed.flags


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty message"),
    (b"\n\n  \n", "empty message"),
    (b"just some text\nwithout headers\n", "no RFC 5322 header block"),
    (b"X-Foo: bar\n\nbody\n", "none of From, Subject, Message-ID, Date present"),
])
def test_unreadable_messages_have_reasons(raw, reason):
    with pytest.raises(Unreadable, match=reason):
        parse(RawMail(raw, "0"))


DATA = Path(__file__).parent / "data" / "sender"


def test_list_rewritten_from_is_read_back_from_reply_to():
    """A real LTP post: Mailman rewrote From to the list's address."""
    mail = parse(RawMail((DATA / "ltp-via.eml").read_bytes(), "0"))
    assert (mail.from_name, mail.from_addr) == ("Andrea Cervesato", "andrea.cervesato@suse.com")
    assert "from-munged" in mail.flags


@pytest.mark.parametrize("extra, expected", [
    # replies go to the list: Mailman puts the poster in Cc, among others
    ("Reply-To: LTP <ltp@lists.linux.it>\nCc: Petr Vorel <pvorel@suse.cz>,\n Jan Doe <jan@doe.example>",
     ("Jan Doe", "jan@doe.example")),
    # Google Groups quotes the name; the poster in Reply-To without a name
    ("Reply-To: jan@doe.example", ("Jan Doe", "jan@doe.example")),
    # two strangers in Cc and nobody in Reply-To: not recognisable, kept
    ("Cc: Petr Vorel <pvorel@suse.cz>, Cyril Hrubis <chrubis@suse.cz>", None),
    # a hostile Reply-To: unreadable nesting is ignored, not raised
    ("Reply-To: " + "(" * 5000 + "x@y.example", None),
])
def test_list_rewritten_from_shapes(extra, expected):
    sender = "'Jan Doe' via ltp <ltp@lists.linux.it>" if "jan@doe" in extra and "Cc" not in extra \
        else "Jan Doe via ltp <ltp@lists.linux.it>"
    mail = parse(RawMail(make_mail("m1@x", "[PATCH] frob: fix", sender=sender, extra=extra), "0"))
    if expected is None:
        assert mail.from_addr == "ltp@lists.linux.it" and "from-munged" not in mail.flags
    else:
        assert (mail.from_name, mail.from_addr) == expected and "from-munged" in mail.flags


def test_fingerprint_keeps_the_headers_own_sender():
    """Recognising the poster does not change a message's fingerprint, so
    stores that ingested it before find it again."""
    plain = make_mail("m1@x", "[PATCH] frob: fix", sender="Jan Doe via ltp <ltp@lists.linux.it>")
    munged = plain.replace(b"\n\n", b"\nReply-To: Jan Doe <jan@doe.example>\n\n", 1)
    assert parse(RawMail(plain, "0")).fingerprint == parse(RawMail(munged, "1")).fingerprint


def test_a_ticket_system_via_name_is_not_a_rewrite():
    """Real mail from the notmuch corpus: '" via RT" <rt-...>' with Reply-To the same address."""
    mail = parse(RawMail((DATA / "rt-via.eml").read_bytes(), "0"))
    assert mail.from_addr.startswith("rt-xxx@") and "from-munged" not in mail.flags


@pytest.mark.parametrize("name, poster", [
    # a real linux-gpio post through kernel.org's B4 Relay: the name RFC 2047-encoded, the
    # poster in X-Original-From and (without a name) in Reply-To
    ("b4-relay.eml", ("Nuno Sá", "nuno.sa@analog.com")),
    # a real LTP post of a relayed patch: rewritten twice ("... via B4 Relay via ltp")
    ("b4-relay-via-ltp.eml", ("Cryolitia PukNgae", "cryolitia@uniontech.com")),
    # the relay's earlier name, in a folded From (linux-gpio, 2023)
    ("b4-endpoint.eml", ("Niall Leonard", "nl250060@ncr.com")),
])
def test_a_b4_relay_post_is_the_posters(name, poster):
    mail = parse(RawMail((DATA / name).read_bytes(), "0"))
    assert (mail.from_name, mail.from_addr) == poster and "from-munged" in mail.flags


def test_x_original_from_names_the_poster_when_reply_to_does_not():
    """Google Groups with replies to the group: only X-Original-From says who."""
    raw = make_mail("m1@x", "[PATCH] frob: fix", sender="'Jan Doe' via frob <frob@googlegroups.com>",
                    extra="Reply-To: frob@googlegroups.com\nX-Original-From: Jan Doe <jan@doe.example>")
    mail = parse(RawMail(raw, "0"))
    assert (mail.from_name, mail.from_addr) == ("Jan Doe", "jan@doe.example") and "from-munged" in mail.flags
    # without the rewrite in From, X-Original-From is not taken: anybody can add that header
    plain = parse(RawMail(raw.replace(b"'Jan Doe' via frob", b"Frob Bot"), "1"))
    assert plain.from_addr == "frob@googlegroups.com" and "from-munged" not in plain.flags
