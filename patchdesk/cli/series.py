"""``patchdesk series``, ``show``, ``interdiff`` and ``export``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..model import RawMail
from ..parse import parse
from ..parse.patch import split_patch
from ..store.queries import export, find_series, list_series, series_detail, version_label
from ..store.messages import raw_of
from ..store.series import load_series_info
from ..versions.interdiff import interdiff
from . import app
from .messages import JsonOption
from .output import console, error, print_json, short_date


@app.command("series")
def series_command(ctx: typer.Context,
                   all_: Annotated[bool, typer.Option("--all", help="Include superseded series.")] = False,
                   as_json: JsonOption = False) -> None:
    """Series in flight (latest versions), oldest first."""
    with ctx.obj.engine.connect() as conn:
        rows = list_series(conn, include_superseded=all_)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"series ({len(rows)})")
    for column in ("id", "date", "ver", "patches", "state", "name", "submitter", "prev"):
        table.add_column(column)
    for s in rows:
        got = f"{len(s['patches'])}/{s['total']}" + ("" if s["complete"] else " !")
        table.add_row(str(s["id"]), short_date(s["date"]), s["version_label"], got, s["state"],
                      s["name"], s["submitter"], str(s["previous"] or ""))
    console.print(table)


def _resolve(conn, ident: str) -> int:
    series_id = find_series(conn, ident)
    if series_id is None:
        error(f"no series {ident}")
        raise typer.Exit(1)
    return series_id


@app.command("show")
def show_command(ctx: typer.Context, ident: Annotated[str, typer.Argument(metavar="ID|MSGID")],
                 as_json: JsonOption = False) -> None:
    """One series: its patches, states, versions and the evidence linking them."""
    with ctx.obj.engine.connect() as conn:
        detail = series_detail(conn, _resolve(conn, ident))
    if as_json:
        print_json(detail)
        return
    console.print(f"[bold]{detail['name']}[/bold] {detail['version_label']}  "
                  f"(series {detail['id']}, {detail['state']})", highlight=False)
    console.print(f"from {detail['submitter']} <{detail['submitter_email']}>, "
                  f"{short_date(detail['date'])}; cover: {detail['cover'] or '-'}", markup=False)
    if detail["missing"]:
        console.print(f"missing patches: {', '.join(map(str, detail['missing']))}", markup=False)
    console.print("versions: " + " -> ".join(
        f"[{'bold' if v == detail['id'] else 'dim'}]{v}[/]" for v in detail["versions"]))
    if detail["previous_evidence"]:
        ev = detail["previous_evidence"]
        console.print(f"previous: {ev['series']} ({ev['confidence']:.2f}: {ev['evidence']})", markup=False)
    for p in detail["patch_details"]:
        console.print(f"  {p['number']:>3}  {p['state']:<11} {p['subject']}", markup=False, highlight=False)
        for older in p["supersedes"]:
            console.print(f"       replaces <{older}>", markup=False, highlight=False)


@app.command("interdiff")
def interdiff_command(ctx: typer.Context, old: str, new: str) -> None:
    """What changed between two versions, patch by patch (from the mails)."""
    with ctx.obj.engine.connect() as conn:
        older = load_series_info(conn, _resolve(conn, old))
        newer = load_series_info(conn, _resolve(conn, new))
        raws = raw_of(conn, [p.msgid for p in older.patches + newer.patches])
    texts = {}
    for msgid, (raw, fmt) in raws.items():
        parsed = parse(RawMail(raw, "", fmt))
        body = split_patch(parsed.body, parsed.attachments)
        texts[msgid] = body.diff.text if body.diff else ""
    console.print(f"{older.name} {version_label(*older.version)} -> "
                  f"{newer.name} {version_label(*newer.version)}", markup=False, highlight=False)
    for section in interdiff(older, newer, texts):
        left = ", ".join(section.older) or "-"
        right = ", ".join(section.newer) or "-"
        console.print(f"\n[{section.kind}] {left}  =>  {right}   ({section.evidence})",
                      markup=False, highlight=False)
        if section.diff:
            console.print(section.diff, markup=False, highlight=False, soft_wrap=True)


@app.command("export")
def export_command(ctx: typer.Context) -> None:
    """The whole store as one JSON document (the contract in docs/export.md)."""
    with ctx.obj.engine.connect() as conn:
        print_json(export(conn))
