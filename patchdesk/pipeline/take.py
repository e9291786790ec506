"""Take a series: its current version, trailers and Link: added, onto a tree's
branch, then the tree scanned so the store records it as accepted at once.

The mbox is ``pipeline.am``'s (the latest version, a partial re-roll
composed, contested Message-IDs refused unless trusted); applying is
``trees.take``; recording is an ordinary incremental ``tree scan``, so a
taken patch is matched by its ``Link:`` like any other commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..store.queries import series_detail
from ..store.schema import Tree
from ..trees.take import take
from .am import LORE, series_mbox
from .attest import verdict
from .review import refresh_review
from .trees import TreeError, scan_tree


@dataclass
class TakeResult:
    series: int = 0
    version: str = ""
    tree: str = ""
    ok: bool = False
    patches: list[int] = field(default_factory=list)
    head: str = ""
    where: str = ""
    #: one line each: why nothing was taken
    refused: list[str] = field(default_factory=list)
    matched: int = 0
    states: dict[str, str] = field(default_factory=dict)
    #: failed or unchecked signatures of the mails taken (``patchdesk attest``)
    warnings: list[str] = field(default_factory=list)


def patch_numbers(text: str | None) -> set[int] | None:
    """``1,3`` as the patches to take; None (no text) means all of them.
    ValueError for anything but numbers."""
    if text is None or not text.strip():
        return None
    return {int(x) for x in text.split(",") if x.strip()}


def take_series(engine, series_id: int, tree_name: str, *, only: set[int] | None = None,
                trusted: tuple[str, ...] = (), link_base: str = LORE) -> TakeResult:
    with engine.connect() as conn:
        tree = conn.execute(select(Tree).where(Tree.name == tree_name)).first()
        found = series_mbox(conn, series_id, trusted, link_base, latest_version=False, only=only)
    result = TakeResult(tree=tree_name)
    if tree is None:
        result.refused.append(f"no tree named {tree_name!r}")
        return result
    detail = found.detail
    if detail is None:
        result.refused.append(f"no series {series_id}")
        return result
    result.series, result.version = detail["id"], detail["version_label"]
    result.patches = [p["number"] for p in detail["patch_details"]]
    if found.refused:
        result.refused += found.refused
        return result
    result.warnings = _signature_warnings(detail)
    taken = take(Path(tree.path), tree.branch, found.text)
    result.head, result.where = taken.head, taken.where
    if not taken.ok:
        result.refused.append(f"git am onto {tree.name} ({tree.branch}) failed: {taken.message}")
        return result
    result.ok = True
    try:
        scanned = scan_tree(engine, tree_name)
    except TreeError as exc:
        result.refused.append(f"taken, but the scan failed: {exc}")
        return result
    refresh_review(engine)
    result.matched = scanned.get("matched", 0)
    with engine.connect() as conn:
        after = series_detail(conn, result.series)
    if after is not None:
        result.states = {str(p["number"]): p["state"] for p in after["patch_details"]}
    return result


def _signature_warnings(detail: dict) -> list[str]:
    """A failed DKIM signature on a mail being taken is said before it is
    applied; never checked is said too (``patchdesk attest`` checks)."""
    checks = detail.get("attestations", {})
    out = []
    for p in detail["patch_details"]:
        word = verdict(checks.get(p["msgid"], []))
        if word == "fail":
            why = next(r["reason"] for r in checks[p["msgid"]] if r["status"] == "fail")
            out.append(f"patch {p['number']} <{p['msgid']}>: its DKIM signature fails ({why})")
    if not any(checks.get(p["msgid"]) for p in detail["patch_details"]):
        out.append("signatures not checked (run `patchdesk attest` first)")
    return out
