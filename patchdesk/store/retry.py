"""Transactions that several writers can run at once, and outbox claims.

With ``patchdesk worker`` processes on PostgreSQL, two transactions may
touch the same rows: the same thread, the same post delivered to two
lists, a link between two senders' series.  The schema's unique keys make
a duplicate impossible, so the loser of such a race gets a unique
violation, a deadlock or a serialization failure instead; ``transaction``
then runs its work again from the start, when it reads the winner's rows.
Work must therefore be a function of what it reads (no side effects on
Python state before the commit).

On SQLite a write transaction begins IMMEDIATE: it takes the one write
lock before reading, so a check-then-insert cannot race there at all.
"""

from __future__ import annotations

import logging
import random
import time
import zlib
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")
log = logging.getLogger("patchdesk.jobs")

#: serialization failure, deadlock, unique and foreign-key violations
#: (a row a concurrent writer deleted), lock not available
RETRYABLE = {"40001", "40P01", "23505", "23503", "55P03"}
ATTEMPTS = 10


def retryable(exc: BaseException) -> bool:
    """A conflict with a concurrent writer, not a bug: worth running again."""
    if not isinstance(exc, DBAPIError):
        return False
    code = getattr(exc.orig, "sqlstate", None)
    if code is not None:
        return code in RETRYABLE
    return "database is locked" in str(exc.orig)  # SQLite after its busy timeout


def writer(engine: Engine) -> Engine:
    """The engine whose transactions begin IMMEDIATE on SQLite (see db.py)."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(patchdesk_immediate=True)


def transaction(engine: Engine, work: Callable[[Connection], T], attempts: int = ATTEMPTS) -> T:
    """Run ``work(conn)`` in one transaction, again after a conflict."""
    engine = writer(engine)
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            if attempt + 1 >= attempts or not retryable(exc):
                raise
            log.info("conflict with a concurrent writer (%s), again: %s", getattr(exc.orig, "sqlstate", "busy"),
                     str(exc.orig).splitlines()[0][:200])
            time.sleep(random.uniform(0.01, 0.05 * 2 ** min(attempt, 5)))
    raise AssertionError("unreachable")


def claim(conn: Connection, column, limit: int, shuffled: bool = False) -> list:
    """Take up to ``limit`` keys out of an outbox table (``dirty_senders``,
    ``dirty_roots``) in this transaction, smallest first (``shuffled``: any,
    for a claimer whose last chunk was busy elsewhere).

    Taking them before the work, not deleting them after it, is what keeps
    a key that a concurrent ingest marks again meanwhile: its insert waits
    for this transaction and lands after it.  On PostgreSQL concurrent
    claimers skip each other's rows, so several jobs share one outbox.
    """
    table, name = column.table.name, column.name
    lock = " FOR UPDATE SKIP LOCKED" if conn.dialect.name == "postgresql" else ""
    order = "random()" if shuffled else name
    sql = (f"DELETE FROM {table} WHERE {name} IN (SELECT {name} FROM {table} ORDER BY {order} "
           f"LIMIT {int(limit)}{lock}) RETURNING {name}")
    return sorted(row[0] for row in conn.exec_driver_sql(sql))


def xact_lock(conn: Connection, name: str) -> None:
    """Serialize one kind of work until this transaction ends (PostgreSQL;
    SQLite transactions that write are serialized already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return zlib.crc32(name.encode()) | (0x5044 << 32)  # "PD" in the high bits
