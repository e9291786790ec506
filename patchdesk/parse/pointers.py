"""Message-IDs named in a patch's prose, and what each link is for.

A cover letter links to many mails: its own earlier version ("Changes in
v2", "Link to v1:", "previous version"), but also series it depends on
("Depends on", "based on top of", b4's ``prerequisite-message-id:``), a
related discussion, a footnote citing a reviewer.  Only the first kind is
evidence that two series are versions of one another; on real lists about
a quarter of the wrong version links came from taking the others as such.

A link counts as a version pointer only when the words around it say so:
the line that holds it, the heading line above a bare URL, or, for a
footnote (``[1] https://...``), the sentences that cite ``[1]``.  A
dependency word in that text wins over a version word ("depends on v3 of
[1]" is a dependency).
"""

from __future__ import annotations

import re

_MSGID_IN_TEXT = re.compile(r"(?:/r/|/|<|id=)([A-Za-z0-9._%+=$-]+@[A-Za-z0-9.-]+[A-Za-z0-9])")
_URL_OR_ID = re.compile(r"(?:https?://\S+|<[^<>\s]+@[^<>\s]+>)")
_FOOTNOTE = re.compile(r"^\s*\[(\d{1,2})\]")
_VERSION = re.compile(
    r"(?i)(?:\bv\d+(?:\.\d+)?\b|\bversions?\b|\bprevious(?:ly)?\b|\bearlier\b|\bprior\b|"
    r"\blast (?:series|patch|posting|submission|round|iteration|revision|spin)|"
    r"\bresend|\bre-?sent\b|\bre-?post|\bchanges?\s+(?:in|since|from)\s+(?:v\d|rfc|the\s+(?:previous|last|earlier)|"
    r"previous|last|earlier)|\bchangelog|\bsupersed|\brespin|"
    r"\bre-?roll|"
    r"\biteration\b|\brevision\b|\bpick(?:s|ed|ing)? up\b|\btak(?:e|ing) over\b|\bcontinu|"
    r"\boriginal(?:ly)?\b|\bold(?:er)? (?:series|patch|version|posting))")
_DEPENDENCY = re.compile(
    r"(?i)(?:depend|\bbased (?:on|upon)\b|\bon top of\b|\bprerequisit|\brequire|\bneeds?\b|"
    r"\bappl(?:y|ies|ied) (?:on|after|before)\b|\brelated\b|\bseparate (?:series|patch)|"
    r"\bsee also\b|\bdiscuss|\bsuggest|\breport|\bas per\b|\bfollow[- ]?up\b|\bprecede|"
    r"\badditional patch|\bincremental|\bpartially applied|\balready applied|\bon its own\b|"
    r"\bmerged?\b|\bconflict|\bcompanion\b|\bsibling\b|\bdriver series\b|\bbindings? series\b)")
_META_DEPENDENCY = re.compile(r"(?i)^\s*(?:prerequisite-[a-z-]+|depends-on|base-commit)\s*:")
#: How many Message-IDs one mail may contribute (a hostile mail names thousands).
LIMIT = 20


def _msgids(line: str, own: str) -> list[str]:
    out = []
    for match in _MSGID_IN_TEXT.finditer(line):
        msgid = match.group(1).replace("%40", "@")
        if msgid != own and "." in msgid.split("@", 1)[1]:
            out.append(msgid)
    return out


def _prose(line: str) -> str:
    """The words of a line, its URLs and Message-IDs left out (a URL such as
    ``.../20250101-foo-v2-0-...`` must not read as "v2")."""
    return _URL_OR_ID.sub(" ", line)


def _citing(lines: list[str], number: str) -> str:
    """Every line that cites footnote ``[number]`` in running text."""
    mark = f"[{number}]"
    return " ".join(line for line in lines if mark in line and not _FOOTNOTE.match(line))


def _heading(lines: list[str], index: int) -> str:
    """The nearest non-blank line above (a bare URL's label: "Link to v1:")."""
    for back in range(index - 1, max(-1, index - 3), -1):
        if lines[back].strip():
            return lines[back]
    return ""


def classify(lines: list[str], index: int) -> str:
    """``"version"`` or ``"other"`` for the link(s) on ``lines[index]``."""
    line = lines[index]
    if _META_DEPENDENCY.match(line):
        return "other"
    context = _prose(line)
    footnote = _FOOTNOTE.match(line)
    if footnote:
        context += " " + _prose(_citing(lines, footnote.group(1)))
    if not re.search(r"[A-Za-z]{3}", _prose(line).replace(footnote.group(0) if footnote else "", "")):
        context += " " + _prose(_heading(lines, index))  # a bare URL: its label above
    if _DEPENDENCY.search(context):
        return "other"
    return "version" if _VERSION.search(context) else "other"


def version_pointers(text: str, own: str) -> tuple[str, ...]:
    """Message-IDs that ``text`` names as an earlier version of this mail."""
    if "@" not in text:
        return ()
    lines = text.split("\n")
    found: list[str] = []
    for index, line in enumerate(lines):
        if "@" not in line:
            continue
        ids = _msgids(line, own)
        if ids and classify(lines, index) == "version":
            found.extend(m for m in ids if m not in found)
        if len(found) >= LIMIT:
            return tuple(found[:LIMIT])
    return tuple(found)
