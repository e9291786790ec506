"""Hostile content in git work: what a mail or a tree can try.

Real repositories and real mails through the real CLI (``patchdesk`` in a
subprocess, as a user runs it): diff paths escaping the tree (``../..``,
absolute, a deep path to a canary file in /tmp), a patch creating
``.git/hooks/post-checkout``, a symbolic link pointing outside the tree
and then a patch writing through it, a binary blob of megabytes in a mail
and tens of megabytes in a tree, and branch names, subjects, senders and a
repository path full of shell metacharacters.  The maintainer's repository
has every hook installed, each leaving a file behind when it runs.

After each command: nothing was written outside the private worktree (no
sentinel file, the canary in /tmp unchanged, the directory the link points
to empty), no hook ran, no worktree is left (the patchdesk temporary
directory is empty, ``git worktree list`` names only the repository), and
the result is right: the clean series applies, the hostile ones do not,
with git's reason.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from mailgen import make_mail, mbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ("applypatch-msg", "pre-applypatch", "post-applypatch", "post-checkout", "post-commit", "pre-commit",
         "commit-msg", "prepare-commit-msg", "post-rewrite", "post-merge", "reference-transaction",
         "post-index-change", "pre-auto-gc")
README = "".join(f"line {i}\n" for i in range(1, 11))


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Maria Keller", "GIT_AUTHOR_EMAIL": "maria@example.org",
           "GIT_COMMITTER_NAME": "Maria Keller", "GIT_COMMITTER_EMAIL": "maria@example.org"}
    done = subprocess.run(["git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args], capture_output=True,
                          env=env, input=stdin, check=True)
    return done.stdout.decode()


def readme_change(tag: str) -> str:
    """Every series changes the first line of README, so the overlap map
    applies each pair of them with git."""
    return ("diff --git a/README b/README\nindex 1111111..2222222 100644\n--- a/README\n+++ b/README\n"
            f"@@ -1,3 +1,3 @@\n-line 1\n+line 1 ({tag})\n line 2\n line 3\n")


def new_file(path: str, lines: list[str], mode: str = "100644") -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (f"diff --git a/{path} b/{path}\nnew file mode {mode}\nindex 0000000..1111111\n--- /dev/null\n"
            f"+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}")


def patch_mail(msgid: str, subject: str, diff: str, *, sender: str = "Eve <eve@example.org>",
               message: str = "Harmless, promise.", refs: tuple[str, ...] = ()) -> bytes:
    body = f"{message}\n\nSigned-off-by: Eve <eve@example.org>\n---\n{diff}-- \n2.47.0\n"
    return make_mail(msgid, subject, sender=sender, refs=refs, body=body)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    w = SimpleNamespace(root=root)
    w.sent = root / "sentinels"          # where every payload would leave a file
    w.outside = root / "outside"         # where the symbolic link points
    w.tmp = root / "tmp"                 # TMPDIR of the patchdesk processes
    for d in (w.sent, w.outside, w.tmp):
        d.mkdir()
    (w.sent / "victim").mkdir()
    (w.sent / "victim" / "keep").write_text("keep\n")
    w.canary = Path("/tmp") / f"patchdesk-canary-{uuid.uuid4().hex}"
    w.canary.write_text("canary\n")
    w.repo = root / "maint $(touch${IFS}x) `y`;z"
    w.repo.mkdir()
    git(w.repo, "init", "-q", "-b", "main")
    (w.repo / "README").write_text(README)
    (w.repo / "src").mkdir()
    (w.repo / "src" / "a.c").write_text("int a;\n")
    git(w.repo, "add", "-A")
    git(w.repo, "commit", "-q", "-m", "base")
    s = w.sent
    w.branches = [f"$(touch${{IFS}}{s}/b1)", f"`touch${{IFS}}{s}/b2`", f"x;touch${{IFS}}{s}/b3", "-leading",
                  f"--upload-pack=touch${{IFS}}{s}/b4", "a|b&c>d<e", "it's\"q\""]
    for name in w.branches:
        git(w.repo, "update-ref", f"refs/heads/{name}", "HEAD")
    w.blob, w.blob_sha, binary_diff = _binary_patch(root, 6 << 20)

    hostile_subject = f"$(touch {s}/subject-1) `touch {s}/subject-2`; rm -rf {s}/victim; -x --upload-pack=y"
    deep = "../" * 12 + str(w.canary).lstrip("/")
    w.series = {
        "clean": [patch_mail("clean@x", f"[PATCH] {hostile_subject}", readme_change("clean"),
                             sender='"$(id) `id`; rm -rf ~" <eve@example.org>',
                             message=f"Run $(touch {s}/body) and `touch {s}/body2`; rm -rf {s}/victim")],
        "escape-new": [patch_mail("escape-new@x", "[PATCH] escape: new file two levels up",
                                  readme_change("escape-new") + new_file("../../pwned", ["pwned"]))],
        "escape-canary": [patch_mail("escape-canary@x", "[PATCH] escape: the canary in /tmp",
                                     readme_change("escape-canary")
                                     + f"diff --git a/{deep} b/{deep}\nindex 1111111..2222222 100644\n"
                                       f"--- a/{deep}\n+++ b/{deep}\n@@ -1 +1 @@\n-canary\n+pwned\n")],
        "escape-abs": [patch_mail("escape-abs@x", "[PATCH] escape: an absolute path",
                                  readme_change("escape-abs") + new_file(f"/{str(w.canary).lstrip('/')}-new",
                                                                         ["pwned"]))],
        "hook": [patch_mail("hook@x", "[PATCH] hook: install a post-checkout hook",
                            readme_change("hook") + new_file(".git/hooks/post-checkout",
                                                             ["#!/bin/sh", f"touch {s}/evil-hook"], "100755"))],
        "hook-case": [patch_mail("hook-case@x", "[PATCH] hook: the same, upper case",
                                 readme_change("hook-case") + new_file(".GIT/hooks/post-checkout",
                                                                       ["#!/bin/sh", f"touch {s}/evil-hook2"],
                                                                       "100755"))],
        "symlink": [
            patch_mail("symlink-0@x", "[PATCH 0/2] symlink: a link out, then through it", "", message="Cover."),
            patch_mail("symlink-1@x", "[PATCH 1/2] symlink: add a link", readme_change("symlink")
                       + f"diff --git a/escape b/escape\nnew file mode 120000\nindex 0000000..1111111\n"
                         f"--- /dev/null\n+++ b/escape\n@@ -0,0 +1 @@\n+{w.outside}\n\\ No newline at end of file\n",
                       refs=("symlink-0@x",)),
            patch_mail("symlink-2@x", "[PATCH 2/2] symlink: write through it",
                       new_file("escape/pwned", ["pwned"]), refs=("symlink-0@x",)),
        ],
        "binary": [patch_mail("binary@x", "[PATCH] binary: add a large firmware blob",
                              readme_change("binary") + binary_diff)],
    }
    (root / "list.mbox").write_bytes(mbox([m for mails in w.series.values() for m in mails]))
    for name in HOOKS:
        hook = w.repo / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch '{s}/hook-{name}'\n")
        hook.chmod(0o755)
    w.db = root / "pd.db"
    pd(w, "ingest", str(root / "list.mbox"))
    pd(w, "tree", "add", "t", str(w.repo), "--branch", f"$(touch${{IFS}}{s}/b1)")
    yield w
    w.canary.unlink()
    assert not Path(f"{w.canary}-new").exists()


def _binary_patch(root: Path, size: int) -> tuple[bytes, str, str]:
    """A ``GIT binary patch`` adding ``firmware.bin`` (random bytes), made by git."""
    scratch = root / "scratch"
    scratch.mkdir()
    git(scratch, "init", "-q", "-b", "main")
    (scratch / "README").write_text(README)
    git(scratch, "add", "-A")
    git(scratch, "commit", "-q", "-m", "base")
    blob = random.Random(8).randbytes(size)
    (scratch / "firmware.bin").write_bytes(blob)
    git(scratch, "add", "-A")
    diff = git(scratch, "diff", "--cached", "--binary")
    return blob, git(scratch, "hash-object", "firmware.bin").strip(), diff


def pd(w, *args: str, code: int = 0) -> str:
    """``patchdesk --db STORE ARGS`` in its own process, TMPDIR private, in
    the sentinel directory (a payload run by a shell would land there)."""
    done = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(w.db), *args], cwd=w.sent,
                          env={**os.environ, "TMPDIR": str(w.tmp)},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == code, f"patchdesk {args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def assert_untouched(w) -> None:
    assert sorted(p.name for p in w.sent.iterdir()) == ["victim"], "a payload or a hook ran"
    assert (w.sent / "victim" / "keep").read_text() == "keep\n"
    assert w.canary.read_text() == "canary\n" and not Path(f"{w.canary}-new").exists()
    assert list(w.outside.iterdir()) == []
    assert not (w.root / "pwned").exists() and not (w.tmp / "pwned").exists()
    assert list(w.tmp.iterdir()) == [], "a private worktree was left behind"
    listed = git(w.repo, "worktree", "list", "--porcelain")
    assert listed.count("worktree ") == 1, listed
    assert not (w.repo / ".git" / "worktrees").exists() or not any((w.repo / ".git" / "worktrees").iterdir())


def test_tree_add_and_scan_take_hostile_branch_names_as_data(world):
    w = world
    for i, branch in enumerate(w.branches):
        db = w.root / f"branches-{i}.db"
        done = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(db), "tree", "add", "t", str(w.repo),
                               "--branch", branch], cwd=w.sent, capture_output=True, text=True)
        assert done.returncode == 0, (branch, done.stderr)
        done = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(db), "tree", "scan", "--json"],
                              cwd=w.sent, capture_output=True, text=True)
        assert done.returncode == 0, (branch, done.stderr)
        assert json.loads(done.stdout)["trees"][0]["new_commits"] == 1
    # names that are options, or substitutions of branches that do not exist
    for branch in ("--output=/tmp/x", f"$(touch {w.sent}/nope)", "main;id", "-"):
        pd(w, "tree", "add", "u", str(w.repo), "--branch", branch, code=1)
    assert_untouched(w)


def _check(w, *msgids: str, cmd: str = "true") -> dict[str, dict]:
    out = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(w.db), "check", *msgids, "--tree", "t",
                          "--cmd", cmd, "--json", "--jobs", "2"], cwd=w.sent, capture_output=True, text=True,
                         env={**os.environ, "TMPDIR": str(w.tmp)}, timeout=600)
    assert out.returncode in (0, 3), out.stderr
    return dict(zip(msgids, json.loads(out.stdout)))


def test_check_applies_what_is_clean_and_refuses_every_escape(world):
    w = world
    log = w.root / "cwd.log"
    results = _check(w, "clean@x", "escape-new@x", "escape-canary@x", "escape-abs@x", "hook@x", "hook-case@x",
                     "symlink-1@x", "binary@x",
                     cmd=f"pwd >> '{log}'; test ! -e .git/hooks/post-checkout; "
                         f"test ! -e firmware.bin || test \"$(git hash-object firmware.bin)\" = {w.blob_sha}")
    steps = {m: [(s["applies"], s["passed"]) for s in r["steps"]] for m, r in results.items()}
    assert steps == {"clean@x": [(True, True)], "escape-new@x": [(False, None)],
                     "escape-canary@x": [(False, None)], "escape-abs@x": [(False, None)],
                     "hook@x": [(False, None)], "hook-case@x": [(False, None)],
                     "symlink-1@x": [(True, True), (False, None)], "binary@x": [(True, True)]}
    why = {m: r["steps"][-1]["log_tail"] for m, r in results.items()}
    for m in ("escape-new@x", "escape-abs@x", "hook@x", "hook-case@x"):
        assert "invalid path" in why[m], (m, why[m])
    assert "does not exist in index" in why["escape-canary@x"]  # git am changes only what the index has
    assert "beyond a symbolic link" in why["symlink-1@x"]
    # the command ran on each of the 8 bases and after each of the 3 patches that applied, in
    # private worktrees under the private TMPDIR
    places = log.read_text().split("\n")[:-1]
    assert len(places) == 8 + 3 and all(p.startswith(str(w.tmp) + "/patchdesk-check-") and p.endswith("/work")
                                    for p in places)
    assert_untouched(w)


def test_am_apply_makes_a_branch_only_for_what_applies(world):
    w = world
    before = set(git(w.repo, "for-each-ref", "--format=%(refname)").split())
    pd(w, "am", "clean@x", "--apply", "t", "--link-base", "")
    made = set(git(w.repo, "for-each-ref", "--format=%(refname)").split()) - before
    assert len(made) == 1 and (branch := made.pop()).startswith("refs/heads/patchdesk/series-")
    subject = git(w.repo, "log", "-1", "--format=%s", branch).strip()
    assert subject.startswith("$(touch ") and f"; rm -rf {w.sent}/victim" in subject
    assert git(w.repo, "log", "-1", "--format=%an", branch).strip() == "$(id) `id`; rm -rf ~"
    assert_untouched(w)
    out = pd(w, "am", "clean@x", "--apply", "t", code=1)  # again: the branch exists, nothing is overwritten
    assert "exists already" in out
    for msgid, reason in (("escape-new@x", "invalid path"), ("escape-canary@x", "does not exist in index"),
                          ("hook@x", "invalid path"), ("symlink-1@x", "beyond a symbolic link")):
        out = pd(w, "am", msgid, "--apply", "t", code=1)
        assert "git am failed" in out and reason in out, (msgid, out)
    # a failed git am leaves no branch behind (it used to leave one at the base)
    assert set(git(w.repo, "for-each-ref", "--format=%(refname)").split()) - before == {branch}
    assert_untouched(w)


def test_overlaps_apply_hostile_pairs_in_a_private_worktree(world):
    w = world
    mapped = json.loads(pd(w, "overlaps", "--tree", "t", "--json"))
    conflicts = {o["conflict"] for pairs in mapped.values() for o in pairs}
    # the clean series and the binary one apply alone and collide on README;
    # the hostile ones do not apply even alone: no verdict
    ids = json.loads(pd(w, "series", "--json", "--all"))
    by_first = {s["patches"][0]: s["id"] for s in ids}
    pair = next(o for o in mapped[str(by_first["clean@x"])] if o["series"] == by_first["binary@x"])
    assert pair["conflict"] is True
    hostile = next(o for o in mapped[str(by_first["clean@x"])] if o["series"] == by_first["escape-new@x"])
    assert hostile["conflict"] is None
    assert conflicts == {True, None}
    assert_untouched(w)


def test_a_scan_reads_tens_of_megabytes_of_blobs_and_gets_patch_ids_right(world):
    """A 40 MB binary and a 20 MB text file of multibyte characters: the
    stream of ``git log -p`` is read in 1 MB pieces, and a character or a
    commit's start cut by a piece must not change the patch-id."""
    w = world
    big = w.root / "big"
    subprocess.run(["git", "clone", "-q", str(w.repo), str(big)], check=True)
    git(big, "checkout", "-q", "-b", "big")
    (big / "blob.bin").write_bytes(random.Random(3).randbytes(40 << 20))
    git(big, "add", "-A")
    git(big, "commit", "-q", "-m", "add a 40 MB blob")
    (big / "text.txt").write_text("".join(f"línea {i}: ñandú, ünïcödé, 日本語のテキスト\n" for i in range(400000)))
    git(big, "add", "-A")
    git(big, "commit", "-q", "-m", "add 20 MB of text")
    for i in range(30):  # small commits behind the big ones: their starts fall anywhere in a piece
        (big / "src" / "a.c").write_text(f"int a = {i}; /* ÿ{'é' * i} */\n")
        git(big, "commit", "-q", "-am", f"step {i}")
    assert (big / "text.txt").stat().st_size > 20 << 20
    db = w.root / "big.db"
    for args in (("tree", "add", "big", str(big), "--branch", "big"), ("tree", "scan")):
        done = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(db), *args], cwd=w.sent,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    from patchdesk.store.db import open_engine
    from sqlalchemy import text
    engine = open_engine(str(db))
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT sha, patch_id FROM commits")).all())
    engine.dispose()
    shas = git(big, "rev-list", "big").split()
    assert len(stored) == len(shas) == 33
    for sha in shas:
        shown = subprocess.run(["git", "-C", str(big), "show", sha], capture_output=True, check=True).stdout
        expected = subprocess.run(["git", "patch-id", "--stable"], input=shown, capture_output=True,
                                  check=True).stdout.split()
        assert stored[sha] == (expected[0].decode() if expected else ""), sha
    assert_untouched(w)
