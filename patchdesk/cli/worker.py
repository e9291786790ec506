"""``patchdesk worker``, and what the heavy commands share to use workers."""

from __future__ import annotations

from typing import Annotated

import typer

from . import app
from .output import err_console, error

BrokerOption = Annotated[str | None, typer.Option(
    "--broker", envvar="PATCHDESK_BROKER",
    help="Job queue URL (redis://HOST:PORT/DB); jobs then run in `patchdesk worker` processes. "
         "See docs/deploy.md.")]


@app.command("worker")
def worker_command(ctx: typer.Context, broker: BrokerOption = None,
                   processes: Annotated[int, typer.Option(help="Worker processes (CPU-bound jobs: one per core).")] = 1,
                   threads: Annotated[int, typer.Option(help="Jobs at once per process (jobs that wait: checks).")] = 1,
                   parsers: Annotated[int, typer.Option(help="Parser processes per ingest job.")] = 1) -> None:
    """Run jobs from the broker (ingest slices, series, review, tree scans, checks) until stopped."""
    from ..jobs.broker import BrokerError, _parse
    from ..jobs.worker import run
    if not broker:
        error("a worker needs a broker: --broker redis://HOST:PORT/DB or PATCHDESK_BROKER")
        raise typer.Exit(2)
    try:
        _parse(broker)
    except BrokerError as exc:
        error(str(exc))
        raise typer.Exit(2) from None
    ctx.obj.engine.dispose()  # opened (and migrated) once, before the processes start
    run(ctx.obj.db, broker, processes, threads, parsers)


def run_jobs(engine, broker: str | None, submitted: tuple[int, list], label: str, quiet: bool = False):
    """Send a submitted run's first jobs and wait for it, with a progress
    line; return the finished run row (exit 1 with the error if it failed)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..jobs.broker import connect
    from ..jobs.runner import wait
    run_id, queued = submitted
    queue = connect(broker)
    for job_id, token in queued:
        queue.send(job_id, token)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=quiet) as bar:
        task = bar.add_task(f"{label}: waiting for workers", total=None)

        def progress(run, jobs) -> None:
            from ..jobs.records import loads
            stage = jobs[-1].stage if jobs else "?"
            done = sum(j.state == "done" for j in jobs if j.stage == stage)
            mine = [j for j in jobs if j.stage == stage]
            read = sum(loads(j.result).get("read", 0) for j in jobs if j.stage == "ingest")
            extra = f", {read:,} messages" if read else ""
            bar.update(task, description=f"{label} run {run.id}: {stage} {done}/{len(mine)} jobs{extra}")
        run = wait(engine, run_id, queue, progress)
    if hasattr(queue, "close"):
        queue.close()
    if run.state != "done":
        error(f"run {run.id} failed: {run.error}")
        raise typer.Exit(1)
    return run
