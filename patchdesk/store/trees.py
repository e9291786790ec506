"""Registered git trees, their scanned commits, and applied detection.

``pipeline.trees`` reads a branch with git and caches each commit's
patch-id, files, changed-line hashes and named Message-IDs here
(``save_commits``).  Detection then matches every patch against every
cached commit with the pure ``trees.applied`` and queues the threads whose
patches changed for the review stage, which turns a match into the
``accepted`` state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Connection, delete, select

from ..model import PATCH_KINDS
from ..trees.applied import METHODS, CommitIndex, find_applied, proposals
from ..versions.identity import mailmap_aliases
from ..model import PatchInfo
from .messages import as_utc, bulk_insert, chunks, insert_ignore, lookup
from .schema import AddressAlias, Applied, Commit, Message, Submission, SubmissionPath, Tree, TreeCommit
from .series import mark_dirty, pack_lines, split_paths, unpack_lines
from .threads import mark_roots

BATCH = 2000


def has_trees(conn: Connection) -> bool:
    return conn.execute(select(Tree.id).limit(1)).first() is not None


def list_trees(conn: Connection) -> list:
    return conn.execute(select(Tree).order_by(Tree.name)).all()


def save_mailmap(conn: Connection, tree: str, text: str) -> int:
    """Replace the tree's ``.mailmap`` pairs; mark dirty the senders of
    pairs that are new or gone.  Returns how many pairs changed."""
    source = f"mailmap:{tree}"
    old = {(a, b) for a, b in conn.execute(select(AddressAlias.addr, AddressAlias.alias)
                                            .where(AddressAlias.source == source))}
    new = set(mailmap_aliases(text))
    if old == new:
        return 0
    conn.execute(delete(AddressAlias).where(AddressAlias.source == source))
    insert_ignore(conn, AddressAlias.__table__, [{"source": source, "addr": a, "alias": b} for a, b in sorted(new)])
    mark_dirty(conn, {a for pair in old ^ new for a in pair})
    return len(old ^ new)


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


def commit_index(conn: Connection, shas: list[str] | None = None) -> tuple[CommitIndex, dict[str, int]]:
    """The cached commits of registered trees (all, or ``shas``), indexed;
    and sha -> tree id."""
    tree_of = {}
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
    return CommitIndex(infos, msgids, committed), tree_of


def _patches(conn: Connection, index: CommitIndex | None = None,
             msgids: Iterable[str] | None = None) -> list[PatchInfo]:
    """Every assembled patch; or, given a few commits, only the patches that
    could match them (same patch-id, named by a Link:, or same files); or
    the patches with these Message-IDs."""
    query = (select(Submission.msgid, Submission.number, Submission.name, Message.from_addr, Message.date,
                    Submission.patch_id, Submission.paths, Submission.lines)
             .join(Message, Message.id == Submission.message_id)
             .where(Submission.kind.in_(PATCH_KINDS), Submission.series_id.is_not(None)))
    rows = []
    if msgids is not None:
        for part in chunks(sorted(set(msgids))):
            rows.extend(conn.execute(query.where(Submission.msgid.in_(part))).all())
    elif index is None:
        rows = conn.execute(query).all()
    else:
        ids = {mid for _, mid in lookup(conn, SubmissionPath.path, set(index.by_path), SubmissionPath.message_id)}
        ids |= {mid for _, mid in lookup(conn, Submission.patch_id, set(index.by_patch_id), Submission.message_id)}
        ids |= {mid for _, mid in lookup(conn, Submission.msgid, set(index.by_msgid), Submission.message_id)}
        for part in chunks(sorted(ids)):
            rows.extend(conn.execute(query.where(Submission.message_id.in_(part))).all())
    return [PatchInfo(r.msgid, r.number or 1, r.name, r.from_addr, as_utc(r.date), r.patch_id,
                      frozenset(split_paths(r.paths)), unpack_lines(r.lines)) for r in rows]


def _insert_matches(conn: Connection, matches: list, tree_of: dict[str, int]) -> None:
    bulk_insert(conn, Applied.__table__, [
        {"msgid": m.msgid, "sha": m.sha, "tree_id": tree_of[m.sha], "method": m.method,
         "confidence": m.confidence, "evidence": m.evidence} for m in matches])


def add_applied(conn: Connection, shas: list[str]) -> int:
    """Match new commits only (an incremental scan): the patches that could
    be in them are compared with them, and a patch keeps an earlier match
    unless the new one is by a stronger method."""
    if not shas:
        return 0
    index, tree_of = commit_index(conn, shas)
    matches = find_applied(_patches(conn, index), index)
    existing = {m: meth for m, meth in conn.execute(select(Applied.msgid, Applied.method))}
    better = [m for m in matches
              if m.msgid not in existing or METHODS.index(m.method) < METHODS.index(existing[m.msgid])]
    for part in chunks([m.msgid for m in better]):
        conn.execute(delete(Applied).where(Applied.msgid.in_(part)))
    _insert_matches(conn, better, tree_of)
    mark_roots(conn, {m.msgid for m in better})
    return len(better)


def match_patches(conn: Connection, msgids: Iterable[str],
                  cached: tuple[CommitIndex, dict[str, int]] | None = None) -> int:
    """Match newly stored patches against the scanned commits; return how
    many matches changed.

    Only the new patches and their rivals are judged: the patches now
    holding a commit one of them could be, and transitively the holders of
    what those could be, so that each commit still goes to one patch
    exactly as a full ``update_applied`` would decide.  ``cached`` is a
    commit index a long-running process keeps between messages."""
    index, tree_of = cached or commit_index(conn)
    group = {p.msgid: p for p in _patches(conn, msgids=msgids)}
    if not index.commits or not group:
        return 0
    holder = {sha: m for m, sha in conn.execute(select(Applied.msgid, Applied.sha))}
    judged = set(group)  # patches whose matches are recomputed (a vanished one loses its match)
    while True:
        shas = {m.sha for m, _, _ in proposals(group.values(), index)}
        rivals = {holder[sha] for sha in shas if sha in holder} - judged
        if not rivals:
            break
        judged |= rivals
        group.update((p.msgid, p) for p in _patches(conn, msgids=rivals))
    matches = find_applied(group.values(), index)
    before = {(m, s, meth) for part in chunks(sorted(judged)) for m, s, meth in conn.execute(
        select(Applied.msgid, Applied.sha, Applied.method).where(Applied.msgid.in_(part)))}
    after = {(m.msgid, m.sha, m.method) for m in matches}
    if before == after:
        return 0
    for part in chunks(sorted(judged)):
        conn.execute(delete(Applied).where(Applied.msgid.in_(part)))
    _insert_matches(conn, matches, tree_of)
    mark_roots(conn, {m for m, _, _ in before ^ after})
    return len(before ^ after)


def matcher() -> Callable[[Connection, set[str]], None]:
    """A ``placed`` hook for ``refresh_dirty``: patches newly placed in a
    series are matched against the trees in the same transaction, so a
    killed ingest cannot leave them unmatched.  The commit index is read
    once per run (the commits do not change while mail is read)."""
    cached: list = []

    def placed(conn: Connection, msgids: set[str]) -> None:
        if not msgids:
            return
        if not cached:
            cached.append(commit_index(conn) if has_trees(conn) else None)
        if cached[0] is not None:
            match_patches(conn, msgids, cached[0])
    return placed


def update_applied(conn: Connection, methods: tuple[str, ...] = METHODS) -> int:
    """Match every patch against every scanned commit; return matches.
    Threads whose patches gained or lost a match are queued for review."""
    index, tree_of = commit_index(conn)
    matches = find_applied(_patches(conn), index, methods=methods) if index.commits else []
    before = {(m, s, meth) for m, s, meth in conn.execute(select(Applied.msgid, Applied.sha, Applied.method))}
    after = {(m.msgid, m.sha, m.method) for m in matches}
    conn.execute(delete(Applied))
    _insert_matches(conn, matches, tree_of)
    mark_roots(conn, {m for m, _, _ in before ^ after})
    return len(matches)


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

