"""A series as an mbox for ``git am``, and a thread as the mbox it came in.

The series mbox is what ``b4 am`` makes: the latest version's patches in
order, each with the trailers its review collected (never a
``Nacked-by:``) and a ``Link:``.  ``patchdesk am`` writes it, and the desk
serves it (``/series/ID/mbox``, ``/api/series/ID/mbox``).  A member whose
Message-ID another stored message also claims makes the series refused
until the caller trusts that member (``pipeline.claims``); a series with a
missing patch is refused too.  The thread mbox is the stored mails
themselves, in reading order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from ..sources.mbox import mboxrd_quote
from ..store.messages import raw_of
from ..store.queries import series_detail, version_chain, version_numbers
from ..trees.am import PatchReport, am_entry
from ..versions.current import Version, current_patches
from .threads import load_thread

LORE = "https://lore.kernel.org/r"


@dataclass
class SeriesMbox:
    """The mbox of one series, or why it was refused."""

    detail: dict | None
    text: str = ""
    reports: list[PatchReport] = field(default_factory=list)
    #: one line each: a contested member, a missing patch, an unknown --trust
    refused: list[str] = field(default_factory=list)


def latest(conn: Connection, series_id: int) -> dict:
    """The detail of the newest version of a series."""
    chain = version_chain(conn, series_id)
    return series_detail(conn, chain[-1] if chain else series_id)


def current(conn: Connection, detail: dict) -> dict:
    """``detail`` as the series a maintainer applies: a partial re-roll
    (v5.1 of some patches) with the patches it lacks taken from the
    versions it re-rolls (``versions.current``); ``composed_from`` names
    the series used.  A full version is returned as it is."""
    if not detail["missing"] or "." not in detail["version_label"]:
        return detail
    chain = detail["versions"][:detail["versions"].index(detail["id"]) + 1] if detail["id"] in detail["versions"] \
        else [detail["id"]]
    numbers = version_numbers(conn, chain)
    chain = [sid for sid in chain if numbers[sid][0] == numbers[detail["id"]][0]]  # earlier majors play no part
    details = {detail["id"]: detail} | {sid: series_detail(conn, sid) for sid in chain if sid != detail["id"]}
    versions = [Version(sid, numbers[sid], details[sid]["total"],
                        tuple((p["number"], p["msgid"]) for p in details[sid]["patch_details"])) for sid in chain]
    by_msgid = {p["msgid"]: p for d in details.values() for p in d["patch_details"]}
    picked = current_patches(versions)
    have = {n for n, _, _ in picked}
    total = max(details[sid]["total"] for sid in chain)
    return {**detail, "patch_details": [by_msgid[m] for _, m, _ in picked], "total": total,
            "missing": [n for n in range(1, total + 1) if n not in have],
            "composed_from": sorted({k for _, _, k in picked})}


def _refusals(detail: dict, trusted: set[str]) -> list[str]:
    patches = detail["patch_details"]
    members = {p["msgid"] for p in patches}
    out = [f"--trust {m}: not a member of this series" for m in sorted(trusted - members)]
    for p in patches:
        if p.get("claimants") and p["msgid"] not in trusted:
            others = "; ".join(f"{c['author']} <{c['author_email']}> as <{c['msgid']}>" for c in p["claimants"])
            out.append(f"patch {p['number']} <{p['msgid']}> from {p['author']} <{p['author_email']}>: its "
                       f"Message-ID is claimed by another message too ({others}); check it, then trust "
                       f"{p['msgid']}")
    if not out and detail["missing"]:
        out.append(f"series {detail['id']} lacks patch(es) {', '.join(map(str, detail['missing']))}")
    return out


def series_mbox(conn: Connection, series_id: int, trusted: Iterable[str] = (), link_base: str = LORE,
                latest_version: bool = True, only: set[int] | None = None) -> SeriesMbox:
    """The latest version of ``series_id`` (or ``series_id`` itself) for
    ``git am``, trailers added; ``only`` those patch numbers (a partial take)."""
    detail = latest(conn, series_id) if latest_version else series_detail(conn, series_id)
    if detail is None:
        return SeriesMbox(None)
    detail = current(conn, detail)
    if only is not None:
        have = {p["number"] for p in detail["patch_details"]}
        if only - have:
            return SeriesMbox(detail, refused=[f"series {detail['id']} has no patch "
                                               f"{', '.join(map(str, sorted(only - have)))}"])
        detail = {**detail, "patch_details": [p for p in detail["patch_details"] if p["number"] in only],
                  "missing": []}
    found = SeriesMbox(detail, refused=_refusals(detail, set(trusted)))
    if found.refused:
        return found
    patches = detail["patch_details"]
    raws = raw_of(conn, [p["msgid"] for p in patches])
    entries = []
    for p in patches:
        raw, fmt = raws[p["msgid"]]
        entry, report = am_entry(raw, fmt, p["number"], len(patches), p["trailers"], link_base)
        entries.append(entry)
        found.reports.append(report)
    found.text = "".join(entries)
    return found


def thread_mbox(conn: Connection, msgid: str) -> bytes:
    """The stored mails of the thread holding ``msgid``, in reading order,
    as an mboxrd file (what lore's ``t.mbox`` holds); b"" for no thread."""
    present = [row["msgid"] for row in load_thread(conn, msgid) if row["present"]]
    raws = raw_of(conn, present)
    out = []
    for m in present:
        raw = raws[m][0]
        out.append(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n")
        out.append(mboxrd_quote(raw))
        if not raw.endswith(b"\n"):
            out.append(b"\n")
        out.append(b"\n")
    return b"".join(out)
