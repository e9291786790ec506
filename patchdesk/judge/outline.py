"""A judgement as a short text a person can check by eye.

Golden fixtures keep their expected judgement in this form, and the same
outline is drawn from a store's export, so the in-memory judge and the
store-backed pipeline can be compared line by line.  Series are numbered
by first post; ids and dates of arrival play no part.

    series 1: "frob: add widget timeout support" v1 by lena@example.com: superseded
      1/3 <p1@x> superseded (superseded by <p4@x>)
      ...
    series 2: "frob: add widget timeout support" v2 by lena@example.com: under-review, previous 1
      1/3 <p4@x> under-review (reviewed) Reviewed-by maria@example.org
"""

from __future__ import annotations

from typing import Any

from datetime import datetime, timezone

from ..model import version_label
from .memory import Judgement


def _minute(date: datetime | str) -> str:
    if isinstance(date, str):
        date = datetime.fromisoformat(date)
    if date.tzinfo is not None:
        date = date.astimezone(timezone.utc)
    return str(date.strftime("%Y-%m-%d %H:%M"))


def _trailer(t: dict[str, Any]) -> str:
    return f"{t['key']} {t['email']}" + (" [carried]" if t.get("source") == "carried" else "")


def of_judgement(j: Judgement) -> list[dict[str, Any]]:
    """The outline's items (one per series) from an in-memory judgement."""
    previous = {link.newer: link.older for link in j.lineage.series if link.kind == "version"}
    related: dict[int, list[Any]] = {}
    for link in j.lineage.series:
        if link.kind == "related":
            related.setdefault(link.older, []).append(link.newer)
            related.setdefault(link.newer, []).append(link.older)
    out = []
    for key, i in j.keys.items():
        d = j.drafts[i]
        patches = []
        for number, m in d.patches:
            review = j.reviews[m.msgid]
            patches.append({"number": number, "msgid": m.msgid, "state": review.state,
                            "reason": review.events[-1].reason if review.events else "",
                            "trailers": [_trailer(t) for t in review.trailers]})
        out.append({"key": key, "name": d.name, "version": version_label(*d.version), "sender": d.sender,
                    "total": d.total, "state": j.series_state.get(key, "new"), "date": _minute(d.first_date),
                    "first": min(m.msgid for m in d.members), "previous": previous.get(key),
                    "related": related.get(key, []), "patches": patches})
    return out


def of_export(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The same items from ``patchdesk export`` (docs/export.md)."""
    patches = {p["msgid"]: p for p in doc["patches"]}
    out = []
    for s in doc["series"]:
        members = [m for m in s["patches"]] + ([s["cover"]] if s["cover"] else [])
        rows = [patches[m] for m in s["patches"] if m in patches]
        out.append({"key": s["id"], "name": s["name"], "version": s["version_label"],
                    "sender": s["submitter_email"], "total": s["total"], "state": s["state"],
                    "date": _minute(s["date"]), "first": min(members), "previous": s["previous"],
                    "related": [r["series"] for r in s["related"]],
                    "patches": [{"number": p["number"], "msgid": p["msgid"], "state": p["state"],
                                 "reason": p["state_reason"],
                                 "trailers": [_trailer(t) for t in p["trailers"]]} for p in rows]})
    return out


def render(items: list[dict[str, Any]]) -> str:
    """The outline text; series numbered by (first post, first Message-ID)."""
    items = sorted(items, key=lambda s: (s["date"], s["first"]))
    number = {s["key"]: n for n, s in enumerate(items, 1)}
    lines = []
    for n, s in enumerate(items, 1):
        head = f'series {n}: "{s["name"]}" {s["version"]} by {s["sender"]}: {s["state"]}'
        if s["previous"] in number:
            head += f", previous {number[s['previous']]}"
        if s["related"]:
            head += ", related " + " ".join(str(n) for n in sorted(number[r] for r in s["related"] if r in number))
        lines.append(head)
        for p in s["patches"]:
            line = f'  {p["number"]}/{s["total"]} <{p["msgid"]}> {p["state"]}'
            if p["reason"]:
                line += f" ({p['reason']})"
            for trailer in p["trailers"]:
                line += f" {trailer}"
            lines.append(line)
    return "\n".join(lines) + "\n"
