"""Ingest: sources -> parse -> store -> threads, one transaction per batch.

Every message that comes in ends up in exactly one of three places, so the
summary always balances (``read == stored + known + quarantined``):

* ``known``: its exact bytes (or, delivered with other headers, its
  content fingerprint) are already in the store;
* ``quarantined``: the parser could not read it; bytes and reason are kept;
* ``stored``: new.  A Message-ID that another stored message already uses
  with different content is kept too, and both are flagged as conflicts.

Known bytes are recognised by hash before any parsing, which makes
re-reading an archive cheap.  Parsing and compression of batch N+1 run in a
process pool while batch N is written.  A batch, the thread update it
causes and the source cursor are committed together: a run killed at any
moment leaves complete batches only, and the next run finishes the rest.

Several ingests may write one PostgreSQL store at once (``patchdesk
worker``): unique keys on the raw hash and the fingerprint decide which
writer stores a message, the other counts it as known, and a batch that
collides with another writer's is written again (``store.retry``).
``pump`` is the read-parse-write loop that this module's ``ingest`` and the
workers' slice jobs (``jobs.ingest``) share.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine

from ..model import RawMail
from ..parse import content_hash
from ..sources import discover, store_files
from ..store import messages as store
from ..store.series import insert_submissions, mark_dirty
from ..store.retry import transaction
from ..store.review import insert_notes
from .applied import matcher
from .review import refresh_review
from .series import refresh_dirty
from .threads import thread_input, update_threads
from ..store.threads import mark_roots
from .claims import rename_claimants
from .prepare import Prepared, Preparer, default_jobs

BATCH_MESSAGES = 2000
BATCH_BYTES = 32 * 1024 * 1024


@dataclass
class IngestSummary:
    read: int = 0
    stored: int = 0
    known: int = 0
    quarantined: int = 0
    #: of ``stored``: Message-ID already used by a different message.
    conflicts: int = 0
    #: messages a public-inbox archive marked deleted in this run.
    deleted: int = 0
    #: blobs a partial public-inbox mirror lacked (not readable, not "in").
    missing: int = 0
    skipped_files: list[str] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    #: what the run is doing now ("reading", then "series"), for progress
    stage: str = "reading"
    #: progress in the source being read: done of total units (bytes of an
    #: mbox, commits of a public-inbox archive, files of a Maildir)
    done: int = 0
    total: int = 0
    unit: str = ""
    source: str = ""

    @property
    def balanced(self) -> bool:
        return self.read == self.stored + self.known + self.quarantined

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def add(self, other: IngestSummary) -> None:
        """Count ``other`` (one committed batch, or one job) in."""
        for name in ("read", "stored", "known", "quarantined", "conflicts", "deleted", "missing"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons.update(other.reasons)
        self.skipped_files.extend(other.skipped_files)


@dataclass
class _Batch:
    """A batch read from a source, being prepared while the previous is written."""

    cursor: dict
    known: list[str]
    deleted: set[str]
    pending: object


def _write(conn: Connection, batch: _Batch, prepared: list[Prepared], source_id: int,
           list_id: int | None, summary: IngestSummary) -> None:
    """Write one prepared batch in ``conn``'s transaction, counting into
    ``summary`` (pass a fresh one per attempt when the transaction may be
    run again: see ``pump``).  Writers take turns from the first lookup on
    (``hold_claims``): what another writer stored meanwhile is known here,
    not taken for a rival claiming the same Message-ID."""
    store.hold_claims(conn)
    known = store.known_hashes(conn, [p.digest for p in prepared])
    listed = set(batch.known)
    summary.known += len(batch.known)
    fresh: list[Prepared] = []
    quarantine: dict[str, dict] = {}
    for item in prepared:
        if item.digest in known:
            summary.known += 1
            listed.add(item.digest)
            continue
        known.add(item.digest)
        if item.row is None:
            quarantine[item.digest] = {
                "raw_hash": item.digest, "raw": item.compressed, "size": item.size, "reason": item.reason,
                "source_id": source_id, "position": item.position, "created_at": store.now()}
        else:
            fresh.append(item)
    kept = store.insert_quarantine(conn, list(quarantine.values()))
    summary.known += len(quarantine) - len(kept)  # a concurrent writer quarantined them first
    summary.quarantined += len(kept)
    summary.reasons.update(quarantine[h]["reason"].split(":")[0] for h in kept)

    by_fingerprint = store.ids_by_fingerprint(conn, [p.row["fingerprint"] for p in fresh])
    rows, seen_fp, submissions, notes = [], set(), {}, {}
    stamp = store.now()
    for item in fresh:
        fingerprint = item.row["fingerprint"]
        if fingerprint in by_fingerprint or fingerprint in seen_fp:
            summary.known += 1  # the same post, delivered with other headers
            continue
        seen_fp.add(fingerprint)
        rows.append({**item.row, "source_id": source_id, "ingested_at": stamp})
        if item.submission is not None:
            submissions[item.digest] = dict(item.submission)
        if item.note is not None:
            notes[item.digest] = (item.row["msgid"], item.note)

    clashing = rename_claimants(rows, store.existing_msgids(conn, {row["msgid"] for row in rows}))
    named = {row["raw_hash"]: row["msgid"] for row in rows}
    for digest, sub in submissions.items():
        sub["msgid"] = named.get(digest, sub["msgid"])
    notes = {digest: (named.get(digest, msgid), note) for digest, (msgid, note) in notes.items()}
    ids = store.insert_messages(conn, rows)
    if len(ids) < len(rows):  # PostgreSQL: a concurrent writer stored these (or the same posts) first
        lost = [row for row in rows if row["raw_hash"] not in ids]
        summary.known += len(lost)
        by_fingerprint.update(store.ids_by_fingerprint(conn, [row["fingerprint"] for row in lost]))
        rows = [row for row in rows if row["raw_hash"] in ids]
    summary.stored += len(rows)
    insert_submissions(conn, [{**row, "message_id": ids[digest]} for digest, row in submissions.items()
                              if digest in ids])
    insert_notes(conn, [{"message_id": ids[digest], "msgid": msgid, "note": note}
                        for digest, (msgid, note) in notes.items() if digest in ids])
    summary.conflicts += sum(1 for row in rows if row["msgid"] in clashing or row.get("msgid_conflict"))
    store.flag_conflicts(conn, clashing)
    if batch.deleted:
        store.mark_deleted(conn, batch.deleted)
        summary.deleted += len(batch.deleted)
    if list_id is not None:
        listed_ids = list(store.ids_by_hash(conn, listed).values()) if listed else []
        store.add_to_list(conn, list(ids.values()) + listed_ids + list(by_fingerprint.values()), list_id)
    update_threads(conn, [thread_input(r["msgid"], r["refs"], r["date"]) for r in rows])
    mark_dirty(conn, {r["from_addr"] for r in rows if r["raw_hash"] in submissions})
    mark_roots(conn, [r["msgid"] for r in rows])


def _batches(mails: Iterable[RawMail]) -> Iterable[list[RawMail]]:
    batch: list[RawMail] = []
    size = 0
    for mail in mails:
        batch.append(mail)
        size += len(mail.data)
        if len(batch) >= BATCH_MESSAGES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _start(engine: Engine, preparer: Preparer, mails: list[RawMail], cursor: dict) -> _Batch:
    """Hash a batch, drop what the store knows, send the rest to the workers."""
    hashes = [content_hash(m.data) for m in mails]
    with engine.connect() as conn:
        known = store.known_hashes(conn, hashes)
    todo, seen, already = [], set(), []
    for mail, digest in zip(mails, hashes):
        if digest in known or digest in seen:
            already.append(digest)
        else:
            seen.add(digest)
            todo.append((mail, digest))
    deleted = {h for m, h in zip(mails, hashes) if m.deleted}
    return _Batch(dict(cursor), already, deleted, preparer.submit(todo))


#: writes one prepared batch in the open transaction, counting into the summary
Writer = Callable[[Connection, _Batch, list[Prepared], IngestSummary], None]


def pump(engine: Engine, preparer: Preparer, source, cursor: dict, write: Writer) -> Iterator[IngestSummary]:
    """Read ``source`` from ``cursor`` in batches, parsing batch N+1 while
    batch N is written; yield what each committed batch counted.

    ``write`` runs in one transaction per batch, again from the start (with
    a fresh summary) when it collided with a concurrent writer; whatever
    the caller commits with the batch (a cursor) goes in through it."""
    def commit(batch: _Batch) -> IngestSummary:
        prepared = batch.pending.result()

        def work(conn: Connection) -> IngestSummary:
            delta = IngestSummary(read=len(batch.known) + len(prepared))
            write(conn, batch, prepared, delta)
            return delta
        return transaction(engine, work)

    waiting: _Batch | None = None
    for mails in _batches(source.messages(cursor)):
        for mail in mails:
            cursor = source.advance(cursor, mail)
        batch = _start(engine, preparer, mails, cursor)
        if waiting is not None:
            yield commit(waiting)
        waiting = batch
    if waiting is not None:
        yield commit(waiting)


def own_files(engine: Engine) -> frozenset[Path]:
    """The store's own files when it is an SQLite file (never ingested)."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return frozenset()
    return store_files(Path(engine.url.database))


def ingest(engine: Engine, paths: list[Path], *, list_name: str | None = None,
           kind: str = "auto", jobs: int | None = None, reread: bool = False,
           progress: Callable[[IngestSummary], None] | None = None,
           settle: bool = True) -> IngestSummary:
    """Ingest every source found at ``paths``; return the balanced summary.

    ``reread`` ignores the sources' cursors and reads everything again
    (known mail is still recognised by hash and not stored twice).
    ``settle=False`` stores only, leaving series and review to the caller
    (the live desk, which settles for all its sources at once).
    """
    summary = IngestSummary()
    started = time.perf_counter()
    plans = []
    own = own_files(engine)
    # one archive, one source, however it is named: cursors are keyed by the canonical path
    paths = [path.resolve() if path.exists() else path for path in paths]
    for path in paths:
        plans.append((path, discover(path, kind, skipped := [], own)))
        summary.skipped_files.extend(str(p) for p in skipped)
    with engine.begin() as conn:
        list_id = store.ensure_list(conn, list_name) if list_name else None
        registered = [store.ensure_source(conn, "path", str(path.resolve())) for path, _ in plans]
    preparer = Preparer(jobs or default_jobs())
    try:
        for (_, sources), (source_id, cursors) in zip(plans, registered):
            for source in sources:
                def write(conn, batch, prepared, delta, source_id=source_id, cursors=cursors,
                          location=source.location) -> None:
                    _write(conn, batch, prepared, source_id, list_id, delta)
                    cursors[location] = batch.cursor
                    store.save_cursor(conn, source_id, cursors)

                cursor = {} if reread else cursors.get(source.location, {})
                summary.source = source.location
                for delta in pump(engine, preparer, source, cursor, write):
                    summary.add(delta)
                    summary.seconds = time.perf_counter() - started
                    if progress:
                        summary.done, summary.total, summary.unit = source.extent(cursors.get(source.location, {}))
                        progress(summary)
                summary.missing += getattr(source, "missing", 0)
    finally:
        preparer.close()
    summary.seconds = time.perf_counter() - started
    if not settle:
        return summary
    summary.stage = "series"
    if progress:
        progress(summary)
    with engine.begin() as conn:
        store.refresh_statistics(conn, summary.stored)
    refresh_dirty(engine, placed=matcher())  # new patches may already be in a scanned tree
    summary.stage = "review"
    if progress:
        progress(summary)
    refresh_review(engine)
    summary.seconds = time.perf_counter() - started
    return summary
