"""The FastAPI application: store, templates, security headers, routes."""

from __future__ import annotations

from pathlib import Path

import jinja2

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import BaseHTTPMiddleware

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


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse("request too large", status_code=413)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response


def create_app(db: str | None = None) -> FastAPI:
    """The desk over the store at ``db`` (a path or URL, as ``--db``)."""
    app = FastAPI(title="patchdesk", version="0.1.0", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None)
    app.state.engine = open_engine(db)
    app.state.limiter = FailureLimiter()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    app.state.templates = Jinja2Templates(env=env)
    app.add_middleware(PageCache, engine=app.state.engine)  # innermost: hits pass the guards too
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError):  # noqa: ARG001
        return JSONResponse({"detail": str(exc)[:300]}, status_code=400)

    from . import api, pages  # noqa: PLC0415 - routes need the app's state
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
