"""Stage 1: where list mail lives.  Each source yields RawMail, oldest first.

``discover`` turns a path given on the command line into sources by looking
at it: a public-inbox inbox or epoch, a Maildir, an mbox file, an archived
web page, a single message file, or a directory holding any of these.
Every source has the same small interface (``kind``, ``location``,
``messages(cursor)``, ``advance(cursor, mail)``), so ingest
treats them alike and only public-inbox needs its cursor.
"""

from __future__ import annotations

from pathlib import Path

from ..parse.hypermail import looks_like_page
from .files import FileSource, MaildirSource, is_maildir
from .mbox import VARIANTS, MboxSource, is_mbox
from .publicinbox import PublicInboxSource, is_public_inbox

#: Files a directory walk passes over: documentation and code next to mail.
SKIPPED_SUFFIXES = (".md", ".py", ".pyc", ".json", ".rst", ".sh", ".gz", ".xz", ".zst")

KINDS = ("auto", "mbox", "mboxo", "maildir", "eml", "public-inbox", "hypermail")


class SourceError(Exception):
    """A path that cannot be read as any kind of source."""


#: The files of an SQLite store: a store in the folder being ingested must
#: not ingest itself (it would quarantine its own pages on every poll).
STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def store_files(database: Path) -> frozenset[Path]:
    """The store file and its companions, resolved."""
    base = database.resolve()
    return frozenset(base.with_name(base.name + suffix) for suffix in STORE_SUFFIXES)


def _is_database(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def _sniff_file(path: Path, variant: str):
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if is_mbox(head):
        return MboxSource(path, variant)
    if looks_like_page(head):
        return FileSource(path, "hypermail")
    return FileSource(path, "eml")


def discover(path: Path, kind: str = "auto", skipped: list[Path] | None = None,
             own: frozenset[Path] = frozenset()) -> list:
    """Return the sources found at ``path`` (a directory may hold many).

    ``own`` are the store's own files (``store_files``): given alone they
    are refused, in a folder they are passed over like any SQLite file."""
    if kind not in KINDS:
        raise SourceError(f"unknown source kind {kind!r} (choose from {', '.join(KINDS)})")
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.resolve() in own:
        raise SourceError(f"{path}: this is the store itself")
    variant = "mboxo" if kind == "mboxo" else "mboxrd"
    if kind in ("mbox", "mboxo"):
        return [MboxSource(path, variant)]
    if kind == "maildir":
        return [MaildirSource(path)]
    if kind == "public-inbox":
        if not is_public_inbox(path):
            raise SourceError(f"{path}: not a public-inbox v2 inbox or epoch repository")
        return [PublicInboxSource(path)]
    if kind in ("eml", "hypermail"):
        return [FileSource(path, kind)]
    if path.is_file():
        return [_sniff_file(path, variant)]
    if is_public_inbox(path):
        return [PublicInboxSource(path)]
    found: list = []
    if is_maildir(path):
        found.append(MaildirSource(path))
    for child in sorted(path.iterdir()):
        if child.name.startswith(".") and not (child.is_dir() and is_maildir(child)):
            continue
        if found and child.name in ("cur", "new", "tmp"):
            continue
        if child.is_file() and (child.suffix.lower() in SKIPPED_SUFFIXES or child.resolve() in own
                                or _is_database(child)):
            if skipped is not None:
                skipped.append(child)
            continue
        if child.is_dir() or child.is_file():
            found.extend(discover(child, "auto", skipped, own))
    return found


__all__ = ["KINDS", "VARIANTS", "SourceError", "discover", "store_files"]
