"""The search language: public-inbox's (lore's) prefixes, and patchdesk's own.

Kernel people type lore queries every day, so the same words work here:

========== ==============================================================
``s:``     subject                    ``f:``  from (name or address)
``t:``     To                         ``c:``  Cc
``a:``     any address (From, To, Cc) ``b:``  the whole body
``nq:``    the body's own words (no ``>`` quotes, no diff)
``q:``     quoted text                ``dfn:`` a file name in the diff
``dfa:``   removed (pre-image) lines  ``dfb:`` added (post-image) lines
``dfctx:`` context lines              ``dfhh:`` hunk headers (the function)
``d:``     dates: ``d:20250101..20250301``, ``d:2.weeks.ago..``, ``d:..20250301``
``m:``     a Message-ID
========== ==============================================================

and patchdesk's: ``state:under-review``, ``v:3`` (version), ``list:NAME``,
``reviewer:WHO`` (gave a trailer or a verdict), ``is:applied``, ``is:open``,
``tree:NAME`` (applied in that tree).  A word without a prefix searches
subject, from and body.  ``"quoted phrases"``, ``AND`` (or nothing),
``OR``, ``NOT`` (or a leading ``-``) and parentheses combine them; AND
binds tighter than OR, as in lore.

Pure: ``parse`` gives a tree of ``Term``/``And``/``Or``/``Not``; each store
translates it (``store.search``).  A query that cannot be parsed raises
``QueryError`` with one line saying where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

#: Text fields, as the index names its columns.
TEXT_FIELDS = ("s", "f", "t", "c", "b", "nq", "q", "dfn", "dfa", "dfb", "dfctx", "dfhh")
#: ``a:`` is any of these; a bare word any of those.
ANY_ADDRESS = ("f", "t", "c")
BARE = ("s", "f", "b")
#: Prefixes that are not text: dates, ids, and patchdesk's series facts.
OTHER_FIELDS = ("d", "m", "state", "v", "list", "reviewer", "is", "tree")
FIELDS = TEXT_FIELDS + ("a",) + OTHER_FIELDS
MAX_TERMS = 32
MAX_LENGTH = 500
_TOKEN = re.compile(r'\s*(?:(\()|(\))|(-)?(?:([a-z]+):)?("(?:[^"]*)"|[^\s()"]+)|("))', re.I)


class QueryError(ValueError):
    """The query cannot be read: the message says where."""


@dataclass(frozen=True, slots=True)
class Term:
    field: str
    value: str


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


Node = Term | And | Or | Not


def _tokens(text: str) -> list[tuple[str, str, str]]:
    """(kind, field, value): kind is "(", ")", "-", "AND", "OR", "NOT" or "term"."""
    out: list[tuple[str, str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.group(6):
            raise QueryError(f"an unclosed quote at character {pos + 1}")
        pos = m.end()
        if m.group(1):
            out.append(("(", "", ""))
            continue
        if m.group(2):
            out.append((")", "", ""))
            continue
        field, value = (m.group(4) or "").lower(), m.group(5)
        if field and field not in FIELDS:
            # lore leaves an unknown prefix as text ("subsys:" in a subject)
            value, field = f"{m.group(4)}:{value}", ""
        if not field and value in ("AND", "OR", "NOT") and not m.group(3):
            out.append((value, "", ""))
            continue
        if value.startswith('"'):
            value = value[1:-1]
        if m.group(3):
            out.append(("-", "", ""))
        out.append(("term", field, value))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, str]]) -> None:
        self.tokens, self.i, self.terms = tokens, 0, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() is not None:
            raise QueryError("a ')' without its '('")
        return node

    def disjunction(self) -> Node:
        parts = [self.conjunction()]
        while self.peek() == "OR":
            self.i += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.unary()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node:
        kind = self.peek()
        if kind in ("NOT", "-"):
            self.i += 1
            return Not(self.unary())
        if kind == "(":
            self.i += 1
            node = self.disjunction()
            if self.peek() != ")":
                raise QueryError("a '(' without its ')'")
            self.i += 1
            return node
        if kind == "term":
            _, field, value = self.tokens[self.i]
            self.i += 1
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QueryError(f"more than {MAX_TERMS} terms")
            return _term(field, value)
        raise QueryError(f"a term is missing before {kind or 'the end'}")


def _term(field: str, value: str) -> Node:
    if not value.strip():
        raise QueryError(f"{field or 'a term'}: nothing to search for")
    if field == "a":
        return Or(tuple(Term(f, value) for f in ANY_ADDRESS))
    if not field:
        return Or(tuple(Term(f, value) for f in BARE))
    if field == "d":
        dates(value)  # refuse a bad range now, not at the store
    if field == "is" and value.lower() not in ("applied", "open"):
        raise QueryError(f"is:{value}: is:applied or is:open")
    if field == "v" and not value.lstrip("v").isdigit():
        raise QueryError(f"v:{value}: a version number (v:3)")
    return Term(field, value)


def parse(text: str) -> Node:
    """The query tree of ``text`` (QueryError when it cannot be read)."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    if len(text) > MAX_LENGTH:
        raise QueryError(f"a query of {MAX_LENGTH} characters at most")
    tokens = _tokens(text)
    if not tokens:
        raise QueryError("an empty query")
    return _Parser(tokens).parse()


_RELATIVE = re.compile(r"(\d{1,4})\.(day|week|month|year)s?\.ago")
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}


def _when(text: str, now: datetime) -> datetime | None:
    if not text:
        return None
    m = _RELATIVE.fullmatch(text)
    if m:
        return now - timedelta(days=int(m[1]) * _UNITS[m[2]])
    for form in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, form).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise QueryError(f"d:{text}: a date as YYYYMMDD, YYYY-MM-DD or N.days|weeks|months|years.ago")


def dates(value: str, now: datetime | None = None) -> tuple[datetime | None, datetime | None]:
    """``d:`` as [start, end): ``A..B``, ``A..``, ``..B``, one day ``A``, or
    ``2.weeks.ago`` (since then).  A day named as the end is included."""
    now = now or datetime.now(timezone.utc)
    if ".." in value:
        start, _, end = value.partition("..")
        low, high = _when(start, now), _when(end, now)
        if low is None and high is None:
            raise QueryError("d:..: a date on one side at least")
        if high is not None and not _RELATIVE.fullmatch(end):
            high += timedelta(days=1)
        return low, high
    day = _when(value, now)
    assert day is not None
    if _RELATIVE.fullmatch(value):
        return day, None
    return day, day + timedelta(days=1)


def describe(node: Node) -> str:
    """The tree written back (for tests and the page's "searching for")."""
    if isinstance(node, Term):
        return f'{node.field}:"{node.value}"'
    if isinstance(node, Not):
        return f"NOT {describe(node.part)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(describe(p) for p in node.parts) + ")"

