"""The current version of a series after partial re-rolls.

``[PATCH v5.1 2/3]`` sent in reply to v5 2/3 replaces that one patch; the
series a maintainer applies is then v5 with 2/3 replaced (as ``b4 am``
does).  Given the version chain, oldest first, ``current_patches`` fills
each number the newest series lacks from the newest earlier series of the
same major version that has it; a full re-roll (minor 0) stands alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Version:
    """One series of a version chain: its key, version, total and patches (number, msgid)."""

    key: int
    version: tuple[int, int]
    total: int
    patches: tuple[tuple[int, str], ...]


def current_patches(chain: Sequence[Version]) -> list[tuple[int, str, int]]:
    """(number, msgid, key of the series it comes from) of the newest series
    of ``chain``, its gaps filled from earlier partial re-rolls and the full
    version they re-roll."""
    if not chain:
        return []
    newest = chain[-1]
    have = {n: (m, newest.key) for n, m in newest.patches}
    if newest.version[1] == 0:
        return [(n, m, k) for n, (m, k) in sorted(have.items())]
    total = max([newest.total] + [v.total for v in chain if v.version[0] == newest.version[0]])
    for earlier in reversed(chain[:-1]):
        if earlier.version[0] != newest.version[0]:
            break
        for n, m in earlier.patches:
            if n not in have and n <= total:
                have[n] = (m, earlier.key)
        if earlier.version[1] == 0:
            break  # the full version the re-rolls start from
    return [(n, m, k) for n, (m, k) in sorted(have.items())]
