"""Webhooks and their outbox: loads and saves (the rules are ``pipeline.webhooks``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from .messages import as_utc, insert_ignore, now
from .schema import StateEvent, Webhook, WebhookDelivery


def add_hook(conn: Connection, url: str, events: str, secret: str) -> int:
    top = conn.execute(select(func.max(StateEvent.id))).scalar() or 0
    return conn.execute(Webhook.__table__.insert().values(url=url, events=events, secret=secret, created_at=now(),
                                                          cursor=top)).inserted_primary_key[0]


def hooks(conn: Connection) -> list:
    return conn.execute(select(Webhook).order_by(Webhook.id)).all()


def remove_hook(conn: Connection, hook_id: int) -> bool:
    conn.execute(delete(WebhookDelivery).where(WebhookDelivery.hook_id == hook_id))
    return conn.execute(delete(Webhook).where(Webhook.id == hook_id)).rowcount > 0


def new_event_ids(conn: Connection, after: int) -> tuple[list[int], int]:
    """State event row ids after ``after`` (a replayed event has a new row: the
    outbox's unique key keeps it from being sent twice), and the new top."""
    ids = list(conn.execute(select(StateEvent.id).where(StateEvent.id > after).order_by(StateEvent.id)).scalars())
    return ids, (ids[-1] if ids else after)


def enqueue(conn: Connection, hook_id: int, rows: list[tuple[str, str]], cursor: int) -> None:
    """Queue (event key, payload) rows for a hook, once each, and move its cursor."""
    at = now()
    insert_ignore(conn, WebhookDelivery.__table__, [
        {"hook_id": hook_id, "event_key": key, "payload": payload, "status": "pending", "attempts": 0,
         "next_at": at, "last_error": "", "delivered_at": None} for key, payload in rows])
    conn.execute(update(Webhook).where(Webhook.id == hook_id).values(cursor=cursor))


def move_status(conn: Connection, old: str, new: str, error: str = "") -> int:
    """Every delivery in status ``old`` to ``new``; how many moved."""
    return conn.execute(update(WebhookDelivery).where(WebhookDelivery.status == old)
                        .values(status=new, last_error=error)).rowcount


def due(conn: Connection, limit: int = 100) -> list:
    return conn.execute(select(WebhookDelivery.id, WebhookDelivery.hook_id, WebhookDelivery.event_key,
                               WebhookDelivery.payload, WebhookDelivery.attempts, Webhook.url, Webhook.secret)
                        .join(Webhook, Webhook.id == WebhookDelivery.hook_id)
                        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_at <= now())
                        .order_by(WebhookDelivery.id).limit(limit)).all()


def claim(conn: Connection, delivery_id: int) -> bool:
    """Mark one delivery ``sending``; False if another run took it."""
    return conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                      WebhookDelivery.status == "pending")
                        .values(status="sending", attempts=WebhookDelivery.attempts + 1)).rowcount == 1


def settle(conn: Connection, delivery_id: int, status: str, *, error: str = "",
           next_at: datetime | None = None) -> None:
    values: dict = {"status": status, "last_error": error[:500]}
    if status == "delivered":
        values["delivered_at"] = now()
    if next_at is not None:
        values["next_at"] = next_at
    conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))


def retry(conn: Connection, delivery_id: int) -> bool:
    return conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                      WebhookDelivery.status.in_(("uncertain", "failed")))
                        .values(status="pending", next_at=now())).rowcount == 1


def deliveries(conn: Connection, hook_id: int | None = None) -> list[dict]:
    query = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if hook_id is not None:
        query = query.where(WebhookDelivery.hook_id == hook_id)
    return [{"id": r.id, "hook": r.hook_id, "event": r.event_key, "status": r.status, "attempts": r.attempts,
             "next_at": as_utc(r.next_at), "error": r.last_error,
             "delivered_at": as_utc(r.delivered_at) if r.delivered_at else None} for r in conn.execute(query)]
