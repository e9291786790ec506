"""Stored threads (``thread_nodes``): loading and saving them.

``pipeline.threads`` re-threads what a batch touches with the pure
``threads.link`` and writes the nodes back here; the ``dirty_roots``
outbox queues threads for review.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, select

from .messages import bulk_insert, chunks, insert_ignore, lookup
from .schema import DirtyRoot, Message, ThreadNode


def thread_rows(conn: Connection, msgids: Iterable[str]) -> list[tuple[str, str, datetime | str | None]]:
    """(msgid, references, date) of the stored messages with these ids."""
    return [tuple(row) for row in lookup(conn, Message.msgid, msgids, Message.refs, Message.date)]


def all_thread_rows(conn: Connection) -> list[tuple[str, str, datetime | str | None]]:
    return [tuple(row) for row in conn.execute(select(Message.msgid, Message.refs, Message.date))]


def thread_members(conn: Connection, msgids: set[str]) -> set[str]:
    """Every node of the threads holding any of ``msgids``."""
    roots = {row[1] for row in lookup(conn, ThreadNode.msgid, msgids, ThreadNode.root)}
    return {row[1] for row in lookup(conn, ThreadNode.root, roots, ThreadNode.msgid)}


def mark_roots(conn: Connection, msgids: Iterable[str]) -> None:
    """Queue the threads of ``msgids`` for review (call after threading):
    the ``dirty_roots`` outbox that ``store.review.refresh_review`` empties."""
    roots = {root for _, root in lookup(conn, ThreadNode.msgid, set(msgids), ThreadNode.root)}
    insert_ignore(conn, DirtyRoot.__table__, [{"root": r} for r in sorted(roots)])


def replace_nodes(conn: Connection, nodes: dict, clear: bool, old: Iterable[str] = ()) -> None:
    """Write ``nodes`` (``threads.Node`` by msgid) over the stored ones (and ``old``), in key order:
    concurrent writers then lock shared nodes in one order, and one touching
    a thread another is rewriting meets its rows (waits, then a unique
    violation makes it re-thread with them: ``store.retry``)."""
    order = sorted(nodes)
    if clear:
        for part in chunks(sorted(set(order) | set(old))):
            conn.execute(delete(ThreadNode).where(ThreadNode.msgid.in_(part)))
    rows = [{"msgid": n.msgid, "parent": n.parent, "root": n.root, "present": n.present}
            for n in (nodes[m] for m in order)]
    bulk_insert(conn, ThreadNode.__table__, rows)


def clear_threads(conn: Connection) -> None:
    conn.execute(delete(ThreadNode))


def thread_nodes(conn: Connection, msgid: str) -> list[ThreadNode]:
    """All nodes of the thread containing ``msgid`` (empty if unknown)."""
    root = conn.execute(select(ThreadNode.root).where(ThreadNode.msgid == msgid)).scalar()
    if root is None:
        return []
    return list(conn.execute(select(ThreadNode.msgid, ThreadNode.parent, ThreadNode.present)
                             .where(ThreadNode.root == root)))


def thread_roots(conn: Connection, limit: int = 50) -> list[str]:
    """Roots of the most recently active threads."""
    query = (select(ThreadNode.root, Message.date)
             .join(Message, Message.msgid == ThreadNode.msgid)
             .order_by(Message.date.desc()).limit(limit * 20))
    roots: list[str] = []
    for root, _ in conn.execute(query):
        if root not in roots:
            roots.append(root)
        if len(roots) >= limit:
            break
    return roots
