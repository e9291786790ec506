"""An LMTP server (RFC 2033) that an MTA or list manager delivers list mail to.

LMTP differs from SMTP where it matters here: after the data, the server
answers once per accepted recipient, and it says "250" only when the
message is really kept.  The server itself knows nothing of the store: it
calls ``deliver(data, recipients)``, which must return one reply per
recipient, after the message is durable.  An exception in ``deliver``
answers 451 (try again later) for every recipient, so the MTA keeps the
mail queued instead of losing it.

Each recipient names a list: its local part (``linux-gpio`` for
``linux-gpio@vger.kernel.org``), unless the server was given one list
for everything.  Which recipients are taken is decided at ``RCPT``
(``Recipients``): a well-formed address, of a list the operator named
when they named any; otherwise of a list the store knows, or one of a
bounded number of new ones, so one message to 150 addresses cannot
create 150 lists.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable, Iterable

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP

log = logging.getLogger(__name__)

#: A message larger than this is refused at the protocol level (552).
MAX_MESSAGE = 64 * 1024 * 1024
#: A longer line is refused (500); the whole message is then refused.
MAX_LINE = 1024 * 1024
#: More recipients than this in one transaction are refused (452).
MAX_RECIPIENTS = 100

#: New lists one message may bring (its further new lists get 452: try later).
NEW_LISTS_PER_MESSAGE = 5
#: New lists one server run may create; after that only known lists are taken.
NEW_LISTS_PER_RUN = 50

Deliver = Callable[[bytes, list[str]], list[str]]
#: ``accept(address, earlier recipients)`` -> None to take it, else the reply.
Accept = Callable[[str, list[str]], "str | None"]

_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*")


def list_of(recipient: str, fixed: str | None = None) -> str | None:
    """The list a recipient address stands for."""
    if fixed:
        return fixed
    local = recipient.rsplit("@", 1)[0].strip("<> ").lower()
    return local[:200] or None


class Recipients:
    """Which recipient addresses are taken, and the list each one names.

    ``fixed``: every message belongs to that list.  ``accept``: only these
    lists (by local part).  Neither: the lists in ``known`` and up to
    ``NEW_LISTS_PER_MESSAGE`` new ones per message, ``NEW_LISTS_PER_RUN``
    per run, since a list is a row in the store and a page on the desk."""

    def __init__(self, fixed: str | None = None, accept: Iterable[str] = (),
                 known: Iterable[str] = ()) -> None:
        self.fixed = fixed
        self.accept = {a.lower() for a in accept}
        self.known = {k.lower() for k in known}
        self.created = 0
        self.lock = threading.Lock()

    def list_of(self, recipient: str) -> str | None:
        return list_of(recipient, self.fixed)

    def check(self, address: str, earlier: list[str]) -> str | None:
        """None when ``address`` is taken (its list counted), else the reply."""
        if not _ADDRESS.fullmatch(address or ""):
            return "553 5.1.3 Not a list address (local-part@domain)"
        if self.fixed:
            return None
        name = self.list_of(address)
        if self.accept:
            return None if name in self.accept else f"550 5.1.1 No list {name!r} here"
        with self.lock:
            if name in self.known:
                return None
            new = {self.list_of(a) for a in earlier} - self.known
            if len(new) >= NEW_LISTS_PER_MESSAGE:
                return "452 4.5.3 Too many new lists in one message; try the rest later"
            if self.created + len(new) >= NEW_LISTS_PER_RUN:
                return f"550 5.1.1 No list {name!r} here (too many new lists; name them with --accept)"
        return None

    def stored(self, recipient: str) -> None:
        """A message was stored for ``recipient``: its list exists now."""
        name = self.list_of(recipient)
        with self.lock:
            if name and name not in self.known:
                self.known.add(name)
                self.created += 1


class _Handler:
    def __init__(self, deliver: Deliver, accept: Accept | None = None) -> None:
        self.deliver = deliver
        self.accept = accept

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        refused = self.accept(address, list(envelope.rcpt_tos)) if self.accept else None
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        data = envelope.original_content or b""
        recipients = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            replies = await loop.run_in_executor(None, self.deliver, data, recipients)
        except Exception:  # noqa: BLE001 - the store failed: the MTA must keep the mail
            log.exception("delivery failed")
            replies = ["451 4.3.0 Not stored, try again later"] * len(recipients)
        if len(replies) != len(recipients):
            replies = ["451 4.3.0 Not stored, try again later"] * len(recipients)
        return "\r\n".join(replies)


class _Server(LMTP):
    #: RFC 5321 says 1,000 octets a line; list mail breaks it (long diff
    #: lines, unfolded headers) and the parser copes, so allow more
    line_length_limit = MAX_LINE

    async def check_helo_needed(self, helo: str = "LHLO") -> bool:
        # aiosmtpd asks for HELO, which LMTP refuses: ask for what it takes
        return await super().check_helo_needed("LHLO")


class _Controller(Controller):
    """aiosmtpd's threaded controller, speaking LMTP instead of SMTP."""

    def factory(self):
        return _Server(self.handler, **self.SMTP_kwargs)


def start_server(deliver: Deliver, host: str = "127.0.0.1", port: int = 8024,
                 accept: Accept | None = None) -> Controller:
    """Start the server in a thread; ``stop()`` the returned controller."""
    controller = _Controller(_Handler(deliver, accept), hostname=host, port=port, ready_timeout=10.0,
                             data_size_limit=MAX_MESSAGE, decode_data=False)
    controller.start()
    return controller
