"""A store kept in the folder being ingested is not mail (issue 17, item 3)."""

import json
import os

from typer.testing import CliRunner

from mailgen import make_mail, mbox
from patchdesk.cli import app

runner = CliRunner()


def test_ingesting_the_stores_own_folder_passes_over_the_store(tmp_path):
    folder = tmp_path / "list"
    folder.mkdir()
    (folder / "list.mbox").write_bytes(mbox([make_mail("a@x", "[PATCH] frob: one", body="x\n"),
                                             make_mail("b@x", "Re: [PATCH] frob: one", refs=("a@x",))]))
    db = folder / "pd.db"
    old = os.getcwd()
    os.chdir(folder)
    try:
        first = runner.invoke(app, ["--db", "pd.db", "ingest", ".", "--json", "--jobs", "1"])
        again = runner.invoke(app, ["--db", "pd.db", "ingest", ".", "--json", "--jobs", "1", "--reread"])
    finally:
        os.chdir(old)
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    one, two = json.loads(first.output), json.loads(again.output)
    assert (one["stored"], one["quarantined"], two["quarantined"]) == (2, 0, 0)
    assert any(path.endswith("pd.db") for path in two["skipped_files"])
    refused = runner.invoke(app, ["--db", str(db), "ingest", str(db)])
    assert refused.exit_code != 0 and "this is the store itself" in refused.output
    assert "Traceback" not in refused.output


def test_one_archive_is_one_source_however_it_is_named(tmp_path):
    """Cursors were keyed by the path as typed: ``../x/list.mbox`` and the
    absolute path read the archive twice (issue 17, item 8)."""
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "list.mbox").write_bytes(mbox([make_mail(f"m{i}@x", f"[PATCH] frob: {i}") for i in range(5)]))
    db = str(tmp_path / "pd.db")
    old = os.getcwd()
    os.chdir(tmp_path / "y")
    try:
        first = json.loads(runner.invoke(app, ["--db", db, "ingest", "../x/list.mbox", "--json", "--jobs", "1"]).output)
    finally:
        os.chdir(old)
    again = json.loads(runner.invoke(app, ["--db", db, "ingest", str(tmp_path / "x" / "list.mbox"), "--json",
                                           "--jobs", "1"]).output)
    assert (first["read"], again["read"]) == (5, 0)
