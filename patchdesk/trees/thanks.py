"""Compose the thank-you reply to a series that a tree accepted (``patchdesk ty``).

Pure: plain data in, an ``email.message.EmailMessage`` out; the store
gathers the data and the CLI writes or sends the result.  The text follows
the shape of b4's ``ty`` (the attribution line, a short quote, "Applied to
..., thanks!", one line per patch with its commit) so authors who know it
read it at a glance, and it adds what is still pending when only part of
the series went in.

Everything from the list is attacker-controlled: names and subjects may
decode to CR/LF or other control characters, so they are flattened to one
line before they reach a header, addresses that do not parse are dropped,
and the message is built with ``policy.SMTP``, which refuses a header value
holding a line break rather than writing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

#: Composing policy: 7bit so non-ASCII bodies get quoted-printable and any
#: SMTP server takes them; CRLF for sending.  Files use ``FILE_POLICY``.
POLICY = policy.SMTP.clone(cte_type="7bit")
FILE_POLICY = POLICY.clone(linesep="\n")
QUOTE_LINES = 5
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_MSGID = re.compile(r"[!-;=?-~]+@[!-;=?-~]+")  # printable, no spaces, no < or >


@dataclass(frozen=True, slots=True)
class Patch:
    """One patch of the series: its commit when a tree carries it whole."""

    number: int
    subject: str
    msgid: str
    state: str = ""
    sha: str = ""
    tree: str = ""
    branch: str = ""
    #: what the mail names for the tree ("git://.../leds.git for-leds-next"); "" names tree and branch
    public: str = ""
    method: str = ""
    #: a commit that carries only part of it (``partial``), for pending patches
    partly: str = ""


@dataclass(frozen=True, slots=True)
class SeriesMail:
    """What the reply answers: the series' cover letter, or its first patch
    when there is none, with the recipients and patches."""

    name: str
    total: int
    subject: str
    msgid: str
    references: tuple[str, ...]
    date: datetime | None
    #: (name, address) of the author, and of the To and Cc of the mail answered
    author: tuple[str, str]
    to: tuple[tuple[str, str], ...]
    cc: tuple[tuple[str, str], ...]
    #: the body of the mail answered (its first paragraph is quoted)
    body: str
    applied: tuple[Patch, ...]
    pending: tuple[Patch, ...]


def one_line(text: str) -> str:
    """Text from a mail made safe for a header: no line breaks or controls."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _address(name: str, addr: str) -> Address | None:
    if not addr.isascii():  # would need SMTPUTF8, which not every server offers
        return None
    try:
        return Address(display_name=one_line(name), addr_spec=one_line(addr))
    except (ValueError, IndexError, TypeError):
        return None


def reply_recipients(author: tuple[str, str], others: tuple[tuple[str, str], ...],
                     sender: str) -> tuple[list[Address], list[Address]]:
    """(To, Cc) of a reply: the author; everybody else the answered mail
    went to (lists included), without the sender or duplicates."""
    seen = {parseaddr(sender)[1].lower(), ""}
    to: list[Address] = []
    cc: list[Address] = []
    for (name, addr), into in [(author, to)] + [(person, cc) for person in others]:
        address = _address(name, addr) if "@" in addr else None
        if address is not None and address.addr_spec.lower() not in seen:
            seen.add(address.addr_spec.lower())
            into.append(address)
    return to, cc


def recipients(mail: SeriesMail, sender: str) -> tuple[list[Address], list[Address]]:
    """(To, Cc) of the thank-you (``reply_recipients``)."""
    return reply_recipients(mail.author, mail.to + mail.cc, sender)


def _quote(mail: SeriesMail) -> list[str]:
    paragraph = []
    for line in mail.body.splitlines():
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append("> " + _CONTROL.sub(" ", line).rstrip())
    lines = paragraph[:QUOTE_LINES] + (["> [...]"] if len(paragraph) > QUOTE_LINES else [])
    if mail.total > 1:
        lines += [">"] + [f"> {_label(p, mail.total)} {one_line(p.subject)}"
                          for p in sorted(mail.applied + mail.pending, key=lambda p: p.number)]
    return lines


def _label(patch: Patch, total: int) -> str:
    return f"[{patch.number}/{total}]"


def where(mail: SeriesMail) -> str:
    """The trees named in "Applied to ...": each tree and branch once."""
    places = dict.fromkeys(_place(p) for p in mail.applied)
    return " and ".join(p for p in places if p) or "the tree"


def _place(patch: Patch) -> str:
    if patch.public:
        return patch.public
    return f"{patch.tree} ({patch.branch})" if patch.branch else patch.tree


def body(mail: SeriesMail, sender: str) -> str:
    when = format_datetime(mail.date) if mail.date else "an unknown date"
    lines = [f"On {when}, {one_line(mail.author[0]) or one_line(mail.author[1])} wrote:", *_quote(mail), "",
             f"Applied to {where(mail)}, thanks!", ""]
    several = len({_place(p) for p in mail.applied}) > 1
    for p in mail.applied:
        lines.append(f"{_label(p, mail.total)} {one_line(p.subject)}")
        commit = f"commit: {p.sha[:12]}" if p.sha else "commit: (marked accepted by hand; no commit found)"
        lines.append(f"      {commit}" + (f" in {_place(p)}" if several and p.sha else ""))
    if mail.pending:
        lines += ["", "Not applied (still pending):"]
        for p in mail.pending:
            note = f", partly in {p.partly[:12]}" if p.partly else ""
            lines.append(f"{_label(p, mail.total)} {one_line(p.subject)}  ({p.state or 'pending'}{note})")
    return "\n".join(lines + ["", "Best regards,", "-- ", one_line(sender), ""])


def reply_subject(subject: str) -> str:
    subject = one_line(subject)
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}"


def compose(mail: SeriesMail, sender: str, date: datetime, msgid: str) -> EmailMessage:
    """The reply: threaded under the answered mail (In-Reply-To, and its
    References plus its own id), from ``sender`` to the author, Cc the rest.
    ``msgid`` (without brackets) and ``date`` come from the caller, so the
    same input gives the same message."""
    to, cc = recipients(mail, sender)
    if not to:
        raise ValueError(f"no recipient for {mail.msgid}: the author is the sender or has no usable address")
    refs = [m for m in (*mail.references, mail.msgid) if _MSGID.fullmatch(m)]
    msg = EmailMessage(policy=POLICY)
    msg["From"] = one_line(sender)
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = reply_subject(mail.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{msgid}>"
    if _MSGID.fullmatch(mail.msgid):
        msg["In-Reply-To"] = f"<{mail.msgid}>"
    if refs:
        msg["References"] = " ".join(f"<{m}>" for m in dict.fromkeys(refs))
    msg.set_content(body(mail, sender))
    try:
        msg.as_bytes()  # anything that cannot be written fails here, before it is recorded
    except (UnicodeError, MessageError) as exc:
        raise ValueError(f"reply to {mail.msgid} cannot be written: {exc}") from None
    return msg


def file_name(series_id: int, name: str) -> str:
    """A safe file name: the series id and an ASCII slug of its name (never
    the raw subject: no ``/``, ``..``, dots first or control characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].rstrip("-")
    return f"{int(series_id):06d}-{slug or 'series'}.eml"
