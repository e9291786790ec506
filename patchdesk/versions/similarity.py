"""How alike two patches are: by patch-id, by changed lines, by subject.

Content is the changed lines (path, sign, whitespace-squeezed text) as
64-bit hashes.  Three numbers describe an overlap: Jaccard for "the same
patch, edited", and the two containments for "this patch is a piece of
that one" (a split) or "that one is a piece of this" (a merge).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import re

from rapidfuzz import fuzz

from ..model import PatchInfo




@dataclass(frozen=True, slots=True)
class Overlap:
    jaccard: float
    older_in_newer: float   # share of the older patch's lines found in the newer
    newer_in_older: float   # share of the newer patch's lines found in the older
    shared: int


_DISJOINT = Overlap(0.0, 0.0, 0.0, 0)


def overlap(older: PatchInfo, newer: PatchInfo) -> Overlap:
    # most pairs a prolific sender's series offer share nothing: isdisjoint
    # stops at the first common line and builds no set
    if not older.lines or not newer.lines or older.lines.isdisjoint(newer.lines):
        return _DISJOINT
    shared = len(older.lines & newer.lines)
    union = len(older.lines) + len(newer.lines) - shared
    return Overlap(shared / union, shared / len(older.lines), shared / len(newer.lines), shared)


_NUMBER = re.compile(r"\d+")
#: "subsys: part:" and "subsys/part:" are one prefix, reworded.
_SEPARATORS = re.compile(r"[\s:/,()\[\]_-]+")


@lru_cache(maxsize=65536)
def _name_form(name: str) -> tuple[str, tuple[str, ...], str]:
    """(plain text, its numbers, its shape with numbers as #): computed once
    per name, not once per comparison (a prolific sender's names are
    compared hundreds of times each)."""
    plain = _SEPARATORS.sub(" ", name.lower()).strip()
    return plain, tuple(_NUMBER.findall(plain)), _NUMBER.sub("#", plain)


def name_similarity(a: str, b: str) -> float:
    """0..1, by edit distance of the lower-cased names, prefix separators
    (``:``, ``/``, brackets) read as one space.

    Names that differ only in the value of their numbers are siblings, not
    versions ("Add epoll_wait05 test" / "...06...", "Git 2.17.1" /
    "2.17.4", "Fedora 32" / "33"): they score 0.  A number that appears,
    disappears or comes with other letters (``foo1:`` -> ``foo:``, "on
    SM7635" -> "on Milos SoC", "PMXR2230" -> "PM7550": a part renamed) is
    an ordinary edit.
    """
    if not a or not b:
        return 0.0
    plain_a, numbers_a, shape_a = _name_form(a)
    plain_b, numbers_b, shape_b = _name_form(b)
    if numbers_a != numbers_b and shape_a == shape_b:
        return 0.0
    return fuzz.ratio(plain_a, plain_b) / 100.0


def path_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def patch_score(older: PatchInfo, newer: PatchInfo, common: Overlap | None = None) -> tuple[float, str]:
    """Similarity 0..1 of two patches as versions of each other, with why
    (``common``: their ``overlap``, when the caller has it already)."""
    if older.patch_id and older.patch_id == newer.patch_id:
        return 1.0, "same patch-id"
    names = name_similarity(older.name, newer.name)
    common = common if common is not None else overlap(older, newer)
    paths = path_overlap(older.paths, newer.paths)
    # the same subject on exactly the same files is the same patch, however
    # much its code was reworked
    same_subject = 0.5 + 0.3 * (names - 0.9) / 0.1 if paths == 1.0 and names >= 0.9 else 0.0
    if common.shared:
        content = max(common.jaccard, 0.9 * min(common.older_in_newer, common.newer_in_older))
        score = 0.7 * content + 0.3 * names
        if score >= same_subject:
            return score, f"{common.jaccard:.0%} of changed lines shared, subject {names:.0%} alike"
    if same_subject:
        return same_subject, f"same files, subject {names:.0%} alike"
    return 0.4 * names * paths, f"subject {names:.0%} alike"
