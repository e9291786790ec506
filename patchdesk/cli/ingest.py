"""``patchdesk ingest`` and ``patchdesk rebuild``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..pipeline.ingest import IngestSummary, ingest
from ..sources import KINDS, SourceError
from . import app
from .output import console, err_console, error, print_json


def _summary_table(s: IngestSummary) -> Table:
    table = Table(title="ingest", show_header=True)
    for column in ("read", "stored", "known", "quarantined", "conflicts", "deleted", "msg/s"):
        table.add_column(column, justify="right")
    table.add_row(*(str(v) for v in (s.read, s.stored, s.known, s.quarantined,
                                      s.conflicts, s.deleted)), f"{s.rate:,.0f}")
    return table


def summary_dict(s: IngestSummary) -> dict:
    return {"read": s.read, "stored": s.stored, "known": s.known,
            "quarantined": s.quarantined, "conflicts": s.conflicts, "deleted": s.deleted,
            "missing_blobs": s.missing, "skipped_files": s.skipped_files,
            "quarantine_reasons": dict(s.reasons), "seconds": round(s.seconds, 3),
            "balanced": s.balanced}


@app.command("ingest")
def ingest_command(
    ctx: typer.Context,
    sources: Annotated[list[Path], typer.Argument(help="mbox, Maildir, .eml, public-inbox, archive page, or a directory of them.")],
    list_name: Annotated[str | None, typer.Option("--list", help="List these messages belong to.")] = None,
    kind: Annotated[str, typer.Option(help=f"Source kind: {', '.join(KINDS)}.")] = "auto",
    jobs: Annotated[int, typer.Option(help="Parser processes (default: one per core).")] = 0,
    reread: Annotated[bool, typer.Option(help="Ignore cursors: read every source from the start.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Read list mail into the store (idempotent: known messages are skipped)."""
    engine = ctx.obj.engine
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("reading", total=None)

        def progress(s: IngestSummary) -> None:
            if s.stage == "series":
                bar.update(task, description=f"{s.read:,} messages read; assembling series and versions")
                return
            bar.update(task, description=f"{s.read:,} messages  {s.rate:,.0f} msg/s  "
                                         f"{s.quarantined} quarantined")
        try:
            summary = ingest(engine, sources, list_name=list_name, kind=kind, jobs=jobs or None,
                             reread=reread, progress=progress)
        except SourceError as exc:
            error(str(exc))
            raise typer.Exit(2) from None
    if as_json:
        print_json(summary_dict(summary))
    else:
        console.print(_summary_table(summary))
        for reason, n in summary.reasons.most_common():
            console.print(f"  quarantined {n}: {reason}")
        if summary.skipped_files:
            console.print(f"  skipped {len(summary.skipped_files)} non-mail files")
    if not summary.balanced:
        raise typer.Exit(1)


@app.command("rebuild")
def rebuild_command(ctx: typer.Context) -> None:
    """Recompute everything derived (fields, threads, series, lineage) from the raw mail."""
    from ..pipeline.rebuild import rebuild
    result = rebuild(ctx.obj.engine)
    console.print(f"re-parsed {result['messages']} messages: {result['thread_nodes']} thread nodes, "
                  f"{result['submissions']} patches and covers, {result['series']} series")
