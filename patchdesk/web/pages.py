"""Server-rendered pages: board, series, interdiff, thread, patch, overlaps,
a maintainer's queue.  Plain links and GET forms: readable without
JavaScript (and the CSP allows none)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import DiffLexer
from markupsafe import Markup

from ..model import RawMail
from ..parse import parse
from ..parse.patch import split_patch
from ..review.quotes import split_reply
from ..store.board import BOARD_STATES, HIDDEN_BY_DEFAULT, PAGE, board, queue
from ..store.messages import raw_of
from ..store.overlaps import overlaps_of
from ..pipeline.diffs import diff_texts
from ..store.queries import find_series, patch_dicts, series_detail, version_label
from ..store.schema import Series
from ..pipeline.review import role_book
from ..store.series import load_series_info
from ..store.trees import list_trees
from ..pipeline.threads import load_thread
from ..pipeline.search import series_ids
from ..search.query import QueryError
from ..versions.interdiff import interdiff

from .api import engine, queue_items
from .session import current

router = APIRouter()
_DIFF_HTML = HtmlFormatter(nowrap=True, classprefix="d-")


def _page(request: Request, template: str, **context) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context)


def diff_html(text: str) -> Markup:
    """Pygments output: it escapes the diff itself, and emits only spans."""
    return Markup(highlight(text, DiffLexer(), _DIFF_HTML))


@router.get("/", response_class=HTMLResponse)
def board_page(request: Request, list_name: Annotated[str, Query(alias="list", max_length=200)] = "",
               submitter: Annotated[str, Query(max_length=200)] = "",
               maintainer: Annotated[str, Query(max_length=200)] = "",
               path: Annotated[str, Query(max_length=500)] = "", days: Annotated[str, Query(max_length=6)] = "",
               q: Annotated[str, Query(max_length=200)] = "", show_all: Annotated[bool, Query(alias="all")] = False,
               page: Annotated[int, Query(ge=0, le=10000)] = 0):
    """The in-flight board: series grouped by state, with counts and filters.
    (The form sends every field, empty ones too: "days=" means no limit.)"""
    if days and not days.isdigit():
        raise HTTPException(400, "days must be a number of days")
    states = BOARD_STATES if show_all else tuple(s for s in BOARD_STATES if s not in HIDDEN_BY_DEFAULT)
    matched = None
    if "".join(ch for ch in q if ch.isprintable()).strip():  # lore's language: s: f: b: dfn: ... and bare words
        try:
            matched = sorted(series_ids(engine(request), q))
        except QueryError as exc:
            raise HTTPException(400, f"search: {exc}") from None
    with engine(request).connect() as conn:
        book = role_book(conn) if maintainer else None
        found = board(conn, states=states, page=page, list_name=list_name, submitter=submitter,
                      path=path, days=int(days) if days else None, found=matched, maintainer=maintainer, book=book)
        mine = queue(conn, maintainer, book, limit=50) if maintainer else None
    filters = {"list": list_name, "submitter": submitter, "maintainer": maintainer, "path": path,
               "days": days, "q": q}
    kept = {k: v for k, v in filters.items() if v} | ({"all": "true"} if show_all else {})
    more = any(len(rows) >= PAGE for rows in found["columns"].values())
    pager = {"newer": urlencode(kept | {"page": page - 1}) if page else None,
             "older": urlencode(kept | {"page": page + 1}) if more else None}
    counts = {s: n for s, n in found["counts"].items() if n and s in states}
    return _page(request, "board.html", found=found, counts=counts, states=states, filters=filters,
                 show_all=show_all, page=page, queue=mine, pager=pager)


@router.get("/series/{series_id}", response_class=HTMLResponse)
def series_page(request: Request, series_id: int):
    with engine(request).connect() as conn:
        detail = series_detail(conn, series_id)
        if detail is None:
            raise HTTPException(404, "no such series")
        session = current(request, conn)
        trees = [t.name for t in list_trees(conn)] if session else []
        labels = {i: version_label(a, b) for i, a, b in conn.execute(
            select(Series.id, Series.version_major, Series.version_minor)
            .where(Series.id.in_(detail["versions"] or [-1])))}
    versions = [{"id": v, "version_label": labels[v]} for v in detail["versions"] if v in labels]
    return _page(request, "series.html", s=detail, versions=versions, session=session, trees=trees)


@router.get("/interdiff/{old}/{new}", response_class=HTMLResponse)
def interdiff_page(request: Request, old: int, new: int):
    with engine(request).connect() as conn:
        older, newer = load_series_info(conn, old), load_series_info(conn, new)
        if older is None or newer is None:
            raise HTTPException(404, "no such series")
        texts = diff_texts(conn, [p.msgid for p in older.patches + newer.patches])
    sections = [(s, diff_html(s.diff) if s.diff else "") for s in interdiff(older, newer, texts)]
    return _page(request, "interdiff.html", older=older, newer=newer, sections=sections)


def _folded(body: str, verdicts: list[str]) -> list[dict]:
    """A reply as blocks: own text (verdict sentences marked), quotes folded."""
    blocks = []
    for seg in split_reply(body).segments:
        text = "\n".join(seg.lines)
        if not text.strip():
            continue
        marked = [v for v in verdicts if v and v in " ".join(text.split())]
        blocks.append({"kind": seg.kind, "depth": seg.depth, "text": text, "lines": len(seg.lines),
                       "verdicts": marked})
    return blocks


@router.get("/thread/{msgid:path}", response_class=HTMLResponse)
def thread_page(request: Request, msgid: str):
    msgid = msgid.strip("<>")
    with engine(request).connect() as conn:
        rows = load_thread(conn, msgid)
        if not rows:
            raise HTTPException(404, "no such thread")
        raws = raw_of(conn, [r["msgid"] for r in rows if r["present"]][:300])
        # the verdicts of every series in this thread (the page may be opened on a reply)
        sids = {find_series(conn, r["msgid"]) for r in rows if r["present"]} - {None}
        verdicts = [v["text"] for p in (patch_dicts(conn, sorted(sids)) if sids else []) for v in p["verdicts"]]
    messages = []
    for r in rows:
        body = ""
        if r["msgid"] in raws:
            raw, fmt = raws[r["msgid"]]
            body = parse(RawMail(raw, "", fmt)).body[:200_000]
        messages.append({**r, "blocks": _folded(body, verdicts) if body else []})
    return _page(request, "thread.html", messages=messages, focus=msgid)


@router.get("/patch/{msgid:path}", response_class=HTMLResponse)
def patch_page(request: Request, msgid: str):
    msgid = msgid.strip("<>")
    with engine(request).connect() as conn:
        sid = find_series(conn, msgid)
        found = [p for p in patch_dicts(conn, [sid]) if p["msgid"] == msgid] if sid else []
        raw = raw_of(conn, [msgid]).get(msgid)
    if not found or raw is None:
        raise HTTPException(404, "no such patch")
    parsed = parse(RawMail(raw[0], "", raw[1]))
    body = split_patch(parsed.body, parsed.attachments)
    return _page(request, "patch.html", p=found[0], message=body.message, notes=body.notes,
                 diff=diff_html(body.diff.text) if body.diff else "")


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, me: Annotated[str, Query(max_length=300)] = "",
               show_all: Annotated[bool, Query(alias="all")] = False,
               days: Annotated[str, Query(max_length=6)] = ""):
    """The maintainer's queue (docs/desk.md): what waits on them, and why."""
    if days and not days.isdigit():
        raise HTTPException(400, "days must be a number of days")
    found = queue_items(request, me, show_all, int(days) if days else None)
    who, items = found if found is not None else ("", [])
    with engine(request).connect() as conn:
        session = current(request, conn)
    return _page(request, "queue.html", who=who, items=items, me=me, show_all=show_all, days=days,
                 known=found is not None, session=session)


@router.get("/overlaps", response_class=HTMLResponse)
def overlaps_page(request: Request):
    with engine(request).connect() as conn:
        mapped = overlaps_of(conn)
        names = {}
        ids = sorted(set(mapped) | {o["series"] for os in mapped.values() for o in os})
        for sid in ids[:2000]:
            d = series_detail(conn, sid)
            if d:
                names[sid] = f"{d['name']} {d['version_label']}"
    pairs = [(a, o) for a, os in sorted(mapped.items()) for o in os if a < o["series"]]
    return _page(request, "overlaps.html", pairs=pairs, names=names)
