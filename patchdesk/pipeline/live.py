"""Live delivery: a message stored now, and the desk up to date within a second.

Bulk ingest reads big batches and settles series and review once per run.
Mail that arrives one message at a time (the LMTP server, a watched
Maildir or public-inbox) needs the two halves apart:

* ``store`` parses inline and writes the message, its thread and the
  dirty outboxes in one transaction, exactly as a bulk batch does
  (``ingest._write``).  When it returns the message is durable: the LMTP
  server acknowledges only then.
* ``settle`` brings series, lineage, applied matches and review up to
  date for whatever arrived since the last call.  It runs in one
  background thread, so messages that arrive while it works are settled
  together by the next round instead of queueing a round each.

The commit index of the registered trees is kept between rounds and read
again only when a tree's head moves.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from ..model import RawMail
from ..store import messages as store
from ..store.db import keep_through_power_loss
from ..store.schema import Tree
from .applied import commit_index, match_patches
from .ingest import IngestSummary, _start, _write
from .prepare import Preparer
from .review import refresh_review
from .series import refresh_dirty


def as_lf(data: bytes) -> bytes:
    """SMTP and LMTP carry mail with CRLF line ends; archives (mbox,
    public-inbox) keep LF.  Stored as LF, the same post read from both
    is recognised as one."""
    return data.replace(b"\r\n", b"\n")


@dataclass
class Delivery:
    """What became of one delivered message."""

    outcome: str  # "stored", "known" or "quarantined"
    msgid: str = ""
    reason: str = ""


@dataclass
class _Trees:
    """The commit index, valid for one set of tree heads."""

    heads: tuple = ()
    index: tuple | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class LiveDesk:
    """Stores delivered mail one message at a time and settles it in the background."""

    def __init__(self, engine: Engine, location: str, kind: str = "lmtp", durable: bool = False) -> None:
        if durable:
            engine = keep_through_power_loss(engine)
        self.engine = engine
        with engine.begin() as conn:
            self.source_id, _ = store.ensure_source(conn, kind, location)
        self.preparer = Preparer(1)
        self.write_lock = threading.Lock()
        self.lists: dict[str, int] = {}
        self.trees = _Trees()
        self.wanted = threading.Event()
        self.stopping = False
        self.rounds = 0
        self.settler: threading.Thread | None = None

    def list_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return store.list_names(conn)

    def _list_id(self, name: str | None) -> int | None:
        if not name:
            return None
        if name not in self.lists:
            with self.engine.begin() as conn:
                self.lists[name] = store.ensure_list(conn, name)
        return self.lists[name]

    def store(self, data: bytes, list_name: str | None = None, position: str = "",
              source_id: int | None = None) -> Delivery:
        """Write one message durably (raises if the store cannot be written)."""
        mail = RawMail(as_lf(data), position or f"{self.source_id}:{time.time_ns()}")
        summary = IngestSummary(read=1)
        with self.write_lock:
            list_id = self._list_id(list_name)
            batch = _start(self.engine, self.preparer, [mail], {})
            prepared = batch.pending.result()
            # IMMEDIATE: wait for another writer's lock (busy_timeout) instead of
            # failing at once when this transaction's read is overtaken
            with self.engine.execution_options(patchdesk_immediate=True).begin() as conn:
                _write(conn, batch, prepared, source_id or self.source_id, list_id, summary)
        self.wanted.set()
        item = prepared[0] if prepared else None
        msgid = item.row["msgid"] if item is not None and item.row else ""
        if summary.quarantined:
            return Delivery("quarantined", msgid, item.reason if item else "")
        return Delivery("stored" if summary.stored else "known", msgid)

    def _matcher(self):
        """The ``placed`` hook with a commit index kept across rounds."""
        with self.engine.connect() as conn:
            heads = tuple(conn.execute(select(Tree.id, Tree.head).order_by(Tree.id)).all())
        if not heads:
            return None
        with self.trees.lock:
            if heads != self.trees.heads or self.trees.index is None:
                with self.engine.connect() as conn:
                    self.trees.index = commit_index(conn)
                self.trees.heads = heads
                gc.collect()
                gc.freeze()  # long-lived: no collection needs to walk the index again
            cached = self.trees.index

        def placed(conn, msgids: set[str]) -> None:
            if msgids:
                match_patches(conn, msgids, cached)
        return placed

    def settle(self) -> None:
        """Series, lineage, applied matches and review for what is pending.

        The cyclic garbage collector is held off for the round: re-linking
        a prolific sender allocates hundreds of thousands of small sets,
        and each collection it triggered walked the whole heap, commit
        index included (a third of a slow round).  What the round left is
        collected after it."""
        with self.write_lock:  # SQLite has one writer; keep deliveries and rounds apart
            gc.disable()
            try:
                refresh_dirty(self.engine, placed=self._matcher())
                refresh_review(self.engine)
            finally:
                gc.enable()
        self.rounds += 1

    def _run(self) -> None:
        while not self.stopping:
            if self.wanted.wait(0.5):
                self.wanted.clear()
                self.settle()

    def start(self) -> None:
        """Settle in a background thread from now on, beginning with what
        a killed predecessor left in the outboxes."""
        self.wanted.set()
        self.settler = threading.Thread(target=self._run, name="patchdesk-settle", daemon=True)
        self.settler.start()

    def stop(self) -> None:
        self.stopping = True
        if self.settler is not None:
            self.settler.join()
        self.settle()  # nothing delivered is left unsettled
        self.preparer.close()
