"""Registered git trees, their scanned commits, and applied detection.

``pipeline.trees`` reads a branch with git and caches each commit's
patch-id, files, changed-line hashes and named Message-IDs here
(``save_commits``); ``pipeline.applied`` matches patches against the
cached commits with the pure ``trees.applied`` and saves the matches here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, select

from ..model import PATCH_KINDS, PatchInfo
from .messages import as_utc, bulk_insert, chunks, insert_ignore, lookup
from .schema import AddressAlias, Applied, Commit, Message, Submission, SubmissionPath, Tree, TreeCommit
from .series import mark_dirty, pack_lines, split_paths, unpack_lines

BATCH = 2000


def has_trees(conn: Connection) -> bool:
    return conn.execute(select(Tree.id).limit(1)).first() is not None


def list_trees(conn: Connection) -> list:
    return conn.execute(select(Tree).order_by(Tree.name)).all()


def save_aliases(conn: Connection, tree: str, pairs: set[tuple[str, str]]) -> int:
    """Replace the tree's ``.mailmap`` pairs; mark dirty the senders of
    pairs that are new or gone.  Returns how many pairs changed."""
    source = f"mailmap:{tree}"
    old = {(a, b) for a, b in conn.execute(select(AddressAlias.addr, AddressAlias.alias)
                                            .where(AddressAlias.source == source))}
    if old == pairs:
        return 0
    conn.execute(delete(AddressAlias).where(AddressAlias.source == source))
    insert_ignore(conn, AddressAlias.__table__, [{"source": source, "addr": a, "alias": b} for a, b in sorted(pairs)])
    mark_dirty(conn, {a for pair in old ^ pairs for a in pair})
    return len(old ^ pairs)


def save_commits(conn: Connection, tree_id: int, batch: list, first: int) -> None:
    """Cache a batch of read commits and their places on the tree's branch."""
    insert_ignore(conn, Commit.__table__, [_commit_row(c) for c in batch])
    insert_ignore(conn, TreeCommit.__table__, [{"tree_id": tree_id, "sha": c.sha, "position": first + i}
                                               for i, c in enumerate(batch)])


def _commit_row(c) -> dict:
    return {"sha": c.sha, "author_name": c.author_name[:500], "author_email": c.author_email[:500],
            "date": c.date, "committed": c.committed, "subject": c.subject[:2000], "patch_id": c.patch_id,
            "paths": "\n".join(c.paths),
            "lines": pack_lines(c.lines), "msgids": " ".join(c.msgids)}


def cached_commits(conn: Connection, shas: list[str] | None = None):
    """The cached commits of registered trees (all, or ``shas``): (their
    ``PatchInfo``s with the sha as msgid, sha -> Message-IDs named,
    sha -> when committed, sha -> tree id)."""
    tree_of: dict[str, int] = {}
    for tree_id, sha in conn.execute(select(TreeCommit.tree_id, TreeCommit.sha).order_by(TreeCommit.tree_id)):
        tree_of.setdefault(sha, tree_id)
    infos, msgids, committed = [], {}, {}
    query = select(Commit.sha, Commit.author_email, Commit.date, Commit.committed, Commit.subject,
                   Commit.patch_id, Commit.paths, Commit.lines, Commit.msgids)
    rows = []
    if shas is None:
        rows = conn.execute(query).all()
    else:
        for part in chunks(shas):
            rows.extend(conn.execute(query.where(Commit.sha.in_(part))).all())
    for row in rows:
        if row.sha not in tree_of:
            continue
        committed[row.sha] = as_utc(row.committed or row.date)
        infos.append(PatchInfo(row.sha, 0, row.subject, row.author_email, as_utc(row.date), row.patch_id,
                               frozenset(split_paths(row.paths)), unpack_lines(row.lines)))
        if row.msgids:
            msgids[row.sha] = tuple(row.msgids.split())
    return infos, msgids, committed, tree_of


def patch_infos(conn: Connection, near: tuple[set[str], set[str], set[str]] | None = None,
                msgids: Iterable[str] | None = None) -> list[PatchInfo]:
    """Every assembled patch; or only those ``near`` some commits (touching
    one of the paths, with one of the patch-ids, or named by Message-ID);
    or the patches with these Message-IDs."""
    query = (select(Submission.msgid, Submission.number, Submission.name, Message.from_addr, Message.date,
                    Submission.patch_id, Submission.paths, Submission.lines)
             .join(Message, Message.id == Submission.message_id)
             .where(Submission.kind.in_(PATCH_KINDS), Submission.series_id.is_not(None)))
    rows = []
    if msgids is not None:
        for part in chunks(sorted(set(msgids))):
            rows.extend(conn.execute(query.where(Submission.msgid.in_(part))).all())
    elif near is None:
        rows = conn.execute(query).all()
    else:
        paths, patch_ids, named = near
        ids = {mid for _, mid in lookup(conn, SubmissionPath.path, paths, SubmissionPath.message_id)}
        ids |= {mid for _, mid in lookup(conn, Submission.patch_id, patch_ids, Submission.message_id)}
        ids |= {mid for _, mid in lookup(conn, Submission.msgid, named, Submission.message_id)}
        for part in chunks(sorted(ids)):
            rows.extend(conn.execute(query.where(Submission.message_id.in_(part))).all())
    return [PatchInfo(r.msgid, r.number or 1, r.name, r.from_addr, as_utc(r.date), r.patch_id,
                      frozenset(split_paths(r.paths)), unpack_lines(r.lines)) for r in rows]


def save_matches(conn: Connection, matches: list, tree_of: dict[str, int]) -> None:
    """Store ``trees.applied`` matches (each: msgid, sha, method, confidence, evidence)."""
    bulk_insert(conn, Applied.__table__, [
        {"msgid": m.msgid, "sha": m.sha, "tree_id": tree_of[m.sha], "method": m.method,
         "confidence": m.confidence, "evidence": m.evidence} for m in matches])


def stored_matches(conn: Connection, msgids: Iterable[str] | None = None) -> set[tuple[str, str, str]]:
    """(msgid, sha, method) of the stored matches (all, or of ``msgids``)."""
    query = select(Applied.msgid, Applied.sha, Applied.method)
    if msgids is None:
        return {tuple(r) for r in conn.execute(query)}
    return {tuple(r) for part in chunks(sorted(msgids)) for r in conn.execute(query.where(Applied.msgid.in_(part)))}


def drop_matches(conn: Connection, msgids: Iterable[str] | None = None) -> None:
    """Forget the matches of ``msgids`` (all, with None)."""
    if msgids is None:
        conn.execute(delete(Applied))
        return
    for part in chunks(sorted(msgids)):
        conn.execute(delete(Applied).where(Applied.msgid.in_(part)))


def applied_rows(conn: Connection, msgids: list[str]) -> dict[str, list[dict]]:
    """msgid -> the commits carrying it, with tree name, method and evidence."""
    names = {tid: name for tid, name in conn.execute(select(Tree.id, Tree.name))}
    out: dict[str, list[dict]] = {}
    query = (select(Applied.msgid, Applied.sha, Applied.tree_id, Applied.method, Applied.confidence,
                    Applied.evidence, Commit.date, Commit.subject)
             .join(Commit, Commit.sha == Applied.sha, isouter=True))
    for part in chunks(msgids):
        for r in conn.execute(query.where(Applied.msgid.in_(part))):
            out.setdefault(r.msgid, []).append({
                "tree": names.get(r.tree_id, ""), "commit": r.sha, "method": r.method,
                "confidence": r.confidence, "evidence": r.evidence, "date": as_utc(r.date) if r.date else None,
                "subject": r.subject or ""})
    return out

