"""Shared output helpers: Rich for people, ``--json`` for programs."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from rich.console import Console
from rich.progress import (BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

from ..display import visible


class _Console(Console):
    """Rich, showing the invisible characters of mail text (``display``).
    Every string printed, table cells included, passes ``render_str``."""

    def render_str(self, text: str, **kwargs):
        return super().render_str(visible(text), **kwargs)


#: Piped output is not wrapped at 80 columns: tables stay one row per line.
console = _Console() if sys.stdout.isatty() else _Console(width=200)
err_console = _Console(stderr=True)


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, default=_default, ensure_ascii=False)
    sys.stdout.write("\n")


def short_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "?"


def error(message: str) -> None:
    """Print an error on stderr, unwrapped and without Rich markup."""
    err_console.print(f"error: {message}", soft_wrap=True, markup=False, highlight=False)


#: What every series command's argument accepts (issue 18: one meaning everywhere).
SERIES_HELP = "A series id (from `patchdesk series`) or the Message-ID of any of its mails (with or without <>)."


def progress_bar(quiet: bool) -> Progress:
    """A progress display on stderr: done / total, a bar, rate and time left
    when the total is known, a spinner and the time spent when it is not."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24),
                    TaskProgressColumn(), TimeRemainingColumn(compact=True, elapsed_when_finished=True),
                    TimeElapsedColumn(), console=err_console, transient=True, disable=quiet)


def amount(value: int, unit: str) -> str:
    """``218.2 MB``, ``18,245 commits``: what a progress line counts."""
    if unit == "bytes":
        for size, name in ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")):
            if value >= size:
                return f"{value / size:,.1f} {name}"
        return f"{value} bytes"
    return f"{value:,} {unit}"
