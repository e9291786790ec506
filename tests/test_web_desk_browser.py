"""The maintainer's loop in a real browser (Debian's Chromium), no terminal after set-up.

On the demo, as ``make demo`` builds it: log in, open the queue, go to a
series, write a reply with an Acked-by, take the series onto the tree,
thank the author and archive it, all through the desk's plain HTML forms
under the strict CSP (no script).  Then the outcomes are checked where
they land: the .eml files in the outbox, the commit on the branch, the
states and the queue.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_web_browser import ROOT, browser, clean, cli, page, served, visit  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
MARIA = "Maria Keller <maria@frob.example.org>"


@pytest.fixture
def desk(tmp_path):
    db = tmp_path / "demo.db"
    subprocess.run([sys.executable, "demo/make_demo.py", "--out", str(tmp_path / "check.mbox"), "--tree",
                    str(tmp_path / "frob")], cwd=ROOT, check=True, capture_output=True)
    cli(db, "ingest", "demo/demo.mbox", "--list", "frob-devel")
    cli(db, "tree", "add", "frob", str(tmp_path / "frob"), "--branch", "frob-next")
    cli(db, "tree", "scan")
    cli(db, "maintainers", "load", str(tmp_path / "frob" / "MAINTAINERS"), "--list", "frob-devel")
    cli(db, "me", MARIA)
    done = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(db), "password", "--stdin"], cwd=ROOT,
                          input="correct horse battery\n", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with served(db) as url:
        yield url, db, tmp_path


def export(db):
    out = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(db), "export"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return {p["msgid"]: p for p in json.loads(out)["patches"]}


def test_queue_reply_take_and_thank_without_the_terminal(desk, page):  # noqa: F811
    url, db, root = desk
    visit(page, url + "/login")
    page.fill("input[name=secret]", "correct horse battery")
    page.get_by_role("button", name="log in").click()
    clean(page)
    assert page.url.endswith("/queue") and "Waiting on Maria Keller" in page.locator("h1").inner_text()
    row = page.locator("tr", has_text="frob: widget: remove FROB_WIDGET_LEGACY")
    assert "maintainer" in row.inner_text()

    row.get_by_role("link", name="frob: widget: remove FROB_WIDGET_LEGACY").click()
    clean(page)
    page.check("input[name=ack]")
    page.fill("textarea[name=text]", "Looks right to me.")
    page.get_by_role("button", name="write the reply").click()
    clean(page)
    assert page.locator("h1").inner_text() == "reply written"
    replies = list((root / "outbox").glob("reply-*.eml"))
    assert len(replies) == 1 and "Acked-by: Maria Keller <maria@frob.example.org>" in replies[0].read_text()

    page.get_by_role("link", name="back").click()
    clean(page)
    page.get_by_role("button", name="take").click()
    clean(page)
    assert page.locator("h1").inner_text() == "taken" and "1: accepted" in page.locator("ul.done").inner_text()
    log = subprocess.run(["git", "-C", str(root / "frob"), "log", "-1", "--format=%B", "frob-next"],
                         capture_output=True, text=True, check=True).stdout
    assert log.startswith("frob: widget: remove FROB_WIDGET_LEGACY") and "Acked-by: Maria Keller" in log

    page.get_by_role("link", name="back").click()
    clean(page)
    page.get_by_role("button", name="thank the author").click()
    clean(page)
    assert "archived on your desk" in page.locator("ul.done").inner_text()
    assert len(list((root / "outbox").glob("*.eml"))) == 2

    page.get_by_role("link", name="your queue").click()
    clean(page)
    assert "FROB_WIDGET_LEGACY" not in page.locator("table.queue").inner_text()
    patch = next(m for m, p in export(db).items() if p["subject"].endswith("remove FROB_WIDGET_LEGACY")
                 and p["series"] == 5)
    assert export(db)[patch]["state"] == "accepted"
    # triage from the queue page: snooze hides, and the log says who
    row = page.locator("tr", has_text="frob: widget: add a completion callback")
    row.get_by_role("button", name="snooze 1w").click()
    clean(page)
    page.get_by_role("link", name="your queue").click()
    clean(page)
    assert "add a completion callback" not in page.locator("table.queue").inner_text()
