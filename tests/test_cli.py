"""The command line, run as a user would (Typer's runner, real store file)."""

import json

from typer.testing import CliRunner

from patchdesk.cli import app

from conftest import CORPUS
from mailgen import make_mail, mbox

runner = CliRunner()

THREAD = [
    make_mail("c@x", "[PATCH 0/1] frob: add widget", date="Mon, 02 Nov 2026 10:00:00 +0000"),
    make_mail("p@x", "[PATCH 1/1] frob: widget", refs=("c@x",), date="Mon, 02 Nov 2026 10:00:01 +0000"),
    make_mail("r@x", "Re: [PATCH 1/1] frob: widget", refs=("gone@x", "c@x", "p@x"),
              sender="Maria Keller <maria@x>", date="Tue, 03 Nov 2026 10:00:00 +0000"),
]


def run(db, *args):
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_ingest_json_and_thread_tree(tmp_path):
    db = tmp_path / "pd.db"
    (tmp_path / "t.mbox").write_bytes(mbox(THREAD))
    summary = json.loads(run(db, "ingest", str(tmp_path / "t.mbox"), "--list", "frob", "--json"))
    assert {k: summary[k] for k in ("read", "stored", "known", "quarantined", "balanced")} == \
        {"read": 3, "stored": 3, "known": 0, "quarantined": 0, "balanced": True}
    tree = run(db, "thread", "<p@x>")
    lines = tree.splitlines()
    assert lines[0] == "(not seen) <gone@x>"
    assert lines[1].startswith("  [PATCH 0/1] frob: add widget")
    assert lines[3].startswith("      Re: [PATCH 1/1] frob: widget  [Maria Keller")
    data = json.loads(run(db, "thread", "r@x", "--json"))
    assert [(r["depth"], r["msgid"], r["present"]) for r in data] == [
        (0, "gone@x", False), (1, "c@x", True), (2, "p@x", True), (3, "r@x", True)]


def test_status_show_threads_and_quarantine(tmp_path):
    db = tmp_path / "pd.db"
    run(db, "ingest", str(CORPUS / "patchwork"))
    status = json.loads(run(db, "status", "--json"))
    assert status["messages"] > 100 and status["quarantined"] == 2
    held = json.loads(run(db, "quarantine", "list", "--json"))
    assert {h["reason"] for h in held} == {"no RFC 5322 header block"}
    raw = runner.invoke(app, ["--db", str(db), "quarantine", "show", str(held[0]["id"])]).stdout_bytes
    assert raw.startswith(b"From ") or raw.startswith(b"diff") or b"@@" in raw
    threads = json.loads(run(db, "threads", "--patches", "--limit", "5", "--json"))
    assert len(threads) == 5 and all("PATCH" in t["subject"].upper() for t in threads)
    shown = json.loads(run(db, "message", threads[0]["root"], "--json"))
    assert shown[0]["subject"] == threads[0]["subject"]


def test_missing_source_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["--db", str(tmp_path / "pd.db"), "ingest", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "no such file or directory" in result.output


def _commands(group, path=()):
    for name, sub in group.commands.items():
        if hasattr(sub, "commands"):
            yield from _commands(sub, (*path, name))
        else:
            yield (*path, name), sub


def test_every_command_says_what_its_arguments_accept():
    """Issue 18 item 11: no argument or option without words in --help."""
    import typer
    root = typer.main.get_command(app)
    found = list(_commands(root))
    assert len(found) > 30
    silent = [(" ".join(path), p.name) for path, command in found for p in command.params
              if p.name != "help" and not getattr(p, "help", None)]
    assert silent == []
    assert all(command.help for _, command in found)
    for path, _ in found:
        out = runner.invoke(app, [*path, "--help"], terminal_width=200).output
        assert out.startswith("Usage: ") and "Traceback" not in out
    assert "series id (from `patchdesk series`) or the Message-ID" in runner.invoke(app, ["am", "--help"],
                                                                                    terminal_width=200).output
