"""The changelog of a new version: what the author says changed since the last.

A cover letter or a patch's notes (below ``---``) often carry a section such as
"Changes since v1:" / "Changes in v2:" / "v1 -> v2:" with one line per change,
naming the patch and the reviewer who asked ("3/3: the timeout is in
milliseconds, not seconds (Maria)").  Review continuity reads these lines
as the author's own account of which objections were answered.
"""

from __future__ import annotations

import re

_HEAD = re.compile(r"^\s*(?:changes?(?:log)?\b[^\n]{0,40}|v\d+(?:\.\d+)?\s*(?:->|→|\.\.)\s*v\d+(?:\.\d+)?|"
                   r"(?:since|from)\s+v\d+(?:\.\d+)?)\s*:?\s*$", re.I)
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|v\d+(?:\.\d+)?\s*:|\[?\d+/\d+\]?\s*:?)\s*\S")
#: At most this many lines are kept, each cut at ``WIDTH`` characters.
LINES, WIDTH = 60, 300


def changelog_lines(text: str) -> tuple[str, ...]:
    """The lines of every changelog section in ``text``, in order; a
    wrapped item's continuation is joined to it."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        if _HEAD.match(line):
            inside = True
            continue
        if not inside:
            continue
        if not line.strip():
            inside = False  # a blank line ends the section
            continue
        if _ITEM.match(line):
            out.append(" ".join(line.split())[:WIDTH])
        elif out and line[:1].isspace():
            out[-1] = (out[-1] + " " + " ".join(line.split()))[:WIDTH]
        else:
            inside = False
        if len(out) >= LINES:
            break
    return tuple(out)
