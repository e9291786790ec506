"""Signature checks of stored messages (``parse.attest``): saved and loaded.

Keyed by the stored message's row, never by a Message-ID alone: two
messages claiming one Message-ID have their own checks.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, select

from .messages import as_utc, bulk_insert, now
from .schema import Attestation, Message


def save(conn: Connection, message_id: int, results: Iterable[dict], keys: str) -> None:
    """Replace the checks of one message with ``results`` (``{method, status, domain, selector, reason}``)."""
    conn.execute(delete(Attestation).where(Attestation.message_id == message_id))
    at = now()
    rows = [{**r, "message_id": message_id, "keys": keys, "checked_at": at} for r in results]
    if rows:
        bulk_insert(conn, Attestation.__table__, rows)


def members(conn: Connection, msgids: Iterable[str]) -> list[tuple[int, str, bytes, str]]:
    """(row id, msgid, compressed raw, format) of every stored message with these Message-IDs."""
    return [tuple(r) for r in conn.execute(select(Message.id, Message.msgid, Message.raw, Message.format)
                                           .where(Message.msgid.in_(list(msgids))))]


def of_messages(conn: Connection, msgids: Iterable[str]) -> dict[str, list[dict]]:
    """msgid -> its messages' checks, as dicts (with ``checked_at`` and ``keys``)."""
    query = (select(Message.msgid, Attestation.method, Attestation.status, Attestation.domain, Attestation.selector,
                    Attestation.reason, Attestation.keys, Attestation.checked_at)
             .join(Message, Message.id == Attestation.message_id)
             .where(Message.msgid.in_(list(msgids))).order_by(Attestation.id))
    out: dict[str, list[dict]] = {}
    for msgid, method, status, domain, selector, reason, keys, at in conn.execute(query):
        out.setdefault(msgid, []).append({"method": method, "status": status, "domain": domain,
                                          "selector": selector, "reason": reason, "keys": keys,
                                          "checked_at": as_utc(at)})
    return out
