"""``patchdesk ty``: thank the authors of series a tree accepted.

One reply per series, written as an ``.eml`` file (``--out``) or sent
through an SMTP server (``--smtp``), recorded only once it was written or
the server accepted it, and never twice (a UNIQUE key in the store, see
``store.thanks.claim``).  ``--dry-run`` shows the replies and records
nothing.  The composing is ``trees.thanks``; this module only delivers.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from contextlib import suppress
from datetime import datetime, timezone
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from ..store.desk import add_triage
from ..store.queries import find_series, patch_dicts, version_chain
from ..store.schema import Tree
from ..store.thanks import claim, due
from ..trees.thanks import FILE_POLICY, compose, file_name, one_line
from . import app
from .messages import JsonOption
from .output import console, error, print_json

PASSWORD_ENV = "PATCHDESK_SMTP_PASSWORD"


def _server(spec: str) -> tuple[str, int]:
    host, colon, port = spec.rpartition(":")
    if not colon or not port.isdigit() or "]" in port:
        return spec.strip("[]"), 25
    return host.strip("[]"), int(port)


def _connect(spec: str, user: str | None, starttls: bool) -> smtplib.SMTP:
    host, port = _server(spec)
    client = smtplib.SMTP(host, port, timeout=60)
    client.ehlo()
    if starttls:
        client.starttls(context=ssl.create_default_context())
        client.ehlo()
    if user:
        client.login(user, os.environ.get(PASSWORD_ENV, ""))
    return client


def _write(path: Path, data: bytes) -> None:
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


def _free_path(out: Path, name: str) -> Path:
    stem, n = name[:-len(".eml")], 1
    while (out / (name if n == 1 else f"{stem}-{n}.eml")).exists():
        n += 1
    return out / (name if n == 1 else f"{stem}-{n}.eml")


def _entry(item, msg, to, cc) -> dict:
    mail = item.mail
    return {"series": item.series_id, "name": mail.name, "subject": str(msg["Subject"]),
            "in_reply_to": mail.msgid, "message_id": str(msg["Message-ID"]).strip("<>"),
            "to": [str(a) for a in to], "cc": [str(a) for a in cc],
            "applied": [{"number": p.number, "subject": p.subject, "msgid": p.msgid, "commit": p.sha,
                         "tree": p.tree, "branch": p.branch, "method": p.method} for p in mail.applied],
            "pending": [{"number": p.number, "subject": p.subject, "msgid": p.msgid, "state": p.state}
                        for p in mail.pending]}


@app.command("ty")
def ty_command(
        ctx: typer.Context,
        out: Annotated[Path | None, typer.Option("--out", metavar="DIR", help="Write one .eml per series here.")] = None,
        smtp: Annotated[str | None, typer.Option("--smtp", metavar="HOST:PORT", help="Send through this SMTP "
                                                                                     "server.")] = None,
        smtp_user: Annotated[str | None, typer.Option("--smtp-user", help=f"Log in as this user (password from "
                                                                           f"${PASSWORD_ENV}).")] = None,
        starttls: Annotated[bool, typer.Option("--starttls", help="Use STARTTLS before logging in.")] = False,
        sender: Annotated[str | None, typer.Option("--from", envvar="PATCHDESK_FROM", metavar='"NAME <ADDR>"',
                                                   help="Who the replies are from.")] = None,
        tree: Annotated[str | None, typer.Option("--tree", help="Only series applied to this tree.")] = None,
        partial: Annotated[bool, typer.Option("--partial", help="Also partially-accepted series.")] = False,
        since: Annotated[str | None, typer.Option("--since", metavar="DATE", help="Only series with a commit "
                                                                                  "committed since DATE.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the replies; write, send and record "
                                                                "nothing.")] = False,
        only: Annotated[str | None, typer.Option("--series", metavar="SERIES", help=(
            "Only this series (an id or any member's Message-ID); its latest version."))] = None,
        archive: Annotated[bool, typer.Option("--archive", help=(
            "Archive each series thanked (or already thanked) on your desk (see `patchdesk queue`)."))] = False,
        as_json: JsonOption = False) -> None:
    """Thank-you replies to series newly accepted in a tree (as .eml or by SMTP)."""
    sender = one_line(sender or "")
    if "@" not in parseaddr(sender)[1]:
        error('--from "Name <address>" (or PATCHDESK_FROM) is required')
        raise typer.Exit(2)
    if not dry_run and (out is None) == (smtp is None):
        error("give one of --out DIR or --smtp HOST:PORT (or --dry-run)")
        raise typer.Exit(2)
    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        error(f"--since: not an ISO date: {since!r}")
        raise typer.Exit(2)
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    engine = ctx.obj.engine
    with engine.connect() as conn:
        if tree and conn.execute(select(Tree.id).where(Tree.name == tree)).first() is None:
            error(f"no tree named {tree!r}")
            raise typer.Exit(1)
        items = due(conn, partial=partial, tree=tree, since=start)
        if only is not None:
            wanted = _latest(conn, only)
            items = [i for i in items if i.series_id == wanted]
            if not items:
                error(f"series {only} is not due a thank-you: not accepted in a tree, superseded by a newer "
                      "version, or thanked already")
                raise typer.Exit(1)
        answered = _answered(conn, [i.series_id for i in items], parseaddr(sender)[1].lower())
    # the maintainer already said "applied, thanks" in the thread: no second thank-you
    skipped = [{"series": i.series_id, "name": i.mail.name, "status": "already-replied",
                "target": answered[i.series_id]} for i in items if i.series_id in answered]
    due_skipped = [i for i in items if i.series_id in answered]
    items = [i for i in items if i.series_id not in answered]
    client = None
    try:
        if items and not dry_run and out is not None:
            out.mkdir(parents=True, exist_ok=True)
        if items and not dry_run and smtp is not None:
            client = _connect(smtp, smtp_user, starttls)
    except (OSError, smtplib.SMTPException) as exc:
        error(f"{out or smtp}: {exc}")
        raise typer.Exit(1)
    try:
        results = [_one(engine, item, sender, out=None if dry_run else out, client=client, server=smtp or "")
                   for item in items]
    finally:
        if client is not None:
            with suppress(OSError, smtplib.SMTPException):
                client.quit()
    if archive and not dry_run:
        done = {r["series"] for r in skipped + results if r["status"] in ARCHIVABLE}
        with engine.begin() as conn:
            for item in items + [i for i in due_skipped if i.series_id in done]:
                if item.series_id in done:
                    add_triage(conn, item.anchor, "archived", why="thanked", by=sender)
        for r in skipped + results:
            r["archived"] = r["series"] in done
    _report(skipped + results, as_json, dry_run)
    if any(r["status"] == "failed" for r in results):
        raise typer.Exit(1)


#: Results after which a series is done on the desk (``--archive``).
ARCHIVABLE = ("written", "sent", "already-thanked", "already-replied")


def _latest(conn, ident: str) -> int | None:
    series_id = find_series(conn, ident)
    if series_id is None:
        return None
    chain = version_chain(conn, series_id)
    return chain[-1] if chain else series_id


def _answered(conn, series_ids: list[int], address: str) -> dict[int, str]:
    """series id -> the reply in which ``address`` already said it applied
    the series (an "applied" verdict, not negated, on any of its patches)."""
    found: dict[int, str] = {}
    for p in patch_dicts(conn, series_ids) if series_ids else []:
        for v in p["verdicts"]:
            if v["kind"] == "applied" and not v["negated"] and v["by_email"].lower() == address:
                found.setdefault(p["series"], v["msgid"])
    return found


def _one(engine, item, sender: str, *, out: Path | None, client: smtplib.SMTP | None, server: str) -> dict:
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
    entry = _entry(item, msg, to, cc)
    if out is None and client is None:
        return {**entry, "status": "dry-run", "message": msg.as_string(policy=FILE_POLICY)}
    rcpts = [a.addr_spec for a in to + cc]
    target = str(_free_path(out, file_name(item.series_id, item.mail.name))) if out else server
    try:
        with claim(engine, item, reply_msgid=msgid, subject=entry["subject"], recipients=rcpts,
                   via="file" if out else "smtp", target=target, now=now) as mine:
            if not mine:
                return {**entry, "status": "already-thanked"}
            if out is not None:
                _write(Path(target), msg.as_bytes(policy=FILE_POLICY))
                return {**entry, "status": "written", "target": target}
            refused = client.send_message(msg, from_addr=address, to_addrs=rcpts)
            return {**entry, "status": "sent", "target": target, "refused": sorted(refused)}
    except (OSError, smtplib.SMTPException) as exc:
        return {**entry, "status": "failed", "error": str(exc)}


def _report(results: list[dict], as_json: bool, dry_run: bool) -> None:
    if as_json:
        print_json(results)
        return
    say = lambda text: console.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731
    for r in results:
        if dry_run and "message" in r:
            say(f"--- series {r['series']}: {r['name']}\n{r['message']}")
            continue
        where = f" {r['target']}" if r.get("target") else ""
        say(f"series {r['series']} {r['name']}: {r['status']}{where}" + (f" ({r['error']})" if r.get("error") else ""))
    if not results:
        say("no accepted series to thank")
