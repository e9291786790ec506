"""Bodies: transfer encodings, charsets, MIME attachments, flowed text, corpora."""

import base64
import quopri
from pathlib import Path

import pytest

from patchdesk.model import RawMail
from patchdesk.parse import parse
from patchdesk.pipeline.prepare import parse_or_reason
from patchdesk.sources import discover
from patchdesk.sources.mbox import MboxSource

from conftest import CORPUS
from mailgen import make_mail

DIFF = ("diff --git a/frob.c b/frob.c\n--- a/frob.c\n+++ b/frob.c\n@@ -1,2 +1,2 @@\n"
        " int x;\n-int y = 1;\n+int y = 2;\n")


def _one(path: Path):
    return parse(next(iter(MboxSource(path).messages({}))))


def test_quoted_printable_and_base64_bodies_decode():
    text = "Grüße,\n" + DIFF + "x = 'a very long line " + "y" * 90 + "'\n"
    qp = quopri.encodestring(text.encode()).decode()
    assert parse(RawMail(make_mail("q@x", "s", body=qp, cte="quoted-printable"), "0")).body == text
    b64 = base64.encodebytes(text.encode()).decode()
    assert parse(RawMail(make_mail("b@x", "s", body=b64, cte="base64"), "0")).body == text


def test_wrong_charset_label_is_repaired():
    raw = make_mail("c@x", "s", charset="us-ascii", body="Grüße\n")
    parsed = parse(RawMail(raw, "0"))
    assert parsed.body == "Grüße\n" and "charset-repaired" in parsed.flags
    latin = make_mail("l@x", "s", charset="utf-8").replace(b"Hello.", "Grüße".encode("latin-1"))
    assert parse(RawMail(latin, "0")).body.startswith("Grüße")


def test_format_flowed_patch_is_unflowed():
    # RFC 3676: a trailing space marks a soft break; lines starting with a
    # space (diff context) are space-stuffed with one more.
    stuffed = "\n".join(" " + ln if ln.startswith(" ") else ln for ln in DIFF.split("\n"))
    flowed = "Fix it.\n\n" + stuffed.replace("int y = 2;", "int y = \n2;")
    raw = make_mail("f@x", "s", body=flowed).replace(
        b"charset=UTF-8", b"charset=UTF-8; format=flowed")
    assert parse(RawMail(raw, "0")).body == "Fix it.\n\n" + DIFF


def test_flowed_lines_join_only_at_the_same_quote_depth():
    # a quoted blank context line ("> " + " ") ends in a space; the reviewer's
    # own line under it is not its continuation, a wrapped trailer is joined
    flowed = (">  \treturn 0;\n>  \nReviewed-by: Maria Keller-Von Hohenberg \n<maria@frob.org>\n"
              "Cheers, \nMaria\n-- \nsig\n")
    raw = make_mail("f@x", "Re: s", body=flowed).replace(b"charset=UTF-8", b"charset=UTF-8; format=flowed")
    assert parse(RawMail(raw, "0")).body.split("\n") == [
        ">  \treturn 0;", ">  ", "Reviewed-by: Maria Keller-Von Hohenberg <maria@frob.org>", "Cheers, Maria",
        "-- ", "sig", ""]


def test_patch_attachment_is_kept_as_attachment():
    parsed = _one(CORPUS / "patchwork/mail/0007-cvs-format-diff.mbox")
    assert [a.filename for a in parsed.attachments] == ["dd-2.patch"]
    assert parsed.attachments[0].text.startswith("Index: bfd/elf-bfd.h")
    assert "pr11138" in parsed.body


def test_html_part_is_never_the_body_when_plain_exists():
    parsed = _one(CORPUS / "patchwork/mail/0020-multipart-comment.mbox")
    assert parsed.body.startswith("Yup, this looks sensible")
    assert "<" not in parsed.body.split("\n")[0]


def test_8bit_utf8_headers():
    parsed = _one(CORPUS / "patchwork/mail/0014-with-unencoded-utf8-headers.mbox")
    assert parsed.from_name == "Rafał Miłecki"
    assert "8bit-headers" in parsed.flags


def test_every_corpus_file_parses_or_gets_a_reason():
    """No file under tests/data/corpus crashes the parser."""
    read = 0
    for source in discover(CORPUS):
        for mail in source.messages({}):
            read += 1
            result = parse_or_reason(mail)
            assert not (isinstance(result, str) and result.startswith("parser error")), \
                (source.location, mail.position, result)
    assert read > 480


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "malformed").iterdir()))
def test_malformed_mail_parses(name):
    parsed = parse(RawMail((CORPUS / "malformed" / name).read_bytes(), name))
    assert parsed.msgid and isinstance(parsed.body, str)
