"""Which stored patches the scanned commits carry (applied detection).

The pure ``trees.applied`` compares patches with commits; here the store's
cached commits and patches are loaded for it, and the matches saved.  The
threads whose patches gained or lost a match are queued for review, which
turns a match into the ``accepted`` state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Connection

from ..store import trees as store
from ..store.threads import mark_roots
from ..trees.applied import METHODS, CommitIndex, find_applied, proposals

#: A commit index with its sha -> tree id map, as ``commit_index`` returns it.
Indexed = tuple[CommitIndex, dict[str, int]]


def commit_index(conn: Connection, shas: list[str] | None = None) -> Indexed:
    """The cached commits of registered trees (all, or ``shas``), indexed;
    and sha -> tree id."""
    infos, msgids, committed, tree_of = store.cached_commits(conn, shas)
    return CommitIndex(infos, msgids, committed), tree_of


def _near(index: CommitIndex) -> tuple[set[str], set[str], set[str]]:
    return set(index.by_path), set(index.by_patch_id), set(index.by_msgid)


def add_applied(conn: Connection, shas: list[str]) -> int:
    """Match new commits only (an incremental scan): the patches that could
    be in them are compared with them, and a patch keeps an earlier match
    unless the new one is by a stronger method."""
    if not shas:
        return 0
    index, tree_of = commit_index(conn, shas)
    matches = find_applied(store.patch_infos(conn, _near(index)), index)
    existing = {m: meth for m, _, meth in store.stored_matches(conn)}
    better = [m for m in matches
              if m.msgid not in existing or METHODS.index(m.method) < METHODS.index(existing[m.msgid])]
    store.drop_matches(conn, [m.msgid for m in better])
    store.save_matches(conn, better, tree_of)
    mark_roots(conn, {m.msgid for m in better})
    return len(better)


def match_patches(conn: Connection, msgids: Iterable[str], cached: Indexed | None = None) -> int:
    """Match newly stored patches against the scanned commits; return how
    many matches changed.

    Only the new patches and their rivals are judged: the patches now
    holding a commit one of them could be, and transitively the holders of
    what those could be, so that each commit still goes to one patch
    exactly as a full ``update_applied`` would decide.  ``cached`` is a
    commit index a long-running process keeps between messages."""
    index, tree_of = cached or commit_index(conn)
    group = {p.msgid: p for p in store.patch_infos(conn, msgids=msgids)}
    if not index.commits or not group:
        return 0
    holder = {sha: m for m, sha, _ in store.stored_matches(conn)}
    judged = set(group)  # patches whose matches are recomputed (a vanished one loses its match)
    while True:
        shas = {m.sha for m, _, _ in proposals(group.values(), index)}
        rivals = {holder[sha] for sha in shas if sha in holder} - judged
        if not rivals:
            break
        judged |= rivals
        group.update((p.msgid, p) for p in store.patch_infos(conn, msgids=rivals))
    matches = find_applied(group.values(), index)
    before = store.stored_matches(conn, judged)
    after = {(m.msgid, m.sha, m.method) for m in matches}
    if before == after:
        return 0
    store.drop_matches(conn, judged)
    store.save_matches(conn, matches, tree_of)
    mark_roots(conn, {m for m, _, _ in before ^ after})
    return len(before ^ after)


def matcher() -> Callable[[Connection, set[str]], None]:
    """A ``placed`` hook for ``refresh_dirty``: patches newly placed in a
    series are matched against the trees in the same transaction, so a
    killed ingest cannot leave them unmatched.  The commit index is read
    once per run (the commits do not change while mail is read)."""
    cached: list[Indexed | None] = []

    def placed(conn: Connection, msgids: set[str]) -> None:
        if not msgids:
            return
        if not cached:
            cached.append(commit_index(conn) if store.has_trees(conn) else None)
        if cached[0] is not None:
            match_patches(conn, msgids, cached[0])
    return placed


def update_applied(conn: Connection, methods: tuple[str, ...] = METHODS) -> int:
    """Match every patch against every scanned commit; return matches.
    Threads whose patches gained or lost a match are queued for review."""
    index, tree_of = commit_index(conn)
    matches = find_applied(store.patch_infos(conn), index, methods=methods) if index.commits else []
    before = store.stored_matches(conn)
    after = {(m.msgid, m.sha, m.method) for m in matches}
    store.drop_matches(conn)
    store.save_matches(conn, matches, tree_of)
    mark_roots(conn, {m for m, _, _ in before ^ after})
    return len(matches)
