"""The ``patchdesk`` command: a thin layer over pipeline/ and store/.

Each command parses its options, opens the store named by ``--db`` (or
``PATCHDESK_DB``, default ./patchdesk.db) and calls one use case.  Command
groups live in their own modules and register themselves on ``app``.
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help="Where every patch on a mailing list stands.")


class State:
    """What the global options chose; commands open the engine lazily."""

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from ..store.db import open_engine
            self._engine = open_engine(self.db)
        return self._engine


@app.callback()
def _global(ctx: typer.Context,
            db: Annotated[str | None, typer.Option(
                "--db", envvar="PATCHDESK_DB",
                help="SQLite file or database URL (default ./patchdesk.db).")] = None) -> None:
    ctx.obj = State(db)


from . import am, check, ingest, live, messages, overlaps, review, series, threads, trees, ty, web, worker  # noqa: E402,F401  (register commands)


def main() -> None:
    app()
