"""``patchdesk state`` (manual override) and ``patchdesk maintainers``."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from ..review.maintainers import parse_maintainers
from ..review.states import STATES
from ..pipeline.review import clear_override, review_everything, role_book, set_override
from ..store.queries import series_detail
from ..store.review import load_maintainers
from . import app
from .messages import JsonOption
from .output import console, error, print_json

maintainers_app = typer.Typer(no_args_is_help=True, help="MAINTAINERS files: who maintains which files.")
app.add_typer(maintainers_app, name="maintainers")


def _who() -> str:
    return os.environ.get("PATCHDESK_USER") or getpass.getuser()


@app.command("state")
def state_command(ctx: typer.Context,
                  msgid: Annotated[str, typer.Argument(
                      metavar="MSGID|SERIES", help="A patch, a cover letter (the whole series), or a series id.")],
                  state: Annotated[str | None, typer.Argument(help=" | ".join(STATES))] = None,
                  why: Annotated[str, typer.Option("--why", help="The reason, kept with the override.")] = "",
                  by: Annotated[str | None, typer.Option("--by", help="Who decides (default: $PATCHDESK_USER "
                                                                       "or the login name).")] = None,
                  clear: Annotated[bool, typer.Option("--clear", help="Remove the override: evidence "
                                                                      "decides again.")] = False) -> None:
    """Set a patch's (or a series') state by hand; evidence never silently undoes it."""
    msgid = msgid.strip().strip("<>")
    with ctx.obj.engine.begin() as conn:
        targets = _targets(conn, msgid)
        if clear:
            removed = sum(clear_override(conn, m) for m in targets)
            console.print(f"removed {removed} override(s) of {msgid if msgid.isdigit() else f'<{msgid}>'}",
                          markup=False, highlight=False)
            return
        if state not in STATES:
            error(f"state must be one of: {', '.join(STATES)}")
            raise typer.Exit(2)
        if not why.strip():
            error("--why is required: say why the evidence is overridden")
            raise typer.Exit(2)
        found = [set_override(conn, m, state, by or _who(), why.strip()) for m in targets]
    if not targets or None in found:
        error(f"no series {msgid}" if msgid.isdigit() else f"no patch or cover letter <{msgid}>")
        raise typer.Exit(1)
    for m, series_id in zip(targets, found):
        console.print(f"<{m}> is {state} (series {series_id}), by {by or _who()}: {why.strip()}",
                      markup=False, highlight=False)


def _targets(conn, ident: str) -> list[str]:
    """What ``state`` sets: a series id means its cover letter (the whole
    series), or each of its patches when it has none; else the Message-ID."""
    if not ident.isdigit():
        return [ident]
    detail = series_detail(conn, int(ident))
    if detail is None:
        return []
    return [detail["cover"]] if detail["cover"] else [p["msgid"] for p in detail["patch_details"]]


@maintainers_app.command("load")
def maintainers_load(ctx: typer.Context,
                     path: Annotated[Path, typer.Argument(help="A MAINTAINERS file in the Linux kernel format.")],
                     list_name: Annotated[str, typer.Option("--list", help="Only for this list "
                                                                           "(default: every list).")] = "") -> None:
    """Load a kernel-format MAINTAINERS file and re-judge every series."""
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        error(f"cannot read {path}: {exc.strerror}")
        raise typer.Exit(1)
    sections = parse_maintainers(text)
    if not sections:
        error(f"{path}: no MAINTAINERS sections found")
        raise typer.Exit(1)
    with ctx.obj.engine.begin() as conn:
        load_maintainers(conn, list_name, text)
    judged = review_everything(ctx.obj.engine)
    console.print(f"{len(sections)} sections loaded{' for ' + list_name if list_name else ''}; "
                  f"{judged} series judged again", markup=False, highlight=False)


@maintainers_app.command("who")
def maintainers_who(ctx: typer.Context,
                    paths: Annotated[list[str], typer.Argument(help="File paths in the project (drivers/gpio/gpio-foo.c).")],
                    as_json: JsonOption = False) -> None:
    """Maintainers and reviewers of these files, most specific first."""
    with ctx.obj.engine.connect() as conn:
        index = role_book(conn).index
    roles = [{"name": r.name, "email": r.email, "role": r.role, "section": r.section, "status": r.status}
             for r in (index.roles_for(paths) if index else ())]
    if as_json:
        print_json(roles)
        return
    if not roles:
        console.print("nobody (no MAINTAINERS file names these files)", markup=False)
    for r in roles:
        console.print(f"{r['role']:<10} {r['name']} <{r['email']}>  [{r['section']}]", markup=False,
                      highlight=False)
