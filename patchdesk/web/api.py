"""REST API under ``/api``: JSON in the export format, paginated.

Reading is open.  Writing (a state override, registering a tree) needs
``Authorization: Bearer <token>`` from ``patchdesk token create``; a
client that fails too often is refused for a while (429).  Write endpoints
take JSON only, so a cross-site HTML form cannot post to them (CSRF).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from ..review.states import STATES
from ..store.board import series_page
from ..store.checks import checks_of
from ..store.queries import find_series, patch_dicts, series_detail
from ..pipeline.review import set_override
from ..store.schema import Message, Series, StateEvent
from ..store.threads import thread_nodes
from ..pipeline.trees import TreeError, add_tree
from .auth import check_token

router = APIRouter(prefix="/api")
Page = Annotated[int, Query(ge=0, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]


def engine(request: Request):
    return request.app.state.engine


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def as_json(data) -> Response:
    """JSON by the standard library.  Returning a dict would send it
    through FastAPI's ``jsonable_encoder`` first: two thirds of the time
    of a 50-series page went there."""
    return Response(json.dumps(data, default=_plain, ensure_ascii=False, separators=(",", ":")),
                    media_type="application/json")


def writer(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """The token's name, or 401/429; only JSON bodies are accepted."""
    client = request.client.host if request.client else "?"
    limiter = request.app.state.limiter
    if limiter.blocked(client):
        raise HTTPException(429, "too many failed attempts; wait a minute")
    token = (authorization or "").removeprefix("Bearer ").strip()
    with request.app.state.engine.connect() as conn:
        name = check_token(conn, token)
    if name is None:
        limiter.fail(client)
        raise HTTPException(401, "a valid token is required: patchdesk token create NAME")
    if "application/json" not in request.headers.get("content-type", ""):
        raise HTTPException(415, "send JSON")
    return name


def queue_items(request: Request, me: str, show_all: bool, days: int | None) -> tuple[str, list[dict]] | None:
    """(who, items) of the desk's queue (``desk.queue``) for ``me`` or the
    stored me; None when nobody is known.  400 for a ``me`` without address."""
    from datetime import timedelta, timezone

    from ..pipeline.desk import DeskError, me_line, my_queue, parse_me, whoami
    now = datetime.now(timezone.utc)
    with engine(request).connect() as conn:
        try:
            who = parse_me(me) if me else whoami(conn)
        except DeskError as exc:
            raise HTTPException(400, str(exc)) from None
        if who is None:
            return None
        since = now - timedelta(days=days) if days else None
        items = [i for i in my_queue(conn, who, now, since) if show_all or not i.hidden]
    return me_line(who), [{
        "series": i.series, "name": i.name, "version": i.version, "submitter": i.submitter, "state": i.state,
        "reason": i.reason, "why": i.why, "other_reasons": list(i.others), "waiting_since": i.waiting_since,
        "waiting_days": (now - i.waiting_since).days, "unseen": i.unseen, "triage": i.triage or None,
        "hidden": i.hidden} for i in items]


@router.get("/queue")
def my_queue_api(request: Request, me: Annotated[str, Query(max_length=300)] = "",
                 show_all: Annotated[bool, Query(alias="all")] = False,
                 days: Annotated[int | None, Query(ge=1, le=100000)] = None):
    """What waits on the maintainer (``patchdesk me``, or ``?me=Name <addr>``), longest waiting first."""
    found = queue_items(request, me, show_all, days)
    if found is None:
        raise HTTPException(404, "nobody is set: run `patchdesk me \"Name <addr>\"` or pass ?me=")
    who, items = found
    return as_json({"me": who, "items": items})


@router.get("/search")
def search_api(request: Request, q: Annotated[str, Query(max_length=500)],
               kind: Annotated[str, Query(alias="as", pattern="^(series|patches|messages)$")] = "series",
               limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """A lore-style query (docs/search.md): series, patches or messages."""
    from ..pipeline.search import search
    from ..search.query import QueryError
    try:
        found = search(engine(request), q, kind=kind, limit=limit)
    except QueryError as exc:
        raise HTTPException(400, f"query: {exc}") from None
    return as_json({"query": found.query, "as": found.kind, "total": found.total, "results": found.results})


@router.get("/series")
def list_series(request: Request, page: Page = 0, per_page: PerPage = 50, state: str | None = None,
                list_name: Annotated[str, Query(alias="list")] = "", submitter: str = "", path: str = "",
                days: int | None = None, q: str = ""):
    """Series, most recently active first, with filters and search."""
    with engine(request).connect() as conn:
        if state and state not in (*STATES, "partially-accepted"):
            raise HTTPException(400, f"unknown state {state!r}: one of {', '.join(STATES)}, partially-accepted")
        states = (state,) if state else tuple(s for s in STATES if s != "superseded") + ("partially-accepted",)
        found = series_page(conn, states=states, page=page, per_page=per_page, list_name=list_name,
                            submitter=submitter, path=path, days=days, query=q)
    return as_json({"page": page, "per_page": per_page, **found})


@router.get("/series/{series_id}")
def one_series(request: Request, series_id: int):
    with engine(request).connect() as conn:
        detail = series_detail(conn, series_id)
    if detail is None:
        raise HTTPException(404, "no such series")
    return as_json(detail)


@router.get("/patches/{msgid:path}")
def one_patch(request: Request, msgid: str):
    with engine(request).connect() as conn:
        sid = find_series(conn, msgid)
        found = [p for p in patch_dicts(conn, [sid]) if p["msgid"] == msgid.strip("<>")] if sid else []
    if not found:
        raise HTTPException(404, "no such patch")
    return as_json(found[0])


@router.get("/messages/{msgid:path}")
def one_message(request: Request, msgid: str):
    with engine(request).connect() as conn:
        rows = conn.execute(select(Message.msgid, Message.from_name, Message.from_addr, Message.subject,
                                   Message.date, Message.refs, Message.flags, Message.size, Message.deleted)
                            .where(Message.msgid == msgid.strip("<>")).order_by(Message.id)).all()
    if not rows:
        raise HTTPException(404, "no such message")
    return as_json([{"msgid": r.msgid, "from": r.from_name, "from_email": r.from_addr, "subject": r.subject,
                     "date": r.date, "references": r.refs.split(), "flags": [f for f in r.flags.split(",") if f],
                     "size": r.size, "deleted": r.deleted} for r in rows])


@router.get("/threads/{msgid:path}")
def one_thread(request: Request, msgid: str):
    with engine(request).connect() as conn:
        nodes = thread_nodes(conn, msgid.strip("<>"))
    if not nodes:
        raise HTTPException(404, "no such thread")
    return as_json([{"msgid": n.msgid, "parent": n.parent, "present": n.present} for n in nodes])


@router.get("/events")
def events(request: Request, page: Page = 0, per_page: PerPage = 100, msgid: str = ""):
    """State changes, newest first (all, or of one patch)."""
    query = select(StateEvent).order_by(StateEvent.date.desc(), StateEvent.id.desc())
    if msgid:
        query = query.where(StateEvent.msgid == msgid.strip("<>"))
    with engine(request).connect() as conn:
        rows = conn.execute(query.limit(per_page).offset(page * per_page)).all()
    return as_json({"page": page, "per_page": per_page,
                    "items": [{"msgid": r.msgid, "date": r.date, "state": r.state, "reason": r.reason,
                               "cause": r.cause_msgid or None, "by": r.by or None} for r in rows]})


@router.get("/checks")
def checks(request: Request, series: int | None = None):
    with engine(request).connect() as conn:
        found = checks_of(conn, [series] if series is not None else None)
    return as_json({"items": [c for cs in found.values() for c in cs]})


@router.get("/stats")
def stats(request: Request):
    with engine(request).connect() as conn:
        return {"messages": conn.execute(select(func.count()).select_from(Message)).scalar_one(),
                "series": conn.execute(select(func.count()).select_from(Series)).scalar_one()}


class StateChange(BaseModel):
    state: str = Field(pattern="^(" + "|".join(STATES) + ")$")
    why: str = Field(min_length=1, max_length=2000)


@router.post("/patches/{msgid:path}/state")
def override_state(request: Request, msgid: str, change: StateChange, who: Annotated[str, Depends(writer)]):
    """Set a patch's state by hand (as ``patchdesk state``)."""
    with engine(request).begin() as conn:
        series_id = set_override(conn, msgid.strip("<>"), change.state, who, change.why)
    if series_id is None:
        raise HTTPException(404, "no such patch")
    return {"msgid": msgid.strip("<>"), "state": change.state, "by": who, "series": series_id}


class NewTree(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    path: str = Field(min_length=1, max_length=4000)
    branch: str = Field(min_length=1, max_length=250)
    #: a first scan reads only commits after this date or revision
    since: str = Field(default="", max_length=250)
    #: what thank-you mails name for the tree
    public: str = Field(default="", max_length=300)


@router.post("/trees", status_code=201)
def register_tree(request: Request, tree: NewTree, who: Annotated[str, Depends(writer)]):
    """Register a git tree (as ``patchdesk tree add``); scanning stays a CLI job."""
    try:
        with engine(request).begin() as conn:
            add_tree(conn, tree.name, Path(tree.path), tree.branch, since=tree.since, public=tree.public)
    except TreeError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"name": tree.name, "path": tree.path, "branch": tree.branch, "since": tree.since,
            "public": tree.public, "by": who}
