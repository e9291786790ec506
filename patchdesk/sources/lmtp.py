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
for everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP

log = logging.getLogger(__name__)

#: A message larger than this is refused at the protocol level (552).
MAX_MESSAGE = 64 * 1024 * 1024
#: A longer line is refused (500); the whole message is then refused.
MAX_LINE = 1024 * 1024
#: More recipients than this in one transaction are refused (452).
MAX_RECIPIENTS = 100

Deliver = Callable[[bytes, list[str]], list[str]]


def list_of(recipient: str, fixed: str | None = None) -> str | None:
    """The list a recipient address stands for."""
    if fixed:
        return fixed
    local = recipient.rsplit("@", 1)[0].strip("<> ").lower()
    return local[:200] or None


class _Handler:
    def __init__(self, deliver: Deliver) -> None:
        self.deliver = deliver

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
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


class _Controller(Controller):
    """aiosmtpd's threaded controller, speaking LMTP instead of SMTP."""

    def factory(self):
        return _Server(self.handler, **self.SMTP_kwargs)


def start_server(deliver: Deliver, host: str = "127.0.0.1", port: int = 8024) -> Controller:
    """Start the server in a thread; ``stop()`` the returned controller."""
    controller = _Controller(_Handler(deliver), hostname=host, port=port, ready_timeout=10.0,
                             data_size_limit=MAX_MESSAGE, decode_data=False)
    controller.start()
    return controller
