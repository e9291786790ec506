"""``patchdesk thread`` (one tree) and ``patchdesk threads`` (recent ones)."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.table import Table

from ..pipeline.threads import load_thread
from ..store.threads import thread_roots
from . import app
from .messages import JsonOption
from .output import console, error, print_json, short_date

_PATCH_SUBJECT = re.compile(r"^\s*((re|fwd?|aw|sv)\s*:\s*)*\[[^\]]*\b(PATCH|RFC|GIT PULL)", re.I)


@app.command("thread")
def thread_command(ctx: typer.Context,
                   msgid: Annotated[str, typer.Argument(help="The Message-ID of any mail of the thread.")],
                   as_json: JsonOption = False) -> None:
    """Print the thread containing MSGID as a tree."""
    msgid = msgid.strip().strip("<>")
    with ctx.obj.engine.connect() as conn:
        rows = load_thread(conn, msgid)
    if not rows:
        error(f"no message {msgid}")
        raise typer.Exit(1)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        indent = "  " * row["depth"]
        if row["present"]:
            line = f"{indent}{row['subject']}  [{row['from']}, {short_date(row['date'])}]"
        else:
            line = f"{indent}(not seen) <{row['msgid']}>"
        console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command("threads")
def threads_command(ctx: typer.Context,
                    limit: Annotated[int, typer.Option(help="How many threads.")] = 20,
                    patches: Annotated[bool, typer.Option(help="Only threads started by a patch.")] = False,
                    as_json: JsonOption = False) -> None:
    """Most recently active threads."""
    with ctx.obj.engine.connect() as conn:
        out = []
        for root in thread_roots(conn, limit * (5 if patches else 1)):
            rows = [r for r in load_thread(conn, root) if r["present"]]
            if not rows:
                continue
            first = rows[0]
            if patches and not _PATCH_SUBJECT.match(first["subject"] or ""):
                continue
            dates = [r["date"] for r in rows if r["date"]]
            out.append({"root": root, "subject": first["subject"], "from": first["from"],
                        "messages": len(rows), "people": len({r["from"] for r in rows}),
                        "last": max(dates) if dates else None})
            if len(out) >= limit:
                break
    if as_json:
        print_json(out)
        return
    table = Table(title="threads")
    for column in ("last", "msgs", "people", "subject", "from"):
        table.add_column(column)
    for t in out:
        table.add_row(short_date(t["last"]), str(t["messages"]), str(t["people"]),
                      t["subject"], t["from"])
    console.print(table)
