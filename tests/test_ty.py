"""``patchdesk ty``: thank-you replies for series a real git tree accepted.

The list is made the way it is in life: commits written by the author and
sent with ``git format-patch`` (threaded under a cover letter, with To and
Cc), applied by the maintainer with ``git am`` (or cherry-picked), then
ingested and scanned.  The replies are read back with the stdlib parser
(from the .eml files, or from a real SMTP server run in-process with
aiosmtpd) and checked against the Message-IDs and commits of that world.
"""

from __future__ import annotations

import json
import os
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from patchdesk.cli import app
from patchdesk.store.db import open_engine
from patchdesk.store.schema import Thanks
from patchdesk.store.thanks import claim, due
from patchdesk.trees.thanks import Patch, SeriesMail, compose, file_name

MARIA = "Maria Keller <maria@frob.example.org>"
ADA = "Ada Lovelace <ada@example.org>"
LIST = "frob-devel@lists.example.org"
runner = CliRunner()
FILES = {f"drivers/frob/{name}.c": "".join(f"int {name}_{i} = {i};\n" for i in range(40))
         for name in ("widget", "buffer", "core", "util", "extra")}


def git(repo: Path, *args: str, stdin: bytes | None = None, date: str = "2026-11-01T10:00:00Z") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.org",
           "GIT_COMMITTER_NAME": "Maria Keller", "GIT_COMMITTER_EMAIL": "maria@frob.example.org",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=env, input=stdin,
                          check=True).stdout.decode()


def _change(repo: Path, name: str, lines: list[int], subject: str, date: str) -> str:
    path = repo / f"drivers/frob/{name}.c"
    text = path.read_text()
    for i in lines:
        text = text.replace(f"int {name}_{i} = {i};", f"int {name}_{i} = {i * 100 + 7};")
    path.write_text(text)
    git(repo, "commit", "-qam", f"{subject}\n\nWhy: the old values were wrong.\n\n"
                                f"Signed-off-by: {ADA}", date=date)
    return git(repo, "rev-parse", "HEAD").strip()


def _mail(headers: list[tuple[str, str]], body: str) -> bytes:
    head = "".join(f"{k}: {v}\n" for k, v in headers)
    return (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n{head}"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
            f"{body}").encode()


def _patch_mail(repo: Path, sha: str, msgid: str, subject: str, date: str, parents: tuple[str, ...] = (),
                sender: str = ADA, cc: str = f"{LIST}, Bob Reviewer <bob@example.net>") -> bytes:
    out = git(repo, "format-patch", "-1", "--stdout", sha)
    body = out.split("\n\n", 1)[1]
    headers = [("From", sender), ("Date", date), ("Subject", subject), ("Message-Id", f"<{msgid}>"),
               ("To", MARIA), ("Cc", cc)]
    if parents:
        headers += [("In-Reply-To", f"<{parents[-1]}>"), ("References", " ".join(f"<{p}>" for p in parents))]
    return _mail(headers, body)


def _cover(msgid: str, subject: str, date: str, parents: tuple[str, ...] = ()) -> bytes:
    headers = [("From", ADA), ("Date", date), ("Subject", subject), ("Message-Id", f"<{msgid}>"),
               ("To", MARIA), ("Cc", f"{LIST}, Bob Reviewer <bob@example.net>")]
    if parents:
        headers += [("In-Reply-To", f"<{parents[-1]}>"), ("References", " ".join(f"<{p}>" for p in parents))]
    return _mail(headers, "This series fixes the widget limits.\nThey were too low.\n\nMore words here.\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """(list mbox, maintainer repo, sha of each applied mail).

    A: cover + 3 patches, cover answers an earlier RFC; all applied.
    B: v1 then v2 of one patch; v2 applied.   C: cover + 2; only 1/2 applied.
    D: never applied.   E: name and subject that decode to CR/LF; cherry-picked.
    F: v1 applied, then a v2 posted anyway: v1 is accepted *and* superseded.
    """
    root = tmp_path_factory.mktemp("ty")
    work, tree = root / "work", root / "maintainer"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    for path, text in FILES.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "frob 0.1", date="2026-10-01T10:00:00Z")
    base = git(work, "rev-parse", "HEAD").strip()
    mails: dict[str, bytes] = {}
    shas: dict[str, str] = {}

    def day(n: int) -> str:
        return f"Mon, {n:02d} Nov 2026 10:00:00 +0000"

    git(work, "checkout", "-q", "-b", "a", base)
    mails["a0@x"] = _cover("a0@x", "[PATCH 0/3] frob: widget limits", day(2), ("rfc@x",))
    for n, lines in ((1, [1, 2]), (2, [10, 11]), (3, [20, 21])):
        sha = _change(work, "widget", lines, f"frob: widget: raise limit group {n}", "2026-11-02T10:00:00Z")
        mails[f"a{n}@x"] = _patch_mail(work, sha, f"a{n}@x", f"[PATCH {n}/3] frob: widget: raise limit group {n}",
                                       day(2), ("rfc@x", "a0@x"))
    git(work, "checkout", "-q", "-b", "b1", base)
    sha = _change(work, "buffer", [3, 4], "frob: buffer: grow the small buffers", "2026-11-03T10:00:00Z")
    mails["b1@x"] = _patch_mail(work, sha, "b1@x", "[PATCH] frob: buffer: grow the small buffers", day(3))
    git(work, "checkout", "-q", "-b", "b2", base)
    sha = _change(work, "buffer", [3, 4, 5, 6], "frob: buffer: grow the small buffers", "2026-11-05T10:00:00Z")
    mails["b2@x"] = _patch_mail(work, sha, "b2@x", "[PATCH v2] frob: buffer: grow the small buffers", day(5))
    git(work, "checkout", "-q", "-b", "c", base)
    mails["c0@x"] = _cover("c0@x", "[PATCH 0/2] frob: core steps", day(6))
    for n, lines in ((1, [5, 6]), (2, [30, 31])):
        sha = _change(work, "core", lines, f"frob: core: step change {n}", "2026-11-06T10:00:00Z")
        mails[f"c{n}@x"] = _patch_mail(work, sha, f"c{n}@x", f"[PATCH {n}/2] frob: core: step change {n}",
                                       day(6), ("c0@x",))
    git(work, "checkout", "-q", "-b", "d", base)
    sha = _change(work, "util", [7, 8], "frob: util: tweak", "2026-11-07T10:00:00Z")
    mails["d@x"] = _patch_mail(work, sha, "d@x", "[PATCH] frob: util: tweak", day(7))
    git(work, "checkout", "-q", "-b", "e", base)
    e_sha = _change(work, "extra", [9, 12], "frob: extra: fix", "2026-11-08T10:00:00Z")
    mails["e@x"] = _patch_mail(work, e_sha, "e@x", "=?utf-8?q?[PATCH]_frob:_extra:_fix=0D=0AX-Injected:_yes?=",
                               day(8), sender="=?utf-8?q?Eve=0D=0ABcc:_victim@example.com?= <eve@example.org>",
                               cc=f"{LIST}, =?utf-8?q?Mallory=0A=0DBcc:_x@evil.example?= <mallory@example.org>")
    git(work, "checkout", "-q", "-b", "f1", base)
    f1 = _change(work, "util", [20, 21], "frob: util: retune", "2026-11-09T10:00:00Z")
    mails["f1@x"] = _patch_mail(work, f1, "f1@x", "[PATCH] frob: util: retune", day(9))
    git(work, "checkout", "-q", "-b", "f2", base)
    sha = _change(work, "util", [20, 21, 22], "frob: util: retune", "2026-11-15T10:00:00Z")
    mails["f2@x"] = _patch_mail(work, sha, "f2@x", "[PATCH v2] frob: util: retune", day(15))

    subprocess.run(["git", "clone", "-q", str(work), str(tree)], check=True)
    git(tree, "branch", "-q", "main", "origin/main")
    git(tree, "checkout", "-q", "-B", "frob-next", "main")
    for key in ("a1@x", "a2@x", "a3@x", "b2@x", "c1@x"):
        git(tree, "am", "-q", stdin=mails[key], date="2026-11-20T10:00:00Z")
        shas[key] = git(tree, "rev-parse", "HEAD").strip()
    git(tree, "am", "-q", stdin=mails["f1@x"], date="2026-11-10T10:00:00Z")
    git(tree, "cherry-pick", e_sha, date="2026-11-20T10:00:00Z")
    shas["e@x"] = git(tree, "rev-parse", "HEAD").strip()
    listing = b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m.split(b"\n", 1)[1] + b"\n"
                       for m in mails.values())
    (root / "list.mbox").write_bytes(listing)
    return root / "list.mbox", tree, shas


def run(db, *args, code=0, env=None):
    result = runner.invoke(app, ["--db", str(db), *args], env=env)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def store(store_url, world):
    mbox, tree, _ = world
    run(store_url, "ingest", str(mbox))
    run(store_url, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    run(store_url, "tree", "scan")
    return store_url


def _replies(folder: Path) -> dict[str, EmailMessage]:
    """In-Reply-To -> the parsed reply, for every .eml in ``folder``."""
    out = {}
    for path in sorted(folder.glob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        out[str(msg["In-Reply-To"]).strip("<>")] = msg
    return out


def test_one_threaded_reply_per_accepted_series_naming_its_commits(store, world, tmp_path):
    _, _, shas = world
    out = tmp_path / "ty"
    run(store, "ty", "--from", MARIA, "--out", str(out))
    replies = _replies(out)
    # A (cover), B v2 (no cover: its patch), E; not C (partial), D, nor a superseded version: B v1
    # (not applied) and F v1 (applied, then superseded by a v2 that was not)
    assert set(replies) == {"a0@x", "b2@x", "e@x"}
    a = replies["a0@x"]
    assert a["References"] == "<rfc@x> <a0@x>"
    assert a["Subject"] == "Re: [PATCH 0/3] frob: widget limits"
    assert a["From"] == MARIA
    assert [x.addr_spec for x in a["To"].addresses] == ["ada@example.org"]
    assert [x.addr_spec for x in a["Cc"].addresses] == [LIST, "bob@example.net"]  # not the sender herself
    text = a.get_content()
    assert "On Mon, 02 Nov 2026 10:00:00 +0000, Ada Lovelace wrote:\n> This series fixes" in text
    assert "Applied to frob (frob-next), thanks!" in text
    for n in (1, 2, 3):
        assert f"[{n}/3] frob: widget: raise limit group {n}\n      commit: {shas[f'a{n}@x'][:12]}" in text
    assert "pending" not in text
    b = replies["b2@x"]
    assert b["References"] == "<b2@x>" and f"commit: {shas['b2@x'][:12]}" in b.get_content()
    # the files are LF-only RFC 5322, named without the subject's characters
    for path in out.glob("*.eml"):
        assert b"\r" not in path.read_bytes()
        assert path.name.split("-", 1)[0].isdigit() and path.name.isascii() and "/" not in path.name
    # a second run sends nothing
    assert json.loads(run(store, "ty", "--from", MARIA, "--out", str(out), "--json")) == []
    assert len(list(out.glob("*.eml"))) == 3


def test_partially_accepted_only_when_asked_and_pending_listed(store, world, tmp_path):
    _, _, shas = world
    run(store, "ty", "--from", MARIA, "--out", str(tmp_path / "one"))
    assert "c0@x" not in _replies(tmp_path / "one")
    run(store, "ty", "--from", MARIA, "--out", str(tmp_path / "two"), "--partial")
    replies = _replies(tmp_path / "two")
    assert set(replies) == {"c0@x"}          # the others were thanked by the first run
    text = replies["c0@x"].get_content()
    assert f"[1/2] frob: core: step change 1\n      commit: {shas['c1@x'][:12]}" in text
    assert "Not applied (still pending):\n[2/2] frob: core: step change 2  (new)" in text


def test_names_and_subjects_cannot_inject_headers(store, tmp_path):
    run(store, "ty", "--from", MARIA, "--out", str(tmp_path))
    path = next(p for p in tmp_path.glob("*.eml") if b"<e@x>" in p.read_bytes())
    raw = path.read_bytes()
    msg = message_from_bytes(raw, policy=policy.default)
    assert sorted(set(msg.keys())) == sorted({"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To",
                                              "References", "Content-Type", "Content-Transfer-Encoding",
                                              "MIME-Version"})
    assert not any(line.lower().startswith((b"bcc:", b"x-injected:")) for line in raw.split(b"\n"))
    assert [x.addr_spec for x in msg["To"].addresses] == ["eve@example.org"]
    assert {x.addr_spec for x in msg["Cc"].addresses} == {LIST, "mallory@example.org"}
    assert "X-Injected: yes" in msg["Subject"]  # flattened into the one line


def test_dry_run_records_nothing_and_superseded_version_gets_nothing(store, tmp_path):
    out = run(store, "ty", "--from", MARIA, "--dry-run")
    assert out.count("Applied to frob (frob-next), thanks!") == 3
    assert "In-Reply-To: <b2@x>" in out and "<b1@x>" not in out and "<f1@x>" not in out
    assert not list(tmp_path.glob("*.eml"))
    done = json.loads(run(store, "ty", "--from", MARIA, "--out", str(tmp_path), "--json"))
    assert sorted(d["in_reply_to"] for d in done) == ["a0@x", "b2@x", "e@x"]
    assert {d["status"] for d in done} == {"written"}


def test_the_applied_v1_of_a_later_version_is_accepted_yet_gets_nothing(store):
    patches = {p["msgid"]: p["state"] for p in json.loads(run(store, "export"))["patches"]}
    assert patches["f1@x"] == "accepted" and patches["f2@x"] == "new"
    found = json.loads(run(store, "ty", "--from", MARIA, "--dry-run", "--partial", "--json"))
    assert "f1@x" not in {d["in_reply_to"] for d in found} and "f2@x" not in {d["in_reply_to"] for d in found}


def test_sent_replies_survive_rebuild(store, tmp_path):
    run(store, "ty", "--from", MARIA, "--out", str(tmp_path / "first"))
    run(store, "rebuild")
    run(store, "tree", "scan")
    assert json.loads(run(store, "ty", "--from", MARIA, "--out", str(tmp_path / "again"), "--json")) == []


def test_the_database_refuses_a_second_record(store):
    engine = open_engine(store)
    try:
        with engine.connect() as conn:
            item = due(conn)[0]
        with claim(engine, item, reply_msgid="r1@x", subject="s", recipients=[], via="file", target="t",
                   now=_now()) as mine:
            assert mine
        with claim(engine, item, reply_msgid="r2@x", subject="s", recipients=[], via="file", target="t",
                   now=_now()) as mine:
            assert not mine
        row = {"anchor": item.anchor, "sender": item.sender, "reply_msgid": "r3@x", "via": "file",
               "sent_at": _now(), "tree": "", "subject": "", "recipients": "", "applied": "", "pending": "",
               "target": ""}
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(Thanks), [row])
        with engine.connect() as conn:
            assert item.series_id not in [d.series_id for d in due(conn)]
    finally:
        engine.dispose()


def _now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def test_options(store, tmp_path, world):
    _, tree, _ = world
    run(store, "ty", "--out", str(tmp_path), code=2, env={"PATCHDESK_FROM": ""})           # no --from
    run(store, "ty", "--from", MARIA, code=2)                                              # nowhere to deliver
    run(store, "ty", "--from", MARIA, "--out", str(tmp_path), "--tree", "nope", code=1)
    run(store, "ty", "--from", MARIA, "--out", str(tmp_path), "--since", "yesterday", code=2)
    run(store, "tree", "add", "mainline", str(tree), "--branch", "main")
    run(store, "tree", "scan", "mainline")
    assert json.loads(run(store, "ty", "--from", MARIA, "--dry-run", "--tree", "mainline", "--json")) == []
    assert json.loads(run(store, "ty", "--from", MARIA, "--dry-run", "--since", "2026-11-21", "--json")) == []
    found = json.loads(run(store, "ty", "--dry-run", "--tree", "frob", "--json", env={"PATCHDESK_FROM": MARIA}))
    assert len(found) == 3 and all(d["status"] == "dry-run" for d in found)


class Inbox:
    """An aiosmtpd handler keeping what it accepted; ``refuse`` makes it
    answer DATA with a permanent error."""

    def __init__(self, refuse: bool = False):
        self.refuse, self.received = refuse, []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 5.6.0 no thanks"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


class _Server(Controller):
    """Listens on a free port (port 0) and reports which."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _login(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login, auth_data.password) == (b"maria", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: answer 535 on failure


@pytest.fixture
def smtp_server():
    servers = []

    def start(refuse=False):
        inbox = Inbox(refuse)
        server = _Server(inbox, hostname="127.0.0.1", port=0, authenticator=_login, auth_require_tls=False)
        server.start()
        servers.append(server)
        return inbox, f"127.0.0.1:{server.port}"
    yield start
    for server in servers:
        server.stop()


def test_smtp_delivers_and_records_only_what_the_server_accepted(store, world, smtp_server):
    _, _, shas = world
    refusing, address = smtp_server(refuse=True)
    done = json.loads(run(store, "ty", "--from", MARIA, "--smtp", address, "--json", code=1))
    assert {d["status"] for d in done} == {"failed"} and not refusing.received
    inbox, address = smtp_server()
    env = {"PATCHDESK_SMTP_PASSWORD": "s3cret"}
    run(store, "ty", "--from", MARIA, "--smtp", address, "--smtp-user", "maria", code=1,
        env={"PATCHDESK_SMTP_PASSWORD": "wrong"})
    assert not inbox.received
    done = json.loads(run(store, "ty", "--from", MARIA, "--smtp", address, "--smtp-user", "maria", "--json", env=env))
    assert {d["status"] for d in done} == {"sent"}
    assert len(inbox.received) == 3
    by_parent = {}
    for mail_from, rcpts, content in inbox.received:
        msg = message_from_bytes(content, policy=policy.default)
        by_parent[str(msg["In-Reply-To"])] = (mail_from, rcpts, msg)
    mail_from, rcpts, msg = by_parent["<a0@x>"]
    assert mail_from == "maria@frob.example.org"
    assert rcpts == ["ada@example.org", LIST, "bob@example.net"]
    assert msg["References"] == "<rfc@x> <a0@x>"
    assert f"commit: {shas['a3@x'][:12]}" in msg.get_content()
    run(store, "ty", "--from", MARIA, "--smtp", address, "--smtp-user", "maria", env=env)
    assert len(inbox.received) == 3          # never twice


def _mail_data(**changes) -> SeriesMail:
    base = dict(name="frob: x", total=2, subject="[PATCH 0/2] frob: x", msgid="c@x", references=("p@x",),
                date=None, author=("Ada", "ada@example.org"), to=(("Maria Keller", "maria@frob.example.org"),),
                cc=(("", LIST),),
                body="Hello.\n", applied=(Patch(1, "one", "1@x", "accepted", "a" * 40, "frob", "next", "link"),),
                pending=(Patch(2, "two", "2@x", "new", partly="b" * 40),))
    return SeriesMail(**{**base, **changes})


def test_compose_flattens_line_breaks_and_drops_bad_ids():
    evil = _mail_data(subject="[PATCH 0/2] x\r\nBcc: v@x", author=("Ada\nBcc: v@x", "ada@example.org"),
                      cc=(("Mal\r\n", "mal@x.org"), ("", "not-an-address"), ("", "z@z.example\r\nBcc: v@x"),
                          ("", "ADA@example.org"), ("Jörg Müller", "joerg@example.de"), ("", "jörg@example.de")),
                      references=("p@x", "bad id@x", "q@x>\r\nBcc: v@x"))
    msg = compose(evil, MARIA, _now(), "reply@frob.example.org")
    raw = msg.as_bytes()
    assert b"\nBcc" not in raw and b"\r\nBcc" not in raw
    assert msg["References"] == "<p@x> <c@x>"
    assert [a.addr_spec for a in msg["To"].addresses] == ["ada@example.org"]
    assert [(a.display_name, a.addr_spec) for a in msg["Cc"].addresses] == [("Mal", "mal@x.org"),
                                                                             ("Jörg Müller", "joerg@example.de")]
    assert b"=?utf-8?" in raw  # the non-ASCII name is encoded, the non-ASCII address dropped
    assert msg["Subject"] == "Re: [PATCH 0/2] x Bcc: v@x"
    text = msg.get_content()
    assert "[2/2] two  (new, partly in bbbbbbbbbbbb)" in text
    with pytest.raises(ValueError):
        EmailMessage(policy=policy.SMTP)["Subject"] = "x\r\nBcc: v@x"  # the guard behind it
    with pytest.raises(ValueError):
        compose(_mail_data(author=("Ada", "no address")), MARIA, _now(), "r@x")


def test_file_names_never_come_from_the_subject_raw():
    for name in ("../../etc/passwd", "a/b\r\nc", ".hidden", "", "日本語", "x" * 500):
        got = file_name(7, name)
        assert got.startswith("000007-") and got.endswith(".eml") and len(got) < 80
        assert all(c.isascii() and (c.isalnum() or c in "-.") for c in got) and ".." not in got


def test_no_thank_you_where_the_maintainer_already_said_applied(store_url, world, tmp_path):
    """Issue 18, item 9: Maria answered B v2 "Applied to frob-next, thanks!"
    herself; ``ty`` drafts nothing for it and says so."""
    mbox, tree, _ = world
    reply = _mail([("From", MARIA), ("To", "Ada Lovelace <ada@example.org>"), ("Cc", LIST),
                   ("Subject", "Re: [PATCH v2] frob: buffer: grow the small buffers"),
                   ("Date", "Sat, 21 Nov 2026 09:00:00 +0000"), ("Message-Id", "<thanks-b2@x>"),
                   ("In-Reply-To", "<b2@x>"), ("References", "<b2@x>")],
                  "On Thu, Ada wrote:\n> grow the small buffers\n\nApplied to frob-next, thanks!\n")
    extra = tmp_path / "reply.mbox"
    extra.write_bytes(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + reply.split(b"\n", 1)[1] + b"\n")
    run(store_url, "ingest", str(mbox))
    run(store_url, "ingest", str(extra))
    run(store_url, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    run(store_url, "tree", "scan")
    out = tmp_path / "ty"
    results = json.loads(run(store_url, "ty", "--from", MARIA, "--out", str(out), "--json"))
    by_status = {(r["status"], r["name"]) for r in results}
    assert ("already-replied", "frob: buffer: grow the small buffers") in by_status
    assert set(_replies(out)) == {"a0@x", "e@x"}  # A and E still get theirs
    skipped = next(r for r in results if r["status"] == "already-replied")
    assert skipped["target"] == "thanks-b2@x"


def test_the_mail_names_the_public_branch_set_per_tree(store, tmp_path):
    """Issue 18 item 9: not the local nickname "frob (frob-next)" but what the tree publishes."""
    public = "git://git.example.org/frob/frob.git for-frob-next"
    run(store, "tree", "set", "frob", "--public", "git://\x1bevil\nsecond line")  # one line, no control characters
    assert json.loads(run(store, "tree", "list", "--json"))[0]["public"] == "git:// evil second line"
    run(store, "tree", "set", "frob", "--public", public + "\n")
    assert json.loads(run(store, "tree", "list", "--json"))[0]["public"] == public
    out = tmp_path / "ty"
    run(store, "ty", "--from", MARIA, "--out", str(out))
    text = _replies(out)["a0@x"].get_content()
    assert f"Applied to {public}, thanks!" in text and "frob (frob-next)" not in text
    assert "no tree named 'nope'" in run(store, "tree", "set", "nope", "--public", "x", code=1)
