"""``patchdesk serve`` (the web desk) and ``patchdesk token create``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import app
from .output import console, error

token_app = typer.Typer(no_args_is_help=True, help="API write tokens.")
app.add_typer(token_app, name="token")


@app.command("serve")
def serve_command(ctx: typer.Context,
                  host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
                  port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
                  workers: Annotated[int, typer.Option("--workers", help="Web processes.")] = 1,
                  proxy: Annotated[list[str] | None, typer.Option(
                      "--proxy", metavar="ADDRESS", help="A reverse proxy whose X-Forwarded-For is believed "
                                                         "(repeatable; by default nobody's is).")] = None,
                  outbox: Annotated[Path | None, typer.Option("--outbox", metavar="DIR", help=(
                      "Where replies and thank-yous written from the web desk go (default: outbox/ beside "
                      "a SQLite store)."))] = None) -> None:
    """The web desk and REST API (FastAPI + uvicorn)."""
    import os

    from ..store.db import resolve_url
    from ..web.serve import run

    os.environ["PATCHDESK_DB"] = resolve_url(ctx.obj.db)
    if outbox is not None:
        os.environ["PATCHDESK_OUTBOX"] = str(outbox.resolve())
    ctx.obj.engine  # opens (and migrates) the store once, before the workers start  # noqa: B018
    console.print(f"patchdesk desk on http://{host}:{port}/  (API: http://{host}:{port}/api/openapi.json)",
                  markup=False, highlight=False)
    run(host, port, workers, proxy)  # with the limits against slow clients: see web/serve.py


@token_app.command("create")
def token_create(ctx: typer.Context,
                 name: Annotated[str, typer.Argument(
                     help="Who or what the token is for (recorded with every write it makes).")]) -> None:
    """Create a write token for the API; it is shown once, only its hash is stored."""
    from ..web.auth import create_token

    try:
        with ctx.obj.engine.begin() as conn:
            token = create_token(conn, name)
    except Exception as exc:  # noqa: BLE001 - a taken name is the usual cause
        error(f"cannot create token {name!r}: {type(exc).__name__} (is the name taken?)")
        raise typer.Exit(1)
    console.print(token, markup=False, highlight=False)
