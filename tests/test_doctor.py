"""``patchdesk doctor`` and the cheap check on open (issue 17, item 7): a
damaged store is said in one line, never read as if whole."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from mailgen import make_mail, mbox, patch_body
from patchdesk.store.db import open_engine
from patchdesk.store.messages import compress


def pd(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def store(tmp_path):
    """A store of 60 patches and replies, checkpointed into its main file."""
    mails = []
    for i in range(30):
        mails.append(make_mail(f"p{i}@x", f"[PATCH] frob: change {i}",
                               body=patch_body(f"Change {i}. " + "Why. " * 200, f"src/f{i}.c", "a = 0;", "a = 1;")))
        mails.append(make_mail(f"r{i}@x", f"Re: [PATCH] frob: change {i}", refs=(f"p{i}@x",),
                               sender="Maria <maria@example.org>", body="Looks good.\n\nAcked-by: Maria <maria@example.org>\n"))
    (tmp_path / "l.mbox").write_bytes(mbox(mails))
    db = tmp_path / "d.db"
    assert pd(db, "ingest", str(tmp_path / "l.mbox")).returncode == 0
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return db


def test_a_whole_store_is_whole(store):
    done = pd(store, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "raw mail, messages: 60 checked, all intact" in done.stdout and "the store is whole" in done.stdout


def test_a_raw_message_changed_under_its_hash_is_found(store):
    con = sqlite3.connect(store)
    con.execute("UPDATE messages SET raw = ? WHERE msgid = 'p7@x'", (compress(b"From: eve\n\nnot what arrived\n"),))
    con.commit()
    victim = con.execute("SELECT id FROM messages WHERE msgid = 'p7@x'").fetchone()[0]
    con.close()
    done = pd(store, "doctor", "--json")
    assert done.returncode == 1
    found = json.loads(done.stdout)
    assert found["ok"] is False and found["bad_raw"]["messages"] == [victim] and found["checked"]["messages"] == 60


def test_a_damaged_page_is_found_and_commands_say_one_line(store):
    con = sqlite3.connect(store)
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'messages'").fetchone()[0]
    con.close()
    with open(store, "r+b") as fh:  # the table's root page: its header and cell pointers
        fh.seek((root - 1) * page)
        fh.write(b"\xa5" * 64)
    done = pd(store, "doctor")
    pages = done.stdout.split("database pages: ")[1].split("\n")[0]
    assert done.returncode == 1 and "problem" in pages and "ok" not in pages
    for command in (["status"], ["export"], ["series"], ["show", "1"]):  # each reads the damaged table
        said = pd(store, *command)
        assert said.returncode == 2 and "Traceback" not in said.stderr, command
        assert len(said.stderr.strip().splitlines()) == 1 and "doctor" in said.stderr, said.stderr


def test_a_truncated_store_is_refused_on_open(store):
    size = store.stat().st_size
    with open(store, "r+b") as fh:
        fh.truncate(size // 2)
    said = pd(store, "status")
    assert said.returncode == 2 and "Traceback" not in said.stderr
    assert "is damaged" in said.stderr and "doctor" in said.stderr and len(said.stderr.strip().splitlines()) == 1
    done = pd(store, "doctor", "--json")
    assert done.returncode == 1 and "pages of" in json.loads(done.stdout)["header"]


def test_a_whole_store_opens_without_complaint(store):
    engine = open_engine(str(store), create=False)
    engine.dispose()


def test_examine_finds_changed_raw_mail_on_both_stores(engine, tmp_path):
    from sqlalchemy import text

    from patchdesk.pipeline.doctor import examine
    from patchdesk.pipeline.ingest import ingest
    (tmp_path / "l.mbox").write_bytes(mbox([make_mail(f"p{i}@x", f"[PATCH] frob: change {i}") for i in range(3)]))
    ingest(engine, [tmp_path / "l.mbox"], jobs=1)
    assert examine(engine).ok
    with engine.begin() as conn:
        conn.execute(text("UPDATE messages SET raw = :raw WHERE msgid = 'p1@x'"), {"raw": b"not zstd at all"})
    found = examine(engine)
    assert not found.ok and found.checked == {"messages": 3, "quarantine": 0} and len(found.bad_raw["messages"]) == 1
