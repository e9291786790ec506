"""public-inbox v2 archives (the lore format), read incrementally with git.

A v2 inbox is a directory ``git/0.git, git/1.git, ...`` of bare "epoch"
repositories.  Every commit adds one message as the blob ``m`` (replacing
the previous one), or removes one, leaving the removed message as the blob
``d``.  One ``git log --raw`` per epoch lists the blobs oldest first and one
``git cat-file --batch`` streams them, so a 100,000-message epoch costs two
processes, not 100,000.  The cursor remembers the last commit read per
epoch; when it no longer exists (an epoch rewritten by public-inbox-purge)
the epoch is read again from the start and dedup by content hash keeps
that harmless.  A single bare epoch repository (as mirrored on GitHub) is
accepted as an inbox of one epoch.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from ..model import RawMail

_EPOCH = re.compile(r"^(\d+)\.git$")
_BATCH = 256


def is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def epochs_of(path: Path) -> list[Path]:
    """Epoch repositories of an inbox directory, in epoch order."""
    if is_git_dir(path):
        return [path]
    git = path / "git"
    if not git.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in git.iterdir() if (m := _EPOCH.match(p.name))]
    return [p for _, p in sorted(found) if is_git_dir(p)]


def is_public_inbox(path: Path) -> bool:
    return path.is_dir() and bool(epochs_of(path))


def _git(epoch: Path, *args: str) -> list[str]:
    # git maps whole packs by default (hundreds of MB for a lore epoch);
    # smaller windows keep its memory bounded at no measurable cost.
    return ["git", "-c", "core.packedGitLimit=64m", "-c", "core.packedGitWindowSize=16m",
            "--git-dir", str(epoch), *args]


def _commit_exists(epoch: Path, commit: str) -> bool:
    probe = subprocess.run(_git(epoch, "cat-file", "-e", f"{commit}^{{commit}}"),
                           capture_output=True)
    return probe.returncode == 0


def _changes(epoch: Path, since: str | None, upto: str = "HEAD") -> Iterator[tuple[str, str, bool]]:
    """Yield (commit, blob, deleted) for each message commit after ``since``
    up to ``upto`` (a slice of the epoch, for ``jobs.slices``)."""
    revs = f"{since}..{upto}" if since else upto
    log = subprocess.Popen(
        _git(epoch, "log", "--reverse", "--raw", "--no-abbrev", "--no-renames",
             "--format=%x00%H", revs),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert log.stdout is not None
    commit = ""
    for line in log.stdout:
        if line.startswith(b"\0"):
            commit = line[1:].strip().decode()
        elif line.startswith(b":"):
            meta, _, path = line.rstrip(b"\n").partition(b"\t")
            fields = meta.split()
            if path in (b"m", b"d") and fields[4] in (b"A", b"M"):
                yield commit, fields[3].decode(), path == b"d"
    log.wait()


def _count(epoch: Path, since: str | None) -> int:
    """Commits after ``since`` (one cheap ``rev-list --count``), for progress."""
    done = subprocess.run(_git(epoch, "rev-list", "--count", f"{since}..HEAD" if since else "HEAD"),
                          capture_output=True, check=False)
    try:
        return int(done.stdout.decode().strip() or 0)
    except ValueError:
        return 0


def _read_blobs(cat: subprocess.Popen, blobs: list[str]) -> list[bytes | None]:
    """Ask ``cat-file --batch`` for several blobs at once and read them back."""
    assert cat.stdin is not None and cat.stdout is not None
    cat.stdin.write("".join(b + "\n" for b in blobs).encode())
    cat.stdin.flush()
    out: list[bytes | None] = []
    for _ in blobs:
        header = cat.stdout.readline().split()
        if len(header) < 3:  # "<id> missing": a shallow or partial mirror
            out.append(None)
            continue
        out.append(cat.stdout.read(int(header[2])))
        cat.stdout.read(1)
    return out


class PublicInboxSource:
    """A public-inbox v2 inbox (or one bare epoch) with a per-epoch cursor."""

    kind = "public-inbox"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self.epochs = epochs_of(path)
        #: blobs the snapshot lacked (shallow clones); reported, not fatal.
        self.missing = 0

    def messages(self, cursor: dict) -> Iterator[RawMail]:
        done = cursor.get("epochs", {})
        starts = []
        for epoch in self.epochs:
            since = done.get(epoch.name)
            if since and not _commit_exists(epoch, since):
                since = None
            starts.append((epoch, since))
        self.total, self.read = sum(_count(epoch, since) for epoch, since in starts), 0
        for epoch, since in starts:
            yield from self._epoch(epoch, since)

    def extent(self, cursor: dict) -> tuple[int, int, str]:
        """(done, total, unit) for a progress bar: the epochs' new commits."""
        return getattr(self, "read", 0), getattr(self, "total", 0), "commits"

    def _epoch(self, epoch: Path, since: str | None, upto: str = "HEAD") -> Iterator[RawMail]:
        cat = subprocess.Popen(_git(epoch, "cat-file", "--batch"),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            pending: list[tuple[str, str, bool]] = []
            for change in _changes(epoch, since, upto):
                pending.append(change)
                if len(pending) >= _BATCH:
                    yield from self._emit(cat, epoch, pending)
                    pending = []
            yield from self._emit(cat, epoch, pending)
        finally:
            if cat.stdin:
                cat.stdin.close()
            cat.wait()

    def _emit(self, cat, epoch: Path, pending) -> Iterator[RawMail]:
        if not pending:
            return
        self.read = getattr(self, "read", 0) + len(pending)
        for (commit, _, deleted), data in zip(pending, _read_blobs(cat, [b for _, b, _ in pending])):
            if data is None:
                self.missing += 1
                continue
            yield RawMail(data, f"{epoch.name}:{commit}", deleted=deleted)

    def advance(self, cursor: dict, mail: RawMail) -> dict:
        epoch, _, commit = mail.position.partition(":")
        epochs = dict(cursor.get("epochs", {}))
        epochs[epoch] = commit
        return {**cursor, "epochs": epochs}
