"""Who really sent a message that a list re-sent under its own address.

Lists whose members' domains publish a strict DMARC policy cannot pass the
poster's From on: Mailman (the LTP list, for one) rewrites it to
``Jan Doe via ltp <ltp@lists.linux.it>`` and moves the poster to
Reply-To (or to Cc when replies go to the list).  Read as it stands, every
such post is the list's: on LTP one "sender" held 3,969 of 34,118
messages, shown as the submitter of other people's series, offered to
lineage as one person's history, and re-assembled whole on every new post.

kernel.org's B4 Relay, which sends patches for people whose own mail
server cannot, does the same: ``Jan Doe via B4 Relay
<devnull+jan.doe.example@kernel.org>``, with the poster in
``X-Original-From`` and Reply-To (925 messages on linux-gpio).  A relayed
patch posted to LTP is rewritten twice: ``Jan Doe via B4 Relay via ltp``.

The poster is taken back only when the rewrite is recognisable: the
display name ends in `` via <word>`` or `` via B4 Relay`` (or the relay's
earlier name, ``B4 Submission Endpoint``; as often as it was rewritten),
and X-Original-From, Reply-To or Cc names an address other than From's:
X-Original-From's one poster first, then one whose display name is the
name before `` via``, then Reply-To's only address.  Anything else keeps
the header's sender: a ticket system's ``" via RT" <rt@...>`` with
Reply-To the same address, or kernel.org's ``Jan Doe via Bugspray Bot
<bugbot@kernel.org>``, which names nobody's address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import getaddresses

#: the end of a rewritten display name: "... via ltp", "... via B4 Relay"
_VIA = re.compile(r"\s+via\s+(?:b4\s+relay|b4\s+submission\s+endpoint|\S+)\s*$", re.IGNORECASE)
#: a header longer than this is not a list's rewrite; it is not read
_MAX_HEADER = 4096


def _addresses(values: Iterable[str]) -> list[tuple[str, str]]:
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


def poster_name(name: str) -> str | None:
    """"Jan Doe" of "Jan Doe via ltp", "'Jan Doe' via groupname" (Google
    Groups quotes the name) and "Jan Doe via B4 Relay via ltp"; None when
    the name is not a rewrite."""
    poster, rewritten = name, False
    while (via := _VIA.search(poster)) is not None:
        poster, rewritten = poster[:via.start()].strip().strip("'\"").strip(), True
    return poster if rewritten and poster else None


def original_sender(name: str, addr: str, reply_to: list[str], cc: list[str],
                    original_from: Iterable[str] = ()) -> tuple[str, str] | None:
    """(display name, address) of the poster behind a list-rewritten From,
    or None when From is not such a rewrite or the poster is not named."""
    poster = poster_name(name) if " via " in name.lower() else None
    if poster is None:
        return None
    originals = [(n, a) for n, a in _addresses(original_from) if a != addr]
    if len(originals) == 1:  # B4 Relay, Google Groups: the header says who
        return originals[0][0] or poster, originals[0][1]
    replies = [(n, a) for n, a in _addresses(reply_to) if a != addr]
    copies = [(n, a) for n, a in _addresses(cc) if a != addr]
    for found_name, found_addr in replies + copies:
        if found_name.casefold() == poster.casefold():
            return found_name, found_addr
    if len(replies) == 1:  # Mailman's own shape: the poster alone in Reply-To, perhaps without a name
        return replies[0][0] or poster, replies[0][1]
    return None
