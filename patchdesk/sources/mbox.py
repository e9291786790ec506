"""mbox files (mboxrd and mboxo), read with mmap and split by separator.

The separator is a line ``From <sender> <date>``; to keep unquoted body lines
that merely start with "From " from splitting a message, a separator must
also carry a time of day (``12:34``), as every mbox writer puts there.
mboxrd quotes every ``>*From `` body line with one more ``>``; mboxo quotes
only ``From ``; both are undone here so the stored bytes are the message as
sent.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from pathlib import Path

from ..model import RawMail

_SEPARATOR = re.compile(rb"^From \S*[ \t][^\n]*\d\d?:\d\d")
_UNQUOTE = {"mboxrd": re.compile(rb"^>(>*From )", re.M), "mboxo": re.compile(rb"^>(From )", re.M)}

VARIANTS = tuple(_UNQUOTE)


def is_mbox(head: bytes) -> bool:
    """True when a file starts like an mbox (its first line is a separator)."""
    return head.lstrip(b"\r\n").startswith(b"From ") and not head.startswith(b"From:")


def _unquote(message: bytes, pattern: re.Pattern[bytes]) -> bytes:
    if b">From " not in message:
        return message
    return pattern.sub(rb"\1", message)


class MboxSource:
    """One mbox file.  No cursor: re-reading is cheap and dedup is by hash."""

    kind = "mbox"

    def __init__(self, path: Path, variant: str = "mboxrd") -> None:
        self.path = path
        self.location = str(path)
        self.unquote = _UNQUOTE[variant]

    def size_hint(self) -> int:
        return self.path.stat().st_size

    def messages(self, cursor: dict) -> Iterator[RawMail]:
        with open(self.path, "rb") as fh:
            if fh.seek(0, 2) == 0:
                return
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                yield from self._split(data)

    def _split(self, data) -> Iterator[RawMail]:
        """Yield messages between separator lines (``find`` beats a regex scan)."""
        separator = 0 if data[:5] == b"From " else None
        start = data.find(b"\n") + 1 if separator == 0 else None
        at = 0
        while True:
            at = data.find(b"\nFrom ", at)
            if at == -1:
                break
            line_end = data.find(b"\n", at + 1)
            line_end = len(data) if line_end == -1 else line_end
            if _SEPARATOR.match(data[at + 1:line_end]):
                if start is not None:
                    yield self._message(data, separator, start, at + 1)
                separator, start = at + 1, line_end + 1
            at = line_end
        if start is not None:
            yield self._message(data, separator, start, len(data))
        elif data[:].strip():
            yield RawMail(bytes(data[:]), "0")

    def _message(self, data, separator: int, start: int, end: int) -> RawMail:
        body = data[start:end]
        if body.endswith(b"\n\n"):
            body = body[:-1]
        elif body.endswith(b"\r\n\r\n"):
            body = body[:-2]
        return RawMail(_unquote(body, self.unquote), str(separator))

    def advance(self, cursor: dict, mail: RawMail) -> dict:
        return cursor
