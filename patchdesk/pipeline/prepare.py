"""The CPU-heavy half of ingest, run in a process pool: parse and compress.

Workers get raw mail the store does not know yet and send back only what
the store needs (a ready ``messages`` row or a quarantine reason), never the
decoded body, so the pipes carry little more than the compressed bytes.
With ``jobs=1`` the same function runs in-process; results are identical.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from ..model import ParsedMessage, RawMail, Unreadable
from ..parse import parse
from ..store.messages import compress


@dataclass(frozen=True, slots=True)
class Prepared:
    digest: str
    position: str
    #: the ``messages`` row (without ids and timestamps), or None
    row: dict | None
    #: quarantine reason when ``row`` is None
    reason: str
    compressed: bytes
    size: int


def parse_or_reason(mail: RawMail) -> ParsedMessage | str:
    """Parse, turning any failure into a quarantine reason (never raise)."""
    try:
        return parse(mail)
    except Unreadable as exc:
        return str(exc)
    except Exception as exc:  # a parser bug must not stop the run
        return f"parser error: {type(exc).__name__}: {exc}"[:500]


def parsed_fields(parsed: ParsedMessage) -> dict:
    """The derived ``messages`` columns (shared by ingest and rebuild)."""
    return {"msgid": parsed.msgid, "msgid_synthetic": parsed.msgid_synthetic,
            "fingerprint": parsed.fingerprint, "from_name": parsed.from_name,
            "from_addr": parsed.from_addr, "subject": parsed.subject, "date": parsed.date,
            "refs": " ".join(parsed.references), "flags": ",".join(parsed.flags)}


def prepare(item: tuple[RawMail, str]) -> Prepared:
    mail, digest = item
    parsed = parse_or_reason(mail)
    data = compress(mail.data)
    if isinstance(parsed, str):
        return Prepared(digest, mail.position, None, parsed, data, len(mail.data))
    row = parsed_fields(parsed)
    row.update(raw_hash=digest, format=mail.format, deleted=mail.deleted, position=mail.position,
               msgid_conflict=False, raw=data, size=len(mail.data))
    return Prepared(digest, mail.position, row, "", data, len(mail.data))


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class Preparer:
    """Runs ``prepare`` over batches, in a process pool when jobs > 1."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        # "spawn", not fork: a forked worker would inherit the pipes of the
        # git processes a source has open, and keep them open after the
        # source closes them (git cat-file would then wait forever for EOF).
        self.pool: Executor | None = (
            ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
            if jobs > 1 else None)

    def submit(self, items: list[tuple[RawMail, str]]):
        """Start preparing; call ``result()`` on the return value for the list."""
        if self.pool is None:
            done = [prepare(item) for item in items]
            return _Ready(done)
        chunk = max(1, len(items) // (self.jobs * 4))
        return _Pending(self.pool.map(prepare, items, chunksize=chunk))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


class _Ready:
    def __init__(self, items: list[Prepared]) -> None:
        self.items = items

    def result(self) -> list[Prepared]:
        return self.items


class _Pending:
    def __init__(self, iterator) -> None:
        self.iterator = iterator

    def result(self) -> list[Prepared]:
        return list(self.iterator)
