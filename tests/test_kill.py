"""Ingest killed with SIGKILL at random moments loses and duplicates nothing.

A real ``patchdesk ingest`` process is started and killed again and again
on the same store; a final run completes it.  The store must then hold
exactly what one clean run stores.
"""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from patchdesk.store.db import open_engine
from patchdesk.store.queries import export
from patchdesk.store.schema import Message, ThreadNode

from mailgen import make_mail, mbox, patch_body


def _archive(n: int) -> bytes:
    raws = []
    for i in range(n):
        series = i // 10
        refs = (f"s{series}-0@x",) if i % 10 else ()
        body = patch_body(f"Change {i}.\n" + "More words.\n" * 40, f"src/f{i % 37}.c",
                          f"return old_{i}();", f"return new_{i}();")
        raws.append(make_mail(f"s{series}-{i % 10}@x", f"[PATCH {i % 10}/9] frob: part {i}",
                              refs=refs, body=body, sender=f"Dev {series % 50} <dev{series % 50}@x>"))
    return mbox(raws)


def _ingest(db, path, *extra):
    return subprocess.Popen([sys.executable, "-m", "patchdesk", "--db", str(db), "ingest", str(path),
                             "--json", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _state(db):
    engine = open_engine(str(db))
    with engine.connect() as conn:
        doc = export(conn)
        state = (
            conn.execute(select(func.count()).select_from(Message)).scalar_one(),
            conn.execute(select(func.count(func.distinct(Message.msgid)))).scalar_one(),
            sorted(conn.execute(select(ThreadNode.msgid, ThreadNode.parent, ThreadNode.root))),
            sorted((tuple(s["patches"]), s["cover"], s["state"]) for s in doc["series"]),
            sorted((p["msgid"], p["state"], tuple(p["superseded_by"])) for p in doc["patches"]),
        )
    engine.dispose()
    return state


@pytest.mark.slow
def test_sigkill_during_ingest_loses_and_duplicates_nothing(tmp_path):
    path = tmp_path / "big.mbox"
    path.write_bytes(_archive(12000))
    clean = tmp_path / "clean.db"
    assert _ingest(clean, path).wait() == 0
    expected = _state(clean)
    assert expected[0] == 12000 and len(expected[3]) == 1200

    db = tmp_path / "killed.db"
    rng = random.Random(7)
    kills = 0
    for _ in range(15):
        if kills >= 5:
            break
        proc = _ingest(db, path, "--jobs", rng.choice(["1", "2"]))
        time.sleep(rng.uniform(0.4, 1.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 5
    final = _ingest(db, path)
    assert final.wait() == 0, final.stderr.read()
    assert _state(db) == expected
    # the parser workers of the killed runs left with them
    deadline = time.monotonic() + 10
    while _leftovers(db) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _leftovers(db) == []


def _leftovers(db) -> list[str]:
    found = subprocess.run(["pgrep", "-f", str(db)], capture_output=True, text=True).stdout
    return found.split()
