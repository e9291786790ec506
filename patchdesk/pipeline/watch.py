"""Following registered sources and trees by polling.

Every path ever ingested is a registered source (the ``sources`` table);
``patchdesk watch`` follows those, and any paths it is given.  One poll:

* a public-inbox inbox: ``git fetch`` each epoch that has a remote (a
  clone of lore), then read the new commits only (the source's cursor);
* a Maildir: the files whose unique name was not seen yet (the name
  before ``:2,``, which stays when a mail user agent moves a file from
  ``new/`` to ``cur/``); the first poll reads everything, recognised by
  hash and not stored twice;
* an mbox: the bytes appended since the cursor;
* every registered tree whose branch head moved: the new commits are
  scanned and matched (``pipeline.trees.scan_tree``).

New mail goes through the live desk, which settles series, lineage,
matches and review once for everything a poll found.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..sources import SourceError
from ..sources.files import MAILDIR_PARTS, is_maildir
from ..sources.publicinbox import epochs_of, is_public_inbox
from ..store import messages as store
from ..store.schema import Source, Tree
from .trees import TreeError, scan_tree
from ..trees.gitlog import GitError, resolve
from .ingest import ingest
from .live import LiveDesk

log = logging.getLogger(__name__)


def fetch_epochs(path: Path, timeout: float = 300) -> int:
    """``git fetch`` every epoch of an inbox that has a remote; return how
    many were fetched.  Argument lists only, never a shell."""
    fetched = 0
    for epoch in epochs_of(path):
        remotes = subprocess.run(["git", "-C", str(epoch), "remote"], capture_output=True, text=True)
        if remotes.returncode != 0 or not remotes.stdout.split():
            continue
        done = subprocess.run(["git", "-C", str(epoch), "fetch", "--quiet", "--end-of-options",
                               remotes.stdout.split()[0]], capture_output=True, timeout=timeout)
        if done.returncode == 0:
            fetched += 1
        else:
            log.warning("git fetch in %s failed: %s", epoch, done.stderr.decode(errors="replace")[-500:])
    return fetched


@dataclass
class PollResult:
    stored: int = 0
    known: int = 0
    quarantined: int = 0
    commits: int = 0
    errors: list[str] = field(default_factory=list)


class Watcher:
    """One poll at a time over the registered sources and trees."""

    def __init__(self, desk: LiveDesk, paths: list[Path], list_name: str | None = None,
                 fetch: bool = True, trees: bool = True) -> None:
        self.desk = desk
        self.engine = desk.engine
        self.list_name = list_name
        self.fetch = fetch
        self.follow_trees = trees
        self.seen: dict[Path, set[str]] = {}
        with self.engine.begin() as conn:  # registered: a later watch follows them too
            for path in paths:
                store.ensure_source(conn, "path", str(path.resolve()))

    def sources(self) -> dict[Path, int]:
        """Every registered path source, with its id."""
        with self.engine.connect() as conn:
            return {Path(loc): sid for sid, loc in conn.execute(
                select(Source.id, Source.location).where(Source.kind == "path").order_by(Source.id))}

    def _maildir(self, path: Path, source_id: int, result: PollResult) -> None:
        seen = self.seen.setdefault(path, set())
        for part in MAILDIR_PARTS:
            folder = path / part
            if not folder.is_dir():
                continue
            for entry in sorted(folder.iterdir()):
                unique = entry.name.split(":", 1)[0]
                if unique in seen or entry.name.startswith(".") or not entry.is_file():
                    continue
                try:
                    data = entry.read_bytes()
                except OSError:
                    continue  # moved between listing and reading: the next poll finds it
                seen.add(unique)
                outcome = self.desk.store(data, self.list_name, f"{part}/{entry.name}", source_id).outcome
                setattr(result, outcome, getattr(result, outcome) + 1)

    def _archive(self, path: Path, result: PollResult) -> None:
        if self.fetch and is_public_inbox(path):
            fetch_epochs(path)
        with self.desk.write_lock:
            summary = ingest(self.engine, [path], list_name=self.list_name, jobs=1, settle=False)
        result.stored += summary.stored
        result.known += summary.known
        result.quarantined += summary.quarantined
        if summary.stored:
            self.desk.wanted.set()

    def _trees(self, result: PollResult) -> None:
        with self.engine.connect() as conn:
            trees = conn.execute(select(Tree.name, Tree.path, Tree.branch, Tree.head)).all()
        for tree in trees:
            try:
                if resolve(Path(tree.path), tree.branch) == tree.head:
                    continue
                with self.desk.write_lock:
                    scanned = scan_tree(self.engine, tree.name)
            except (GitError, TreeError) as exc:
                result.errors.append(f"tree {tree.name}: {exc}")
                continue
            result.commits += scanned["new_commits"]
            self.desk.wanted.set()  # the review of what changed is settled with the mail

    def poll(self) -> PollResult:
        result = PollResult()
        for path, source_id in self.sources().items():
            try:
                if path.is_dir() and is_maildir(path) and not is_public_inbox(path):
                    self._maildir(path, source_id, result)
                elif path.exists():
                    self._archive(path, result)
            except (SourceError, OSError, subprocess.SubprocessError) as exc:
                result.errors.append(f"{path}: {exc}")
        if self.follow_trees:
            self._trees(result)
        return result
