"""Two messages claiming one Message-ID: each keeps its own identity.

A Message-ID is a claim made by the sender, not an identity: anybody can
send a mail with Good Dev's ``<legit-1@example.com>`` and a hostile diff.
If later stages looked content up by the claimed id, whichever copy was
stored first would stand for both (Eve's diff in Good Dev's ``am``, Good
Dev's patch moved into Eve's series).  So the first message stored under
a Message-ID keeps it; every later, different message claiming it is
stored under ``<claimed>~<12 hex of its raw hash>``: threads, series,
reviews and ``am`` then see two messages, and both carry the
``msgid_conflict`` flag so the pages, ``show`` and ``am`` say so.  The
rule depends only on storage order, so ``rebuild`` (which re-reads in
that order) arrives at the same names.
"""

from __future__ import annotations

from ..model import claimant_id


def rename_claimants(rows: list[dict], taken: set[str]) -> set[str]:
    """Give each row whose ``msgid`` is in ``taken`` (or repeats within
    ``rows``) its claimant name, in order; return the claimed ids that
    clash.  ``taken`` grows with the rows' final names."""
    clashing: set[str] = set()
    for row in rows:
        claimed = row["msgid"]
        if claimed in taken:
            row["msgid"] = claimant_id(claimed, row["raw_hash"])
            row["msgid_conflict"] = True
            clashing.add(claimed)
        taken.add(row["msgid"])
    return clashing
