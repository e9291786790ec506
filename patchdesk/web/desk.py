"""The desk's actions on the web: log in, then triage, reply, take and thank.

Plain HTML forms posted to this server (the CSP allows no script and forms
only to 'self'), behind a session (``web.session``): each form carries the
session's CSRF token.  Every action is the command line's own (the
``pipeline.desk``, ``pipeline.take`` and ``pipeline.thank`` functions), and
its answer is a page saying what was done, with links back: nothing from
the request is echoed into a redirect.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ..pipeline.desk import DeskError, parse_me, series_of, triage, until_of, write_reply
from ..pipeline.take import patch_numbers, take_series
from ..pipeline.thank import ThankError, thank_series
from ..store.trees import list_trees
from .api import engine
from .session import COOKIE, close_session, cookie_args, current, open_session, require, who_logs_in

router = APIRouter(include_in_schema=False)
#: Form bodies are small; more fields than this is not one of our forms.
MAX_FIELDS = 20


def outbox(request: Request) -> Path:
    """Where replies and thank-yous written from the web go (``serve --outbox``)."""
    return request.app.state.outbox


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    try:
        fields = parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise HTTPException(400, "too many form fields") from None
    return {k: v[0] for k, v in fields.items()}


def _page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status)


def _done(request: Request, title: str, lines: list[str], back: str, status: int = 200) -> HTMLResponse:
    return _page(request, "done.html", status, title=title, lines=lines, back=back)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    with engine(request).connect() as conn:
        session = current(request, conn)
    return _page(request, "login.html", who=session.who if session else "")


@router.post("/login")
async def login(request: Request):
    fields = await _form(request)
    client = request.client.host if request.client else "?"
    limiter = request.app.state.limiter
    if limiter.blocked(client):
        raise HTTPException(429, "too many failed logins: wait a minute")
    with engine(request).begin() as conn:
        who = who_logs_in(conn, fields.get("secret", ""))
        if who is None:
            limiter.fail(client)
            raise HTTPException(403, "wrong password or token")
        token = open_session(conn, who)
    answer = RedirectResponse("/queue", status_code=303)
    answer.set_cookie(COOKIE, token, **cookie_args(request))
    return answer


@router.post("/logout")
async def logout(request: Request):
    fields = await _form(request)
    with engine(request).begin() as conn:
        require(request, conn, fields.get("csrf", ""))
        close_session(request, conn)
    answer = RedirectResponse("/", status_code=303)
    answer.delete_cookie(COOKIE, path="/")
    return answer


@router.post("/desk/triage/{series_id}", response_class=HTMLResponse)
async def triage_action(request: Request, series_id: int):
    fields = await _form(request)
    action = fields.get("action", "")
    with engine(request).begin() as conn:
        session = require(request, conn, fields.get("csrf", ""))
        try:
            latest, _ = triage(conn, str(series_id), action, until=until_of(fields.get("until") or None),
                               to=fields.get("to", "").strip()[:300], why=fields.get("why", "").strip()[:500],
                               by=session.who)
        except DeskError as exc:
            raise HTTPException(400, str(exc)) from None
    return _done(request, f"series {latest}: {action}", [f"by {session.who}"], "/queue")


def _me(session) -> object:
    try:
        return parse_me(session.who)
    except DeskError:
        raise HTTPException(400, "this session has no address (an API token's): log in with the desk's "
                                 "password to write mail") from None


@router.post("/desk/reply", response_class=HTMLResponse)
async def reply_action(request: Request):
    fields = await _form(request)
    with engine(request).connect() as conn:
        session = require(request, conn, fields.get("csrf", ""))
        series_id = series_of(conn, fields.get("msgid", ""))
    kinds = [k for k in ("ack", "review", "test") if fields.get(k)]
    try:
        result = write_reply(engine(request), _me(session), fields.get("msgid", ""), kinds=kinds,
                             text=fields.get("text", "")[:20000], out=outbox(request))
    except DeskError as exc:
        raise HTTPException(400, str(exc)) from None
    lines = [f"written to {result['file']}" + (" and read into the store" if result["ingested"] else ""),
             "send it with your mailer or git send-email"]
    return _done(request, "reply written", lines, f"/series/{series_id}" if series_id else "/queue")


@router.post("/desk/take/{series_id}", response_class=HTMLResponse)
async def take_action(request: Request, series_id: int):
    fields = await _form(request)
    with engine(request).connect() as conn:
        require(request, conn, fields.get("csrf", ""))
        names = {t.name for t in list_trees(conn)}
    tree = fields.get("tree", "")
    if tree not in names:
        raise HTTPException(400, "choose a registered tree")
    try:
        only = patch_numbers(fields.get("patches", ""))
    except ValueError:
        raise HTTPException(400, "patches: numbers, as 1,3") from None
    result = take_series(engine(request), series_id, tree, only=only)
    lines = [f"warning: {w}" for w in result.warnings] + result.refused
    if result.ok:
        lines.insert(0, f"took {result.version} patches {', '.join(map(str, result.patches))} onto {tree}, head "
                        f"{result.head[:12]}; now " + ", ".join(f"{n}: {s}" for n, s in result.states.items()))
    return _done(request, "taken" if result.ok else "not taken", lines, f"/series/{result.series or series_id}",
                 200 if result.ok else 409)


@router.post("/desk/thank/{series_id}", response_class=HTMLResponse)
async def thank_action(request: Request, series_id: int):
    fields = await _form(request)
    with engine(request).connect() as conn:
        session = require(request, conn, fields.get("csrf", ""))
    _me(session)
    try:
        result = thank_series(engine(request), str(series_id), session.who, outbox(request),
                              archive=bool(fields.get("archive")))
    except ThankError as exc:
        raise HTTPException(409, str(exc)) from None
    lines = [f"{result['status']}" + (f": {result['target']}" if result.get("target") else "")]
    if result.get("archived"):
        lines.append("archived on your desk")
    return _done(request, "thank-you", lines, f"/series/{series_id}")


def default_outbox(db_path: str | None) -> Path:
    configured = os.environ.get("PATCHDESK_OUTBOX")
    if configured:
        return Path(configured)
    return (Path(db_path).parent if db_path else Path(".")) / "outbox"
