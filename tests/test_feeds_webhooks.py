"""Atom feeds read by a real feed parser, webhooks posted to a real local HTTP server.

Feeds (issue 20 item 2): each scope parses with ``feedparser`` without a
complaint, has the Atom essentials, and keeps its entry ids across a
``rebuild``.  Webhooks (item 3): signed with HMAC, retried with back-off,
one delivery per event id, and a ``patchdesk webhook deliver`` killed with
SIGKILL while its request is in flight never sends it again.
"""

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from patchdesk.cli import app
from patchdesk.store.db import open_engine
from patchdesk.store.schema import WebhookDelivery
from patchdesk.web.app import create_app

from mailgen import make_mail, mbox

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
runner = CliRunner()


def run(db, *args, code=0):
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def demo(tmp_path):
    db = tmp_path / "demo.db"
    run(db, "ingest", str(DEMO / "demo.mbox"), "--list", "frob-devel")
    return db


def test_feeds_are_valid_atom_and_keep_their_ids(demo):
    client = TestClient(create_app(str(demo)))
    urls = ["/feeds/list/frob-devel.atom", "/feeds/series/6.atom", "/feeds/person/lena.hoffmann@example.com.atom",
            "/feeds/search.atom?q=s:widget"]
    seen = {}
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(answer.content)
        assert not feed.bozo, (url, feed.bozo_exception)
        assert feed.version == "atom10" and feed.feed.id.startswith("tag:patchdesk,2026:") and feed.feed.updated
        assert feed.entries, url
        for entry in feed.entries:
            assert entry.id.startswith("tag:patchdesk,2026:event:") and entry.title and entry.updated
            assert entry.link.startswith("http://testserver/series/") and entry.author
        seen[url] = [e.id for e in feed.entries]
    # the series feed follows its versions: v1 (series 1) and v2 (6)
    series = feedparser.parse(client.get("/feeds/series/6.atom").content)
    assert {e.link.split("/series/")[1].split("#")[0] for e in series.entries} == {"1", "6"}
    assert any(e.title.startswith("superseded:") for e in series.entries)
    # judging again replays the events: the feed's ids do not change
    run(demo, "rebuild")
    again = TestClient(create_app(str(demo)))
    assert [e.id for e in feedparser.parse(again.get(urls[1]).content).entries] == seen[urls[1]]
    assert client.get("/feeds/list/nope.atom").status_code == 404
    assert client.get("/feeds/person/nobody.atom").status_code == 400
    assert client.get("/feeds/search.atom", params={"q": "(x"}).status_code == 400


class Receiver(BaseHTTPRequestHandler):
    """Records each POST; answers per the server's ``plan`` (a list of
    status codes, or "hang" to hold the request until told)."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.got.append((dict(self.headers), body))
        step = self.server.plan.pop(0) if self.server.plan else 200
        if step == "hang":
            self.server.hanging.set()
            self.server.release.wait(30)
            step = 200
        self.send_response(step)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.got, server.plan = [], []
    server.hanging, server.release = threading.Event(), threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()


def _review(tmp_path, name, msgid, parent, text):
    path = tmp_path / f"{name}.mbox"
    path.write_bytes(mbox([make_mail(msgid, "Re: [PATCH] frob: widget: add a completion callback", refs=(parent,),
                                     sender="Priya Raman <priya@example.net>", date="Mon, 30 Nov 2026 10:00:00 +0000",
                                     body=f"On Mon, Daniel wrote:\n> Add it.\n\n{text}\n")]))
    return path


def test_webhooks_signed_retried_once_each(demo, receiver, tmp_path):
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    assert "http:// or https://" in run(demo, "webhook", "add", "file:///etc/passwd", code=2)
    run(demo, "webhook", "add", url, "--events", "under-review,changes-requested", "--secret", "s3cret")
    # nothing before the hook was registered is sent
    assert json.loads(run(demo, "webhook", "deliver", "--json"))["queued"] == 0
    patch = json.loads(run(demo, "show", "7", "--json"))["patches"][0]
    receiver.plan = [500]  # the first try fails
    run(demo, "ingest", str(_review(tmp_path, "r1", "priya-r1@x", patch, "Reviewed-by: Priya Raman <priya@example.net>")))
    first = json.loads(run(demo, "webhook", "deliver", "--json"))
    assert first["queued"] == 1 and first["retrying"] == 1 and len(receiver.got) == 1
    # not due yet: back-off
    assert json.loads(run(demo, "webhook", "deliver", "--json"))["retrying"] == 0 and len(receiver.got) == 1
    engine = open_engine(str(demo))
    with engine.begin() as conn:  # time passes
        conn.execute(update(WebhookDelivery).where(WebhookDelivery.status == "pending")
                     .values(next_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
    engine.dispose()
    done = json.loads(run(demo, "webhook", "deliver", "--json"))
    assert done["delivered"] == 1 and len(receiver.got) == 2
    headers, body = receiver.got[-1]
    sent = json.loads(body)
    assert sent["kind"] == "under-review" and sent["event"]["msgid"] == patch
    assert headers["X-Patchdesk-Signature"] == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Patchdesk-Delivery"] == sent["id"] == json.loads(receiver.got[0][1])["id"]
    # judging again replays the same event: it is not sent again
    run(demo, "rebuild")
    assert json.loads(run(demo, "webhook", "deliver", "--json"))["delivered"] == 0 and len(receiver.got) == 2
    listed = json.loads(run(demo, "webhook", "list", "--json"))
    assert [d["status"] for d in listed[0]["deliveries"]] == ["delivered"]


def test_a_sigkill_during_delivery_never_sends_twice(demo, receiver, tmp_path):
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    run(demo, "webhook", "add", url)
    patch = json.loads(run(demo, "show", "7", "--json"))["patches"][0]
    run(demo, "ingest", str(_review(tmp_path, "r1", "priya-r2@x", patch, "Please rename it.")))
    receiver.plan = ["hang"]
    proc = subprocess.Popen([sys.executable, "-m", "patchdesk", "--db", str(demo), "webhook", "deliver"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert receiver.hanging.wait(30), "the delivery never arrived"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    receiver.release.set()
    hung = json.loads(receiver.got[0][1])["id"]
    after = json.loads(run(demo, "webhook", "deliver", "--json"))
    ids = [json.loads(body)["id"] for _, body in receiver.got]
    assert after["uncertain"] == 1 and ids.count(hung) == 1 and len(ids) == len(set(ids))  # never twice
    deliveries = json.loads(run(demo, "webhook", "list", "--json"))[0]["deliveries"]
    assert {d["event"]: d["status"] for d in deliveries}[hung] == "uncertain"
    assert "sending" not in {d["status"] for d in deliveries}
    # sent again only on purpose
    uncertain = next(d["id"] for d in deliveries if d["status"] == "uncertain")
    run(demo, "webhook", "retry", str(uncertain))
    assert json.loads(run(demo, "webhook", "deliver", "--json"))["delivered"] == 1
    assert [json.loads(body)["id"] for _, body in receiver.got].count(hung) == 2


ADA = "Ada Lovelace <ada@example.org>"
BOBC = "Bob Chen <bob@example.net>"


def _patch(msgid, subject, date, why="Raise the limit."):
    from mailgen import patch_body
    return make_mail(msgid, subject, sender=ADA, date=date,
                     body=patch_body(why, "drivers/frob/core.c", "limit = 4;", "limit = 8;"))


def test_mail_notifications_once_each(tmp_path):
    db = tmp_path / "n.db"
    v1 = [_patch("v1@x", "[PATCH] frob: raise the limit", "Mon, 02 Nov 2026 10:00:00 +0000"),
          make_mail("r1@x", "Re: [PATCH] frob: raise the limit", sender=BOBC, refs=("v1@x",),
                    date="Tue, 03 Nov 2026 10:00:00 +0000",
                    body="On Mon, Ada wrote:\n> +\tlimit = 8;\n\nPlease use a define for the limit here.\n")]
    (tmp_path / "v1.mbox").write_bytes(mbox(v1))
    run(db, "ingest", str(tmp_path / "v1.mbox"))
    run(db, "notify", "add", ADA)
    run(db, "notify", "add", BOBC)
    assert "subscribed already" in run(db, "notify", "add", ADA, code=2)
    # nothing happened since they subscribed
    first = json.loads(run(db, "notify", "send", "--from", "patchdesk <desk@example.org>", "--out",
                           str(tmp_path / "out"), "--json"))
    assert first["offered"] == 0 and first["mails"] == 0
    # v2 comes with the line Bob objected to unchanged, and Bob answers it
    v2 = [_patch("v2@x", "[PATCH v2] frob: raise the limit", "Mon, 09 Nov 2026 10:00:00 +0000",
                 why="Raise the limit (v2: reworded).")]
    (tmp_path / "v2.mbox").write_bytes(mbox(v2))
    run(db, "ingest", str(tmp_path / "v2.mbox"))
    sent = json.loads(run(db, "notify", "send", "--from", "patchdesk <desk@example.org>", "--out",
                          str(tmp_path / "out"), "--json"))
    assert sent["mails"] == 2
    mails = {}
    for path in (tmp_path / "out").glob("*.eml"):
        from email import message_from_bytes, policy
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        mails[str(msg["To"])] = msg.get_content()
    ada = mails["Ada Lovelace <ada@example.org>"]
    assert "is now superseded" in ada and "[PATCH] frob: raise the limit" in ada
    bob = mails["Bob Chen <bob@example.net>"]
    assert "your changes-requested is still open in this version" in bob
    # never twice: a second run tells nothing
    again = json.loads(run(db, "notify", "send", "--from", "patchdesk <desk@example.org>", "--out",
                           str(tmp_path / "out"), "--json"))
    assert again["mails"] == 0 and len(list((tmp_path / "out").glob("*.eml"))) == 2
    # a run killed after claiming items leaves them sending: the next run does not tell them again
    from patchdesk.store import notify as nstore
    engine = open_engine(str(db))
    with engine.begin() as conn:
        nstore.offer(conn, 1, [("manual", "a thing to tell")])
    with engine.begin() as conn:
        assert [r.item_key for r in nstore.claim_pending(conn, 1)] == ["manual"]
    engine.dispose()
    after = json.loads(run(db, "notify", "send", "--from", "patchdesk <desk@example.org>", "--out",
                           str(tmp_path / "out"), "--json"))
    assert after["uncertain"] == 1 and after["mails"] == 0
    told = {i["key"]: i["status"] for i in json.loads(run(db, "notify", "list", "--json"))[0]["items"]}
    assert told["manual"] == "uncertain"
