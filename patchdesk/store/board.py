"""Read queries for the web desk: the board, search, a maintainer's queue.

The board must answer in well under 100 ms on a store of a big list, so it
never loads every series: counts come from one GROUP BY on the
``(state, last_date)`` index and each state shows its most recently active
series, a page at a time.  Filters are SQL (list, submitter, path glob,
age); search uses the database's own full-text engine (SQLite FTS5, built
on first use and refreshed when series change; PostgreSQL ``to_tsvector``).
"""

from __future__ import annotations

import re

import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, exists, func, literal_column, or_, select, text
from sqlalchemy.exc import OperationalError

from .messages import lookup
from .schema import MailingList, Message, MessageList, Series, Submission, SubmissionPath, ThreadNode

#: Board columns, in the order a maintainer works through them.
BOARD_STATES = ("under-review", "new", "changes-requested", "rejected", "applied-claimed",
                "partially-accepted", "accepted", "superseded")
HIDDEN_BY_DEFAULT = ("superseded",)
PAGE = 50


def _filters(conn: Connection, *, list_name: str = "", submitter: str = "", path: str = "",
             days: int | None = None, query: str = "", maintainer: str = "", book=None,
             found: list[int] | None = None) -> list:
    """``found``: only these series (what a lore-style search gave, ``pipeline.search``)."""
    where = []
    if found is not None:
        where.append(Series.id.in_(found or [-1]))
    if maintainer and book is not None:
        where.append(Series.id.in_(maintained(conn, maintainer, book) or [-1]))
    if list_name:
        where.append(exists(select(1).select_from(Submission)
                            .join(MessageList, MessageList.message_id == Submission.message_id)
                            .join(MailingList, MailingList.id == MessageList.list_id)
                            .where(Submission.series_id == Series.id, MailingList.name == list_name)))
    if submitter:
        like = f"%{submitter.lower()}%"
        where.append(or_(func.lower(Series.submitter).like(like), func.lower(Series.sender).like(like)))
    if path:
        pattern = path.replace("*", "%").replace("?", "_") if any(c in path for c in "*?") else path.rstrip("/") + "%"
        where.append(exists(select(1).select_from(Submission)
                            .join(SubmissionPath, SubmissionPath.message_id == Submission.message_id)
                            .where(Submission.series_id == Series.id, SubmissionPath.path.like(pattern))))
    if days:
        where.append(Series.last_date >= datetime.now(timezone.utc) - timedelta(days=days))
    if query:
        ids = search(conn, query)
        where.append(Series.id.in_(ids or [-1]))
    return where


_ROW = (Series.id, Series.name, Series.version_major, Series.version_minor, Series.submitter, Series.sender,
        Series.first_date, Series.last_date, Series.total, Series.state, Series.rfc)


def _page(conn: Connection, where: list, page: int, per_page: int) -> list[dict]:
    rows = conn.execute(select(*_ROW).where(*where).order_by(Series.last_date.desc(), Series.id.desc())
                        .limit(per_page).offset(page * per_page)).all()
    return [dict(r._mapping) for r in rows]


def _counts(conn: Connection, where: list) -> dict[str, int]:
    counts = dict(conn.execute(select(Series.state, func.count()).where(*where).group_by(Series.state)).all())
    return {s: counts.get(s, 0) for s in BOARD_STATES}


def board(conn: Connection, *, states: tuple[str, ...] | None = None, page: int = 0, per_page: int = PAGE,
          **filters) -> dict:
    """{"counts": {state: n}, "columns": {state: [series rows]}} for the board:
    each state's column pages on its own."""
    where = _filters(conn, **filters)
    shown = states or tuple(s for s in BOARD_STATES if s not in HIDDEN_BY_DEFAULT)
    columns = {state: _page(conn, [Series.state == state, *where], page, per_page) for state in shown}
    return {"counts": _counts(conn, where), "columns": columns}


def series_page(conn: Connection, *, states: tuple[str, ...], page: int = 0, per_page: int = PAGE,
                **filters) -> dict:
    """{"counts", "items"}: one list across ``states``, most recently
    active first, paged as one (the API's order; the board pages per column)."""
    where = _filters(conn, **filters)
    return {"counts": _counts(conn, where), "items": _page(conn, [Series.state.in_(states), *where], page, per_page)}


# ---------------------------------------------------------------- search

#: Seconds between checks that the FTS index still matches the series
#: (search may lag a new series by this much).
FTS_RECHECK = 2.0
_fts_lock = threading.Lock()
_fts_checked: dict[str, float] = {}


def _fts_ready(conn: Connection) -> None:
    """Build or refresh the SQLite FTS5 index when the series changed.

    One thread of a process does it, at most every ``FTS_RECHECK``
    seconds, in a transaction of its own: eight searches arriving at once
    on a fresh store each tried to rebuild it inside their read
    transaction, and all but one failed "database is locked"."""
    key = str(conn.engine.url)
    if time.monotonic() - _fts_checked.get(key, float("-inf")) < FTS_RECHECK:
        return
    with _fts_lock:
        if time.monotonic() - _fts_checked.get(key, float("-inf")) < FTS_RECHECK:
            return
        try:
            with conn.engine.begin() as own:
                _fts_refresh(own)
        except OperationalError:
            return  # another process is writing: search the index as it is, check again next time
        _fts_checked[key] = time.monotonic()


def _fts_refresh(conn: Connection) -> None:
    conn.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS series_fts USING fts5(name, people, "
                      "tokenize='unicode61')"))
    conn.execute(text("CREATE TABLE IF NOT EXISTS series_fts_state (signature TEXT)"))
    count, last, top = conn.execute(select(func.count(), func.max(Series.last_date), func.max(Series.id))).one()
    signature = f"{count}:{last}:{top}"
    stored = conn.execute(text("SELECT signature FROM series_fts_state")).scalar()
    if stored == signature:
        return
    conn.execute(text("DELETE FROM series_fts"))
    conn.execute(text("INSERT INTO series_fts(rowid, name, people) "
                      "SELECT id, name, submitter || ' ' || sender FROM series"))
    conn.execute(text("DELETE FROM series_fts_state"))
    conn.execute(text("INSERT INTO series_fts_state VALUES (:s)"), {"s": signature})


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _fts_query(query: str) -> str:
    """User words as an FTS5 query of quoted prefix terms (no operators;
    control characters, which FTS5 refuses, are spaces)."""
    words = [w.replace('"', "") for w in _CONTROL.sub(" ", query).split() if w.replace('"', "")]
    return " ".join(f'"{w}"*' for w in words[:10])


#: PostgreSQL: the expression of the GIN index of migration 0011, written
#: out (bound parameters would keep the planner from using the index).
SEARCH_VECTOR = literal_column(
    "to_tsvector('simple'::regconfig, series.name || ' ' || series.submitter || ' ' || series.sender)")


def search(conn: Connection, query: str, limit: int = 500) -> list[int]:
    """Series ids whose name or submitter match ``query``, best first."""
    query = _CONTROL.sub(" ", query)  # PostgreSQL refuses NUL in text too
    if not query.strip():
        return []
    if conn.dialect.name == "sqlite":
        match = _fts_query(query)
        if not match:
            return []
        _fts_ready(conn)
        # a connection of its own: the caller's read snapshot may predate the index
        with conn.engine.connect() as own:
            rows = own.execute(text("SELECT rowid FROM series_fts WHERE series_fts MATCH :q ORDER BY rank LIMIT :n"),
                               {"q": match, "n": limit}).all()
        return [r[0] for r in rows]
    vector = SEARCH_VECTOR
    tsq = func.plainto_tsquery(literal_column("'simple'::regconfig"), query)
    rows = conn.execute(select(Series.id).where(vector.op("@@")(tsq))
                        .order_by(func.ts_rank(vector, tsq).desc()).limit(limit))
    return [r[0] for r in rows]


# ---------------------------------------------------------------- my queue

def maintained(conn: Connection, email: str, book) -> list[int]:
    """Series in flight with a patch in files ``email`` maintains or reviews."""
    email = email.lower()
    ids = set()
    query = (select(Submission.series_id, Submission.paths).join(Series, Series.id == Submission.series_id)
             .where(Series.state.not_in(HIDDEN_BY_DEFAULT), Submission.kind == "patch"))
    for sid, paths in conn.execute(query):
        if sid in ids:
            continue
        if book.role_for(tuple(p for p in paths.split("\n") if p))(email) in ("maintainer", "reviewer"):
            ids.add(sid)
    return sorted(ids)


def queue(conn: Connection, email: str, book, limit: int = 100) -> list[dict]:
    """Patches in flight in files ``email`` maintains or reviews, with no
    reply from them, oldest first."""
    email = email.lower()
    rows = conn.execute(select(Submission.msgid, Submission.series_id, Submission.paths, Submission.state,
                               Message.subject, Message.from_name, Message.from_addr, Message.date)
                        .join(Message, Message.id == Submission.message_id)
                        .where(Submission.kind == "patch", Submission.series_id.is_not(None),
                               Submission.state.in_(("new", "under-review")))
                        .order_by(Message.date)).all()
    mine = []
    for r in rows:
        paths = tuple(p for p in r.paths.split("\n") if p)
        role = book.role_for(paths)(email)
        if role in ("maintainer", "reviewer"):
            mine.append((r, role))
    if not mine:
        return []
    answered = _answered_by(conn, [r.msgid for r, _ in mine], email)
    out = []
    for r, role in mine:
        if r.msgid in answered:
            continue
        out.append({"msgid": r.msgid, "series": r.series_id, "subject": r.subject, "author": r.from_name,
                    "author_email": r.from_addr, "date": r.date, "state": r.state, "role": role})
        if len(out) >= limit:
            break
    return out


def _answered_by(conn: Connection, msgids: list[str], email: str) -> set[str]:
    """The patches among ``msgids`` with a reply from ``email`` under them."""
    roots = {root for _, root in lookup(conn, ThreadNode.msgid, msgids, ThreadNode.root)}
    parent = {}
    for _, msgid, par in lookup(conn, ThreadNode.root, roots, ThreadNode.msgid, ThreadNode.parent):
        parent[msgid] = par
    theirs = {m for m, addr in lookup(conn, Message.msgid, list(parent), Message.from_addr) if addr.lower() == email}
    wanted = set(msgids)
    answered = set()
    for m in theirs:
        seen = 0
        node = parent.get(m)
        while node and seen < 200:
            if node in wanted:
                answered.add(node)
            node = parent.get(node)
            seen += 1
    return answered

