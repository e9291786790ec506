"""Golden fixtures of the judging core (``tests/data/judge/``).

Each ``NAME.mbox`` is a small list in a shape real lists use; beside it,
``NAME.outline`` holds the judgement checked by hand, with the thread
drawn in its header comment.  The judgement must come out the same from
the in-memory ``judge`` (no store) and from a real store that ingested
the same mail: one core, two ways in.  ``build.py`` made the mbox files
and must still make the same bytes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from patchdesk.judge.memory import judge
from patchdesk.judge.outline import of_export, of_judgement, render
from patchdesk.pipeline.ingest import ingest
from patchdesk.sources.mbox import MboxSource
from patchdesk.store.db import open_engine
from patchdesk.store.queries import export

HERE = Path(__file__).parent / "data" / "judge"
CASES = sorted(p.stem for p in HERE.glob("*.mbox"))
sys.path.insert(0, str(HERE))
import build  # noqa: E402


def expected(name: str) -> str:
    return "".join(line for line in (HERE / f"{name}.outline").read_text().splitlines(keepends=True)
                   if not line.startswith("#"))


def test_there_are_enough_cases_and_each_is_built_by_build_py():
    assert len(CASES) >= 30 and set(CASES) == set(build.CASES)
    for name in CASES:
        assert build.mails(name) == (HERE / f"{name}.mbox").read_bytes(), name


@pytest.mark.parametrize("name", CASES)
def test_judged_in_memory(name):
    assert render(of_judgement(judge(MboxSource(HERE / f"{name}.mbox").messages({})))) == expected(name)


@pytest.mark.parametrize("name", CASES)
def test_judged_through_a_store(name, tmp_path):
    engine = open_engine(str(tmp_path / "store.db"))
    try:
        ingest(engine, [HERE / f"{name}.mbox"], jobs=1)
        with engine.connect() as conn:
            doc = export(conn)
    finally:
        engine.dispose()
    assert render(of_export(doc)) == expected(name)


def test_the_judging_core_loads_no_store_pipeline_or_web():
    loaded = subprocess.run([sys.executable, "-c", "import sys, patchdesk.judge.memory, patchdesk.judge.outline; "
                             "print(' '.join(sorted(sys.modules)))"], capture_output=True, text=True,
                            check=True).stdout.split()
    assert not [m for m in loaded if m.split(".")[:2] in (["patchdesk", "store"], ["patchdesk", "pipeline"],
                                                          ["patchdesk", "web"], ["patchdesk", "cli"])]
    assert "sqlalchemy" not in loaded


#: Store modules that still import a stage package (issue 16 moves them out).
NOT_YET = {"overlaps", "thanks"}
STAGES = {"parse", "threads", "series", "versions", "review", "trees", "judge", "pipeline", "sources", "desk", "search"}


def test_store_modules_import_no_stage():
    store = Path(__file__).parents[1] / "patchdesk" / "store"
    offenders = {}
    for path in sorted(store.glob("*.py")):
        tree = ast.parse(path.read_text())
        names = {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module}
        if names & STAGES and path.stem not in NOT_YET:
            offenders[path.stem] = sorted(names & STAGES)
    assert offenders == {}
    clean = {p.stem for p in store.glob("*.py")} - NOT_YET
    assert {"series", "review", "messages", "db", "schema"} <= clean


def test_the_judge_command_prints_the_outline_and_stores_nothing(tmp_path):
    from typer.testing import CliRunner

    from patchdesk.cli import app
    db = tmp_path / "never.db"
    done = CliRunner().invoke(app, ["--db", str(db), "judge", str(HERE / "carried_trailer.mbox")])
    assert done.exit_code == 0 and done.output == expected("carried_trailer") and not db.exists()
    missing = CliRunner().invoke(app, ["judge", str(tmp_path / "nowhere.mbox")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_a_dropped_patch_is_dated_by_the_next_version_and_a_naked_one_stays_rejected():
    from datetime import datetime, timezone
    dropped = judge(MboxSource(HERE / "dropped_in_v2.mbox").messages({})).reviews["a-3@x"]
    v2 = datetime(2026, 11, 5, 10, 0, tzinfo=timezone.utc)  # the v2 cover letter, three days after v1
    assert [(e.state, e.date, e.msgid) for e in dropped.events][-1] == ("superseded", v2, "b-0@x")
    naked = judge(MboxSource(HERE / "nak_then_dropped.mbox").messages({})).reviews["a-2@x"]
    assert [e.state for e in naked.events] == ["new", "rejected"]
