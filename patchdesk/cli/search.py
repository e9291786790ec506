"""``patchdesk search QUERY``: lore's query language over the store (docs/search.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..pipeline.search import KINDS, search
from ..search.query import QueryError
from . import app
from .messages import JsonOption
from .output import console, error, print_json, short_date


@app.command("search")
def search_command(ctx: typer.Context,
                   query: Annotated[str, typer.Argument(help=(
                       'A lore-style query: s:subject f:from t: c: a: b: nq: q: dfn: dfa: dfb: dfctx: dfhh: d: m:, '
                       'and state: v: list: reviewer: is:applied|open tree:; "phrases", AND, OR, NOT, -term, ( ).'))],
                   kind: Annotated[str, typer.Option("--as", help=f"Results as {', '.join(KINDS)}.")] = "series",
                   limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="At most this many.")] = 50,
                   as_json: JsonOption = False) -> None:
    """Search messages, patches or series (the first search indexes the store's messages)."""
    try:
        found = search(ctx.obj.engine, query, kind=kind, limit=limit)
    except QueryError as exc:
        error(f"query: {exc}")
        raise typer.Exit(2) from None
    if as_json:
        print_json({"query": found.query, "as": found.kind, "total": found.total, "results": found.results})
        return
    table = Table(title=f"{found.total} {found.kind} for {query}")
    if found.kind == "series":
        for column in ("id", "ver", "state", "last activity", "name", "submitter"):
            table.add_column(column)
        for s in found.results:
            table.add_row(str(s["id"]), s["version_label"], s["state"], short_date(s["last_activity"]), s["name"],
                          s["submitter"])
    else:
        for column in ("date", "from", "subject", "msgid"):
            table.add_column(column)
        for r in found.results:
            table.add_row(short_date(r["date"]), r["from"], r["subject"], r["msgid"])
    console.print(table)
