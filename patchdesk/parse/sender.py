"""Who really sent a message that a list re-sent under its own address.

Lists whose members' domains publish a strict DMARC policy cannot pass the
poster's From on: Mailman (the LTP list, for one) rewrites it to
``Jan Doe via ltp <ltp@lists.linux.it>`` and moves the poster to
Reply-To (or to Cc when replies go to the list).  Read as it stands, every
such post is the list's: on LTP one "sender" held 3,969 of 34,118
messages, shown as the submitter of other people's series, offered to
lineage as one person's history, and re-assembled whole on every new post.

The poster is taken back only when the rewrite is recognisable: the
display name ends in `` via <word>`` and Reply-To or Cc names an address
other than From's, preferably one whose display name is the name before
`` via``.  Anything else keeps the header's sender (a ticket system's
``" via RT" <rt@...>`` with Reply-To the same address, say).
"""

from __future__ import annotations

import re
from email.utils import getaddresses

#: "Jan Doe via ltp", "'Jan Doe' via groupname" (Google Groups quotes the name)
_MUNGED = re.compile(r"^\s*['\"]?(?P<name>.*?)['\"]?\s+via\s+\S+\s*$", re.IGNORECASE)
#: a header longer than this is not a list's rewrite; it is not read
_MAX_HEADER = 4096


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        if len(value) > _MAX_HEADER:
            continue
        try:
            found = getaddresses([value])
        except (RecursionError, ValueError, IndexError):  # hostile nesting in the stdlib parser
            continue
        out.extend((name.strip().strip("'\""), addr.strip().lower()) for name, addr in found
                   if "@" in addr and " " not in addr.strip())
    return out


def original_sender(name: str, addr: str, reply_to: list[str], cc: list[str]) -> tuple[str, str] | None:
    """(display name, address) of the poster behind a list-rewritten From,
    or None when From is not such a rewrite or the poster is not named."""
    munged = _MUNGED.match(name) if " via " in name.lower() else None
    if munged is None or not munged.group("name").strip():
        return None
    poster = munged.group("name").strip()
    replies = [(n, a) for n, a in _addresses(reply_to) if a != addr]
    copies = [(n, a) for n, a in _addresses(cc) if a != addr]
    for found_name, found_addr in replies + copies:
        if found_name.casefold() == poster.casefold():
            return found_name, found_addr
    if len(replies) == 1:  # Mailman's own shape: the poster alone in Reply-To, perhaps without a name
        return replies[0][0] or poster, replies[0][1]
    return None
