"""Bisectability checks in the store: the jobs to run, and their results."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Connection, select

from ..trees.am import am_entry
from ..trees.check import CheckJob, CheckResult
from .messages import chunks, raw_of
from .schema import Check, Submission, Tree


def check_job(conn: Connection, detail: dict, tree, command: str, timeout: float) -> CheckJob:
    """What a worker needs to check one series (``queries.series_detail``)
    on one tree: the patches as sent, and the base."""
    series_id = detail["id"]
    patches = detail["patch_details"]
    raws = raw_of(conn, [p["msgid"] for p in patches])
    base = ""
    # a partial re-roll's patches come from several series (``pipeline.am.current``)
    ids = sorted(set(detail.get("composed_from") or [series_id]), reverse=True)
    metas = conn.execute(select(Submission.meta).where(Submission.series_id.in_(ids))
                         .order_by(Submission.series_id.desc())).scalars()
    for meta in metas:
        found = json.loads(meta or "{}").get("base-commit", [])
        if found:
            base = found[0]
            break
    entries = []
    for p in patches:
        raw, fmt = raws[p["msgid"]]
        text, _ = am_entry(raw, fmt, p["number"], len(patches), [], "")
        entries.append((p["number"], p["msgid"], text))
    return CheckJob(series_id, tree.path, tree.branch, base, command, timeout, tuple(entries))


def save_check(conn: Connection, tree_id: int, result: CheckResult) -> int:
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
