"""Readers for one slice of a source: what one ingest job reads.

A slice is plain JSON (it travels in the jobs table): a commit range of a
public-inbox epoch, a byte range of an mbox, or a list of single-message
files (a Maildir subset, ``.eml`` files, archive pages).  Each reader has
the interface of a source (``messages(cursor)``, ``advance``), so the
ingest loop (``pipeline.ingest.pump``) drives it unchanged; its cursor is a
position inside the slice, committed with every batch, which is how a job
delivered again after its worker died goes on where the dead one stopped.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from pathlib import Path

from ..model import RawMail
from ..sources.mbox import MboxSource
from ..sources.publicinbox import PublicInboxSource


class EpochRange(PublicInboxSource):
    """Commits ``after..upto`` of one epoch (``after`` empty: from the root)."""

    def __init__(self, epoch: Path, after: str, upto: str) -> None:
        super().__init__(epoch)
        self.after, self.upto = after, upto

    def messages(self, cursor: dict) -> Iterator[RawMail]:
        yield from self._epoch(self.path, cursor.get("commit") or self.after or None, self.upto)

    def advance(self, cursor: dict, mail: RawMail) -> dict:
        return {"commit": mail.position.partition(":")[2]}


class MboxRange(MboxSource):
    """The messages whose separator line starts in ``[start, end)``; the
    planner cuts at separator lines, so no message is split."""

    def __init__(self, path: Path, variant: str, start: int, end: int) -> None:
        super().__init__(path, variant)
        self.start, self.end = start, end

    def messages(self, cursor: dict) -> Iterator[RawMail]:
        with open(self.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for mail, _ in self._split(data, cursor.get("after", self.start)):
                if mail.position.isdigit() and int(mail.position) >= self.end:
                    return
                yield mail

    def advance(self, cursor: dict, mail: RawMail) -> dict:
        return {"after": int(mail.resume.partition(":")[0])}


class FileList:
    """Single-message files, one message each, in the planner's order."""

    kind = "files"

    def __init__(self, paths: list[str], fmt: str, maildir: bool) -> None:
        self.paths, self.format, self.maildir = paths, fmt, maildir

    def messages(self, cursor: dict) -> Iterator[RawMail]:
        for index in range(cursor.get("done", 0), len(self.paths)):
            path = Path(self.paths[index])
            position = f"{path.parent.name}/{path.name}" if self.maildir else path.name
            yield RawMail(path.read_bytes(), position, self.format, resume=str(index + 1))

    def advance(self, cursor: dict, mail: RawMail) -> dict:
        return {"done": int(mail.resume)}


def reader(spec: dict):
    """The reader for a slice spec written by ``jobs.plan``."""
    kind = spec["type"]
    if kind == "epoch":
        return EpochRange(Path(spec["epoch"]), spec["after"], spec["upto"])
    if kind == "mbox":
        return MboxRange(Path(spec["path"]), spec["variant"], spec["start"], spec["end"])
    if kind == "files":
        return FileList(spec["paths"], spec["format"], spec["maildir"])
    raise ValueError(f"unknown slice type {kind!r}")
