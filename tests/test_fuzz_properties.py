"""Property-based fuzzing of the parsers (Hypothesis), seeded with tests/data/corpus.

Everything patchdesk parses comes from strangers, so each parser has a
contract that must hold for *any* input (see fuzz/checks.py, shared with
the atheris targets in fuzz/):

* mail: ``parse`` returns a ParsedMessage or raises Unreadable; ``prepare``
  never raises and no reader behind it fails;
* subject: ``parse_subject`` never raises and its name parses to itself;
* diff: ``find_diff``/``split_patch``/``patch_id`` never raise, hunks never
  hold more lines than their header says, patch ids are 40 hex digits;
* quotes: ``split_reply`` puts every line in exactly one segment and no
  ``>`` line in the author's own text; verdicts and notes never raise.

Inputs are real corpus messages mutated byte-wise (flip, insert, delete,
splice in tokens the parsers key on), plus generated structures.  The last
part feeds adversarial inputs of up to about a megabyte and checks each
call completes (no catastrophic backtracking).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fuzz"))

import checks  # noqa: E402
import seeds  # noqa: E402
from patchdesk.parse.diff import find_diff  # noqa: E402
from patchdesk.parse.patchid import patch_id  # noqa: E402
from patchdesk.review.quotes import split_reply  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
assert CORPUS == seeds.CORPUS

_SEEDS = {t: seeds.seeds(t) for t in checks.TARGETS}
# Mutating a 120 KB mbox message costs more than it finds: cap the seeds.
SAMPLES = {t: [s[:16384] for s in items] for t, items in _SEEDS.items()}

#: Byte strings the parsers branch on, spliced into corpus samples.
TOKENS = [
    b"\n", b"\r\n", b"\n\n", b" ", b"\t", b">", b"> > ", b":", b"<", b">", b"(", b")", b'"', b"\\",
    b"@", b"[", b"]", b"\x00", b"\xff", b"\xc3", b"=?", b"?=", b"=?utf-8?b?", b"=?x?q?", b"=\n",
    b"\nFrom ", b"From: ", b"Subject: ", b"Message-ID: <", b"References: ", b"In-Reply-To: ",
    b"Content-Type: multipart/mixed; boundary=b\n", b"\n--b\n", b"\n--b--\n",
    b"Content-Transfer-Encoding: base64\n", b"Content-Type: text/plain; charset=punycode\n",
    b"Content-Type: text/html\n", b"format=flowed", b"diff --git a/x b/x\n", b"--- a/x\n+++ b/x\n",
    b"@@ -1,3 +1,4 @@", b"@@ -0,0 +1 @@\n", b"\n+", b"\n-", b"\n ", b"\\ No newline at end of file\n",
    b"Index: x\n====\n", b"GIT binary patch\n", b"Binary files a and b differ\n", b"rename from ",
    b"index 1234..5678 100644\n", b"---\n", b"-- \n", b" 1 file changed", b" x | 2 +-\n",
    b"Signed-off-by: A <a@b.c>\n", b"Acked-by: ", b"Reviewed-by: X <x@y.z>\n", b"change-id: ",
    b"are available in the git repository at:\n\n  git://x/y z\n", b"On Mon, A wrote:\n",
    b"-----Original Message-----\n", b"Sent: ", b"[PATCH v2 1/3] ", b"Re: ", b"(v2)", b"NAK", b"Applied",
]


@st.composite
def mutated(draw, samples: list[bytes], max_edits: int = 8) -> bytes:
    """A corpus sample with a few random byte-level edits."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(0, max_edits))):
        op = draw(st.sampled_from(("flip", "insert", "delete", "token", "repeat", "splice")))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif op == "repeat":
            data[pos:pos] = draw(st.sampled_from(TOKENS)) * draw(st.integers(2, 300))
        elif op == "splice":  # a piece of another sample
            other = draw(st.sampled_from(samples))
            start = draw(st.integers(0, len(other)))
            data[pos:pos] = other[start:start + draw(st.integers(1, 2000))]
    return bytes(data)


def text(samples: list[bytes]):
    return mutated(samples).map(checks.text_of)


FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_corpus_is_there():
    """Fuzzing without seeds would quietly test much less."""
    assert len(SAMPLES["mail"]) > 300 and len(SAMPLES["diff"]) > 50


# ---- mail --------------------------------------------------------------------

@FAST
@given(mutated(SAMPLES["mail"]))
def test_mail_parse_contract(data):
    checks.check_parse(data, "rfc822")
    checks.check_parse(data, "hypermail")


@settings(FAST, max_examples=60)
@given(mutated(SAMPLES["mail"]))
def test_prepare_never_raises(data):
    checks.check_prepare(data)


HEADER_NAMES = st.sampled_from(["From", "Subject", "Message-ID", "Date", "References", "In-Reply-To",
                                "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
                                "To", "Cc", "List-Id", "Change-Id", "X-Junk", "from", "SUBJECT"])


@FAST
@given(st.lists(st.tuples(HEADER_NAMES, st.binary(max_size=80) | st.sampled_from(TOKENS)), max_size=12),
       st.sampled_from(["\n", "\r\n"]), mutated(SAMPLES["diff"], 3))
def test_mail_from_generated_headers(headers, eol, body):
    nl = eol.encode()
    block = b"".join(name.encode() + b": " + value + nl for name, value in headers)
    checks.check_parse(block + nl + body)
    checks.check_parse(block)


@settings(FAST, max_examples=40)
@given(st.integers(1, 60), st.sampled_from([b"b", b"same", b'"q"']), st.binary(max_size=40))
def test_nested_mime(depth, boundary, leaf):
    """Nesting deeper than MAX_MIME_DEPTH is cut off, never an error."""
    b = boundary.strip(b'"')
    data = b"From: a@b.c\nSubject: x\nContent-Type: multipart/mixed; boundary=" + boundary + b"\n\n"
    data += (b"--" + b + b"\nContent-Type: multipart/mixed; boundary=" + boundary + b"\n\n") * depth
    data += b"--" + b + b"\nContent-Type: text/plain\n\n" + leaf + b"\n--" + b + b"--\n"
    parsed = checks.check_parse(data)
    assert parsed is not None


# ---- subject -----------------------------------------------------------------

SUBJECT_ALPHABET = st.sampled_from(list("[]():,：\t vV0123456789/PATCHRFCresndwWAGgpull回复 xof-.\x00"))


@settings(FAST, max_examples=400)
@given(st.one_of(text(SAMPLES["subject"]), st.text(SUBJECT_ALPHABET, max_size=80), st.text(max_size=80)))
def test_subject_contract(subject):
    checks.check_subject_text(subject)


@settings(FAST, max_examples=100)
@given(st.integers(1, 40), st.integers(0, 999), st.integers(1, 999), st.text(max_size=40))
def test_subject_fields(version, n, total, name):
    name = " ".join(name.split())
    s = checks.parse_subject(f"[PATCH v{version} {n}/{total}] x{name}")
    assert (s.version, s.counter, s.total, s.is_patch) == ((version, 0), n, total, True)


# ---- diff --------------------------------------------------------------------

@settings(FAST, max_examples=200)
@given(text(SAMPLES["diff"]))
def test_diff_contract(body):
    checks.check_diff_text(body)


LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=30)


@st.composite
def hunks(draw):
    """(header start, lines) of a well-formed hunk: counts match its lines."""
    lines = draw(st.lists(st.tuples(st.sampled_from(" -+"), LINE), min_size=1, max_size=12))
    return draw(st.integers(1, 5000)), [sign + t for sign, t in lines]


def render(path: str, hunk_list, start_shift: int = 0) -> str:
    out = [f"diff --git a/{path} b/{path}", "index 1111111..2222222 100644", f"--- a/{path}", f"+++ b/{path}"]
    for start, lines in hunk_list:
        old = sum(1 for x in lines if x[0] in " -")
        new = sum(1 for x in lines if x[0] in " +")
        out.append(f"@@ -{start + start_shift},{old} +{start + start_shift},{new} @@ f()")
        out.extend(lines)
    return "\n".join(out) + "\n"


@settings(FAST, max_examples=150)
@given(st.lists(hunks(), min_size=1, max_size=4), st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8}){0,2}", fullmatch=True),
       st.text(max_size=200), st.integers(1, 100))
def test_generated_diff(hunk_list, path, message, shift):
    """A well-formed diff is found whole, counted exactly, and its patch-id
    ignores line numbers and the commit message (as git's does)."""
    assume("\ndiff " not in "\n" + message and "\n--- " not in "\n" + message and "\nIndex: " not in "\n" + message)
    diff_text = render(path, hunk_list)
    body = f"{message}\n---\n{diff_text}-- \n2.47.0\n"
    diff = find_diff(body)
    assert diff is not None and diff.paths == (path,)
    plus = sum(1 for _, lines in hunk_list for x in lines if x[0] == "+")
    minus = sum(1 for _, lines in hunk_list for x in lines if x[0] == "-")
    assert (diff.added, diff.removed) == (plus, minus)
    checks.check_diff_object(diff, body)
    moved = find_diff("other words\n\n" + render(path, hunk_list, shift))
    assert patch_id(moved) == patch_id(diff)
    again = find_diff(diff.text)
    assert again is not None and again.files == diff.files


# ---- quotes ------------------------------------------------------------------

QUOTE_ALPHABET = st.sampled_from(list("> \t\n-+@aAnNkK.:,?!") + ["wrote:", "On ", "Acked-by: a <a@b.c>", "-- ",
                                                                  "Applied", "NAK", "\r\n", "diff --git a/x b/x"])


@settings(FAST, max_examples=300)
@given(st.one_of(text(SAMPLES["quotes"]), st.lists(QUOTE_ALPHABET, max_size=60).map("".join), st.text(max_size=100)))
def test_quotes_contract(body):
    checks.check_quotes_text(body)


@settings(FAST, max_examples=100)
@given(st.lists(st.tuples(st.integers(0, 6), LINE), max_size=30))
def test_quote_depth(lines):
    """Each '>'-quoted line lands in a quote segment of its own depth."""
    body = "\n".join(("> " * d) + t.lstrip(" >") if d else t for d, t in lines)
    reply = split_reply(body)
    quoted = [(s.depth, line) for s in reply.segments if s.kind in ("quote", "quoted_diff") for line in s.lines]
    for d, t in lines:
        if d and not t.lstrip(" >").startswith(("\t",)):
            assert any(depth == d for depth, _ in quoted)
    checks.check_quotes_text(body)


# ---- bounded time ------------------------------------------------------------

MB = 1 << 20
_HDR = b"From: A <a@b.c>\nSubject: x\nMessage-ID: <m@x>\n"


def _nested_mime(depth: int) -> bytes:
    opened = b"".join(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i - 1, i) if i else b""
                      for i in range(depth))
    return (_HDR + b"Content-Type: multipart/mixed; boundary=b0\n\n" + opened
            + b"--b%d\nContent-Type: text/plain\n\nhello\n" % (depth - 1)
            + b"".join(b"--b%d--\n" % i for i in reversed(range(depth))))


ADVERSARIAL = {
    # quote splitter
    "quotes: 10,000 '>' levels": ("quotes", ">" * 10_000 + " deep\n" + "> " * 10_000 + "x"),
    "quotes: 2,000 lines of growing depth": ("quotes", "\n".join(">" * i + " x" for i in range(2000))),
    "quotes: 200 KB line, no newline": ("quotes", "a" * 200_000),
    "quotes: 1 MB of spaces in a trailer": ("quotes", "Acked-by: x" + " " * MB + "y"),
    "quotes: 25,000 attribution-like lines": ("quotes", ("On 1 " + "x" * 190 + " 2\n") * 5000),
    "quotes: long sentence": ("quotes", "please " + "x " * 400_000 + "resend"),
    "quotes: Outlook-like headers": ("quotes", ("From: " + "x" * 300 + "\n") * 3000 + "Sent: x"),
    "quotes: 100,000 '--' lines": ("quotes", "--\n" * 100_000),
    # diff parser
    "diff: 100,000 '@@ -1 +1 @@' lines": ("diff", "diff --git a/x b/x\n--- a/x\n+++ b/x\n" + "@@ -1 +1 @@\n" * 100_000),
    "diff: 100,000 one-line hunks": ("diff", "--- a/x\n+++ b/x\n" + "@@ -1 +1 @@\n-a\n+b\n" * 50_000),
    "diff: 50,000 header-only files": ("diff", "diff --git a/x b/x\nindex 1..2\n" * 50_000),
    "diff: 50,000 Index: starts": ("diff", "Index: x\n====\n" * 50_000),
    "diff: 200 KB quoted name": ("diff", 'diff --git "' + "\\\\" * 100_000 + '" b/x\nindex 1..2\n'),
    "diff: 1 MB 'Files x and ...'": ("diff", "diff --git a/x b/x\nindex 1..2\nFiles " + "x and " * 170_000 + "y\n"),
    "diff: 1 MB spaces in a trailer": ("diff", "x\n\nSigned-off-by: x" + " " * MB + "y\n"),
    "diff: 1 MB spaces in change-id": ("diff", "change-id: x" + " " * MB + "y\n"),
    "diff: 1 MB spaces in Cc": ("diff", "x\n\nCc: x" + " " * MB + "y\n"),
    "diff: 100,000 diffstat lines": ("diff", " a | 1 +\n" * 100_000 + "---\n"),
    "diff: 1 MB of '+' after a stat bar": ("diff", "---\n x | 1 " + "+" * MB + "x\n 1 file changed\n"),
    "diff: 1 MB of '-' lines": ("diff", "-" * MB),
    # subject parser
    "subject: 10,000 '[PATCH' prefixes": ("subject", "[PATCH" * 10_000),
    "subject: 100,000 '[' then ']'": ("subject", "[" * 100_000 + "]" * 100_000),
    "subject: 100,000 'Re: '": ("subject", "Re: " * 100_000),
    "subject: 250,000 '(v1)' suffixes": ("subject", "x" + "(v1)" * 250_000),
    "subject: 1 MB of spaces": ("subject", "[PATCH]" + " " * MB + "x"),
}
ADVERSARIAL_MAIL = {
    "mail: 1 MB header line": _HDR + b"X-Long: " + b"a" * MB + b"\n\nbody",
    "mail: 100,000 folded References": _HDR + b"References: " + b"<a@b>\n " * 100_000 + b"\n\nbody",
    "mail: 1 MB of '<' in In-Reply-To": _HDR + b"In-Reply-To: " + b"<" * MB + b"\n\nbody",
    "mail: 1 MB From of quotes": b"From: " + b'"' * MB + b"\nSubject: x\n\nbody",
    "mail: 500,000 nested '(' in From": b"From: " + b"(" * (MB // 2) + b"a@b\nSubject: x\n\nbody",
    "mail: 1 MB From 'aaa...@'": b"From: " + b"a" * MB + b"@\nSubject: x\n\nbody",
    "mail: 50,000 encoded words": _HDR.replace(b"Subject: x", b"Subject: " + b"=?utf-8?q?a?= " * 50_000),
    "mail: 100,000 Content-Type parameters": _HDR + b"Content-Type: text/plain" + b"; a=b" * 100_000 + b"\n\nx",
    "mail: 1,000-level nested MIME": _nested_mime(1000),
    "mail: 1,000 levels, one boundary": _HDR + b"Content-Type: multipart/mixed; boundary=b\n\n"
    + b"--b\nContent-Type: multipart/mixed; boundary=b\n\n" * 1000 + b"--b\n\nhi\n",
    "mail: 50,000 MIME parts": _HDR + b"Content-Type: multipart/mixed; boundary=b\n\n" + b"--b\n\nx\n" * 50_000,
    "mail: 1 MB of '=' quoted-printable": _HDR + b"Content-Transfer-Encoding: quoted-printable\n\n" + b"=" * MB,
    "mail: 200,000 flowed lines": _HDR + b"Content-Type: text/plain; format=flowed\n\n" + b"a \n" * 200_000,
    "mail: 1 MB of '<' in HTML": _HDR + b"Content-Type: text/html\n\n" + b"<" * MB,
    "mail: 200,000 header lines": _HDR + b"X: y\n" * 200_000 + b"\nbody",
    "mail: 200,000 'From ' lines": b"From \n" * 200_000,
    "mail: hypermail page of 1 MB blank lines": b"subj\n\nFrom: x\nDate: y\n" + b"\n" * MB,
}

#: Hang guard only, deliberately generous: the house rule is no tight timing
#: thresholds (pytest-timeout style).  Every case takes well under a second
#: to a few seconds; the quadratic bugs these caught took minutes to hours.
HANG_GUARD_S = 20


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_text_bounded(name):
    target, body = ADVERSARIAL[name]
    started = time.monotonic()
    getattr(checks, f"check_{target}_text")(body)
    assert time.monotonic() - started < HANG_GUARD_S, f"{name}: hang guard exceeded"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(ADVERSARIAL_MAIL))
def test_adversarial_mail_bounded(name):
    started = time.monotonic()
    checks.check_parse(ADVERSARIAL_MAIL[name])
    assert time.monotonic() - started < HANG_GUARD_S, f"{name}: hang guard exceeded"


def test_patch_id_shape():
    """40 hex digits for every diff, stable and unstable."""
    diff = find_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    assert re.fullmatch(r"[0-9a-f]{40}", patch_id(diff)) and re.fullmatch(r"[0-9a-f]{40}", patch_id(diff, False))
