"""Which commit carries which patch: the tree's word, not the mailing list's.

Four methods, strongest first, each with a confidence:

* ``link``: the commit's ``Link:`` / ``Message-Id:`` trailer names the mail;
* ``patch-id``: equal ``git patch-id --stable`` (the diff is identical);
* ``fuzzy``: the maintainer edited it on the way (a typo in a comment,
  whitespace, context drift after a rebase, a changed hunk): same files,
  most of the same changed lines, and a similar subject or the same author;
  or, when the changed lines and the subject were both edited, the same
  author and files and an author date equal to the mail's Date;
* ``partial``: only some of the patch's files or hunks made it.

A commit belongs to one patch.  A patch posted after the commit was made
cannot be in it.  When several patches match a commit (v1 and v2 of the
same work, or a RESEND), the strongest method wins, then a patch whose
date is the commit's author date (``git am`` records the applied mail's
date as the author date), then the latest patch posted before the commit
was made, then the score: so a superseded v1 is never reported as applied
because its successor was (b4's subject match does exactly that).
Pure: commits and patches in, matches out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from ..model import PatchInfo
from ..versions.similarity import overlap

METHODS = ("link", "patch-id", "fuzzy", "partial")
#: Methods that show the whole patch in a tree (``partial`` does not).
WHOLE = METHODS[:3]
#: Clock skew allowed between a mail's date and the commit that applied it.
SKEW = timedelta(days=1)
#: Seconds between a mail's date and a commit's author date that still
#: count as "the same date" (``git am`` copies the mail's Date).
SAME_DATE = 120
#: Paths touched by more commits than this do not select candidates.
COMMON_PATH = 400
FUZZY_LINES = 0.6
EDITED_SUBJECT = 0.95
EDITED_WINDOW = timedelta(days=90)
PARTIAL_LINES = 0.3


@dataclass(frozen=True, slots=True)
class Match:
    msgid: str
    sha: str
    method: str
    confidence: float
    evidence: str


class CommitIndex:
    """Commits by Message-ID, patch-id and path, for fast candidate lookup."""

    def __init__(self, commits: Iterable[PatchInfo], msgids: dict[str, tuple[str, ...]],
                 committed: dict[str, datetime] | None = None) -> None:
        self.commits = {c.msgid: c for c in commits}  # PatchInfo.msgid holds the sha
        self.committed = committed or {}
        self.by_msgid: dict[str, list[str]] = defaultdict(list)
        for sha, ids in msgids.items():
            for m in ids:
                self.by_msgid[m].append(sha)
        self.by_patch_id: dict[str, list[str]] = defaultdict(list)
        self.by_path: dict[str, list[str]] = defaultdict(list)
        for c in self.commits.values():
            if c.patch_id:
                self.by_patch_id[c.patch_id].append(c.msgid)
            for path in c.paths:
                self.by_path[path].append(c.msgid)

    def candidates(self, patch: PatchInfo) -> set[str]:
        paths = [p for p in patch.paths if len(self.by_path.get(p, ())) <= COMMON_PATH]
        if not paths:
            paths = sorted(patch.paths, key=lambda p: len(self.by_path.get(p, ())))[:1]
        return {sha for p in paths for sha in self.by_path.get(p, ())}


def subject_similarity(a: str, b: str) -> float:
    """Plain edit similarity: unlike lineage's name rule, "foo01: x" and
    "foo: x" are alike (a maintainer's retitle); the lines decide."""
    return fuzz.ratio(a.lower(), b.lower()) / 100


def _fuzzy(patch: PatchInfo, commit: PatchInfo) -> Match | None:
    found = _edited(patch, commit)
    if (found is None or found.method == "partial") and _same_mail_date(patch, commit):
        # the maintainer changed the line and reworded the subject: git am
        # still kept the mail's Date as the author date, to the second
        # (patches of one send differ by at least a second)
        subject = subject_similarity(patch.name, commit.name)
        return Match(patch.msgid, commit.msgid, "fuzzy", 0.75,
                     "same author, same files, and the commit's author date is the mail's date "
                     f"(git am keeps it); the changed lines were edited and the subject reworded ({subject:.0%} alike)")
    return found


def _same_mail_date(patch: PatchInfo, commit: PatchInfo) -> bool:
    return (bool(patch.paths) and patch.paths == commit.paths and patch.sender.lower() == commit.sender.lower()
            and abs((commit.date - patch.date).total_seconds()) < 1)


def _edited(patch: PatchInfo, commit: PatchInfo) -> Match | None:
    subject = subject_similarity(patch.name, commit.name)
    same_author = patch.sender.lower() == commit.sender.lower()
    same_files = bool(patch.paths) and patch.paths == commit.paths
    if same_author and same_files and subject >= EDITED_SUBJECT \
            and abs(commit.date - patch.date) <= EDITED_WINDOW:
        # every changed line was edited (a one-line fix rewritten by the
        # maintainer): same author, same files, same subject, close in time
        o = overlap(patch, commit) if patch.lines and commit.lines else None
        if o is None or o.older_in_newer < FUZZY_LINES:
            return Match(patch.msgid, commit.msgid, "fuzzy", 0.7,
                         f"same author, same files, subject {subject:.0%} alike; the changed lines were edited")
    if not patch.lines or not commit.lines:
        return None
    o = overlap(patch, commit)
    covered = o.older_in_newer  # share of the patch's lines found in the commit
    if covered >= FUZZY_LINES and o.jaccard >= 0.5 and (subject >= 0.6 or same_author):
        confidence = round(min(0.98, 0.5 + 0.3 * o.jaccard + 0.1 * subject + 0.05 * same_author
                               + 0.05 * same_files), 3)
        return Match(patch.msgid, commit.msgid, "fuzzy", confidence,
                     f"{covered:.0%} of the patch's changed lines, subject {subject:.0%} alike"
                     + (", same author" if same_author else "") + (", same files" if same_files else ""))
    if covered >= PARTIAL_LINES and (subject >= 0.8 or (same_author and subject >= 0.5)):
        return Match(patch.msgid, commit.msgid, "partial", round(0.4 + 0.4 * covered, 3),
                     f"only {covered:.0%} of the patch's changed lines, subject {subject:.0%} alike"
                     + (", same author" if same_author else ""))
    return None


def proposals(patches: Iterable[PatchInfo], index: CommitIndex, *,
              methods: tuple[str, ...] = METHODS) -> list[tuple[Match, PatchInfo, float]]:
    """Every commit each patch could be, with its distance in time; before
    rivals for one commit are settled (``find_applied`` does that)."""
    out: list[tuple[Match, PatchInfo, float]] = []
    for patch in patches:
        found: list[Match] = []
        if "link" in methods:
            for sha in index.by_msgid.get(patch.msgid, ()):
                found.append(Match(patch.msgid, sha, "link", 1.0, "the commit's Link: names this mail"))
        if "patch-id" in methods and patch.patch_id:
            for sha in index.by_patch_id.get(patch.patch_id, ()):
                found.append(Match(patch.msgid, sha, "patch-id", 0.99, "same git patch-id --stable"))
        if not found and ("fuzzy" in methods or "partial" in methods):
            for sha in index.candidates(patch):
                commit = index.commits[sha]
                m = _fuzzy(patch, commit)
                if m and m.method in methods:
                    found.append(m)
        for m in found:
            commit = index.commits.get(m.sha)
            made = index.committed.get(m.sha, commit.date if commit else None)
            if m.method != "link" and made is not None and patch.date > made + SKEW:
                continue  # posted after the commit was made
            distance = abs((commit.date - patch.date).total_seconds()) if commit else 0.0
            out.append((m, patch, distance))
    return out


def find_applied(patches: Iterable[PatchInfo], index: CommitIndex, *,
                 methods: tuple[str, ...] = METHODS) -> list[Match]:
    """The commit each patch went in as (at most one per patch and commit)."""
    found = proposals(patches, index, methods=methods)
    # strongest method first; then a patch dated exactly like the commit (git
    # am); then the latest patch posted before the commit was made
    found.sort(key=lambda mp: (METHODS.index(mp[0].method), mp[2] > SAME_DATE, -mp[1].date.timestamp(),
                               -mp[0].confidence, mp[0].msgid, mp[0].sha))
    taken_commits: set[str] = set()
    matched: dict[str, Match] = {}
    for m, _, _ in found:
        if m.msgid in matched or (m.sha in taken_commits and m.method != "link"):
            continue
        matched[m.msgid] = m
        taken_commits.add(m.sha)
    return sorted(matched.values(), key=lambda m: m.msgid)
