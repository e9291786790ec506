#!/usr/bin/env python3
"""Bulk ingest with workers against one process, on PostgreSQL and SQLite.

    bench/scale.py ARCHIVE... [--workers 2] [--slice 5000] [--limit N]
                   [--backends postgresql,sqlite] [--data /work/bench-data]
                   [--pg URL] [--redis URL] [--json]

For each back end, on a fresh store, the same archives (public-inbox
epochs or anything ``patchdesk ingest`` reads) are ingested twice:

1. baseline, one process: ``ingest(jobs=1)`` (read, parse, store, thread,
   series and lineage, review: all in one process), timed per stage by
   wrapping the pipeline's functions: ``parse`` (hash, known check, parse,
   compress), ``store`` (the batch's transaction without threading),
   ``threads``, ``series`` (series and lineage of dirty senders),
   ``review``, and ``read`` (the rest: git, batching, commits);
2. ``--workers`` real ``patchdesk worker`` processes (one process, one
   thread, one parser each) and ``patchdesk ingest --broker``; stage wall
   times from the jobs table (``ingest`` slices, ``series``, ``review``,
   ``finish``), and per stage the worker-seconds: for ingest, the time in
   batch transactions (store + threads) and the rest (read + parse).

Reported: messages, end-to-end throughput (read / wall time, series and
review included) and the ratio workers/baseline in the same run, store
size (PostgreSQL: tables, indexes and TOAST of the schema; SQLite: the
files), peak RSS (baseline: the process; workers: the largest worker, from
/proc VmHWM; git's own processes are not included in either), and where
the CPU went during each run: the measured processes, every PostgreSQL
process, everything else on the machine (other people's work), and idle.
The machine is shared: compare ratios taken in one run, not seconds, and
read them with the "other processes" column.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from patchdesk.store.db import resolve_url

#: a database of its own, so that its backends' CPU is the bench's alone
PG = "postgresql://postgres@127.0.0.1:5432/patchdesk_scale"
REDIS = "redis://127.0.0.1:6379/0"


def limited(archives: list[Path], limit: int, data: Path) -> list[Path]:
    """Bare epochs holding the first ``limit`` commits of each archive
    (objects borrowed through alternates: nothing is copied)."""
    out = []
    for archive in archives:
        path = data / "limited" / f"{archive.parent.name or archive.name}-{limit}.git"
        if not path.exists():
            subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
            (path / "objects/info/alternates").write_text(str(archive.resolve() / "objects") + "\n")
            commits = subprocess.run(["git", "--git-dir", str(archive), "rev-list", "--reverse", "HEAD"],
                                     capture_output=True, text=True, check=True).stdout.split()
            git = ["git", "--git-dir", str(path)]
            subprocess.run([*git, "update-ref", "refs/heads/master", commits[min(limit, len(commits)) - 1]], check=True)
            subprocess.run([*git, "symbolic-ref", "HEAD", "refs/heads/master"], check=True)
        out.append(path)
    return out


def single(db: str, archives: list[str]) -> None:
    """(Child process) the baseline: one process, stages timed."""
    import patchdesk.pipeline.ingest as pipeline
    from patchdesk.store.db import open_engine
    spent: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            begun = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - begun
        return wrapper

    for name, attr in (("parse", "_start"), ("store", "_write"), ("threads", "update_threads"),
                       ("series", "refresh_dirty"), ("review", "refresh_review")):
        setattr(pipeline, attr, timed(name, getattr(pipeline, attr)))
    engine = open_engine(db)
    begun = time.perf_counter()
    summary = pipeline.ingest(engine, [Path(a) for a in archives], jobs=1)
    total = time.perf_counter() - begun
    spent["store"] -= spent.get("threads", 0.0)
    spent["read"] = total - sum(spent.values())
    print(json.dumps({"read": summary.read, "stored": summary.stored, "balanced": summary.balanced,
                      "seconds": total, "stages": spent,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def fresh_store(backend: str, data: Path, pg: str, label: str) -> tuple[str, callable, callable]:
    """A new empty store: (url, size in bytes, drop)."""
    if backend == "sqlite":
        path = data / f"scale-{label}.db"
        for p in data.glob(f"scale-{label}.db*"):
            p.unlink()
        return str(path), lambda: sum(p.stat().st_size for p in data.glob(f"scale-{label}.db*")), \
            lambda: [p.unlink() for p in data.glob(f"scale-{label}.db*")]
    from sqlalchemy import create_engine, text
    schema = f"scale_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(resolve_url(pg))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def size() -> int:
        with admin.connect() as conn:
            return int(conn.execute(text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"),
                {"s": schema}).scalar_one())

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    sep = "&" if "?" in pg else "?"
    return f"{pg}{sep}options=-csearch_path%3D{schema}", size, drop


def ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    target = make_url(resolve_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database}).first():
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def run_single(db: str, archives: list[Path]) -> dict:
    done = subprocess.run([sys.executable, __file__, "--_single", db, *map(str, archives)],
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"baseline failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def _pg_times(database: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving ``database`` now, by
    pid (the process title names the database; shared background
    processes such as the WAL writer are not counted)."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres" \
                    and f" {database} " in (proc / "cmdline").read_text():
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                out[int(proc.name)] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return out


class Cpu:
    """Where the CPU went between start and stop: this script's finished
    children (the measured processes), the PostgreSQL backends of the
    bench's database (they come and go with connections, so they are
    sampled every half second), everything else on the machine, and idle."""

    def __init__(self, database: str) -> None:
        import threading
        self.database = database
        self.first, self.last = _pg_times(database), {}
        self.own = self._own()
        self.stat = self._stat()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    @staticmethod
    def _own() -> float:
        own = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime

    @staticmethod
    def _stat() -> tuple[float, float]:
        times = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        tick = os.sysconf("SC_CLK_TCK")
        return (sum(times) - times[3] - times[4]) / tick, sum(times) / tick

    def _sample(self) -> None:
        while not self.done.wait(0.5):
            self.last.update(_pg_times(self.database))

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        self.last.update(_pg_times(self.database))
        busy, total = self._stat()
        spent = {"ours": self._own() - self.own,
                 "postgres": sum(t - self.first.get(pid, 0.0) for pid, t in self.last.items()),
                 "busy": busy - self.stat[0], "all": total - self.stat[1]}
        spent["others"] = spent["busy"] - spent["ours"] - spent["postgres"]
        return {k: round(v, 1) for k, v in spent.items()}


def vm_hwm(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_workers(db: str, archives: list[Path], count: int, slice_size: int, redis_url: str, logs: Path) -> dict:
    from sqlalchemy import select

    from patchdesk.jobs.records import loads
    from patchdesk.store.db import open_engine
    from patchdesk.store.schema import Job
    namespace = f"pd-scale-{uuid.uuid4().hex[:8]}"
    broker = f"{redis_url}?namespace={namespace}"
    engine = open_engine(db)  # migrated once, before the workers start
    cmd = [sys.executable, "-m", "patchdesk", "--db", db]
    workers = [subprocess.Popen([*cmd, "worker", "--broker", broker], stdout=subprocess.DEVNULL,
                                stderr=open(logs / f"scale-worker{i}.log", "w")) for i in range(count)]
    try:
        time.sleep(3)  # started and waiting, as in a deployment
        begun = time.perf_counter()
        done = subprocess.run([*cmd, "ingest", *map(str, archives), "--broker", broker, "--slice", str(slice_size),
                               "--json"], capture_output=True, text=True)
        seconds = time.perf_counter() - begun
        if done.returncode:
            sys.exit(f"ingest with workers failed:\n{done.stderr[-3000:]}")
        summary = json.loads(done.stdout)
        rss = max(vm_hwm(w.pid) for w in workers)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait()
        import redis
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)
    with engine.connect() as conn:
        jobs = conn.execute(select(Job).where(Job.run_id.is_not(None))).all()
    engine.dispose()
    stages = {}
    for stage in ("ingest", "series", "review", "finish"):
        mine = [j for j in jobs if j.stage == stage]
        if mine:
            stages[stage] = (max(j.finished_at for j in mine) - min(j.started_at for j in mine)).total_seconds()
    results = [loads(j.result) for j in jobs if j.stage == "ingest"]
    write = sum(r.get("write_s", 0) for r in results)
    work = {"read+parse": sum(r.get("job_s", 0) for r in results) - write, "store+threads": write}
    return {"read": summary["read"], "stored": summary["stored"], "balanced": summary["balanced"],
            "seconds": seconds, "stages": stages, "worker_seconds": work, "rss_mb": rss,
            "slices": len(results), "attempts": sum(j.attempts for j in jobs),
            "retries": sum(open(logs / f"scale-worker{i}.log").read().count("conflict with") for i in range(count))}


def measure(backend: str, mode: str, archives: list[Path], args) -> dict:
    db, size, drop = fresh_store(backend, args.data, args.pg, f"{backend[:2]}{mode[0]}")
    print(f"{backend} {mode} ...", file=sys.stderr, flush=True)
    meter = Cpu(make_url(resolve_url(args.pg)).database or "")
    result = (run_single(db, archives) if mode == "single"
              else run_workers(db, archives, args.workers, args.slice, args.redis, args.data))
    result["cpu"] = meter.stop()
    result["store_mb"] = size() / 2**20
    result["rate"] = result["read"] / result["seconds"]
    drop()
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def show(backend: str, one: dict, many: dict, workers: int) -> None:
    print(f"  1 process        {one['rate']:8.0f} msg/s  {one['seconds']:7.1f} s  "
          f"peak RSS {one['rss_mb']:5.0f} MB  store {one['store_mb']:6.0f} MB")
    print(f"  {workers} workers        {many['rate']:8.0f} msg/s  {many['seconds']:7.1f} s  "
          f"peak RSS {many['rss_mb']:5.0f} MB  store {many['store_mb']:6.0f} MB  "
          f"ratio {many['rate'] / one['rate']:.2f}x")
    print("  1 process stages  " + "  ".join(f"{k} {v:.1f} s" for k, v in one["stages"].items()))
    print("  workers stages    " + "  ".join(f"{k} {v:.1f} s" for k, v in many["stages"].items())
          + "   (ingest worker-seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in many["worker_seconds"].items())
          + f"; {many['slices']} slices, {many['retries']} conflict retries)")
    for label, r in (("1 process", one), ("workers", many)):
        c = r["cpu"]
        print(f"  CPU s, {label:9}  ours {c['ours']:.0f}  PostgreSQL {c['postgres']:.0f}  "
              f"other processes {c['others']:.0f}  idle {c['all'] - c['busy']:.0f}  (of {c['all']:.0f}; "
              f"cores used {(c['ours'] + c['postgres']) / r['seconds']:.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("archives", nargs="+", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--slice", type=int, default=5000, help="messages per ingest job")
    ap.add_argument("--limit", type=int, default=0, help="first N messages of each archive")
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of (1 process, workers) per back end")
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    ap.add_argument("--pg", default=PG)
    ap.add_argument("--redis", default=REDIS)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    if "postgresql" in args.backends:
        ensure_database(args.pg)
    archives = limited(args.archives, args.limit, args.data) if args.limit else args.archives
    report: dict[str, list] = {}
    for backend in args.backends.split(","):
        report[backend] = [(measure(backend, "single", archives, args), measure(backend, "workers", archives, args))
                           for _ in range(args.repeat)]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"archives: {', '.join(map(str, args.archives))}" + (f" (first {args.limit} each)" if args.limit else ""))
    for backend, rounds in report.items():
        one, many = rounds[0]
        print(f"\n{backend}: {one['read']:,} messages, stored {one['stored']:,} / {many['stored']:,}, "
              f"balanced {all(r['balanced'] for pair in rounds for r in pair)}")
        for i, (one, many) in enumerate(rounds, 1):
            if len(rounds) > 1:
                print(f" round {i}")
            show(backend, one, many, args.workers)
        ratios = [many["rate"] / one["rate"] for one, many in rounds]
        if len(rounds) > 1:
            print(f"  ratios {', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_single":
        single(sys.argv[2], sys.argv[3:])
    else:
        main()
