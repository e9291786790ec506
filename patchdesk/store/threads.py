"""Keeping ``thread_nodes`` current as messages arrive, in any order.

When a batch arrives, every thread that any of its Message-IDs or
References touches is loaded whole, re-threaded with the pure
``threads.link`` together with the new messages, and written back.  Because
``link`` does not depend on arrival order, the stored threads are the same
whether an archive is read in order, backwards, or one message at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import Connection, delete, select

from ..threads import Node, ThreadInput, link
from ..threads.view import reading_order
from .messages import bulk_insert, chunks, insert_ignore, lookup, messages_by_msgid
from .schema import DirtyRoot, Message, ThreadNode


def date_key(date: datetime | str | None) -> str:
    """Sortable UTC text for a date as either dialect returns it."""
    if date is None:
        return ""
    if isinstance(date, str):  # SQLite through driver-level SQL: stored text
        return date[:19].replace(" ", "T")
    if date.tzinfo is not None:
        date = date.astimezone(timezone.utc)
    return date.strftime("%Y-%m-%dT%H:%M:%S")


def thread_input(msgid: str, refs: str, date: datetime | str | None) -> ThreadInput:
    return ThreadInput(msgid, tuple(refs.split()), date_key(date))


def _inputs(conn: Connection, msgids: Iterable[str]) -> list[ThreadInput]:
    return [thread_input(*row) for row in lookup(conn, Message.msgid, msgids, Message.refs, Message.date)]


def update_threads(conn: Connection, new: list[ThreadInput]) -> list[str]:
    """Re-thread everything ``new`` touches; return msgids whose link was refused."""
    if not new:
        return []
    touched = {m.msgid for m in new}
    for m in new:
        touched.update(m.references)
    roots = {row[1] for row in lookup(conn, ThreadNode.msgid, touched, ThreadNode.root)}
    members = {row[1] for row in lookup(conn, ThreadNode.root, roots, ThreadNode.msgid)}
    # The new messages are passed in as they are, not read back; a stored
    # message sharing a Message-ID with a new one is read (it is an input
    # too, as when both arrive in one batch).  Every old member is replaced:
    # a placeholder only that other message referenced must not linger.
    new_ids, fresh = {m.msgid for m in new}, set(new)
    inputs = _inputs(conn, members - new_ids) + [i for i in _inputs(conn, members & new_ids) if i not in fresh]
    nodes, refused = link(inputs + list(new))
    _replace(conn, nodes, clear=True, old=members)
    return refused


def mark_roots(conn: Connection, msgids: Iterable[str]) -> None:
    """Queue the threads of ``msgids`` for review (call after threading):
    the ``dirty_roots`` outbox that ``store.review.refresh_review`` empties."""
    roots = {root for _, root in lookup(conn, ThreadNode.msgid, set(msgids), ThreadNode.root)}
    insert_ignore(conn, DirtyRoot.__table__, [{"root": r} for r in sorted(roots)])


def _replace(conn: Connection, nodes: dict[str, Node], clear: bool, old: Iterable[str] = ()) -> None:
    """Write ``nodes`` over the stored ones (and ``old``), in key order:
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


def rebuild_threads(conn: Connection) -> int:
    """Recompute every thread from the stored messages; return node count."""
    conn.execute(delete(ThreadNode))
    inputs = [thread_input(*row) for row in conn.execute(select(Message.msgid, Message.refs, Message.date))]
    nodes, _ = link(inputs)
    _replace(conn, nodes, clear=False)
    return len(nodes)


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


def load_thread(conn, msgid: str) -> list[dict]:
    """The thread containing ``msgid`` as rows in reading order."""
    nodes = thread_nodes(conn, msgid)
    messages = {row.msgid: row for row in messages_by_msgid(
        conn, [n.msgid for n in nodes if n.present])}
    keys = {m: (row.date.isoformat() if row.date else "") for m, row in messages.items()}
    out = []
    for depth, node in reading_order(((n.msgid, n.parent) for n in nodes), keys):
        row = messages.get(node)
        out.append({"depth": depth, "msgid": node, "present": row is not None,
                    "subject": row.subject if row else None,
                    "from": row.from_name if row else None,
                    "date": row.date if row else None})
    return out
