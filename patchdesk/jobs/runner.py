"""Running one job, in a worker or in-process, and waiting for a run.

``execute`` is what a ``patchdesk worker`` thread does with a message, and
what the embedded queue does in the submitting process: the very same
function, so a store without any server gets the same result.  It takes
the job's lease, skips a job already done (a duplicate delivery), runs
the task, and in one transaction marks it done and, when it was the last
of its stage, creates the next stage; only then are new jobs sent.  A job
that keeps failing fails its run, with the error, instead of looping.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import deque
from collections.abc import Callable

from sqlalchemy import Connection, Engine

from ..store.retry import transaction
from . import records
from .runs import stage_done
from .tasks import KINDS

log = logging.getLogger("patchdesk.jobs")

#: deliveries of one job before its run fails (a crash, then retries)
MAX_ATTEMPTS = 4
#: a run with queued jobs and none running for this long gets them sent
#: again (a worker died between creating a stage and sending it)
RESEND_AFTER = 30.0

Send = Callable[[int, str], None]


def execute(engine: Engine, job_id: int, token: str, worker: str, send: Send, retry: bool = True) -> None:
    """Run one job once (re-raising, for the broker to deliver it again,
    while ``retry`` and attempts remain)."""
    with engine.connect() as conn:
        if records.get(conn, job_id, token).state in records.DONE:
            return
    with records.lease(engine, token):
        def begin(conn: Connection):
            job = records.get(conn, job_id)
            if job.state not in records.DONE:
                records.start(conn, job_id, worker)
            return records.get(conn, job_id)
        job = transaction(engine, begin)
        if job.state in records.DONE:
            return  # a duplicate delivery that waited for the first
        started = time.perf_counter()
        try:
            result = KINDS[job.kind](engine, job, records.loads(job.spec))
        except Exception as exc:
            if retry and job.attempts < MAX_ATTEMPTS:
                log.warning("job %s (%s) attempt %s failed: %s", job_id, job.kind, job.attempts, exc)
                raise
            fail(engine, job, exc)
            if not retry:
                raise
            return

        def complete(conn: Connection):
            run = records.lock_run(conn, job.run_id)
            records.finish(conn, job_id, result)
            return stage_done(conn, run, job.stage)
        queued = transaction(engine, complete)
    log.info("job %s (%s) done in %.1f s", job_id, job.kind, time.perf_counter() - started)
    for new_id, new_token in queued:
        send(new_id, new_token)


def fail(engine: Engine, job, exc: BaseException) -> None:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    log.error("job %s (%s) failed: %s", job.id, job.kind, text)

    def work(conn: Connection) -> None:
        records.lock_run(conn, job.run_id)
        records.finish(conn, job.id, error=text)
        records.finish(conn, job.run_id, error=f"job {job.id} ({job.kind}) failed: {text}")
    transaction(engine, work)


class Embedded:
    """No broker: jobs run one after another in this process."""

    def __init__(self) -> None:
        self.pending: deque[tuple[int, str]] = deque()

    def send(self, job_id: int, token: str) -> None:
        self.pending.append((job_id, token))

    def drain(self, engine: Engine, progress: Callable[[], None] | None = None) -> None:
        while self.pending:
            execute(engine, *self.pending.popleft(), "embedded", self.send, retry=False)
            if progress:
                progress()


def wait(engine: Engine, run_id: int, queue, progress: Callable[[object, list], None] | None = None,
         poll: float = 0.5):
    """Wait until the run is done or failed; return its row.  ``progress``
    gets the run and its jobs now and then."""
    def look():
        with engine.connect() as conn:
            return records.get(conn, run_id), records.children(conn, run_id)

    if isinstance(queue, Embedded):
        queue.drain(engine, (lambda: progress(*look())) if progress else None)
        return look()[0]
    idle_since = time.monotonic()
    while True:
        run, jobs = look()
        if run.state in records.DONE:
            return run
        if progress:
            progress(run, jobs)
        waiting = [j for j in jobs if j.state == "queued"]
        if any(j.state == "running" for j in jobs) or not waiting:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > RESEND_AFTER:
            for j in waiting:  # duplicates are harmless: the job runs once
                queue.send(j.id, j.token)
            idle_since = time.monotonic()
        time.sleep(poll)
