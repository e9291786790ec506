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
from contextlib import suppress
from datetime import datetime, timezone
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from ..pipeline.thank import already_replied, archive_done, deliver, latest_of
from ..store.schema import Tree
from ..store.thanks import due
from ..trees.thanks import one_line
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
            wanted = latest_of(conn, only)
            items = [i for i in items if i.series_id == wanted]
            if not items:
                error(f"series {only} is not due a thank-you: not accepted in a tree, superseded by a newer "
                      "version, or thanked already")
                raise typer.Exit(1)
        answered = already_replied(conn, [i.series_id for i in items], parseaddr(sender)[1].lower())
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
        results = [deliver(engine, item, sender, out=None if dry_run else out, client=client, server=smtp or "")
                   for item in items]
    finally:
        if client is not None:
            with suppress(OSError, smtplib.SMTPException):
                client.quit()
    if archive and not dry_run:
        archive_done(engine, items + due_skipped, skipped + results, sender)
    _report(skipped + results, as_json, dry_run)
    if any(r["status"] == "failed" for r in results):
        raise typer.Exit(1)


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
