"""Git trees: scanning real repositories and finding what was applied.

The list and the tree are made the way they are in life: patches written
as commits, sent with ``git format-patch``, then applied by a maintainer
with ``git am`` (as sent, with a Message-Id, edited on the way, or only in
part).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from patchdesk.cli import app
from patchdesk.trees.gitlog import commits, resolve

AUTHOR = ("Ada Lovelace", "ada@example.org")
BASE = {
    "drivers/frob/widget.c": "".join(f"int widget_{i} = {i};\n" for i in range(30)),
    "drivers/frob/buffer.c": "".join(f"static int buffer_size_{i} = {i * 8};\n" for i in range(30)),
    "drivers/frob/core.c": "".join(f"void core_step_{i}(void) {{ }}\n" for i in range(30)),
    "drivers/frob/util.c": "".join(f"int util_{i}(int x) {{ return x + {i}; }}\n" for i in range(30)),
    "Documentation/frob.rst": "".join(f"Paragraph {i} of the frob guide.\n" for i in range(30)),
    "drivers/frob/extra.c": "".join(f"long extra_{i} = {i * 3};\n" for i in range(30)),
}
runner = CliRunner()


def git(repo: Path, *args: str, env: dict | None = None, stdin: bytes | None = None) -> str:
    full = {**os.environ, "GIT_AUTHOR_NAME": AUTHOR[0], "GIT_AUTHOR_EMAIL": AUTHOR[1],
            "GIT_COMMITTER_NAME": "Maria Keller", "GIT_COMMITTER_EMAIL": "maria@frob.example.org",
            **(env or {})}
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=full, input=stdin, check=True)
    return done.stdout.decode()


def edit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new))


def _mail(repo: Path, msgid: str, version: int, date: str) -> bytes:
    out = git(repo, "format-patch", "-1", "--stdout", f"-v{version}" if version > 1 else "--no-numbered")
    head, body = out.split("\n\n", 1)
    head = "\n".join(line for line in head.split("\n") if not line.startswith("Date:"))
    return f"{head}\nDate: {date}\nMessage-Id: <{msgid}>\n\n{body}".encode()


def make_world(root: Path) -> tuple[Path, Path]:
    """(list mbox, maintainer repo) built with real git under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    work = root / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    for path, text in BASE.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "frob 0.1", env={"GIT_AUTHOR_DATE": "2026-10-01T10:00:00Z",
                                                       "GIT_COMMITTER_DATE": "2026-10-01T10:00:00Z"})
    base = git(work, "rev-parse", "HEAD").strip()
    mails = {}

    def patch(name, msgid, version, date, edits, message):
        git(work, "checkout", "-q", "-B", name, base)
        for path, old, new in edits:
            edit(work, path, old, new)
        git(work, "commit", "-q", "-am", message, env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        mails[msgid] = _mail(work, msgid, version, date)

    w = "drivers/frob/widget.c"
    patch("a1", "a1@x", 1, "Mon, 02 Nov 2026 10:00:00 +0000", [(w, "widget_5 = 5", "widget_5 = 50")],
          "frob: widget: raise the fifth limit\n\nIt is too low.\n\nSigned-off-by: Ada Lovelace <ada@example.org>")
    patch("a2", "a2@x", 2, "Mon, 09 Nov 2026 10:00:00 +0000",
          [(w, "widget_5 = 5", "widget_5 = 55"), (w, "widget_6 = 6", "widget_6 = 66")],
          "frob: widget: raise the fifth limit\n\nIt is too low; the sixth too.\n\n"
          "Signed-off-by: Ada Lovelace <ada@example.org>")
    b = "drivers/frob/buffer.c"
    patch("b", "b@x", 1, "Tue, 03 Nov 2026 10:00:00 +0000",
          [(b, f"buffer_size_{i} = {i * 8}", f"buffer_size_{i} = {i * 16}") for i in (3, 4, 5, 6, 7)],
          "frob: buffer: double the small buffers\n\nSigned-off-by: Ada Lovelace <ada@example.org>")
    patch("c", "c@x", 1, "Wed, 04 Nov 2026 10:00:00 +0000",
          [("drivers/frob/core.c", "core_step_9(void) { }", "core_step_9(void) { core_step_8(); }")],
          "frob: core: chain step nine\n\nSigned-off-by: Ada Lovelace <ada@example.org>")
    patch("d", "d@x", 1, "Thu, 05 Nov 2026 10:00:00 +0000",
          [("drivers/frob/util.c", f"return x + {i};", f"return x + {i} + 1;") for i in (2, 3, 4)]
          + [("Documentation/frob.rst", f"Paragraph {i} of", f"Section {i} of") for i in (2, 3, 4, 5)],
          "frob: util: off by one, and the guide\n\nSigned-off-by: Ada Lovelace <ada@example.org>")
    patch("e", "e@x", 1, "Fri, 06 Nov 2026 10:00:00 +0000",
          [("drivers/frob/extra.c", "extra_7 = 21", "extra_7 = 22")],
          "frob: extra: fix the seventh\n\nSigned-off-by: Ada Lovelace <ada@example.org>")

    tree = root / "maintainer"
    subprocess.run(["git", "clone", "-q", str(work), str(tree)], check=True)
    git(tree, "checkout", "-q", "-B", "frob-next", base)
    later = {"GIT_COMMITTER_DATE": "2026-11-20T10:00:00Z"}
    git(tree, "am", "-q", env=later, stdin=mails["a2@x"])                          # v2 as sent
    git(tree, "am", "-q", env=later, stdin=mails["b@x"])                           # edited on the way
    edit(tree, b, "buffer_size_7 = 112", "buffer_size_7 = 128")
    git(tree, "commit", "-q", "-a", "--amend", "--no-edit", env=later)
    git(tree, "am", "-q", "--message-id", env=later, stdin=mails["c@x"])           # with Message-ID:
    (root / "d.patch").write_bytes(mails["d@x"])                                     # only the code part
    git(tree, "apply", "--include=drivers/frob/util.c", str(root / "d.patch"))
    git(tree, "commit", "-q", "-am", "frob: util: off by one, and the guide",
        env={**later, "GIT_AUTHOR_DATE": "Thu, 05 Nov 2026 10:00:00 +0000"})
    listing = b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m.split(b"\n", 1)[1] + b"\n"
                       for m in mails.values())
    (root / "list.mbox").write_bytes(listing)
    return root / "list.mbox", tree


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("world"))


def run(db, *args, code=0):
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == code, result.output
    return result.output


def test_gitlog_streams_commits_with_patch_ids_and_links(world):
    _, tree = world
    found = list(commits(tree, resolve(tree, "frob-next")))
    assert [c.subject for c in found] == ["frob 0.1", "frob: widget: raise the fifth limit",
                                          "frob: buffer: double the small buffers", "frob: core: chain step nine",
                                          "frob: util: off by one, and the guide"]
    assert found[3].msgids == ("c@x",)
    assert found[1].paths == ("drivers/frob/widget.c",)
    stable = git(tree, "log", "-1", "--format=%H", "frob-next~3")
    pid = subprocess.run(["git", "-C", str(tree), "patch-id", "--stable"], input=git(tree, "show", stable.strip()).encode(),
                         capture_output=True, check=True).stdout.decode().split()[0]
    assert found[1].patch_id == pid


def test_applied_detection_methods_and_states(world, tmp_path):
    mbox, tree = world
    db = tmp_path / "pd.db"
    run(db, "ingest", str(mbox))
    run(db, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    out = run(db, "tree", "scan")
    assert "frob: 5 commits (full scan)" in out
    import json
    patches = {p["msgid"]: p for p in json.loads(run(db, "export"))["patches"]}
    how = {m: [(a["method"], a["tree"]) for a in p["applied"]] for m, p in patches.items()}
    assert how == {"a1@x": [], "a2@x": [("patch-id", "frob")], "b@x": [("fuzzy", "frob")],
                   "c@x": [("link", "frob")], "d@x": [("partial", "frob")], "e@x": []}
    states = {m: p["state"] for m, p in patches.items()}
    assert states == {"a1@x": "superseded", "a2@x": "accepted", "b@x": "accepted", "c@x": "accepted",
                      "d@x": "new", "e@x": "new"}
    assert patches["a2@x"]["state_reason"].startswith("in frob as ")
    assert "90% of the patch's changed lines" in patches["b@x"]["applied"][0]["evidence"]
    # incremental: nothing new, nothing read
    assert "frob: 0 commits" in run(db, "tree", "scan", "frob")


def test_tree_add_refuses_bad_input(world, tmp_path):
    _, tree = world
    db = tmp_path / "pd.db"
    marker = tmp_path / "pwned"
    run(db, "tree", "add", "x", str(tree), "--branch", f"--upload-pack=touch {marker}", code=1)
    run(db, "tree", "add", "x", str(tree), "--branch", "$(touch " + str(marker) + ")", code=1)
    assert not marker.exists()
    run(db, "tree", "add", "x", str(tmp_path / "nowhere"), "--branch", "main", code=1)
    run(db, "tree", "add", "x", str(tree), "--branch", "frob-next")
    run(db, "tree", "add", "x", str(tree), "--branch", "frob-next", code=1)  # name taken
    run(db, "tree", "scan", "nope", code=1)


def test_a_broken_tree_does_not_keep_the_others_from_being_scanned(world, tmp_path):
    """A registered tree whose branch was deleted fails the scan (exit 1,
    named in ``failed``) after the trees listed around it were scanned
    and matched."""
    import json
    mbox, tree = world
    db = tmp_path / "pd.db"
    run(db, "ingest", str(mbox))
    git(tree, "branch", "doomed", "frob-next")
    run(db, "tree", "add", "a-doomed", str(tree), "--branch", "doomed")
    run(db, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    git(tree, "branch", "-D", "doomed")
    done = runner.invoke(app, ["--db", str(db), "tree", "scan", "--json"])
    assert done.exit_code == 1, done.output
    report = json.loads(done.stdout)
    assert [t["tree"] for t in report["trees"]] == ["frob"] and report["trees"][0]["new_commits"] == 5
    assert [f["tree"] for f in report["failed"]] == ["a-doomed"] and "doomed" in report["failed"][0]["error"]
    assert report["matched"] > 0
    states = {p["msgid"]: p["state"] for p in json.loads(run(db, "export"))["patches"]}
    assert states["a2@x"] == "accepted"


def test_patches_arriving_after_the_scan_are_matched(world, tmp_path):
    mbox, tree = world
    db = tmp_path / "pd.db"
    run(db, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    run(db, "tree", "scan")
    run(db, "ingest", str(mbox))
    import json
    states = {p["msgid"]: p["state"] for p in json.loads(run(db, "export"))["patches"]}
    assert states["a2@x"] == "accepted" and states["c@x"] == "accepted" and states["a1@x"] == "superseded"


@pytest.fixture(scope="module")
def demo_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    demo = Path(__file__).resolve().parents[1] / "demo"
    subprocess.run([sys.executable, str(demo / "make_demo.py"), "--out", str(root / "demo.mbox"),
                    "--tree", str(root / "frob")], check=True, capture_output=True)
    return root / "demo.mbox", root / "frob"


def test_am_writes_the_latest_version_with_collected_trailers(demo_tree, tmp_path):
    mbox, repo = demo_tree
    db = tmp_path / "pd.db"
    run(db, "ingest", str(mbox))
    run(db, "tree", "add", "frob", str(repo), "--branch", "frob-next")
    run(db, "tree", "scan")
    import json
    v1 = next(s for s in json.loads(run(db, "series", "--all", "--json"))
              if s["name"] == "frob: add widget timeout support" and s["version"] == 1)
    result = runner.invoke(app, ["--db", str(db), "am", str(v1["id"]), "-o", str(tmp_path / "s.mbox"),
                                 "--apply", "frob"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "s.mbox").read_text()
    assert text.count("From patchdesk ") == 3 and "[PATCH v2" not in text and "[PATCH 1/3]" in text
    assert "+ Acked-by: Henrik Nyberg" in result.output          # the report
    branch = "patchdesk/series-%d-v2" % v1["next"]
    message = git(repo, "log", "-1", "--format=%B", f"{branch}~2")
    assert message.index("Signed-off-by: Lena") < message.index("Acked-by: Henrik Nyberg") \
        < message.index("Tested-by: Chen Wei") < message.index("Link: https://lore.kernel.org/r/")
    assert "Nacked-by" not in git(repo, "log", "--format=%B", f"frob-next..{branch}")
    assert git(repo, "worktree", "list").count("\n") == 1      # the temporary worktree is gone
    bad = runner.invoke(app, ["--db", str(db), "am", str(v1["id"]), "--apply", "nope"])
    assert bad.exit_code == 1


def test_check_finds_the_first_bad_patch_and_cleans_up(demo_tree, tmp_path):
    mbox, repo = demo_tree
    db = tmp_path / "pd.db"
    run(db, "ingest", str(mbox))
    run(db, "tree", "add", "frob", str(repo), "--branch", "frob-next")
    import json
    v2 = next(s for s in json.loads(run(db, "series", "--json")) if s["name"] == "frob: add widget timeout support")
    breaks_at_2 = 'test "$(git log -1 --format=%s)" != "frob: widget: honour the timeout in frob_widget_wait()"'
    result = runner.invoke(app, ["--db", str(db), "check", str(v2["id"]), "--tree", "frob", "--cmd", breaks_at_2,
                                 "--json"])
    assert result.exit_code == 3, result.output
    [check] = json.loads(result.output)
    assert (check["bisectable"], check["first_bad"], check["base_source"]) == (False, 2, "branch head")
    assert [(s["number"], s["applies"], s["passed"]) for s in check["steps"]] == [
        (1, True, True), (2, True, False), (3, True, True)]
    good = runner.invoke(app, ["--db", str(db), "check", str(v2["id"]), "--tree", "frob", "--cmd", "true"])
    assert good.exit_code == 0 and "bisectable" in good.output
    slow = runner.invoke(app, ["--db", str(db), "check", str(v2["id"]), "--tree", "frob", "--cmd", "sleep 30",
                               "--timeout", "0.5", "--json"])
    [timed] = json.loads(slow.output)  # the base itself runs over the limit: no patch is blamed
    assert timed["steps"] == [] and "fails the command before any patch (timed out after 0.5 s)" in timed["error"]
    text = runner.invoke(app, ["--db", str(db), "check", str(v2["id"]), "--tree", "frob", "--cmd", breaks_at_2])
    assert "  2  failed (1)" in text.output  # the text report: each step, and a failure's log tail
    base_broken = 'echo "make: *** [frob.o] Error 1"; exit 2'
    broken = runner.invoke(app, ["--db", str(db), "check", str(v2["id"]), "--tree", "frob", "--cmd", base_broken])
    assert broken.exit_code == 3 and "fails the command before any patch (exit 2)" in broken.output
    assert "make: *** [frob.o] Error 1" in broken.output and "breaks at patch" not in broken.output
    shown = run(db, "show", str(v2["id"]))  # the three newest checks
    assert "breaks at patch 2" in shown and "fails the command before any patch (exit 2)" in shown
    exported = json.loads(run(db, "series", "--json"))
    assert len(next(s for s in exported if s["id"] == v2["id"])["checks"]) == 5
    assert git(repo, "worktree", "list").count("\n") == 1


def test_overlap_map_with_conflicts_on_the_tree(demo_tree, tmp_path):
    mbox, repo = demo_tree
    db = tmp_path / "pd.db"
    run(db, "ingest", str(mbox))
    run(db, "tree", "add", "frob", str(repo), "--branch", "frob-next")
    import json
    by_name = {s["name"]: s["id"] for s in json.loads(run(db, "series", "--json"))}
    mapped = json.loads(run(db, "overlaps", "--tree", "frob", "--json"))
    timeout, callback = by_name["frob: add widget timeout support"], by_name["frob: widget: add a completion callback"]
    pair = next(o for o in mapped[str(timeout)] if o["series"] == callback)
    assert pair["overlapping_hunks"] >= 1 and pair["conflict"] is True and pair["tree"] == "frob"
    assert "src/widget.c" in pair["files"] or any(f.endswith("widget.c") for f in pair["files"])
    exported = {s["id"]: s for s in json.loads(run(db, "export"))["series"]}
    assert any(o["series"] == callback for o in exported[timeout]["overlaps"])
    assert git(repo, "worktree", "list").count("\n") == 1
    plain = run(db, "overlaps")  # without a tree: not checked
    assert "not checked" in plain


def test_incremental_scan_matches_only_new_commits_and_agrees_with_a_full_one(world, tmp_path):
    mbox, tree = world
    import json
    git(tree, "branch", "-f", "inc", "frob-next~2")
    db = tmp_path / "pd.db"
    run(db, "ingest", str(mbox))
    run(db, "tree", "add", "t", str(tree), "--branch", "inc")
    assert "t: 3 commits (full scan)" in run(db, "tree", "scan")
    git(tree, "branch", "-f", "inc", "frob-next")
    assert "t: 2 commits (new)" in run(db, "tree", "scan")
    incremental = {p["msgid"]: ([a["method"] for a in p["applied"]], p["state"])
                   for p in json.loads(run(db, "export"))["patches"]}
    full_db = tmp_path / "full.db"
    run(full_db, "ingest", str(mbox))
    run(full_db, "tree", "add", "t", str(tree), "--branch", "frob-next")
    run(full_db, "tree", "scan")
    full = {p["msgid"]: ([a["method"] for a in p["applied"]], p["state"])
            for p in json.loads(run(full_db, "export"))["patches"]}
    assert incremental == full and incremental["c@x"] == (["link"], "accepted")


@pytest.mark.parametrize("order", ["sent", "reversed"])
def test_mail_arriving_one_by_one_after_the_scan_matches_like_a_full_run(world, tmp_path, order):
    """Live delivery matches only the new patches and their rivals for a
    commit (v1 and v2 of one patch); the result equals a full match."""
    mbox, tree = world
    import json
    import mailbox
    db = tmp_path / "pd.db"
    run(db, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    run(db, "tree", "scan")
    mails = [m.as_bytes() for m in mailbox.mbox(str(mbox))]
    for i, data in enumerate(mails if order == "sent" else mails[::-1]):
        (tmp_path / f"{i}.eml").write_bytes(data)
        run(db, "ingest", str(tmp_path / f"{i}.eml"))

    def applied(path):
        return {p["msgid"]: ([(a["method"], a["commit"]) for a in p["applied"]], p["state"])
                for p in json.loads(run(path, "export"))["patches"]}
    one_by_one = applied(db)
    full_db = tmp_path / "full.db"
    run(full_db, "ingest", str(mbox))
    run(full_db, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    run(full_db, "tree", "scan")
    assert one_by_one == applied(full_db)
    assert one_by_one["a2@x"][1] == "accepted" and one_by_one["a1@x"] == ([], "superseded")


def test_one_liner_applied_with_its_line_and_subject_edited(tmp_path):
    """Issue 18 item 7: the maintainer changed the only changed line and reworded the
    subject; git am kept the mail's Date as the author date.  Its sibling, sent a second
    later to the same file by the same author, is not taken for it."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "drivers/frob").mkdir(parents=True)
    (work / "drivers/frob/extra.c").write_text("".join(f"int extra_{i} = {i * 3};\n" for i in range(1, 30)))
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "frob 0.1", env={"GIT_AUTHOR_DATE": "2026-10-01T10:00:00Z",
                                                       "GIT_COMMITTER_DATE": "2026-10-01T10:00:00Z"})
    base = git(work, "rev-parse", "HEAD").strip()
    mails = {}
    for msgid, date, old, new, subject in (
            ("s1@x", "Fri, 06 Nov 2026 10:00:00 +0000", "extra_3 = 9;", "extra_3 = 10;", "frob: extra: fix the third"),
            ("s2@x", "Fri, 06 Nov 2026 10:00:01 +0000", "extra_21 = 63;", "extra_21 = 64;",
             "frob: extra: fix the 21st")):
        git(work, "checkout", "-q", "-B", msgid[:2], base)
        edit(work, "drivers/frob/extra.c", old, new)
        git(work, "commit", "-q", "-am", f"{subject}\n\nSigned-off-by: Ada Lovelace <ada@example.org>",
            env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        mails[msgid] = _mail(work, msgid, 1, date)
    tree = tmp_path / "maintainer"
    subprocess.run(["git", "clone", "-q", str(work), str(tree)], check=True)
    git(tree, "checkout", "-q", "-B", "frob-next", base)
    later = {"GIT_COMMITTER_DATE": "2026-11-20T10:00:00Z"}
    git(tree, "am", "-q", env=later, stdin=mails["s2@x"])
    edit(tree, "drivers/frob/extra.c", "extra_21 = 64;", "extra_21 = 66;")
    git(tree, "commit", "-q", "-a", "--amend", "-m", "frob: extra: raise extra_21 to what the board needs\n\n"
        "Signed-off-by: Ada Lovelace <ada@example.org>\nSigned-off-by: Maria Keller <maria@frob.org>", env=later)
    mbox = tmp_path / "list.mbox"
    mbox.write_bytes(b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m.split(b"\n", 1)[1] + b"\n"
                              for m in mails.values()))
    db = tmp_path / "pd.db"
    run(db, "ingest", str(mbox))
    run(db, "tree", "add", "frob", str(tree), "--branch", "frob-next")
    run(db, "tree", "scan")
    import json
    patches = {p["msgid"]: p for p in json.loads(run(db, "export"))["patches"]}
    assert [a["method"] for a in patches["s2@x"]["applied"]] == ["fuzzy"]
    assert "author date is the mail's date" in patches["s2@x"]["applied"][0]["evidence"]
    assert patches["s2@x"]["state"] == "accepted"
    assert patches["s1@x"]["applied"] == [] and patches["s1@x"]["state"] == "new"


def test_a_first_scan_reads_only_what_since_allows(world, tmp_path):
    """Issue 18 item 12: `tree add --since DATE|REV`; `tree set` + `scan --full`; a bad value is one line."""
    mbox, tree = world
    db = tmp_path / "pd.db"
    run(db, "ingest", str(mbox))
    # the base commit (2026-10-01) and a2 (committed 2026-11-20) ...: only commits after the base
    run(db, "tree", "add", "frob", str(tree), "--branch", "frob-next", "--since", "frob-next~3")
    assert "frob: 3 commits (full scan)" in run(db, "tree", "scan")
    run(db, "tree", "set", "frob", "--since", "2026-10-15")
    assert "frob: 0 commits" in run(db, "tree", "scan")  # the next full read uses it, not an incremental one
    assert "frob: 4 commits (full scan)" in run(db, "tree", "scan", "--full")
    run(db, "tree", "set", "frob", "--since", "")
    assert "frob: 5 commits (full scan)" in run(db, "tree", "scan", "--full")
    listed = json.loads(run(db, "tree", "list", "--json"))[0]
    assert listed["since"] == "" and listed["public"] == ""
    for bad in ("yesterday-ish", "--all", "no-such-rev"):
        out = run(db, "tree", "add", "x", str(tree), "--branch", "frob-next", "--since", bad, code=1)
        assert "is neither a revision" in out and "Traceback" not in out and len(out.strip().splitlines()) == 1
