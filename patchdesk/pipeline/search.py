"""Search: keep the message index current, then answer a query (``search.query``).

The index is derived (``rebuild`` clears it; the next search fills it
again): each stored message not indexed yet is parsed and its fields
(``search.fields``) saved, in batches.  A query is evaluated term by term
into sets of stored messages: text terms by the store's full-text index,
``d:`` and ``m:`` by the messages table, patchdesk's series facts
(``state:``, ``v:``, ``list:``, ``tree:``, ``is:``) as the messages of
those series' threads, ``reviewer:`` as the series someone answered; AND,
OR and NOT are set operations (NOT against every stored message).
Results are messages, the patches among them, or their series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from ..model import RawMail, Unreadable
from ..parse import parse as parse_mail
from ..search.fields import BODY, fields, words
from ..search.query import And, Node, Not, Or, QueryError, Term, dates, parse
from ..store import search as store
from ..store.messages import decompress
from ..store.queries import list_series

BATCH = 500
#: is:applied and is:open, as series states.
IS_STATES = {"applied": ("accepted", "partially-accepted", "applied-claimed"),
             "open": ("new", "under-review", "changes-requested", "applied-claimed")}
KINDS = ("series", "patches", "messages")
#: Prefixes that name series, not messages.
SERIES_FIELDS = ("state", "v", "list", "tree", "is", "reviewer")


@dataclass
class Found:
    query: str
    kind: str
    total: int
    results: list[dict]


def refresh_index(engine: Engine, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every message stored since the last run; returns how many."""
    with engine.begin() as conn:
        store.ensure_index(conn)
        todo = store.pending(conn) if progress else 0  # a count of the whole table: only for a progress report
    done = 0
    while True:
        with engine.begin() as conn:
            last = store.last_indexed(conn)
            rows = store.to_index(conn, last, BATCH)
            if not rows:
                return done
            indexed = []
            for mid, raw, fmt in rows:
                try:
                    indexed.append((mid, fields(parse_mail(RawMail(decompress(raw), "", fmt)))))
                except Unreadable:
                    continue  # quarantined at ingest; nothing to find in it
            store.save_words(conn, indexed, rows[-1][0])
        done += len(rows)
        if progress:
            progress(done, todo)


def clear_index(engine: Engine) -> None:
    with engine.begin() as conn:
        store.ensure_index(conn)
        store.clear_index(conn)


def _series_term(conn: Connection, term: Term) -> set[int] | None:
    value = term.value
    if term.field == "state":
        return store.series_where(conn, states=[value.lower()])
    if term.field == "v":
        return store.series_where(conn, version=int(value.lstrip("vV")))
    if term.field == "list":
        return store.series_where(conn, list_name=value)
    if term.field == "tree":
        return store.series_where(conn, tree=value)
    if term.field == "is":
        return store.series_where(conn, states=IS_STATES[value.lower()])
    if term.field == "reviewer":  # someone who answered in the series' threads, not as its author
        answered = store.replies(conn, store.with_words(conn, "f", words(value)))
        return {sid for sids in store.series_of(conn, answered).values() for sid in sids}
    return None


def evaluate(conn: Connection, node: Node, universe: Callable[[], set[int]]) -> set[int]:
    """The stored messages ``node`` matches."""
    if isinstance(node, Term):
        if node.field == "b":
            return set().union(*(store.with_words(conn, f, words(node.value)) for f in BODY))
        if node.field in store.INDEXED:
            return store.with_words(conn, node.field, words(node.value))
        if node.field == "d":
            return store.dated(conn, *dates(node.value))
        if node.field == "m":
            return store.with_msgid(conn, node.value.strip().strip("<>"))
        series = _series_term(conn, node)
        if series is None:
            raise QueryError(f"{node.field}: not a field")
        return store.messages_of_series(conn, series)
    if isinstance(node, Or):
        return set().union(*(evaluate(conn, p, universe) for p in node.parts))
    if isinstance(node, Not):
        return universe() - evaluate(conn, node.part, universe)
    assert isinstance(node, And)
    series_terms = [p for p in node.parts if isinstance(p, Term) and p.field in SERIES_FIELDS]
    others = [p for p in node.parts if p not in series_terms]
    if series_terms and not others:  # only series facts: intersect the series, then list their mail
        return store.messages_of_series(conn, _series_facts(conn, series_terms))
    if series_terms and others:
        # "reviewer:rob is:open": match the messages first, then keep those of
        # series that pass, rather than listing every message of every open series
        found = evaluate(conn, others[0] if len(others) == 1 else And(tuple(others)), universe)
        wanted = _series_facts(conn, series_terms)
        owners = store.series_of(conn, found)
        return {m for m in found if owners.get(m, set()) & wanted}
    positive = [p for p in node.parts if not isinstance(p, Not)]
    found = evaluate(conn, positive[0], universe) if positive else universe()
    for part in positive[1:]:
        if not found:
            return found
        found &= evaluate(conn, part, universe)
    for part in node.parts:
        if isinstance(part, Not) and found:
            found -= evaluate(conn, part.part, universe)
    return found


def _series_facts(conn: Connection, terms: list[Term]) -> set[int]:
    """The series every one of ``terms`` (series facts) holds for."""
    wanted: set[int] | None = None
    for term in terms:
        ids = _series_term(conn, term) or set()
        wanted = ids if wanted is None else wanted & ids
    return wanted or set()


def _matched(conn: Connection, node: Node) -> set[int]:
    """The stored messages ``node`` matches; "every message" (for NOT) is
    read once, and only if needed."""
    everything: list[set[int]] = []

    def universe() -> set[int]:
        if not everything:
            everything.append(store.all_messages(conn))
        return everything[0]
    return evaluate(conn, node, universe)


def _owning(owners: dict[int, set[int]]) -> set[int]:
    return {sid for sids in owners.values() for sid in sids}


def series_ids(engine: Engine, text: str, refresh: bool = True) -> set[int]:
    """Every series ``text`` finds (for the board, which loads its own rows)."""
    node = parse(text)
    if refresh:
        refresh_index(engine)
    with engine.connect() as conn:
        return _owning(store.series_of(conn, _matched(conn, node)))


def search(engine: Engine, text: str, kind: str = "series", limit: int = 100, refresh: bool = True) -> Found:
    """Answer ``text`` (QueryError when it cannot be read)."""
    if kind not in KINDS:
        raise QueryError(f"results as one of {', '.join(KINDS)}")
    node = parse(text)
    if refresh:
        refresh_index(engine)
    with engine.connect() as conn:
        matched = _matched(conn, node)
        if kind == "messages":
            rows = store.message_rows(conn, matched, limit)
            results = [{"msgid": r.msgid, "subject": r.subject, "from": r.from_name, "from_email": r.from_addr,
                        "date": r.date} for r in rows]
            return Found(text, kind, len(matched), results)
        if kind == "patches":
            submitted = matched - store.replies(conn, matched)
            rows = store.message_rows(conn, submitted, limit)
            owners = store.series_of(conn, [r.id for r in rows])
            results = [{"msgid": r.msgid, "subject": r.subject, "from": r.from_name, "from_email": r.from_addr,
                        "date": r.date, "series": sorted(owners.get(r.id, ()))} for r in rows]
            return Found(text, kind, len(submitted), results)
        ids = _owning(store.series_of(conn, matched))
        shown = store.most_recent(conn, ids, limit)  # only the page shown is loaded whole
        series = {s["id"]: s for s in list_series(conn, include_superseded=True, ids=shown)}
    return Found(text, kind, len(ids), [series[i] for i in shown if i in series])
