"""The desk's data from the store, through the queue's rules (``desk.queue``).

Who I am comes from ``PATCHDESK_ME`` or ``patchdesk me`` (stored).  The
queue needs, per series in flight: its versions, what I said on each (my
trailers, my verdicts, my mails), my objections' continuity, my role for its
files (MAINTAINERS), whether a tree carries it and whether it was thanked.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.utils import getaddresses, make_msgid, parseaddr
from pathlib import Path

from sqlalchemy import Connection

from ..desk.queue import IN_FLIGHT, TRIAGE, Item, Mail, Me, Objection, Triage, Work, build
from ..desk.reply import Answered, compose_reply
from ..model import RawMail, Unreadable
from ..parse import parse
from ..parse.headers import parse_header_block, split_message
from ..store import desk as store
from ..store.messages import as_utc, raw_of
from ..store.queries import find_series, list_series, patch_dicts, version_chain
from ..store.thanks import people
from ..store.trees import list_trees
from ..trees.thanks import FILE_POLICY
from .ingest import ingest
from .review import role_book


class DeskError(Exception):
    """The desk cannot act: the message says why (one line)."""


def parse_me(who: str, also: list[str] | tuple[str, ...] = ()) -> Me:
    """``"Name <addr>"`` (and more addresses) as a ``Me``; DeskError if no address."""
    pairs = [(n, a) for n, a in getaddresses([who]) if "@" in a]
    if not pairs:
        raise DeskError(f"{who!r} names no address: give \"Name <addr@example.org>\"")
    extra = {a.lower() for _, a in getaddresses(list(also)) if "@" in a}
    if len(extra) < len([a for a in also if a.strip()]):
        raise DeskError("every --also must be an address")
    return Me(pairs[0][0] or pairs[0][1], frozenset({pairs[0][1].lower(), *extra}))


def whoami(conn: Connection, env: Mapping[str, str] = os.environ) -> Me | None:
    """``PATCHDESK_ME`` (with the stored extra addresses), else the stored me."""
    stored, also = store.load_me(conn)
    who = env.get("PATCHDESK_ME") or stored
    return parse_me(who, also) if who else None


def me_line(me: Me) -> str:
    first = sorted(me.addresses)[0]
    return f"{me.name} <{first}>" if me.name != first else first


def _mails(rows) -> tuple[Mail, ...]:
    return tuple(Mail(m, p, a, n, d) for m, p, a, n, d in rows if d is not None)


def works(conn: Connection, me: Me) -> list[Work]:
    """Every latest version in flight, or accepted, as the queue reads it."""
    series = list_series(conn, include_superseded=True)
    by_id = {s["id"]: s for s in series}
    latest = [s for s in series if s["next"] is None and (s["state"] in IN_FLIGHT or s["state"] == "accepted")]
    earlier: dict[int, list[int]] = {}
    for s in latest:
        chain, seen, prev = [], {s["id"]}, s["previous"]
        while prev is not None and prev in by_id and prev not in seen:
            chain.append(prev)
            seen.add(prev)
            prev = by_id[prev]["previous"]
        earlier[s["id"]] = chain[::-1]
    ids = sorted({s["id"] for s in latest} | {i for chain in earlier.values() for i in chain})
    patches: dict[int, list[dict]] = defaultdict(list)
    for p in patch_dicts(conn, ids):
        patches[p["series"]].append(p)
    mails = store.thread_mail(conn, ids)
    paths = store.series_paths(conn, [s["id"] for s in latest])
    anchors = store.anchors(conn, [s["id"] for s in latest])
    thanked = store.thanked_anchors(conn)
    trees_known = bool(list_trees(conn))
    book = role_book(conn)
    out = []
    for s in latest:
        people = book.people(tuple(sorted(paths.get(s["id"], ()))))
        roles = {people.get(a, "") for a in me.addresses}
        role = "maintainer" if "maintainer" in roles else "reviewer" if "reviewer" in roles else ""
        words: list[str] = []
        for old in earlier[s["id"]]:
            for p in patches[old]:
                words += [t["key"] for t in p["trailers"] if t.get("email", "").lower() in me and t["source"] != "patch"]
                words += [v["kind"] for v in p["verdicts"] if v.get("by_email", "").lower() in me]
            if any(m[2] in me for m in mails.get(old, ())):
                words.append("replies")
        own = patches[s["id"]]
        objections = tuple(Objection(o["kind"], o["status"], o.get("text", ""))
                           for p in own for o in p["continuity"].get("objections", [])
                           if o.get("by_email", "").lower() in me)
        claims = [as_utc(v["date"]) for p in own for v in p["verdicts"]
                  if v["kind"] == "applied" and not v["negated"] and v.get("by_email", "").lower() in me
                  and v.get("date")]
        out.append(Work(
            id=s["id"], anchor=anchors.get(s["id"], str(s["id"])), name=s["name"], version=s["version_label"],
            submitter=s["submitter"], state=s["state"], date=as_utc(s["date"]), role=role,
            mails=_mails(mails.get(s["id"], ())),
            earlier=tuple((by_id[i]["version_label"], _mails(mails.get(i, ()))) for i in earlier[s["id"]]),
            earlier_words=tuple(words), objections=objections, claimed=min(claims) if claims else None,
            in_tree=s["state"] == "accepted" or any(p["applied"] for p in own),
            thanked=anchors.get(s["id"]) in thanked, trees_known=trees_known))
    return out


def my_queue(conn: Connection, me: Me, now: datetime | None = None, since: datetime | None = None) -> list[Item]:
    log = [Triage(**event) for event in store.triage_log(conn)]
    return build(me, works(conn, me), log, store.seen_marks(conn), now or datetime.now(timezone.utc), since)


def answered(conn: Connection, msgid: str) -> Answered:
    """The stored mail ``msgid`` as a reply needs it; DeskError if unknown."""
    msgid = msgid.strip().strip("<>")
    raws = raw_of(conn, [msgid])
    if msgid not in raws:
        raise DeskError(f"no message <{msgid}> in the store")
    raw, fmt = raws[msgid]
    try:
        parsed = parse(RawMail(raw, "", fmt))
    except Unreadable as exc:
        raise DeskError(f"<{msgid}> cannot be read: {exc}") from None
    if fmt == "rfc822":
        head = parse_header_block(split_message(raw)[0])
        author, to, cc = (people(head.get(name, [])) for name in ("from", "to", "cc"))
    else:
        author, to, cc = (), tuple(getaddresses([parsed.to])), tuple(getaddresses([parsed.cc]))
    return Answered(msgid, parsed.subject, parsed.references, parsed.date,
                    author[0] if author else (parsed.from_name, parsed.from_addr), to, cc, parsed.body)


def series_of(conn: Connection, ident: str) -> int | None:
    """The series ``ident`` names: an id, a member's Message-ID, or any mail
    of a member's thread (the nearest patch or cover letter above it)."""
    found = find_series(conn, ident)
    if found is not None or ident.isdigit():
        return found
    node = ident.strip().strip("<>")
    for _ in range(200):
        node = store.parent_of(conn, node)
        if node is None:
            return None
        found = find_series(conn, node)
        if found is not None:
            return found
    return None


_SPAN = re.compile(r"(\d{1,4})([dw])")


def until_of(text: str | None, now: datetime | None = None) -> datetime | None:
    """When a snooze ends: ``2026-12-24`` (a date, or a date and time), ``3d``
    or ``2w`` from now; None means until a new version.  DeskError for
    anything else."""
    if text is None:
        return None
    text = text.strip()
    m = _SPAN.fullmatch(text)
    if m:
        return (now or datetime.now(timezone.utc)) + timedelta(days=int(m[1]) * (7 if m[2] == "w" else 1))
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise DeskError(f"until: {text!r} is not a date (YYYY-MM-DD[THH:MM]) or a span (3d, 2w)") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def triage(conn: Connection, ident: str, action: str, *, until: datetime | None = None, to: str = "",
           why: str = "", by: str = "") -> tuple[int, str]:
    """Record a triage event for the series ``ident`` names (its latest
    version); returns (series id, anchor).  DeskError if no such series."""
    if action not in TRIAGE:
        raise DeskError(f"unknown triage {action!r} (one of {', '.join(TRIAGE)})")
    series_id = series_of(conn, ident)
    if series_id is None:
        raise DeskError(f"no series {ident}")
    chain = version_chain(conn, series_id) or [series_id]
    latest = chain[-1]
    anchor = store.anchors(conn, [latest])[latest]
    store.add_triage(conn, anchor, action, until=until, to=to, why=why, by=by)
    return latest, anchor


def looked_at(engine, series_id: int) -> None:
    """The maintainer looked at a series (``show``, its page): unseen counts
    start again from now.  Nothing is written while nobody said who they are."""
    with engine.begin() as conn:
        try:
            me = whoami(conn)
        except DeskError:
            return
        if me is not None:
            found = store.anchors(conn, [series_id])
            if series_id in found:
                store.mark_seen(conn, found[series_id])


def write_reply(engine, me: Me, msgid: str, *, kinds: list[str], text: str, out: Path,
                edit: Callable[[bytes], bytes] | None = None, read_in: bool = True) -> dict:
    """Compose the reply to ``msgid`` from ``me`` (``desk.reply``), let
    ``edit`` change it, write it as ``out/reply-ID.eml`` and read it into
    the store, so the trailer is collected and the state moves at once.
    DeskError when the mail is unknown or cannot be answered."""
    with engine.connect() as conn:
        mail = answered(conn, msgid)
    sender = me_line(me)
    new_id = make_msgid(domain=parseaddr(sender)[1].rsplit("@", 1)[-1]).strip("<>")
    try:
        msg = compose_reply(mail, sender, kinds=kinds, text=text, date=datetime.now(timezone.utc), msgid=new_id)
    except ValueError as exc:
        raise DeskError(str(exc)) from None
    data = msg.as_bytes(policy=FILE_POLICY)
    if edit is not None:
        data = edit(data)
        edited = message_from_bytes(data, policy=policy.default)
        new_id = str(edited.get("Message-ID", "")).strip().strip("<>") or new_id
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"reply-{re.sub(r'[^A-Za-z0-9]+', '-', new_id)[:60].strip('-')}.eml"
    path.write_bytes(data)
    result = {"file": str(path), "msgid": new_id, "in_reply_to": mail.msgid, "trailers": kinds, "ingested": False}
    if read_in:
        result["ingested"] = ingest(engine, [path], jobs=1).stored == 1  # one mail: no parser processes
    return result
