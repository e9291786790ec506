"""Webhooks: state changes told to registered URLs, signed, retried, never twice.

``enqueue`` puts each new state change (``store.feeds``) a hook asked for
into its outbox, once per (hook, event id): a change judged again gets a
new row but the same id, and the outbox's unique key refuses it.
``deliver`` posts what is due as JSON, signed with the hook's secret
(``X-Patchdesk-Signature: sha256=<HMAC of the body>``, as GitHub does), with
the event id in ``X-Patchdesk-Delivery`` for the receiver's own check.
A delivery is marked ``sending`` and committed before the request goes
out; a 2xx marks it delivered; anything else retries with back-off
(30 s doubling, up to an hour, eight tries, then ``failed``).  A run killed
while sending leaves the row ``sending``: the next run marks it
``uncertain`` and does not send it again on its own, because it may have
arrived (``webhook retry`` sends it again on purpose).  So a SIGKILL can
lose a notification, never double one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import Engine

from ..store import feeds
from ..store import webhooks as store

MAX_ATTEMPTS = 8
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
TIMEOUT = 10.0


class WebhookError(Exception):
    """A hook cannot be registered: one line."""


def register(engine: Engine, url: str, events: str = "all", secret: str = "") -> tuple[int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WebhookError(f"{url!r}: an http:// or https:// URL")
    names = [e.strip() for e in events.split(",") if e.strip()] or ["all"]
    secret = secret or secrets.token_urlsafe(24)
    with engine.begin() as conn:
        return store.add_hook(conn, url, ",".join(names), secret), secret


def _wants(events: str, state: str) -> bool:
    names = set(events.split(","))
    return "all" in names or state in names


def payload(event: dict) -> str:
    data = {**event, "date": event["date"].isoformat() if event["date"] else None,
            "version": list(event["version"])}
    return json.dumps({"id": event["key"], "kind": event["state"], "event": data}, sort_keys=True)


def enqueue(engine: Engine) -> int:
    """Queue every state change since each hook's cursor; returns how many rows were offered."""
    offered = 0
    with engine.begin() as conn:
        for hook in store.hooks(conn):
            ids, top = store.new_event_ids(conn, hook.cursor)
            rows = [(e["key"], payload(e)) for e in feeds.events_by_ids(conn, ids) if _wants(hook.events, e["state"])]
            store.enqueue(conn, hook.id, rows, top)
            offered += len(rows)
    return offered


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=TIMEOUT) as answer:
            return 200 <= answer.status < 300, f"HTTP {answer.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return False, str(exc)[:300]


def deliver(engine: Engine, limit: int = 100) -> dict[str, int]:
    """Send what is due; counts of delivered, retrying, failed and uncertain."""
    counts = {"delivered": 0, "retrying": 0, "failed": 0, "uncertain": 0}
    with engine.begin() as conn:
        # a run killed while sending left these: they may have arrived, so never again on their own
        counts["uncertain"] = store.move_status(conn, "sending", "uncertain",
                                                "the run sending it stopped: it may have arrived")
    with engine.connect() as conn:
        due = store.due(conn, limit)
    for row in due:
        with engine.begin() as conn:
            if not store.claim(conn, row.id):
                continue  # another run took it
        body = row.payload.encode()
        ok, why = _post(row.url, body, {
            "Content-Type": "application/json", "User-Agent": "patchdesk-webhook",
            "X-Patchdesk-Event": json.loads(row.payload)["kind"], "X-Patchdesk-Delivery": row.event_key,
            "X-Patchdesk-Signature": signature(row.secret, body)})
        attempts = row.attempts + 1
        with engine.begin() as conn:
            if ok:
                store.settle(conn, row.id, "delivered")
                counts["delivered"] += 1
            elif attempts >= MAX_ATTEMPTS:
                store.settle(conn, row.id, "failed", error=why)
                counts["failed"] += 1
            else:
                wait = min(FIRST_WAIT * 2 ** (attempts - 1), LONGEST_WAIT)
                store.settle(conn, row.id, "pending", error=why, next_at=datetime.now(timezone.utc) + wait)
                counts["retrying"] += 1
    return counts
