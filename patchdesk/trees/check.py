"""Bisectability: apply a series patch by patch and run a command after each.

A series is bisectable when every prefix of it builds and passes; the
first patch that does not is what a maintainer wants to know before
applying.  Each run happens in a private temporary ``git worktree``
(detached at the series' base: its ``base-commit:`` when the tree has
that commit, else the branch head), which is always removed, also after
a failure or a timeout (by the next run when this one was killed), and
where no hook of the repository runs (``trees.worktree``).  Git is called
with argument lists.  The command comes only from the user (``--cmd``),
never from a mail; it runs in its own process group with a time limit per
step, and the whole group is killed when the limit passes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .gitlog import GitError
from .worktree import NO_HOOKS, lock_of, private_worktree

LOG_TAIL = 4000
#: How much of a failing base's output is kept in the check's error.
BASE_TAIL = 1500
#: process groups of the commands running now in this process
_running: set[int] = set()


@dataclass(slots=True)
class Step:
    number: int
    msgid: str
    applies: bool
    passed: bool | None = None
    exit_code: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    log_tail: str = ""


@dataclass(slots=True)
class CheckResult:
    series_id: int
    base: str
    base_source: str
    command: str
    steps: list[Step] = field(default_factory=list)
    error: str = ""

    @property
    def bisectable(self) -> bool:
        return not self.error and bool(self.steps) and all(s.applies and s.passed for s in self.steps)

    @property
    def first_bad(self) -> int | None:
        for s in self.steps:
            if not s.applies or not s.passed:
                return s.number
        return None

    def as_dict(self) -> dict:
        return {**asdict(self), "bisectable": self.bisectable, "first_bad": self.first_bad}


@dataclass(frozen=True, slots=True)
class CheckJob:
    """Everything a worker process needs (plain data, picklable)."""

    series_id: int
    repo: str
    branch: str
    base_commit: str
    command: str
    timeout: float
    patches: tuple[tuple[int, str, str], ...]  # (number, msgid, mbox text for git am)


def _git(args: list[str], cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *NO_HOOKS, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          errors="replace")


def _run(command: str, cwd: Path, timeout: float) -> tuple[int | None, bool, str, float]:
    """(exit code, timed out, output tail, seconds) of the user's command."""
    start = time.monotonic()
    proc = subprocess.Popen(["sh", "-c", command], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, pass_fds=(lock_of(cwd),))
    _running.add(proc.pid)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code, timed_out = proc.returncode, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        code, timed_out = None, True
    finally:
        _running.discard(proc.pid)
    text = (out or b"").decode("utf-8", "replace")[-LOG_TAIL:]
    return code, timed_out, text, time.monotonic() - start


def exit_with_parent(parent: int) -> None:
    """Initializer of a pool of checking processes: when the process that
    started them is gone (killed, even by SIGKILL), stop the commands they
    run and leave, instead of waiting for work forever."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        for group in list(_running):
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _base(job: CheckJob) -> tuple[str, str]:
    repo = Path(job.repo)
    if job.base_commit:
        found = _git(["-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options",
                      f"{job.base_commit}^{{commit}}"])
        if found.returncode == 0 and found.stdout.strip():
            return found.stdout.strip(), "base-commit"
    head = _git(["-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options", f"{job.branch}^{{commit}}"])
    return head.stdout.strip(), "branch head"


def run_check(job: CheckJob) -> CheckResult:
    """Apply and test one series; never leaves a worktree behind."""
    repo = Path(job.repo)
    base, source = _base(job)
    result = CheckResult(job.series_id, base, source, job.command)
    if not base:
        result.error = f"no base: neither base-commit nor branch {job.branch!r} resolves"
        return result
    try:
        with private_worktree(repo, base, prefix="patchdesk-check-") as work:
            # the base first: a command that fails before any patch is the base's
            # failure, not patch 1's (and every later step would fail the same way)
            code, timed_out, tail, secs = _run(job.command, work, job.timeout)
            if timed_out or code != 0:
                what = f"timed out after {job.timeout:g} s" if timed_out else f"exit {code}"
                result.error = (f"the base {base[:12]} fails the command before any patch ({what})"
                                + (f":\n{tail[-BASE_TAIL:]}" if tail.strip() else ""))
                return result
            for number, msgid, mbox in job.patches:
                patch_file = work.parent / f"{number}.mbox"
                patch_file.write_text(mbox)
                applied = _git(["-C", str(work), "-c", "user.name=patchdesk", "-c", "user.email=patchdesk@localhost",
                                "am", "-q", "--patch-format=mboxrd", str(patch_file)])
                if applied.returncode:
                    _git(["-C", str(work), "am", "--abort"])
                    result.steps.append(Step(number, msgid, False, log_tail=(applied.stdout + applied.stderr)[-LOG_TAIL:]))
                    break
                code, timed_out, tail, secs = _run(job.command, work, job.timeout)
                result.steps.append(Step(number, msgid, True, code == 0 and not timed_out, code, timed_out,
                                         round(secs, 3), tail))
    except GitError as exc:
        result.error = str(exc)
    return result


def run_checks(jobs: list[CheckJob], workers: int = 1) -> list[CheckResult]:
    """Check the series in child processes, also when there is only one.

    A command run from the calling process itself would outlive it: killed
    (even by SIGKILL), nothing would stop the command's process group until
    it ended by itself, past any timeout.  A pool worker watches the caller
    (``exit_with_parent``) and kills what it runs when the caller is gone."""
    if not jobs:
        return []
    workers = max(1, min(len(jobs), workers))
    with ProcessPoolExecutor(workers, initializer=exit_with_parent, initargs=(os.getpid(),)) as pool:
        return list(pool.map(run_check, jobs))
