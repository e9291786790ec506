"""Commits of a git branch, streamed from one ``git log -p`` process.

A tree scan must read tens of thousands of commits in seconds, so there is
no process per commit: one ``git log --no-merges -p`` streams every new
commit's header, message and diff, and each is turned into what applied
detection compares (patch-id as ``git patch-id --stable`` computes it,
touched paths, changed-line hashes, and the Message-IDs its ``Link:`` /
``Message-Id:`` trailers name).  Git is always called with an argument
list, never through a shell; branch names and paths are data.
"""

from __future__ import annotations

import codecs
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

from ..parse.diff import find_diff
from ..parse.patch import split_patch
from ..parse.patchid import patch_id
from ..series.kinds import content_lines

_START = "\x00\x01commit "
#: Message-IDs in Link: trailers (lore, patch.msgid.link, marc...) and Message-Id: lines.
_LINK = re.compile(r"^(?:link|message-id|msgid)\s*:\s*<?\s*(?:https?://\S+?/)?"
                   r"(?:r/|id=)?([^\s/<>]+@[^\s/<>]+?)>?/?\s*$", re.I | re.M)


class GitError(Exception):
    """A git command failed: the message says which and why."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    author_name: str
    author_email: str
    date: datetime
    #: when it was committed (applied): a patch posted after this is not in it
    committed: datetime
    subject: str
    patch_id: str
    paths: tuple[str, ...]
    lines: frozenset[int]
    msgids: tuple[str, ...]


def git(repo: Path, *args: str, timeout: float = 600) -> str:
    """Run ``git -C repo args`` (no shell) and return stdout, or raise GitError."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]} in {repo}: {exc}") from None
    if done.returncode != 0:
        raise GitError(f"git {args[0]} in {repo}: {done.stderr.decode('utf-8', 'replace').strip()[:500]}")
    return done.stdout.decode("utf-8", "replace")


#: A .mailmap bigger than this is not read (the kernel's is about 60 KB).
MAILMAP_LIMIT = 4 * 1024 * 1024


def mailmap(repo: Path, head: str) -> str:
    """The ``.mailmap`` at ``head`` ("" when the tree has none)."""
    try:
        size = int(git(repo, "cat-file", "-s", f"{head}:.mailmap").strip() or 0)
    except (GitError, ValueError):
        return ""
    return git(repo, "cat-file", "blob", f"{head}:.mailmap") if size <= MAILMAP_LIMIT else ""


def resolve(repo: Path, branch: str) -> str:
    """The commit ``branch`` points at (``--end-of-options`` keeps a hostile
    name from being read as an option)."""
    return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{branch}^{{commit}}").strip()


#: What ``--since`` takes besides a revision: a day, or git's "N.units.ago".
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?|\d{1,4}\.(?:days?|weeks?|months?|years?)\.ago")


def start_point(repo: Path, since: str) -> tuple[str, str]:
    """(revision, date) a first scan starts after: ``since`` is a revision of
    ``repo`` or a date (``2025-01-01``, ``2.years.ago``); ValueError if neither."""
    since = since.strip()
    if not since:
        return "", ""
    if _DATE.fullmatch(since):
        return "", since
    try:
        return resolve(repo, since), ""
    except GitError:
        raise ValueError(f"--since {since!r} is neither a revision of {repo} nor a date "
                         "(YYYY-MM-DD or N.days|weeks|months|years.ago)") from None


def is_ancestor(repo: Path, old: str, new: str) -> bool:
    return subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", old, new],
                          capture_output=True, check=False).returncode == 0


def message_ids(message: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(unquote(m).strip("<>") for m in _LINK.findall(message)))


def _commit(block: str) -> Commit | None:
    head, _, rest = block.partition("\x00\x02")
    fields = head.split("\x00")
    if len(fields) < 6:
        return None
    sha, name, email, stamp, committed, subject = fields[:6]
    message, _, diff_text = rest.partition("\x00\x03")
    diff = find_diff(diff_text) if diff_text.strip() else None
    body = split_patch(message)
    msgids = message_ids("\n".join(f"{t.key}: {t.value}" for t in body.trailers) + "\n" + message)
    date = datetime.fromtimestamp(int(stamp or 0), tz=timezone.utc)
    when = datetime.fromtimestamp(int(committed or 0), tz=timezone.utc)
    return Commit(sha, name, email.lower(), date, when, subject,
                  patch_id(diff) if diff and diff.files else "",
                  diff.paths if diff else (), content_lines(diff) if diff else frozenset(), msgids)


_FORMAT = "%x00%x01commit %H%x00%an%x00%ae%x00%at%x00%ct%x00%s%x00%x02%B%x00%x03"


def _stream(repo: Path, shas: list[str], with_diff: bool = True) -> Iterator[Commit]:
    """``git log --no-walk --stdin`` over ``shas`` in order; GitError on failure."""
    args = ["git", "-C", str(repo), "-c", "core.quotePath=false", "log", "--no-walk=unsorted", "--stdin",
            "--no-color", "--no-ext-diff", "--no-textconv", f"--format={_FORMAT}"] + (["-p"] if with_diff else [])
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    feeder = threading.Thread(target=_feed, args=(proc.stdin, shas), daemon=True)
    feeder.start()
    pieces: list[str] = []  # the commit being read
    decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a character may straddle two reads
    keep = len(_START) - 1  # ... and so may a commit's start
    try:
        for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):
            text = decoder.decode(chunk)
            if pieces and pieces[-1]:
                text, pieces[-1] = pieces[-1][-keep:] + text, pieces[-1][:-keep]
            parts = text.split(_START)
            pieces.append(parts[0])
            if len(parts) == 1:
                continue
            for part in ["".join(pieces), *parts[1:-1]]:
                found = _commit(part) if part else None
                if found:
                    yield found
            pieces = [parts[-1]]
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace")
        code = proc.wait()
        feeder.join()
    if code != 0:  # the last commit may be cut short: it is not yielded
        raise GitError(err.strip()[:500] or f"git log exited {code}")
    buffer = "".join(pieces) + decoder.decode(b"", final=True)
    found = _commit(buffer) if buffer else None
    if found:
        yield found


def _feed(pipe, shas: list[str]) -> None:
    try:
        for i in range(0, len(shas), 1000):
            pipe.write(("\n".join(shas[i:i + 1000]) + "\n").encode())
        pipe.close()
    except (BrokenPipeError, OSError):
        pass


def commits(repo: Path, head: str, since: str | None = None, *, after: str = "",
            total: Callable[[int], None] | None = None) -> Iterator[Commit]:
    """Non-merge commits reachable from ``head`` (and not from ``since``),
    committed after the date ``after`` when given, oldest first, streamed;
    ``total`` hears how many there will be before the first is read.

    A partial clone may lack a blob: git then stops.  The commit it stopped
    at is read again without its diff (``unreadable``: no patch-id, no
    lines, its trailers still count) and the stream resumes after it.
    """
    spec = f"{since}..{head}" if since else head
    dated = [f"--since={after}"] if after else []
    shas = git(repo, "rev-list", "--no-merges", "--reverse", *dated, "--end-of-options", spec).split()
    if total:
        total(len(shas))
    done = 0
    while done < len(shas):
        try:
            for commit in _stream(repo, shas[done:]):
                done += 1
                yield commit
        except GitError:
            if done >= len(shas):
                return
            for commit in _stream(repo, [shas[done]], with_diff=False):
                yield commit
            done += 1
