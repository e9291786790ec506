"""``patchdesk notify add|list|send``: mail to people about their patches, once per thing."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Annotated

import typer

from ..pipeline.notify import NotifyError, collect, send, subscribe
from ..store import notify as store
from . import app
from .messages import JsonOption
from .output import console, error, print_json

notify_app = typer.Typer(no_args_is_help=True, help="Mail to people about their patches (docs/feeds.md).")
app.add_typer(notify_app, name="notify")


@notify_app.command("add")
def notify_add(ctx: typer.Context, who: Annotated[str, typer.Argument(
        metavar='"NAME <ADDR>"', help="Who asked for mail about their patches, reviews and objections.")]) -> None:
    """Subscribe a person (what was true before is not told)."""
    try:
        sub_id = subscribe(ctx.obj.engine, who)
    except NotifyError as exc:
        error(str(exc))
        raise typer.Exit(2) from None
    console.print(f"subscriber {sub_id}: {who}", markup=False, highlight=False)


@notify_app.command("list")
def notify_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Subscribers and what they were told."""
    with ctx.obj.engine.connect() as conn:
        subs = [{"id": s.id, "address": s.address, "name": s.name, "items": store.told(conn, s.id)}
                for s in store.subscribers(conn)]
    if as_json:
        print_json(subs)
        return
    for s in subs:
        console.print(f"{s['id']}  {s['name']} <{s['address']}>  {len(s['items'])} items", markup=False,
                      highlight=False)


@notify_app.command("send")
def notify_send(ctx: typer.Context,
                sender: Annotated[str, typer.Option("--from", metavar='"NAME <ADDR>"', help="Who the mails are from.")],
                out: Annotated[Path | None, typer.Option("--out", metavar="DIR", help="Write the .eml files here.")] = None,
                smtp: Annotated[str | None, typer.Option("--smtp", metavar="HOST:PORT", help="Send through this server.")] = None,
                url: Annotated[str, typer.Option("--url", help="The desk's address, linked in the mails.")] = "",
                as_json: JsonOption = False) -> None:
    """Collect what is new for each subscriber and tell it, one digest each, never twice."""
    if (out is None) == (smtp is None):
        error("give one of --out DIR or --smtp HOST:PORT")
        raise typer.Exit(2)
    offered = collect(ctx.obj.engine)
    client = None
    try:
        if smtp:
            from .ty import _connect
            client = _connect(smtp, None, False)
        counts = send(ctx.obj.engine, sender, out=out, client=client, base_url=url)
    except (NotifyError, OSError, smtplib.SMTPException) as exc:
        error(str(exc))
        raise typer.Exit(1) from None
    finally:
        if client is not None:
            client.quit()
    if as_json:
        print_json({"offered": offered, **counts})
    else:
        console.print(f"{offered} new items; {counts['mails']} mails with {counts['items']} items", markup=False)
