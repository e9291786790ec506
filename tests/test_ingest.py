"""Ingest into a real store (SQLite and PostgreSQL): balance, idempotence,
conflicts, quarantine, incremental threads and rebuild."""

import random

import pytest
from sqlalchemy import func, select

from patchdesk.pipeline.ingest import ingest
from patchdesk.pipeline.rebuild import rebuild
from patchdesk.store.messages import counts, raw_message
from patchdesk.store.schema import Base, Message, MessageList, Quarantine, ThreadNode
from patchdesk.store.threads import thread_nodes

from conftest import CORPUS
from mailgen import make_mail, mbox, patch_body
from publicinbox_tools import make_v2_inbox

THREAD = [
    make_mail("cover@x", "[PATCH 0/2] frob: timeouts", date="Mon, 02 Nov 2026 10:00:00 +0000"),
    make_mail("p1@x", "[PATCH 1/2] frob: a", refs=("cover@x",), date="Mon, 02 Nov 2026 10:00:01 +0000",
              body=patch_body("Fix a.", "src/a.c", "return a(1);", "return a(2);")),
    make_mail("p2@x", "[PATCH 2/2] frob: b", refs=("cover@x", "p1@x"), date="Mon, 02 Nov 2026 10:00:02 +0000",
              body=patch_body("Fix b.", "src/b.c", "return b(1);", "return b(2);")),
    make_mail("r1@x", "Re: [PATCH 1/2] frob: a", refs=("cover@x", "p1@x"), sender="Maria <m@x>",
              date="Tue, 03 Nov 2026 09:00:00 +0000", body="> a\nReviewed-by: Maria <m@x>\n"),
    make_mail("r2@x", "Re: [PATCH 1/2] frob: a", refs=("cover@x", "p1@x", "r1@x"),
              date="Tue, 03 Nov 2026 10:00:00 +0000"),
]


def _threads(engine):
    with engine.connect() as conn:
        return {(n.msgid, n.parent, n.root, n.present)
                for n in conn.execute(select(ThreadNode.msgid, ThreadNode.parent,
                                             ThreadNode.root, ThreadNode.present))}


def test_corpus_ingest_balances_and_is_idempotent(engine):
    first = ingest(engine, [CORPUS], list_name="corpus")
    assert first.balanced and first.read > 480
    assert first.stored > 400 and first.quarantined >= 3
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(Message)).scalar_one()
        held = conn.execute(select(func.count()).select_from(Quarantine)).scalar_one()
        listed = conn.execute(select(func.count()).select_from(MessageList)).scalar_one()
    assert (stored, held, listed) == (first.stored, first.quarantined, first.stored)
    second = ingest(engine, [CORPUS], list_name="corpus")
    # mbox files resume after their last message; the rest is re-read
    assert second.balanced and 0 < second.read < first.read
    assert (second.stored, second.quarantined, second.known) == (0, 0, second.read)
    third = ingest(engine, [CORPUS], list_name="corpus", reread=True)
    assert third.read == first.read
    assert (third.stored, third.quarantined, third.known) == (0, 0, third.read)


def test_raw_bytes_are_kept_exactly(engine, tmp_path):
    raws = [r.replace(b"\n", b"\r\n") if i == 2 else r for i, r in enumerate(THREAD)]
    (tmp_path / "t.mbox").write_bytes(mbox(raws))
    ingest(engine, [tmp_path / "t.mbox"])
    with engine.connect() as conn:
        stored = {m: raw_message(conn, i) for i, m in conn.execute(select(Message.id, Message.msgid))}
    assert sorted(stored.values()) == sorted(raws)


def test_duplicate_message_id_with_other_content_is_kept_and_flagged(engine, tmp_path):
    a = make_mail("dup@x", "[PATCH] one", body="first\n")
    b = make_mail("dup@x", "[PATCH] two", body="second\n")
    same_post_other_route = b"Received: from relay by mx; Mon, 02 Nov 2026 10:00:00 +0000\n" + a
    (tmp_path / "d.mbox").write_bytes(mbox([a, b, same_post_other_route]))
    summary = ingest(engine, [tmp_path / "d.mbox"])
    assert (summary.stored, summary.known, summary.conflicts) == (2, 1, 2)
    with engine.connect() as conn:
        flags = conn.execute(select(Message.subject, Message.msgid_conflict)).all()
    assert sorted(flags) == [("[PATCH] one", True), ("[PATCH] two", True)]


def test_unreadable_mail_is_quarantined_and_the_run_goes_on(engine, tmp_path):
    (tmp_path / "q.mbox").write_bytes(mbox([THREAD[0], b"no headers here\n", THREAD[1]]))
    summary = ingest(engine, [tmp_path / "q.mbox"])
    assert (summary.stored, summary.quarantined) == (2, 1) and summary.balanced
    with engine.connect() as conn:
        reason, position = conn.execute(select(Quarantine.reason, Quarantine.position)).one()
    assert reason == "no RFC 5322 header block" and int(position) > 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_threads_do_not_depend_on_arrival_order(engine, tmp_path, seed):
    ingest(engine, [_write(tmp_path, "all.mbox", THREAD)])
    expected = _threads(engine)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ("lists", "sources"):
                conn.execute(table.delete())
    shuffled = THREAD[:]
    random.Random(seed).shuffle(shuffled)
    for i, raw in enumerate(shuffled):  # one message per run: fully incremental
        ingest(engine, [_write(tmp_path, f"{seed}-{i}.mbox", [raw])])
    assert _threads(engine) == expected
    assert ("cover@x", None, "cover@x", True) in expected
    assert ("r2@x", "r1@x", "cover@x", True) in expected


def test_late_parent_replaces_placeholder(engine, tmp_path):
    ingest(engine, [_write(tmp_path, "a.mbox", THREAD[3:])])
    with engine.connect() as conn:
        before = {n.msgid: n.present for n in thread_nodes(conn, "r2@x")}
    assert before == {"cover@x": False, "p1@x": False, "r1@x": True, "r2@x": True}
    ingest(engine, [_write(tmp_path, "b.mbox", THREAD[:3])])
    with engine.connect() as conn:
        after = {n.msgid: n.present for n in thread_nodes(conn, "r2@x")}
    assert after == dict.fromkeys(["cover@x", "p1@x", "p2@x", "r1@x", "r2@x"], True)


def test_rebuild_recomputes_everything_from_raw(engine, tmp_path):
    ingest(engine, [_write(tmp_path, "t.mbox", THREAD)])
    threads = _threads(engine)
    with engine.begin() as conn:
        conn.execute(Message.__table__.update().values(subject="garbage", refs=""))
        conn.execute(ThreadNode.__table__.delete())
    assert rebuild(engine) == {"messages": 5, "thread_nodes": 5, "submissions": 3, "series": 1,
                              "reviewed_series": 1}
    assert _threads(engine) == threads
    with engine.connect() as conn:
        subjects = set(conn.execute(select(Message.subject)).scalars())
    assert "garbage" not in subjects and "[PATCH 0/2] frob: timeouts" in subjects


@pytest.mark.slow
def test_public_inbox_cursor_and_deletion(engine, tmp_path):
    inbox = make_v2_inbox(tmp_path / "pi")
    inbox.add_many(THREAD[:3])
    first = ingest(engine, [inbox.path], list_name="frob")
    assert (first.read, first.stored) == (3, 3)
    assert ingest(engine, [inbox.path]).read == 0  # cursor: nothing new to read
    inbox.add(THREAD[3])
    inbox.remove(THREAD[2])
    third = ingest(engine, [inbox.path])
    assert (third.read, third.stored, third.known, third.deleted) == (2, 1, 1, 1)
    with engine.connect() as conn:
        assert counts(conn)["deleted"] == 1
        assert conn.execute(select(Message.deleted).where(Message.msgid == "p2@x")).scalar_one()


def _write(tmp_path, name, raws):
    path = tmp_path / name
    path.write_bytes(mbox(raws))
    return path


@pytest.mark.slow
def test_public_inbox_with_parallel_parsing_and_many_batches(sqlite_engine, tmp_path, monkeypatch):
    """Workers must not inherit the git pipes of an open source (a hang)."""
    from patchdesk.pipeline import ingest as ingest_module
    monkeypatch.setattr(ingest_module, "BATCH_MESSAGES", 2)
    inbox = make_v2_inbox(tmp_path / "pi")
    inbox.add_many(THREAD)
    summary = ingest(sqlite_engine, [inbox.path], jobs=2)
    assert (summary.read, summary.stored) == (5, 5)


def test_progress_counts_the_source_in_its_own_units(engine, tmp_path):
    """Issue 18 item 12: done / total of an mbox in bytes, as a bar with time left needs."""
    path = tmp_path / "list.mbox"
    path.write_bytes(mbox([make_mail(f"{i}@x", f"m{i}") for i in range(50)]))
    seen = []
    ingest(engine, [path], progress=lambda s: seen.append((s.stage, s.done, s.total, s.unit, s.source)))
    reading = [x for x in seen if x[0] == "reading"]
    size = path.stat().st_size
    assert reading and reading[-1][1:4] == (size, size, "bytes") and reading[-1][4].endswith("list.mbox")
    assert [x[1] for x in reading] == sorted(x[1] for x in reading)
