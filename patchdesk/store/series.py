"""Series, lineage links and lineage states in the store: loading and saving.

Ingest marks the senders of new submissions dirty in the batch's own
transaction (``mark_dirty``); ``pipeline.series`` then loads everything of
those senders (``load_submissions``), judges it with ``judge.series`` and
saves the result here.  A run killed in between leaves the dirty list for
the next run to finish.

Series ids stay stable: a recomputed series keeps the id of the stored
series with the same anchor, else of the one it shares most messages with.
"""

from __future__ import annotations

import json
from array import array
from datetime import datetime, timezone
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, delete, select, update

from ..model import ASSEMBLED, PATCH_KINDS, PatchInfo, SeriesInfo, SubmissionRecord
from .messages import bulk_insert, chunks, insert_ignore, lookup
from .schema import (AddressAlias, DirtySender, Message, PatchLink, SenderName, Series, SeriesLink, Submission,
                     SubmissionPath, ThreadNode)



def pack_lines(lines: Iterable[int]) -> bytes:
    packed = array("q", sorted(lines))
    if packed.itemsize == 8 and array("h", [1]).tobytes()[0] == 1:
        packed.byteswap()  # stored big-endian, whatever the machine
    return packed.tobytes()


def split_paths(text: str) -> list[str]:
    """The stored newline-separated path list, in order, without repeats."""
    return list(dict.fromkeys(filter(None, text.split("\n"))))


def unpack_lines(data: bytes) -> frozenset[int]:
    packed = array("q")
    packed.frombytes(data or b"")
    if array("h", [1]).tobytes()[0] == 1:
        packed.byteswap()
    return frozenset(packed)


def load_submissions(conn: Connection, senders: Iterable[str]) -> list[SubmissionRecord]:
    """Every assembled submission of ``senders``, with thread parent and date."""
    query = (select(*Submission.__table__.columns, Message.date, Message.from_addr,
                    Message.from_name, ThreadNode.parent)
             .join(Message, Message.id == Submission.message_id)
             .join(ThreadNode, ThreadNode.msgid == Submission.msgid, isouter=True)
             .where(Submission.kind.in_(ASSEMBLED)))
    rows = []
    for part in chunks(sorted(senders), 500):
        rows.extend(conn.execute(query.where(Message.from_addr.in_(part))).all())
    return [record_of(row) for row in rows]


def record_of(row) -> SubmissionRecord:
    """A submissions row joined with its message and thread node, decoded."""
    meta = json.loads(row.meta or "{}")
    return SubmissionRecord(
        row.msgid, row.kind, row.name, (row.version_major, row.version_minor), row.counter, row.total,
        bool(row.rfc), bool(row.resend), row.date, row.from_addr, row.from_name, row.parent,
        row.patch_id, tuple(split_paths(row.paths)), unpack_lines(row.lines),
        tuple(tuple(t) for t in json.loads(row.trailers or "[]")),
        tuple((k, tuple(v)) for k, v in meta.items()), tuple(row.mentions.split()),
        row.series_id, row.number, row.lineage_state)


def aliases_of(conn: Connection, addresses: set[str]) -> set[tuple[str, str]]:
    """The ``.mailmap`` pairs (``address_aliases``) naming any of ``addresses``."""
    found = set(lookup(conn, AddressAlias.addr, addresses, AddressAlias.alias))
    found |= {(a, b) for b, a in lookup(conn, AddressAlias.alias, addresses, AddressAlias.addr)}
    return found


def save_names(conn: Connection, pairs: set[tuple[str, str]]) -> None:
    """Remember (address, name key) pairs: who posted under which name."""
    insert_ignore(conn, SenderName.__table__, [{"sender": a, "name_key": k} for a, k in sorted(pairs)])


def senders_named(conn: Connection, keys: set[str]) -> set[str]:
    """Every address that posted under one of these name keys."""
    return {a for _, a in lookup(conn, SenderName.name_key, keys, SenderName.sender)}


def take_dirty(conn: Connection, senders: Iterable[str]) -> None:
    """Take senders out of the outbox (they are being recomputed now)."""
    for part in chunks(sorted(senders), 500):
        conn.execute(delete(DirtySender).where(DirtySender.sender.in_(part)))


def _match_ids(conn: Connection, senders: set[str], drafts: list) -> dict[int, int]:
    """draft index -> existing series id, by anchor then by shared members."""
    existing = {}
    for part in chunks(sorted(senders), 500):
        for sid, anchor in conn.execute(select(Series.id, Series.anchor).where(Series.sender.in_(part))):
            existing[sid] = anchor
    if not existing:
        return {}
    members: dict[int, set[str]] = defaultdict(set)
    for sid, msgid in lookup(conn, Submission.series_id, list(existing), Submission.msgid):
        members[sid].add(msgid)
    by_anchor = {anchor: sid for sid, anchor in existing.items()}
    taken: set[int] = set()
    matched: dict[int, int] = {}
    for i, draft in enumerate(drafts):
        sid = by_anchor.get(draft.anchor)
        if sid is not None and sid not in taken:
            matched[i] = sid
            taken.add(sid)
    for i, draft in enumerate(drafts):
        if i in matched:
            continue
        ids = {m.msgid for m in draft.members}
        best = max(((len(ids & members[sid]), sid) for sid in existing if sid not in taken), default=(0, 0))
        if best[0]:
            matched[i] = best[1]
            taken.add(best[1])
    return matched


def _series_row(draft, records: dict[str, SubmissionRecord]) -> dict:
    cover = draft.cover
    first = draft.members[0]
    return {
        "anchor": draft.anchor, "name": draft.name,
        "version_major": draft.version[0], "version_minor": draft.version[1],
        "sender": draft.sender, "submitter": records[first.msgid].from_name or draft.sender,
        "cover_msgid": cover.msgid if cover else None, "total": draft.total,
        "complete": not draft.missing, "missing": json.dumps(draft.missing),
        "extra": json.dumps(draft.extra), "rfc": any(m.rfc for m in draft.members),
        "first_date": draft.first_date, "last_date": max(m.date for m in draft.members),
        "state": "new",
    }


def write_series(conn: Connection, senders: set[str], drafts: list, records: dict[str, SubmissionRecord]
                 ) -> dict[int, int]:
    """Store ``series.assemble`` drafts; return draft index -> series id.  Unchanged rows are
    not rewritten: most of a sender's series stay as they were."""
    matched = _match_ids(conn, senders, drafts)
    columns = [c for c in Series.__table__.columns if c.name != "id"]
    current = {}
    for part in chunks(sorted(set(matched.values()))):
        for row in conn.execute(select(Series.id, *columns).where(Series.id.in_(part))):
            current[row.id] = {c.name: getattr(row, c.name) for c in columns}
    ids: dict[int, int] = {}
    changed, fresh = [], {}
    for i, draft in enumerate(drafts):
        row = _series_row(draft, records)
        if i in matched:
            ids[i] = matched[i]
            old = current.get(matched[i], {})
            if any(_differs(old.get(k), v) for k, v in row.items() if k != "state"):
                changed.append({**row, "_id": matched[i]})
        else:
            fresh[i] = row
    ids.update(_insert_series(conn, fresh, set(series_of(conn, senders))))
    if changed:
        conn.execute(update(Series).where(Series.id == bindparam("_id"))
                     .values({k: bindparam(k) for k in changed[0] if k != "_id"}), changed)
    keep = set(ids.values())
    stale = [sid for sid in series_of(conn, senders) if sid not in keep]
    _unlink(conn, sorted(keep), stale)
    for part in chunks(stale):
        conn.execute(update(Submission).where(Submission.series_id.in_(part)).values(series_id=None))
        conn.execute(delete(Series).where(Series.id.in_(part)))
    placed = [{"m": m.msgid, "s": ids[i], "n": n} for i, d in enumerate(drafts) for n, m in d.patches]
    placed += [{"m": d.cover.msgid, "s": ids[i], "n": 0} for i, d in enumerate(drafts) if d.cover]
    if placed:
        conn.execute(update(Submission).where(Submission.msgid == bindparam("m"))
                     .values(series_id=bindparam("s"), number=bindparam("n")), placed)
    return ids


def _insert_series(conn: Connection, rows: dict[int, dict], existing: set[int]) -> dict[int, int]:
    """Bulk-insert new series rows; read their ids back by (anchor, sender)."""
    if not rows:
        return {}
    bulk_insert(conn, Series.__table__, list(rows.values()))
    found: dict[tuple[str, str], int] = {}
    for anchor, sid, sender in lookup(conn, Series.anchor, [r["anchor"] for r in rows.values()],
                                      Series.id, Series.sender):
        if sid not in existing:
            key = (anchor, sender)
            found[key] = max(sid, found.get(key, 0))
    return {i: found[(row["anchor"], row["sender"])] for i, row in rows.items()}


def _differs(old, new) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        return old.replace(tzinfo=None) != new.astimezone(timezone.utc).replace(tzinfo=None) \
            if new.tzinfo else old.replace(tzinfo=None) != new
    return old != new


def series_of(conn: Connection, senders: set[str]) -> list[int]:
    out = []
    for part in chunks(sorted(senders), 500):
        out.extend(conn.execute(select(Series.id).where(Series.sender.in_(part))).scalars())
    return out


def _unlink(conn: Connection, recomputed: list[int], stale: list[int]) -> None:
    """Drop every link touching these series: they are all recomputed
    (related links against the neighbours that share their files)."""
    for part in chunks(recomputed + stale):
        conn.execute(delete(SeriesLink).where(SeriesLink.newer_id.in_(part) | SeriesLink.older_id.in_(part)))


def neighbours(conn: Connection, infos: list[SeriesInfo], common: int, limit: int) -> list[SeriesInfo]:
    """Other senders' series touching the same files (a path touched by
    more than ``common`` submissions is passed over), the newest ``limit``."""
    paths = set()
    for s in infos:
        for p in s.patches:
            paths.update(p.paths)
    by_path: dict[str, list[int]] = defaultdict(list)
    for path, message_id in lookup(conn, SubmissionPath.path, paths, SubmissionPath.message_id):
        by_path[path].append(message_id)
    messages = {m for ids in by_path.values() if len(ids) <= common for m in ids}
    own = {s.key for s in infos}
    series_ids = {sid for _, sid in lookup(conn, Submission.message_id, messages, Submission.series_id)
                  if sid is not None and sid not in own}
    return load_series_infos(conn, sorted(series_ids, reverse=True)[:limit])


def write_links(conn: Connection, lineage, msgids: set[str]) -> None:
    """Replace the links touching ``msgids`` with ``lineage``'s (``versions.lineage.Lineage``)."""
    for part in chunks(sorted(msgids)):
        conn.execute(delete(PatchLink).where(PatchLink.newer_msgid.in_(part) | PatchLink.older_msgid.in_(part)))
    # ignore: lineage may name a split twice, and a concurrent refresh of
    # the other sender may have stored a related link between the two first
    bulk_insert(conn, SeriesLink.__table__, [
        {"older_id": link.older, "newer_id": link.newer, "kind": link.kind,
         "confidence": link.confidence, "evidence": link.evidence} for link in lineage.series], ignore=True)
    bulk_insert(conn, PatchLink.__table__, [
        {"older_msgid": link.older, "newer_msgid": link.newer, "kind": link.kind,
         "confidence": link.confidence, "evidence": link.evidence} for link in lineage.patches], ignore=True)


def write_lineage_states(conn: Connection, series: dict[int, str], patches: dict[str, str]) -> None:
    """What lineage alone says of each series and patch ("new" or "superseded")."""
    if series:
        conn.execute(update(Series).where(Series.id == bindparam("k")).values(lineage_state=bindparam("st")),
                     [{"k": k, "st": st} for k, st in series.items()])
    if patches:
        conn.execute(update(Submission).where(Submission.msgid == bindparam("m"))
                     .values(lineage_state=bindparam("st")), [{"m": m, "st": st} for m, st in patches.items()])


def old_links(conn: Connection, series_ids: list[int], msgids: set[str]) -> tuple[set, set]:
    """The stored links touching these series and messages, before they are
    recomputed, to tell afterwards which of them changed."""
    series_links = {(o, n, k) for part in chunks(series_ids) for o, n, k in conn.execute(
        select(SeriesLink.older_id, SeriesLink.newer_id, SeriesLink.kind)
        .where(SeriesLink.older_id.in_(part) | SeriesLink.newer_id.in_(part)))}
    patch_links = {(o, n, k) for part in chunks(sorted(msgids)) for o, n, k in conn.execute(
        select(PatchLink.older_msgid, PatchLink.newer_msgid, PatchLink.kind)
        .where(PatchLink.older_msgid.in_(part) | PatchLink.newer_msgid.in_(part)))}
    return series_links, patch_links


def insert_submissions(conn: Connection, rows: list[dict]) -> None:
    """Store submission rows (with ``message_id``) and the files they touch."""
    paths = [{"path": path, "message_id": row["message_id"]}
             for row in rows for path in split_paths(row["paths"])]
    bulk_insert(conn, Submission.__table__, rows)
    bulk_insert(conn, SubmissionPath.__table__, paths)


def mark_dirty(conn: Connection, senders: Iterable[str]) -> None:
    insert_ignore(conn, DirtySender.__table__, [{"sender": s} for s in sorted(set(senders)) if s])


def all_senders(conn: Connection) -> set[str]:
    query = (select(Message.from_addr).join(Submission, Submission.message_id == Message.id)
             .where(Submission.kind.in_(ASSEMBLED)).distinct())
    return set(conn.execute(query).scalars())


def load_series_info(conn: Connection, series_id: int) -> SeriesInfo | None:
    """A stored series as lineage sees it (for interdiff and checks)."""
    found = load_series_infos(conn, [series_id])
    return found[0] if found else None


def load_series_infos(conn: Connection, series_ids: list[int]) -> list[SeriesInfo]:
    """Stored series as lineage sees them, two queries per chunk of ids."""
    out = []
    for part in chunks(list(series_ids)):
        rows = conn.execute(select(Series).where(Series.id.in_(part))).all()
        query = (select(Submission.series_id, Submission.msgid, Submission.number, Submission.name,
                        Submission.patch_id, Submission.paths, Submission.lines, Message.from_addr,
                        Message.date)
                 .join(Message, Message.id == Submission.message_id)
                 .where(Submission.series_id.in_(part), Submission.kind.in_(PATCH_KINDS))
                 .order_by(Submission.number, Message.date))
        patches: dict[int, list[PatchInfo]] = defaultdict(list)
        for r in conn.execute(query):
            patches[r.series_id].append(PatchInfo(
                r.msgid, r.number or 1, r.name, r.from_addr, r.date, r.patch_id,
                frozenset(split_paths(r.paths)), unpack_lines(r.lines)))
        for row in rows:
            own = tuple(patches.get(row.id, ()))
            members = frozenset(p.msgid for p in own) | ({row.cover_msgid} if row.cover_msgid else set())
            out.append(SeriesInfo(row.id, row.name, row.sender, (row.version_major, row.version_minor),
                                  row.first_date, own, members))
    return out
