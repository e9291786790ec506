"""Bisectability checks in the store: their results, and the base a series names."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Connection, select

from .messages import chunks
from .schema import Check, Submission, Tree


def base_commits(conn: Connection, series_ids: list[int]) -> list[str]:
    """The ``base-commit:`` values the series' mails name, newest series first."""
    out = []
    query = (select(Submission.meta).where(Submission.series_id.in_(series_ids or [-1]))
             .order_by(Submission.series_id.desc()))
    for meta in conn.execute(query).scalars():
        out.extend(json.loads(meta or "{}").get("base-commit", []))
    return out


def save_check(conn: Connection, tree_id: int, result) -> int:
    """Store a ``trees.check.CheckResult``; return its id."""
    data = result.as_dict()
    return conn.execute(Check.__table__.insert().values(
        series_id=result.series_id, tree_id=tree_id, command=result.command, base=result.base,
        base_source=result.base_source, bisectable=result.bisectable, first_bad=result.first_bad,
        error=result.error, steps=json.dumps(data["steps"]), created_at=datetime.now(timezone.utc),
    )).inserted_primary_key[0]


def checks_of(conn: Connection, series_ids: list[int] | None = None) -> dict[int, list[dict]]:
    """series id -> its checks, newest first."""
    names = {tid: name for tid, name in conn.execute(select(Tree.id, Tree.name))}
    query = select(Check).order_by(Check.id.desc())
    rows = []
    if series_ids is None:
        rows = conn.execute(query).all()
    else:
        for part in chunks(series_ids):
            rows.extend(conn.execute(query.where(Check.series_id.in_(part))).all())
    out: dict[int, list[dict]] = {}
    for r in rows:
        out.setdefault(r.series_id, []).append({
            "id": r.id, "tree": names.get(r.tree_id, ""), "command": r.command, "base": r.base,
            "base_source": r.base_source, "bisectable": r.bisectable, "first_bad": r.first_bad,
            "error": r.error, "steps": json.loads(r.steps), "date": r.created_at})
    return out
