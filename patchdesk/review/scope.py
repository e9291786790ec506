"""Which replies are about a patch: the reply scope.

A review reads the replies under a patch at any depth (``scope="patch"``)
and those under its cover letter (``"series"``: they speak for every
patch).  The walk stops at other submissions: a v2 sent in reply to v1 is
not a reply *about* v1, and neither is anything under it.  A reply to a
sibling patch counts for this one only when it gives a series-wide
trailer ("for the whole series: Reviewed-by: ...").
"""

from __future__ import annotations

from typing import Any

from collections.abc import Mapping
from datetime import datetime

from .assess import Reply


def descendants(children: Mapping[str, list[str]], start: str, stop: set[str]) -> list[str]:
    """Replies under ``start`` at any depth, not crossing ``stop``."""
    out, todo = [], list(children.get(start, ()))
    while todo:
        node = todo.pop()
        if node in stop:
            continue
        out.append(node)
        todo.extend(children.get(node, ()))
    return out


class ThreadReplies:
    """The replies around a set of series members, with what they say.

    ``children``: parent -> replies; ``stop``: the submissions in the
    threads; ``messages``: msgid -> (address, name, date) of each reply
    still in the archive; ``notes``: msgid -> what the reply says (trailers
    and verdicts, ``assess.note_of``)."""

    def __init__(self, children: Mapping[str, list[str]], stop: set[str],
                 messages: Mapping[str, tuple[str, str, datetime]], notes: Mapping[str, dict[str, Any]]) -> None:
        self.children, self.stop, self.messages, self.notes = children, stop, messages, notes

    def replies(self, start: str, scope: str, wide_only: bool = False) -> list[Reply]:
        out = []
        for msgid in descendants(self.children, start, self.stop):
            if msgid not in self.messages:
                continue
            addr, name, date = self.messages[msgid]
            note = self.notes.get(msgid)
            if wide_only:
                wide = [t for t in (note or {}).get("t", []) if t[4]]
                if not wide:
                    continue
                note = {"t": wide, "v": []}
            out.append(Reply(msgid, date, name, addr, scope, note))
        return out
