"""Cutting sources into slices that workers ingest side by side.

Slices are cut where a source can resume anyway: between commits of a
public-inbox epoch, at ``From`` separator lines of an mbox, between files
of a Maildir.  Each slice starts where the source's cursor says new mail
begins (``--reread``: at the start), and the plan also says what each
source's cursor becomes when every slice is in: the ``finish`` job saves
it, so the next run reads only what arrived after this one.
"""

from __future__ import annotations

import mmap
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..sources import discover
from ..sources.files import FileSource
from ..sources.mbox import _SEPARATOR, MboxSource, _check
from ..sources.publicinbox import PublicInboxSource

#: messages per slice: small enough that two workers finish together,
#: large enough that a slice's fixed costs (git processes, lease) vanish
SLICE = 5000
#: mbox bytes per message when guessing where to cut (lore's average ~7 KiB)
MBOX_MESSAGE_BYTES = 7 * 1024


@dataclass
class Plan:
    slices: list[dict] = field(default_factory=list)
    #: source id -> {location: cursor once every slice is in}
    cursors: dict[int, dict] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def plan(paths: list[Path], registered: list[tuple[int, dict]], kind: str = "auto",
         reread: bool = False, size: int = SLICE) -> Plan:
    """Slices for ``paths`` (each with its ``(source id, cursors)``)."""
    out = Plan()
    for path, (source_id, cursors) in zip(paths, registered):
        skipped: list[Path] = []
        files: list[FileSource] = []
        out.cursors[source_id] = {}
        for source in discover(path, kind, skipped):
            cursor = {} if reread else cursors.get(source.location, {})
            if isinstance(source, FileSource):
                files.append(source)
                continue
            if isinstance(source, PublicInboxSource):
                found, final = _epochs(source, cursor, size)
            elif isinstance(source, MboxSource):
                found, final = _mbox(source, "mboxo" if kind == "mboxo" else "mboxrd", cursor, size)
            else:
                found, final = _files(source._files(), "rfc822", True, size), {}
            out.slices.extend({**s, "source_id": source_id} for s in found)
            out.cursors[source_id][source.location] = final
        for fmt in ("rfc822", "hypermail"):
            group = [str(f.path) for f in files if (f.kind == "hypermail") == (fmt == "hypermail")]
            out.slices.extend({**s, "source_id": source_id} for s in _files(group, fmt, False, size))
        out.skipped.extend(str(p) for p in skipped)
    return out


def _git_lines(epoch: Path, *args: str) -> list[str] | None:
    done = subprocess.run(["git", "--git-dir", str(epoch), *args], capture_output=True, text=True)
    return done.stdout.split() if done.returncode == 0 else None


def _epochs(source: PublicInboxSource, cursor: dict, size: int) -> tuple[list[dict], dict]:
    done = dict(cursor.get("epochs", {}))
    slices = []
    for epoch in source.epochs:
        since = done.get(epoch.name)
        commits = _git_lines(epoch, "rev-list", "--reverse", f"{since}..HEAD") if since else None
        if commits is None:  # first read, or the remembered commit vanished (purge): read it all
            since, commits = None, _git_lines(epoch, "rev-list", "--reverse", "HEAD") or []
        after = since or ""
        for start in range(0, len(commits), size):
            upto = commits[min(start + size, len(commits)) - 1]
            slices.append({"type": "epoch", "epoch": str(epoch), "after": after, "upto": upto})
            after = upto
        if commits:
            done[epoch.name] = commits[-1]
    return slices, {**cursor, "epochs": done}


def _mbox(source: MboxSource, variant: str, cursor: dict, size: int) -> tuple[list[dict], dict]:
    with open(source.path, "rb") as fh:
        length = fh.seek(0, 2)
        if length == 0:
            return [], cursor
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            begin = cursor.get("after", 0)
            if not (0 < begin <= length and _check(data, begin) == cursor.get("check")):
                begin = 0
            cuts = [begin]
            step = max(1, size * MBOX_MESSAGE_BYTES)
            while (cut := _separator_after(data, cuts[-1] + step)) < length:
                cuts.append(cut)
            final = {"after": length, "check": _check(data, length)}
    cuts.append(length)
    return [{"type": "mbox", "path": str(source.path), "variant": variant, "start": a, "end": b}
            for a, b in zip(cuts, cuts[1:]) if b > a], final


def _separator_after(data, offset: int) -> int:
    """Offset of the first separator line at or after ``offset`` (or the end)."""
    at = offset - 1
    while 0 <= at < len(data):
        at = data.find(b"\nFrom ", at)
        if at == -1:
            break
        end = data.find(b"\n", at + 1)
        if _SEPARATOR.match(data[at + 1:end if end != -1 else len(data)]):
            return at + 1
        at += 1
    return len(data)


def _files(paths: list, fmt: str, maildir: bool, size: int) -> list[dict]:
    names = [str(p) for p in paths]
    return [{"type": "files", "paths": names[i:i + size], "format": fmt, "maildir": maildir}
            for i in range(0, len(names), size)]
