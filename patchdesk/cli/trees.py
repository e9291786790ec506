"""``patchdesk tree add|scan|list``: the git trees that say what was applied."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..pipeline.review import refresh_review
from ..pipeline.trees import TreeError, add_tree, configure_tree, scan_tree
from ..store.trees import list_trees
from . import app
from .worker import BrokerOption, run_jobs
from .messages import JsonOption
from .output import console, error, print_json, progress_bar, short_date

tree_app = typer.Typer(no_args_is_help=True, help="Git trees: what was really applied.")
app.add_typer(tree_app, name="tree")


SinceOption = Annotated[str | None, typer.Option(
    "--since", help="A first (full) scan reads only commits after this: a date (2025-01-01, 2.years.ago) "
                    "or a revision of the tree (v6.12).  A linux.git-based branch holds about 1.3M commits.")]
PublicOption = Annotated[str | None, typer.Option(
    "--public", help="What thank-you mails name for this tree: its public URL and branch "
                     "(\"git://git.kernel.org/.../leds.git for-leds-next\"); default the tree's name and branch.")]


@tree_app.command("add")
def tree_add(ctx: typer.Context,
             name: Annotated[str, typer.Argument(help="A short name for the tree (used by scan, am --tree, ty).")],
             path: Annotated[Path, typer.Argument(help="A local git repository (a clone or a bare mirror).")],
             branch: Annotated[str, typer.Option("--branch", help="Branch to follow.")] = "master",
             since: SinceOption = None, public: PublicOption = None) -> None:
    """Register a local git repository's branch (then run `tree scan`)."""
    try:
        with ctx.obj.engine.begin() as conn:
            add_tree(conn, name, path, branch, since=since or "", public=public or "")
    except TreeError as exc:
        error(str(exc))
        raise typer.Exit(1)
    console.print(f"tree {name}: {path} {branch}" + (f", commits after {since}" if since else ""),
                  markup=False, highlight=False)


@tree_app.command("set")
def tree_set(ctx: typer.Context, name: Annotated[str, typer.Argument(help="A registered tree's name.")],
             since: SinceOption = None, public: PublicOption = None) -> None:
    """Change where a full scan starts (`--since ""` reads the whole branch) or what thank-yous name."""
    try:
        with ctx.obj.engine.begin() as conn:
            configure_tree(conn, name, since=since, public=public)
    except TreeError as exc:
        error(str(exc))
        raise typer.Exit(1)
    if since is not None:
        console.print(f"tree {name}: the next full scan (tree scan {name} --full) reads "
                      + (f"commits after {since}" if since.strip() else "the whole branch"),
                      markup=False, highlight=False)
    if public is not None:
        console.print(f"tree {name}: thank-yous name {public.strip() or 'the tree and its branch'}",
                      markup=False, highlight=False)


def apply_trees(engine, results: list[dict]) -> int:
    """Judge what the scans' matches changed; return how many matches changed."""
    refresh_review(engine)
    return sum(r.get("matched", 0) for r in results)


@tree_app.command("scan")
def tree_scan(ctx: typer.Context, name: Annotated[str | None, typer.Argument(help="One tree (default: all).")] = None,
              full: Annotated[bool, typer.Option("--full", help="Read the branch again from the start "
                                                 "(or from the tree's --since).")] = False,
              as_json: JsonOption = False, broker: BrokerOption = None) -> None:
    """Read new commits of the registered trees and find the applied patches."""
    engine = ctx.obj.engine
    with engine.connect() as conn:
        names = [t.name for t in list_trees(conn) if name in (None, t.name)]
    if name and not names:
        error(f"no tree named {name!r}")
        raise typer.Exit(1)
    if broker and full:
        error("--full runs here, not on workers: drop --broker")
        raise typer.Exit(2)
    if broker:  # one job per tree, then review jobs (workers need the trees' paths)
        from ..jobs.records import loads
        from ..jobs.runs import submit_scan
        done = loads(run_jobs(engine, broker, submit_scan(engine, names), "tree scan", as_json).result)
        results, matched, failed = done["trees"], done["matched"], done.get("failed", [])
    else:
        results, failed = [], []
        with progress_bar(as_json) as bar:
            for tree in names:  # a broken tree is reported; the others are still scanned
                task = bar.add_task(f"{tree}: listing commits", total=None)

                def total(n: int, task=task, tree=tree) -> None:
                    bar.update(task, total=n or None, description=f"{tree}: {n:,} commits to read")

                def progress(n: int, task=task) -> None:
                    bar.update(task, completed=n)
                try:
                    results.append(scan_tree(engine, tree, progress, total=total, full=full))
                except TreeError as exc:
                    failed.append({"tree": tree, "error": str(exc)})
                bar.update(task, description=f"{tree}: matching", total=None)
        matched = apply_trees(engine, results)
    for r in results:
        r.pop("shas", None)
    for f in failed:
        error(f["error"])
    if as_json:
        print_json({"trees": results, "matched": matched, "failed": failed})
    else:
        _print_scans(results, matched)
    if failed:
        raise typer.Exit(1)


def _print_scans(results: list[dict], matched: int) -> None:
    for r in results:
        how = "full scan" if r["full"] else "new"
        console.print(f"{r['tree']}: {r['new_commits']} commits ({how}), head {r['head'][:12]}",
                      markup=False, highlight=False)
    console.print(f"{matched} patches matched to commits", markup=False)


@tree_app.command("list")
def tree_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Registered trees, their branch and last scan."""
    with ctx.obj.engine.connect() as conn:
        trees = [{"name": t.name, "path": t.path, "branch": t.branch, "head": t.head,
                  "scanned_at": t.scanned_at, "since": t.since, "public": t.public} for t in list_trees(conn)]
    if as_json:
        print_json(trees)
        return
    table = Table(title=f"trees ({len(trees)})")
    for column in ("name", "path", "branch", "head", "scanned", "since", "public"):
        table.add_column(column)
    for t in trees:
        table.add_row(t["name"], t["path"], t["branch"], t["head"][:12], short_date(t["scanned_at"]),
                      t["since"] or "-", t["public"] or "-")
    console.print(table)
