"""Series, lineage links and patch states in the store, kept incremental.

Ingest marks the senders of new submissions dirty in the batch's own
transaction; ``refresh_dirty`` then recomputes their series once per run
(not once per batch), and a run killed in between leaves the dirty list
for the next run to finish.

Series membership depends only on one sender's submissions (a series is
one person's send), and version links only join series of one sender.  So
when new submissions arrive, everything of their senders is loaded,
re-assembled and re-linked with the pure stages, and written back; the
rest of the archive is not touched.  Related links (other senders) are
found through the files the new series touch.

Series ids stay stable: a recomputed series keeps the id of the stored
series with the same anchor, else of the one it shares most messages with.
"""

from __future__ import annotations

import json
from array import array
from datetime import datetime, timezone
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy import Connection, bindparam, delete, select, update

from ..series.assemble import PATCH_KINDS, SeriesDraft, Submission as Draftable, assemble
from ..versions.identity import credited, name_key, people
from ..model import PatchInfo, SeriesInfo
from ..versions.lineage import Lineage, link_series
from .messages import bulk_insert, chunks, insert_ignore, lookup
from .retry import claim, transaction
from .threads import mark_roots
from .schema import (AddressAlias, DirtySender, Message, PatchLink, SenderName, Series, SeriesLink, Submission,
                     SubmissionPath, ThreadNode)

ASSEMBLED = ("patch", "cover", "pull")


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


def _load(conn: Connection, senders: set[str]):
    """Every assembled submission of ``senders`` with thread parent and date."""
    query = (select(*Submission.__table__.columns, Message.date, Message.from_addr,
                    Message.from_name, ThreadNode.parent)
             .join(Message, Message.id == Submission.message_id)
             .join(ThreadNode, ThreadNode.msgid == Submission.msgid, isouter=True)
             .where(Submission.kind.in_(ASSEMBLED)))
    rows = []
    for part in chunks(sorted(senders), 500):
        rows.extend(conn.execute(query.where(Message.from_addr.in_(part))).all())
    return rows


#: How far a person's addresses are followed (a name, its addresses, their names...).
_IDENTITY_ROUNDS = 3


def aliases_of(conn: Connection, addresses: set[str]) -> set[tuple[str, str]]:
    """The ``.mailmap`` pairs (``address_aliases``) naming any of ``addresses``."""
    found = set(lookup(conn, AddressAlias.addr, addresses, AddressAlias.alias))
    found |= {(a, b) for b, a in lookup(conn, AddressAlias.alias, addresses, AddressAlias.addr)}
    return found


#: At most this many credited authors are followed per round (a backport
#: carries a long Signed-off-by chain).
_CREDITS_FOLLOWED = 50


def _handed_over(rows) -> set[str]:
    """Authors credited by later versions (v2 and up) besides their sender:
    whose earlier series a hand-over continues."""
    found: set[str] = set()
    for row in rows:
        if row.version_major >= 2 and row.kind == "patch" and row.trailers not in ("", "[]"):
            found |= credited(json.loads(row.trailers), row.from_addr)
            if len(found) >= _CREDITS_FOLLOWED:
                break
    return set(sorted(found)[:_CREDITS_FOLLOWED])


def _with_other_addresses(conn: Connection, senders: set[str],
                          rows: list) -> tuple[set[str], list, set[tuple[str, str]]]:
    """Add the submissions of every other address of the same person as
    ``senders``: posting under the same full display name, or tied to one by
    a registered tree's ``.mailmap`` (``versions.identity``): a person's
    series are linked together, whichever address sent them.  Also returns
    the ``.mailmap`` pairs found, for ``identity.people``."""
    fresh = rows
    aliases: set[tuple[str, str]] = set()
    for _ in range(_IDENTITY_ROUNDS):
        pairs = {(row.from_addr, key) for row in fresh if (key := name_key(row.from_name))}
        insert_ignore(conn, SenderName.__table__, [{"sender": a, "name_key": k} for a, k in sorted(pairs)])
        others = {a for _, a in lookup(conn, SenderName.name_key, {k for _, k in pairs}, SenderName.sender)}
        mapped = aliases_of(conn, {row.from_addr for row in fresh})
        aliases |= mapped
        others |= {a for pair in mapped for a in pair}
        others |= _handed_over(fresh)
        others -= senders
        if not others:
            break
        senders = senders | others
        # recomputed here: taken out of the outbox first, as claim() takes its own (a
        # person with many addresses is then done once per refresh, not once per chunk)
        for part in chunks(sorted(others), 500):
            conn.execute(delete(DirtySender).where(DirtySender.sender.in_(part)))
        fresh = _load(conn, others)
        rows = rows + fresh
    return senders, rows, aliases


def _drafts(rows) -> tuple[list[SeriesDraft], dict[str, tuple]]:
    subs, info = [], {}
    for sub in rows:
        date, addr, name, parent = sub.date, sub.from_addr, sub.from_name, sub.parent
        if date is None:
            continue
        subs.append(Draftable(sub.msgid, parent, date, addr, sub.kind, sub.name,
                              (sub.version_major, sub.version_minor), sub.counter, sub.total,
                              sub.rfc, sub.resend))
        info[sub.msgid] = (sub, date, name, parent)
    return assemble(subs), info


def _match_ids(conn: Connection, senders: set[str], drafts: list[SeriesDraft]) -> dict[int, int]:
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


def _series_row(draft: SeriesDraft, info: dict[str, tuple]) -> dict:
    cover = draft.cover
    first = draft.members[0]
    return {
        "anchor": draft.anchor, "name": draft.name,
        "version_major": draft.version[0], "version_minor": draft.version[1],
        "sender": draft.sender, "submitter": info[first.msgid][2] or draft.sender,
        "cover_msgid": cover.msgid if cover else None, "total": draft.total,
        "complete": not draft.missing, "missing": json.dumps(draft.missing),
        "extra": json.dumps(draft.extra), "rfc": any(m.rfc for m in draft.members),
        "first_date": draft.first_date, "last_date": max(m.date for m in draft.members),
        "state": "new",
    }


def _write_series(conn: Connection, senders: set[str], drafts, info) -> dict[int, int]:
    """Store drafts; return draft index -> series id.  Unchanged rows are
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
        row = _series_row(draft, info)
        if i in matched:
            ids[i] = matched[i]
            old = current.get(matched[i], {})
            if any(_differs(old.get(k), v) for k, v in row.items() if k != "state"):
                changed.append({**row, "_id": matched[i]})
        else:
            fresh[i] = row
    ids.update(_insert_series(conn, fresh, set(_series_of(conn, senders))))
    if changed:
        conn.execute(update(Series).where(Series.id == bindparam("_id"))
                     .values({k: bindparam(k) for k in changed[0] if k != "_id"}), changed)
    keep = set(ids.values())
    stale = [sid for sid in _series_of(conn, senders) if sid not in keep]
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


def _series_of(conn: Connection, senders: set[str]) -> list[int]:
    out = []
    for part in chunks(sorted(senders), 500):
        out.extend(conn.execute(select(Series.id).where(Series.sender.in_(part))).scalars())
    return out


def _unlink(conn: Connection, recomputed: list[int], stale: list[int]) -> None:
    """Drop every link touching these series: they are all recomputed
    (related links against the neighbours that share their files)."""
    for part in chunks(recomputed + stale):
        conn.execute(delete(SeriesLink).where(SeriesLink.newer_id.in_(part) | SeriesLink.older_id.in_(part)))


#: A path touched by more submissions than this (MAINTAINERS, Makefile)
#: says nothing about two series doing the same work.
_COMMON_PATH = 50
_MAX_NEIGHBOURS = 300


def _neighbours(conn: Connection, infos: list[SeriesInfo]) -> list[SeriesInfo]:
    """Other senders' series touching the same (not too common) files."""
    paths = set()
    for s in infos:
        for p in s.patches:
            paths.update(p.paths)
    by_path: dict[str, list[int]] = defaultdict(list)
    for path, message_id in lookup(conn, SubmissionPath.path, paths, SubmissionPath.message_id):
        by_path[path].append(message_id)
    messages = {m for ids in by_path.values() if len(ids) <= _COMMON_PATH for m in ids}
    own = {s.key for s in infos}
    series_ids = {sid for _, sid in lookup(conn, Submission.message_id, messages, Submission.series_id)
                  if sid is not None and sid not in own}
    return load_series_infos(conn, sorted(series_ids, reverse=True)[:_MAX_NEIGHBOURS])


def _info(drafts, ids, info, aliases: Iterable[tuple[str, str]] = ()) -> list[SeriesInfo]:
    person = people(((sub.from_addr, name) for sub, _, name, _ in info.values()), aliases)
    out = []
    for i, draft in enumerate(drafts):
        members = frozenset(m.msgid for m in draft.members)
        patches, mentions, change_ids, supersedes, replies_to = [], set(), set(), set(), set()
        for number, member in draft.patches:
            sub = info[member.msgid][0]
            patches.append(PatchInfo(member.msgid, number, member.name, member.sender, member.date,
                                     sub.patch_id, frozenset(split_paths(sub.paths)),
                                     unpack_lines(sub.lines)))
        for member in draft.members:
            sub, _, _, parent = info[member.msgid]
            meta = json.loads(sub.meta or "{}")
            change_ids.update(meta.get("change-id", ()))
            supersedes.update(v.strip("<>") for v in meta.get("supersedes", ()))
            mentions.update(sub.mentions.split())
            if parent and parent not in members:
                replies_to.add(parent)
        own = person.get(draft.sender, draft.sender)
        credits = set()
        if draft.version[0] >= 2:
            for _, member in draft.patches:
                sub = info[member.msgid][0]
                credits |= {person.get(a, a) for a in credited(json.loads(sub.trailers or "[]"), draft.sender)}
        out.append(SeriesInfo(ids[i], draft.name, draft.sender, draft.version, draft.first_date,
                              tuple(patches), members, frozenset(replies_to), frozenset(mentions),
                              frozenset(change_ids), frozenset(supersedes),
                              person=own, credits=frozenset(credits - {own})))
    return out


def _write_links(conn: Connection, lineage: Lineage, msgids: set[str]) -> None:
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


def _states(conn: Connection, infos: list[SeriesInfo], lineage: Lineage) -> dict[str, str]:
    """``superseded`` for patches with a successor and series with a full
    next version: the lineage half of the state (the review stage decides
    the final ``state`` from it and the replies)."""
    replaced = {link.older for link in lineage.patches if link.kind in ("version", "split", "merge")}
    by_key = {s.key: s for s in infos}
    done = set()
    for link in lineage.series:
        if link.kind != "version":
            continue
        old, new = by_key[link.older], by_key[link.newer]
        if new.version[1] == 0 or len(new.patches) >= len(old.patches):
            done.add(old.key)
    series_rows = [{"k": s.key, "st": "superseded" if s.key in done else "new"} for s in infos]
    patch_rows = [{"m": p.msgid, "st": "superseded" if (p.msgid in replaced or s.key in done) else "new"}
                  for s in infos for p in s.patches]
    if series_rows:
        conn.execute(update(Series).where(Series.id == bindparam("k")).values(lineage_state=bindparam("st")),
                     series_rows)
    if patch_rows:
        conn.execute(update(Submission).where(Submission.msgid == bindparam("m"))
                     .values(lineage_state=bindparam("st")), patch_rows)
    return {row["m"]: row["st"] for row in patch_rows}


def _old_links(conn: Connection, series_ids: list[int], msgids: set[str]) -> tuple[set, set]:
    """The stored links touching these series and messages, before they are
    recomputed, to tell afterwards which of them changed."""
    series_links = {(o, n, k) for part in chunks(series_ids) for o, n, k in conn.execute(
        select(SeriesLink.older_id, SeriesLink.newer_id, SeriesLink.kind)
        .where(SeriesLink.older_id.in_(part) | SeriesLink.newer_id.in_(part)))}
    patch_links = {(o, n, k) for part in chunks(sorted(msgids)) for o, n, k in conn.execute(
        select(PatchLink.older_msgid, PatchLink.newer_msgid, PatchLink.kind)
        .where(PatchLink.older_msgid.in_(part) | PatchLink.newer_msgid.in_(part)))}
    return series_links, patch_links


def _changed(info: dict[str, tuple], drafts, ids: dict[int, int], states: dict[str, str],
             infos: list[SeriesInfo], lineage: Lineage, old: tuple[set, set]) -> set[str]:
    """Messages whose review may differ now: moved to another series or
    position, another lineage state, or a version/split/related link gained
    or lost (at either end).  Only their threads are judged again, not a
    prolific sender's whole history."""
    after = {m.msgid: (ids[i], n) for i, d in enumerate(drafts) for n, m in d.patches}
    after.update({d.cover.msgid: (ids[i], 0) for i, d in enumerate(drafts) if d.cover})
    changed = {msgid for msgid, (sub, *_) in info.items()
               if (sub.series_id, sub.number, sub.lineage_state)
               != (*after.get(msgid, (None, None)), states.get(msgid, sub.lineage_state))}
    old_series, old_patches = old
    new_series = {(link.older, link.newer, link.kind) for link in lineage.series}
    new_patches = {(link.older, link.newer, link.kind) for link in lineage.patches}
    for older, newer, _ in old_patches ^ new_patches:
        changed.update((older, newer))
    members = {s.key: s.members for s in infos}
    for older, newer, _ in old_series ^ new_series:
        changed.update(members.get(older, ()))
        changed.update(members.get(newer, ()))
    return changed


#: called with the patches a refresh placed in a series for the first time,
#: in the same transaction (git trees match them: see ``store.trees.matcher``)
Placed = Callable[[Connection, set[str]], None]


def update_series(conn: Connection, senders: set[str], placed: Placed | None = None) -> int:
    """Re-assemble and re-link everything of ``senders``; return series count."""
    senders = {s for s in senders if s}
    if not senders:
        return 0
    senders, rows, aliases = _with_other_addresses(conn, senders, _load(conn, senders))
    drafts, info = _drafts(rows)
    old = _old_links(conn, _series_of(conn, senders), set(info))
    ids = _write_series(conn, senders, drafts, info)
    infos = _info(drafts, ids, info, aliases)
    neighbours = _neighbours(conn, infos)
    lineage = link_series(infos, neighbours=neighbours)
    _write_links(conn, lineage, set(info))
    states = _states(conn, infos, lineage)
    mark_roots(conn, _changed(info, drafts, ids, states, infos + neighbours, lineage, old))
    if placed is not None:
        placed(conn, {m.msgid for d in drafts for _, m in d.patches if info[m.msgid][0].series_id is None})
    return len(drafts)


def insert_submissions(conn: Connection, rows: list[dict]) -> None:
    """Store submission rows (with ``message_id``) and the files they touch."""
    paths = [{"path": path, "message_id": row["message_id"]}
             for row in rows for path in split_paths(row["paths"])]
    bulk_insert(conn, Submission.__table__, rows)
    bulk_insert(conn, SubmissionPath.__table__, paths)


def mark_dirty(conn: Connection, senders: Iterable[str]) -> None:
    insert_ignore(conn, DirtySender.__table__, [{"sender": s} for s in sorted(set(senders)) if s])


def refresh_dirty(engine, chunk: int = 50, placed: Placed | None = None) -> int:
    """Recompute series for every dirty sender, a chunk per transaction.

    Each chunk is claimed out of the outbox in its own transaction, so
    several processes (series jobs, a live ingest) can empty it together,
    and a sender marked again meanwhile stays marked (``retry.claim``)."""
    def one(conn) -> int | None:
        senders = set(claim(conn, DirtySender.sender, chunk))
        return update_series(conn, senders, placed) if senders else None

    total = 0
    while (done := transaction(engine, one)) is not None:
        total += done
    return total


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
