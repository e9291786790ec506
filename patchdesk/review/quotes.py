"""A reply taken apart: the author's own words versus everything they quote.

Trailers and verdicts count only when the replier wrote them.  The seed
case shows why: a maintainer's "I think I'll NAK this patch" is his, while
"I added that in and applied this patch" three quote levels down is an
earlier mail.  So every line of a reply is put in one segment kind:

* ``own``: the author's text (what later stages read);
* ``quote``: ``>`` lines at any depth (``> >`` and ``>>`` count the same),
  with the diff lines an inline review quotes kept apart (``quoted_diff``)
  so a comment can be tied to the hunk it follows;
* ``attribution``: "On ... wrote:", "* Name <addr> wrote:", "Quoting X:";
* ``original``: an Outlook-style "-----Original Message-----" block or a
  "From: / Sent:" header block, and everything after it (top-posting);
* ``signature``: after a ``-- `` line (or ``--`` alone near the end);
* ``footer``: list footers ("To unsubscribe from this list ...",
  "_______________________________________________").

Bounded work: one pass over at most ``MAX_LINES`` lines, no backtracking
regular expressions on untrusted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINES = 20000

_ATTRIBUTION = re.compile(
    r"^(?:On\b.{0,300}\b(?:wrote|writes|said)\s*:?\s*$"
    r"|\*?\s*\S.{0,200}(?:\bwrote|\bwrites|\bsaid)\s*:\s*$"
    r"|Quoting\b.{0,200}:\s*$"
    r"|Am\b.{0,300}\bschrieb\b.{0,200}:\s*$"
    r"|Le\b.{0,300}\ba écrit\s*:\s*$"
    r"|Il\b.{0,300}\bha scritto\s*:\s*$)", re.I)
#: An attribution split over two lines ("On Thu, 26 Feb 2015, Andy" / "Lutomirski wrote:").
_ATTRIBUTION_START = re.compile(r"^On\b.{0,200}\d.{0,200}$")
_ATTRIBUTION_END = re.compile(r"^.{0,200}\b(?:wrote|writes)\s*:\s*$", re.I)
_ORIGINAL = re.compile(r"^-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht)\s*-{2,}\s*$",
                       re.I)
_OUTLOOK_FROM = re.compile(r"^From:\s.{1,300}$")
_OUTLOOK_NEXT = re.compile(r"^(?:Sent|Date|To|Subject|Cc):\s", re.I)
_FOOTER = re.compile(
    r"^(?:To unsubscribe from this list|_{20,}\s*$|You received this message because you are subscribed"
    r"|--\s*To unsubscribe|Mailing list info:|https?://lists\.\S+/(?:mailman/)?listinfo)", re.I)
_DIFF_LINE = re.compile(r"^(?:diff --git |index [0-9a-f]+\.\.|@@ -\d|--- (?:a/|/dev/null)|\+\+\+ (?:b/|/dev/null)|[+-])")
_DIFF_HEADER = re.compile(r"^(?:diff --git a/(\S+)|\+\+\+ b/(\S+))")


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of lines of one kind; ``depth`` counts ``>`` levels."""

    kind: str
    depth: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuotedLine:
    """A changed line of a quoted diff: what an inline comment is about."""

    path: str
    sign: str
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """The author's own words, with the quoted diff lines just above them."""

    text: str
    about: tuple[QuotedLine, ...]


@dataclass(frozen=True, slots=True)
class Reply:
    segments: tuple[Segment, ...]

    @property
    def own(self) -> str:
        """Only the author's words, one string (what trailers and verdicts read)."""
        return "\n".join(line for s in self.segments if s.kind == "own" for line in s.lines)

    def paragraphs(self) -> list[Paragraph]:
        """Own text in blocks, each with the quoted diff it follows (inline review)."""
        out: list[Paragraph] = []
        about: list[QuotedLine] = []
        path = ""
        fresh_quote = True
        for seg in self.segments:
            if seg.kind == "quoted_diff":
                if fresh_quote:
                    about = []
                    fresh_quote = False
                for line in seg.lines:
                    header = _DIFF_HEADER.match(line)
                    if header:
                        path = header.group(1) or header.group(2)
                    elif line[:1] in ("+", "-") and not line.startswith(("+++", "---")):
                        about.append(QuotedLine(path, line[0], line[1:]))
            elif seg.kind == "own":
                text = "\n".join(seg.lines).strip()
                if text:
                    out.append(Paragraph(text, tuple(about)))
                fresh_quote = True
            elif seg.kind == "quote":
                fresh_quote = True
                about = []
        return out


def _depth(line: str) -> tuple[int, str]:
    """``>`` levels and the rest: ``> >``, ``>>`` and ``> > >`` all count."""
    depth, i, n = 0, 0, len(line)
    while i < n:
        ch = line[i]
        if ch == ">":
            depth += 1
            i += 1
        elif ch in " \t" and depth and i + 1 < n and line[i + 1] == ">":
            i += 1
        elif ch == " " and depth == 0 and i < 3 and ">" in line[i:i + 3]:
            i += 1  # a quote indented by a space or two (" > text")
        else:
            break
    if depth and i < n and line[i] == " ":
        i += 1
    return depth, line[i:]


def _is_attribution(lines: list[str], i: int) -> int:
    """How many lines an attribution at ``i`` spans (0: none)."""
    line = lines[i].strip()
    if not line or len(line) > 400:
        return 0
    if _ATTRIBUTION.match(line):
        return 1
    if i + 1 < len(lines) and _ATTRIBUTION_START.match(line) and _ATTRIBUTION_END.match(lines[i + 1].strip()):
        return 2
    return 0


def _signature_at(lines: list[str], i: int) -> bool:
    line = lines[i]
    if line == "-- " or line == "--":
        # a bare "--" is a signature only near the end and before no quote
        if line == "--":
            rest = lines[i + 1:i + 17]  # not the whole tail: a body of "--" lines was quadratic
            return len(rest) <= 15 and not any(r.startswith(">") for r in rest)
        return True
    return False


def _quoted_next(lines: list[str], i: int) -> bool:
    """Whether the first non-blank line after ``i`` is ``>``-quoted."""
    for line in lines[i + 1:i + 4]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _outlook_block(lines: list[str], i: int) -> bool:
    if _ORIGINAL.match(lines[i].strip()):
        # some webmail clients write the marker and then quote with '>' as
        # usual, the author's reply below: that marker is only an attribution
        return not _quoted_next(lines, i)
    span = _header_attribution(lines, i)
    return bool(span) and not _quoted_next(lines, i + span - 1)


def _header_attribution(lines: list[str], i: int) -> int:
    """Lines of a "From: / Sent: / To: / Subject:" block at ``i`` (0: none).

    Outlook writes it above the whole original, unquoted (top-posting);
    other mailers write it above a ``>`` quote that the reply then answers
    inline, and then it is only an attribution.
    """
    if not (_OUTLOOK_FROM.match(lines[i]) and i + 1 < len(lines) and _OUTLOOK_NEXT.match(lines[i + 1])):
        return 0
    span = 2
    while span < 6 and i + span < len(lines) and _OUTLOOK_NEXT.match(lines[i + span]):
        span += 1
    return span


def split_reply(body: str) -> Reply:
    """Classify every line of a reply body (see the module docstring)."""
    lines = body.replace("\r\n", "\n").split("\n")[:MAX_LINES]
    segments: list[Segment] = []
    kind, depth, run = "", 0, list[str]()

    def push(new_kind: str, new_depth: int, line: str) -> None:
        nonlocal kind, depth, run
        if new_kind != kind or new_depth != depth:
            if run:
                segments.append(Segment(kind, depth, tuple(run)))
            kind, depth, run = new_kind, new_depth, []
        run.append(line)

    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line.startswith(">") or line.startswith((" >", "  >")):
            level, text = _depth(line)
            if level:
                in_diff = kind == "quoted_diff" and (text[:1] in "+- @\\" or text == "")
                push("quoted_diff" if in_diff or _DIFF_LINE.match(text) else "quote", level, text)
                i += 1
                continue
        if _signature_at(lines, i):
            # the rest may still hold a list footer; all of it is not the author's
            for rest in lines[i:]:
                push("footer" if _FOOTER.match(rest) else "signature", 0, rest)
            break
        if _FOOTER.match(line):
            for rest in lines[i:]:
                push("footer", 0, rest)
            break
        if _outlook_block(lines, i):
            for rest in lines[i:]:
                push("original", 0, rest)
            break
        span = 1 if _ORIGINAL.match(line.strip()) else _is_attribution(lines, i) or _header_attribution(lines, i)
        if span:
            for k in range(span):
                push("attribution", 0, lines[i + k])
            i += span
            continue
        push("own", 0, line)
        i += 1
    if run:
        segments.append(Segment(kind, depth, tuple(run)))
    return Reply(tuple(segments))


def own_text(body: str) -> str:
    """Shortcut: the author's own words of a reply body."""
    return split_reply(body).own
