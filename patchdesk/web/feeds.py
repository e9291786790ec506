"""Atom feeds (RFC 4287): what happened to the patches of a list, a query, a person, a series.

Each entry is one state change of one patch (posted, reviewed, changes
requested, applied, superseded by a new version ...), with the reason the
judge gave and a link to the series page.  Entry ids are tag URIs made
from the change's content (``store.feeds.event_key``), so a feed reader
sees the same change once however often the series is judged again.  The
XML is built with ElementTree, which escapes every text from the list.
"""

from __future__ import annotations

from datetime import datetime, timezone
from xml.etree import ElementTree as ET

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from typing import Annotated

from ..model import version_label
from ..pipeline.search import search
from ..search.query import QueryError
from ..store import feeds as store
from ..store.queries import find_series, series_ids_in_list, version_chain
from .api import engine

router = APIRouter(include_in_schema=False)
ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 100
_CONTROL = dict.fromkeys(i for i in range(32) if i not in (9, 10, 13))  # XML 1.0 refuses these


def _text(value: str) -> str:
    return (value or "").translate(_CONTROL)


def _iso(when: datetime | None) -> str:
    return (when or datetime(1970, 1, 1, tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


def atom(request: Request, title: str, feed_id: str, events: list[dict]) -> Response:
    base = str(request.base_url).rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def add(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _text(v) for k, v in attrs.items()})
        if text is not None:
            element.text = _text(text)
        return element
    add(feed, "id", f"tag:patchdesk,2026:{feed_id}")
    add(feed, "title", title)
    add(feed, "updated", _iso(max((e["date"] for e in events if e["date"]), default=None)))
    add(feed, "link", rel="self", href=str(request.url))
    add(feed, "link", rel="alternate", href=base + "/")
    author = add(feed, "author")
    add(author, "name", "patchdesk")
    add(feed, "generator", "patchdesk")
    for e in events:
        entry = add(feed, "entry")
        add(entry, "id", f"tag:patchdesk,2026:event:{e['key']}")
        label = version_label(*e["version"])
        number = f"[{e['number']}/{e['total']}] " if e["total"] and e["total"] > 1 else ""
        add(entry, "title", f"{e['state']}: {number}{e['subject']} ({e['name']} {label})")
        add(entry, "updated", _iso(e["date"]))
        add(entry, "link", rel="alternate", href=f"{base}/series/{e['series']}#p{e['number']}")
        who = add(entry, "author")
        add(who, "name", e["by"] or e["author"] or "unknown")
        add(entry, "summary", e["reason"] or e["state"])
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/feeds/list/{name}.atom")
def list_feed(request: Request, name: str):
    with engine(request).connect() as conn:
        ids = series_ids_in_list(conn, name)
        if not ids:
            raise HTTPException(404, f"no series seen on {name}")
        events = store.events(conn, ids, ENTRIES)
    return atom(request, f"patchdesk: {name}", f"list:{name}", events)


@router.get("/feeds/series/{series_id}.atom")
def series_feed(request: Request, series_id: int):
    with engine(request).connect() as conn:
        if find_series(conn, str(series_id)) is None:
            raise HTTPException(404, "no such series")
        chain = version_chain(conn, series_id) or [series_id]
        events = store.events(conn, chain, ENTRIES)
    return atom(request, f"patchdesk: series {series_id} and its versions", f"series:{chain[0]}", events)


@router.get("/feeds/person/{address}.atom")
def person_feed(request: Request, address: str):
    if "@" not in address:
        raise HTTPException(400, "an address")
    with engine(request).connect() as conn:
        ids = store.series_of_person(conn, address)
        events = store.events(conn, ids, ENTRIES)
    return atom(request, f"patchdesk: series from {address}", f"person:{address.lower()}", events)


@router.get("/feeds/search.atom")
def search_feed(request: Request, q: Annotated[str, Query(max_length=500)]):
    try:
        found = search(engine(request), q, kind="series", limit=1000)
    except QueryError as exc:
        raise HTTPException(400, f"query: {exc}") from None
    with engine(request).connect() as conn:
        events = store.events(conn, [s["id"] for s in found.results], ENTRIES)
    return atom(request, f"patchdesk: {q}", f"search:{q}", events)
