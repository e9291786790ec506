"""A partial re-roll end to end (issue 18, item 3): ``[PATCH v2.1 2/3]`` in
reply to v2 2/3 replaces that patch; ``am`` and ``check`` of the series use
v2 with 2/3 replaced, as ``b4 am`` does."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from patchdesk.cli import app
from patchdesk.versions.current import Version, current_patches

FIXTURE = Path(__file__).parent / "data" / "judge" / "partial_reroll.mbox"
runner = CliRunner()


def test_current_patches_fill_a_partial_reroll_from_the_version_it_rerolls():
    v5 = Version(1, (5, 0), 3, ((1, "a1"), (2, "a2"), (3, "a3")))
    v51 = Version(2, (5, 1), 3, ((2, "b2"),))
    v52 = Version(3, (5, 2), 3, ((3, "c3"),))
    assert current_patches([v5, v51]) == [(1, "a1", 1), (2, "b2", 2), (3, "a3", 1)]
    assert current_patches([v5, v51, v52]) == [(1, "a1", 1), (2, "b2", 2), (3, "c3", 3)]
    v4 = Version(0, (4, 0), 4, ((4, "z4"),))
    assert current_patches([v4, v5, v51])[-1] == (3, "a3", 1)  # v4 is another version: nothing from it
    assert current_patches([v5, Version(4, (6, 0), 2, ((1, "d1"), (2, "d2")))]) == [(1, "d1", 4), (2, "d2", 4)]


def test_am_and_check_of_a_partial_reroll_use_the_current_version(tmp_path):
    db = str(tmp_path / "d.db")
    assert runner.invoke(app, ["--db", db, "ingest", str(FIXTURE)]).exit_code == 0
    done = runner.invoke(app, ["--db", db, "am", "b2@x", "--link-base", ""])
    assert done.exit_code == 0, done.output
    assert [line for line in done.output.splitlines() if line.startswith("Message-Id")] == [
        "Message-Id: <a-1@x>", "Message-Id: <b2@x>", "Message-Id: <a-3@x>"]
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for i in (1, 2, 3):  # the files the fixture's patches change, as they were before
        path = repo / "drivers" / "frob" / f"part{i}.c"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"line {n}\n" for n in range(1, 9)) +
                        "static int frob_10(void)\n{\n\tint x10 = 10;\n\tint y10 = x10 * 2;\n\tlimit = 4;\n"
                        "\treturn y10;\n}\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "base"],
                   check=True)
    assert runner.invoke(app, ["--db", db, "tree", "add", "t", str(repo), "--branch", "main"]).exit_code == 0
    checked = runner.invoke(app, ["--db", db, "check", "a-1@x", "--tree", "t", "--cmd", "true", "--json"])
    import json
    [result] = json.loads(checked.output)
    assert [(s["number"], s["msgid"], s["applies"]) for s in result["steps"]] == [
        (1, "a-1@x", True), (2, "b2@x", True), (3, "a-3@x", True)], checked.output


def test_a_partial_reroll_is_not_a_rival_of_its_version_nor_an_incomplete_series(tmp_path):
    db = str(tmp_path / "d.db")
    assert runner.invoke(app, ["--db", db, "ingest", str(FIXTURE)]).exit_code == 0
    shown = runner.invoke(app, ["--db", db, "series"]).output
    row = next(line for line in shown.splitlines() if "v2.1" in line)
    assert "1/3 +1" in row and "!" not in row  # the rest is in series 1, which it re-rolls
    overlaps = runner.invoke(app, ["--db", db, "overlaps"])
    assert overlaps.exit_code == 0 and "no in-flight series overlap" in overlaps.output


def test_interdiff_of_a_partial_reroll_compares_the_whole_series(tmp_path):
    import json
    db = str(tmp_path / "d.db")
    assert runner.invoke(app, ["--db", db, "ingest", str(FIXTURE)]).exit_code == 0
    doc = json.loads(runner.invoke(app, ["--db", db, "interdiff", "a-1@x", "b2@x", "--json"]).output)
    assert [(s["kind"], s["older"], s["newer"]) for s in doc["sections"]] == [
        ("same", ["1/3 frob: widget: step 1"], ["1/3 frob: widget: step 1"]),
        ("changed", ["2/3 frob: widget: step 2"], ["2/3 frob: widget: step 2"]),
        ("same", ["3/3 frob: widget: step 3"], ["3/3 frob: widget: step 3"])]
