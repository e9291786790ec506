"""JWZ-style threading over Message-ID / References, order-independent.

Input: every message of the affected threads as ``(msgid, references,
sort_key)``.  Output: for every node (messages and the placeholder
"ghost" ids they reference but we have not seen) its parent and root.

Two rules make the result independent of arrival order, so that a message
arriving late, or an archive ingested out of order, threads the same as
one read in date order:

1. A message we have is placed under the last id of its own References
   chain (its declared parent); that beats whatever other messages imply.
2. Ghosts (and messages that declare no parent at all) get their parent
   from the References chains that name them, the earliest message (by
   ``sort_key``) first.

A link that would close a loop (a ``References`` cycle, a message naming a
descendant) is skipped and reported.  Everything is iterative; threads
10,000 levels deep do not touch Python's recursion limit.  Subject-based
grouping (JWZ step 5) is left out on purpose: on patch lists it glues
unrelated ``[PATCH]`` threads together.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThreadInput:
    msgid: str
    references: tuple[str, ...]
    sort_key: str = ""


@dataclass(frozen=True, slots=True)
class Node:
    msgid: str
    parent: str | None
    root: str
    #: False for a placeholder: referenced, but not (yet) seen.
    present: bool


def _creates_loop(parent: dict[str, str | None], child: str, new_parent: str) -> bool:
    seen = set()
    node: str | None = new_parent
    while node is not None:
        if node == child:
            return True
        if node in seen:  # an existing loop further up; refuse to extend it
            return True
        seen.add(node)
        node = parent.get(node)
    return False


def link(messages: list[ThreadInput]) -> tuple[dict[str, Node], list[str]]:
    """Thread ``messages``; return (nodes by msgid, msgids whose link was refused)."""
    ordered = sorted(messages, key=lambda m: (m.sort_key, m.msgid))
    present: dict[str, ThreadInput] = {}
    for m in ordered:
        present.setdefault(m.msgid, m)
    parent: dict[str, str | None] = {msgid: None for msgid in present}
    refused: list[str] = []

    for m in present.values():
        refs = [r for r in m.references if r != m.msgid]
        if not refs:
            continue
        if _creates_loop(parent, m.msgid, refs[-1]):
            refused.append(m.msgid)
            continue
        parent[m.msgid] = refs[-1]
        parent.setdefault(refs[-1], None)

    declined = set(refused)
    for m in present.values():
        refs = [r for r in m.references if r != m.msgid]
        for older, newer in zip(refs, refs[1:]):
            parent.setdefault(older, None)
            if parent.get(newer) is not None or newer in declined:
                continue
            if not _creates_loop(parent, newer, older):
                parent[newer] = older

    roots: dict[str, str] = {}
    nodes: dict[str, Node] = {}
    for msgid in parent:
        path: list[str] = []
        node = msgid
        while node not in roots and parent.get(node) is not None and len(path) <= len(parent):
            path.append(node)
            node = parent[node]  # type: ignore[assignment]
        root = roots.get(node, node)
        for visited in path:
            roots[visited] = root
        roots[node] = root
        nodes[msgid] = Node(msgid, parent[msgid], root, msgid in present)
    return nodes, refused
