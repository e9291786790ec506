"""``patchdesk judge FILE...``: the judgement of some mail, with no store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import app
from .output import console, error


@app.command("judge")
def judge_command(
    paths: Annotated[list[Path], typer.Argument(help="mbox files, Maildirs or public-inbox archives.")],
    maintainers: Annotated[list[Path] | None, typer.Option(
        "--maintainers", help="A MAINTAINERS file for roles (repeatable).")] = None,
) -> None:
    """Judge mail in memory (series, versions, reviews) and print the outline;
    nothing is stored.  The same judgement a store would reach."""
    from ..judge.memory import judge
    from ..judge.outline import of_judgement, render
    from ..sources import SourceError, discover

    mails = []
    try:
        for path in paths:
            for source in discover(path):
                mails.extend(source.messages({}))
        texts = [p.read_text(errors="replace") for p in maintainers or []]
    except (SourceError, OSError) as exc:
        error(str(exc))
        raise typer.Exit(2)
    judged = judge(mails, maintainers=texts)
    console.print(render(of_judgement(judged)), end="", markup=False, highlight=False, soft_wrap=True)
    for position, reason in judged.unreadable:
        error(f"unreadable at {position}: {reason}")
