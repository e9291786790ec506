"""``patchdesk me|queue|wait|snooze|delegate|archive|wake|triage|reply|take|thank|open|attest``: the desk.

Who I am, what waits on me, my own sorting of it, and replies written from
here (see docs/desk.md).  The rules are ``desk.queue`` and ``desk.reply``;
this module parses options, calls ``pipeline.desk`` and prints.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..desk.queue import Item
from ..pipeline.desk import DeskError, me_line, my_queue, parse_me, series_of, triage, until_of, whoami, write_reply
from ..pipeline.am import LORE
from ..pipeline.attest import AttestError, attest_series, dns, key_file, verdict
from ..pipeline.ingest import ingest
from ..pipeline.take import patch_numbers, take_series
from ..store import desk as store
from . import app
from .messages import JsonOption
from .output import SERIES_HELP, console, error, print_json, short_date
from .series import VersionOption, resolve_version

SeriesArg = Annotated[str, typer.Argument(metavar="SERIES", help=SERIES_HELP + " Any reply in its thread works too.")]
WhyOption = Annotated[str, typer.Option("--why", help="A note kept with the event.")]


def _me_or_exit(conn):
    try:
        me = whoami(conn)
    except DeskError as exc:
        error(str(exc))
        raise typer.Exit(2) from None
    if me is None:
        error('who are you? run: patchdesk me "Name <addr>" (or set PATCHDESK_ME)')
        raise typer.Exit(2)
    return me


@app.command("me")
def me_command(ctx: typer.Context,
               who: Annotated[str | None, typer.Argument(metavar='"NAME <ADDR>"', help=(
                   "Who uses this desk: the name and address your mail goes out with. "
                   "Without it: print who is set."))] = None,
               also: Annotated[list[str] | None, typer.Option("--also", metavar="ADDR", help=(
                   "Another address of yours (an old employer's, a kernel.org alias); repeatable."))] = None,
               as_json: JsonOption = False) -> None:
    """Say who you are, so the queue knows what waits on you (PATCHDESK_ME overrides it)."""
    engine = ctx.obj.engine
    if who is not None:
        try:
            me = parse_me(who, also or [])
        except DeskError as exc:
            error(str(exc))
            raise typer.Exit(2) from None
        with engine.begin() as conn:
            store.save_me(conn, me_line(me), sorted(me.addresses - {parseaddr(me_line(me))[1]}))
    with engine.connect() as conn:
        me = _me_or_exit(conn)
    if as_json:
        print_json({"name": me.name, "addresses": sorted(me.addresses)})
    else:
        console.print(f"{me_line(me)}" + (f" (also {', '.join(sorted(me.addresses)[1:])})"
                                          if len(me.addresses) > 1 else ""), markup=False, highlight=False)


def _days(since: datetime, now: datetime) -> str:
    days = (now - since).days
    return f"{days}d" if days else "<1d"


def _item_dict(item: Item, now: datetime) -> dict:
    return {"series": item.series, "name": item.name, "version": item.version, "submitter": item.submitter,
            "state": item.state, "reason": item.reason, "why": item.why, "other_reasons": list(item.others),
            "waiting_since": item.waiting_since, "waiting_days": (now - item.waiting_since).days,
            "unseen": item.unseen, "triage": item.triage or None, "hidden": item.hidden}


@app.command("queue")
def queue_command(ctx: typer.Context,
                  show_all: Annotated[bool, typer.Option("--all", help="Also the items your triage hides.")] = False,
                  days: Annotated[int, typer.Option("--days", min=0, help=(
                      "Only series with a mail in the last N days (0: all history)."))] = 0,
                  as_json: JsonOption = False) -> None:
    """What waits on you, longest waiting first: replies to you, new versions of what you reviewed,
    your applied claims not in a tree, thanks due, patches in files you maintain."""
    now = datetime.now(timezone.utc)
    with ctx.obj.engine.connect() as conn:
        me = _me_or_exit(conn)
        since = now - timedelta(days=days) if days else None
        items = [i for i in my_queue(conn, me, now, since) if show_all or not i.hidden]
    if as_json:
        print_json([_item_dict(i, now) for i in items])
        return
    table = Table(title=f"waiting on {me.name} ({len(items)})")
    for column in ("series", "ver", "waiting", "unseen", "reason", "why", "name", "submitter", "triage"):
        table.add_column(column)
    for i in items:
        table.add_row(str(i.series), i.version, _days(i.waiting_since, now), str(i.unseen), i.reason, i.why,
                      i.name, i.submitter, (i.triage + (" (hidden)" if i.hidden else "")) if i.triage else "")
    console.print(table)


def _until(text: str | None) -> datetime | None:
    try:
        return until_of(text)
    except DeskError as exc:
        error(f"--{exc}")
        raise typer.Exit(2) from None


def _triage(ctx: typer.Context, ident: str, action: str, **fields) -> None:
    engine = ctx.obj.engine
    with engine.connect() as conn:
        who = whoami(conn)
    try:
        with engine.begin() as conn:
            series_id, _ = triage(conn, ident, action, by=me_line(who) if who else os.environ.get("USER", ""),
                                  **fields)
    except DeskError as exc:
        error(str(exc))
        raise typer.Exit(1) from None
    until = fields.get("until")
    extra = (f" until {short_date(until)}" if until else " until a new version") if action == "snoozed" else ""
    extra += f" to {fields['to']}" if fields.get("to") else ""
    console.print(f"series {series_id}: {action}{extra}", markup=False, highlight=False)


@app.command("wait")
def wait_command(ctx: typer.Context, ident: SeriesArg, why: WhyOption = "") -> None:
    """Waiting on the author: hidden from the queue until somebody else writes in its threads."""
    _triage(ctx, ident, "waiting", why=why)


@app.command("snooze")
def snooze_command(ctx: typer.Context, ident: SeriesArg,
                   until: Annotated[str | None, typer.Option("--until", help=(
                       "A date (2026-12-24) or a span (3d, 2w); without it, until a new version."))] = None,
                   why: WhyOption = "") -> None:
    """Hide a series from the queue until a date (a new version shows up anyway)."""
    _triage(ctx, ident, "snoozed", until=_until(until), why=why)


@app.command("delegate")
def delegate_command(ctx: typer.Context, ident: SeriesArg,
                     to: Annotated[str, typer.Option("--to", metavar='"NAME <ADDR>"', help="Who takes it.")],
                     why: WhyOption = "") -> None:
    """Hand a series to somebody else: hidden from your queue, shown with --all."""
    if "@" not in parseaddr(to)[1]:
        error('--to "Name <addr>": an address is needed')
        raise typer.Exit(2)
    _triage(ctx, ident, "delegated", to=to, why=why)


@app.command("archive")
def archive_command(ctx: typer.Context, ident: SeriesArg, why: WhyOption = "") -> None:
    """Done with this version: hidden from the queue (its next version is a new item)."""
    _triage(ctx, ident, "archived", why=why)


@app.command("wake")
def wake_command(ctx: typer.Context, ident: SeriesArg, why: WhyOption = "") -> None:
    """Undo the triage of a series (waiting, snoozed, delegated, archived): back in the queue."""
    _triage(ctx, ident, "woken", why=why)


@app.command("triage")
def triage_command(ctx: typer.Context,
                   ident: Annotated[str | None, typer.Argument(metavar="[SERIES]", help=(
                       "Only this series (an id or any of its mails' Message-IDs)."))] = None,
                   as_json: JsonOption = False) -> None:
    """The triage log: every event, who and when (nothing is ever overwritten)."""
    with ctx.obj.engine.connect() as conn:
        anchors = None
        if ident is not None:
            series_id = series_of(conn, ident)
            if series_id is None:
                error(f"no series {ident}")
                raise typer.Exit(1)
            anchors = [store.anchors(conn, [series_id])[series_id]]
        log = store.triage_log(conn, anchors)
    if as_json:
        print_json(log)
        return
    for event in log:
        until = f" until {short_date(event['until'])}" if event["until"] else ""
        to = f" to {event['to']}" if event["to"] else ""
        note = f"  ({event['why']})" if event["why"] else ""
        console.print(f"{short_date(event['at'])}  {event['anchor']}  {event['action']}{until}{to}  by "
                      f"{event['by'] or '-'}{note}", markup=False, highlight=False)


def _edit(data: bytes) -> bytes:
    """Open the reply in $VISUAL/$EDITOR; what the editor saved is the reply."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("wb", suffix=".eml", delete=False) as fh:
        fh.write(data)
    try:
        done = subprocess.run([*shlex.split(editor), fh.name], check=False)
        if done.returncode != 0:
            error(f"{editor} exited {done.returncode}: nothing written")
            raise typer.Exit(1)
        return Path(fh.name).read_bytes()
    finally:
        Path(fh.name).unlink(missing_ok=True)


@app.command("reply")
def reply_command(
        ctx: typer.Context,
        msgid: Annotated[str, typer.Argument(metavar="MSGID", help="The Message-ID of the mail to answer.")],
        ack: Annotated[bool, typer.Option("--ack", help="Add your Acked-by.")] = False,
        review: Annotated[bool, typer.Option("--review", help="Add your Reviewed-by.")] = False,
        test: Annotated[bool, typer.Option("--test", help="Add your Tested-by.")] = False,
        text: Annotated[str, typer.Option("--text", help="Your words, above the trailers.")] = "",
        edit: Annotated[bool, typer.Option("--edit", help="Open the reply in $EDITOR before it is written.")] = False,
        out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Where the .eml goes.")] = Path("."),
        no_ingest: Annotated[bool, typer.Option("--no-ingest", help=(
            "Do not read the reply into the store (by default it is, so states move at once)."))] = False,
        smtp: Annotated[str | None, typer.Option("--smtp", metavar="HOST:PORT", help=(
            "Also send it through this SMTP server (read into the store only once the server took it)."))] = None,
        smtp_user: Annotated[str | None, typer.Option("--smtp-user", help=(
            "Log in as this user (password from $PATCHDESK_SMTP_PASSWORD)."))] = None,
        starttls: Annotated[bool, typer.Option("--starttls", help="Use STARTTLS before logging in.")] = False,
        as_json: JsonOption = False) -> None:
    """Answer a mail as a mail client would (threaded, To the author, Cc the rest) with your trailers;
    written as an .eml for your mailer to send, then read into the store."""
    engine = ctx.obj.engine
    with engine.connect() as conn:
        me = _me_or_exit(conn)
    kinds = [k for k, on in (("ack", ack), ("review", review), ("test", test)) if on]
    try:
        result = write_reply(engine, me, msgid, kinds=kinds, text=text, out=out, edit=_edit if edit else None,
                             read_in=not no_ingest and smtp is None)
    except DeskError as exc:
        error(str(exc))
        raise typer.Exit(1) from None
    if smtp is not None:
        result["sent"] = _send(Path(result["file"]), smtp, smtp_user, starttls)
        if not no_ingest:
            result["ingested"] = ingest(engine, [Path(result["file"])], jobs=1).stored == 1
    if as_json:
        print_json(result)
    else:
        console.print(f"wrote {result['file']}" + (" and read it into the store" if result["ingested"] else ""),
                      markup=False, highlight=False)


def _send(path: Path, server: str, user: str | None, starttls: bool) -> list[str]:
    """Send the written reply; one line and exit 1 when the server does not take it."""
    import smtplib

    from .ty import _connect
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    rcpts = [a.addr_spec for name in ("To", "Cc") if msg[name] for a in msg[name].addresses]
    try:
        client = _connect(server, user, starttls)
        try:
            refused = client.send_message(msg, from_addr=parseaddr(str(msg["From"]))[1], to_addrs=rcpts)
        finally:
            client.quit()
    except (OSError, smtplib.SMTPException) as exc:
        error(f"{server}: {exc} (the reply is kept in {path}, not read into the store)")
        raise typer.Exit(1) from None
    return sorted(set(rcpts) - set(refused))


@app.command("open")
def open_command(ctx: typer.Context,
                 source: Annotated[str, typer.Argument(metavar="MSGID|-", help=(
                     "A Message-ID, or - to read a whole message on stdin (a mutt/neomutt pipe)."))],
                 as_json: JsonOption = False) -> None:
    """Show the series a message belongs to (a patch, its cover letter or any reply in its thread)."""
    if source == "-":
        raw = sys.stdin.buffer.read(16 << 20)
        msgid = str(message_from_bytes(raw, policy=policy.compat32).get("Message-ID", "")).strip()
        if not msgid:
            error("the message on stdin has no Message-ID")
            raise typer.Exit(1)
    else:
        msgid = source
    with ctx.obj.engine.connect() as conn:
        series_id = series_of(conn, msgid)
    if series_id is None:
        error(f"{msgid.strip()} is in no series this store knows")
        raise typer.Exit(1)
    from .series import show_command
    show_command(ctx, str(series_id), as_json=as_json)


@app.command("take")
def take_command(ctx: typer.Context, ident: SeriesArg,
                 tree: Annotated[str, typer.Option("--tree", help="The registered tree whose branch takes it.")],
                 patches: Annotated[str | None, typer.Option("--patches", metavar="1,3", help=(
                     "Only these patches of the series (a partial take)."))] = None,
                 link_base: Annotated[str, typer.Option("--link-base", help="Add Link: BASE/<msgid> "
                                                                             "('' for none).")] = LORE,
                 trust: Annotated[list[str] | None, typer.Option(
                     "--trust", metavar="MSGID", help="Use this member although another message claims its "
                                                      "Message-ID (as `show` prints it).")] = None,
                 version: VersionOption = None, as_json: JsonOption = False) -> None:
    """Apply the latest version (trailers and Link: added) onto the tree's branch with git am, then scan
    the tree so the series shows as accepted."""
    try:
        only = patch_numbers(patches)
    except ValueError:
        error(f"--patches {patches!r}: give patch numbers, as 1,3")
        raise typer.Exit(2) from None
    with ctx.obj.engine.connect() as conn:
        series_id = resolve_version(conn, ident, version)
    result = take_series(ctx.obj.engine, series_id, tree, only=only, trusted=tuple(trust or ()), link_base=link_base)
    if as_json:
        print_json(vars(result))
    else:
        for warning in result.warnings:
            error(f"warning: {warning}")
        for why in result.refused:
            error(why)
        if result.ok:
            console.print(f"took series {result.series} {result.version} patches "
                          f"{', '.join(map(str, result.patches))} onto {tree} ({result.where}), head "
                          f"{result.head[:12]}; states now: "
                          + ", ".join(f"{n}: {s}" for n, s in result.states.items()),
                          markup=False, highlight=False)
    if not result.ok or result.refused:
        raise typer.Exit(1)


@app.command("thank")
def thank_command(ctx: typer.Context, ident: SeriesArg,
                  out: Annotated[Path | None, typer.Option("--out", metavar="DIR", help="Write the .eml here.")] = None,
                  smtp: Annotated[str | None, typer.Option("--smtp", metavar="HOST:PORT", help=(
                      "Send through this SMTP server."))] = None,
                  archive: Annotated[bool, typer.Option("--archive", help="Archive it on your desk too.")] = False,
                  partial: Annotated[bool, typer.Option("--partial", help="Also when only part of it went in.")] = False,
                  dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the reply; do nothing.")] = False,
                  as_json: JsonOption = False) -> None:
    """`ty` for one series, from you (`patchdesk me`), and --archive in the same move; never for a version
    superseded meanwhile."""
    with ctx.obj.engine.connect() as conn:
        me = _me_or_exit(conn)
    from .ty import ty_command
    ty_command(ctx, out=out, smtp=smtp, smtp_user=None, starttls=False, sender=me_line(me), tree=None,
               partial=partial, since=None, dry_run=dry_run, only=ident, archive=archive, as_json=as_json)


@app.command("attest")
def attest_command(ctx: typer.Context, ident: SeriesArg,
                   keys: Annotated[Path | None, typer.Option("--keys", metavar="FILE", help=(
                       "DKIM keys from this file (lines 'sel._domainkey.example.org v=DKIM1; k=rsa; p=...') "
                       "instead of DNS."))] = None,
                   keyring: Annotated[list[Path] | None, typer.Option("--keyring", metavar="DIR", help=(
                       "A patatt keyring (ed25519/DOMAIN/LOCAL/SELECTOR files, as the kernel's keys repository) "
                       "for developer signatures; repeatable."))] = None,
                   version: VersionOption = None, as_json: JsonOption = False) -> None:
    """Check the DKIM and patatt signatures of a series' mails, and keep the results."""
    try:
        lookup, source = (key_file(keys), str(keys)) if keys else (dns(), "dns")
    except AttestError as exc:
        error(str(exc))
        raise typer.Exit(2) from None
    with ctx.obj.engine.connect() as conn:
        series_id = resolve_version(conn, ident, version)
    found = attest_series(ctx.obj.engine, series_id, lookup, source, tuple(str(k) for k in keyring or ()))
    if as_json:
        print_json({"series": series_id, "keys": source, "messages": found})
        return
    for msgid, results in found.items():
        words = "; ".join(f"{r['method']} {r['status']}" + (f" ({r['domain']})" if r["domain"] else "")
                          + (f": {r['reason']}" if r["reason"] and r["status"] != "pass" else "") for r in results)
        console.print(f"<{msgid}>  {words}", markup=False, highlight=False, soft_wrap=True)
    if any(verdict(r) == "fail" for r in found.values()):
        raise typer.Exit(1)


@app.command("password")
def password_command(ctx: typer.Context,
                     stdin: Annotated[bool, typer.Option("--stdin", help=(
                         "Read the password from standard input (for scripts) instead of asking."))] = False) -> None:
    """Set the web desk's password for the maintainer set by `patchdesk me` (logging in gives a session)."""
    from ..web.session import set_password
    with ctx.obj.engine.connect() as conn:
        me = _me_or_exit(conn)
    secret = sys.stdin.readline().rstrip("\n") if stdin else typer.prompt("password", hide_input=True,
                                                                         confirmation_prompt=True)
    if len(secret) < 8:
        error("a password of 8 characters at least")
        raise typer.Exit(2)
    with ctx.obj.engine.begin() as conn:
        set_password(conn, secret)
    console.print(f"the web desk's password is set for {me_line(me)}", markup=False, highlight=False)
