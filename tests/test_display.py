"""Invisible characters and path-like Message-IDs, on pages and in the CLI
(issue 17, item 9): "Linus Tor<ZWSP>valds" must not pass for Linus
Torvalds, and ``<a/../../b@x>`` must link to its own page."""

from __future__ import annotations

import base64
import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mailgen import make_mail, mbox, patch_body
from patchdesk.cli import app
from patchdesk.display import id_path, visible
from patchdesk.pipeline.ingest import ingest
from patchdesk.store.db import open_engine
from patchdesk.web.app import create_app

NAME = "Linus Tor\u200bvalds"
SUBJECT = "[PATCH] frob: drop the \u202ecod.exe check"


def _encoded(text: str) -> str:
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def _store(tmp_path):
    path, db = tmp_path / "l.mbox", tmp_path / "d.db"
    path.write_bytes(mbox([make_mail("a/../../b@x", _encoded(SUBJECT), sender=f"{_encoded(NAME)} <eve@example.net>",
                                     body=patch_body("Drain.", "src/frob.c", "return 0;", "return 1;"))]))
    engine = open_engine(str(db))
    ingest(engine, [path], jobs=1)
    engine.dispose()
    return db


def test_visible_marks_format_characters_only():
    assert visible("Linus Tor\u200bvalds") == "Linus Tor<U+200B>valds"
    assert visible("a\u202eb\u2066c\ufeff") == "a<U+202E>b<U+2066>c<U+FEFF>"
    assert visible("Zoë Łukasz 李") == "Zoë Łukasz 李"  # letters of any script stay as they are
    assert id_path("a/../../b@x") == "a%2F..%2F..%2Fb@x" and id_path("x?y#z@h") == "x%3Fy%23z@h"


def test_pages_show_invisible_characters_and_link_path_like_ids_to_themselves(tmp_path):
    client = TestClient(create_app(str(_store(tmp_path))))
    page = client.get("/series/1").text
    assert "\u200b" not in page and "\u202e" not in page
    assert "Linus Tor&lt;U+200B&gt;valds" in page and "&lt;U+202E&gt;cod.exe" in page
    assert 'href="/patch/a%2F..%2F..%2Fb@x"' in page
    patch = client.get("/patch/a%2F..%2F..%2Fb@x")
    assert patch.status_code == 200 and "&lt;U+202E&gt;cod.exe" in patch.text


def test_the_cli_shows_them_and_json_keeps_the_text(tmp_path):
    db = str(_store(tmp_path))
    runner = CliRunner()
    shown = runner.invoke(app, ["--db", db, "series"])
    assert shown.exit_code == 0 and "<U+202E>cod.exe" in shown.output and "\u202e" not in shown.output
    shown = runner.invoke(app, ["--db", db, "show", "1"])
    assert shown.exit_code == 0 and "Linus Tor<U+200B>valds" in shown.output
    data = json.loads(runner.invoke(app, ["--db", db, "export"]).output)
    assert data["patches"][0]["subject"].endswith("drop the \u202ecod.exe check")


def test_the_export_is_byte_stable_across_runs_and_rebuilds(tmp_path):
    """Four people post the same change: each series is related to three
    others.  The export must not depend on the hash seed of the process
    (set order) nor change with ``rebuild``."""
    import os
    import subprocess
    import sys
    body = patch_body("Fix it.", "drivers/gpio/a.c", "return foo(1);", "return foo(2);")
    people = ["Ada <ada@example.org>", "Eve <eve@example.org>", "Bob <bob@example.org>", "Cy <cy@example.org>"]
    path, db = tmp_path / "l.mbox", tmp_path / "d.db"
    path.write_bytes(mbox([make_mail(f"p{i}@x", f"[PATCH] gpio: a: take {i}", sender=who,
                                     date=f"Mon, 0{i + 2} Nov 2026 10:00:00 +0000",
                                     body=body.replace("Fix it.", f"Take {i}."))
                           for i, who in enumerate(people)]))
    engine = open_engine(str(db))
    ingest(engine, [path], jobs=1)
    engine.dispose()

    def exported(seed: str, *command: str) -> bytes:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        for cmd in (command, ("export",)):
            if cmd:
                done = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(db), *cmd], env=env,
                                      capture_output=True, check=True)
        return done.stdout

    first = exported("1")
    assert sum(len(s["related"]) for s in json.loads(first)["series"]) == 12
    assert all(exported(seed) == first for seed in ("2", "3", "4"))
    assert exported("5", "rebuild") == first
