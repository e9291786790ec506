"""The ``patchdesk`` command: a thin layer over pipeline/ and store/.

Each command parses its options, opens the store named by ``--db`` (or
``PATCHDESK_DB``, default ./patchdesk.db) and calls one use case.  Command
groups live in their own modules and register themselves on ``app``.
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  pretty_exceptions_enable=False, help="Where every patch on a mailing list stands.")


#: Commands that may make a new store; the others report a missing one.
CREATING = {"ingest", "lmtp", "watch", "worker", "tree", "maintainers", "token", "serve"}


class State:
    """What the global options chose; commands open the engine lazily."""

    def __init__(self, db: str | None, command: str | None = None) -> None:
        self.db = db
        self.command = command
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from ..store.db import open_engine
            self._engine = open_engine(self.db, create=self.command in CREATING or self.command is None)
        return self._engine


@app.callback()
def _global(ctx: typer.Context,
            db: Annotated[str | None, typer.Option(
                "--db", envvar="PATCHDESK_DB",
                help="SQLite file or database URL (default ./patchdesk.db).")] = None) -> None:
    ctx.obj = State(db, ctx.invoked_subcommand)


from . import am, check, desk, ingest, judge, live, messages, notify, overlaps, review, search, series, threads, trees, ty, web, webhooks, worker  # noqa: E402,F401,E501  (register commands)


def main() -> None:
    """The console entry point: a failure the user can act on is one line
    (exit 2), never a traceback; Ctrl-C is one line (exit 130)."""
    import sys

    from sqlalchemy.exc import SQLAlchemyError

    from ..store.db import StoreError, first_line

    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; run the same command again to finish\n")
        sys.exit(130)
    except StoreError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except SQLAlchemyError as exc:
        said = first_line(exc)
        if "malformed" in said or "not a database" in said:
            said += "; the store is damaged: `patchdesk doctor` checks it in full"
        sys.stderr.write(f"error: the store failed: {said}\n")
        sys.exit(2)
    except OverflowError:
        sys.stderr.write("error: a number given is out of range\n")
        sys.exit(2)
    except OSError as exc:
        sys.stderr.write(f"error: {exc.strerror or exc}: {exc.filename or ''}\n".replace(": \n", "\n"))
        sys.exit(2)
