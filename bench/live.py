#!/usr/bin/env python3
"""Live delivery: time from an LMTP delivery to the state being visible.

    bench/live.py --base STORE.db --mail DIR [--count 1000] [--tree PATH --branch B]

1. baseline: a do-nothing LMTP server in this process (aiosmtpd, the
   same library) that acknowledges and discards each message: what the
   protocol and the loopback cost;
2. a real ``patchdesk lmtp`` process on a copy of ``--base`` (a store
   already holding the list's earlier history), optionally with a git
   tree registered and scanned;
3. the ``.eml`` files of ``--mail`` (the list's next messages, in order)
   are delivered one by one; after each, the store is polled (every
   2 ms, another connection) until the message is there and nothing is
   left to settle (no dirty sender, no dirty thread): what ``show`` and
   the desk would then display.

Prints p50/p95/max of the acknowledgement and of delivery-to-visible, and
their ratio to the baseline.  Machines here are noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen | None = None) -> None:
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise SystemExit(proc.stderr.read().decode())
            time.sleep(0.1)
    raise SystemExit("server did not start")


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": at(0.50), "p95": at(0.95), "max": ordered[-1], "mean": statistics.fmean(ordered)}


def baseline(mails: list[bytes]) -> list[float]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.lmtp import LMTP

    class Discard:
        async def handle_DATA(self, server, session, envelope):
            return "250 2.0.0 discarded"

    class Server(LMTP):
        line_length_limit = 1024 * 1024  # as patchdesk's own

    class Lmtp(Controller):
        def factory(self):
            return Server(self.handler, **self.SMTP_kwargs)

    port = free_port()
    controller = Lmtp(Discard(), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    try:
        return deliver(port, mails, None)[0]
    finally:
        controller.stop()


def visible(engine, msgid: str) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "select exists(select 1 from messages where msgid = :m) "
            "and not exists(select 1 from dirty_senders) and not exists(select 1 from dirty_roots)"),
            {"m": msgid}).scalar())


def msgid_of(data: bytes) -> str:
    from email.parser import BytesHeaderParser
    value = BytesHeaderParser().parsebytes(data).get("Message-ID", "") or ""
    return str(value).strip().strip("<>").strip()


def deliver(port: int, mails: list[bytes], engine) -> tuple[list[float], list[float]]:
    acks, seen = [], []
    client = smtplib.LMTP("127.0.0.1", port)
    try:
        for data in mails:
            started = time.perf_counter()
            # on the wire with CRLF, as an MTA sends it (smtplib leaves bytes alone)
            wire = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            client.sendmail("list-owner@example.org", ["ltp@lists.linux.it"], wire)
            acks.append(time.perf_counter() - started)
            if engine is not None:
                msgid = msgid_of(data)
                while not visible(engine, msgid):
                    time.sleep(0.002)
                seen.append(time.perf_counter() - started)
    finally:
        client.quit()
    return acks, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--mail", type=Path, required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--tree", type=Path)
    parser.add_argument("--branch", default="master")
    args = parser.parse_args()
    files = sorted(args.mail.glob("*.eml"))[:args.count]
    mails = [f.read_bytes() for f in files if msgid_of(f.read_bytes())]
    work = Path(tempfile.mkdtemp(prefix="pd-live-"))
    db = work / "live.db"
    shutil.copy(args.base, db)
    pd = [sys.executable, "-m", "patchdesk", "--db", str(db)]
    if args.tree:
        subprocess.run([*pd, "tree", "add", "bench", str(args.tree), "--branch", args.branch], check=True)
        started = time.perf_counter()
        subprocess.run([*pd, "tree", "scan"], check=True, capture_output=True)
        print(f"tree scanned and matched in {time.perf_counter() - started:.1f} s")
    base = percentiles(baseline(mails))
    port = free_port()
    proc = subprocess.Popen([*pd, "lmtp", "--port", str(port), "--list", "ltp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc)
        engine = create_engine(f"sqlite:///{db}")
        while True:  # whatever the base store left to settle is not counted
            with engine.connect() as conn:
                if not conn.execute(text("select exists(select 1 from dirty_senders) "
                                         "or exists(select 1 from dirty_roots)")).scalar():
                    break
            time.sleep(0.05)
        acks, seen = deliver(port, mails, engine)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    ack, vis = percentiles(acks), percentiles(seen)
    print(f"{len(mails)} messages delivered one by one"
          f"{' (tree ' + str(args.tree) + ' registered)' if args.tree else ''}")
    print(f"{'':>24} {'p50':>9} {'p95':>9} {'max':>9} {'mean':>9}")
    for name, p in (("baseline ack (discard)", base), ("patchdesk ack (stored)", ack),
                    ("delivery to visible", vis)):
        print(f"{name:>24} " + " ".join(f"{p[k] * 1000:8.1f}ms" for k in ("p50", "p95", "max", "mean")))
    print(f"ratio to baseline p95: ack {ack['p95'] / base['p95']:.1f}x, visible {vis['p95'] / base['p95']:.1f}x")
    print(f"visible under 1 s: {sum(s < 1 for s in seen)}/{len(seen)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
