"""Apply a series onto a tree's branch itself (``patchdesk take``).

``am --apply`` makes a new branch to look at; ``take`` is the maintainer's
own step: the patches go onto the branch the tree follows.  Two cases:

* the branch is checked out in a worktree of the repository (the
  maintainer's usual clone): ``git am`` runs there, but only when that
  worktree is clean (nothing staged or modified), and ``git am --abort``
  undoes a failure;
* it is not: ``git am`` runs in a private detached worktree at the branch
  head, and the branch moves with ``git update-ref BRANCH NEW OLD``, which
  fails if somebody moved it meanwhile (nothing is lost).

No hooks run (``core.hooksPath=/dev/null``): a patch from the list must not
get to run code.  Git is called with argument lists, never a shell.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .gitlog import GitError, resolve
from .worktree import NO_HOOKS, private_worktree


@dataclass(frozen=True, slots=True)
class Taken:
    ok: bool
    #: the branch head after (or before, on failure)
    head: str
    where: str
    message: str = ""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(cwd), *NO_HOOKS, *args], capture_output=True, text=True,
                          errors="replace")


def checked_out(repo: Path, branch: str) -> Path | None:
    """The worktree where ``branch`` is checked out, if any."""
    listing = _git(repo, "worktree", "list", "--porcelain")
    path = None
    for line in listing.stdout.splitlines():
        if line.startswith("worktree "):
            path = Path(line[len("worktree "):])
        elif line == f"branch refs/heads/{branch}" and path is not None:
            return path
    return None


def _am(work: Path, mbox: Path) -> subprocess.CompletedProcess:
    done = _git(work, "am", "-q", "--patch-format=mboxrd", str(mbox))
    if done.returncode:
        _git(work, "am", "--abort")
    return done


def take(repo: Path, branch: str, mbox_text: str) -> Taken:
    """``git am`` the mbox onto ``branch`` of ``repo`` (see the module docstring)."""
    try:
        old = resolve(repo, branch)
    except GitError as exc:
        return Taken(False, "", str(repo), f"no branch {branch!r}: {exc}")
    home = checked_out(repo, branch)
    if home is not None:
        dirty = _git(home, "status", "--porcelain", "--untracked-files=no")
        if dirty.returncode or dirty.stdout.strip():
            return Taken(False, old, str(home), f"{branch} is checked out in {home} with changes not committed: "
                                                "commit or stash them first")
        with tempfile.TemporaryDirectory(prefix="patchdesk-take-") as tmp:
            mbox = Path(tmp) / "series.mbox"
            mbox.write_text(mbox_text)
            done = _am(home, mbox)
        if done.returncode:
            return Taken(False, old, str(home), (done.stdout + done.stderr).strip()[-2000:])
        return Taken(True, resolve(repo, branch), str(home))
    try:
        with private_worktree(repo, old, prefix="patchdesk-take-") as work:
            mbox = work.parent / "series.mbox"
            mbox.write_text(mbox_text)
            done = _am(work, mbox)
            if done.returncode:
                return Taken(False, old, str(repo), (done.stdout + done.stderr).strip()[-2000:])
            new = _git(work, "rev-parse", "HEAD").stdout.strip()
            moved = _git(work, "update-ref", f"refs/heads/{branch}", new, old)
            if moved.returncode:
                return Taken(False, old, str(repo), f"{branch} moved meanwhile: {moved.stderr.strip()[-300:]}")
            return Taken(True, new, str(repo))
    except GitError as exc:
        return Taken(False, old, str(repo), str(exc))
