"""mbox files (mboxrd and mboxo), read with mmap and split by separator.

Archives grow at the end.  The cursor remembers the offset after the last
stored message and a CRC of the 4 KiB before it; when the file still has
those bytes there, a re-run starts at that offset and reads only what was
appended.  A file changed anywhere else is read whole again, which is
harmless because stored mail is recognised by hash.  Pages already split
are released with ``madvise`` so a 1 GB mbox does not become 1 GB of RSS.

A file still being written ends in half a message.  A last message is held
back (not read; the cursor stays before it, and the next run reads it
whole) when the file grew while it was read, or when it stops mid-line
and was written in the last ``SETTLE`` seconds.  A file that stopped
changing is trusted as it ends.


The separator is a line ``From <sender> <date>``; to keep unquoted body lines
that merely start with "From " from splitting a message, a separator must
also carry a time of day (``12:34``), as every mbox writer puts there.
mboxrd quotes every ``>*From `` body line with one more ``>``; mboxo quotes
only ``From ``; both are undone here so the stored bytes are the message as
sent.
"""

from __future__ import annotations

import mmap
import os
import re
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..model import RawMail

_SEPARATOR = re.compile(rb"^From \S*[ \t][^\n]*\d\d?:\d\d")
_UNQUOTE = {"mboxrd": re.compile(rb"^>(>*From )", re.M), "mboxo": re.compile(rb"^>(From )", re.M)}

VARIANTS = tuple(_UNQUOTE)


def is_mbox(head: bytes) -> bool:
    """True when a file starts like an mbox (its first line is a separator)."""
    return head.lstrip(b"\r\n").startswith(b"From ") and not head.startswith(b"From:")


_QUOTE = re.compile(rb"^(>*From )", re.M)


def mboxrd_quote(message: bytes) -> bytes:
    """A message's lines as an mboxrd file holds them: each line starting
    with (already quoted) "From " gets one more '>' (``_unquote`` takes it
    back when the file is read)."""
    return _QUOTE.sub(rb">\1", message)


def _unquote(message: bytes, pattern: re.Pattern[bytes]) -> bytes:
    if b">From " not in message:
        return message
    return pattern.sub(rb"\1", message)


_CHECK_BYTES = 4096
#: Seconds a file must have been left alone before an unterminated last
#: message in it is taken as complete.
SETTLE = 5.0
_RELEASE_EVERY = 64 * 1024 * 1024


def _check(data, offset: int) -> int:
    return zlib.crc32(data[max(0, offset - _CHECK_BYTES):offset])


class MboxSource:
    """One mbox file, resumable after the last message stored."""

    kind = "mbox"

    def __init__(self, path: Path, variant: str = "mboxrd") -> None:
        self.path = path
        self.location = str(path)
        self.unquote = _UNQUOTE[variant]

    def messages(self, cursor: dict) -> Iterator[RawMail]:
        with open(self.path, "rb") as fh:
            size = fh.seek(0, 2)
            if size == 0:
                return
            changed = os.fstat(fh.fileno()).st_mtime
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                begin = cursor.get("after", 0)
                if not (0 < begin <= size and _check(data, begin) == cursor.get("check")):
                    begin = 0
                ended = data[size - 1:size] == b"\n"  # a writer stopped mid-line has not ended
                for mail, last in self._split(data, begin):
                    if last and self._growing(size, changed, ended):
                        return  # half written: held back, read whole next time
                    yield mail

    def _growing(self, size: int, changed: float, ended: bool) -> bool:
        """The last message is still being written: the file grew while it
        was read, or it stops mid-line and was written just now."""
        try:
            now = os.stat(self.path)
        except OSError:
            return True
        return now.st_size != size or (not ended and time.time() - max(changed, now.st_mtime) < SETTLE)

    def _split(self, data, begin: int = 0) -> Iterator[tuple[RawMail, bool]]:
        """Yield (message, is it the last) between separator lines (``find``
        beats a regex scan)."""
        separator = begin if data[begin:begin + 5] == b"From " else None
        start = data.find(b"\n", begin) + 1 if separator is not None else None
        at = released = begin
        while True:
            if at - released > _RELEASE_EVERY and hasattr(data, "madvise"):
                released = at - at % mmap.PAGESIZE
                data.madvise(mmap.MADV_DONTNEED, 0, released)
            at = data.find(b"\nFrom ", at)
            if at == -1:
                break
            line_end = data.find(b"\n", at + 1)
            line_end = len(data) if line_end == -1 else line_end
            if _SEPARATOR.match(data[at + 1:line_end]):
                if start is not None:
                    yield self._message(data, separator, start, at + 1), False
                separator, start = at + 1, line_end + 1
            at = line_end
        if start is not None:
            yield self._message(data, separator, start, len(data)), True
        elif begin == 0 and data[:].strip():
            yield RawMail(bytes(data[:]), "0", resume=f"{len(data)}:{_check(data, len(data))}"), True

    def _message(self, data, separator: int, start: int, end: int) -> RawMail:
        body = data[start:end]
        if body.endswith(b"\n\n"):
            body = body[:-1]
        elif body.endswith(b"\r\n\r\n"):
            body = body[:-2]
        return RawMail(_unquote(body, self.unquote), str(separator),
                       resume=f"{end}:{_check(data, end)}")

    def extent(self, cursor: dict) -> tuple[int, int, str]:
        """(done, total, unit) for a progress bar: bytes of the file."""
        try:
            size = self.path.stat().st_size
        except OSError:
            size = 0
        return min(int(cursor.get("after", 0)), size), size, "bytes"

    def advance(self, cursor: dict, mail: RawMail) -> dict:
        after, _, check = mail.resume.partition(":")
        return {"after": int(after), "check": int(check)}
