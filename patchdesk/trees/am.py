"""A series as ``git am`` takes it, with the collected trailers added.

What a maintainer does by hand (or with b4): take the latest version,
add each patch's Acked-by / Reviewed-by / Tested-by ... gathered from the
replies, in the usual order after the patch's own trailers, and apply.
Two things b4 gets wrong are avoided: a ``Nacked-by:`` is never written
into a commit as if it were an ack (it is reported instead), and a trailer
that names somebody other than its sender is added but flagged in the
report.  Pure: raw mail and collected trailers in, mbox text out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import RawMail
from ..parse import parse
from ..parse.patch import split_patch
from ..parse.subject import parse_subject
from ..review.trailers import order_key
from ..sources.mbox import mboxrd_quote

#: Collected trailers that go into the commit.
ADDED_KEYS = ("Fixes", "Reported-by", "Closes", "Suggested-by", "Co-developed-by", "Acked-by",
              "Reviewed-by", "Tested-by", "Link")
#: Collected but never written into a commit; listed in the report.
NOT_ADDED = ("Nacked-by", "Cc")


@dataclass(slots=True)
class PatchReport:
    number: int
    subject: str
    msgid: str
    added: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def _header_safe(text: str) -> str:
    """One header line: no CR/LF from a hostile subject or name."""
    return " ".join(text.replace("\r", " ").split())


def am_entry(raw: bytes, fmt: str, number: int, total: int, collected: list[dict],
             link_base: str = "") -> tuple[str, PatchReport]:
    """One mbox entry for ``git am`` and the report of what was added."""
    parsed = parse(RawMail(raw, "", fmt))
    body = split_patch(parsed.body, parsed.attachments)
    subject = parse_subject(parsed.subject)
    report = PatchReport(number, subject.name, parsed.msgid)
    own = [f"{t.key}: {t.value}" for t in body.trailers]
    have = {line.lower() for line in own}
    extra = []
    for t in sorted((t for t in collected if t["source"] != "patch"), key=lambda t: order_key(t["key"])):
        line = f"{t['key']}: {t['value']}"
        if t["key"] in NOT_ADDED or t["key"] not in ADDED_KEYS:
            report.skipped.append({**t, "why": "never added to a commit" if t["key"] in NOT_ADDED else "not a commit trailer"})
            continue
        if line.lower() in have:
            continue
        have.add(line.lower())
        extra.append(line)
        report.added.append(t)
    if link_base:
        link = f"Link: {link_base.rstrip('/')}/{parsed.msgid}"
        if link.lower() not in have:
            extra.append(link)
    trailers = "\n".join(own + extra)
    diff = body.diff.text if body.diff else ""
    notes = f"{body.notes}\n" if body.notes else ""
    number_tag = f"[PATCH {number}/{total}]" if total > 1 else "[PATCH]"
    sender = _header_safe(f"{parsed.from_name} <{parsed.from_addr}>" if parsed.from_name else parsed.from_addr)
    date = parsed.date.strftime("%a, %d %b %Y %H:%M:%S %z") if parsed.date else ""
    entry = (f"From patchdesk Mon Sep 17 00:00:00 2001\nFrom: {sender}\n"
             + (f"Date: {date}\n" if date else "")
             + f"Subject: {_header_safe(number_tag + ' ' + subject.name)}\nMessage-Id: <{_header_safe(parsed.msgid)}>\n"
             "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
             f"{body.message}\n\n{trailers}\n---\n{notes}{diff}")
    if not entry.endswith("\n"):
        entry += "\n"
    return _quote_from(entry), report


def _quote_from(entry: str) -> str:
    """mboxrd: the body lines below the entry's own separator quoted."""
    head, _, body = entry.partition("\n")
    return head + "\n" + mboxrd_quote(body.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")
