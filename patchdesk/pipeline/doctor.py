"""``patchdesk doctor``: is the store whole, and is its raw mail intact?

Raw mail is the source of truth: everything else is rebuilt from it.  So
the one thing a damaged store must not hide is a message whose bytes are
no longer the bytes that arrived.  Three checks, cheapest first:

1. the file's header (SQLite): a page size SQLite never writes, a file
   shorter than the size its header records;
2. the database engine's own full check (SQLite ``integrity_check`` and
   ``foreign_key_check``);
3. every stored and quarantined message decompresses and hashes to the
   ``raw_hash`` it was stored under.

A damaged derived table is mended by ``patchdesk rebuild``; damaged raw
mail only by reading its source again (``ingest`` stores what is missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from ..parse import content_hash
from ..store.db import first_line, header_problem, integrity_problems
from ..store.messages import decompress, stored_raw
from ..store.schema import Message, Quarantine

#: Problems listed per check; the counts stay exact.
SHOWN = 20


@dataclass
class Findings:
    """What ``doctor`` found; ``ok`` when nothing."""

    header: str | None = None
    integrity: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    bad_raw: dict[str, list[int]] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.header or self.integrity or any(self.bad_raw.values()) or self.error)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "header": self.header, "integrity": self.integrity, "checked": self.checked,
                "bad_raw": {k: v[:SHOWN] for k, v in self.bad_raw.items()},
                "bad_raw_count": {k: len(v) for k, v in self.bad_raw.items()}, "error": self.error}


def _raw_intact(raw: bytes, digest: str) -> bool:
    try:
        return content_hash(decompress(raw)) == digest
    except Exception:  # noqa: BLE001 - a blob zstd cannot read is a damaged blob
        return False


def examine(engine: Engine, path: Path | None = None) -> Findings:
    """Every check, on the store behind ``engine`` (``path``: its SQLite file)."""
    found = Findings(header=header_problem(path) if path else None)
    try:
        found.integrity = integrity_problems(engine, SHOWN)
    except Exception as exc:  # noqa: BLE001 - too damaged for the check to finish: that is its finding
        found.integrity = [first_line(exc)]
    try:
        for name, table in (("messages", Message), ("quarantine", Quarantine)):
            found.checked[name], found.bad_raw[name] = _check_raw(engine, table)
    except Exception as exc:  # noqa: BLE001 - a page too damaged to read is a finding, not a traceback
        found.error = first_line(exc)
    return found


def _check_raw(engine: Engine, table) -> tuple[int, list[int]]:
    """(rows read, ids whose raw mail is not what was stored)."""
    bad, checked, last = [], 0, 0
    while True:
        with engine.connect() as conn:
            rows = stored_raw(conn, table, last)
        if not rows:
            return checked, bad
        checked += len(rows)
        bad += [r.id for r in rows if not _raw_intact(r.raw, r.raw_hash)]
        last = rows[-1].id
