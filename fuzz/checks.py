"""The contracts every fuzz target checks, shared by atheris and the tests.

Each ``check_*`` takes the raw fuzz input (bytes), runs one parser on it
and raises ``AssertionError`` (or lets the parser's own exception through)
when a contract is broken.  ``tests/test_fuzz_properties.py`` and
``tests/test_fuzz_regressions.py`` call the same functions, so a crash
found by a long atheris run replays exactly in the test suite.

Text targets decode the bytes as UTF-8 with ``surrogateescape``: valid
UTF-8 arrives as itself, anything else as lone surrogates, so every
possible ``str`` a caller could pass is reachable.
"""

from __future__ import annotations

import re

from patchdesk.model import Attachment, ParsedMessage, RawMail, Unreadable
from patchdesk.parse import parse
from patchdesk.parse.diff import Diff, find_diff
from patchdesk.parse.patch import split_patch
from patchdesk.parse.patchid import diff_fingerprint, patch_id
from patchdesk.parse.subject import parse_subject
from patchdesk.review.assess import note_of
from patchdesk.review.quotes import MAX_LINES, split_reply
from patchdesk.review.verdicts import find_verdicts

TARGETS = ("mail", "subject", "diff", "quotes")
_HEX40 = re.compile(r"[0-9a-f]{40}")
_KINDS = {"own", "quote", "quoted_diff", "attribution", "original", "signature", "footer"}


def text_of(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


# ---- mail -------------------------------------------------------------------

def check_parse(data: bytes, fmt: str = "rfc822") -> ParsedMessage | None:
    """``parse`` returns a ParsedMessage or raises Unreadable, nothing else."""
    try:
        parsed = parse(RawMail(data, "fuzz", fmt))
    except Unreadable as exc:
        assert str(exc), "Unreadable without a reason"
        return None
    assert isinstance(parsed, ParsedMessage)
    assert parsed.msgid and isinstance(parsed.body, str)
    assert len(parsed.references) <= 200
    assert parsed.msgid not in parsed.references
    return parsed


def check_prepare(data: bytes, fmt: str = "rfc822") -> None:
    """``prepare`` never raises, and no reader behind it failed.

    ``prepare`` hides a failing diff/subject/quote reader behind the flags
    ``features-failed`` / ``review-failed`` so ingest goes on; for the
    fuzzer those flags are a crash of the reader concerned.
    """
    from patchdesk.pipeline.prepare import prepare  # heavy import (store), only here

    done = prepare((RawMail(data, "fuzz", fmt), "0" * 40))
    assert not done.reason.startswith("parser error"), done.reason
    if done.row is not None:
        flags = done.row["flags"].split(",")
        assert "features-failed" not in flags and "review-failed" not in flags, flags


def check_mail(data: bytes) -> None:
    check_parse(data, "rfc822")
    check_parse(data, "hypermail")
    check_prepare(data, "rfc822")


# ---- subject ----------------------------------------------------------------

def check_subject_text(text: str) -> None:
    s = parse_subject(text)
    assert s.raw is text
    assert isinstance(s.name, str) and len(s.name) <= len(text)
    major, minor = s.version
    assert major >= 0 and minor >= 0
    assert (s.counter is None) == (s.total is None)
    assert not s.is_forward or s.is_reply
    assert all(tag and tag == tag.lower() for tag in s.tags)
    if len(text) <= 500:  # far from the _HEAD bound: the name parses to itself
        again = parse_subject(s.name)
        assert again.name == s.name, (s.name, again.name)


def check_subject(data: bytes) -> None:
    check_subject_text(text_of(data))


# ---- diff -------------------------------------------------------------------

def check_diff_object(diff: Diff, text: str) -> None:
    assert 0 <= diff.start <= len(text)
    assert text[diff.start:diff.start + len(diff.text)] == diff.text
    assert diff.files
    plus = minus = 0
    for f in diff.files:
        assert f.status in ("added", "deleted", "renamed", "copied", "mode", "modified"), f.status
        for h in f.hunks:
            old = sum(1 for line in h.lines if line[:1] in (" ", "-"))
            new = sum(1 for line in h.lines if line[:1] in (" ", "+"))
            # a hunk never takes more lines than its header announced
            assert old <= h.old_len and new <= h.new_len, (h.old_len, h.new_len, old, new)
            assert all(line for line in h.lines), "empty hunk line kept"
            plus += sum(1 for line in h.lines if line[:1] == "+")
            minus += sum(1 for line in h.lines if line[:1] == "-")
    assert diff.added == plus and diff.removed == minus
    assert len(diff.changed_lines()) == plus + minus
    assert len(diff.paths) == len(diff.files)
    pid = patch_id(diff)
    assert pid == "" or _HEX40.fullmatch(pid), pid
    assert _HEX40.fullmatch(patch_id(diff, stable=False))
    diff_fingerprint(diff)


def check_diff_text(text: str) -> None:
    diff = find_diff(text)
    if diff is not None:
        check_diff_object(diff, text)
    body = split_patch(text)
    assert (body.diff is None) == (diff is None)
    # the same text as an attached patch (body without a diff)
    attached = split_patch("Please apply.\n", (Attachment("x.patch", "text/x-patch", text),))
    if attached.diff is not None:
        assert attached.diff.files


def check_diff(data: bytes) -> None:
    check_diff_text(text_of(data))


# ---- quotes -----------------------------------------------------------------

def check_quotes_text(text: str, sender: str = "a@b.c") -> None:
    reply = split_reply(text)
    lines = text.replace("\r\n", "\n").split("\n")
    assert sum(len(s.lines) for s in reply.segments) == min(len(lines), MAX_LINES)
    for seg in reply.segments:
        assert seg.kind in _KINDS and seg.lines, seg
        assert seg.depth >= 0 and (seg.depth > 0) == (seg.kind in ("quote", "quoted_diff"))
    own = reply.own
    assert not any(line.startswith(">") for line in own.split("\n")), "quoted line in own text"
    reply.paragraphs()
    for v in find_verdicts(reply):
        assert v.kind in ("nak", "applied", "changes-requested", "withdrawn")
    note = note_of(text, sender)
    assert note is None or set(note) == {"t", "v"}


def check_quotes(data: bytes) -> None:
    check_quotes_text(text_of(data))


CHECKS = {"mail": check_mail, "subject": check_subject, "diff": check_diff, "quotes": check_quotes}
