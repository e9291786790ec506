"""Shared output helpers: Rich for people, ``--json`` for programs."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from rich.console import Console

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
