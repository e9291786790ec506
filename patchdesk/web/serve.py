"""How uvicorn runs the desk, and the ASGI entry point it imports (in each
worker): the store comes from ``PATCHDESK_DB``, set by ``patchdesk serve``.

Against slow and idle clients: uvicorn closes a keep-alive connection after
5 s without a request, but it gives a request no time limit once a byte of
it arrived, nor a new connection that sends nothing.  A client that sends
its headers a byte a second (slowloris), or just connects, holds its
connection for ever, and a thousand of them make uvicorn answer everybody
else 503 (``limit_concurrency``).  ``SlowClientH11`` gives every request
``REQUEST_TIMEOUT`` seconds, from the moment its connection is ready (new,
or the previous answer sent) until its head and body have arrived, then
closes the connection.  It also holds a request head (request line and
headers) to ``MAX_HEAD`` bytes, 431 beyond: h11's own limit
(``h11_max_incomplete_event_size``, 400) applies only while the head is
incomplete, so a head of 20 KB sent in one write was taken whole.  The
rest is uvicorn's: the 5 s keep-alive, and at most ``LIMIT_CONCURRENCY``
connections and requests at once (more are answered 503 at once, not
queued).  The h11 protocol is named, not left to uvicorn's choice:
httptools, when installed, would bypass all of this.
"""

from __future__ import annotations

import os
import re
import socket

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a request may take to arrive, head and body.
REQUEST_TIMEOUT = 10.0
#: Connections and requests at once.
LIMIT_CONCURRENCY = 1000
#: Largest request head (request line and headers).
MAX_HEAD = 16 * 1024
UVICORN = {"timeout_keep_alive": 5, "limit_concurrency": LIMIT_CONCURRENCY,
           "h11_max_incomplete_event_size": MAX_HEAD, "log_level": "warning"}
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
              b"connection: close\r\ncontent-length: 22\r\n\r\nrequest head too large")


class SlowClientH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request."""

    deadline = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _no_delay(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            pending = self.conn.trailing_data[0]
            if len(pending) + len(data) > MAX_HEAD:
                waiting = pending + data
                end = _HEAD_END.search(waiting)
                if (end.start() if end else len(waiting)) > MAX_HEAD:
                    self.transport.write(_TOO_LARGE)
                    self.transport.close()
                    return
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._disarm()  # the request is in: the app may take its time

    def on_response_complete(self) -> None:
        self._arm()  # first: a pipelined request behind it disarms it again
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(REQUEST_TIMEOUT, self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()


def _no_delay(transport) -> None:
    """Send each answer at once (TCP_NODELAY).  asyncio sets it only on
    connections of sockets that report ``IPPROTO_TCP``; the listening
    socket uvicorn binds itself for ``--workers`` above 1 reports 0, so
    there Nagle's algorithm held each answer's last segment for the
    client's delayed ACK: about 40 ms a response (uvicorn issue #3149)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # the peer already went away
            pass


def run(host: str, port: int, workers: int, proxies: list[str] | None = None) -> None:
    """Serve; ``X-Forwarded-For`` is believed only from ``proxies``.

    uvicorn trusts it from 127.0.0.1 by default, so any local client could
    name a new address per request and escape the per-client limit on
    token guesses: without a named proxy the peer address is the client."""
    import uvicorn

    uvicorn.run("patchdesk.web.serve:app", host=host, port=port, workers=workers, http=SlowClientH11,
                proxy_headers=bool(proxies), forwarded_allow_ips=",".join(proxies or []) or None, **UVICORN)


def __getattr__(name: str):
    """``app`` is made when uvicorn asks for it, so that importing this
    module (for ``run``) opens no store."""
    if name == "app":
        from .app import create_app

        globals()["app"] = create_app(os.environ.get("PATCHDESK_DB"))
        return globals()["app"]
    raise AttributeError(name)
