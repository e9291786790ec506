"""A reply the maintainer writes from the desk: threaded, addressed, with a trailer.

The mail answered decides the headers, as a mail client would: ``Re:`` its
subject, In-Reply-To it, References its own plus it, To its author, Cc
everybody it went to (lists included) but me.  The body quotes it under an
attribution line and ends with the trailers asked for (``Acked-by``,
``Reviewed-by``, ``Tested-by``), each on its own line where Patchwork, b4
and patchdesk read them.  A patch is quoted down to its ``---`` line (the
commit message), the rest cut with ``[...]``: the trailer is for the whole
patch, not for a hunk.

Pure: the answered mail's fields in, an ``EmailMessage`` out; names and
subjects from the list are flattened to one line before they reach a header
(``trees.thanks.one_line``), addresses that do not parse are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from ..trees.thanks import POLICY, one_line, reply_recipients, reply_subject

_MSGID = re.compile(r"[!-;=?-~]+@[!-;=?-~]+")  # printable, no spaces, no < or >
#: What ``--ack``, ``--review`` and ``--test`` add.
TRAILER_KEYS = {"ack": "Acked-by", "review": "Reviewed-by", "test": "Tested-by"}
QUOTE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Answered:
    """The mail being answered, as the store holds it."""

    msgid: str
    subject: str
    references: tuple[str, ...]
    date: datetime | None
    author: tuple[str, str]
    to: tuple[tuple[str, str], ...]
    cc: tuple[tuple[str, str], ...]
    body: str


def recipients(mail: Answered, me: str) -> tuple[list[Address], list[Address]]:
    """(To, Cc): the author; the rest of the answered mail's recipients
    (``trees.thanks.reply_recipients``); answering my own mail, the list."""
    to, cc = reply_recipients(mail.author, mail.to + mail.cc, me)
    if not to and cc:
        to.append(cc.pop(0))
    return to, cc


def quote(body: str) -> list[str]:
    """The answered text, ``> `` quoted: a patch down to its ``---`` line."""
    lines = body.rstrip("\n").split("\n")
    cut = next((i for i, line in enumerate(lines) if line.rstrip() == "---"), None)
    shown = lines[:cut] if cut is not None else lines
    out = [f"> {line}" if line else ">" for line in shown[:QUOTE_LIMIT]]
    if cut is not None or len(shown) > QUOTE_LIMIT:
        out.append("> [...]")
    return out


def trailer_lines(me: str, kinds: list[str]) -> list[str]:
    return [f"{TRAILER_KEYS[k]}: {one_line(me)}" for k in kinds]


def compose_reply(mail: Answered, me: str, *, kinds: list[str], text: str, date: datetime,
                  msgid: str) -> EmailMessage:
    """The reply to ``mail`` from ``me`` (``"Name <addr>"``); ``msgid`` without brackets."""
    to, cc = recipients(mail, me)
    if not to:
        raise ValueError(f"no recipient for {mail.msgid}: no usable address in the mail answered")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = one_line(me)
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = reply_subject(mail.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{msgid}>"
    if not _MSGID.fullmatch(mail.msgid):
        raise ValueError(f"cannot thread a reply under {mail.msgid!r}: not a usable Message-ID")
    msg["In-Reply-To"] = f"<{mail.msgid}>"
    refs = [m for m in (*mail.references, mail.msgid) if _MSGID.fullmatch(m)]
    msg["References"] = " ".join(f"<{m}>" for m in dict.fromkeys(refs))
    when = format_datetime(mail.date) if mail.date else "an unknown date"
    who = one_line(mail.author[0]) or one_line(mail.author[1])
    lines = [f"On {when}, {who} wrote:", *quote(mail.body), ""]
    if text.strip():
        lines += [text.strip(), ""]
    lines += trailer_lines(me, kinds)
    msg.set_content("\n".join(lines).rstrip("\n") + "\n")
    return msg
