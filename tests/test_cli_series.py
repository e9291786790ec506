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


def test_am_means_the_latest_version_unless_told_and_state_takes_a_series_id(db):
    def am(*args: str) -> tuple[int, str]:
        done = runner.invoke(app, ["--db", db, "am", *args, "--link-base", ""])
        return done.exit_code, done.output
    code, out = am("a-1@x")  # a v1 member: the series' latest version is v3
    assert code == 0 and "Message-Id: <c-1@x>" in out and "Message-Id: <a-1@x>" not in out
    code, out = am("a-1@x", "--version", "2")
    assert code == 0 and "Message-Id: <b-1@x>" in out and "Message-Id: <c-1@x>" not in out
    code, out = am("a-1@x", "--version", "9")
    assert code == 1 and "has no v9 (its versions: v1, v2, v3)" in out
    v3 = next(s["id"] for s in json.loads(runner.invoke(app, ["--db", db, "series", "--json"]).output)
              if s["version_label"] == "v3")
    done = runner.invoke(app, ["--db", db, "state", str(v3), "rejected", "--why", "wrong approach"])
    assert done.exit_code == 0 and "<c-0@x> is rejected" in done.output  # the cover letter: the whole series
    assert names(db, "--state", "rejected")[-1] == ("frob: widget fixes", "v3", "rejected")
    assert runner.invoke(app, ["--db", db, "state", "424242", "rejected", "--why", "x"]).exit_code == 1
