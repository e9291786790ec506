"""``patchdesk am SERIES``: the latest version, ready for ``git am``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from ..pipeline.am import LORE, series_mbox
from ..store.schema import Tree
from ..trees.gitlog import GitError
from ..trees.worktree import NO_HOOKS, private_worktree
from . import app
from .output import SERIES_HELP, err_console, error
from .series import VersionOption, resolve_version


def _say(text: str) -> None:
    """The report goes to stderr: stdout may be piped into git am."""
    err_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _apply(repo: Path, branch: str, name: str, text: str) -> tuple[bool, str]:
    """``git am`` in a private worktree (always removed, no hooks run); the
    new branch is made only when every patch applied, so a failed or
    killed run leaves none behind."""
    if subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"refs/heads/{name}"],
                      capture_output=True).returncode == 0:
        return False, f"branch {name} exists already"
    try:
        with private_worktree(repo, branch, prefix="patchdesk-am-") as work:
            mbox = work.parent / "series.mbox"
            mbox.write_text(text)
            done = subprocess.run(["git", "-C", str(work), *NO_HOOKS, "am", "-q", "--patch-format=mboxrd", str(mbox)],
                                  capture_output=True, text=True, errors="replace")
            if done.returncode:
                subprocess.run(["git", "-C", str(work), *NO_HOOKS, "am", "--abort"], capture_output=True)
                return False, (done.stdout + done.stderr).strip()[-2000:]
            made = subprocess.run(["git", "-C", str(work), *NO_HOOKS, "update-ref", f"refs/heads/{name}", "HEAD",
                                   ""], capture_output=True, text=True, errors="replace")  # "": must be new
            return made.returncode == 0, made.stderr.strip()[-500:]
    except GitError as exc:
        return False, str(exc)


@app.command("am")
def am_command(ctx: typer.Context, ident: Annotated[str, typer.Argument(metavar="SERIES", help=SERIES_HELP)],
               output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the mbox here "
                                                                                 "(default: stdout).")] = None,
               apply: Annotated[str | None, typer.Option("--apply", metavar="TREE",
                                                         help="Apply it on a new branch of this tree.")] = None,
               link_base: Annotated[str, typer.Option("--link-base", help="Add Link: BASE/<msgid> "
                                                                           "('' for none).")] = LORE,
               trust: Annotated[list[str] | None, typer.Option(
                   "--trust", metavar="MSGID", help="Use this member although another message claims its "
                                                    "Message-ID (its stored name, as `show` prints it).")] = None,
               version: VersionOption = None) -> None:
    """The latest version of a series (or --version N) as an mbox for `git am`, trailers added.

    A member whose Message-ID another stored message also claims is refused
    until ``--trust`` names it: a reused Message-ID is how a stranger's diff
    would get into a maintainer's tree."""
    with ctx.obj.engine.connect() as conn:
        found = series_mbox(conn, resolve_version(conn, ident, version), trust or (), link_base, latest_version=False)
        tree = conn.execute(select(Tree).where(Tree.name == apply)).first() if apply else None
    detail = found.detail
    assert detail is not None  # _resolve found the series
    for why in found.refused:
        error(why)
    if found.refused:
        raise typer.Exit(1)
    if apply and tree is None:
        error(f"no tree named {apply!r}")
        raise typer.Exit(1)
    for report in found.reports:
        _say(f"{report.number}/{len(found.reports)} {report.subject}")
        for t in report.added:
            flag = "  [names somebody else than its sender]" if "other-person" in t["flags"] else ""
            _say(f"    + {t['key']}: {t['value']}  (from {t['by']}, <{t['msgid']}>){flag}")
        for t in report.skipped:
            _say(f"    - {t['key']}: {t['value']}  not added: {t['why']}")
    text = found.text
    if output is not None:
        output.write_text(text)
    elif apply is None:
        sys.stdout.write(text)
    if tree is not None:
        name = "patchdesk/" + re.sub(r"[^A-Za-z0-9._-]+", "-", f"series-{detail['id']}-{detail['version_label']}")
        ok, why = _apply(Path(tree.path), tree.branch, name, text)
        if not ok:
            error(f"git am failed on {tree.name}: {why}")
            raise typer.Exit(1)
        _say(f"applied on branch {name} of {tree.name}")
