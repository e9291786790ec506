"""Registering and scanning git trees: git is read here, the store keeps it.

A scan reads only the commits since the last scanned head (when the branch
moved forward; a rewritten branch is read again whole), caches them in
batches of one transaction each, then matches them against the patches
(``pipeline.applied``) and saves the head in the matching transaction.  A
changed ``.mailmap`` joins persons: their series are linked again at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, delete, select, update

from ..store import trees as store
from ..store.retry import xact_lock
from ..store.schema import Tree, TreeCommit
from ..trees.gitlog import GitError, commits, is_ancestor, mailmap, resolve, start_point
from ..versions.identity import mailmap_aliases
from .applied import add_applied, update_applied
from .series import refresh_dirty

BATCH = 2000


class TreeError(Exception):
    """A tree cannot be registered or read; the message says why."""


def add_tree(conn: Connection, name: str, path: Path, branch: str, *, since: str = "", public: str = "") -> int:
    if conn.execute(select(Tree.id).where(Tree.name == name)).scalar() is not None:
        raise TreeError(f"a tree named {name!r} is already registered")
    try:
        head = resolve(path, branch)
    except GitError as exc:
        raise TreeError(f"{path}: no branch {branch!r} ({exc})") from None
    if not head:
        raise TreeError(f"{path}: no branch {branch!r}")
    _check_since(path, since)
    return conn.execute(Tree.__table__.insert().values(
        name=name, path=str(path.absolute()), branch=branch, head="", since=since.strip(),
        public=_one_line(public))).inserted_primary_key[0]


def configure_tree(conn: Connection, name: str, *, since: str | None = None, public: str | None = None) -> None:
    """Change where a first (full) scan starts, or what a thank-you names.
    A new ``since`` takes effect at the next full read (``tree scan --full``)."""
    tree = conn.execute(select(Tree.id, Tree.path).where(Tree.name == name)).first()
    if tree is None:
        raise TreeError(f"no tree named {name!r}")
    values: dict[str, str] = {}
    if since is not None:
        _check_since(Path(tree.path), since)
        values["since"] = since.strip()
    if public is not None:
        values["public"] = _one_line(public)
    if values:
        conn.execute(update(Tree).where(Tree.id == tree.id).values(**values))


def _check_since(path: Path, since: str) -> None:
    try:
        start_point(path, since)
    except ValueError as exc:
        raise TreeError(str(exc)) from None


def _one_line(text: str) -> str:
    """A public branch goes into mail bodies: one line, no control characters."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:300]


#: Up to this many new commits, only they are matched (not the whole history).
INCREMENTAL = 500


def scan_tree(engine, name: str, progress: Callable[[int], None] | None = None, *,
              total: Callable[[int], None] | None = None, full: bool = False) -> dict:
    """Read the commits ``name``'s branch gained since the last scan and
    match them: the new ones alone, or everything after a full read.  The
    head is saved in the matching transaction, so a scan killed before it
    reads those commits again next time instead of never matching them;
    a full read forgets the old head as it clears the old commits.
    Matching holds the "applied" lock, so trees scanned side by side by
    workers do not judge the same patches' rivals at once.  A full read
    starts after the tree's ``since`` (a date or a revision) when it has one;
    ``full`` forces one; ``total`` hears how many commits will be read."""
    with engine.connect() as conn:
        tree = conn.execute(select(Tree).where(Tree.name == name)).first()
    if tree is None:
        raise TreeError(f"no tree named {name!r}")
    repo = Path(tree.path)
    try:
        head = resolve(repo, tree.branch)
    except GitError as exc:
        raise TreeError(f"tree {name}: {exc}") from None
    since = tree.head if tree.head and tree.head != head and is_ancestor(repo, tree.head, head) else None
    if full:
        since = None
    start, after = "", ""
    if since is None:
        try:
            start, after = start_point(repo, tree.since)
        except ValueError as exc:
            raise TreeError(f"tree {name}: {exc}") from None
    if tree.head == head and not full:
        with engine.begin() as conn:
            aliases = store.save_aliases(conn, name, set(mailmap_aliases(mailmap(repo, head))))
        if aliases:
            refresh_dirty(engine)
        return {"tree": name, "new_commits": 0, "head": head, "full": False, "shas": [], "matched": 0,
                "aliases": aliases}
    with engine.begin() as conn:
        position = 0
        if since is None:  # first scan, or the branch was rewritten: read it whole
            conn.execute(delete(TreeCommit).where(TreeCommit.tree_id == tree.id))
            # no head until the new reading is complete: a scan killed in between must not find the
            # old head still "scanned" (with the branch back there, it returned having read nothing)
            conn.execute(update(Tree).where(Tree.id == tree.id).values(head=""))
        else:
            position = len(conn.execute(select(TreeCommit.sha).where(TreeCommit.tree_id == tree.id)).all())
    count = 0
    batch: list = []
    new_shas: list[str] = []

    def flush() -> None:
        nonlocal batch
        with engine.begin() as conn:
            store.save_commits(conn, tree.id, batch, position + count - len(batch))
        batch = []
        if progress:
            progress(count)

    try:
        for commit in commits(repo, head, since or start or None, after=after, total=total):
            batch.append(commit)
            new_shas.append(commit.sha)
            count += 1
            if len(batch) >= BATCH:
                flush()
    except GitError as exc:
        raise TreeError(f"tree {name}: {exc}") from None
    if batch:
        flush()
    with engine.begin() as conn:  # matched and marked scanned together: a kill cannot leave commits unmatched
        xact_lock(conn, "applied")  # scans of other trees, in other workers, match one at a time
        if since is None or len(new_shas) > INCREMENTAL:
            matched = update_applied(conn)
        else:
            matched = add_applied(conn, new_shas)
        conn.execute(update(Tree).where(Tree.id == tree.id).values(head=head, scanned_at=datetime.now(timezone.utc)))
        aliases = store.save_aliases(conn, name, set(mailmap_aliases(mailmap(repo, head))))
    if aliases:
        refresh_dirty(engine)  # the persons it joins are linked again now
    return {"tree": name, "new_commits": count, "head": head, "full": since is None, "shas": new_shas,
            "matched": matched, "aliases": aliases}


