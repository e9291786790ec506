"""Review in the CLI and the export: state overrides, MAINTAINERS, evidence."""

import json
from pathlib import Path

from typer.testing import CliRunner

from patchdesk.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo" / "demo.mbox"
EXCERPT = ROOT / "tests" / "data" / "maintainers" / "MAINTAINERS-excerpt"
runner = CliRunner()


def run(db, *args, code=0):
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == code, result.output
    return result.output


def _patches(db) -> dict[str, dict]:
    return {p["msgid"]: p for p in json.loads(run(db, "export"))["patches"]}


def _by_subject(db, needle: str) -> dict:
    return next(p for p in _patches(db).values() if needle in p["subject"])


def test_export_carries_trailers_verdicts_events_and_continuity(tmp_path):
    db = tmp_path / "pd.db"
    run(db, "ingest", str(DEMO))
    docs = _by_subject(db, "docs: buffer: fix typos")
    assert docs["state"] == "applied-claimed"
    applied = [v for v in docs["verdicts"] if v["kind"] == "applied"]
    assert applied and applied[0]["by"] == "Maria Keller" and "frob-next" in applied[0]["text"]
    assert [e["state"] for e in docs["events"]][-1] == "applied-claimed"
    v2 = _by_subject(db, "[PATCH v2 1/3] frob: widget: add a timeout")
    keys = {(t["key"], t["source"]) for t in v2["trailers"]}
    assert ("Reviewed-by", "patch") in keys and ("Acked-by", "cover") in keys
    assert v2["continuity"]["patch_unchanged"] is True
    v2_3 = _by_subject(db, "[PATCH v2 3/3]")
    assert [o["status"] for o in v2_3["continuity"]["objections"]] == ["addressed"]


def test_state_override_and_clear(tmp_path):
    db = tmp_path / "pd.db"
    run(db, "ingest", str(DEMO))
    nak = _by_subject(db, "[PATCH] frob: rework buffer allocation")
    assert any(v["kind"] == "nak" for v in nak["verdicts"])
    msgid = nak["msgid"]
    run(db, "state", msgid, "bogus", "--why", "x", code=2)
    run(db, "state", msgid, "accepted", code=2)  # --why is required
    run(db, "state", "nobody@x", "accepted", "--why", "x", code=1)
    out = run(db, "state", f"<{msgid}>", "under-review", "--why", "NAK was about v0", "--by", "maria")
    assert "under-review" in out
    after = _patches(db)[msgid]
    assert after["state"] == "under-review" and after["override"]["by"] == "maria"
    assert after["events"][-1]["reason"].startswith("override by maria")
    # a rebuild recomputes evidence, never the override
    run(db, "rebuild")
    assert _patches(db)[msgid]["state"] == "under-review"
    run(db, "state", msgid, "--clear")
    assert _patches(db)[msgid]["state"] == "superseded"


def test_maintainers_load_and_who(tmp_path):
    db = tmp_path / "pd.db"
    out = run(db, "maintainers", "load", str(EXCERPT))
    assert "sections loaded" in out
    who = json.loads(run(db, "maintainers", "who", "drivers/gpio/gpio-mockup.c", "--json"))
    assert who and who[0]["role"] == "maintainer"
    assert "Linus Walleij" in {w["name"] for w in who} or "Bartosz Golaszewski" in {w["name"] for w in who}
    run(db, "maintainers", "load", str(tmp_path / "missing"), code=1)
    (tmp_path / "junk").write_bytes(b"\x00\xff not a maintainers file\n")
    run(db, "maintainers", "load", str(tmp_path / "junk"), code=1)


def test_show_prints_the_evidence(tmp_path):
    db = tmp_path / "pd.db"
    run(db, "ingest", str(DEMO))
    nak = _by_subject(db, "[PATCH] frob: rework buffer allocation")
    out = run(db, "show", nak["msgid"])
    assert "nak by Maria Keller (unknown): \"I think I'll NAK this as is.\"" in out
    assert "why: superseded by" in out
