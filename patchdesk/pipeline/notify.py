"""Mail to people about their patches, once per thing (``patchdesk notify``).

Opt-in per person (``notify add``).  Each run collects, since the last one:

* a change of state of a patch of a series they sent (reviewed, changes
  requested, applied, superseded ...);
* a trailer they gave that the next version dropped although the patch is
  unchanged (``review.continuity``);
* an objection of theirs (NAK, change request) still open in the new version.

Each thing has a stable key and is kept once per person (the store's unique
key), then told in one digest mail per person per run, written as ``.eml``
or sent by SMTP.  Items are marked ``sending`` and committed before the
mail goes out, ``sent`` after; a run killed in between leaves them
``sending``, which the next run marks ``uncertain`` and does not tell again:
never twice.  What was true before someone subscribed is not told.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from sqlalchemy import Engine

from ..model import version_label
from ..store import feeds
from ..store import notify as store
from ..store.queries import patch_dicts
from ..store.webhooks import new_event_ids
from ..trees.thanks import FILE_POLICY, POLICY, one_line


class NotifyError(Exception):
    """One line."""


def subscribe(engine: Engine, who: str) -> int:
    name, address = parseaddr(who)
    if "@" not in address:
        raise NotifyError(f"{who!r}: give \"Name <addr>\"")
    with engine.begin() as conn:
        found = store.subscribe(conn, address.lower(), one_line(name))
    if found is None:
        raise NotifyError(f"{address} is subscribed already")
    return found


def _key(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def collect(engine: Engine) -> int:
    """Find what is new for each subscriber; returns how many items were offered."""
    offered = 0
    with engine.begin() as conn:
        for sub in store.subscribers(conn):
            ids, top = new_event_ids(conn, sub.cursor)
            events = feeds.events_by_ids(conn, ids)
            mine = set(store.series_of(conn, sub.address))
            items = []
            for e in events:
                if e["series"] in mine:
                    number = f"[{e['number']}/{e['total']}] " if e["total"] and e["total"] > 1 else ""
                    items.append((e["key"], f"{number}{e['subject']} ({e['name']} {version_label(*e['version'])}) "
                                            f"is now {e['state']}: {e['reason']}"))
            touched = sorted({e["series"] for e in events})
            for p in patch_dicts(conn, touched) if touched else []:
                cont = p["continuity"] or {}
                for t in cont.get("dropped_trailers", []):
                    if sub.address in t.get("value", "").lower():
                        items.append((_key("dropped", p["msgid"], t["key"], t["value"]),
                                      f"{p['subject']}: your {t['key']} was dropped in this version although "
                                      "the patch is unchanged"))
                for o in cont.get("objections", []):
                    if o.get("by_email", "").lower() == sub.address and o.get("status") == "open":
                        items.append((_key("open", p["msgid"], o.get("msgid", ""), o.get("kind", "")),
                                      f"{p['subject']}: your {o['kind']} is still open in this version "
                                      f"({o.get('why', '')})"))
            store.offer(conn, sub.id, items)
            store.move_cursor(conn, sub.id, top)
            offered += len(items)
    return offered


def digest(sender: str, to: tuple[str, str], lines: list[str], base_url: str, now: datetime) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = one_line(sender)
    msg["To"] = f"{one_line(to[0])} <{to[1]}>" if to[0] else to[1]
    msg["Subject"] = f"patchdesk: {len(lines)} update{'' if len(lines) == 1 else 's'} on your patches"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "patchdesk.invalid")
    body = ["What changed since the last mail:", ""] + [f"- {one_line(line)}" for line in lines]
    if base_url:
        body += ["", f"The desk: {base_url.rstrip('/')}/"]
    body += ["", "-- ", "patchdesk (you asked for these mails: `patchdesk notify` keeps the list)"]
    msg.set_content("\n".join(body) + "\n")
    return msg


def send(engine: Engine, sender: str, *, out: Path | None = None, client=None, base_url: str = "") -> dict:
    """One digest per subscriber with pending items; counts."""
    counts = {"mails": 0, "items": 0, "uncertain": 0, "failed": 0}
    with engine.begin() as conn:
        counts["uncertain"] = store.move_status(conn, "sending", "uncertain")  # may have gone out: never again
        subs = store.subscribers(conn)
    for sub in subs:
        with engine.begin() as conn:
            rows = store.claim_pending(conn, sub.id)
        if not rows:
            continue
        now = datetime.now(timezone.utc)
        msg = digest(sender, (sub.name, sub.address), [r.text for r in rows], base_url, now)
        ids = [r.id for r in rows]
        try:
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                target = out / f"notify-{sub.id}-{now.strftime('%Y%m%d%H%M%S%f')}.eml"
                target.write_bytes(msg.as_bytes(policy=FILE_POLICY))
                where = str(target)
            else:
                client.send_message(msg, from_addr=parseaddr(sender)[1], to_addrs=[sub.address])
                where = "smtp"
        except Exception as exc:  # noqa: BLE001 - nothing went out: the items wait for the next run
            with engine.begin() as conn:
                store.mark(conn, ids, "pending")
            counts["failed"] += 1
            raise NotifyError(f"{sub.address}: {exc}") from None
        with engine.begin() as conn:
            store.mark(conn, ids, "sent", where)
        counts["mails"] += 1
        counts["items"] += len(ids)
    return counts
