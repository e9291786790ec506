"""``patchdesk worker``: processes that take jobs from the broker.

Each process opens the store named by its own ``--db`` (never one sent in
a message: a worker on the wrong store refuses jobs, see ``records.get``)
and runs a Dramatiq worker with ``threads`` threads.  Parsing is Python,
so CPU-bound jobs scale with processes, not threads; threads help jobs
that wait (a check's build, git).  A process takes one job per thread at a
time (prefetch = threads), so a busy worker does not hold queued slices
that an idle one could run.  SIGTERM/SIGINT stop it cleanly: running jobs
finish, prefetched ones go back to the queue; SIGKILL loses nothing either
(the broker delivers the job again once the heartbeat stops, and the job
resumes from its committed cursor).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time

log = logging.getLogger("patchdesk.jobs")
IDLE_POLL_MS = 200


def serve(db: str | None, url: str, threads: int = 1, parsers: int = 1, parent: int | None = None) -> None:
    """Run one worker process until SIGTERM/SIGINT (or its parent dies)."""
    import dramatiq

    from ..store.db import open_engine
    from . import tasks
    from .broker import Queue
    from .runner import execute

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    tasks.PARSERS = parsers
    engine = open_engine(db)
    name = f"{socket.gethostname()}:{os.getpid()}"
    queue: Queue | None = None

    def perform(job_id: int, token: str) -> None:
        execute(engine, job_id, token, name, queue.send)

    queue = Queue(url, perform)
    # an idle consumer polls at least every IDLE_POLL_MS, so a thread that
    # finished a job gets the next within that (Dramatiq's default, 1 s,
    # left a worker idle half a second per job on average)
    worker = dramatiq.Worker(queue.broker, worker_threads=threads, worker_timeout=IDLE_POLL_MS)
    worker.queue_prefetch = threads
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    log.info("worker %s: %d thread(s), store %s", name, threads, engine.url.render_as_string(hide_password=True))
    while not stop.wait(0.5):
        if parent is not None and os.getppid() != parent:
            break
    worker.stop()
    queue.close()
    engine.dispose()


def run(db: str | None, url: str, processes: int = 1, threads: int = 1, parsers: int = 1) -> None:
    """``processes`` workers; more than one are children, restarted if one
    dies, stopped with the parent."""
    if processes <= 1:
        serve(db, url, threads, parsers)
        return
    context = multiprocessing.get_context("spawn")  # no inherited engine pools or pipes

    def spawn():
        child = context.Process(target=serve, args=(db, url, threads, parsers, os.getpid()), daemon=False)
        child.start()
        return child

    children = [spawn() for _ in range(processes)]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1.0):
        for i, child in enumerate(children):
            if not child.is_alive():
                log.warning("worker process %s exited (%s); starting another", child.pid, child.exitcode)
                time.sleep(1.0)
                children[i] = spawn()
    for child in children:
        child.terminate()
    for child in children:
        child.join()
