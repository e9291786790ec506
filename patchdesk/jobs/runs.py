"""Runs: one piece of heavy work as stages of jobs, and how stages follow.

    ingest   ingest (one job per slice) -> series (N) -> review (N) -> finish
    scan     scan (one job per tree, matching too) -> review (N) -> finish
    check    check (one job per series)
    relink   series (N) -> review (N) -> finish, every sender marked dirty first

A run is a row of the jobs table and its jobs point at it.  Whichever job
finishes its stage last (deciding that under the run's row lock) creates
the next stage, so a run completes without its submitter; the submitter
only waits and reports.  Series jobs share an outbox that needs every
message of the run stored first, hence the stage barrier; N of them
(``parallel``) empty it together, extra ones find it empty and finish.
Review jobs get shares of the dirty threads cut by sender when the stage
starts (``store.review.review_shares``), so they rarely judge the same
series; ``finish`` judges whatever was marked after that.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine

from ..store import messages as store
from ..store.review import review_shares
from ..store.series import all_senders, mark_dirty
from ..store.retry import transaction
from . import records
from .plan import SLICE, plan
from .tasks import counts, summary_of

#: series and review jobs per run: up to this many workers share the stage
#: (the ones that find the outbox empty finish at once)
PARALLEL = 16
STAGES = {"ingest": ("ingest", "series", "review", "finish"), "scan": ("scan", "review", "finish"),
          "check": ("check",), "relink": ("series", "review", "finish")}

Queued = list[tuple[int, str]]


def _specs(conn: Connection, stage: str, spec: dict, jobs: list) -> list[dict]:
    if stage == "series":
        store.refresh_statistics(conn, sum(records.loads(j.result).get("stored", 0) for j in jobs
                                           if j.stage == "ingest"))
        return [{} for _ in range(spec.get("parallel", PARALLEL))]
    if stage == "review":
        return [{"roots": share} for share in review_shares(conn, spec.get("parallel", PARALLEL)) if share]
    if stage == "finish":
        return [{"cursors": spec.get("cursors", {})}]
    raise ValueError(f"stage {stage!r} takes its jobs from the submitter")


def advance(conn: Connection, run, after: int) -> Queued:
    """Create the first stage after index ``after`` that has work; mark the
    run done when none has.  Call holding the run's row lock."""
    spec = records.loads(run.spec)
    order = STAGES[spec["type"]]
    jobs = records.children(conn, run.id)
    for stage in order[after + 1:]:
        specs = _specs(conn, stage, spec, jobs)
        if specs:
            return [records.create(conn, stage, s, run.id, stage) for s in specs]
    records.finish(conn, run.id, result_of(spec, jobs))
    return []


def stage_done(conn: Connection, run, stage: str) -> Queued:
    """After a job of ``stage`` finished: the next stage, if it was the last."""
    jobs = records.children(conn, run.id)
    if run.state in records.DONE or any(j.state != "done" for j in jobs if j.stage == stage):
        return []
    return advance(conn, run, STAGES[records.loads(run.spec)["type"]].index(stage))


def result_of(spec: dict, jobs: list) -> dict:
    results = [(j.stage, records.loads(j.result)) for j in jobs]
    kind = spec["type"]
    if kind == "ingest":
        total = summary_of({})
        for stage, r in results:
            if stage in ("ingest", "finish"):
                total.add(summary_of(r))
        return {**counts(total), "series": sum(r.get("series", 0) for s, r in results if s == "series")}
    if kind == "scan":
        scans = [r for s, r in results if s == "scan"]
        return {"trees": [r for r in scans if "error" not in r],
                "failed": [r for r in scans if "error" in r],
                "matched": sum(r.get("matched", 0) for r in scans)}
    if kind == "check":
        return {"checks": [r for s, r in results if s == "check"]}
    return {"series": sum(r.get("series", 0) for s, r in results if s == "series")}


def _submit(engine: Engine, kind: str, spec: dict, first: list[dict] | None, before=None) -> tuple[int, Queued]:
    """Record a run with its first stage (``first`` None: the stage makes
    its own jobs; empty: nothing to do there, go on to the next)."""
    def work(conn: Connection) -> tuple[int, Queued]:
        if before is not None:
            before(conn)
        run_id, _ = records.create(conn, "run", {**spec, "type": kind})
        records.start(conn, run_id, "submitter")
        stage = STAGES[kind][0]
        if first:
            return run_id, [records.create(conn, stage, s, run_id, stage) for s in first]
        return run_id, advance(conn, records.get(conn, run_id), -1 if first is None else 0)
    return transaction(engine, work)


def submit_ingest(engine: Engine, paths: list[Path], *, list_name: str | None = None, kind: str = "auto",
                  reread: bool = False, slice_size: int = SLICE, parallel: int = PARALLEL) -> tuple[int, Queued]:
    """Plan ``paths`` into slices and record the run; return its id and the
    jobs to send."""
    paths = [p.resolve() if p.exists() else p for p in paths]  # one archive, one source
    with engine.begin() as conn:
        list_id = store.ensure_list(conn, list_name) if list_name else None
        registered = [store.ensure_source(conn, "path", str(p)) for p in paths]
    found = plan(paths, registered, kind, reread, slice_size)
    spec = {"parallel": parallel, "skipped": found.skipped,
            "cursors": {str(sid): c for sid, c in found.cursors.items()}}
    return _submit(engine, "ingest", spec, [{**s, "list_id": list_id} for s in found.slices])


def submit_scan(engine: Engine, trees: list[str], parallel: int = PARALLEL) -> tuple[int, Queued]:
    return _submit(engine, "scan", {"parallel": parallel}, [{"tree": t} for t in trees])


def submit_check(engine: Engine, series_ids: list[int], tree: str, cmd: str, timeout: float) -> tuple[int, Queued]:
    return _submit(engine, "check", {}, [{"series": s, "tree": tree, "cmd": cmd, "timeout": timeout}
                                         for s in series_ids])


def submit_relink(engine: Engine, parallel: int = PARALLEL) -> tuple[int, Queued]:
    """Recompute every sender's series and lineage, then judge them again."""
    return _submit(engine, "relink", {"parallel": parallel}, None,
                   before=lambda conn: mark_dirty(conn, all_senders(conn)))
