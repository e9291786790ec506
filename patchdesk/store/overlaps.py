"""The overlap map in the store: gather in-flight series, compare, keep."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import Connection, delete, select

from ..model import RawMail
from ..parse import parse
from ..parse.patch import split_patch
from ..series.assemble import PATCH_KINDS
from ..trees.overlaps import Overlap, SeriesChanges
from .messages import bulk_insert, chunks, raw_of
from .schema import Series, SeriesLink, SeriesOverlap, Submission

#: Series states that are no longer in flight.
SETTLED = ("superseded", "accepted", "rejected")


def in_flight(conn: Connection) -> tuple[list[SeriesChanges], dict[int, list[str]]]:
    """Every in-flight series' changed ranges and declarations, and its
    diffs in order (for the apply-together check)."""
    series = {r.id: SeriesChanges(r.id, r.name) for r in conn.execute(
        select(Series.id, Series.name).where(Series.state.not_in(SETTLED)))}
    rows = []
    for part in chunks(sorted(series)):
        rows.extend(conn.execute(select(Submission.series_id, Submission.msgid, Submission.kind, Submission.number,
                                        Submission.patch_id, Submission.meta)
                                 .where(Submission.series_id.in_(part))
                                 .order_by(Submission.series_id, Submission.number)).all())
    raws = raw_of(conn, [r.msgid for r in rows if r.kind in PATCH_KINDS])
    diffs: dict[int, list[str]] = defaultdict(list)
    for r in rows:
        s = series[r.series_id]
        s.msgids.add(r.msgid)
        meta = json.loads(r.meta or "{}")
        s.prerequisites.update(meta.get("prerequisite-patch-id", ()))
        s.depends_on.update(v.strip("<>").rsplit("/", 1)[-1] for v in meta.get("depends-on", ()))
        s.base_commit = s.base_commit or next(iter(meta.get("base-commit", ())), "")
        if r.kind not in PATCH_KINDS or r.msgid not in raws:
            continue
        if r.patch_id:
            s.patch_ids.add(r.patch_id)
        raw, fmt = raws[r.msgid]
        parsed = parse(RawMail(raw, "", fmt))
        body = split_patch(parsed.body, parsed.attachments)
        if body.diff is not None:
            s.add(body.diff)
            diffs[r.series_id].append(body.diff.text)
    return list(series.values()), diffs


def version_pairs(conn: Connection, series_ids: list[int]) -> set[tuple[int, int]]:
    """(lower id, higher id) of the version links among these series."""
    out = set()
    for part in chunks(sorted(series_ids)):
        for older, newer in conn.execute(select(SeriesLink.older_id, SeriesLink.newer_id).where(
                SeriesLink.kind == "version", SeriesLink.older_id.in_(part), SeriesLink.newer_id.in_(series_ids))):
            out.add((min(older, newer), max(older, newer)))
    return out


def save_overlaps(conn: Connection, overlaps: list[Overlap], conflicts: dict[tuple[int, int], bool],
                  tree: str) -> None:
    conn.execute(delete(SeriesOverlap))
    bulk_insert(conn, SeriesOverlap.__table__, [
        {"series_a": o.a, "series_b": o.b, "files": "\n".join(o.files), "hunks": o.hunks,
         "conflict": conflicts.get((o.a, o.b)), "tree": tree if (o.a, o.b) in conflicts else "",
         "dependency": o.dependency} for o in overlaps])


def overlaps_of(conn: Connection, series_id: int | None = None) -> dict[int, list[dict]]:
    """series id -> the series it overlaps with, as the export shows them
    (all, or those of one series)."""
    out: dict[int, list[dict]] = defaultdict(list)
    query = select(SeriesOverlap)
    if series_id is not None:
        query = query.where((SeriesOverlap.series_a == series_id) | (SeriesOverlap.series_b == series_id))
    for r in conn.execute(query).all():
        entry = {"files": r.files.split("\n") if r.files else [], "overlapping_hunks": r.hunks,
                 "conflict": r.conflict, "tree": r.tree or None, "dependency": r.dependency or None}
        out[r.series_a].append({"series": r.series_b, **entry})
        out[r.series_b].append({"series": r.series_a, **entry})
    for entries in out.values():
        entries.sort(key=lambda e: e["series"])
    return out
