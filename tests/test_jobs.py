"""Jobs and workers against the real Redis and PostgreSQL of this machine.

Real ``patchdesk worker`` processes ingest a public-inbox epoch of 3,000
messages (generated list traffic: series, v2s, reviews; or the first 3,000
of a real lore archive named by ``PATCHDESK_TEST_ARCHIVE``) cut into jobs;
the store must then hold every message exactly once and the same threads,
series and states as one process ingesting the same data.  Also: runs on
the same messages at once (the same bytes, and the same posts with other
delivery headers), a worker SIGKILLed in the middle of a job, and the
embedded mode (no broker: the same jobs in-process).

Redis (``PATCHDESK_TEST_REDIS``, default 127.0.0.1:6379) and PostgreSQL
being absent is a failure, not a skip.
Each test uses its own Redis key namespace and PostgreSQL schema.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, func, select, text

from patchdesk.jobs import records
from patchdesk.jobs.broker import Queue
from patchdesk.jobs.runner import Embedded, wait
from patchdesk.jobs.runs import submit_ingest
from patchdesk.pipeline.ingest import ingest
from patchdesk.sources.publicinbox import PublicInboxSource
from patchdesk.model import claimed_id
from patchdesk.store.db import open_engine, resolve_url
from patchdesk.store.queries import export
from patchdesk.store.schema import DirtyRoot, DirtySender, Job, Message, MessageList, ThreadNode

from conftest import PG_URL
from mailgen import make_mail, mbox, patch_body

#: A real lore epoch to take the first COUNT messages from (optional: by
#: default the archive is generated, so the tests need no network and no mirror).
ARCHIVE = os.environ.get("PATCHDESK_TEST_ARCHIVE")
REDIS = os.environ.get("PATCHDESK_TEST_REDIS", "redis://127.0.0.1:6379/0")
COUNT = 3000

pytestmark = pytest.mark.slow


@contextmanager
def pg_store():
    """A PostgreSQL store in a schema of its own (dropped afterwards)."""
    schema = f"pd_{uuid.uuid4().hex[:12]}"
    admin = create_engine(resolve_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def broker():
    """A broker URL with a namespace of its own; its keys go afterwards.
    Dead workers are looked for on every command, after 2 s of silence."""
    namespace = f"pd-test-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(REDIS)
    client.ping()  # Redis must be there
    yield f"{REDIS}?namespace={namespace}&heartbeat=2000&maintenance=1000000"
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def list_traffic(count: int) -> list[bytes]:
    """``count`` distinct messages of list traffic: series of one to four
    patches by 37 authors, some re-sent as v2 in reply to v1, each with a
    review (a trailer, a question, or a NAK) from one of five maintainers."""
    mails: list[bytes] = []
    minute = 0

    def date() -> str:
        nonlocal minute
        minute += 7
        day, rest = divmod(minute, 24 * 60)
        return f"{1 + day % 28:02d} {('Jan', 'Feb', 'Mar', 'Apr')[day // 28 % 4]} 2026 {rest // 60:02d}:{rest % 60:02d}:00 +0000"

    n = 0
    while len(mails) < count:
        author = f"Dev {n % 37} <dev{n % 37}@example.org>"
        size = 1 + n % 4
        previous = None
        for version in (1, 2) if n % 3 == 0 else (1,):
            tag = "PATCH" if version == 1 else "PATCH v2"
            for k in range(1, size + 1):
                msgid = f"s{n}v{version}p{k}@example.org"
                subject = f"[{tag} {k}/{size}] drv{n % 53}: part {k} of change {n}" if size > 1 else \
                    f"[{tag}] drv{n % 53}: change {n}"
                refs = (previous,) if previous and version == 2 else ()
                body = patch_body(f"Change {n}, part {k}, version {version}.", f"drivers/drv{n % 53}/f{k}.c",
                                  f"x = {n * 10 + k};", f"x = {n * 10 + k + version};", line=10 + k)
                mails.append(make_mail(msgid, subject, sender=author, date=date(), refs=refs, body=body))
                reviewer = f"Maintainer {n % 5} <m{n % 5}@example.org>"
                verdict = ("Reviewed-by: " + reviewer, "Why not keep the old value?", "NAK, this breaks drv.",
                           "Acked-by: " + reviewer)[(n + k + version) % 4]
                mails.append(make_mail(f"r{n}v{version}p{k}@example.org", "Re: " + subject, sender=reviewer,
                                       date=date(), refs=(*refs, msgid),
                                       body=f"> Change {n}, part {k}.\n\n{verdict}\n"))
            previous = f"s{n}v{version}p1@example.org"
        n += 1
    return mails[:count]


def write_epoch(path: Path, mails: list[bytes]) -> None:
    """A bare public-inbox v2 epoch: one commit per message, adding it as ``m``."""
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    stream = bytearray()
    for i, data in enumerate(mails):
        stamp = 1767225600 + i * 60
        stream += b"blob\nmark :%d\ndata %d\n%s\n" % (i + 1, len(data), data)
        stream += (b"commit refs/heads/master\ncommitter list <list@example.org> %d +0000\ndata 0\n" % stamp
                   + b"M 100644 :%d m\n\n" % (i + 1))
    subprocess.run(["git", "--git-dir", str(path), "fast-import", "--quiet"], input=bytes(stream), check=True)
    subprocess.run(["git", "--git-dir", str(path), "symbolic-ref", "HEAD", "refs/heads/master"], check=True)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """COUNT messages as a bare public-inbox epoch: generated list traffic,
    or the first COUNT of the real archive named by PATCHDESK_TEST_ARCHIVE
    (borrowing its objects, no copy)."""
    path = tmp_path_factory.mktemp("archive") / "list.git"
    if not ARCHIVE:
        write_epoch(path, list_traffic(COUNT))
        return path
    real = Path(ARCHIVE)
    assert (real / "objects").is_dir(), f"test archive missing: {real}"
    git = ["git", "--git-dir", str(path)]
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    (path / "objects/info/alternates").write_text(str(real.resolve() / "objects") + "\n")
    commits = subprocess.run(["git", "--git-dir", str(real), "rev-list", "--reverse", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.split()
    subprocess.run([*git, "update-ref", "refs/heads/master", commits[COUNT - 1]], check=True)
    subprocess.run([*git, "symbolic-ref", "HEAD", "refs/heads/master"], check=True)
    return path


def snapshot(url: str) -> dict:
    """What must not depend on who ingested: messages, threads, series,
    states, lineage, list membership; and nothing left to do."""
    engine = open_engine(url)
    with engine.connect() as conn:
        doc = export(conn)
        one = lambda q: conn.execute(q).scalar_one()  # noqa: E731
        state = {
            "messages": one(select(func.count()).select_from(Message)),
            "posts": one(select(func.count(func.distinct(Message.fingerprint)))),
            "listed": one(select(func.count()).select_from(MessageList)),
            "flagged": one(select(func.count()).select_from(Message).where(Message.msgid_conflict)),
            # which claimant of a reused Message-ID keeps it depends on storage order, by design
            # (pipeline/claims.py): threads are compared by the Message-IDs claimed
            "threads": sorted((claimed_id(m), claimed_id(p or ""), claimed_id(r), present) for m, p, r, present in
                              conn.execute(select(ThreadNode.msgid, ThreadNode.parent, ThreadNode.root,
                                                  ThreadNode.present)).all()),
            "series": sorted((tuple(s["patches"]), s["cover"] or "", s["name"], s["version"], s["state"])
                             for s in doc["series"]),
            "patches": sorted((p["msgid"], p["state"], tuple(sorted(p["superseded_by"])))
                              for p in doc["patches"]),
            "todo": one(select(func.count()).select_from(DirtySender)) + one(select(func.count()).select_from(DirtyRoot)),
        }
    engine.dispose()
    return state


@pytest.fixture(scope="module")
def reference(archive):
    """One process, no broker: what every other way must give."""
    with pg_store() as url:
        engine = open_engine(url)
        summary = ingest(engine, [archive], list_name="ltp", jobs=1)
        engine.dispose()
        assert summary.read == COUNT and summary.balanced
        return snapshot(url)


@contextmanager
def workers(db: str, url: str, count: int, logs: Path):
    """``count`` worker processes, all taking jobs before the block runs."""
    procs, paths = [], [logs / f"worker{i}-{uuid.uuid4().hex[:6]}.log" for i in range(count)]
    try:
        for path in paths:
            procs.append(start_worker(db, url, path))
        deadline = time.monotonic() + 120
        while not all("thread(s)" in path.read_text(errors="replace") for path in paths):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a worker did not start"
            time.sleep(0.1)
        yield procs
    finally:
        stop(procs)


def start_worker(db: str, url: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "patchdesk", "--db", db, "worker", "--broker", url],
                            stdout=subprocess.DEVNULL, stderr=open(log, "ab"))


def stop(procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def jobs_of(url: str, run_id: int) -> list:
    engine = open_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(Job).where(Job.run_id == run_id)).all()
    engine.dispose()
    return rows


def test_workers_store_every_message_once_as_one_process_would(archive, reference, broker, tmp_path):
    with pg_store() as db, workers(db, broker, 2, tmp_path):
        done = subprocess.run([sys.executable, "-m", "patchdesk", "--db", db, "ingest", str(archive),
                               "--list", "ltp", "--broker", broker, "--slice", "400", "--json"],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["read"] == COUNT and summary["balanced"]
        assert summary["stored"] == reference["messages"]
        jobs = jobs_of(db, 1)
        slices = [j for j in jobs if j.kind == "ingest"]
        assert len(slices) == 8 and all(j.state == "done" for j in jobs)
        assert len({j.worker for j in slices}) == 2  # both workers took slices
        assert snapshot(db) == reference


def _rewritten(archive: Path, count: int) -> bytes:
    """The first ``count`` posts delivered again through another relay:
    other bytes, same content (recognised by fingerprint)."""
    raws = []
    for mail in PublicInboxSource(archive).messages({}):
        raws.append(b"Received: from relay.example.org by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\n"
                     + mail.data)
        if len(raws) == count:
            break
    return mbox(raws)


def test_concurrent_runs_on_the_same_mail_store_nothing_twice(archive, reference, broker, tmp_path):
    copy = tmp_path / "relayed.mbox"
    copy.write_bytes(_rewritten(archive, 1200))
    with pg_store() as db:
        engine = open_engine(db)
        runs = [submit_ingest(engine, [archive], list_name="ltp", slice_size=500),
                submit_ingest(engine, [archive], list_name="ltp", slice_size=500),
                submit_ingest(engine, [copy], list_name="ltp", slice_size=400)]
        queue = Queue(broker)
        # interleaved, so that the two workers write the same messages at once
        for round_ in range(max(len(q) for _, q in runs)):
            for _, queued in runs:
                if round_ < len(queued):
                    queue.send(*queued[round_])
        with workers(db, broker, 2, tmp_path):
            finished = [wait(engine, run_id, queue) for run_id, _ in runs]
        queue.close()
        results = [records.loads(run.result) for run in finished]
        assert [run.state for run in finished] == ["done"] * 3, [run.error for run in finished]
        assert [r["read"] for r in results] == [COUNT, COUNT, 1200]
        assert all(r["read"] == r["stored"] + r["known"] + r["quarantined"] for r in results)
        assert sum(r["stored"] for r in results) == reference["messages"]  # each post stored once
        engine.dispose()
        state = snapshot(db)
        assert state["messages"] == state["posts"] == reference["messages"]
        assert state == reference


def test_worker_killed_mid_job_resumes_where_it_stopped(archive, reference, broker, tmp_path):
    with pg_store() as db:
        engine = open_engine(db)
        run_id, queued = submit_ingest(engine, [archive], list_name="ltp", slice_size=COUNT)  # one job, two batches
        queue = Queue(broker)
        for job in queued:
            queue.send(*job)
        first = start_worker(db, broker, tmp_path / "first.log")
        [job_id] = [job_id for job_id, _ in queued]
        deadline = time.monotonic() + 120
        while True:  # SIGKILL once the first batch is committed, mid-job
            with engine.connect() as conn:
                job = records.get(conn, job_id)
            if job.cursor != "{}" or job.state != "queued" and time.monotonic() > deadline:
                break
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        with engine.connect() as conn:
            job = records.get(conn, job_id)
        assert job.state == "running" and 0 < records.loads(job.result)["read"] < COUNT
        with workers(db, broker, 1, tmp_path):
            run = wait(engine, run_id, queue)
        queue.close()
        with engine.connect() as conn:
            job = records.get(conn, job_id)
        engine.dispose()
        assert run.state == "done", run.error
        assert job.attempts == 2
        result = records.loads(run.result)
        assert result["read"] == result["stored"] == COUNT  # resumed: nothing read twice, nothing lost
        assert snapshot(db) == reference


def test_embedded_mode_runs_the_same_jobs_in_process(archive, reference, store_url):
    engine = open_engine(store_url)
    run_id, queued = submit_ingest(engine, [archive], list_name="ltp", slice_size=1000)
    queue = Embedded()
    for job in queued:
        queue.send(*job)
    run = wait(engine, run_id, queue)
    engine.dispose()
    assert run.state == "done" and records.loads(run.result)["stored"] == COUNT
    assert snapshot(store_url) == reference


def _race(engine, first: list, second: list) -> tuple:
    """Write two batches in two transactions that overlap: the first holds
    its transaction open until the second is waiting on one of its rows (or
    wrote without waiting), then commits; the second retries on conflict."""
    import threading

    from patchdesk.pipeline.ingest import IngestSummary, _start, _write
    from patchdesk.pipeline.prepare import Preparer
    from patchdesk.store import messages as store
    from patchdesk.store.retry import transaction

    with engine.begin() as conn:
        source_id, _ = store.ensure_source(conn, "path", "race")
    preparer = Preparer(1)
    batches = [_start(engine, preparer, mails, {}) for mails in (first, second)]
    prepared = [b.pending.result() for b in batches]
    release, out = threading.Event(), [None, None]

    def writer(i: int) -> None:
        def work(conn):
            delta = IngestSummary(read=len(batches[i].known) + len(prepared[i]))
            _write(conn, batches[i], prepared[i], source_id, None, delta)
            if i == 0:
                release.wait(30)
            return delta
        out[i] = transaction(engine, work)

    one = threading.Thread(target=writer, args=(0,))
    one.start()
    time.sleep(0.5)  # the first has written, its transaction still open
    two = threading.Thread(target=writer, args=(1,))
    two.start()
    deadline = time.monotonic() + 10
    while two.is_alive() and time.monotonic() < deadline:
        with engine.connect() as conn:  # the second waits for a row lock of the first
            if conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).scalar():
                break
        time.sleep(0.05)
    release.set()
    one.join()
    two.join()
    return tuple(out)


def test_racing_writers_keep_one_copy_and_whole_threads(archive):
    """The database, not a check before the insert, decides: the same
    thread written by two transactions at once, the same posts with other
    delivery headers, the same bytes."""
    from patchdesk.pipeline.threads import rebuild_threads
    mails = []
    for mail in PublicInboxSource(archive).messages({}):
        mails.append(mail)
        if len(mails) == 700:
            break
    relayed = [type(m)(b"Received: from relay.example.org\n" + m.data, m.position) for m in mails[400:600]]
    with pg_store() as url:
        engine = open_engine(url)
        results = [_race(engine, mails[0:400:2], mails[1:400:2]),  # the same threads
                   _race(engine, mails[400:600], relayed),          # the same posts
                   _race(engine, mails[600:700], mails[600:700])]   # the same bytes
        counts = [(a.stored, b.stored, b.known) for a, b in results]
        assert counts == [(200, 200, 0), (200, 0, 200), (100, 0, 100)]
        assert all(r.balanced for pair in results for r in pair)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count(), func.count(func.distinct(Message.fingerprint)))).one()
            threads = sorted(conn.execute(select(ThreadNode.msgid, ThreadNode.parent, ThreadNode.root,
                                                 ThreadNode.present)).all())
        assert tuple(stored) == (700, 700)
        with engine.begin() as conn:
            rebuild_threads(conn)  # threading all 700 at once
            assert threads == sorted(conn.execute(select(ThreadNode.msgid, ThreadNode.parent, ThreadNode.root,
                                                         ThreadNode.present)).all())
        engine.dispose()


def _cli(db: str, *args: str, code: int = 0) -> str:
    from typer.testing import CliRunner

    from patchdesk.cli import app
    done = CliRunner().invoke(app, ["--db", db, *args])
    assert done.exit_code == code, done.output
    return done.stdout


def test_tree_scan_check_and_relink_run_on_workers(broker, tmp_path):
    """The demo list and its git tree: a scan, checks and a lineage
    recomputation through a worker agree with the same commands without."""
    demo = Path(__file__).resolve().parents[1] / "demo"
    subprocess.run([sys.executable, str(demo / "make_demo.py"), "--out", str(tmp_path / "demo.mbox"),
                    "--tree", str(tmp_path / "frob")], check=True, capture_output=True)
    with pg_store() as local, pg_store() as db:
        for store in (local, db):
            _cli(store, "ingest", str(tmp_path / "demo.mbox"))
            _cli(store, "tree", "add", "frob", str(tmp_path / "frob"), "--branch", "frob-next")
        _cli(local, "tree", "scan")
        with workers(db, broker, 1, tmp_path):
            scanned = json.loads(_cli(db, "tree", "scan", "--json", "--broker", broker))
            assert scanned["matched"] > 0 and scanned["trees"][0]["full"]
            assert snapshot(db) == snapshot(local)
            v2 = next(s for s in json.loads(_cli(db, "series", "--json"))
                      if s["name"] == "frob: add widget timeout support")
            good = json.loads(_cli(db, "check", str(v2["id"]), "--tree", "frob", "--cmd", "true", "--json",
                                   "--broker", broker))
            bad = json.loads(_cli(db, "check", str(v2["id"]), "--tree", "frob", "--cmd", "test ! -e README",
                                  "--json", "--broker", broker, code=3))
            # the base already has a README: the base fails, patch 1 is not blamed (issue 18, item 8)
            assert [(c["bisectable"], c["first_bad"]) for c in good + bad] == [(True, None), (False, None)]
            assert "fails the command before any patch (exit 1)" in bad[0]["error"]
            before = snapshot(db)
            assert "series assembled" in _cli(db, "relink", "--broker", broker)
            assert snapshot(db) == before


def test_slices_of_every_source_kind_cover_each_message_once(tmp_path):
    """mbox byte ranges, Maildir subsets, single files and archive pages,
    cut small: the embedded run counts and stores what one ingest does,
    and a second run reads nothing new."""
    from conftest import CORPUS
    one, sliced = str(tmp_path / "one.db"), str(tmp_path / "sliced.db")
    engine = open_engine(one)
    expected = ingest(engine, [CORPUS], list_name="corpus", jobs=1)
    engine.dispose()
    engine = open_engine(sliced)

    def run(**options):
        run_id, queued = submit_ingest(engine, [CORPUS], list_name="corpus", slice_size=3, **options)
        queue = Embedded()
        for job in queued:
            queue.send(*job)
        done = wait(engine, run_id, queue)
        assert done.state == "done", done.error
        return records.loads(done.result), jobs_of(sliced, run_id)

    result, jobs = run()
    specs = [records.loads(j.spec) for j in jobs if j.stage == "ingest"]
    assert {s["type"] for s in specs} == {"mbox", "files"}
    assert any(s["type"] == "mbox" and s["start"] > 0 for s in specs)  # an mbox cut between messages
    assert any(s["type"] == "files" and s["maildir"] for s in specs)
    # (not ``conflicts``: a pair of one Message-ID counts 2 in one batch, 1 across two;
    # the flags themselves are compared in the snapshot)
    assert [result[k] for k in ("read", "stored", "known", "quarantined")] == \
        [expected.read, expected.stored, expected.known, expected.quarantined]
    again, _ = run()
    assert again["read"] < expected.read and again["stored"] == 0  # mbox cursors saved: only files again
    reread, _ = run(reread=True)
    assert reread["read"] == expected.read and reread["stored"] == 0
    engine.dispose()
    assert snapshot(sliced) == snapshot(one)


def test_scan_run_reports_a_broken_tree_and_scans_the_others(tmp_path):
    """In-process jobs: a tree whose path is gone fails its own scan job;
    the run completes, with the other tree scanned and matched."""
    from patchdesk.jobs.runs import submit_scan
    demo = Path(__file__).resolve().parents[1] / "demo"
    subprocess.run([sys.executable, str(demo / "make_demo.py"), "--out", str(tmp_path / "demo.mbox"),
                    "--tree", str(tmp_path / "frob")], check=True, capture_output=True)
    db = str(tmp_path / "pd.db")
    subprocess.run(["git", "clone", "-q", "--mirror", str(tmp_path / "frob"), str(tmp_path / "gone")], check=True)
    _cli(db, "ingest", str(tmp_path / "demo.mbox"))
    _cli(db, "tree", "add", "frob", str(tmp_path / "frob"), "--branch", "frob-next")
    _cli(db, "tree", "add", "gone", str(tmp_path / "gone"), "--branch", "frob-next")
    subprocess.run(["rm", "-rf", str(tmp_path / "gone")], check=True)
    engine = open_engine(db)
    run_id, queued = submit_scan(engine, ["gone", "frob"])
    queue = Embedded()
    for job in queued:
        queue.send(*job)
    run = wait(engine, run_id, queue)
    engine.dispose()
    assert run.state == "done", run.error
    result = records.loads(run.result)
    assert [t["tree"] for t in result["trees"]] == ["frob"] and result["matched"] > 0
    assert [f["tree"] for f in result["failed"]] == ["gone"]
