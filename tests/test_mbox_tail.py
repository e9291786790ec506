"""A half-written last mbox message is held back, never cut (issue 17, item 2)."""

import json
import os
import time

from typer.testing import CliRunner

from mailgen import make_mail, mbox, patch_body
from patchdesk.cli import app

runner = CliRunner()


def ingest(db, path) -> dict:
    result = runner.invoke(app, ["--db", str(db), "ingest", str(path), "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_message_still_being_written_is_read_whole_later(tmp_path):
    first = make_mail("one@x", "[PATCH 1/2] frob: one", body=patch_body("One.", "a.c", "int a;", "int b;"))
    second = make_mail("two@x", "[PATCH 2/2] frob: two",
                       body=patch_body("Two.", "b.c", "int c;", "int d;") + "the end of patch two\n")
    whole = mbox([first, second])
    cut = whole.index(b"int d;")  # the writer is in the middle of patch two
    path, db = tmp_path / "growing.mbox", tmp_path / "s.db"
    path.write_bytes(whole[:cut])
    held = ingest(db, path)
    assert (held["read"], held["stored"], held["quarantined"]) == (1, 1, 0)  # patch two not read yet
    path.write_bytes(whole)  # the writer finishes
    done = ingest(db, path)
    assert (done["read"], done["stored"], done["quarantined"]) == (1, 1, 0)
    shown = runner.invoke(app, ["--db", str(db), "thread", "two@x"])
    assert "frob: two" in shown.output
    export = json.loads(runner.invoke(app, ["--db", str(db), "export"]).output)
    assert sorted(p["msgid"] for p in export["patches"]) == ["one@x", "two@x"]


def test_a_file_left_alone_is_taken_as_it_ends(tmp_path):
    mail = make_mail("only@x", "[PATCH] frob: only", body="no trailing blank line")
    path, db = tmp_path / "hand-made.mbox", tmp_path / "s.db"
    path.write_bytes(mbox([mail]).rstrip(b"\n"))
    past = time.time() - 60
    os.utime(path, (past, past))
    assert ingest(db, path)["stored"] == 1
