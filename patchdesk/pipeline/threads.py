"""Keeping threads current as messages arrive, in any order.

When a batch arrives, every thread that any of its Message-IDs or
References touches is loaded whole, re-threaded with the pure
``threads.link`` together with the new messages, and written back.  Because
``link`` does not depend on arrival order, the stored threads are the same
whether an archive is read in order, backwards, or one message at a time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection

from ..store import threads as store
from ..store.messages import messages_by_msgid
from ..threads import ThreadInput, link
from ..threads.view import reading_order


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


def _inputs(conn: Connection, msgids: set[str]) -> list[ThreadInput]:
    return [thread_input(*row) for row in store.thread_rows(conn, msgids)]


def update_threads(conn: Connection, new: list[ThreadInput]) -> list[str]:
    """Re-thread everything ``new`` touches; return msgids whose link was refused."""
    if not new:
        return []
    touched = {m.msgid for m in new}
    for m in new:
        touched.update(m.references)
    members = store.thread_members(conn, touched)
    # The new messages are passed in as they are, not read back; a stored
    # message sharing a Message-ID with a new one is read (it is an input
    # too, as when both arrive in one batch).  Every old member is replaced:
    # a placeholder only that other message referenced must not linger.
    new_ids, fresh = {m.msgid for m in new}, set(new)
    inputs = _inputs(conn, members - new_ids) + [i for i in _inputs(conn, members & new_ids) if i not in fresh]
    nodes, refused = link(inputs + list(new))
    store.replace_nodes(conn, nodes, clear=True, old=members)
    return refused


def rebuild_threads(conn: Connection) -> int:
    """Recompute every thread from the stored messages; return node count."""
    store.clear_threads(conn)
    nodes, _ = link([thread_input(*row) for row in store.all_thread_rows(conn)])
    store.replace_nodes(conn, nodes, clear=False)
    return len(nodes)


def load_thread(conn: Connection, msgid: str) -> list[dict[str, Any]]:
    """The thread containing ``msgid`` as rows in reading order."""
    nodes = store.thread_nodes(conn, msgid)
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
