"""The bad-input suite of the hardening issue, through the whole pipeline.

Hostile mail is ingested between ordinary list traffic. Each hostile
message must get a bounded run (the test's timeout), a quarantine reason
or a correct result, and the ordinary mail must come out exactly as it does
without the hostile mail around it.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from mailgen import make_mail, mbox, patch_body
from patchdesk.cli import app
from patchdesk.store.schema import Message, ThreadNode

runner = CliRunner()


def ordinary() -> list[bytes]:
    """A small list: a series with a v2 and reviews."""
    out = []
    for v, tag in ((1, "PATCH"), (2, "PATCH v2")):
        for k in (1, 2):
            out.append(make_mail(f"ok{v}{k}@x", f"[{tag} {k}/2] frob: step {k}",
                                 date=f"Mon, 0{v + 1} Nov 2026 10:0{k}:00 +0000",
                                 refs=(f"ok1{k}@x",) if v == 2 else (),
                                 body=patch_body(f"Step {k}.", f"drivers/frob/s{k}.c", f"a = {k};", f"a = {k + v};")))
        out.append(make_mail(f"rev{v}@x", f"Re: [{tag} 1/2] frob: step 1", sender="Maria <maria@frob.org>",
                             date=f"Mon, 0{v + 1} Nov 2026 12:00:00 +0000", refs=(f"ok{v}1@x",),
                             body="> Step 1.\n\nReviewed-by: Maria <maria@frob.org>\n" if v == 2 else
                             "> Step 1.\n\nNAK, the limit is wrong.\n"))
    return out


def nested_mime(depth: int) -> bytes:
    head = ["From: Eve <eve@x>", "Subject: [PATCH] deep", "Message-Id: <deep@x>", "MIME-Version: 1.0"]
    parts, close = [], []
    for i in range(depth):
        parts.append(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}")
        close.append(f"--b{i}--")
    body = "\n".join(parts) + "\nContent-Type: text/plain\n\nhello\n" + "\n".join(reversed(close))
    return ("\n".join(head) + "\n" + body + "\n").encode()


def hostile() -> dict[str, bytes]:
    huge_diff = "".join(f"+line {i}\n" for i in range(1_000_000))
    return {
        "tens of MB": make_mail("big@x", "[PATCH] big", body="x" * 80 + "\n" * 1 + ("y" * 79 + "\n") * 300_000),
        "million-line diff": make_mail("million@x", "[PATCH] million", body=(
            "Add a table.\n---\ndiff --git a/t.c b/t.c\nnew file mode 100644\n--- /dev/null\n+++ b/t.c\n"
            "@@ -0,0 +1,1000000 @@\n" + huge_diff)),
        "deep MIME": nested_mime(1000),
        "10,000 quote levels": make_mail("quotes@x", "Re: [PATCH] big", refs=("big@x",),
                                         body=">" * 10_000 + " NAK\n\nAcked-by: Eve <eve@x>\n"),
        "header injection": (b"From: =?utf-8?q?Eve=0D=0ABcc:_victim@example.com?= <eve@x>\n"
                             b"Subject: =?utf-8?q?[PATCH]_x=0D=0AX-Evil:_1?=\nMessage-Id: <inject@x>\n"
                             b"Date: Tue, 03 Nov 2026 10:00:00 +0000\n\nbody\n"),
        "NUL bytes": make_mail("nul@x", "[PATCH] nul\x00here", body="a\x00b\x00c\n"),
        "invalid UTF-8": (b"From: \xff\xfe <bad\xc3@x>\nSubject: [PATCH] \xc3\x28 broken\nMessage-Id: <utf8@x>\n"
                          b"Content-Type: text/plain; charset=utf-8\n\n\xed\xa0\x80 \xf8\x88\x80\x80\x80\n"),
        "References loop A": make_mail("loopa@x", "Re: loop", refs=("loopb@x",)),
        "References loop B": make_mail("loopb@x", "Re: loop", refs=("loopa@x",)),
        "own parent": make_mail("self@x", "Re: myself", refs=("self@x",)),
        "Message-Id shared 1": make_mail("shared@x", "[PATCH] one thing", body="first\n"),
        "Message-Id shared 2": make_mail("shared@x", "[PATCH] another thing", body="second\n"),
        "no headers": b"\x00\x01\x02 not mail",
    }


def ingest(db, mails: list[bytes], tmp_path, name: str) -> dict:
    path = tmp_path / f"{name}.mbox"
    path.write_bytes(mbox(mails))
    result = runner.invoke(app, ["--db", str(db), "ingest", str(path), "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def good_view(db) -> dict:
    result = runner.invoke(app, ["--db", str(db), "export"])
    doc = json.loads(result.output)
    ok = {p["msgid"]: (p["state"], sorted(t["key"] for t in p["trailers"]), sorted(p["superseded_by"]))
          for p in doc["patches"] if p["msgid"].startswith("ok")}
    return ok


@pytest.mark.timeout(600)
def test_hostile_mail_is_bounded_and_leaves_the_rest_unaffected(tmp_path):
    bad = hostile()
    good = ordinary()
    mixed = [good[0], *list(bad.values())[:7], *good[1:4], *list(bad.values())[7:], *good[4:]]
    db = tmp_path / "mixed.db"
    summary = ingest(db, mixed, tmp_path, "mixed")
    assert summary["balanced"] and summary["read"] == len(mixed)
    assert summary["quarantined"] >= 1  # the bytes without a header block
    alone = tmp_path / "alone.db"
    ingest(alone, good, tmp_path, "alone")
    assert good_view(db) == good_view(alone) and good_view(db)  # the list came out the same

    from patchdesk.store.db import open_engine
    engine = open_engine(str(db))
    with engine.connect() as conn:
        flags = dict(conn.execute(select(Message.msgid, Message.msgid_conflict)).all())
        nodes = {n.msgid: n for n in conn.execute(select(ThreadNode.msgid, ThreadNode.parent, ThreadNode.root))}
        shared = conn.execute(select(func.count()).select_from(Message).where(
            (Message.msgid == "shared@x") | Message.msgid.startswith("shared@x~"))).scalar()
        subjects = dict(conn.execute(select(Message.msgid, Message.subject)).all())
        senders = dict(conn.execute(select(Message.msgid, Message.from_addr)).all())
    engine.dispose()
    assert shared == 2 and flags["shared@x"]  # both kept (the later one under its own name), both flagged
    assert all(flag for msgid, flag in flags.items() if msgid.startswith("shared@x"))
    assert nodes["self@x"].parent is None  # its own parent: ignored
    loop = {nodes["loopa@x"].parent, nodes["loopb@x"].parent}
    assert None in loop  # a reference loop is broken, not followed
    assert nodes["loopa@x"].root == nodes["loopb@x"].root
    for msgid in ("big@x", "million@x", "deep@x", "quotes@x", "nul@x", "utf8@x"):
        assert msgid in flags, msgid  # stored (read), not lost
    assert "\n" not in subjects["inject@x"] and "\r" not in subjects["inject@x"]
    assert senders["inject@x"] == "eve@x"  # not the address smuggled into the encoded name


def test_an_encoded_display_name_cannot_change_the_sender():
    from patchdesk.parse.headers import parse_from_raw
    name, addr = parse_from_raw(b"=?utf-8?q?Eve=0D=0ABcc:_victim@example.com?= <eve@example.org>")
    assert addr == "eve@example.org" and "victim" in name and "\n" not in name
    assert parse_from_raw(b"=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>") == ("Jörg Müller", "joerg@example.de")
    assert parse_from_raw("Jörg <j@x.de>".encode()) == ("Jörg", "j@x.de")
