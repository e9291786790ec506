"""What a bisectability check needs, gathered from the store.

``trees.check`` runs the check in a worker process from plain data (the
patches as ``git am`` takes them, the base, the command); this builds that
job for a series: its current version (``pipeline.am.current``), each
patch as sent, and the ``base-commit:`` it names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ..store.checks import base_commits
from ..store.messages import raw_of
from ..trees.am import am_entry
from ..trees.check import CheckJob


def check_job(conn: Connection, detail: dict[str, Any], tree: Any, command: str, timeout: float) -> CheckJob:
    """What a worker needs to check one series (``queries.series_detail``,
    or ``pipeline.am.current`` of it) on one tree."""
    patches = detail["patch_details"]
    raws = raw_of(conn, [p["msgid"] for p in patches])
    # a partial re-roll's patches come from several series
    named = base_commits(conn, sorted(set(detail.get("composed_from") or [detail["id"]]), reverse=True))
    entries = []
    for p in patches:
        raw, fmt = raws[p["msgid"]]
        text, _ = am_entry(raw, fmt, p["number"], len(patches), [], "")
        entries.append((p["number"], p["msgid"], text))
    return CheckJob(detail["id"], tree.path, tree.branch, named[0] if named else "", command, timeout,
                    tuple(entries))
