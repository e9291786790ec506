"""Single-message files: ``.eml``, Maildir entries, archived web pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..model import RawMail

#: Maildir entries live here; ``tmp`` holds deliveries still being written.
MAILDIR_PARTS = ("cur", "new")


class FileSource:
    """One file holding one message (``eml``) or one archive page."""

    def __init__(self, path: Path, kind: str = "eml") -> None:
        self.path = path
        self.location = str(path)
        self.kind = kind

    def messages(self, cursor: dict) -> Iterator[RawMail]:
        fmt = "hypermail" if self.kind == "hypermail" else "rfc822"
        self.read = 1
        yield RawMail(self.path.read_bytes(), self.path.name, fmt)

    def extent(self, cursor: dict) -> tuple[int, int, str]:
        """(done, total, unit) for a progress bar: one file."""
        return getattr(self, "read", 0), 1, "files"

    def advance(self, cursor: dict, mail: RawMail) -> dict:
        return cursor


def is_maildir(path: Path) -> bool:
    return any((path / part).is_dir() for part in MAILDIR_PARTS)


class MaildirSource:
    """A Maildir folder: every file in ``cur/`` and ``new/``, in name order.

    Names are sorted so a rerun sees messages in the same order; dedup by
    content hash makes rereading harmless.
    """

    kind = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    def _files(self) -> list[Path]:
        files: list[Path] = []
        for part in MAILDIR_PARTS:
            folder = self.path / part
            if folder.is_dir():
                files.extend(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        return sorted(files)

    def messages(self, cursor: dict) -> Iterator[RawMail]:
        files = self._files()
        self.total, self.read = len(files), 0
        for path in files:
            self.read += 1
            yield RawMail(path.read_bytes(), f"{path.parent.name}/{path.name}")

    def extent(self, cursor: dict) -> tuple[int, int, str]:
        """(done, total, unit) for a progress bar: files of the folder."""
        return getattr(self, "read", 0), getattr(self, "total", 0), "files"

    def advance(self, cursor: dict, mail: RawMail) -> dict:
        return cursor
