"""A patch mail body taken apart: message, trailers, notes, diffstat, diff.

Follows what ``git am`` does with a ``git format-patch`` mail: the commit
message ends at the first ``---`` line (or where the diff starts), its last
paragraph is the trailer block when every line in it is a trailer, and
what sits between ``---`` and the diff is for reviewers only (changelog
notes, the diffstat).  Also found here: ``git request-pull`` URLs, and the
b4 metadata (change-id, base-commit, prerequisites) that lets a later stage
tie versions of a series together and know what they apply to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .diff import Diff, find_diff

# Values end at their last non-space character: a lazy "(\S.*?)\s*$" costs
# quadratic time on a long run of inner spaces.
_TRAILER = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]{0,60}):[ \t]+(\S(?:.*\S)?)\s*$")
_NOT_PEOPLE = {"Fixes", "Link", "Closes", "BugLink", "Message-ID", "Change-Id", "base-commit"}
_KNOWN = {
    "signed-off-by": "Signed-off-by", "acked-by": "Acked-by", "reviewed-by": "Reviewed-by",
    "tested-by": "Tested-by", "reported-by": "Reported-by", "suggested-by": "Suggested-by",
    "co-developed-by": "Co-developed-by", "nacked-by": "Nacked-by", "naked-by": "Nacked-by",
    "fixes": "Fixes", "closes": "Closes", "link": "Link", "cc": "Cc", "cc-stable": "Cc-stable",
    "buglink": "BugLink", "message-id": "Message-ID", "change-id": "Change-Id",
    "depends-on": "Depends-on", "supersedes": "Supersedes", "base-commit": "base-commit",
}
_NAME_ADDR = re.compile(r"((?:.*?\S)?)\s*<([^<>\s@]+@[^<>\s]+)>")  # not "(.*?)\s*<": quadratic
_BARE_ADDR = re.compile(r"([^\s<>()/:@\"]+@[^\s<>()/:\"]+[A-Za-z0-9])")
_STAT = re.compile(r" +\S.*\|\s+(?:\d+ ?[+-]*|Bin(?: \d+ -> \d+ bytes)?)\s*$")
_STAT_SUMMARY = re.compile(r" +\d+ files? changed")
_STAT_MODE = re.compile(r" +(?:create mode|delete mode|mode change|rename|copy) ")
_META_KEYS = ("change-id", "base-commit", "prerequisite-patch-id", "prerequisite-change-id",
              "prerequisite-message-id", "depends-on", "supersedes")
_META = re.compile(r"^(%s)[ \t]*:[ \t]*(\S(?:[^\n]*[^ \t\r\n])?)[ \t\r]*$" % "|".join(_META_KEYS), re.M | re.I)
_GERRIT_ID = re.compile(r"I[0-9a-f]{40}")
_PULL_AT = re.compile(r"are available in the git repository at:?[ \t]*$", re.M | re.I)
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://\S+|[\w.-]+@[\w.-]+:\S+)$", re.I)
_MAIL_HEADER = re.compile(r"(?:From [0-9a-f]{40} |From: |Subject: |Date: )")


@dataclass(frozen=True, slots=True)
class Trailer:
    """One ``Key: value`` line of a trailer block, continuation lines joined."""

    key: str
    value: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class PullRequest:
    """Where a ``git request-pull`` mail asks the maintainer to pull from."""

    url: str
    branch: str


@dataclass(frozen=True, slots=True)
class PatchBody:
    """The parts of one patch mail body (see the module docstring)."""

    message: str
    trailers: tuple[Trailer, ...]
    notes: str
    diffstat: str
    diff: Diff | None
    pull: PullRequest | None
    meta: dict[str, tuple[str, ...]]


def canonical_key(key: str) -> str:
    """``SIGNED-OFF-BY`` and ``signed-off-by`` are one trailer: ``Signed-off-by``."""
    low = key.lower()
    return _KNOWN.get(low) or low[:1].upper() + low[1:]


def _person(value: str) -> tuple[str, str]:
    m = _NAME_ADDR.match(value)
    if m:
        return m[1].strip().strip('"').strip(), m[2].lower()
    m = _BARE_ADDR.match(value)
    return ("", m[1].lower()) if m else ("", "")


def _is_trailer_key(key: str) -> bool:
    return key.lower() in _KNOWN or key.lower().endswith("-by")


def parse_trailers(text: str) -> list[Trailer]:
    """Every ``Key-Name: value`` line of ``text``, in order.

    An indented line continues the trailer above it (joined with a space);
    ``[name: note]`` lines, as maintainers add between trailers, are skipped.
    """
    pairs: list[list[str]] = []
    follows = False  # the line above was a trailer (or its continuation)
    for line in text.splitlines():
        if follows and line[:1] in (" ", "\t") and line.strip():
            pairs[-1][1] += " " + line.strip()
            continue
        m = _TRAILER.match(line)
        follows = bool(m)
        if m:
            pairs.append([canonical_key(m[1]), m[2]])
    return [Trailer(key, value, *(("", "") if key in _NOT_PEOPLE else _person(value)))
            for key, value in pairs]


def _trailer_split(message: str) -> tuple[str, list[Trailer]]:
    """Cut the trailer block off a message, by git's rule.

    The block is the last paragraph.  It counts when every line is a
    trailer (or a continuation, a ``[name: note]`` line, a cherry-pick
    note), or, as ``git interpret-trailers`` allows, when at least a
    quarter of its lines are trailers and one is a ``Signed-off-by`` (so a
    stray "Fixes #703" line does not hide the Acked-by under it).
    """
    lines = message.strip().splitlines()
    start = len(lines)
    while start > 0 and lines[start - 1].strip():
        start -= 1
    block = lines[start:]
    known = signed = False
    trailers = others = 0
    for k, line in enumerate(block):
        m = _TRAILER.match(line)
        if m:
            trailers += 1
            known = known or _is_trailer_key(m[1])
            signed = signed or m[1].lower() == "signed-off-by"
        elif not (line[:1] in (" ", "\t") and k > 0) and not (line.startswith("[") and line.rstrip().endswith("]")) \
                and not line.startswith("(cherry picked from commit"):
            others += 1
    if not known or (others and not (signed and trailers * 3 >= others)):
        return message.strip(), []
    start = _split_block_start(lines, start)
    block = [line for line in lines[start:] if line.strip()]
    return "\n".join(lines[:start]).strip(), parse_trailers("\n".join(block))


def _person_trailer(line: str) -> bool:
    m = _TRAILER.match(line)
    return bool(m and m[1].lower().endswith("-by") and "@" in m[2])


def _split_block_start(lines: list[str], start: int) -> int:
    """Where the trailer block starts when a blank line splits it.

    Authors paste collected trailers as their own paragraph above the
    ``Signed-off-by`` ("Reviewed-by: A" / blank / "Signed-off-by: B"), or
    at the end of the last prose paragraph.  git reads only the last
    paragraph; b4 reads the trailers anywhere.  Taken here: the run of
    person trailers (``*-by:`` with an address) that ends each paragraph
    right above the block, paragraph after paragraph while a whole one is
    trailers.
    """
    while start > 0:
        end = start - 1  # the blank line above the block
        while end > 0 and not lines[end - 1].strip():
            end -= 1
        top = end
        while top > 0 and _person_trailer(lines[top - 1]):
            top -= 1
        if top == end:
            return start
        start = top
        if top > 0 and lines[top - 1].strip():
            return start  # prose above the trailers: the message ends there
    return start


def _separator(lines: list[str]) -> int:
    """Index of the first ``---`` line (trailing blanks allowed), or -1."""
    for i, line in enumerate(lines):
        if line.startswith("---") and not line[3:].strip():
            return i
    return -1


def _diffstat(lines: list[str]) -> tuple[int, int]:
    """(start, end) of the first diffstat block ending in its summary, or (-1, -1)."""
    i = 0
    while i < len(lines):
        if _STAT.match(lines[i]):
            j = i
            while j < len(lines) and _STAT.match(lines[j]):
                j += 1
            if j < len(lines) and _STAT_SUMMARY.match(lines[j]):
                j += 1
                while j < len(lines) and _STAT_MODE.match(lines[j]):
                    j += 1
                return i, j
            i = j
        else:
            i += 1
    return -1, -1


def find_pull(text: str) -> PullRequest | None:
    """The URL and branch of a ``git request-pull`` message, if it is one."""
    m = _PULL_AT.search(text)
    if not m:
        return None
    lines = text[m.end():].splitlines()[1:12]
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        words = line.split()
        if not _URL.match(words[0]):
            return None
        branch = words[1] if len(words) > 1 else ""
        nxt = lines[k + 1].split() if k + 1 < len(lines) else []
        if not branch and len(nxt) == 1 and "://" not in nxt[0] and not nxt[0].endswith(":"):
            branch = nxt[0]  # URL and branch wrapped onto two lines
        return PullRequest(words[0], branch)
    return None


def find_meta(text: str) -> dict[str, tuple[str, ...]]:
    """b4/series metadata lines anywhere in ``text``: lower-case key -> values."""
    found: dict[str, list[str]] = {}
    for m in _META.finditer(text):
        if _GERRIT_ID.fullmatch(m[2]):
            continue  # Gerrit's per-patch Change-Id is not b4's per-series change-id
        values = found.setdefault(m[1].lower(), [])
        if m[2] not in values:
            values.append(m[2])
    return {key: tuple(values) for key, values in found.items()}


def _strip_mail_headers(text: str) -> str | None:
    """The body of a ``git format-patch`` file, or None when it is a bare diff."""
    if not _MAIL_HEADER.match(text):
        return None
    end = re.search(r"\r?\n\r?\n", text)
    return text[end.end():] if end else ""


def _split(text: str, diff: Diff | None) -> tuple[str, list[Trailer], str, str]:
    """(message, trailers, notes, diffstat) of the text before the diff."""
    pre = text[:diff.start] if diff else text
    lines = pre.splitlines()
    if "-- " in lines:  # the signature: git's version line, a reviewer's name
        del lines[len(lines) - 1 - lines[::-1].index("-- "):]
    sep = _separator(lines)
    head, tail = (lines[:sep], lines[sep + 1:]) if sep != -1 else (lines, [])
    a, b = _diffstat(tail)
    if a == -1:  # cover letters, mails without '---': a diffstat ending the message
        a, b = _diffstat(head)
        if a != -1 and not "".join(head[b:]).strip():
            head, tail, a, b = head[:a], head[a:] + tail, 0, b - a
        else:
            a = b = -1
    stat = "\n".join(tail[a:b]) if a != -1 else ""
    notes = "\n".join(tail[:a] + tail[b:]) if a != -1 else "\n".join(tail)
    message, trailers = _trailer_split("\n".join(head))
    return message, trailers, notes.strip(), stat


def split_patch(body: str, attachments: tuple = ()) -> PatchBody:
    """Take a patch mail body apart; see PatchBody.

    When the body holds no diff, the first attachment that does is used; a
    full ``git format-patch`` file attached supplies its own commit message
    and trailers, and the mail's own words become notes.
    """
    diff = find_diff(body)
    source, extra = body, ""
    if diff is None:
        for att in attachments:
            text = getattr(att, "text", "") or ""
            diff = find_diff(text)
            if diff is None:
                continue
            inner = _strip_mail_headers(text)
            inner_diff = find_diff(inner) if inner is not None else None
            if inner_diff is not None:
                source, extra, diff = inner, body.strip(), inner_diff
                break
            message, trailers, notes, stat = _split(body, None)
            stat = stat or _split(text, diff)[3]
            return PatchBody(message, tuple(trailers), notes, stat, diff,
                             find_pull(body), find_meta(body + "\n" + text))
    message, trailers, notes, stat = _split(source, diff)
    if extra:
        notes = (extra + "\n\n" + notes).strip()
    meta_text = body if source is body else body + "\n" + source
    return PatchBody(message, tuple(trailers), notes, stat, diff, find_pull(meta_text), find_meta(meta_text))
