"""Private git worktrees: where mail is applied to a tree.

A patch from a list is hostile until somebody has read it, and git runs
code around a checkout: the repository's hooks (``post-checkout`` on every
``worktree add`` and ``checkout``, ``applypatch-msg``, ``pre-applypatch``
and ``post-applypatch`` on ``git am``, ``reference-transaction`` on every
ref change).  Those hooks are the maintainer's, written for their own
checkout; run on patchdesk's scratch work they would act on code from a
mail (a ``post-checkout`` that builds, say) although only ``--cmd`` may.
So every git command that touches a private worktree runs with
``NO_HOOKS``: no hook runs.

What a diff tries to escape with, git refuses by itself, in ``git am`` and
``git apply`` alike: paths with a ``..`` or ``.git`` component (any case),
and writing through a symbolic link ("beyond a symbolic link").
Symbolic links are still checked out as links (``core.symlinks`` stays
on): trees such as the kernel's carry them, and a build needs them.

Each worktree lives in a new private directory (``mkdtemp``: mode 0700)
that holds a lock file, ``flock``-ed by its owner for as long as it lives.
The kernel drops the lock when the owner dies, also by SIGKILL, so the next
private worktree of any repository can tell what a dead owner left and
removes it: its registration in the repository and its directory.  A
command run in a worktree may share the lock (``lock_of``), so that what it
works on is not removed under it when its owner was killed first.

git's own bookkeeping is not safe against itself: ``worktree add`` creates
its directory under ``.git/worktrees`` and only then writes the ``locked``
file that keeps ``worktree prune`` away, so a prune by another process in
between deletes it ("could not open .../locked", seen with ``check
--jobs 2``).  Adding, removing and pruning therefore run under an ``flock``
of the repository's directory (``_administering``), one process at a time.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .gitlog import GitError

#: Put before the git subcommand: the repository's hooks never run.
NO_HOOKS = ("-c", "core.hooksPath=/dev/null")
#: The lock file in a worktree's private directory, held by its owner.
LOCK = "owner.lock"
PREFIX = "patchdesk-"
#: worktree -> the descriptor of its lock, while it exists
_locks: dict[Path, int] = {}


@contextmanager
def private_worktree(repo: Path, start: str, *, prefix: str = PREFIX) -> Iterator[Path]:
    """A detached ``git worktree`` of ``repo`` at ``start`` in a private
    temporary directory, always removed again (what a killed owner left is
    removed by the next one).  Yields the worktree; its parent is scratch
    space for the caller.  GitError when git cannot create it."""
    assert prefix.startswith(PREFIX)
    remove_stale(repo)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    lock = _hold_lock(tmp)
    work = tmp / "work"
    try:
        with _administering(repo):
            added = subprocess.run(["git", "-C", str(repo), *NO_HOOKS, "worktree", "add", "-q", "--detach",
                                    str(work), "--end-of-options", start],
                                   capture_output=True, text=True, errors="replace")
        if added.returncode:
            raise GitError(added.stderr.strip()[-500:] or f"git worktree add exited {added.returncode}")
        _locks[work] = lock
        yield work
    finally:
        _locks.pop(work, None)
        with _administering(repo):
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(work)], capture_output=True)
            subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True)
        _remove(tmp)
        os.close(lock)


def lock_of(work: Path) -> int:
    """The lock of a private worktree, to pass to a command run in it
    (``pass_fds``): the worktree then counts as owned while it runs."""
    return _locks[work]


def remove_stale(repo: Path) -> list[Path]:
    """Remove the worktrees of ``repo`` and the private directories (of any
    repository) whose owner died; return the directories removed."""
    gone = []
    listed = subprocess.run(["git", "-C", str(repo), "worktree", "list", "--porcelain", "-z"], capture_output=True)
    for field in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not field.startswith("worktree "):
            continue
        work = Path(field.removeprefix("worktree "))
        if work.name == "work" and work.parent.name.startswith(PREFIX):
            with _claimed(work.parent) as dead:
                if dead:
                    with _administering(repo):
                        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(work)],
                                       capture_output=True)
                    _remove(work.parent)
                    gone.append(work.parent)
    for tmp in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        if _mine(tmp):
            with _claimed(tmp) as dead:
                if dead:
                    _remove(tmp)
                    gone.append(tmp)
    with _administering(repo):
        subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True)
    return gone


@contextmanager
def _administering(repo: Path) -> Iterator[None]:
    """Hold an ``flock`` of the repository's directory: its worktrees are
    added, removed and pruned by one process at a time.  git takes no such
    lock itself; a directory that cannot be opened is left to git to
    report."""
    try:
        fd = os.open(repo, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _hold_lock(tmp: Path) -> int:
    """Lock a new file and only then give it the name others look for, so
    nobody sees it unlocked."""
    fd = os.open(tmp / (LOCK + ".new"), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(tmp / (LOCK + ".new"), tmp / LOCK)
    return fd


def _mine(tmp: Path) -> bool:
    """A directory (not a link to one) of this user."""
    try:
        info = tmp.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


@contextmanager
def _claimed(tmp: Path) -> Iterator[bool]:
    """True when ``tmp`` is a private worktree directory whose owner died
    (its lock can be taken); False when alive, not ours, or being removed.
    The lock is held until the block ends: two runs cleaning up at once
    (``check --jobs``) do not remove the same directory together."""
    try:
        fd = os.open(tmp / LOCK, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield (tmp / LOCK).exists()  # a remover that just finished unlinked it: nothing left to do
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """``rm -rf``, also of directories a command left without write
    permission; what is already gone is not an error."""
    def retry(func, name, exc_info) -> None:
        if isinstance(exc_info[1], FileNotFoundError):
            return
        try:
            os.chmod(os.path.dirname(name), 0o700)
            if func in (os.rmdir, os.unlink):
                func(name)
            else:  # the directory itself could not be opened or listed: open it up, start over there
                os.chmod(name, 0o700)
                shutil.rmtree(name, ignore_errors=True)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)
