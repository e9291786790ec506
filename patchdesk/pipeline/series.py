"""Settling series: load what the dirty senders sent, judge it, save it.

Ingest marks the senders of new submissions dirty; ``refresh_dirty``
takes them out of the outbox a chunk per transaction, loads all their
submissions (and those of every other address of the same person), runs
the pure ``judge.series`` stages and ``versions`` on them, and saves the
series, links and lineage states.  The messages whose review may differ
now are queued for review (``dirty_roots``); ``placed`` lets a caller
match patches that just got a series against the trees in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine

from ..judge.series import changed_messages, drafts_of, handed_over, infos_of, placement
from ..store import series as store
from ..store.retry import claim, transaction
from ..store.schema import DirtySender
from ..store.threads import mark_roots
from ..versions.identity import name_key
from ..versions.lineage import link_series
from ..versions.succession import lineage_states

#: How far a person's addresses are followed (a name, its addresses, their names...).
IDENTITY_ROUNDS = 3
#: A path touched by more submissions than this (MAINTAINERS, Makefile)
#: says nothing about two series doing the same work.
COMMON_PATH = 50
#: At most this many other senders' series are compared for related work.
MAX_NEIGHBOURS = 300

#: called with the patches a refresh placed in a series for the first time,
#: in the same transaction (git trees match them: see ``pipeline.applied.matcher``)
Placed = Callable[[Connection, set[str]], None]


def _with_other_addresses(conn: Connection, senders: set[str], records: list):
    """Add the submissions of every other address of the same person as
    ``senders``: posting under the same full display name, tied to one by a
    registered tree's ``.mailmap``, or credited as the first author of a
    series handed over (``versions.identity``): a person's series are
    linked together, whichever address sent them.  Also returns the
    ``.mailmap`` pairs found, for ``identity.people``."""
    fresh = records
    aliases: set[tuple[str, str]] = set()
    for _ in range(IDENTITY_ROUNDS):
        pairs = {(rec.from_addr, key) for rec in fresh if (key := name_key(rec.from_name))}
        store.save_names(conn, pairs)
        others = store.senders_named(conn, {k for _, k in pairs})
        mapped = store.aliases_of(conn, {rec.from_addr for rec in fresh})
        aliases |= mapped
        others |= {a for pair in mapped for a in pair}
        others |= handed_over(fresh)
        others -= senders
        if not others:
            break
        senders = senders | others
        # recomputed here: taken out of the outbox first, as claim() takes its own (a
        # person with many addresses is then done once per refresh, not once per chunk)
        store.take_dirty(conn, others)
        fresh = store.load_submissions(conn, others)
        records = records + fresh
    return senders, records, aliases


def update_series(conn: Connection, senders: set[str], placed: Placed | None = None) -> int:
    """Re-assemble and re-link everything of ``senders``; return series count."""
    senders = {s for s in senders if s}
    if not senders:
        return 0
    senders, records, aliases = _with_other_addresses(conn, senders, store.load_submissions(conn, senders))
    drafts, by_msgid = drafts_of(records)
    old_series, old_patches = store.old_links(conn, store.series_of(conn, senders), set(by_msgid))
    ids = store.write_series(conn, senders, drafts, by_msgid)
    infos = infos_of(drafts, ids, by_msgid, aliases)
    neighbours = store.neighbours(conn, infos, COMMON_PATH, MAX_NEIGHBOURS)
    lineage = link_series(infos, neighbours=neighbours)
    store.write_links(conn, lineage, set(by_msgid))
    series_states, patch_states = lineage_states(infos, lineage)
    store.write_lineage_states(conn, series_states, patch_states)
    mark_roots(conn, changed_messages(by_msgid, placement(drafts, ids), patch_states, infos + neighbours,
                                      lineage, old_series, old_patches))
    if placed is not None:
        placed(conn, {m.msgid for d in drafts for _, m in d.patches if by_msgid[m.msgid].series_id is None})
    return len(drafts)


def refresh_dirty(engine: Engine, chunk: int = 50, placed: Placed | None = None) -> int:
    """Recompute series for every dirty sender, a chunk per transaction.

    Each chunk is claimed out of the outbox in its own transaction, so
    several processes (series jobs, a live ingest) can empty it together,
    and a sender marked again meanwhile stays marked (``retry.claim``)."""
    def one(conn) -> int | None:
        senders = set(claim(conn, DirtySender.sender, chunk))
        return update_series(conn, senders, placed) if senders else None

    total = 0
    while (done := transaction(engine, one)) is not None:
        total += done
    return total
