"""Settling review: load what the dirty threads' series need, judge, save.

Ingest, series refreshes and tree scans put the thread roots they touched
in the ``dirty_roots`` outbox.  ``refresh_review`` takes them a chunk per
transaction, finds the series in those threads and every later version of
them (which carry trailers forward), loads their facts (``store.review``),
judges them with the pure ``judge.review`` and saves the reviews, events
and states.
"""

from __future__ import annotations

import random
import time
from datetime import datetime

from sqlalchemy import Connection, Engine

from ..judge.review import (ReviewWork, SeriesRef, earliest_successors, next_version_of, older_of, review_series,
                            stored_prior)
from ..review.roles import RoleBook
from ..review.scope import ThreadReplies
from ..review.states import Override
from ..store import review as store
from ..store.messages import chunks
from ..store.retry import claim, transaction
from ..store.schema import DirtyRoot
from ..store.trees import applied_rows


def role_book(conn: Connection) -> RoleBook:
    return RoleBook.from_texts(store.maintainers_texts(conn))


def _successors(conn: Connection, msgids: list[str]) -> dict[str, tuple[str, datetime]]:
    """older patch -> (its earliest successor, that one's date)."""
    links = store.links_from_older(conn, msgids)
    return earliest_successors(links, store.message_dates(conn, {n for _, n, _ in links}))


def gather(conn: Connection, series_rows: list, book: RoleBook) -> ReviewWork:
    """Everything ``judge.review`` needs for these series, from the store."""
    ids = [s.id for s in series_rows]
    patches = store.patches_of(conn, ids)
    msgids = [p.msgid for s in series_rows for p in patches.get(s.id, [])]
    covers = {s.cover_msgid for s in series_rows if s.cover_msgid}
    thread = ThreadReplies(*store.thread_around(conn, set(msgids) | covers))
    older = older_of(store.links_from_newer(conn, msgids))
    olds = set(older.values())
    reviews = store.stored_reviews(conn, olds)
    records = store.records_by_msgid(conn, olds | covers)  # the earlier patches and the cover letters
    priors = {m: stored_prior(records[m], *reviews.get(m, ([], []))) for m in olds if m in records}
    overrides = {m: Override(*row) for m, row in store.overrides_of(conn, set(msgids) | covers).items()}
    following = next_version_of(
        [(s.id, s.lineage_state, (s.version_major, s.version_minor), s.first_date,
          s.cover_msgid or next((p.msgid for p in patches.get(s.id, [])), "")) for s in series_rows],
        store.version_links(conn, ids))
    changelogs = {m: records[m].meta_values("changelog") for m in covers if m in records}
    return ReviewWork([SeriesRef(s.id, s.cover_msgid, s.lineage_state) for s in series_rows], patches, thread,
                      older_of=older, priors=priors, successor=_successors(conn, msgids), overrides=overrides,
                      applied=applied_rows(conn, msgids), book=book, next_version=following,
                      cover_changelogs=changelogs)


def update_review(conn: Connection, series_ids: set[int], book: RoleBook | None = None,
                  wait: bool = True) -> int | None:
    """Judge every patch of ``series_ids`` and their later versions.  With
    ``wait=False``, return None at once when another transaction is judging
    some of them (PostgreSQL; see ``store.review.take_turns``)."""
    series = store.series_closure(conn, series_ids)
    if not series:
        return 0
    book = book or role_book(conn)
    if not store.take_turns(conn, [s.id for s in series], wait):
        return None
    work = gather(conn, series, book)
    outcome = review_series(work)
    msgids = [p.msgid for s in series for p in work.patches.get(s.id, [])]
    store.save_reviews(conn, msgids, outcome.patches, outcome.series)
    return len(series)


def _judge(conn: Connection, roots: list[str], book: RoleBook, wait: bool) -> int | None:
    return update_review(conn, store.series_in_threads(conn, roots), book, wait=wait)


def refresh_review(engine: Engine, chunk: int = 200, roots: list[str] | None = None) -> int:
    """Review the series in every dirty thread (only ``roots``, a review
    job's share, when given), a chunk of roots per transaction.

    Roots are taken out of the outbox in the transaction that judges them,
    so several processes can share it: the roots in sender order (each
    still dirty is taken; one another process took is skipped), then,
    without ``roots``, whatever was marked meanwhile, claimed
    (``store.retry.claim``).  A claimed chunk whose series another
    transaction is judging is handed back and others are taken
    (``store.review.take_turns``)."""
    share = roots is not None
    with engine.connect() as conn:
        book = role_book(conn)
        if roots is None:
            roots = [root for _, root in store.dirty_by_sender(conn)]

    def planned(conn, part: list[str]) -> int:
        taken = store.take_roots(conn, part)
        return _judge(conn, taken, book, wait=True) if taken else 0

    def claimed(conn) -> int | None:
        taken = claim(conn, DirtyRoot.root, chunk, shuffled=busy)
        if not taken:
            return None
        judged = _judge(conn, taken, book, wait=False)
        if judged is None:  # being judged elsewhere: give these back, take others
            store.give_back_roots(conn, taken)
            return -1
        return judged

    total, busy = 0, False
    for part in chunks(roots, chunk):
        total += transaction(engine, lambda conn, part=part: planned(conn, part))
    while not share and (done := transaction(engine, claimed)) is not None:
        busy = done < 0
        if busy:
            time.sleep(random.uniform(0.02, 0.1))
        else:
            total += done
    return total


def review_everything(engine: Engine) -> int:
    """Queue every series' thread and judge them all (after a MAINTAINERS
    change, or a rebuild)."""
    with engine.begin() as conn:
        store.mark_every_series(conn)
    return refresh_review(engine)


def set_override(conn: Connection, msgid: str, state: str, by: str, why: str) -> int | None:
    """Record a manual state for a patch or (by its cover or any patch msgid)
    a series and judge it again; return the series id, None if ``msgid`` is
    unknown."""
    series_id = store.add_override(conn, msgid, state, by, why)
    if series_id is not None:
        update_review(conn, {series_id})
    return series_id


def clear_override(conn: Connection, msgid: str) -> int:
    """Remove the manual states of ``msgid``; evidence decides again."""
    removed, series_id = store.remove_overrides(conn, msgid)
    if series_id is not None:
        update_review(conn, {series_id})
    return removed
