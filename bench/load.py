#!/usr/bin/env python3
"""Does the desk keep answering under 200 concurrent clients?

    bench/load.py [--db STORE] [--clients 200] [--seconds 30] [--baseline-seconds 10]
                  [--workers 1] [--timeout 60] [--json]

``--db`` is a store to serve (a SQLite path or a database URL, as
``patchdesk --db``); without it a list is generated (``--generate`` series
of five patches, a cover letter and three reviews each) and ingested into
a temporary SQLite store, removed afterwards.

What runs:

1. ``patchdesk serve --workers W`` starts as a subprocess on a free port,
   exactly as a user starts it (its limits: web/serve.py);
2. a separate load process (asyncio, one ``httpx.AsyncClient`` and so one
   keep-alive connection per client) runs two phases against the same
   server: the baseline, one client for ``--baseline-seconds``, then
   ``--clients`` clients for ``--seconds``.  Each client asks, in turn,
   for the board (``/``), a series page (``/series/ID``, rotating over the
   most recent series) and ``/api/series``, as fast as it is answered;
3. per phase and endpoint: requests answered, errors (anything but 200, a
   transport error or no answer within ``--timeout``), p50/p95/p99/max,
   requests per second, and how many clients got at least one answer; and
   each endpoint's p50 and p95 under load over the same endpoint's with
   one client ("x 1 client").

"Keeps answering" means: no error and no timeout, and every client got
answers.  With one server process a request under load waits for the
requests queued before it, so latency grows with the clients (about
clients / throughput): the ratio shows it.  The machine these figures come
from is shared (two cores, the load process on them too): compare ratios,
not milliseconds, and never use them as test thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures as cf
import json
import multiprocessing
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from web import free_port, pct, server_memory, start_server, stop_server  # noqa: E402

ENDPOINTS = ("board", "series page", "api series")


# ---------------------------------------------------------------- the store

def generate(path: Path, series: int) -> None:
    """A list of ``series`` series: cover, five patches, three reviews each."""
    mails = []
    for s in range(series):
        day = 1 + s % 28
        date = f"Mon, {day:02d} Nov 2026 {s % 24:02d}:00:00 +0000"
        dev = f"Dev {s % 40} <dev{s % 40}@example.org>"
        cover = f"s{s}-0@example.org"
        mails.append(_mail(cover, f"[PATCH 0/5] frob: area {s}: rework step {s}", dev, date, (),
                           f"This reworks area {s}.\n"))
        for n in range(1, 6):
            diff = (f"diff --git a/drivers/frob/a{s % 60}.c b/drivers/frob/a{s % 60}.c\n"
                    f"index 1111111..2222222 100644\n--- a/drivers/frob/a{s % 60}.c\n+++ b/drivers/frob/a{s % 60}.c\n"
                    f"@@ -{n * 10},3 +{n * 10},3 @@ static int frob(void)\n {{\n-\treturn old_{s}_{n}();\n"
                    f"+\treturn new_{s}_{n}();\n }}\n")
            mails.append(_mail(f"s{s}-{n}@example.org", f"[PATCH {n}/5] frob: area {s}: part {n} of the rework",
                               dev, date, (cover,), f"Part {n}.\n\nSigned-off-by: {dev}\n---\n{diff}-- \n2.47.0\n"))
        for r, words in enumerate(("Looks good.\n\nReviewed-by: Rita <rita@example.org>\n",
                                   "> -\treturn old();\n\nPlease keep the old name.\n",
                                   "Tested on my board.\n\nTested-by: Tom <tom@example.org>\n")):
            mails.append(_mail(f"s{s}-r{r}@example.org", f"Re: [PATCH {r + 1}/5] frob: area {s}: part {r + 1}",
                               "Rita <rita@example.org>", date, (cover, f"s{s}-{r + 1}@example.org"), words))
    path.write_bytes(b"".join(mails))


def _mail(msgid: str, subject: str, sender: str, date: str, refs: tuple[str, ...], body: str) -> bytes:
    head = [f"From: {sender}", "To: frob-devel@lists.example.org", f"Subject: {subject}", f"Date: {date}",
            f"Message-Id: <{msgid}>"]
    if refs:
        head += ["References: " + " ".join(f"<{r}>" for r in refs), f"In-Reply-To: <{refs[-1]}>"]
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"]
    return b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + ("\n".join(head) + "\n\n" + body + "\n").encode()


def recent_series(db: str, limit: int = 50) -> tuple[int, int, list[int]]:
    """(messages, series, ids of the most recently active series)."""
    from sqlalchemy import func, select

    from patchdesk.store.db import open_engine
    from patchdesk.store.schema import Message, Series

    engine = open_engine(db)
    try:
        with engine.connect() as conn:
            messages = conn.execute(select(func.count()).select_from(Message)).scalar_one()
            count = conn.execute(select(func.count()).select_from(Series)).scalar_one()
            ids = conn.execute(select(Series.id).order_by(Series.last_date.desc(), Series.id.desc())
                               .limit(limit)).scalars().all()
    finally:
        engine.dispose()
    return messages, count, list(ids)


# ---------------------------------------------------------------- the load

async def _client(http, number: int, paths: list[list[str]], deadline: float, timeout: float, out: list) -> None:
    import httpx

    turn = number
    while time.monotonic() < deadline:
        kind = turn % len(paths)
        path = paths[kind][(turn // len(paths)) % len(paths[kind])]
        turn += 1
        start = time.monotonic()
        try:
            r = await asyncio.wait_for(http.get(path), timeout)
            why = "" if r.status_code == 200 else f"HTTP {r.status_code}"
        except (httpx.HTTPError, asyncio.TimeoutError) as exc:
            why = "timeout" if isinstance(exc, (asyncio.TimeoutError, httpx.TimeoutException)) else type(exc).__name__
        out.append((number, kind, time.monotonic() - start, why))


async def _phase(base: str, paths: list[list[str]], clients: int, seconds: float, timeout: float) -> dict:
    import httpx

    out: list = []
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    https = [httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) for _ in range(clients)]
    try:
        for http in https:  # connect and warm up, outside the timed span
            await http.get("/api/stats")
        start = time.monotonic()
        await asyncio.gather(*(_client(http, i, paths, start + seconds, timeout, out) for i, http in enumerate(https)))
        wall = time.monotonic() - start
    finally:
        await asyncio.gather(*(http.aclose() for http in https))
    return {"clients": clients, "wall": wall, "results": out}


def drive(base: str, paths: list[list[str]], plan: list[tuple[int, float]], timeout: float) -> list[dict]:
    """Runs in the load process: the phases of ``plan`` (clients, seconds) in order."""
    return [asyncio.run(_phase(base, paths, clients, seconds, timeout)) for clients, seconds in plan]


def summarise(phase: dict) -> dict:
    results = phase["results"]

    def stats(rows: list) -> dict:
        ok = [r[2] * 1000 for r in rows if not r[3]]
        errors = [r[3] for r in rows if r[3]]
        return {"requests": len(ok), "errors": len(errors), "error_kinds": sorted(set(errors)),
                "rps": round(len(ok) / phase["wall"], 1), "p50_ms": pct(ok, 50), "p95_ms": pct(ok, 95),
                "p99_ms": pct(ok, 99), "max_ms": max(ok, default=float("nan"))}

    answered = {r[0] for r in results if not r[3]}
    return {"clients": phase["clients"], "seconds": round(phase["wall"], 1), "all": stats(results),
            "clients_answered": len(answered),
            "endpoints": {name: stats([r for r in results if r[1] == k]) for k, name in enumerate(ENDPOINTS)}}


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="store to serve (default: generate one in a temporary directory)")
    ap.add_argument("--generate", type=int, default=400, help="series in the generated list (default 400)")
    ap.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    ap.add_argument("--seconds", type=float, default=30, help="length of the loaded phase (default 30)")
    ap.add_argument("--baseline-seconds", type=float, default=10, help="length of the one-client phase (default 10)")
    ap.add_argument("--workers", type=int, default=1, help="server processes (default 1, as patchdesk serve)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds before a request counts as an error")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()

    scratch = None
    db = args.db
    if db is None:
        scratch = Path(tempfile.mkdtemp(prefix="pd-load-"))
        db = str(scratch / "load.db")
        generate(scratch / "list.mbox", args.generate)
        subprocess.run([sys.executable, "-m", "patchdesk", "--db", db, "ingest", str(scratch / "list.mbox"),
                        "--list", "frob-devel"], check=True, capture_output=True)
    try:
        messages, count, ids = recent_series(db)
        if not ids:
            sys.exit("no series in the store")
        paths = [["/"], [f"/series/{i}" for i in ids], ["/api/series"]]
        port = free_port()
        log = tempfile.TemporaryFile()
        server = start_server(db, port, args.workers, log)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the server
        try:
            with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                phases = pool.submit(drive, f"http://127.0.0.1:{port}", paths,
                                     [(1, args.baseline_seconds), (args.clients, args.seconds)], args.timeout).result()
            memory = server_memory(server.pid)
        finally:
            stop_server(server)
        log.seek(0)
        tracebacks = log.read().decode(errors="replace").count("Traceback (most recent call last)")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    base, loaded = summarise(phases[0]), summarise(phases[1])
    for name, row in loaded["endpoints"].items():
        one = base["endpoints"][name]
        row["x_p50"] = round(row["p50_ms"] / one["p50_ms"], 1) if one["p50_ms"] else None
        row["x_p95"] = round(row["p95_ms"] / one["p95_ms"], 1) if one["p95_ms"] else None
    keeps = (loaded["all"]["errors"] == 0 and base["all"]["errors"] == 0
             and loaded["clients_answered"] == args.clients)
    result = {"db": args.db or f"generated ({args.generate} series)", "messages": messages, "series": count,
              "workers": args.workers, "baseline": base, "loaded": loaded, "keeps_answering": keeps,
              "server_tracebacks": tracebacks, "server_max_rss_mib": memory["max_hwm_mib"]}
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    print(f"store: {result['db']}: {messages:,} messages, {count:,} series; server: {args.workers} process(es), "
          f"peak RSS {memory['max_hwm_mib']} MiB, {tracebacks} traceback(s) in its log")
    print(f"{'phase':<12} {'endpoint':<12} {'answered':>8} {'errors':>6} {'req/s':>7} {'p50':>8} {'p95':>8} "
          f"{'p99':>8} {'max':>8}  {'x 1 client (p50, p95)'}")
    for phase in (base, loaded):
        label = f"{phase['clients']} client" + ("s" if phase["clients"] > 1 else "")
        for name, row in [("all", phase["all"]), *phase["endpoints"].items()]:
            ratio = f"{row['x_p50']}, {row['x_p95']}" if "x_p50" in row else ""
            print(f"{label:<12} {name:<12} {row['requests']:>8} {row['errors']:>6} {row['rps']:>7} "
                  f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f}  {ratio}")
            label = ""
    print(f"{loaded['clients_answered']} of {args.clients} clients answered in {loaded['seconds']} s; "
          f"errors: {loaded['all']['errors']} {loaded['all']['error_kinds'] or ''}; "
          f"keeps answering: {'yes' if keeps else 'NO'}")


if __name__ == "__main__":
    main()
