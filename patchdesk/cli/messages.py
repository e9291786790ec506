"""``patchdesk status``, ``show`` and ``quarantine``: what the store holds."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from ..store import messages as store
from ..store.schema import Quarantine
from . import app
from .output import console, error, print_json, short_date

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.command("status")
def status_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Counts of stored, deleted, conflicting and quarantined messages."""
    with ctx.obj.engine.connect() as conn:
        totals = store.counts(conn)
    if as_json:
        print_json(totals)
        return
    table = Table(title="store")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in totals.items():
        table.add_row(key, str(value))
    console.print(table)


@app.command("doctor")
def doctor_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check the store in full: file, database pages, and every raw message
    against its hash (exit 1 when anything is damaged)."""
    from pathlib import Path

    from ..pipeline.doctor import examine
    from ..store.db import check_location, make_engine, resolve_url
    url = resolve_url(ctx.obj.db)
    check_location(url, create=False, header=False)  # a damaged header is a finding, reported below
    path = Path(url.split(":///", 1)[1]) if url.startswith("sqlite:///") else None
    engine = make_engine(url)
    try:
        found = examine(engine, path)
    finally:
        engine.dispose()
    if as_json:
        print_json(found.as_dict())
    else:
        _print_findings(found)
    raise typer.Exit(0 if found.ok else 1)


def _print_findings(found) -> None:
    say = lambda text: console.print(text, markup=False, highlight=False)  # noqa: E731
    say(f"file header: {found.header or 'ok'}")
    say("database pages: " + ("ok" if not found.integrity else f"{len(found.integrity)} problem(s)"))
    for problem in found.integrity:
        say(f"  {problem}")
    for name, checked in found.checked.items():
        bad = found.bad_raw.get(name, [])
        say(f"raw mail, {name}: {checked} checked, " + (f"{len(bad)} damaged (ids {', '.join(map(str, bad[:20]))})"
                                                       if bad else "all intact"))
    if found.error:
        say(f"could not finish: {found.error}")
    if not found.ok:
        say("damaged: `patchdesk rebuild` mends derived data; damaged raw mail needs its source ingested again")
    else:
        say("the store is whole")


@app.command("message")
def message_command(ctx: typer.Context,
                    msgid: Annotated[str, typer.Argument(help="A Message-ID (with or without <>).")],
                 raw: Annotated[bool, typer.Option("--raw", help="Print the raw bytes.")] = False,
                 as_json: JsonOption = False) -> None:
    """Show the stored message(s) with this Message-ID."""
    msgid = msgid.strip().strip("<>")
    with ctx.obj.engine.connect() as conn:
        rows = store.messages_by_msgid(conn, [msgid])
        if not rows:
            error(f"no message {msgid}")
            raise typer.Exit(1)
        if raw:
            for row in rows:
                sys.stdout.buffer.write(store.raw_message(conn, row.id))
            return
    if as_json:
        print_json([row._asdict() for row in rows])
        return
    for row in rows:
        console.print(f"[bold]{row.subject}[/bold]", markup=True, highlight=False)
        console.print(f"From: {row.from_name} <{row.from_addr}>", markup=False)
        console.print(f"Date: {short_date(row.date)}   flags: {row.flags or '-'}"
                      f"{'   DELETED' if row.deleted else ''}", markup=False)


quarantine_app = typer.Typer(help="Messages that could not be read.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List quarantined messages with their reasons."""
    with ctx.obj.engine.connect() as conn:
        rows = conn.execute(select(Quarantine.id, Quarantine.reason, Quarantine.size,
                                   Quarantine.position, Quarantine.created_at)
                            .order_by(Quarantine.id)).all()
    if as_json:
        print_json([row._asdict() for row in rows])
        return
    table = Table(title=f"quarantine ({len(rows)})")
    for column in ("id", "reason", "bytes", "position"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.id), row.reason, str(row.size), row.position)
    console.print(table)


@quarantine_app.command("show")
def quarantine_show(ctx: typer.Context,
                    qid: Annotated[int, typer.Argument(help="A quarantine record's id (from `patchdesk quarantine`).")]) -> None:
    """Write the raw bytes of a quarantined message to stdout."""
    with ctx.obj.engine.connect() as conn:
        data = conn.execute(select(Quarantine.raw).where(Quarantine.id == qid)).scalar()
    if data is None:
        error(f"no quarantined message {qid}")
        raise typer.Exit(1)
    sys.stdout.buffer.write(store.decompress(data))
