"""What each kind of job does: the same store functions a single process
calls, run by whichever worker took the job.

* ``ingest``: read one slice (``jobs.slices``) with the ingest loop, the
  job's cursor and counts committed with every batch;
* ``series``: empty the ``dirty_senders`` outbox; several such jobs share
  it (each claims chunks);
* ``review``: judge a share of the dirty threads (``dirty_roots``);
* ``finish``: judge threads marked after the shares were cut, flag
  Message-ID conflicts two workers could not see in each other's
  uncommitted batches, save the sources' cursors;
* ``scan``: read a git tree's new commits and match patches to them (one
  transaction with the saved head, ``pipeline.trees.scan_tree``);
* ``check``: a bisectability check of one series.

Every job may run twice (a redelivery after a crash): each is written so
that the second run finds its work done or resumes it.
"""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import Connection, Engine, func, select, update

from ..pipeline.ingest import IngestSummary, _write, pump
from ..pipeline.prepare import Preparer
from ..store.messages import save_cursor
from ..store.retry import transaction, xact_lock
from ..store.schema import Message, Source, Tree
from ..pipeline.review import refresh_review
from ..pipeline.series import refresh_dirty
from ..pipeline.trees import TreeError, scan_tree
from ..pipeline.applied import matcher
from . import records
from .slices import reader

#: parser processes per ingest job (``patchdesk worker --parsers``); one,
#: because the parallelism is the workers themselves
PARSERS = 1
COUNTS = ("read", "stored", "known", "quarantined", "conflicts", "deleted", "missing")


def counts(summary: IngestSummary) -> dict:
    return {**{k: getattr(summary, k) for k in COUNTS}, "reasons": dict(summary.reasons)}


def summary_of(result: dict) -> IngestSummary:
    return IngestSummary(**{k: result.get(k, 0) for k in COUNTS}, reasons=Counter(result.get("reasons", {})))


def ingest(engine: Engine, job, spec: dict) -> dict:
    total = summary_of(records.loads(job.result))
    source = reader(spec)
    started, writing = time.perf_counter(), 0.0

    def write(conn: Connection, batch, prepared, delta: IngestSummary) -> None:
        nonlocal writing
        begun = time.perf_counter()
        _write(conn, batch, prepared, spec["source_id"], spec.get("list_id"), delta)
        done = summary_of(counts(total))
        done.add(delta)
        records.progress(conn, job.id, batch.cursor, counts(done))
        writing += time.perf_counter() - begun

    preparer = Preparer(PARSERS)
    try:
        for delta in pump(engine, preparer, source, records.loads(job.cursor), write):
            total.add(delta)
    finally:
        preparer.close()
    total.missing += getattr(source, "missing", 0)
    # seconds of this attempt: writing (store, threads) and the rest (read, parse)
    return {**counts(total), "write_s": round(writing, 3), "job_s": round(time.perf_counter() - started, 3)}


def _serialized(hook):
    """Tree matching of newly placed patches, one transaction at a time:
    two series jobs could otherwise give one commit to two patches."""
    def placed(conn: Connection, msgids: set[str]) -> None:
        if msgids:
            xact_lock(conn, "applied")
        hook(conn, msgids)
    return placed


def series(engine: Engine, job, spec: dict) -> dict:
    return {"series": refresh_dirty(engine, placed=_serialized(matcher()))}


def review(engine: Engine, job, spec: dict) -> dict:
    return {"series": refresh_review(engine, roots=spec["roots"])}


def finish(engine: Engine, job, spec: dict) -> dict:
    refresh_review(engine)

    def work(conn: Connection) -> dict:
        clashing = select(Message.msgid).group_by(Message.msgid).having(func.count() > 1)
        flagged = conn.execute(update(Message).where(Message.msgid_conflict.is_(False),
                                                     Message.msgid.in_(clashing))
                               .values(msgid_conflict=True)).rowcount
        for source_id, finals in spec["cursors"].items():
            current = conn.execute(select(Source.cursor).where(Source.id == int(source_id))).scalar_one()
            save_cursor(conn, int(source_id), {**records.loads(current), **finals})
        return {"conflicts": flagged}
    return transaction(engine, work)


def scan(engine: Engine, job, spec: dict) -> dict:
    try:
        result = scan_tree(engine, spec["tree"])
    except TreeError as exc:  # a broken tree fails alone: the run goes on with the others
        return {"tree": spec["tree"], "error": str(exc)}
    del result["shas"]  # thousands of hashes; the record keeps new_commits
    return result


def check(engine: Engine, job, spec: dict) -> dict:
    from ..pipeline.checks import check_job
    from ..store.checks import save_check
    from ..pipeline.am import current
    from ..store.queries import series_detail
    from ..trees.check import run_checks
    with engine.connect() as conn:
        tree = conn.execute(select(Tree).where(Tree.name == spec["tree"])).one()
        work = check_job(conn, current(conn, series_detail(conn, spec["series"])), tree, spec["cmd"],
                         spec["timeout"])
    [result] = run_checks([work])  # in a child: a killed worker takes the command with it
    check_id = transaction(engine, lambda conn: save_check(conn, tree.id, result))
    return {**result.as_dict(), "id": check_id}


KINDS = {"ingest": ingest, "series": series, "review": review, "finish": finish, "scan": scan,
         "check": check}
