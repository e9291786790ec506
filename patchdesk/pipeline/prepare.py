"""The CPU-heavy half of ingest, run in a process pool: parse and compress.

Workers get raw mail the store does not know yet and send back only what
the store needs (a ready ``messages`` row or a quarantine reason), never the
decoded body, so the pipes carry little more than the compressed bytes.
With ``jobs=1`` the same function runs in-process; results are identical.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from ..model import ParsedMessage, RawMail, Unreadable
from ..parse import parse
from ..review.assess import reply_note
from ..series.kinds import describe
from ..store.messages import compress
from ..store.series import pack_lines

#: Kinds stored as submissions; replies and other discussion are not.
SUBMISSION_KINDS = ("patch", "cover", "pull", "proposal")


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
    #: the ``submissions`` row when the message is a patch, cover, pull or proposal
    submission: dict | None = None
    #: what a reply says (``review.assess.note_of``) as JSON, when anything
    note: str | None = None


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


def submission_fields(parsed: ParsedMessage) -> dict | None:
    """The ``submissions`` row of a message, or None for discussion.

    A failure here (a bug in the diff reader on hostile input) must not
    lose the message: it is stored as mail, with the ``features-failed``
    flag, and simply takes no part in series.
    """
    features = describe(parsed)
    if features.kind not in SUBMISSION_KINDS:
        return None
    subject = features.subject
    return {
        "msgid": parsed.msgid, "kind": features.kind, "name": subject.name[:2000],
        "version_major": subject.version[0], "version_minor": subject.version[1],
        "counter": subject.counter, "total": subject.total, "rfc": subject.is_rfc,
        "resend": subject.is_resend, "tags": " ".join(subject.tags),
        "patch_id": features.patch_id, "paths": "\n".join(features.paths),
        "added": features.added, "removed": features.removed,
        "lines": pack_lines(features.lines),
        "trailers": json.dumps([[t.key, t.value, t.name, t.email] for t in features.trailers]),
        "meta": json.dumps({k: list(v) for k, v in features.meta.items()}),
        "mentions": " ".join(features.mentions), "pull_url": features.pull_url,
        "pull_branch": features.pull_branch, "series_id": None, "number": None, "state": "new",
    }


def review_note(parsed: ParsedMessage, submission: dict | None) -> str | None:
    """The review note of a reply (discussion or proposal), as JSON."""
    note = reply_note(parsed, submission["kind"] if submission is not None else "reply")
    return json.dumps(note) if note else None


def prepare(item: tuple[RawMail, str]) -> Prepared:
    mail, digest = item
    parsed = parse_or_reason(mail)
    data = compress(mail.data)
    if isinstance(parsed, str):
        return Prepared(digest, mail.position, None, parsed, data, len(mail.data))
    row = parsed_fields(parsed)
    row.update(raw_hash=digest, format=mail.format, deleted=mail.deleted, position=mail.position,
               msgid_conflict=False, raw=data, size=len(mail.data))
    try:
        submission = submission_fields(parsed)
    except Exception:  # noqa: BLE001 - see submission_fields
        submission = None
        row["flags"] = ",".join(filter(None, [row["flags"], "features-failed"]))
    try:
        note = review_note(parsed, submission)
    except Exception:  # noqa: BLE001 - a reader bug must not lose the mail: flag it
        note = None
        row["flags"] = ",".join(filter(None, [row["flags"], "review-failed"]))
    return Prepared(digest, mail.position, row, "", data, len(mail.data), submission, note)


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: leave when the ingest process is gone.

    A SIGKILLed ingest cannot shut its pool down; its workers were seen
    lingering, waiting on a dead pipe, after the kill test.
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


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
            ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_exit_with_parent, initargs=(os.getpid(),))
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
