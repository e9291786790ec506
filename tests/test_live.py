"""The live desk: LMTP delivery and watched sources, through real processes.

The LMTP tests talk to a real ``patchdesk lmtp`` process over TCP with a
hand-written client, because the protocol detail under test (one reply
per recipient after the data, RFC 2033) is what ``smtplib`` hides.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from mailgen import make_mail, patch_body
from patchdesk.cli import app
from patchdesk.sources.lmtp import start_server

PATCHDESK = [sys.executable, "-m", "patchdesk"]
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lmtp(db: Path, port: int, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen([*PATCHDESK, "--db", str(db), "lmtp", "--port", str(port), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode())
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("LMTP server did not start")


class Client:
    """A minimal LMTP client that shows every reply line."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.file = self.sock.makefile("rb")
        self.reply()
        self.command("LHLO test.example.org")

    def reply(self) -> list[str]:
        lines = []
        while True:
            line = self.file.readline().decode().rstrip("\r\n")
            if not line:
                raise ConnectionError("server closed the connection")
            lines.append(line)
            if line[3:4] != "-":
                return lines

    def command(self, line: str) -> list[str]:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def send(self, data: bytes, recipients: list[str]) -> list[str]:
        """Deliver one message; return the per-recipient replies."""
        assert self.command("MAIL FROM:<list-owner@example.org>")[0].startswith("250")
        for r in recipients:
            assert self.command(f"RCPT TO:<{r}>")[0].startswith("250")
        assert self.command("DATA")[0].startswith("354")
        body = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in data.split(b"\n"))
        self.sock.sendall(body + b"\r\n.\r\n")
        return [self.reply()[0] for _ in recipients]

    def close(self) -> None:
        try:
            self.command("QUIT")
        finally:
            self.sock.close()


def settled(db: Path, msgids: list[str], timeout: float = 60) -> None:
    """Wait until the messages are stored and nothing is left to settle."""
    engine = create_engine(f"sqlite:///{db}")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                have = {m for (m,) in conn.execute(text("select msgid from messages"))}
                pending = conn.execute(text("select (select count(*) from dirty_senders) + "
                                            "(select count(*) from dirty_roots)")).scalar()
            if set(msgids) <= have and pending == 0:
                return
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError(f"not settled within {timeout} s")


def export(db: Path) -> dict:
    result = runner.invoke(app, ["--db", str(db), "export"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


PATCH = make_mail("p1@frob", "[PATCH] frob: widget: raise the limit",
                  body=patch_body("Raise it.", "drivers/frob/widget.c", "limit = 4;", "limit = 8;"))
ACK = make_mail("r1@frob", "Re: [PATCH] frob: widget: raise the limit", sender="Maria Keller <maria@frob.org>",
                date="Mon, 02 Nov 2026 12:00:00 +0100", refs=("p1@frob",),
                body="> Raise it.\n\nAcked-by: Maria Keller <maria@frob.org>\n")


def test_lmtp_answers_each_recipient_after_storing_and_the_desk_follows(tmp_path):
    db, port = tmp_path / "live.db", free_port()
    server = start_lmtp(db, port)
    try:
        client = Client(port)
        replies = client.send(PATCH, ["frob-devel@lists.example.org", "linux-gpio@vger.kernel.org"])
        assert [r[:3] for r in replies] == ["250", "250"] and "stored" in replies[0]
        assert "known" in replies[1]  # one message, kept once, in two lists
        assert client.send(PATCH, ["frob-devel@lists.example.org"])[0].endswith("known")
        assert client.send(ACK, ["frob-devel@lists.example.org"])[0].endswith("stored")
        client.close()
        settled(db, ["p1@frob", "r1@frob"])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    patch = {p["msgid"]: p for p in export(db)["patches"]}["p1@frob"]
    assert patch["state"] == "under-review"
    assert [(t["key"], t["email"]) for t in patch["trailers"]] == [("Acked-by", "maria@frob.org")]
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        lists = sorted(n for (n,) in conn.execute(text(
            "select l.name from lists l join message_lists ml on ml.list_id = l.id "
            "join messages m on m.id = ml.message_id where m.msgid = 'p1@frob'")))
        assert conn.execute(text("select count(*) from messages")).scalar() == 2
    engine.dispose()
    assert lists == ["frob-devel", "linux-gpio"]


def test_lmtp_says_try_again_when_the_store_fails():
    """A store that cannot write must not be acknowledged: the MTA keeps the mail."""
    def deliver(data: bytes, recipients: list[str]) -> list[str]:
        raise OSError("disk full")
    port = free_port()
    server = start_server(deliver, port=port)
    try:
        client = Client(port)
        assert [r[:3] for r in client.send(PATCH, ["a@x", "b@x"])] == ["451", "451"]
        client.close()
    finally:
        server.stop()


def test_lmtp_refuses_nothing_it_can_keep_and_quarantines_garbage(tmp_path):
    db, port = tmp_path / "live.db", free_port()
    server = start_lmtp(db, port, "--list", "frob-devel")
    try:
        client = Client(port)
        reply = client.send(b"\x00\xff not a mail at all", ["frob-devel@lists.example.org"])[0]
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert reply.startswith("250") and "quarantined" in reply
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from quarantine")).scalar() == 1
    engine.dispose()


def test_lmtp_kill_loop_keeps_every_acknowledged_message(tmp_path):
    """SIGKILL the server at random moments while a client delivers; after
    each restart every message it acknowledged is stored, exactly once."""
    seed = int(os.environ.get("PATCHDESK_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"seed {seed}")
    db = tmp_path / "live.db"
    acked: list[str] = []
    counter = iter(range(10**6))
    for _ in range(4):
        port = free_port()
        server = start_lmtp(db, port)
        stop = threading.Event()

        def deliver_until_killed() -> None:
            try:
                client = Client(port)
                while not stop.is_set():
                    n = next(counter)
                    data = make_mail(f"k{n}@frob", f"[PATCH] frob: step {n}", date="Mon, 02 Nov 2026 10:15:00 +0100",
                                     body=patch_body(f"Step {n}.", f"drivers/frob/f{n % 7}.c", f"a = {n};", f"a = {n + 1};"))
                    if client.send(data, ["frob-devel@lists.example.org"])[0].startswith("250"):
                        acked.append(f"k{n}@frob")
            except (OSError, ConnectionError):
                pass  # the server died mid-conversation: that message was not acknowledged
        sender = threading.Thread(target=deliver_until_killed)
        sender.start()
        time.sleep(rng.uniform(0.2, 1.5))
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        sender.join()
    port = free_port()
    server = start_lmtp(db, port)  # the last run settles what the killed ones left
    try:
        settled(db, acked)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert acked, "no message was acknowledged: the loop tested nothing"
    print(f"{len(acked)} messages acknowledged over 4 kills")
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored = [m for (m,) in conn.execute(text("select msgid from messages"))]
        in_series = {m for (m,) in conn.execute(text("select msgid from submissions where series_id is not null"))}
    engine.dispose()
    assert len(stored) == len(set(stored))
    assert set(acked) <= set(stored)
    assert set(stored) <= in_series  # every stored patch was settled into a series


def maildir(root: Path) -> Path:
    for part in ("new", "cur", "tmp"):
        (root / part).mkdir(parents=True, exist_ok=True)
    return root


def watch_once(db: Path, *args: str) -> str:
    result = runner.invoke(app, ["--db", str(db), "watch", "--once", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_watch_reads_only_new_maildir_files(tmp_path):
    from patchdesk.pipeline.live import LiveDesk
    from patchdesk.pipeline.watch import Watcher
    from patchdesk.store.db import open_engine
    box, db = maildir(tmp_path / "Mail"), tmp_path / "pd.db"
    (box / "new" / "1700000000.1.host").write_bytes(PATCH)
    engine = open_engine(str(db))
    desk = LiveDesk(engine, "watch", kind="watch")
    watcher = Watcher(desk, [box], "frob-devel", fetch=False)
    first = watcher.poll()
    assert (first.stored, first.known) == (1, 0)
    (box / "new" / "1700000001.2.host").write_bytes(ACK)
    second = watcher.poll()
    assert (second.stored, second.known) == (1, 0)  # the first file is not read again
    # a mail reader marks it seen: same unique name, moved to cur/
    shutil.move(box / "new" / "1700000001.2.host", box / "cur" / "1700000001.2.host:2,S")
    third = watcher.poll()
    assert (third.stored, third.known) == (0, 0)
    desk.settle()
    engine.dispose()
    patch = {p["msgid"]: p for p in export(db)["patches"]}["p1@frob"]
    assert [t["key"] for t in patch["trailers"]] == ["Acked-by"]
    # the folder is a registered source now; a new process reads it once, by hash
    assert "stored 0, known 2" in watch_once(db)


def test_watch_scans_a_tree_that_moved(tmp_path):
    from test_trees import git, make_world
    mbox, tree = make_world(tmp_path / "world")
    git(tree, "branch", "-f", "inc", "frob-next~2")
    db = tmp_path / "pd.db"
    assert runner.invoke(app, ["--db", str(db), "ingest", str(mbox)]).exit_code == 0
    assert runner.invoke(app, ["--db", str(db), "tree", "add", "t", str(tree), "--branch", "inc"]).exit_code == 0
    assert "3 new commits" in watch_once(db, "--no-fetch")
    assert "0 new commits" in watch_once(db, "--no-fetch")
    git(tree, "branch", "-f", "inc", "frob-next")
    assert "2 new commits" in watch_once(db, "--no-fetch")
    states = {p["msgid"]: p["state"] for p in export(db)["patches"]}
    assert states["c@x"] == "accepted" and states["a1@x"] == "superseded"


def test_lmtp_takes_only_list_addresses_and_a_bounded_number_of_new_lists(tmp_path):
    """``RCPT TO:garbage`` and ``<>`` are refused; one message to 150
    addresses creates a handful of lists, not 150."""
    db, port = tmp_path / "live.db", free_port()
    server = start_lmtp(db, port)
    try:
        client = Client(port)
        assert client.command("MAIL FROM:<list-owner@example.org>")[0].startswith("250")
        assert client.command("RCPT TO:garbage")[0][:1] == "5"
        assert client.command("RCPT TO:<>")[0][:1] == "5"
        answers = [client.command(f"RCPT TO:<list{i}@lists.example.org>")[0][:3] for i in range(150)]
        assert answers[:5] == ["250"] * 5 and set(answers[5:]) == {"452"}
        assert client.command("DATA")[0].startswith("354")
        client.sock.sendall(PATCH.replace(b"\n", b"\r\n") + b".\r\n")
        assert [client.reply()[0][:3] for _ in range(5)] == ["250"] * 5
        client.command("RSET")
        # a list the store knows is taken in a later message, beyond the bound
        assert client.send(ACK, [f"list{i}@lists.example.org" for i in range(5)] +
                           ["list9@lists.example.org"]) == ["250 2.0.0 stored"] + ["250 2.0.0 known"] * 5
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        lists = sorted(n for (n,) in conn.execute(text("select name from lists")))
    engine.dispose()
    assert lists == [f"list{i}" for i in (0, 1, 2, 3, 4, 9)]


def test_lmtp_with_accept_takes_only_the_named_lists(tmp_path):
    db, port = tmp_path / "live.db", free_port()
    server = start_lmtp(db, port, "--accept", "frob-devel")
    try:
        client = Client(port)
        assert client.command("MAIL FROM:<list-owner@example.org>")[0].startswith("250")
        assert client.command("RCPT TO:<linux-gpio@vger.kernel.org>")[0].startswith("550")
        assert client.command("RCPT TO:<Frob-Devel@lists.example.org>")[0].startswith("250")
        client.command("RSET")
        assert client.send(PATCH, ["frob-devel@lists.example.org"]) == ["250 2.0.0 stored"]
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def test_lmtp_asks_for_lhlo_not_the_helo_it_refuses(tmp_path):
    port = free_port()
    server = start_server(lambda data, to: ["250 2.0.0 stored"] * len(to), port=port)
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        lines = sock.makefile("rb")
        lines.readline()
        sock.sendall(b"HELO test.example.org\r\n")
        assert lines.readline().startswith(b"500")
        sock.sendall(b"MAIL FROM:<a@example.org>\r\n")
        assert lines.readline().decode().strip() == "503 Error: send LHLO first"
        sock.close()
    finally:
        server.stop()


def test_lmtp_waits_for_another_writer_instead_of_answering_451(tmp_path):
    """Another process holds the SQLite write lock for a moment (an ingest
    committing a batch): the delivery waits for it and is stored."""
    db, port = tmp_path / "live.db", free_port()
    server = start_lmtp(db, port)
    try:
        client = Client(port)
        assert client.send(PATCH, ["frob-devel@lists.example.org"]) == ["250 2.0.0 stored"]
        import sqlite3
        other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE lists SET name = name")
        released = threading.Timer(2.0, lambda: other.execute("COMMIT"))
        released.start()
        start = time.monotonic()
        assert client.send(ACK, ["frob-devel@lists.example.org"]) == ["250 2.0.0 stored"]
        assert time.monotonic() - start >= 1.5  # it did wait for the lock: the test held it
        released.join()
        other.close()
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def test_the_live_desk_syncs_every_commit_to_disk(tmp_path):
    """What LMTP acknowledges must survive a power loss, not only a killed
    process: its SQLite connections run with ``synchronous=FULL``."""
    from patchdesk.pipeline.live import LiveDesk
    from patchdesk.store.db import open_engine
    engine = open_engine(str(tmp_path / "live.db"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL for bulk ingest
    desk = LiveDesk(engine, "lmtp://test", durable=True)
    try:
        with desk.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        desk.preparer.close()
