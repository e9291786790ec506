"""``tree scan`` and ``check`` killed with SIGKILL at random moments.

Like test_kill.py for ingest: real ``patchdesk`` processes on one store are
killed again and again, then a run completes.  The store must then hold
what one clean run stores (no commit, tree position or check counted
twice, no half-written check), no process of a killed run may linger, and
nothing may be left in the repository or the temporary directory: the
next run removes the worktrees of killed runs.  The seed is printed; set
``PATCHDESK_KILL_SEED`` to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patchdesk.store.db import open_engine
from patchdesk.store.queries import export
from patchdesk.store.schema import Applied, Check, Commit, Tree, TreeCommit

from mailgen import make_mail, mbox

pytestmark = pytest.mark.slow

FILES, LINES = 40, 120


def _history(repo: Path, n: int) -> list[str]:
    """``n`` commits made with ``git fast-import``: the first adds FILES
    files, each later one changes a line of one of them; every third names
    its mail in a ``Link:``.  Committed a day after it was written."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    contents = {f: [f"int f{f}_{line} = {line};" for line in range(LINES)] for f in range(FILES)}
    stream: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(f"data {len(raw)}\n".encode() + raw + b"\n")

    for i in range(n):
        when, author = 1_790_000_000 + i * 600, f"Dev {i % 20} <dev{i % 20}@example.org>"
        message = f"frob: f{i % FILES}: change number {i}\n\nSigned-off-by: {author}\n"
        if i % 3 == 0:
            message += f"Link: https://lore.kernel.org/r/c{i}@x\n"
        stream.append(f"commit refs/heads/main\nmark :{i + 1}\nauthor {author} {when} +0000\n"
                      f"committer Maria <maria@example.org> {when + 86400} +0000\n".encode())
        data(message)
        if i:
            stream.append(f"from :{i}\n".encode())
        for f in (range(FILES) if i == 0 else [i % FILES]):
            if i:
                line = (i * 7) % LINES
                contents[f][line] = f"int f{f}_{line} = {i}; /* change {i} */"
            stream.append(f"M 100644 inline src/f{f}.c\n".encode())
            data("\n".join(contents[f]) + "\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)
    return subprocess.run(["git", "-C", str(repo), "rev-list", "--reverse", "main"], capture_output=True, text=True,
                          check=True).stdout.split()


def _mails(repo: Path, shas: list[str]) -> bytes:
    """Every second commit as it was posted (``git format-patch``), with a
    Message-Id: found by its Link: or by patch-id."""
    text = subprocess.run(["git", "-C", str(repo), "format-patch", "--stdout", "--no-numbered",
                           f"{shas[0]}..{shas[-1]}"], capture_output=True, check=True).stdout
    parts = [p for p in re.split(rb"(?m)^(?=From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$)", text) if p]
    assert len(parts) == len(shas) - 1
    out = []
    for i, part in enumerate(parts, 1):
        if i % 2 == 0:
            head, body = part.split(b"\n\n", 1)
            out.append(head + f"\nMessage-Id: <c{i}@x>\n\n".encode() + body)
    return b"".join(out)


def _series(count: int, size: int) -> bytes:
    """``count`` series of ``size`` patches, each adding a file: they apply
    on any head."""
    mails = []
    for s in range(count):
        for n in range(1, size + 1):
            diff = (f"diff --git a/new{s}_{n}.c b/new{s}_{n}.c\nnew file mode 100644\nindex 0000000..1111111\n"
                    f"--- /dev/null\n+++ b/new{s}_{n}.c\n@@ -0,0 +1 @@\n+int new_{s}_{n};\n")
            body = f"Add file {n}.\n\nSigned-off-by: Ada <ada@example.org>\n---\n{diff}-- \n2.47.0\n"
            mails.append(make_mail(f"k{s}-{n}@x", f"[PATCH {n}/{size}] frob: series {s}: add file {n}",
                                   refs=(f"k{s}-1@x",) if n > 1 else (), body=body))
    return mbox(mails)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("killgit")
    shas = _history(root / "repo", 6000)
    (root / "list.mbox").write_bytes(_mails(root / "repo", shas) + _series(3, 4))
    return root, shas


def pd(db: Path, *args: str, tmp: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, **({"TMPDIR": str(tmp)} if tmp else {})}
    return subprocess.Popen([sys.executable, "-m", "patchdesk", "--db", str(db), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run(db: Path, *args: str, tmp: Path | None = None, codes: tuple[int, ...] = (0,)) -> str:
    proc = pd(db, *args, tmp=tmp)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode in codes, f"patchdesk {args}: exit {proc.returncode}\n{err.decode()}"
    return out.decode()


def _seed() -> int:
    seed = int(os.environ.get("PATCHDESK_KILL_SEED") or random.randrange(1 << 32))
    print(f"kill seed: {seed} (PATCHDESK_KILL_SEED={seed} replays it)")
    return seed


def _leftovers(token: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", token], capture_output=True, text=True).stdout.split()


def _wait_gone(token: str, seconds: float = 20) -> list[str]:
    deadline = time.monotonic() + seconds
    while _leftovers(token) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _leftovers(token)


def _scan_state(db: Path) -> dict:
    engine = open_engine(str(db))
    with engine.connect() as conn:
        doc = export(conn)
        state = {
            "head": conn.execute(select(Tree.head)).scalar_one(),
            "commits": conn.execute(select(func.count()).select_from(Commit)).scalar_one(),
            # the order of the branch (positions may have gaps after a kill: only the order is used)
            "order": conn.execute(select(TreeCommit.sha).order_by(TreeCommit.position, TreeCommit.sha)).scalars().all(),
            "applied": sorted(conn.execute(select(Applied.msgid, Applied.sha, Applied.method)).all()),
            "states": sorted((p["msgid"], p["state"]) for p in doc["patches"]),
        }
    engine.dispose()
    return state


def test_sigkill_during_tree_scan_counts_nothing_twice(world, tmp_path):
    root, shas = world
    repo = root / "repo"
    # the branch grows: by more than 500 commits (all patches are matched again), then by
    # fewer (only the new commits are matched: what a killed run failed to match stays so)
    stages = [shas[n - 1] for n in (2500, 4000, 5500, 5800, 6000)]
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/next", stages[-1]], check=True)
    clean = tmp_path / "clean.db"
    run(clean, "ingest", str(root / "list.mbox"))
    run(clean, "tree", "add", "t", str(repo), "--branch", "next")
    start = time.monotonic()
    run(clean, "tree", "scan")
    took = time.monotonic() - start
    expected = _scan_state(clean)
    assert len(expected["order"]) == 6000 and len(expected["applied"]) == 2999

    db = tmp_path / "killed.db"
    run(db, "ingest", str(root / "list.mbox"))
    run(db, "tree", "add", "t", str(repo), "--branch", "next")
    rng = random.Random(_seed())
    stage, kills, rounds = 0, 0, 0
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/next", stages[0]], check=True)
    while kills < 8 and rounds < 30:
        rounds += 1
        proc = pd(db, "tree", "scan")
        time.sleep(rng.uniform(0.1, took))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.communicate()
        if proc.returncode == 0:  # it finished: the branch moves on, or is rewound to the start
            stage = (stage + 1) % len(stages)  # (a rewritten branch is read whole: more to kill)
            subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/next", stages[stage]], check=True)
    print(f"tree scan: {rounds} runs, {kills} killed, clean scan {took:.1f} s, stage {stage + 1}/{len(stages)}")
    assert kills >= 5
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/next", stages[-1]], check=True)
    run(db, "tree", "scan")
    assert _wait_gone(str(db)) == []
    got = _scan_state(db)
    for key in ("head", "commits", "order"):
        assert got[key] == expected[key], key
    assert (got["applied"], got["states"]) == (expected["applied"], expected["states"])


def test_a_scan_killed_after_saving_its_head_still_matches(world, tmp_path):
    """The window the kill loop found by chance (3 runs in 4 lost matches,
    750 at worst, when the head was saved before matching), hit on
    purpose: the scan's own part ran (``scan_tree``), then the process died
    before the command's review step."""
    root, shas = world
    repo = root / "repo"
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/killed", shas[999]], check=True)
    db = tmp_path / "pd.db"
    run(db, "ingest", str(root / "list.mbox"))
    run(db, "tree", "add", "t", str(repo), "--branch", "killed")
    from patchdesk.pipeline.trees import scan_tree
    engine = open_engine(str(db))
    scan_tree(engine, "t")
    engine.dispose()
    run(db, "tree", "scan")  # the restart
    assert len(_scan_state(db)["applied"]) == 499


def _check_state(db: Path) -> list:
    engine = open_engine(str(db))
    with engine.connect() as conn:
        rows = conn.execute(select(Check.series_id, Check.bisectable, Check.first_bad, Check.error, Check.steps)).all()
    engine.dispose()
    return sorted((r.series_id, r.bisectable, r.first_bad, r.error, len(json.loads(r.steps))) for r in rows)


def _worktrees(repo: Path) -> list[str]:
    listed = subprocess.run(["git", "-C", str(repo), "worktree", "list", "--porcelain"], capture_output=True,
                            text=True, check=True).stdout
    return [line for line in listed.split("\n") if line.startswith("worktree ")]


def test_sigkill_during_check_leaves_nothing_behind(world, tmp_path):
    root, _ = world
    repo = root / "repo"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    refs = subprocess.run(["git", "-C", str(repo), "for-each-ref"], capture_output=True, text=True).stdout
    db = tmp_path / "pd.db"
    run(db, "ingest", str(root / "list.mbox"))
    run(db, "tree", "add", "t", str(repo), "--branch", "main")
    token = f"pd-kill-{uuid.uuid4().hex}"
    cmd = f"sleep 0.2; true {token}"  # not the last command: sh stays, pgrep finds it
    series = ["k0-1@x", "k1-1@x", "k2-1@x"]
    start = time.monotonic()
    run(db, "check", *series, "--tree", "t", "--cmd", cmd, "--jobs", "1", tmp=tmp)
    took = time.monotonic() - start
    assert [r[1:] for r in _check_state(db)] == [(True, None, "", 4)] * 3
    rng = random.Random(_seed())
    kills, rounds, stale = 0, 0, 0
    while kills < 8 and rounds < 30:
        rounds += 1
        before = len(_check_state(db))
        proc = pd(db, "check", *series, "--tree", "t", "--cmd", cmd, "--jobs", rng.choice(["1", "2", "3"]), tmp=tmp)
        time.sleep(rng.uniform(0.05, took))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.communicate()
        assert len(_check_state(db)) - before in (0, 3)  # the run's checks are saved together, or not at all
        stale = max(stale, len(_worktrees(repo)) - 1)
    print(f"check: {rounds} runs, {kills} killed, clean run {took:.1f} s, at most {stale} stale worktree(s) seen")
    assert kills >= 5
    # the pool workers of killed runs leave, and stop their commands
    assert _wait_gone(str(db)) == [] and _wait_gone(token) == []
    before = len(_check_state(db))
    run(db, "check", *series, "--tree", "t", "--cmd", cmd, "--jobs", "2", tmp=tmp)
    rows = _check_state(db)
    assert len(rows) == before + 3 and {r[1:] for r in rows} == {(True, None, "", 4)}
    assert _worktrees(repo) == [f"worktree {repo}"]
    assert list(tmp.iterdir()) == []
    assert not (repo / ".git" / "worktrees").exists() or list((repo / ".git" / "worktrees").iterdir()) == []
    assert subprocess.run(["git", "-C", str(repo), "for-each-ref"], capture_output=True, text=True).stdout == refs


def test_a_dead_owners_worktree_is_removed_but_not_under_a_running_command(world, tmp_path, monkeypatch):
    """Deterministic: the owner is killed while its command runs; the
    worktree stays while the command (which shares the lock) lives, and
    goes with the next private worktree after it ended."""
    root, _ = world
    repo = root / "repo"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    token = f"pd-owner-{uuid.uuid4().hex}"
    owner = subprocess.Popen([sys.executable, "-c", f"""
import sys, tempfile
tempfile.tempdir = {str(tmp)!r}
from pathlib import Path
from patchdesk.trees.check import _run
from patchdesk.trees.worktree import private_worktree
with private_worktree(Path({str(repo)!r}), "main", prefix="patchdesk-check-") as work:
    print(work, flush=True)
    _run("sleep 60; true {token}", work, 120)
"""], stdout=subprocess.PIPE, text=True)
    work = Path(owner.stdout.readline().strip())
    deadline = time.monotonic() + 20
    while not _leftovers(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    from patchdesk.trees.worktree import private_worktree, remove_stale
    assert remove_stale(repo) == [] and work.exists() and len(_worktrees(repo)) == 2
    for pid in _leftovers(token):
        os.killpg(int(pid), signal.SIGKILL)
    assert _wait_gone(token) == []
    with private_worktree(repo, "main") as mine:
        assert not work.parent.exists() and _worktrees(repo) == [f"worktree {repo}", f"worktree {mine}"]
    assert _worktrees(repo) == [f"worktree {repo}"] and list(tmp.iterdir()) == []


def test_two_cleanups_at_once_do_not_remove_the_same_directory(world, tmp_path, monkeypatch):
    """``check --jobs 2`` after a kill: both pool workers find the dead
    owner's directory.  The one removing it holds its lock meanwhile, so the
    other passes it by (the kill loop once saw the second fail on files the
    first had just deleted)."""
    from patchdesk.trees.worktree import LOCK, _claimed, remove_stale
    root, _ = world
    repo = root / "repo"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    dead = Path(tempfile.mkdtemp(prefix="patchdesk-check-"))
    (dead / LOCK).touch()  # its owner was killed: nobody holds the lock
    (dead / "scratch").mkdir()
    with _claimed(dead) as mine:
        assert mine
        assert remove_stale(repo) == [] and (dead / "scratch").is_dir()  # the other cleanup leaves it alone
    assert remove_stale(repo) == [dead] and not dead.exists()


def test_worktrees_made_side_by_side_all_succeed(world, tmp_path):
    """Three processes each add and remove 60 private worktrees of one
    repository at once.  git's ``worktree add`` writes its ``locked`` file
    only after creating its directory, and another process's ``worktree
    prune`` in that window deleted it ("could not open .../locked", seen in
    ``check --jobs 2``): without the repository lock, every such run here
    failed a few times."""
    root, _ = world
    repo = root / "repo"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    script = f"""
import tempfile
tempfile.tempdir = {str(tmp)!r}
from pathlib import Path
from patchdesk.trees.gitlog import GitError
from patchdesk.trees.worktree import private_worktree
failed = []
for _ in range(60):
    try:
        with private_worktree(Path({str(repo)!r}), "main") as work:
            assert (work / ".git").is_file()
    except GitError as error:
        failed.append(str(error))
print(failed)
"""
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    assert [proc.communicate()[0].strip() for proc in procs] == ["[]"] * 3
    assert [proc.returncode for proc in procs] == [0] * 3
    assert _worktrees(repo) == [f"worktree {repo}"] and list(tmp.iterdir()) == []


def test_a_full_reread_cut_short_is_not_taken_for_the_old_scan(world, tmp_path, request):
    """Deterministic companion of the kill loop, which found it: the branch
    is rewound (a full re-read), the re-read dies after its first batch, and
    the branch returns to the head scanned before.  The next scan must read
    the branch again, not find that head "scanned" over a cleared cache."""
    from patchdesk.pipeline.trees import BATCH, scan_tree
    root, shas = world
    repo = root / "repo"
    db = tmp_path / "pd.db"
    run(db, "ingest", str(root / "list.mbox"))
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/cut", shas[5999]], check=True)
    request.addfinalizer(lambda: subprocess.run(["git", "-C", str(repo), "update-ref", "-d", "refs/heads/cut"]))
    run(db, "tree", "add", "t", str(repo), "--branch", "cut")
    run(db, "tree", "scan")
    expected = _scan_state(db)
    assert len(expected["order"]) == 6000
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/cut", shas[2 * BATCH + 99]], check=True)

    def killed(count: int) -> None:
        raise RuntimeError(f"killed after {count} commits")

    engine = open_engine(str(db))
    with pytest.raises(RuntimeError, match=f"after {BATCH} commits"):
        scan_tree(engine, "t", progress=killed)
    engine.dispose()
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/cut", shas[5999]], check=True)
    run(db, "tree", "scan")
    assert _scan_state(db) == expected


def test_a_killed_single_series_check_stops_its_command(world, tmp_path):
    """One series is checked without a pool; its command must still end
    with the killed ``patchdesk``, not run on to its timeout."""
    root, _ = world
    repo = root / "repo"
    db = tmp_path / "pd.db"
    run(db, "ingest", str(root / "list.mbox"))
    run(db, "tree", "add", "t", str(repo), "--branch", "main")
    token = f"pd-single-{uuid.uuid4().hex}"
    proc = pd(db, "check", "k0-1@x", "--tree", "t", "--cmd", f"sleep 120; true {token}", "--timeout", "300")
    command = f"^sh -c sleep 120; true {token}"  # the command, not patchdesk's own argv
    deadline = time.monotonic() + 60
    while not _leftovers(command) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _leftovers(command), "the command never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert _wait_gone(command) == []
