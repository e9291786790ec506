"""Thank-you replies, delivered: one series at a time, written or sent, recorded once.

The composing is ``trees.thanks``, the record (a UNIQUE key that makes
"never twice" hold) is ``store.thanks.claim``; here a reply is delivered
while its record is held, the maintainer's own "applied, thanks" in the
thread counts as the thank-you, and ``--archive`` archives what was
thanked on the desk.  Used by ``patchdesk ty``/``thank`` and the web desk.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
from datetime import datetime, timezone
from email.utils import make_msgid, parseaddr
from pathlib import Path

from ..store.desk import add_triage
from ..store.queries import find_series, patch_dicts, version_chain
from ..store.thanks import claim, due
from ..trees.thanks import FILE_POLICY, compose, file_name


#: Results after which a series is done on the desk (``--archive``).
ARCHIVABLE = ("written", "sent", "already-thanked", "already-replied")


def already_replied(conn, series_ids: list[int], address: str) -> dict[int, str]:
    """series id -> the reply in which ``address`` already said it applied
    the series (an "applied" verdict, not negated, on any of its patches)."""
    found: dict[int, str] = {}
    for p in patch_dicts(conn, series_ids) if series_ids else []:
        for v in p["verdicts"]:
            if v["kind"] == "applied" and not v["negated"] and v["by_email"].lower() == address:
                found.setdefault(p["series"], v["msgid"])
    return found


def latest_of(conn, ident: str) -> int | None:
    series_id = find_series(conn, ident)
    if series_id is None:
        return None
    chain = version_chain(conn, series_id)
    return chain[-1] if chain else series_id


def write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` complete or not at all (a temporary file
    linked into place), never over an existing file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ty-", suffix=".tmp")
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)  # as open() would, not mkstemp's 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        os.unlink(tmp)


def free_path(out: Path, name: str) -> Path:
    stem, n = name[:-len(".eml")], 1
    while (out / (name if n == 1 else f"{stem}-{n}.eml")).exists():
        n += 1
    return out / (name if n == 1 else f"{stem}-{n}.eml")


def entry_of(item, msg, to, cc) -> dict:
    mail = item.mail
    return {"series": item.series_id, "name": mail.name, "subject": str(msg["Subject"]),
            "in_reply_to": mail.msgid, "message_id": str(msg["Message-ID"]).strip("<>"),
            "to": [str(a) for a in to], "cc": [str(a) for a in cc],
            "applied": [{"number": p.number, "subject": p.subject, "msgid": p.msgid, "commit": p.sha,
                         "tree": p.tree, "branch": p.branch, "method": p.method} for p in mail.applied],
            "pending": [{"number": p.number, "subject": p.subject, "msgid": p.msgid, "state": p.state}
                        for p in mail.pending]}


def deliver(engine, item, sender: str, *, out: Path | None, client: smtplib.SMTP | None, server: str) -> dict:
    """Compose one reply, then (unless both ``out`` and ``client`` are None:
    a dry run) deliver it while its record is held, see ``claim``."""
    now = datetime.now(timezone.utc)
    address = parseaddr(sender)[1]
    msgid = make_msgid(domain=address.rpartition("@")[2])[1:-1]
    try:
        msg = compose(item.mail, sender, now, msgid)
    except ValueError as exc:
        return {"series": item.series_id, "name": item.mail.name, "status": "skipped", "error": str(exc)}
    to, cc = list(msg["To"].addresses), list(msg["Cc"].addresses if msg["Cc"] else [])
    entry = entry_of(item, msg, to, cc)
    if out is None and client is None:
        return {**entry, "status": "dry-run", "message": msg.as_string(policy=FILE_POLICY)}
    rcpts = [a.addr_spec for a in to + cc]
    target = str(free_path(out, file_name(item.series_id, item.mail.name))) if out else server
    try:
        with claim(engine, item, reply_msgid=msgid, subject=entry["subject"], recipients=rcpts,
                   via="file" if out else "smtp", target=target, now=now) as mine:
            if not mine:
                return {**entry, "status": "already-thanked"}
            if out is not None:
                write_new(Path(target), msg.as_bytes(policy=FILE_POLICY))
                return {**entry, "status": "written", "target": target}
            refused = client.send_message(msg, from_addr=address, to_addrs=rcpts)
            return {**entry, "status": "sent", "target": target, "refused": sorted(refused)}
    except (OSError, smtplib.SMTPException) as exc:
        return {**entry, "status": "failed", "error": str(exc)}


def archive_done(engine, items: list, results: list[dict], sender: str) -> None:
    """Archive on the desk each series whose result says it is thanked."""
    done = {r["series"] for r in results if r["status"] in ARCHIVABLE}
    with engine.begin() as conn:
        for item in items:
            if item.series_id in done:
                add_triage(conn, item.anchor, "archived", why="thanked", by=sender)
    for r in results:
        r["archived"] = r["series"] in done


class ThankError(Exception):
    """The series is not due a thank-you: one line."""


def thank_series(engine, ident: str, sender: str, out: Path, *, archive: bool = False,
                 partial: bool = False) -> dict:
    """``ty`` for one series (its latest version), written into ``out``."""
    address = parseaddr(sender)[1].lower()
    with engine.connect() as conn:
        wanted = latest_of(conn, ident)
        items = [i for i in due(conn, partial=partial) if i.series_id == wanted]
        if not items:
            raise ThankError(f"series {ident} is not due a thank-you: not accepted in a tree, superseded by a "
                             "newer version, or thanked already")
        answered = already_replied(conn, [wanted], address)
    if wanted in answered:
        result = {"series": wanted, "name": items[0].mail.name, "status": "already-replied",
                  "target": answered[wanted]}
    else:
        out.mkdir(parents=True, exist_ok=True)
        result = deliver(engine, items[0], sender, out=out, client=None, server="")
    if archive:
        archive_done(engine, items, [result], sender)
    return result
