"""The FastAPI application: store, templates, security headers, routes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware

from ..display import id_path, visible_value
from ..store.db import open_engine
from .auth import FailureLimiter
from .cache import PageCache

HERE = Path(__file__).parent
#: No scripts at all, styles only from our own stylesheet, no frames, no
#: plugins, forms post only here: a mail that slips through escaping can
#: still do nothing.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
#: Largest request body accepted (write endpoints take small JSON).
MAX_BODY = 64 * 1024
#: Writes one client address may have in progress at once.
WRITES_AT_ONCE = 2
#: Methods that change nothing.
SAFE = ("GET", "HEAD", "OPTIONS")
#: Where HTML forms may post (``web.desk``): everything else takes JSON only.
FORM_PATHS = ("/login", "/logout", "/desk/")


def secured(response):
    """The headers every answer carries, errors included."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with a form
    # post, and the desk's own forms could not be told from another site's
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        return secured(await call_next(request))


class HeadAsGet:
    """``HEAD`` answered as ``GET`` without the body (pure ASGI): FastAPI's
    routes list GET only, and monitors, crawlers and ``curl -I`` ask HEAD."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)
        await self.app({**scope, "method": "GET"}, receive, headers_only)


_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           413: "Too large", 429: "Too many requests", 500: "Internal error"}


def _for_people(request: Request) -> bool:
    """A page (HTML errors), not the JSON API."""
    return not request.url.path.startswith(("/api/", "/static/"))


def error_page(request: Request, status: int, detail: str):
    """The error answer: an HTML page for the desk, JSON for the API."""
    if not _for_people(request):
        return JSONResponse({"detail": detail}, status_code=status)
    return request.app.state.templates.TemplateResponse(
        request, "error.html", {"status": status, "title": _TITLES.get(status, "Error"), "detail": detail},
        status_code=status)


class RequestGuard:
    """What a request may be, before the routes see it (pure ASGI).

    * A body over ``MAX_BODY`` is refused (413): by its Content-Length, and
      while it arrives, for a body sent in chunks without one.
    * A write (any method but GET, HEAD, OPTIONS) is refused when a browser
      says it comes from another site (an ``Origin`` other than this host:
      403) and when its body is not JSON (415, by the media type itself, not
      a substring of the header).  The token in a header is what really
      stops a cross-site request; these two keep a form or a
      ``text/plain`` fetch from another page from reaching the routes.
    * A client address may have ``WRITES_AT_ONCE`` writes in progress; more
      are refused (429).  The failed-token limit counts a guess once it was
      checked (an scrypt, tens of milliseconds): without this, sixty
      guesses sent at once had twenty-five checked, not ten.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.writing: dict[str, int] = {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refused = self._refused(scope["method"], headers, scope.get("path", ""))
        if refused:
            await refused(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "?"
        write = scope["method"] not in SAFE
        if write and self.writing.get(client, 0) >= WRITES_AT_ONCE:
            await PlainTextResponse("too many writes at once", status_code=429)(scope, receive, send)
            return
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:
                    raise HTTPException(413, "request too large")
            return message

        if not write:
            await self.app(scope, limited, send)
            return
        self.writing[client] = self.writing.get(client, 0) + 1
        try:
            await self.app(scope, limited, send)
        finally:
            self.writing[client] -= 1
            if not self.writing[client]:
                del self.writing[client]

    @staticmethod
    def _refused(method: str, headers: dict[str, str], path: str = ""):
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse("request too large", status_code=413)
        if method in SAFE:
            return None
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != headers.get("host"):
            return PlainTextResponse("cross-origin write refused", status_code=403)
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "application/x-www-form-urlencoded" and path.startswith(FORM_PATHS):
            return None  # the desk's own forms: a session and its CSRF token are checked by the route
        if media != "application/json":
            return PlainTextResponse("send JSON", status_code=415)
        return None


def create_app(db: str | None = None) -> FastAPI:
    """The desk over the store at ``db`` (a path or URL, as ``--db``)."""
    app = FastAPI(title="patchdesk", version="0.1.0", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None)
    app.state.engine = open_engine(db)
    app.state.limiter = FailureLimiter()
    sqlite_file = app.state.engine.url.database if app.state.engine.dialect.name == "sqlite" else None
    from .desk import default_outbox  # noqa: PLC0415
    app.state.outbox = default_outbox(sqlite_file if sqlite_file not in (None, "", ":memory:") else None)
    # finalize: every value a template prints shows invisible characters
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                             finalize=visible_value)
    env.filters["idpath"] = id_path
    app.state.templates = Jinja2Templates(env=env)
    app.add_middleware(PageCache, engine=app.state.engine)  # innermost: hits pass the guards too
    app.add_middleware(RequestGuard)
    app.add_middleware(SecurityHeaders)  # every answer gets the headers
    app.add_middleware(HeadAsGet)  # outermost: HEAD is a GET whose body is dropped
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if not _for_people(request):
            return await http_exception_handler(request, exc)
        return error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError):
        if not _for_people(request):
            return await request_validation_exception_handler(request, exc)
        where = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'request'}: {e['msg']}" for e in exc.errors()[:3])
        return error_page(request, 400, where)

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError):
        return error_page(request, 400, str(exc)[:300])

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception):  # noqa: ARG001
        # an id past 2^63, "?days=999999999": nothing can match it
        return error_page(request, 400, "a number in the request is out of range")

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception):  # noqa: ARG001
        # Starlette answers this outside every middleware: add the headers here
        return secured(JSONResponse({"detail": "internal error"}, status_code=500))

    from . import api, desk, feeds, mbox, pages  # noqa: PLC0415 - routes need the app's state
    app.include_router(mbox.router)  # before the API's and pages' catch-all {msgid:path} routes
    app.include_router(feeds.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(desk.router)
    return app
