"""Who a sender is, across the addresses they post from.

People change address: linaro.org -> oss.qualcomm.com, quicinc.com ->
oss.qualcomm.com, a personal address -> kernel.org.  On real lists a third
of the missed version links crossed such a change, because candidates came
from the same address only.  Two addresses are one person when:

* they post under the same full display name ("Dmitry Baryshkov",
  compared without case, accents or punctuation; a one-word name, a
  list's "X via list" rewrite, or a robot's name is never enough), or
* a ``.mailmap`` of a registered tree maps one to the other
  (``mailmap_aliases``; read at ``tree scan``).

A series may also pass to another person (a hand-over): the new
patches then still credit the first author (``credited``), which makes
that author's series candidates too, with stricter evidence (see
``lineage``).  A name shared by two different people only makes their series
*candidates* for each other: a version link still needs its own evidence
(content, an explicit pointer), which two strangers' work lacks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

_SPLIT = re.compile(r"[^\w]+")
_VIA = re.compile(r"(?i)\s+via\s+\S.*$")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
#: Display names that stand for a role or a machine, not one person.
_NOT_A_PERSON = re.compile(
    r"(?i)\b(?:bot|robot|noreply|no-reply|patchwork|mailer|daemon|list|lists|admin|"
    r"maintainers?|team|support|kernel test|syzbot|ci|jenkins|github|gitlab)\b")


@lru_cache(maxsize=16384)
def name_key(name: str) -> str:
    """A display name as identity evidence, or "" when it is not enough
    (cached: a store refresh asks about the same few names thousands of times)."""
    name = _PARENS.sub(" ", _VIA.sub("", name or ""))
    if "," in name and name.count(",") == 1:  # "Doe, Jane" -> "Jane Doe"
        last, first = name.split(",")
        name = f"{first} {last}"
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    if "@" in plain or _NOT_A_PERSON.search(plain):
        return ""
    words = [w for w in _SPLIT.split(plain) if w]
    if len(words) < 2 or sum(len(w) for w in words) < 5 or any(w.isdigit() for w in words):
        return ""
    return " ".join(words)


def people(names: Iterable[tuple[str, str]],
           aliases: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """addr -> person (the smallest address of the person, stable).

    ``names`` are (address, display name) pairs as seen on the list;
    ``aliases`` (address, address) pairs from a ``.mailmap``.
    """
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_name: dict[str, str] = {}
    for addr, name in names:
        find(addr)
        key = name_key(name)
        if key:
            if key in by_name:
                union(addr, by_name[key])
            else:
                by_name[key] = addr
    for a, b in aliases:
        union(a, b)
    return {addr: find(addr) for addr in parent}


#: trailers that name an author of the patch
_AUTHORS = ("Signed-off-by", "Co-developed-by")


def credited(trailers: Iterable[Sequence[str]], sender: str) -> set[str]:
    """Addresses a patch credits as its authors, besides its sender: a
    series handed over ("I'm taking over this series") keeps the first
    author's ``Signed-off-by`` / ``Co-developed-by``.  ``trailers`` as the
    store keeps them: ``[key, value, name, email]``."""
    return {t[3].lower() for t in trailers if t[0] in _AUTHORS and t[3] and t[3].lower() != sender}


_MAILMAP_ADDR = re.compile(r"<([^<>\s@]+@[^<>\s]+)>")


def mailmap_aliases(text: str) -> list[tuple[str, str]]:
    """Address pairs a ``.mailmap`` says are one person: every line naming
    two or more addresses (``Name <proper@x> <commit@y>``) ties them."""
    pairs: set[tuple[str, str]] = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        found = [a.lower() for a in _MAILMAP_ADDR.findall(line)]
        pairs.update((found[0], other) for other in found[1:] if other != found[0])
    return sorted(pairs)


def describe_change(old: str, new: str) -> str:
    """ "linaro.org -> oss.qualcomm.com" for evidence text."""
    if old == new:
        return ""
    a, b = old.rsplit("@", 1)[-1], new.rsplit("@", 1)[-1]
    return f"{old} -> {new}" if a == b else f"{a} -> {b}"
