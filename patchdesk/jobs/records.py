"""The ``jobs`` table: runs, their jobs, progress, and who may run one.

The store, not the broker, is the record of work: the broker only carries
``(job id, token)``.  A job's cursor and counts are written in the same
transaction as the data it stores, so a message delivered twice (a worker
died after storing but before acknowledging) resumes or finds the job
done, and counts stay exact.  A lease held while a job runs makes a second
delivery wait for the first instead of running beside it; it is released
by the database (PostgreSQL session) or the kernel (a SQLite lock file)
when the holder dies, however it dies.
"""

from __future__ import annotations

import fcntl
import json
import tempfile
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text, update

from ..store.retry import lock_key
from ..store.schema import Job

DONE = ("done", "failed")


def now() -> datetime:
    return datetime.now(timezone.utc)


def loads(text: str | None) -> dict:
    return json.loads(text or "{}")


class WrongStore(Exception):
    """The job named in a message is not in this worker's store."""


def create(conn: Connection, kind: str, spec: dict, run_id: int | None = None, stage: str = "") -> tuple[int, str]:
    token = uuid.uuid4().hex
    job_id = conn.execute(Job.__table__.insert().values(
        run_id=run_id, kind=kind, stage=stage, token=token, spec=json.dumps(spec), state="queued",
        cursor="{}", result="{}", attempts=0, worker="", error="", created_at=now())).inserted_primary_key[0]
    return job_id, token


def get(conn: Connection, job_id: int, token: str | None = None):
    row = conn.execute(select(Job).where(Job.id == job_id)).first()
    if row is None or (token is not None and row.token != token):
        raise WrongStore(f"job {job_id} is not in this store (is the worker's --db the sender's?)")
    return row


def children(conn: Connection, run_id: int) -> list:
    return conn.execute(select(Job).where(Job.run_id == run_id).order_by(Job.id)).all()


def start(conn: Connection, job_id: int, worker: str) -> None:
    conn.execute(update(Job).where(Job.id == job_id).values(
        state="running", attempts=Job.attempts + 1, worker=worker, started_at=now()))


def progress(conn: Connection, job_id: int, cursor: dict, result: dict) -> None:
    """A job's position and counts, committed with the batch they describe."""
    conn.execute(update(Job).where(Job.id == job_id).values(cursor=json.dumps(cursor), result=json.dumps(result)))


def finish(conn: Connection, job_id: int, result: dict | None = None, error: str = "") -> None:
    values = {"state": "failed" if error else "done", "error": error[:4000], "finished_at": now()}
    if result is not None:
        values["result"] = json.dumps(result)
    conn.execute(update(Job).where(Job.id == job_id).values(**values))


def lock_run(conn: Connection, run_id: int):
    """The run's row, locked until this transaction ends: jobs finishing at
    once take turns deciding whether their stage is complete."""
    return conn.execute(select(Job).where(Job.id == run_id).with_for_update()).one()


@contextmanager
def lease(engine: Engine, token: str):
    """Hold the job's lease while it runs (blocks while another holds it)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            key = lock_key(token)
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        return
    # SQLite: workers share the machine.  The empty file stays (removing
    # it would let a waiter and a newcomer lock two different files).
    folder = Path(tempfile.gettempdir()) / "patchdesk-jobs"
    folder.mkdir(exist_ok=True)
    with open(folder / f"{token}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
