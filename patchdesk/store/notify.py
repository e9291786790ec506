"""Subscribers and what they were told: loads and saves (the rules are ``pipeline.notify``)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, update

from .messages import insert_ignore, now
from .schema import Notification, Series, StateEvent, Subscriber


def subscribe(conn: Connection, address: str, name: str) -> int | None:
    """A new subscriber (None when the address is one already)."""
    if conn.execute(select(Subscriber.id).where(Subscriber.address == address)).scalar() is not None:
        return None
    top = conn.execute(select(func.max(StateEvent.id))).scalar() or 0
    return conn.execute(Subscriber.__table__.insert().values(address=address, name=name, subscribed_at=now(),
                                                             cursor=top)).inserted_primary_key[0]


def subscribers(conn: Connection) -> list:
    return conn.execute(select(Subscriber).order_by(Subscriber.id)).all()


def series_of(conn: Connection, address: str) -> list[int]:
    return list(conn.execute(select(Series.id).where(Series.sender == address)).scalars())


def offer(conn: Connection, subscriber_id: int, items: list[tuple[str, str]], status: str = "pending") -> None:
    """(key, text) items, each kept once (an item already known is left as it is)."""
    insert_ignore(conn, Notification.__table__, [
        {"subscriber_id": subscriber_id, "item_key": key, "text": text, "status": status, "sent_at": None,
         "target": ""} for key, text in items])


def move_cursor(conn: Connection, subscriber_id: int, cursor: int) -> None:
    conn.execute(update(Subscriber).where(Subscriber.id == subscriber_id).values(cursor=cursor))


def move_status(conn: Connection, old: str, new: str) -> int:
    """Every item in status ``old`` to ``new``; how many moved."""
    return conn.execute(update(Notification).where(Notification.status == old).values(status=new)).rowcount


def claim_pending(conn: Connection, subscriber_id: int) -> list:
    """The subscriber's pending items, now marked ``sending`` (commit before sending)."""
    rows = conn.execute(select(Notification.id, Notification.item_key, Notification.text)
                        .where(Notification.subscriber_id == subscriber_id, Notification.status == "pending")
                        .order_by(Notification.id)).all()
    if rows:
        conn.execute(update(Notification).where(Notification.id.in_([r.id for r in rows]))
                     .values(status="sending"))
    return rows


def mark(conn: Connection, ids: list[int], status: str, target: str = "") -> None:
    values: dict = {"status": status, "target": target}
    if status == "sent":
        values["sent_at"] = now()
    conn.execute(update(Notification).where(Notification.id.in_(ids or [-1])).values(**values))


def told(conn: Connection, subscriber_id: int) -> list[dict]:
    return [{"key": r.item_key, "status": r.status, "text": r.text, "target": r.target}
            for r in conn.execute(select(Notification).where(Notification.subscriber_id == subscriber_id)
                                  .order_by(Notification.id))]
