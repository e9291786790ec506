"""The maintainer's desk in the store: who I am, my triage, what I have seen.

Loads and saves only (the queue's rules are ``desk.queue``).  Triage is an
append-only log: the current triage of a series is its latest event, and
``woken`` undoes whatever came before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from .messages import as_utc, insert_ignore, lookup, now
from .schema import Message, SeenMark, Series, Setting, Submission, Thanks, ThreadNode, TriageEvent, WebSession


def get_setting(conn: Connection, key: str) -> str:
    return conn.execute(select(Setting.value).where(Setting.key == key)).scalar() or ""


def set_setting(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(Setting).where(Setting.key == key))
    if value:
        conn.execute(Setting.__table__.insert().values(key=key, value=value))


def save_me(conn: Connection, who: str, also: Iterable[str]) -> None:
    set_setting(conn, "me", who)
    set_setting(conn, "me_also", json.dumps(sorted(set(also))))


def load_me(conn: Connection) -> tuple[str, list[str]]:
    return get_setting(conn, "me"), json.loads(get_setting(conn, "me_also") or "[]")


def add_triage(conn: Connection, anchor: str, action: str, *, until: datetime | None = None, to: str = "",
               why: str = "", by: str = "") -> int:
    return conn.execute(TriageEvent.__table__.insert().values(
        anchor=anchor, action=action, until=until, to=to, why=why, by=by, at=now())).inserted_primary_key[0]


def triage_log(conn: Connection, anchors: Iterable[str] | None = None) -> list[dict]:
    """Every triage event (of these series), oldest first."""
    query = select(TriageEvent).order_by(TriageEvent.id)
    if anchors is not None:
        query = query.where(TriageEvent.anchor.in_(list(anchors)))
    return [{"anchor": r.anchor, "action": r.action, "at": as_utc(r.at),
             "until": as_utc(r.until) if r.until else None, "to": r.to, "why": r.why, "by": r.by}
            for r in conn.execute(query)]


def mark_seen(conn: Connection, anchor: str) -> None:
    conn.execute(delete(SeenMark).where(SeenMark.anchor == anchor))
    insert_ignore(conn, SeenMark.__table__, [{"anchor": anchor, "at": now()}])


def seen_marks(conn: Connection) -> dict[str, datetime]:
    return {a: as_utc(at) for a, at in conn.execute(select(SeenMark.anchor, SeenMark.at))}


def anchors(conn: Connection, series_ids: Iterable[int]) -> dict[int, str]:
    return {r[0]: r[1] for r in lookup(conn, Series.id, list(series_ids), Series.anchor)}


def thread_mail(conn: Connection, series_ids: Iterable[int]) -> dict[int, list]:
    """series id -> every stored message of the threads its members are in:
    (msgid, parent, from_addr, from_name, date), oldest first."""
    ids = list(series_ids)
    members: dict[str, set[int]] = {}
    for sid, msgid in conn.execute(select(Submission.series_id, Submission.msgid)
                                   .where(Submission.series_id.in_(ids))):
        members.setdefault(msgid, set()).add(sid)
    roots: dict[str, set[int]] = {}
    for msgid, root in lookup(conn, ThreadNode.msgid, list(members), ThreadNode.root):
        roots.setdefault(root, set()).update(members[msgid])
    out: dict[int, list] = {sid: [] for sid in ids}
    if not roots:
        return out
    query = (select(ThreadNode.root, Message.msgid, ThreadNode.parent, Message.from_addr, Message.from_name,
                    Message.date)
             .join(ThreadNode, ThreadNode.msgid == Message.msgid)
             .where(ThreadNode.root.in_(list(roots)), Message.deleted.is_(False))
             .order_by(Message.date))
    for root, msgid, parent, addr, name, date in conn.execute(query):
        for sid in roots[root]:
            out[sid].append((msgid, parent, (addr or "").lower(), name or "", as_utc(date) if date else None))
    return out


def count_triage(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(TriageEvent)).scalar_one()


def series_paths(conn: Connection, series_ids: Iterable[int]) -> dict[int, set[str]]:
    """series id -> the files its patches touch."""
    out: dict[int, set[str]] = {}
    query = select(Submission.series_id, Submission.paths).where(Submission.series_id.in_(list(series_ids)))
    for sid, paths in conn.execute(query):
        out.setdefault(sid, set()).update(p for p in (paths or "").split("\n") if p)
    return out


def thanked_anchors(conn: Connection) -> set[str]:
    return {a for a, in conn.execute(select(Thanks.anchor))}


def parent_of(conn: Connection, msgid: str) -> str | None:
    return conn.execute(select(ThreadNode.parent).where(ThreadNode.msgid == msgid)).scalar()


def save_session(conn: Connection, token_hash: str, who: str, csrf: str, expires: datetime) -> None:
    conn.execute(delete(WebSession).where(WebSession.expires_at < now()))
    conn.execute(WebSession.__table__.insert().values(token_hash=token_hash, who=who, csrf=csrf, created_at=now(),
                                                      expires_at=expires))


def session_of(conn: Connection, token_hash: str) -> tuple[str, str] | None:
    """(who, csrf) of a session that has not ended."""
    row = conn.execute(select(WebSession.who, WebSession.csrf, WebSession.expires_at)
                       .where(WebSession.token_hash == token_hash)).first()
    if row is None or as_utc(row.expires_at) < now():
        return None
    return row.who, row.csrf


def drop_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(WebSession).where(WebSession.token_hash == token_hash))
