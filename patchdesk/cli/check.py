"""``patchdesk check SERIES... --tree NAME --cmd COMMAND``: bisectability."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from ..pipeline.prepare import default_jobs
from ..pipeline.checks import check_job
from ..store.checks import save_check
from ..pipeline.am import current
from ..store.queries import series_detail
from ..store.schema import Tree
from ..trees.check import CheckResult, Step, run_checks
from . import app
from .worker import BrokerOption, run_jobs
from .messages import JsonOption
from .output import console, error, print_json
from .series import VersionOption, resolve_version


@app.command("check")
def check_command(ctx: typer.Context, idents: Annotated[list[str], typer.Argument(
                      metavar="SERIES...", help="Series ids or Message-IDs of any of their mails.")],
                  tree_name: Annotated[str, typer.Option("--tree", help="A registered tree.")],
                  cmd: Annotated[str, typer.Option("--cmd", help="Run after each patch (sh -c); only "
                                                                  "ever from you, never from a mail.")],
                  timeout: Annotated[float, typer.Option("--timeout", help="Seconds per step.")] = 600,
                  jobs: Annotated[int | None, typer.Option("--jobs", help="Series checked at once "
                                                                          "(default: one per core).")] = None,
                  version: VersionOption = None, as_json: JsonOption = False, broker: BrokerOption = None) -> None:
    """Apply each series (its latest version, or --version N) patch by patch in a temporary worktree
    and run COMMAND on the base and after each patch."""
    engine = ctx.obj.engine
    with engine.connect() as conn:
        tree = conn.execute(select(Tree).where(Tree.name == tree_name)).first()
        if tree is None:
            error(f"no tree named {tree_name!r}")
            raise typer.Exit(1)
        series_ids = [resolve_version(conn, i, version) for i in idents]
        work = [] if broker else [check_job(conn, current(conn, series_detail(conn, s)), tree, cmd, timeout)
                                  for s in series_ids]
    if broker:  # one job per series, on the workers (which need the tree at the same path)
        results, ids = _on_workers(engine, broker, series_ids, tree_name, cmd, timeout, as_json)
    else:
        results = run_checks(work, jobs or default_jobs())
        with engine.begin() as conn:
            ids = [save_check(conn, tree.id, r) for r in results]
    if as_json:
        print_json([{**r.as_dict(), "id": i} for r, i in zip(results, ids)])
    else:
        _report(results, tree_name)
    if not all(r.bisectable for r in results):
        raise typer.Exit(3)


def _on_workers(engine, broker: str, series_ids: list[int], tree: str, cmd: str, timeout: float,
                quiet: bool) -> tuple[list[CheckResult], list[int]]:
    from ..jobs.records import loads
    from ..jobs.runs import submit_check
    run = run_jobs(engine, broker, submit_check(engine, series_ids, tree, cmd, timeout), "check", quiet)
    done = {c["series_id"]: c for c in loads(run.result)["checks"]}
    results, ids = [], []
    for series_id in series_ids:
        found = done[series_id]
        steps = [Step(**step) for step in found["steps"]]
        results.append(CheckResult(series_id, found["base"], found["base_source"], found["command"], steps,
                                   found["error"]))
        ids.append(found["id"])
    return results, ids


#: Lines of a failing step's output shown in the text report (all of it is in --json).
SHOWN_LINES = 15


def _report(results, tree_name: str) -> None:
    for r in results:
        verdict = "bisectable" if r.bisectable else (f"breaks at patch {r.first_bad}" if r.first_bad else r.error)
        console.print(f"series {r.series_id} on {tree_name} ({r.base_source} {r.base[:12]}): {verdict}",
                      markup=False, highlight=False, soft_wrap=True)
        for s in r.steps:
            state = "does not apply" if not s.applies else ("timed out" if s.timed_out else
                                                           ("passed" if s.passed else f"failed ({s.exit_code})"))
            console.print(f"  {s.number:>3}  {state}  {s.seconds:.1f}s", markup=False, highlight=False)
            if not (s.applies and s.passed) and s.log_tail.strip():
                for line in s.log_tail.rstrip().splitlines()[-SHOWN_LINES:]:
                    console.print(f"       | {line}", markup=False, highlight=False, soft_wrap=True)
