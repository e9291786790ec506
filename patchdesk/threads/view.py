"""Walking a stored thread in reading order (shared by CLI and web)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def reading_order(edges: Iterable[tuple[str, str | None]],
                  sort_key: Mapping[str, str]) -> list[tuple[int, str]]:
    """Depth-first (depth, msgid) list; siblings ordered by ``sort_key``.

    Iterative, so a thread thousands of levels deep prints without hitting
    the recursion limit.
    """
    children: dict[str | None, list[str]] = {}
    ids = set()
    for msgid, parent in edges:
        ids.add(msgid)
        children.setdefault(parent, []).append(msgid)
    roots = [m for m in children.get(None, [])]
    roots += [p for p in children if p is not None and p not in ids]  # defensive
    out: list[tuple[int, str]] = []
    stack = [(0, m) for m in sorted(roots, key=lambda m: (sort_key.get(m, ""), m), reverse=True)]
    while stack:
        depth, msgid = stack.pop()
        out.append((depth, msgid))
        kids = sorted(children.get(msgid, []), key=lambda m: (sort_key.get(m, ""), m), reverse=True)
        stack.extend((depth + 1, kid) for kid in kids)
    return out
