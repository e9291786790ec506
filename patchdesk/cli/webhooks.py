"""``patchdesk webhook add|list|remove|deliver|retry``: state changes told to URLs."""

from __future__ import annotations

from typing import Annotated

import typer

from ..pipeline.webhooks import WebhookError, deliver, enqueue, register
from ..store import webhooks as store
from . import app
from .messages import JsonOption
from .output import console, error, print_json

hook_app = typer.Typer(no_args_is_help=True, help="Webhooks: state changes posted to URLs, signed (docs/feeds.md).")
app.add_typer(hook_app, name="webhook")


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@hook_app.command("add")
def hook_add(ctx: typer.Context,
             url: Annotated[str, typer.Argument(help="Where to POST: an http:// or https:// URL.")],
             events: Annotated[str, typer.Option("--events", help=(
                 "States to tell about, comma-separated (new, under-review, changes-requested, rejected, "
                 "applied-claimed, accepted, superseded, withdrawn ...), or all."))] = "all",
             secret: Annotated[str, typer.Option("--secret", help=(
                 "The HMAC key (default: a random one, printed once)."))] = "") -> None:
    """Register a URL; from now on each state change is queued for it."""
    try:
        hook_id, key = register(ctx.obj.engine, url, events, secret)
    except WebhookError as exc:
        error(str(exc))
        raise typer.Exit(2) from None
    _say(f"webhook {hook_id}: {url} ({events}); secret {key}")


@hook_app.command("list")
def hook_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Registered hooks and their deliveries."""
    with ctx.obj.engine.connect() as conn:
        hooks = [{"id": h.id, "url": h.url, "events": h.events, "deliveries": store.deliveries(conn, h.id)}
                 for h in store.hooks(conn)]
    if as_json:
        print_json(hooks)
        return
    for h in hooks:
        tally: dict[str, int] = {}
        for d in h["deliveries"]:
            tally[d["status"]] = tally.get(d["status"], 0) + 1
        _say(f"{h['id']}  {h['url']}  ({h['events']})  " + ", ".join(f"{n} {s}" for s, n in sorted(tally.items())))


@hook_app.command("remove")
def hook_remove(ctx: typer.Context, hook_id: Annotated[int, typer.Argument(help="The hook's id (webhook list).")]) -> None:
    """Stop telling a URL (its queued deliveries go too)."""
    with ctx.obj.engine.begin() as conn:
        if not store.remove_hook(conn, hook_id):
            error(f"no webhook {hook_id}")
            raise typer.Exit(1)
    _say(f"webhook {hook_id} removed")


@hook_app.command("deliver")
def hook_deliver(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Queue the state changes since the last run, then send what is due (run it from cron or a timer)."""
    queued = enqueue(ctx.obj.engine)
    counts = deliver(ctx.obj.engine)
    if as_json:
        print_json({"queued": queued, **counts})
    else:
        _say(f"{queued} queued; " + ", ".join(f"{n} {k}" for k, n in counts.items()))


@hook_app.command("retry")
def hook_retry(ctx: typer.Context,
               delivery_id: Annotated[int, typer.Argument(help="A delivery's id (webhook list --json).")]) -> None:
    """Send an uncertain or failed delivery again, on purpose (the receiver may see it twice)."""
    with ctx.obj.engine.begin() as conn:
        if not store.retry(conn, delivery_id):
            error(f"delivery {delivery_id} is not uncertain or failed")
            raise typer.Exit(1)
    _say(f"delivery {delivery_id} queued again")
