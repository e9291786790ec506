"""Trailers a replier gives in their own text, and how they attach to patches.

Patchwork and b4 accept a trailer only where it starts a line of the whole
body, so a quoted ``> Reviewed-by:`` of somebody else counts as given
again.  Here only the replier's own lines (``quotes.split_reply``) are read.
A reply to the cover letter gives its trailers to every patch, and so does a
reply to one patch that says "for the (whole) series".

A person trailer naming somebody other than the sender (a maintainer
relaying a colleague's ack, or a copy-paste slip) is kept, with the flag
``other-person``: the maintainer decides whether it counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..parse.patch import Trailer, canonical_key, parse_trailers

#: The trailers collected from replies; Signed-off-by in a reply is noise.
REPLY_KEYS = ("Acked-by", "Reviewed-by", "Tested-by", "Reported-by", "Suggested-by",
              "Co-developed-by", "Nacked-by", "Fixes", "Closes", "Link", "Cc")
#: Trailers that name who vouches for the patch.
PERSON_KEYS = ("Acked-by", "Reviewed-by", "Tested-by", "Reported-by", "Suggested-by",
               "Co-developed-by", "Nacked-by", "Signed-off-by")
#: The usual order in a commit (b4 / kernel practice) when trailers are added.
ORDER = ("Fixes", "Reported-by", "Closes", "Suggested-by", "Co-developed-by", "Signed-off-by",
         "Acked-by", "Reviewed-by", "Tested-by", "Nacked-by", "Link", "Cc")
# the value ends at its last non-space character (a lazy ".{0,300}?\s*$" rescans long space runs)
_LINE = re.compile(r"^\s{0,4}([A-Za-z][A-Za-z-]{1,30})\s*:\s*(\S(?:.{0,299}\S)?)\s*$")
_SERIES_WIDE = re.compile(r"\bfor (?:the (?:whole |entire |full )?(?:series|set|patch ?set)"
                          r"|all (?:the )?patches|(?:the )?whole (?:series|set))\b", re.I)


@dataclass(frozen=True, slots=True)
class Given:
    """One trailer given in a reply."""

    trailer: Trailer
    #: applies to every patch of the series ("For the series:")
    series_wide: bool
    flags: tuple[str, ...] = ()


def reply_trailers(own: str, sender: str) -> list[Given]:
    """Trailers in the replier's own text, in order, each once."""
    lines = own.split("\n")
    wide = bool(_SERIES_WIDE.search(own))
    found: list[Given] = []
    seen = set()
    for i, line in enumerate(lines):
        m = _LINE.match(line)
        if not m:
            continue
        key = canonical_key(m.group(1))
        if key not in REPLY_KEYS:
            continue
        text = f"{key}: {m.group(2)}"
        # continuation lines (indented) belong to the value, as in git
        j = i + 1
        while j < len(lines) and lines[j][:1] in (" ", "\t") and lines[j].strip() and not _LINE.match(lines[j]):
            text += " " + lines[j].strip()
            j += 1
        parsed = parse_trailers(text)
        if not parsed:
            continue
        trailer = parsed[0]
        if trailer.key in PERSON_KEYS and not trailer.email:
            continue  # "Acked-by: me" is not a trailer anybody can use
        ident = (trailer.key, trailer.email.lower() or trailer.value)
        if ident in seen:
            continue
        seen.add(ident)
        flags: tuple[str, ...] = ()
        if trailer.key in PERSON_KEYS and trailer.email.lower() != sender.lower():
            flags = ("other-person",)
        found.append(Given(trailer, wide, flags))
    return found


def trailer_line(trailer: Trailer) -> str:
    return f"{trailer.key}: {trailer.value}"


def order_key(key: str) -> int:
    return ORDER.index(key) if key in ORDER else len(ORDER)
