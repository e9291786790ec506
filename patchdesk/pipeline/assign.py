"""Series for a handful of messages, entirely in memory.

The same stages ingest runs (parse, describe, thread, assemble), without a
store: for checking an mbox against another tool's conclusions (the
Patchwork corpus comparison) and for quick looks at a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import RawMail
from ..series.assemble import SeriesDraft, Submission, assemble
from ..series.kinds import describe
from ..threads import ThreadInput, link
from .prepare import parse_or_reason


@dataclass(frozen=True, slots=True)
class Assigned:
    msgid: str
    kind: str                  # patch | cover | pull | proposal | reply | other | unreadable
    series: int | None         # index into the returned series list
    number: int | None
    parent_submission: str | None   # for discussion: the patch/cover it belongs to


def assign(mails: list[RawMail]) -> tuple[list[Assigned], list[SeriesDraft]]:
    parsed, kinds, subs = [], {}, []
    for mail in mails:
        result = parse_or_reason(mail)
        parsed.append(result)
        if isinstance(result, str):
            continue
        kinds[result.msgid] = describe(result)
    threads, _ = link([ThreadInput(p.msgid, p.references, p.date.isoformat() if p.date else "")
                       for p in parsed if not isinstance(p, str)])
    for p in parsed:
        if isinstance(p, str) or kinds[p.msgid].kind not in ("patch", "cover", "pull") or p.date is None:
            continue
        f = kinds[p.msgid]
        subs.append(Submission(p.msgid, threads[p.msgid].parent, p.date, p.from_addr or p.from_name,
                               f.kind, f.subject.name, f.subject.version, f.subject.counter,
                               f.subject.total, f.subject.is_rfc, f.subject.is_resend))
    drafts = assemble(subs)
    place = {}
    for index, draft in enumerate(drafts):
        for number, member in draft.patches:
            place[member.msgid] = (index, number)
        if draft.cover is not None:
            place[draft.cover.msgid] = (index, 0)
    out = []
    for p in parsed:
        if isinstance(p, str):
            out.append(Assigned("", "unreadable", None, None, None))
            continue
        kind = kinds[p.msgid].kind
        if p.msgid in place:
            index, number = place[p.msgid]
            out.append(Assigned(p.msgid, kind, index, number, None))
            continue
        parent, seen = threads[p.msgid].parent, set()
        while parent is not None and parent not in place and parent not in seen:
            seen.add(parent)
            parent = threads[parent].parent if parent in threads else None
        out.append(Assigned(p.msgid, kind, None, None, parent if parent in place else None))
    return out, drafts
