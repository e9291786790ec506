"""The message search index and the lookups a query is made of.

SQLite keeps the words of each message (``search.fields``) in an FTS5 table,
PostgreSQL as one ``tsvector`` column per field, each with a GIN index (the
vectors are stored, not computed from text at query time: a phrase match
rechecks its candidate rows, and recomputing ``to_tsvector`` for each was
most of a query's time); both are built on first use and kept up to date by
``pipeline.search`` (the messages stored since the last indexed id).
Each lookup returns message ids (``messages.id``: identity is the stored
message) or series ids; combining them is the pipeline's.  Field names
come from a fixed list, never from the query text, and every value is a
bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, func, inspect, select, text

from .messages import chunks
from .schema import Applied, MailingList, Message, MessageList, Series, Submission, ThreadNode, Tree

INDEXED = ("s", "f", "t", "c", "nq", "q", "dfn", "dfa", "dfb", "dfctx", "dfhh")


def ensure_index(conn: Connection) -> None:
    """Create the index tables when missing.  Every search comes here: the
    catalog is asked first (one query), not the DDL run again (thirteen
    statements on PostgreSQL).  Tables and indexes are made in one
    transaction, so the two tables stand for all of them."""
    found = inspect(conn)
    if found.has_table("message_index_state") and found.has_table(
            "message_fts" if conn.dialect.name == "sqlite" else "message_vectors"):
        return
    columns = ", ".join(INDEXED)
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5({columns}, "
                          "tokenize='unicode61 remove_diacritics 0')"))
    else:
        conn.execute(text("CREATE TABLE IF NOT EXISTS message_vectors (message_id INTEGER PRIMARY KEY, "
                          + ", ".join(f"{c} tsvector NOT NULL" for c in INDEXED) + ")"))
        for c in INDEXED:
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_message_vectors_{c} ON message_vectors USING gin ({c})"))
    conn.execute(text("CREATE TABLE IF NOT EXISTS message_index_state (last_id INTEGER NOT NULL)"))


def last_indexed(conn: Connection) -> int:
    return conn.execute(text("SELECT max(last_id) FROM message_index_state")).scalar() or 0


def to_index(conn: Connection, after: int, limit: int) -> list:
    """(id, compressed raw, format) of stored messages after ``after``."""
    return conn.execute(select(Message.id, Message.raw, Message.format).where(Message.id > after)
                        .order_by(Message.id).limit(limit)).all()


def pending(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(Message).where(Message.id > last_indexed(conn))).scalar_one()


def save_words(conn: Connection, rows: list[tuple[int, dict[str, str]]], last_id: int) -> None:
    """Index ``rows`` ((message id, field -> words)) and remember ``last_id``."""
    sqlite = conn.dialect.name == "sqlite"
    table = "message_fts" if sqlite else "message_vectors"
    key = "rowid" if sqlite else "message_id"
    if rows:
        names = ", ".join(INDEXED)
        marks = ", ".join(f":{c}" if sqlite else f"to_tsvector('simple'::regconfig, :{c})" for c in INDEXED)
        conn.execute(text(f"INSERT INTO {table} ({key}, {names}) VALUES (:id, {marks})"),
                     [{"id": mid, **{c: words.get(c, "") for c in INDEXED}} for mid, words in rows])
    conn.execute(text("DELETE FROM message_index_state"))
    conn.execute(text("INSERT INTO message_index_state (last_id) VALUES (:n)"), {"n": last_id})


def clear_index(conn: Connection) -> None:
    table = "message_fts" if conn.dialect.name == "sqlite" else "message_vectors"
    conn.execute(text(f"DELETE FROM {table}"))
    conn.execute(text("DELETE FROM message_index_state"))


def with_words(conn: Connection, field: str, phrase: str) -> set[int]:
    """Messages whose ``field`` holds the words of ``phrase`` in a row."""
    if field not in INDEXED:
        raise ValueError(f"no such field {field!r}")
    if not phrase:
        return set()
    if conn.dialect.name == "sqlite":
        query = f'{field} : "{phrase}"'  # words only (search.fields.words): nothing to escape
        return {r[0] for r in conn.execute(text("SELECT rowid FROM message_fts WHERE message_fts MATCH :q"),
                                           {"q": query})}
    return {r[0] for r in conn.execute(text(
        f"SELECT message_id FROM message_vectors WHERE {field} @@ phraseto_tsquery('simple'::regconfig, :q)"),
        {"q": phrase})}


def all_messages(conn: Connection) -> set[int]:
    return set(conn.execute(select(Message.id).where(Message.deleted.is_(False))).scalars())


def dated(conn: Connection, start: datetime | None, end: datetime | None) -> set[int]:
    query = select(Message.id)
    if start is not None:
        query = query.where(Message.date >= start)
    if end is not None:
        query = query.where(Message.date < end)
    return set(conn.execute(query).scalars())


def with_msgid(conn: Connection, msgid: str) -> set[int]:
    return set(conn.execute(select(Message.id).where(Message.msgid == msgid)).scalars())


def series_where(conn: Connection, *, states: Iterable[str] | None = None, version: int | None = None,
                 list_name: str | None = None, tree: str | None = None) -> set[int]:
    """Series ids by state, version, list or the tree that carries them."""
    if list_name is not None:
        return set(conn.execute(select(Submission.series_id).distinct()
                                .join(MessageList, MessageList.message_id == Submission.message_id)
                                .join(MailingList, MailingList.id == MessageList.list_id)
                                .where(MailingList.name == list_name, Submission.series_id.is_not(None)))
                   .scalars())
    if tree is not None:
        return set(conn.execute(select(Submission.series_id).distinct()
                                .join(Applied, Applied.msgid == Submission.msgid)
                                .join(Tree, Tree.id == Applied.tree_id)
                                .where(Tree.name == tree, Submission.series_id.is_not(None))).scalars())
    query = select(Series.id)
    if states is not None:
        query = query.where(Series.state.in_(list(states)))
    if version is not None:
        query = query.where(Series.version_major == version)
    return set(conn.execute(query).scalars())


def messages_of_series(conn: Connection, series_ids: Iterable[int]) -> set[int]:
    """Every stored message of the threads the series' mails are in."""
    ids = list(series_ids)
    out: set[int] = set()
    for part in chunks(ids):
        roots = select(ThreadNode.root).join(Submission, Submission.msgid == ThreadNode.msgid) \
            .where(Submission.series_id.in_(list(part)))
        members = select(ThreadNode.msgid).where(ThreadNode.root.in_(roots))
        out |= set(conn.execute(select(Message.id).where(Message.msgid.in_(members))).scalars())
    return out


def replies(conn: Connection, message_ids: Iterable[int]) -> set[int]:
    """Those of ``message_ids`` that are not patches or cover letters."""
    ids = set(message_ids)
    subs: set[int] = set()
    for part in chunks(list(ids)):
        subs |= set(conn.execute(select(Submission.message_id).where(Submission.message_id.in_(list(part))))
                    .scalars())
    return ids - subs


def _rows_in(conn: Connection, sql: str, values: list) -> list:
    """``sql`` (with ``IN_VALUES`` where the values go) for ``values``: one
    array parameter on PostgreSQL, chunks of placeholders on SQLite.  Driver
    level: a search may match tens of thousands of messages, and compiling
    that many bound parameters costs more than the query."""
    if conn.dialect.name == "postgresql":
        return list(conn.exec_driver_sql(sql.replace("IN IN_VALUES", "= ANY(%s)"), (values,)))
    out: list = []
    for part in chunks(values):
        marks = "(" + ", ".join(["?"] * len(part)) + ")"
        out += conn.exec_driver_sql(sql.replace("IN_VALUES", marks), tuple(part)).all()
    return out


def series_of(conn: Connection, message_ids: Iterable[int]) -> dict[int, set[int]]:
    """message id -> the series it belongs to: its own for a patch or cover
    letter, those of its thread for a reply."""
    ids = list(message_ids)
    out: dict[int, set[int]] = {}
    for mid, sid in _rows_in(conn, "SELECT message_id, series_id FROM submissions WHERE message_id IN IN_VALUES "
                                   "AND series_id IS NOT NULL", ids):
        out.setdefault(mid, set()).add(sid)
    rest = [m for m in ids if m not in out]
    roots = dict(_rows_in(conn, "SELECT m.id, t.root FROM messages m JOIN thread_nodes t ON t.msgid = m.msgid "
                                "WHERE m.id IN IN_VALUES", rest)) if rest else {}
    by_root: dict[str, set[int]] = {}
    for root, sid in _rows_in(conn, "SELECT t.root, s.series_id FROM thread_nodes t JOIN submissions s "
                                    "ON s.msgid = t.msgid WHERE t.root IN IN_VALUES AND s.series_id IS NOT NULL",
                              sorted(set(roots.values()))):
        by_root.setdefault(root, set()).add(sid)
    for mid, root in roots.items():
        if by_root.get(root):
            out[mid] = by_root[root]
    return out


def message_rows(conn: Connection, message_ids: Iterable[int], limit: int) -> list:
    """(id, msgid, subject, from_name, from_addr, date), newest first."""
    ids = list(message_ids)
    rows = []
    for part in chunks(ids):
        rows += conn.execute(select(Message.id, Message.msgid, Message.subject, Message.from_name, Message.from_addr,
                                    Message.date).where(Message.id.in_(list(part)))).all()
    rows.sort(key=lambda r: (r.date is None, r.date), reverse=True)
    return rows[:limit]


def most_recent(conn: Connection, series_ids: Iterable[int], limit: int) -> list[int]:
    """The ``limit`` most recently active of ``series_ids``."""
    rows = []
    for part in chunks(list(series_ids)):
        rows += conn.execute(select(Series.id, Series.last_date).where(Series.id.in_(list(part)))).all()
    rows.sort(key=lambda r: (r.last_date is not None, r.last_date, r.id), reverse=True)
    return [r.id for r in rows[:limit]]
