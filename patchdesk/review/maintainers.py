"""Who maintains and who reviews the files a patch touches, from a kernel-style
``MAINTAINERS`` file.

A NAK or an "applied" from a maintainer of the touched files weighs more than
the same words from a bystander, so the review stage needs, for each patch, the
maintainers and designated reviewers of its files.  The kernel keeps that in
``MAINTAINERS`` and answers it with ``scripts/get_maintainer.pl``; this is the
same reading as pure functions over the file's text (the caller does the I/O).

Format, as the file's header describes it: a title line, then ``M:``
maintainer, ``R:`` reviewer, ``L:`` list, ``S:`` status, ``T:`` tree, ``F:`` /
``X:`` file pattern included / excluded, ``N:`` regex on paths, ``K:`` regex on
patch content.  Matching follows get_maintainer.pl: a trailing ``/`` covers the
tree below; ``*`` and ``?`` stay within a path component, ``**`` crosses them;
a plain pattern also covers a directory of that name and, the perl regex being
unanchored at the end, files whose name it begins (``F: include/drm/drm``
covers ``include/drm/drm_atomic.h``).  Matches rank by depth, the number of
path components the pattern pins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_TAG = re.compile(r"([A-Z]):\s*(.*?)\s*")
_NAMED = re.compile(r'\s*"?([^"<]*?)"?\s*<([^<>\s]+@[^<>\s]+)>')
_BARE = re.compile(r'[^<>\s()"]+@[^<>\s()"]+')
_WILD = re.compile(r"[*?]")
_GLOB_PART = re.compile(r"\*\*|[*?]|[^*?]+")
_COMPILE_ERRORS = (re.error, ValueError, OverflowError, RecursionError)
_LONER = re.compile(r"\\[1-9]|\(\?[^:=!<]")  # backrefs, flags, names: unsafe in an alternation
ROLES = ("maintainer", "reviewer")


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Section:
    """One MAINTAINERS entry; patterns are kept as written in the file."""

    title: str
    maintainers: tuple[Person, ...] = ()
    reviewers: tuple[Person, ...] = ()
    lists: tuple[str, ...] = ()
    status: str = ""
    trees: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Role:
    """A person's standing for some files: through which section, how deep."""

    name: str
    email: str
    role: str  # "maintainer" | "reviewer"
    section: str
    status: str
    depth: int


def _regex(pattern: str) -> re.Pattern[str] | None:
    """N:/K: are perl ``/x`` regexes; one Python cannot compile is dropped, not fatal."""
    try:
        return re.compile(pattern, re.VERBOSE)
    except _COMPILE_ERRORS:
        return None


def _person(value: str) -> Person | None:
    """``Name <addr>``, ``"Last, First" <addr>`` or a bare ``addr``; None without an address."""
    if m := _NAMED.match(value):
        return Person(m[1].strip(), m[2])
    m = _BARE.search(value)
    return Person("", m[0]) if m else None


def _section(title: str, tags: dict[str, list[str]]) -> Section:
    def people(tag: str) -> tuple[Person, ...]:
        return tuple(p for p in map(_person, tags.get(tag, ())) if p)

    def first_words(tag: str) -> tuple[str, ...]:  # "list@host (moderated ...)" -> "list@host"
        return tuple(dict.fromkeys(v.split()[0] for v in tags.get(tag, ())))

    return Section(
        title=title, maintainers=people("M"), reviewers=people("R"), lists=first_words("L"),
        status=tags.get("S", [""])[0], trees=tuple(tags.get("T", ())),
        files=first_words("F"), excludes=first_words("X"),
        regexes=tuple(r for r in tags.get("N", ()) if _regex(r)),
        keywords=tuple(k for k in tags.get("K", ()) if _regex(k)))


def parse_maintainers(text: str | bytes) -> tuple[Section, ...]:
    """Sections of a MAINTAINERS file, in file order; never raises.

    Parsing starts after the header's "Maintainers List" line if there is one.
    As in get_maintainer.pl a tag is ``[A-Z]:`` at the start of a line.  A
    title is the last unindented untagged line before some tags; a section
    ends at an unindented untagged line after a blank line.  Untagged lines
    among tags are skipped as malformed; titles without tags (prose) dropped.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    lines = text.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith("Maintainers List")), 0)
    sections: list[Section] = []
    title, tags, after_blank = "", dict[str, list[str]](), True
    for line in lines[start:]:
        if not line.strip():
            after_blank = True
            continue
        if m := _TAG.fullmatch(line):
            if title and m[2]:
                tags.setdefault(m[1], []).append(m[2])
        elif not line[0].isspace() and (after_blank or not tags):
            if tags:
                sections.append(_section(title, tags))
            title, tags = line.strip(), {}
        after_blank = False
    if tags:
        sections.append(_section(title, tags))
    return tuple(sections)


@lru_cache(maxsize=8192)
def _glob(pattern: str) -> re.Pattern[str]:
    """An F:/X: pattern as a regex to ``match`` against a path (see module doc)."""
    body = "".join(".*" if part == "**" else "[^/]*" if part == "*" else "[^/]" if part == "?"
                   else re.escape(part) for part in _GLOB_PART.findall(pattern))
    if pattern.endswith("/") or "**" in pattern:
        return re.compile(body)
    return re.compile(body + (r"[^/]*\Z" if _WILD.search(pattern) else r"(?:[^/]*\Z|/)"))


def pattern_matches(pattern: str, path: str) -> bool:
    """Whether one F:/X: pattern covers ``path``: the reference the index must agree with."""
    return _glob(pattern).match(path) is not None


def _depth(pattern: str) -> int:
    """Path components a pattern pins, get_maintainer.pl's rank; 0 for ``*``-led ones."""
    return 0 if pattern[:1] in ("*", "?") else pattern.count("/") + (not pattern.endswith("/"))


def _changed_lines(patch: str) -> str:
    """The added and removed lines of a diff: what get_maintainer.pl runs K: on."""
    return "\n".join(line[1:] for line in patch.splitlines()
                     if line[:1] in ("+", "-") and line not in ("---", "+++")
                     and not line.startswith(("--- ", "+++ ")))


class MaintainerIndex:
    """Sections indexed so that a lookup costs a few dict probes per path.

    The kernel file has ~20,000 F: lines and every patch is looked up, so
    patterns are not scanned: plain ones are dict keys, probed with the path's
    ancestor directories (and its file name's prefixes); wildcard ones are
    listed under the literal directory before their first wildcard, probed the
    same way.  N: regexes, which apply anywhere, are first tried as one
    alternation (as fast as one regex, and rarely matching); X: only on hits.
    """

    def __init__(self, sections: Iterable[Section]):
        self.sections = tuple(sections)
        self._plain: dict[str, list[tuple[int, int, bool]]] = {}  # key -> (section, depth, dir only)
        self._wild: dict[str, list[tuple[re.Pattern[str], int, int]]] = {}
        self._excludes = [tuple(_glob(x) for x in s.excludes) for s in self.sections]
        self._regexes: list[tuple[re.Pattern[str], int]] = []  # N:, behind the gate
        self._loners: list[tuple[re.Pattern[str], int]] = []   # N: that cannot join it
        self._keywords: list[tuple[re.Pattern[str], int]] = []
        for i, s in enumerate(self.sections):
            for f in s.files:
                if wild := _WILD.search(f):
                    head = f[:wild.start()]
                    key = head[:head.rfind("/")] if "/" in head else ""
                    self._wild.setdefault(key, []).append((_glob(f), i, _depth(f)))
                else:
                    self._plain.setdefault(f.rstrip("/"), []).append((i, _depth(f), f.endswith("/")))
            for rx in filter(None, map(_regex, s.regexes)):
                (self._loners if _LONER.search(rx.pattern) else self._regexes).append((rx, i))
            self._keywords += [(rx, i) for rx in map(_regex, s.keywords) if rx]
        # one search that matches iff one of self._regexes does ("\n" ends a /x comment)
        self._gate = _regex("|".join(f"(?:{rx.pattern}\n)" for rx, _ in self._regexes) or "(?!)")
        if self._gate is None:
            self._loners += self._regexes
            self._regexes = []

    @classmethod
    def from_text(cls, text: str | bytes) -> MaintainerIndex:
        return cls(parse_maintainers(text))

    def _path_sections(self, path: str) -> dict[int, int]:
        found: dict[int, int] = {}

        def add(i: int, depth: int) -> None:
            if found.get(i, -1) < depth:
                found[i] = depth

        for k in range(path.rfind("/") + 2, len(path) + 1):  # the file, or a name it begins with
            for i, depth, dir_only in self._plain.get(path[:k], ()):
                if not dir_only:
                    add(i, depth)
        for rx, i, depth in self._wild.get("", ()):
            if rx.match(path):
                add(i, depth)
        pos = path.find("/")
        while pos > 0:
            directory = path[:pos]
            for i, depth, _ in self._plain.get(directory, ()):
                add(i, depth)
            for rx, i, depth in self._wild.get(directory, ()):
                if rx.match(path):
                    add(i, depth)
            pos = path.find("/", pos + 1)
        regexes = self._regexes if self._gate and self._gate.search(path) else []
        for rx, i in (*regexes, *self._loners):
            if i not in found and rx.search(path):
                found[i] = 0
        for i in [i for i in found if self._excludes[i]]:
            if any(x.match(path) for x in self._excludes[i]):
                del found[i]
        return found

    def sections_for(self, paths: Iterable[str], content: str | None = None
                     ) -> tuple[tuple[Section, int], ...]:
        """Matching sections with their depth, most specific first, then in file order.

        A section's depth is its best over the paths; X: drops a section for
        the paths it excludes only.  K: keywords are matched against the
        added and removed lines of ``content`` (the patch) and rank at 0.
        """
        if isinstance(paths, str):
            paths = (paths,)
        best: dict[int, int] = {}
        for path in paths:
            for i, depth in self._path_sections(path.strip().lstrip("/")).items():
                if best.get(i, -1) < depth:
                    best[i] = depth
        changed = _changed_lines(content) if content else ""
        for rx, i in self._keywords if changed else ():
            if i not in best and rx.search(changed):
                best[i] = 0
        return tuple((self.sections[i], best[i]) for i in sorted(best, key=lambda i: (-best[i], i)))

    def roles_for(self, paths: Iterable[str], content: str | None = None) -> tuple[Role, ...]:
        """Maintainers and reviewers of ``paths``, most specific first.

        Each address appears once, with its deepest standing; at equal depth
        maintainers come before reviewers (a maintainer here and a reviewer
        there counts as maintainer), then file order.
        """
        ranked = sorted(
            ((-depth, kind, rank, n), Role(p.name, p.email, ROLES[kind], s.title, s.status, depth))
            for rank, (s, depth) in enumerate(self.sections_for(paths, content))
            for kind, people in enumerate((s.maintainers, s.reviewers))
            for n, p in enumerate(people))  # keys are unique, Roles never compared
        first: dict[str, Role] = {}
        for _, role in ranked:
            first.setdefault(role.email.lower(), role)
        return tuple(first.values())

    def lists_for(self, paths: Iterable[str], content: str | None = None) -> tuple[str, ...]:
        """Mailing lists of the matching sections, most specific first, once each."""
        lists: dict[str, str] = {}
        for section, _ in self.sections_for(paths, content):
            for name in section.lists:
                lists.setdefault(name.lower(), name)
        return tuple(lists.values())

    def role_of(self, email: str, paths: Iterable[str], content: str | None = None) -> Role | None:
        """Whether a replier (address, or a whole ``Name <addr>`` From value)
        maintains or reviews ``paths``: their best Role, or None for a bystander."""
        person = _person(email or "")
        wanted = person.email.lower() if person else None
        return next((r for r in self.roles_for(paths, content) if r.email.lower() == wanted), None)
