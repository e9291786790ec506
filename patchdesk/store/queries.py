"""Read-side queries shared by the CLI, the export and (later) the web desk.

Every function returns plain dicts and lists in the shape of the export
contract (docs/export.md), so all interfaces show the same facts.
"""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import Connection, func, select

from ..model import PATCH_KINDS, version_label
from .attestations import of_messages as attestations_of
from .checks import checks_of
from .messages import chunks, claimants
from .overlaps import overlaps_of
from .trees import applied_rows
from .schema import (MailingList, Message, MessageList, PatchLink, PatchReview, Series, SeriesLink, StateEvent,
                     StateOverride, Submission)

PATCH_SUCCESSION = ("version", "split", "merge")


def _link_rows(conn: Connection, series_ids: set[int] | None):
    query = select(SeriesLink.older_id, SeriesLink.newer_id, SeriesLink.kind, SeriesLink.confidence,
                   SeriesLink.evidence)
    if series_ids is None:
        return conn.execute(query).all()
    if not series_ids:
        return []
    ids = sorted(series_ids)
    return conn.execute(query.where(SeriesLink.older_id.in_(ids) | SeriesLink.newer_id.in_(ids))).all()


def _links(conn: Connection, around: int | None = None):
    """Version and related links: all, or (``around``) those of one series'
    version chain, walked link by link instead of reading the whole table."""
    if around is None:
        rows = _link_rows(conn, None)
    else:
        rows, seen, frontier = [], set(), {around}
        while frontier and len(seen) < 500:
            seen |= frontier
            found = _link_rows(conn, frontier)
            rows.extend(found)
            frontier = {x for r in found if r[2] == "version" for x in (r[0], r[1])} - seen
    prev, nxt, related = {}, {}, defaultdict(list)
    # sorted: a set's order changes from run to run, and the export must not
    for older, newer, kind, confidence, evidence in sorted(set(rows), key=lambda r: r[:3]):
        if kind == "version":
            prev[newer] = {"series": older, "confidence": confidence, "evidence": evidence}
            nxt[older] = {"series": newer, "confidence": confidence, "evidence": evidence}
        else:
            entry = {"confidence": confidence, "evidence": evidence}
            related[older].append({"series": newer, **entry})
            related[newer].append({"series": older, **entry})
    return prev, nxt, related


def _series_rows(conn: Connection, where=None):
    query = select(Series).order_by(Series.first_date, Series.id)
    if where is not None:
        query = query.where(where)
    return conn.execute(query).all()


def _members(conn: Connection, series_ids: list[int] | None = None) -> dict[int, list]:
    query = (select(Submission.series_id, Submission.msgid, Submission.number, Submission.kind,
                    Submission.state, Message.subject, Message.from_name, Message.from_addr,
                    Message.date, Message.msgid_conflict)
             .join(Message, Message.id == Submission.message_id)
             .where(Submission.series_id.is_not(None), Submission.kind.in_(PATCH_KINDS))
             .order_by(Submission.number, Message.date))
    if series_ids is not None:
        query = query.where(Submission.series_id.in_(series_ids))
    out = defaultdict(list)
    for row in conn.execute(query):
        out[row.series_id].append(row)
    return out


def series_dict(row, patches, prev, nxt, related) -> dict:
    return {
        "id": row.id, "name": row.name, "version": row.version_major,
        "version_label": version_label(row.version_major, row.version_minor),
        "cover": row.cover_msgid, "submitter": row.submitter, "submitter_email": row.sender,
        "patches": [p.msgid for p in patches], "total": row.total, "complete": row.complete,
        "missing": json.loads(row.missing), "extra": json.loads(row.extra), "rfc": row.rfc,
        "date": row.first_date, "last_activity": row.last_date,
        "previous": prev.get(row.id, {}).get("series"), "next": nxt.get(row.id, {}).get("series"),
        "previous_evidence": prev.get(row.id), "related": related.get(row.id, []),
        "state": row.state,
    }


def list_series(conn: Connection, *, include_superseded: bool = False, ids: list[int] | None = None) -> list[dict]:
    """Every series (``ids``: only those), as the export writes them."""
    prev, nxt, related = _links(conn)
    where = None if include_superseded else Series.state != "superseded"
    if ids is not None:
        where = Series.id.in_(ids or [-1]) if where is None else (where & Series.id.in_(ids or [-1]))
    rows = _series_rows(conn, where)
    members = _members(conn, ids)
    checks, overlaps = checks_of(conn), overlaps_of(conn)
    return [{**series_dict(r, members.get(r.id, []), prev, nxt, related), "checks": checks.get(r.id, []),
             "overlaps": overlaps.get(r.id, [])} for r in rows]


def _patch_links(conn: Connection, msgids: list[str] | None = None):
    """Patch links: all, or only those touching ``msgids``."""
    before, after, related = defaultdict(list), defaultdict(list), defaultdict(list)
    query = select(PatchLink.older_msgid, PatchLink.newer_msgid, PatchLink.kind, PatchLink.confidence,
                   PatchLink.evidence)
    rows = set()
    if msgids is None:
        rows = set(conn.execute(query).all())
    else:
        for part in chunks(msgids):
            rows.update(conn.execute(query.where(PatchLink.older_msgid.in_(part) | PatchLink.newer_msgid.in_(part))))
    for older, newer, kind, confidence, evidence in sorted(rows):
        if kind in PATCH_SUCCESSION:
            after[older].append(newer)
            before[newer].append(older)
        else:
            related[older].append(newer)
            related[newer].append(older)
    return before, after, related


def _reviews(conn: Connection, series_ids: list[int] | None) -> dict[str, dict]:
    """msgid -> trailers, verdicts, continuity and events of judged patches."""
    query = select(PatchReview.msgid, PatchReview.trailers, PatchReview.verdicts, PatchReview.continuity)
    if series_ids is not None:
        query = query.where(PatchReview.series_id.in_(series_ids))
    out = {}
    for msgid, trailers, verdicts, continuity in conn.execute(query):
        out[msgid] = {"trailers": json.loads(trailers),
                      "verdicts": [{k: v for k, v in d.items() if k != "about"} for d in json.loads(verdicts)],
                      "continuity": json.loads(continuity), "events": []}
    events = select(StateEvent.msgid, StateEvent.date, StateEvent.state, StateEvent.reason,
                    StateEvent.cause_msgid, StateEvent.by).order_by(StateEvent.id)
    if series_ids is not None:
        events = events.where(StateEvent.msgid.in_(list(out)))
    for msgid, date, state, reason, cause, by in conn.execute(events):
        if msgid in out:
            out[msgid]["events"].append({"date": date, "state": state, "reason": reason,
                                         "msgid": cause or None, "by": by or None})
    overrides = select(StateOverride.msgid, StateOverride.state, StateOverride.by, StateOverride.why,
                       StateOverride.created_at).order_by(StateOverride.id)
    if series_ids is not None:
        overrides = overrides.where(StateOverride.msgid.in_(list(out) or [""]))
    for msgid, state, by, why, at in conn.execute(overrides):
        if msgid in out:
            out[msgid]["override"] = {"state": state, "by": by, "why": why, "date": at}
    return out


_NO_REVIEW = {"trailers": [], "verdicts": [], "continuity": {}, "events": []}


def patch_dicts(conn: Connection, series_ids: list[int] | None = None) -> list[dict]:
    members = _members(conn, series_ids)
    scoped = None if series_ids is None else [p.msgid for rows in members.values() for p in rows]
    before, after, related = _patch_links(conn, scoped)
    reviews = _reviews(conn, series_ids)
    carried = applied_rows(conn, list(reviews)) if reviews else {}
    contested = claimants(conn, [p.msgid for rows in members.values() for p in rows if p.msgid_conflict])
    out = []
    for sid, rows in sorted(members.items()):
        for p in rows:
            review = reviews.get(p.msgid, _NO_REVIEW)
            out.append({
                "msgid": p.msgid, "series": sid, "number": p.number, "subject": p.subject,
                "author": p.from_name, "author_email": p.from_addr, "date": p.date,
                "state": p.state, "supersedes": before.get(p.msgid, []),
                "superseded_by": after.get(p.msgid, []), "related": related.get(p.msgid, []),
                "trailers": review["trailers"], "verdicts": review["verdicts"], "applied": carried.get(p.msgid, []),
                "state_reason": review["events"][-1]["reason"] if review["events"] else "",
                "events": review["events"], "continuity": review["continuity"],
                "override": review.get("override"),
                # other stored messages claiming this Message-ID (a reused id: see pipeline/claims.py)
                "claimants": contested.get(p.msgid, []),
            })
    return out


def export(conn: Connection) -> dict:
    """The whole store as the export contract (docs/export.md)."""
    messages = conn.execute(select(func.count()).select_from(Message)).scalar_one()
    return {"messages": messages, "series": list_series(conn, include_superseded=True),
            "patches": patch_dicts(conn)}


def series_ids_in_list(conn: Connection, list_name: str) -> set[int]:
    """The series with a member posted to ``list_name``."""
    query = (select(Submission.series_id).distinct()
             .join(MessageList, MessageList.message_id == Submission.message_id)
             .join(MailingList, MailingList.id == MessageList.list_id)
             .where(MailingList.name == list_name, Submission.series_id.is_not(None)))
    return set(conn.execute(query).scalars())


def find_series(conn: Connection, ident: str) -> int | None:
    """A series id from ``ID`` or from the Message-ID of any of its messages."""
    if ident.isdigit():
        return conn.execute(select(Series.id).where(Series.id == int(ident))).scalar()
    msgid = ident.strip().strip("<>")
    return conn.execute(select(Submission.series_id).where(Submission.msgid == msgid)).scalar()


def version_numbers(conn: Connection, series_ids: list[int]) -> dict[int, tuple[int, int]]:
    """series id -> (major, minor) version."""
    return {sid: (a, b) for sid, a, b in conn.execute(
        select(Series.id, Series.version_major, Series.version_minor).where(Series.id.in_(series_ids or [-1])))}


def series_detail(conn: Connection, series_id: int) -> dict | None:
    prev, nxt, related = _links(conn, around=series_id)
    rows = _series_rows(conn, Series.id == series_id)
    if not rows:
        return None
    detail = series_dict(rows[0], _members(conn, [series_id]).get(series_id, []), prev, nxt, related)
    detail["checks"] = checks_of(conn, [series_id]).get(series_id, [])
    detail["overlaps"] = overlaps_of(conn, series_id).get(series_id, [])
    detail["patch_details"] = patch_dicts(conn, [series_id])
    detail["versions"] = _chain(series_id, prev, nxt)
    mails = ([detail["cover"]] if detail["cover"] else []) + [p["msgid"] for p in detail["patch_details"]]
    detail["attestations"] = attestations_of(conn, mails)
    return detail


def _chain(series_id: int, prev: dict, nxt: dict) -> list[int]:
    chain, cursor, seen = [], series_id, set()
    while cursor in prev and cursor not in seen:
        seen.add(cursor)
        cursor = prev[cursor]["series"]
    seen = set()
    while cursor is not None and cursor not in seen:
        seen.add(cursor)
        chain.append(cursor)
        cursor = nxt.get(cursor, {}).get("series")
    return chain


def version_chain(conn: Connection, series_id: int) -> list[int]:
    """The ids of a series' versions, oldest first (``series_detail``'s
    ``versions``, without loading the rest of the detail)."""
    prev, nxt, _ = _links(conn, around=series_id)
    return _chain(series_id, prev, nxt)
