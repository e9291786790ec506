"""The diffs of stored patch mails, read again from the raw mail.

``interdiff`` compares two versions' diffs; they are not stored apart
from the mail (raw mail is the source of truth), so they are parsed again
when asked for, a few patches at a time.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from ..model import RawMail
from ..parse import parse
from ..parse.patch import split_patch
from ..store.messages import raw_of


def diff_texts(conn: Connection, msgids: Iterable[str]) -> dict[str, str]:
    """msgid -> the diff text of each patch mail ("" when a mail has no diff)."""
    texts = {}
    for msgid, (raw, fmt) in raw_of(conn, msgids).items():
        parsed = parse(RawMail(raw, "", fmt))
        body = split_patch(parsed.body, parsed.attachments)
        texts[msgid] = body.diff.text if body.diff else ""
    return texts
