"""A tree's .mailmap ties a person's addresses for version links (issue 14):
v1 from an old employer's address under one spelling of the name, v2 from
the new address under another.  Unlinked until the tree is scanned; then
v2 follows v1, and says why."""

import json
import subprocess

from typer.testing import CliRunner

from mailgen import make_mail, mbox, patch_body
from patchdesk.cli import app
from patchdesk.versions.identity import mailmap_aliases

runner = CliRunner()
MAILMAP = """# addresses people had
Jane Doe <jane.doe@oss.example.com> J. Doe <jdoe@corp.example.com>
Someone Else <else@x.org>
<bob@new.org> <bob@old.org> <robert@older.org>
"""


def test_mailmap_lines_give_address_pairs():
    assert mailmap_aliases(MAILMAP) == [("bob@new.org", "bob@old.org"), ("bob@new.org", "robert@older.org"),
                                        ("jane.doe@oss.example.com", "jdoe@corp.example.com")]


def run(db, *args):
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_scanned_mailmap_links_versions_across_addresses(tmp_path):
    body = patch_body("Fix the frob timeout.", "drivers/frob/core.c", "timeout = 0;", "timeout = HZ;")
    v1 = make_mail("v1@corp", "[PATCH] frob: fix the timeout", sender="J. Doe <jdoe@corp.example.com>",
                   date="Mon, 02 Nov 2026 10:00:00 +0000", body=body)
    v2 = make_mail("v2@oss", "[PATCH v2] frob: fix the timeout", sender="Jane Doe <jane.doe@oss.example.com>",
                   date="Mon, 16 Nov 2026 10:00:00 +0000", body=body.replace("timeout = HZ;", "timeout = 2 * HZ;"))
    (tmp_path / "l.mbox").write_bytes(mbox([v1, v2]))
    db = tmp_path / "s.db"
    run(db, "ingest", str(tmp_path / "l.mbox"))
    before = {s["cover"] or s["patches"][0]: s for s in json.loads(run(db, "export"))["series"]}
    assert before["v2@oss"]["previous"] is None  # two spellings, two addresses: two people
    repo = tmp_path / "tree"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / ".mailmap").write_text(MAILMAP)
    subprocess.run(["git", "-C", str(repo), "add", ".mailmap"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=M", "-c", "user.email=m@x", "commit", "-q", "-m",
                    "mailmap"], check=True)
    run(db, "tree", "add", "frob", str(repo), "--branch", "main")
    run(db, "tree", "scan")
    after = {s["cover"] or s["patches"][0]: s for s in json.loads(run(db, "export"))["series"]}
    assert after["v2@oss"]["previous"] == after["v1@corp"]["id"]
    shown = run(db, "show", "v2@oss")
    assert "same person, new address (corp.example.com -> oss.example.com)" in shown
