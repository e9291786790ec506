"""``patchdesk series`` filters and ``interdiff --json`` (issue 18, item 11),
on golden fixtures ingested into one store under two lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from patchdesk.cli import app

JUDGE = Path(__file__).parent / "data" / "judge"
runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    db = str(tmp_path / "d.db")
    for name, list_name in (("v1_v2_v3", "frob-devel"), ("nak", "frob-devel"), ("pull_request", "docs")):
        assert runner.invoke(app, ["--db", db, "ingest", str(JUDGE / f"{name}.mbox"), "--list", list_name]).exit_code == 0
    return db


def names(db: str, *args: str) -> list[tuple[str, str, str]]:
    done = runner.invoke(app, ["--db", db, "series", "--json", *args])
    assert done.exit_code == 0, done.output
    return [(s["name"], s["version_label"], s["state"]) for s in json.loads(done.output)]


def test_series_filters(db):
    assert len(names(db)) == 3  # v3, the NAKed patch, the pull request; v1 and v2 are superseded
    assert names(db, "--state", "rejected") == [("frob: raise the limit", "v1", "rejected")]
    assert [n[1] for n in names(db, "--state", "superseded")] == ["v1", "v2"]
    assert names(db, "--list", "docs") == [("frob fixes for 6.20", "v1", "new")]
    assert names(db, "--list", "frob-devel", "--since", "2026-11-08") == [("frob: widget fixes", "v3", "new")]
    assert len(names(db, "--limit", "2")) == 2
    bad = runner.invoke(app, ["--db", db, "series", "--state", "bogus"])
    assert bad.exit_code == 2 and "bogus" in bad.output
    assert runner.invoke(app, ["--db", db, "series", "--since", "yesterday"]).exit_code == 2


def test_interdiff_json(db):
    done = runner.invoke(app, ["--db", db, "interdiff", "a-1@x", "b-1@x", "--json"])
    assert done.exit_code == 0, done.output
    doc = json.loads(done.output)
    assert (doc["old"]["version"], doc["new"]["version"]) == ("v1", "v2")
    kinds = [(s["kind"], s["older"], s["newer"]) for s in doc["sections"]]
    assert kinds == [("changed", ["1/2 frob: widget: step 1"], ["1/2 frob: widget: step 1"]),
                     ("same", ["2/2 frob: widget: step 2"], ["2/2 frob: widget: step 2"])]
    assert "limit = 9;" in doc["sections"][0]["diff"]
