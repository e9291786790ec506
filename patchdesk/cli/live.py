"""``patchdesk lmtp`` and ``patchdesk watch``: the desk follows the list live."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from . import app
from .output import console, err_console


def _wait_for_signal() -> threading.Event:
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    return done


@app.command("lmtp")
def lmtp_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8024,
    list_name: Annotated[str | None, typer.Option(
        "--list", help="List for all mail (default: each recipient's local part).")] = None,
    accept: Annotated[list[str] | None, typer.Option(
        "--accept", help="Take mail only for this list (a recipient's local part); repeat for more. "
                         "Default: the lists the store knows and a few new ones.")] = None,
) -> None:
    """Receive list mail by LMTP (RFC 2033); answer 250 only once it is stored."""
    from ..pipeline.live import LiveDesk
    from ..sources.lmtp import Recipients, start_server

    desk = LiveDesk(ctx.obj.engine, f"lmtp://{host}:{port}", durable=True)
    recipients = Recipients(list_name, accept or (), desk.list_names())

    def deliver(data: bytes, to: list[str]) -> list[str]:
        replies = []
        for recipient in to:
            done = desk.store(data, recipients.list_of(recipient))
            recipients.stored(recipient)
            what = f"quarantined ({done.reason[:80]})" if done.outcome == "quarantined" else done.outcome
            replies.append(f"250 2.0.0 {what}".replace("\r", " ").replace("\n", " "))
        return replies

    desk.start()
    server = start_server(deliver, host, port, accept=recipients.check)
    err_console.print(f"LMTP on {host}:{port}; Ctrl-C to stop")
    _wait_for_signal().wait()
    server.stop()
    desk.stop()


@app.command("watch")
def watch_command(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Sources to follow besides every path already ingested.")] = None,
    list_name: Annotated[str | None, typer.Option("--list", help="List new mail belongs to.")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
    fetch: Annotated[bool, typer.Option(help="git fetch public-inbox epochs that have a remote.")] = True,
    trees: Annotated[bool, typer.Option(help="Scan registered trees whose branch moved.")] = True,
    once: Annotated[bool, typer.Option(help="Poll once, settle, and exit.")] = False,
) -> None:
    """Follow registered sources and trees by polling; new mail is settled at once."""
    from ..pipeline.live import LiveDesk
    from ..pipeline.watch import Watcher

    desk = LiveDesk(ctx.obj.engine, "watch", kind="watch")
    watcher = Watcher(desk, list(paths or []), list_name, fetch=fetch, trees=trees)
    if once:
        result = watcher.poll()
        desk.settle()
        console.print(f"stored {result.stored}, known {result.known}, quarantined {result.quarantined}, "
                      f"{result.commits} new commits", markup=False)
        for problem in result.errors:
            err_console.print(problem, markup=False, highlight=False)
        raise typer.Exit(1 if result.errors else 0)
    desk.start()
    done = _wait_for_signal()
    err_console.print(f"watching {len(watcher.sources())} sources every {interval:g} s; Ctrl-C to stop")
    while not done.is_set():
        result = watcher.poll()
        for problem in result.errors:
            err_console.print(problem, markup=False, highlight=False)
        done.wait(interval)
    desk.stop()
