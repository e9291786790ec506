"""``patchdesk ingest`` and ``patchdesk rebuild``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..pipeline.ingest import IngestSummary, ingest
from ..sources import KINDS, SourceError
from ..jobs.plan import SLICE
from . import app
from .output import amount, console, error, print_json, progress_bar
from .worker import BrokerOption, run_jobs


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
    sources: Annotated[list[Path], typer.Argument(
        help="mbox, Maildir, .eml, public-inbox, archive page, or a directory of them.")],
    list_name: Annotated[str | None, typer.Option("--list", help="List these messages belong to.")] = None,
    kind: Annotated[str, typer.Option(help=f"Source kind: {', '.join(KINDS)}.")] = "auto",
    jobs: Annotated[int, typer.Option(help="Parser processes (default: one per core).")] = 0,
    reread: Annotated[bool, typer.Option(help="Ignore cursors: read every source from the start.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    broker: BrokerOption = None,
    slice_size: Annotated[int, typer.Option("--slice", help="With --broker: messages per job.")] = SLICE,
) -> None:
    """Read list mail into the store (idempotent: known messages are skipped)."""
    engine = ctx.obj.engine
    if broker:
        summary = _with_workers(engine, broker, sources, list_name, kind, reread, slice_size, as_json)
        _report(summary, as_json)
        return
    with progress_bar(as_json) as bar:
        task = bar.add_task("reading", total=None)

        def progress(s: IngestSummary) -> None:
            if s.stage == "series":
                bar.update(task, description=f"{s.read:,} messages read; assembling series and versions",
                           total=None, completed=0)
                return
            what = f"{Path(s.source).name} {amount(s.done, s.unit)} of {amount(s.total, s.unit)}, " if s.total else ""
            bad = f", {s.quarantined} quarantined" if s.quarantined else ""
            bar.update(task, description=f"{what}{s.read:,} msgs, {s.rate:,.0f}/s{bad}",
                       total=s.total or None, completed=s.done)
        try:
            summary = ingest(engine, sources, list_name=list_name, kind=kind, jobs=jobs or None,
                             reread=reread, progress=progress)
        except SourceError as exc:
            error(str(exc))
            raise typer.Exit(2) from None
    _report(summary, as_json)


def _with_workers(engine, broker: str, sources: list[Path], list_name, kind: str, reread: bool,
                  slice_size: int, quiet: bool) -> IngestSummary:
    """Cut the sources into slices for `patchdesk worker` processes; wait."""
    import time

    from ..jobs.records import loads
    from ..jobs.runs import submit_ingest
    from ..jobs.tasks import summary_of
    started = time.perf_counter()
    try:
        submitted = submit_ingest(engine, sources, list_name=list_name, kind=kind, reread=reread,
                                  slice_size=slice_size)
    except SourceError as exc:
        error(str(exc))
        raise typer.Exit(2) from None
    run = run_jobs(engine, broker, submitted, "ingest", quiet)
    summary = summary_of(loads(run.result))
    summary.skipped_files = loads(run.spec).get("skipped", [])
    summary.seconds = time.perf_counter() - started
    return summary


def _report(summary: IngestSummary, as_json: bool) -> None:
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


@app.command("relink")
def relink_command(ctx: typer.Context, broker: BrokerOption = None) -> None:
    """Recompute every sender's series and version links, then judge the changed ones again."""
    from ..pipeline.review import refresh_review
    from ..pipeline.series import refresh_dirty
    from ..store.series import all_senders, mark_dirty
    from ..pipeline.applied import matcher
    engine = ctx.obj.engine
    if broker:
        from ..jobs.records import loads
        from ..jobs.runs import submit_relink
        series = loads(run_jobs(engine, broker, submit_relink(engine), "relink").result)["series"]
    else:
        with engine.begin() as conn:
            mark_dirty(conn, all_senders(conn))
        series = refresh_dirty(engine, placed=matcher())
        refresh_review(engine)
    console.print(f"{series} series assembled and linked", markup=False)
