"""The desk (issue 19): who I am, what waits on me, triage, reply, take, thank, open.

Run on the demo as ``make demo`` builds it (real mail, a real git tree,
the demo's MAINTAINERS) through the real CLI, with real git for take and
``git mailinfo`` reading the reply back.
"""

import json
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from patchdesk.cli import app

DEMO = Path(__file__).resolve().parents[1] / "demo"
MARIA = "Maria Keller <maria@frob.example.org>"
runner = CliRunner()


def run(db, *args, code=0, env=None, stdin=None):
    result = runner.invoke(app, ["--db", str(db), *args], env=env, input=stdin)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def demo(tmp_path):
    tree = tmp_path / "frob"
    subprocess.run([sys.executable, str(DEMO / "make_demo.py"), "--out", str(tmp_path / "check.mbox"),
                    "--tree", str(tree)], check=True, capture_output=True)
    db = tmp_path / "demo.db"
    run(db, "ingest", str(DEMO / "demo.mbox"), "--list", "frob-devel")
    run(db, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    run(db, "tree", "scan")
    run(db, "maintainers", "load", str(tree / "MAINTAINERS"), "--list", "frob-devel")
    return db, tree


def queue(db, *args):
    return {i["series"]: i for i in json.loads(run(db, "queue", "--json", *args))}


def test_the_demo_queue_holds_what_its_story_implies(demo):
    db, _ = demo
    assert "who are you?" in run(db, "queue", code=2)
    run(db, "me", MARIA, "--also", "maria@kernel.example.org")
    assert json.loads(run(db, "me", "--json"))["addresses"] == ["maria@frob.example.org", "maria@kernel.example.org"]
    items = queue(db)
    # a new version with her objection addressed
    assert items[6]["reason"] == "new-version" and "objections 1 addressed" in items[6]["why"]
    # patches in files she maintains with no word from her
    assert {s for s, i in items.items() if i["reason"] == "maintainer"} == {5, 7, 10}
    # her own "applied" claim, which the tree carries
    assert items[3]["reason"] == "in-tree"
    # a reply to her that she has not answered
    assert items[8]["reason"] == "reply" and items[8]["why"] == "Ravi Shankar replied to you"
    # longest waiting first; superseded versions (1, 2, 4) never appear
    assert [i["waiting_since"] for i in items.values()] == sorted(i["waiting_since"] for i in items.values())
    assert not {1, 2, 4} & set(items)
    # PATCHDESK_ME overrides the stored me: Lena sees none of Maria's items
    other = json.loads(run(db, "queue", "--json", env={"PATCHDESK_ME": "Lena Hoffmann <lena.hoffmann@example.com>"}))
    assert 6 not in {i["series"] for i in other if i["reason"] == "new-version"}


def test_unseen_counts_restart_when_the_series_is_shown(demo):
    db, _ = demo
    run(db, "me", MARIA)
    assert queue(db)[6]["unseen"] > 0
    run(db, "show", "6")
    assert queue(db)[6]["unseen"] == 0


def test_triage_hides_wakes_and_is_audited(demo):
    db, _ = demo
    run(db, "me", MARIA)
    run(db, "snooze", "7", "--until", "2999-01-01")
    run(db, "delegate", "10", "--to", "Henrik Nyberg <henrik.nyberg@example.se>")
    run(db, "wait", "8", "--why", "asked for numbers")
    run(db, "archive", "3")
    assert not {3, 7, 8, 10} & set(queue(db))
    hidden = queue(db, "--all")
    assert {s: hidden[s]["triage"] for s in (3, 7, 8, 10)} == {3: "archived", 7: "snoozed", 8: "waiting",
                                                              10: "delegated"}
    assert all(hidden[s]["hidden"] for s in (3, 7, 8, 10))
    # a snooze that ended shows the item again; wake undoes any triage
    run(db, "snooze", "7", "--until", "2000-01-01")
    assert 7 in queue(db)
    run(db, "wake", "10")
    assert 10 in queue(db)
    log = json.loads(run(db, "triage", "--json"))
    assert [e["action"] for e in log] == ["snoozed", "delegated", "waiting", "archived", "snoozed", "woken"]
    assert all(e["by"] == MARIA for e in log) and log[2]["why"] == "asked for numbers"
    assert [e["action"] for e in json.loads(run(db, "triage", "8", "--json"))] == ["waiting"]
    assert "no series 999" in run(db, "snooze", "999", code=1)
    assert "is not a date" in run(db, "snooze", "7", "--until", "soonish", code=2)


def test_waiting_wakes_when_the_author_writes(demo, tmp_path):
    db, _ = demo
    run(db, "me", MARIA)
    run(db, "wait", "10")
    assert 10 not in queue(db)
    # the author answers (a reply written from the desk as her, in the thread)
    detail = json.loads(run(db, "show", "10", "--json"))
    env = {"PATCHDESK_ME": "Ana Ferreira <ana.ferreira@example.com>"}
    run(db, "reply", detail["patches"][0], "--text", "Ping?", "--out", str(tmp_path / "r"), env=env)
    assert queue(db)[10]["triage"] == "waiting" and not queue(db)[10]["hidden"]


def test_reply_with_an_ack_is_read_back_by_git_and_by_the_store(demo, tmp_path):
    db, _ = demo
    run(db, "me", MARIA)
    patch = json.loads(run(db, "show", "5", "--json"))["patches"][0]
    out = json.loads(run(db, "reply", patch, "--ack", "--text", "Looks good.", "--out", str(tmp_path / "r"),
                         "--json"))
    assert out["ingested"] and out["in_reply_to"] == patch
    raw = Path(out["file"]).read_bytes()
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["In-Reply-To"] == f"<{patch}>" and msg["References"].endswith(f"<{patch}>")
    assert msg["Subject"] == "Re: [PATCH v2] frob: widget: remove FROB_WIDGET_LEGACY"
    assert [a.addr_spec for a in msg["To"].addresses] == ["lucas.moreau@example.fr"]
    assert "frob-devel@lists.example.org" in [a.addr_spec for a in msg["Cc"].addresses]
    assert "maria@frob.example.org" not in str(msg["To"]) + str(msg["Cc"])
    # git mailinfo reads the trailer as the mail's own text
    info = subprocess.run(["git", "mailinfo", str(tmp_path / "msg"), str(tmp_path / "patch")], input=raw,
                          capture_output=True, check=True)
    assert b"Author: Maria Keller" in info.stdout
    assert "Acked-by: Maria Keller <maria@frob.example.org>" in (tmp_path / "msg").read_text()
    # and the store collected it on the right patch: the maintainer item is gone
    patches = {p["msgid"]: p for p in json.loads(run(db, "export"))["patches"]}
    assert [(t["key"], t["email"], t["msgid"]) for t in patches[patch]["trailers"]] == [
        ("Acked-by", "maria@frob.example.org", out["msgid"])]
    assert 5 not in queue(db) or queue(db)[5]["reason"] != "maintainer"
    # the copy the list sends back (its own headers added) is the same post, not a second one
    copy = tmp_path / "copy.eml"
    copy.write_bytes(b"Received: from lists.example.org by mx.example.org\nList-Id: <frob-devel.lists.example.org>\n"
                     + raw)
    again = json.loads(run(db, "ingest", str(copy), "--json"))
    assert again["stored"] == 0 and again["read"] == 1
    assert "no message <nope@x>" in run(db, "reply", "nope@x", "--out", str(tmp_path), code=1)


def test_reply_through_the_editor(demo, tmp_path):
    db, _ = demo
    run(db, "me", MARIA)
    patch = json.loads(run(db, "show", "7", "--json"))["patches"][0]
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/^Reviewed-by:/Please rename the callback.\\n\\nReviewed-by:/' \"$1\"\n")
    editor.chmod(0o755)
    out = json.loads(run(db, "reply", patch, "--review", "--edit", "--out", str(tmp_path / "r"), "--json",
                         env={"EDITOR": str(editor), "VISUAL": ""}))
    text = Path(out["file"]).read_text()
    assert "Please rename the callback.\n\nReviewed-by: Maria Keller" in text


def test_take_applies_the_latest_version_and_the_scan_records_it(demo, tmp_path):
    db, tree = demo
    run(db, "me", MARIA)
    before = subprocess.run(["git", "-C", str(tree), "rev-parse", "frob-next"], capture_output=True, text=True,
                            check=True).stdout.strip()
    # series 4 is v1: take means its latest version, v2 (series 5)
    out = json.loads(run(db, "take", "4", "--tree", "frob", "--json"))
    assert out["ok"] and out["series"] == 5 and out["states"] == {"1": "accepted"}
    log = subprocess.run(["git", "-C", str(tree), "log", "--format=%s%n%b", f"{before}..frob-next"],
                         capture_output=True, text=True, check=True).stdout
    assert log.startswith("frob: widget: remove FROB_WIDGET_LEGACY")
    assert "Link: https://lore.kernel.org/r/" in log
    # a dirty checkout is refused, and nothing moves
    (tree / "README").write_text("local edit\n")
    head = subprocess.run(["git", "-C", str(tree), "rev-parse", "frob-next"], capture_output=True, text=True,
                          check=True).stdout.strip()
    refused = run(db, "take", "7", "--tree", "frob", code=1)
    assert "changes not committed" in refused
    assert subprocess.run(["git", "-C", str(tree), "rev-parse", "frob-next"], capture_output=True, text=True,
                          check=True).stdout.strip() == head
    assert "no tree named 'nope'" in run(db, "take", "7", "--tree", "nope", code=1)
    assert "has no patch 9" in run(db, "take", "7", "--tree", "frob", "--patches", "9", code=1)


def test_take_onto_a_branch_not_checked_out_moves_only_that_branch(demo):
    db, tree = demo
    subprocess.run(["git", "-C", str(tree), "checkout", "-q", "main"], check=True)
    main = subprocess.run(["git", "-C", str(tree), "rev-parse", "main"], capture_output=True, text=True,
                          check=True).stdout.strip()
    out = json.loads(run(db, "take", "7", "--tree", "frob", "--json"))
    assert out["ok"] and out["states"] == {"1": "accepted"}
    assert subprocess.run(["git", "-C", str(tree), "rev-parse", "main"], capture_output=True, text=True,
                          check=True).stdout.strip() == main
    assert subprocess.run(["git", "-C", str(tree), "status", "--porcelain"], capture_output=True, text=True,
                          check=True).stdout == ""


def test_thank_and_archive_in_one_move(demo, tmp_path):
    db, _ = demo
    run(db, "me", MARIA)
    run(db, "take", "7", "--tree", "frob")
    assert queue(db)[7]["reason"] == "thank"
    out = json.loads(run(db, "thank", "7", "--archive", "--out", str(tmp_path / "ty"), "--json"))
    assert [(r["status"], r["archived"]) for r in out] == [("written", True)]
    assert 7 not in queue(db)
    assert "not due a thank-you" in run(db, "thank", "7", "--out", str(tmp_path / "ty"), code=1)
    # a superseded version is never thanked
    assert "not due a thank-you" in run(db, "thank", "1", "--out", str(tmp_path / "ty"), code=1)


def test_open_reads_a_message_on_stdin_like_a_mutt_pipe(demo):
    db, _ = demo
    mails = (DEMO / "demo.mbox").read_bytes().split(b"\nFrom ")
    reply = next(m for m in mails if b"\nSubject: Re: [PATCH 2/3]" in m or b"\nSubject: Re: [PATCH v2 2/3]" in m)
    body = reply.split(b"\n", 1)[1]
    out = run(db, "open", "-", stdin=body)
    assert "frob: add widget timeout support" in out
    assert "no Message-ID" in run(db, "open", "-", stdin=b"Subject: x\n\nhello\n", code=1)
    assert "in no series" in run(db, "open", "nowhere@x", code=1)


def test_the_queue_on_the_web_desk(demo):
    from fastapi.testclient import TestClient

    from patchdesk.web.app import create_app
    db, _ = demo
    client = TestClient(create_app(str(db)))
    assert client.get("/api/queue").status_code == 404
    page = client.get("/queue")
    assert page.status_code == 200 and "Nobody is set" in page.text
    run(db, "me", MARIA)
    got = client.get("/api/queue").json()
    assert got["me"] == MARIA and [i["series"] for i in got["items"]] == list(queue(db))
    page = client.get("/queue")
    assert "Waiting on Maria Keller" in page.text and 'href="/series/6"' in page.text
    assert "objections 1 addressed" in page.text
    # someone else's queue by address; a bad one is a 400 page, not a traceback
    lena = client.get("/api/queue", params={"me": "Lena Hoffmann <lena.hoffmann@example.com>"}).json()
    assert lena["me"].startswith("Lena Hoffmann") and 6 not in [i["series"] for i in lena["items"]
                                                                if i["reason"] == "new-version"]
    bad = client.get("/queue", params={"me": "<script>"})
    assert bad.status_code == 400 and "<script>" not in bad.text
    assert client.get("/queue", params={"days": "x"}).status_code == 400


def _csrf(html: str) -> str:
    import re
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_web_actions_need_a_login_and_the_form_token(demo, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from patchdesk.web.app import create_app
    db, tree = demo
    run(db, "me", MARIA)
    run(db, "password", "--stdin", stdin="correct horse battery\n")
    monkeypatch.setenv("PATCHDESK_OUTBOX", str(tmp_path / "outbox"))
    client = TestClient(create_app(str(db)), base_url="http://127.0.0.1:8000")
    # nobody logged in: no forms, and a post is refused
    assert 'action="/desk/take/5"' not in client.get("/series/5").text
    form = {"csrf": "x", "action": "archived"}
    assert client.post("/desk/triage/5", data=form).status_code == 403
    # a wrong password, then the right one
    assert client.post("/login", data={"secret": "wrong"}).status_code == 403
    logged = client.post("/login", data={"secret": "correct horse battery"}, follow_redirects=False)
    assert logged.status_code == 303 and "httponly" in logged.headers["set-cookie"].lower()
    assert "samesite=strict" in logged.headers["set-cookie"].lower()
    page = client.get("/series/5")
    assert 'action="/desk/take/5"' in page.text and 'action="/desk/reply"' in page.text
    token = _csrf(page.text)
    # the token must match; another site's form is refused before the route
    assert client.post("/desk/triage/7", data={"csrf": "forged", "action": "archived"}).status_code == 403
    cross = client.post("/desk/triage/7", data={"csrf": token, "action": "archived"},
                        headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    done = client.post("/desk/triage/7", data={"csrf": token, "action": "archived"})
    assert done.status_code == 200 and "series 7: archived" in done.text
    assert queue(db, "--all")[7]["triage"] == "archived"
    # reply with an ack, take, thank and archive: the same outcomes as the command line
    patch = json.loads(run(db, "show", "5", "--json"))["patches"][0]
    replied = client.post("/desk/reply", data={"csrf": token, "msgid": patch, "ack": "1", "text": "Fine."})
    assert replied.status_code == 200 and "reply written" in replied.text
    assert len(list((tmp_path / "outbox").glob("reply-*.eml"))) == 1
    exported = {p["msgid"]: p for p in json.loads(run(db, "export"))["patches"]}
    assert [t["key"] for t in exported[patch]["trailers"]] == ["Acked-by"]
    taken = client.post("/desk/take/5", data={"csrf": token, "tree": "frob", "patches": ""})
    assert taken.status_code == 200 and "1: accepted" in taken.text
    thanked = client.post("/desk/thank/5", data={"csrf": token, "archive": "1"})
    assert thanked.status_code == 200 and "written" in thanked.text and "archived on your desk" in thanked.text
    assert 5 not in queue(db)
    assert client.post("/desk/thank/5", data={"csrf": token}).status_code == 409  # never twice
    # a series page seen logged in is never cached for somebody else
    anonymous = TestClient(create_app(str(db)), base_url="http://127.0.0.1:8000")
    assert token not in anonymous.get("/series/5").text
    # log out ends the session
    client.post("/logout", data={"csrf": token})
    assert client.post("/desk/triage/7", data={"csrf": token, "action": "woken"}).status_code == 403


def test_reply_by_smtp_is_read_in_only_once_the_server_took_it(demo, tmp_path):
    from test_ty import Inbox, _login, _Server
    db, _ = demo
    run(db, "me", MARIA)
    patch = json.loads(run(db, "show", "7", "--json"))["patches"][0]
    refusing = _Server(Inbox(True), hostname="127.0.0.1", port=0, authenticator=_login, auth_require_tls=False)
    refusing.start()
    try:
        out = run(db, "reply", patch, "--review", "--out", str(tmp_path / "a"), "--smtp",
                  f"127.0.0.1:{refusing.port}", code=1)
        assert "not read into the store" in out
        assert "Reviewed-by" not in json.dumps(json.loads(run(db, "show", "7", "--json"))["patch_details"])
    finally:
        refusing.stop()
    inbox = Inbox(False)
    server = _Server(inbox, hostname="127.0.0.1", port=0, authenticator=_login, auth_require_tls=False)
    server.start()
    try:
        sent = json.loads(run(db, "reply", patch, "--review", "--out", str(tmp_path / "b"), "--smtp",
                              f"127.0.0.1:{server.port}", "--json"))
    finally:
        server.stop()
    assert sent["ingested"] and "daniel.okafor@example.com" in sent["sent"]
    assert len(inbox.received) == 1 and b"Reviewed-by: Maria Keller" in inbox.received[0][2]


def test_queue_rules_on_plain_data():
    """desk.queue is pure: the same rules without a store."""
    from datetime import datetime, timedelta, timezone

    from patchdesk.desk.queue import Mail, Me, Triage, Work, build
    me = Me("Maria", frozenset({"maria@x"}))
    t0 = datetime(2026, 11, 2, tzinfo=timezone.utc)
    claimed = Work(1, "a1", "frob: x", "v1", "Ada", "applied-claimed", t0, claimed=t0 + timedelta(days=1))
    assert [i.reason for i in build(me, [claimed], [], {}, t0)] == ["applied-claim"]
    # with no tree registered, "no tree carries it" says nothing
    assert build(me, [_replace(claimed, trees_known=False)], [], {}, t0) == []
    mine = Mail("m1@x", "p1@x", "maria@x", "Maria", t0 + timedelta(hours=1))
    answer = Mail("m2@x", "m1@x", "ada@x", "Ada", t0 + timedelta(hours=2))
    talk = Work(2, "a2", "frob: y", "v1", "Ada", "under-review", t0, mails=(mine, answer))
    items = build(me, [talk], [], {}, t0)
    assert [(i.reason, i.why, i.unseen) for i in items] == [("reply", "Ada replied to you", 1)]
    # snoozed without a date: until a new version; a snooze that ended shows it again
    snooze = Triage("a2", "snoozed", t0 + timedelta(days=3))
    assert build(me, [talk], [snooze], {}, t0 + timedelta(days=4))[0].hidden
    ended = Triage("a2", "snoozed", t0 + timedelta(days=3), until=t0 + timedelta(days=5))
    assert not build(me, [talk], [ended], {}, t0 + timedelta(days=6))[0].hidden
    # my answer takes the item away; a superseded version never makes one
    done = Mail("m3@x", "m2@x", "maria@x", "Maria", t0 + timedelta(hours=3))
    assert build(me, [_replace(talk, mails=(mine, answer, done))], [], {}, t0) == []
    assert build(me, [_replace(talk, latest=False)], [], {}, t0) == []


def _replace(work, **changes):
    from dataclasses import replace
    return replace(work, **changes)
