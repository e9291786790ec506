"""``patchdesk series``, ``show``, ``interdiff`` and ``export``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from ..review.states import STATES
from ..pipeline.diffs import diff_texts
from ..store.messages import as_utc
from ..store.queries import (export, find_series, list_series, series_detail, series_ids_in_list, version_chain,
                             version_label, version_numbers)
from ..store.series import load_series_info
from ..versions.interdiff import interdiff
from ..pipeline.desk import looked_at
from . import app
from .messages import JsonOption
from .output import SERIES_HELP, console, error, print_json, short_date


def _since(value: str | None) -> str | None:
    if value:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return value


def _state(value: str | None) -> str | None:
    if value and value not in (*STATES, "partially-accepted"):
        raise typer.BadParameter(f"{value!r}: one of {', '.join(STATES)}, partially-accepted")
    return value


@app.command("series")
def series_command(ctx: typer.Context,
                   all_: Annotated[bool, typer.Option("--all", help="Include superseded series.")] = False,
                   state: Annotated[str | None, typer.Option(
                       "--state", callback=_state, help="Only series in this state (see docs/states.md).")] = None,
                   list_name: Annotated[str | None, typer.Option(
                       "--list", help="Only series posted to this list.")] = None,
                   since: Annotated[str | None, typer.Option(
                       "--since", callback=_since, help="Only series active since this date (YYYY-MM-DD).")] = None,
                   limit: Annotated[int | None, typer.Option(
                       "--limit", min=1, help="At most this many, the most recently active.")] = None,
                   as_json: JsonOption = False) -> None:
    """Series in flight (latest versions), oldest first; --all adds superseded ones."""
    after = as_utc(datetime.fromisoformat(since)) if since else None
    with ctx.obj.engine.connect() as conn:
        rows = list_series(conn, include_superseded=all_ or state == "superseded")
        listed = series_ids_in_list(conn, list_name) if list_name else None
    rows = [s for s in rows if (state is None or s["state"] == state) and (listed is None or s["id"] in listed)
            and (after is None or as_utc(s["last_activity"]) >= after)]
    if limit:
        rows = sorted(sorted(rows, key=lambda s: as_utc(s["last_activity"]))[-limit:],
                      key=lambda s: (as_utc(s["date"]), s["id"]))
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"series ({len(rows)})")
    for column in ("id", "date", "ver", "patches", "state", "name", "submitter", "prev"):
        table.add_column(column)
    for s in rows:
        # a partial re-roll (v5.1) is not incomplete: the rest is in the version it re-rolls
        rerolled = "." in s["version_label"] and s["previous"]
        got = f"{len(s['patches'])}/{s['total']}" + ("" if s["complete"] else f" +{s['previous']}" if rerolled else " !")
        table.add_row(str(s["id"]), short_date(s["date"]), s["version_label"], got, s["state"],
                      s["name"], s["submitter"], str(s["previous"] or ""))
    console.print(table)


def _resolve(conn, ident: str) -> int:
    series_id = find_series(conn, ident)
    if series_id is None:
        error(f"no series {ident}")
        raise typer.Exit(1)
    return series_id


#: ``am`` and ``check`` act on a series' latest version unless told otherwise.
VersionOption = Annotated[int | None, typer.Option(
    "--version", min=1, metavar="N", help="Version N of the series instead of its latest.")]


def resolve_version(conn, ident: str, version: int | None) -> int:
    """The series ``ident`` names (an id or any member's Message-ID), at its
    latest version, or at version ``version`` (vN, else the last vN.x)."""
    series_id = _resolve(conn, ident)
    chain = version_chain(conn, series_id) or [series_id]
    if version is None:
        return chain[-1]
    numbers = version_numbers(conn, chain)
    found = sorted((numbers[s][1] != 0, i, s) for i, s in enumerate(chain) if numbers[s][0] == version)
    if not found:
        have = ", ".join(version_label(*numbers[s]) for s in chain)
        error(f"series {ident} has no v{version} (its versions: {have})")
        raise typer.Exit(1)
    return found[0][2]


@app.command("show")
def show_command(ctx: typer.Context, ident: Annotated[str, typer.Argument(metavar="ID|MSGID", help=SERIES_HELP)],
                 as_json: JsonOption = False) -> None:
    """One series: its patches, states, versions and the evidence linking them."""
    with ctx.obj.engine.connect() as conn:
        detail = series_detail(conn, _resolve(conn, ident))
    looked_at(ctx.obj.engine, detail["id"])
    if as_json:
        print_json(detail)
        return
    console.print(f"[bold]{detail['name']}[/bold] {detail['version_label']}  "
                  f"(series {detail['id']}, {detail['state']})", highlight=False)
    console.print(f"from {detail['submitter']} <{detail['submitter_email']}>, "
                  f"{short_date(detail['date'])}; cover: {detail['cover'] or '-'}", markup=False)
    if detail["missing"]:
        console.print(f"missing patches: {', '.join(map(str, detail['missing']))}", markup=False)
    console.print("versions: " + " -> ".join(
        f"[{'bold' if v == detail['id'] else 'dim'}]{v}[/]" for v in detail["versions"]))
    if detail["previous_evidence"]:
        ev = detail["previous_evidence"]
        console.print(f"previous: {ev['series']} ({ev['confidence']:.2f}: {ev['evidence']})", markup=False)
    for c in detail.get("checks", [])[:3]:
        verdict = "bisectable" if c["bisectable"] else (f"breaks at patch {c['first_bad']}" if c["first_bad"]
                                                        else c["error"] or "failed")
        _line(f"check {c['id']} on {c['tree']} ({c['base_source']} {c['base'][:12]}): {verdict}  $ {c['command']}")
    for p in detail["patch_details"]:
        _show_patch(p, detail.get("attestations", {}).get(p["msgid"], []))


def _line(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _show_patch(p: dict, signed: list[dict]) -> None:
    """One patch of ``show``: state and why, signatures, trailers, verdicts, continuity."""
    _line(f"  {p['number']:>3}  {p['state']:<17} {p['subject']}")
    for r in signed:
        domain = f" {r['domain']}" if r["domain"] else ""
        _line(f"       signature: {r['method']}{domain} {r['status']}"
              + (f" ({r['reason']})" if r["status"] not in ("pass",) and r["reason"] else "")
              + f", checked {short_date(r['checked_at'])}")
    if p["state_reason"]:
        _line(f"       why: {p['state_reason']}")
    for older in p["supersedes"]:
        _line(f"       replaces <{older}>")
    if p.get("claimants"):
        _line(f"       stored as <{p['msgid']}>, from {p['author']} <{p['author_email']}>, {short_date(p['date'])}")
    for c in p.get("claimants", []):
        _line(f"       Message-ID also claimed by {c['author']} <{c['author_email']}>, {short_date(c['date'])}, "
              f"stored as <{c['msgid']}>")
    for t in p["trailers"]:
        where = {"patch": "in the patch", "carried": f"carried from <{t.get('carried_from')}>"}.get(
            t["source"], f"<{t['msgid']}>")
        flag = "  [" + ", ".join(t["flags"]) + "]" if t["flags"] else ""
        _line(f"       {t['key']}: {t['value']}  ({where}){flag}")
    for v in p["verdicts"]:
        kind = ("not " if v["negated"] else "") + v["kind"]
        _line(f"       {kind} by {v['by']} ({v['role']}): \"{v['text']}\"  <{v['msgid']}>")
    cont = p["continuity"]
    if cont:
        same = "unchanged" if cont.get("patch_unchanged") else "changed"
        _line(f"       since <{cont['previous']}>: patch {same}")
        for o in cont.get("objections", []):
            _line(f"         {o['kind']} by {o['by']}: {o['status']} ({o['why']})")
        for d in cont.get("dropped_trailers", []):
            _line(f"         dropped by the author although unchanged: {d['key']}: {d['value']}")
    for a in p["applied"]:
        _line(f"       in {a['tree']} as {a['commit'][:12]} ({a['method']}, {a['confidence']:.2f}): {a['evidence']}")
    if p.get("override"):
        o = p["override"]
        _line(f"       override by {o['by']}: {o['state']} ({o['why']})")


@app.command("interdiff")
def interdiff_command(ctx: typer.Context,
                      old: Annotated[str, typer.Argument(metavar="OLD", help="Series id or any member's Message-ID.")],
                      new: Annotated[str, typer.Argument(metavar="NEW", help="Series id or any member's Message-ID.")],
                      as_json: JsonOption = False) -> None:
    """What changed between two versions, patch by patch (from the mails)."""
    with ctx.obj.engine.connect() as conn:
        older = load_series_info(conn, _resolve(conn, old))
        newer = load_series_info(conn, _resolve(conn, new))
        texts = diff_texts(conn, [p.msgid for p in older.patches + newer.patches])
    if as_json:
        print_json({"old": {"id": older.key, "name": older.name, "version": version_label(*older.version)},
                    "new": {"id": newer.key, "name": newer.name, "version": version_label(*newer.version)},
                    "sections": [asdict(s) for s in interdiff(older, newer, texts)]})
        return
    console.print(f"{older.name} {version_label(*older.version)} -> "
                  f"{newer.name} {version_label(*newer.version)}", markup=False, highlight=False)
    for section in interdiff(older, newer, texts):
        left = ", ".join(section.older) or "-"
        right = ", ".join(section.newer) or "-"
        console.print(f"\n[{section.kind}] {left}  =>  {right}   ({section.evidence})",
                      markup=False, highlight=False)
        if section.diff:
            console.print(section.diff, markup=False, highlight=False, soft_wrap=True)


@app.command("export")
def export_command(ctx: typer.Context) -> None:
    """The whole store as one JSON document (the contract in docs/export.md)."""
    with ctx.obj.engine.connect() as conn:
        print_json(export(conn))
