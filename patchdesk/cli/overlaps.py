"""``patchdesk overlaps``: which in-flight series step on each other."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from ..store.overlaps import in_flight, overlaps_of, save_overlaps, version_pairs
from ..store.schema import Tree
from ..trees.gitlog import GitError, resolve
from ..trees.overlaps import apply_together, find_overlaps
from . import app
from .messages import JsonOption
from .output import console, error, print_json


@app.command("overlaps")
def overlaps_command(ctx: typer.Context,
                     tree_name: Annotated[str | None, typer.Option("--tree", help="Check with git which "
                                                                                  "overlapping series do not "
                                                                                  "apply together.")] = None,
                     as_json: JsonOption = False) -> None:
    """In-flight series touching the same files and hunks, conflicts and dependencies."""
    engine = ctx.obj.engine
    with engine.connect() as conn:
        series, diffs = in_flight(conn)
        versions = version_pairs(conn, [s.series_id for s in series])
        tree = conn.execute(select(Tree).where(Tree.name == tree_name)).first() if tree_name else None
    if tree_name and tree is None:
        error(f"no tree named {tree_name!r}")
        raise typer.Exit(1)
    # a series and its own partial re-roll (v5, v5.1) are one piece of work, not rivals
    found = [o for o in find_overlaps(series) if (min(o.a, o.b), max(o.a, o.b)) not in versions]
    conflicts = {}
    if tree is not None:
        try:
            base = resolve(Path(tree.path), tree.branch)
        except GitError as exc:
            error(str(exc))
            raise typer.Exit(1)
        conflicts = apply_together(tree.path, base, [(o.a, o.b) for o in found if o.hunks], diffs)
    with engine.begin() as conn:
        save_overlaps(conn, found, conflicts, tree_name or "")
        mapped = overlaps_of(conn)
    if as_json:
        print_json({str(k): v for k, v in sorted(mapped.items())})
        return
    names = {s.series_id: s.name for s in series}
    for o in found:
        verdict = {True: "do not apply together", False: "apply together", None: "not checked"}[
            conflicts.get((o.a, o.b))]
        console.print(f"{o.a} {names[o.a]}  <->  {o.b} {names[o.b]}", markup=False, highlight=False)
        console.print(f"     {len(o.files)} shared file(s), {o.hunks} overlapping hunk(s): {verdict}"
                      + (f"; {o.dependency}" if o.dependency else ""), markup=False, highlight=False)
    if not found:
        console.print("no in-flight series overlap", markup=False)
