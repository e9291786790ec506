"""What happened to which patch, newest first: the rows feeds and webhooks are made of.

State events are replayed when a series is judged again (their row ids
change), so an event's identity here is its content: the patch, the state,
the date and the mail that caused it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection, select

from .messages import as_utc, chunks
from .schema import Message, Series, StateEvent, Submission


def event_key(msgid: str, state: str, date, cause: str) -> str:
    """A stable id for one state change (the same change judged again keeps it)."""
    return hashlib.sha1(f"{msgid}\0{state}\0{as_utc(date).isoformat() if date else ''}\0{cause}".encode()).hexdigest()


def _query():
    return (select(StateEvent.msgid, StateEvent.date, StateEvent.state, StateEvent.reason, StateEvent.cause_msgid,
                    StateEvent.by, Submission.series_id, Submission.number, Message.subject, Message.from_name,
                    Message.from_addr, Series.name, Series.version_major, Series.version_minor, Series.total)
             .join(Submission, Submission.msgid == StateEvent.msgid)
             .join(Message, Message.id == Submission.message_id)
             .join(Series, Series.id == Submission.series_id)
             .order_by(StateEvent.date.desc(), StateEvent.id.desc()))


def events(conn: Connection, series_ids: Iterable[int] | None = None, limit: int = 100) -> list[dict]:
    """State changes of the patches of ``series_ids`` (all series: None), newest first."""
    query = _query()
    rows = []
    if series_ids is None:
        rows = conn.execute(query.limit(limit)).all()
    else:
        for part in chunks(list(series_ids)):
            rows += conn.execute(query.where(Submission.series_id.in_(list(part))).limit(limit)).all()
        rows.sort(key=lambda r: (r.date is not None, r.date and as_utc(r.date)), reverse=True)
        rows = rows[:limit]
    return [_event(r) for r in rows]


def events_by_ids(conn: Connection, event_ids: list[int]) -> list[dict]:
    """The state events with these row ids, oldest first (for the webhooks' outbox)."""
    rows = []
    for part in chunks(event_ids):
        rows += conn.execute(_query().where(StateEvent.id.in_(list(part)))).all()
    rows.reverse()
    return [_event(r) for r in rows]


def _event(r) -> dict:
    return {"key": event_key(r.msgid, r.state, r.date, r.cause_msgid), "msgid": r.msgid,
             "date": as_utc(r.date) if r.date else None, "state": r.state, "reason": r.reason,
             "cause": r.cause_msgid or None, "by": r.by or None, "series": r.series_id, "number": r.number,
             "subject": r.subject, "author": r.from_name, "author_email": r.from_addr, "name": r.name,
             "version": (r.version_major, r.version_minor), "total": r.total}


def series_of_person(conn: Connection, address: str) -> set[int]:
    """Series the address submitted."""
    return set(conn.execute(select(Series.id).where(Series.sender == address.lower())).scalars())
