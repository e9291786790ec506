"""Answers kept until the store changes.

A morning's traffic on the desk is many maintainers reading the same
board and series pages, while the list adds a message every few seconds
or minutes.  So GET answers are kept, keyed by URL, and every one of
them is dropped as soon as anything is committed to the store.  That is
cheap to know:

* SQLite: ``PRAGMA data_version`` on a connection of our own changes
  whenever any other connection (this process's or another's: ``lmtp``,
  ``watch``, ``ingest``) commits;
* PostgreSQL: ``pg_current_wal_lsn()`` moves with every write to the
  cluster, so it may drop answers too often but never keeps a stale one.

What is kept is the rendered body, not the data: a hit costs one version
check and a copy.  ``PATCHDESK_PAGE_CACHE=0`` turns it off (the figures
in docs/benchmarks.md are given both ways).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict

from sqlalchemy import Engine, text

#: Answers kept at most (most recently used win).
ENTRIES = 512
#: Larger answers are not kept.
MAX_BODY = 1024 * 1024
#: Paths whose answers are kept (the static files have their own caching).
PREFIXES = ("/api/", "/series/", "/thread/", "/patch/", "/interdiff/", "/overlaps")


def _logged_in(scope) -> bool:
    """A page for a logged-in maintainer holds their forms and CSRF token: never kept, never shared."""
    return any(k == b"cookie" and SESSION_COOKIE in v for k, v in scope.get("headers", ()))


#: The desk's session cookie (``web.session.COOKIE``).
SESSION_COOKIE = b"patchdesk_session="


class StoreVersion:
    """A value that differs after any commit to the store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.sqlite = None
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            self.sqlite = sqlite3.connect(engine.url.database, check_same_thread=False)

    def __call__(self):
        if self.sqlite is not None:
            with self.lock:
                return self.sqlite.execute("PRAGMA data_version").fetchone()[0]
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT pg_current_wal_lsn()")).scalar()


class PageCache:
    """ASGI middleware keeping successful GET answers per store version."""

    def __init__(self, app, engine: Engine) -> None:
        self.app = app
        self.version = StoreVersion(engine)
        self.entries: OrderedDict[bytes, tuple] = OrderedDict()
        self.lock = threading.Lock()
        self.enabled = os.environ.get("PATCHDESK_PAGE_CACHE", "1") != "0"

    def _wanted(self, scope) -> bool:
        path = scope.get("path", "")
        return (self.enabled and scope["type"] == "http" and scope["method"] == "GET"
                and (path == "/" or path.startswith(PREFIXES)) and not _logged_in(scope))

    async def __call__(self, scope, receive, send) -> None:
        if not self._wanted(scope):
            await self.app(scope, receive, send)
            return
        key = scope["path"].encode() + b"?" + scope.get("query_string", b"")
        version = self.version()
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None and hit[0] == version:
                self.entries.move_to_end(key)
        if hit is not None and hit[0] == version:
            _, status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start.get("status") == 200:
                    body = b"".join(chunks)
                    if len(body) <= MAX_BODY:
                        with self.lock:
                            self.entries[key] = (version, 200, list(start.get("headers", [])), body)
                            self.entries.move_to_end(key)
                            while len(self.entries) > ENTRIES:
                                self.entries.popitem(last=False)
            await send(message)

        await self.app(scope, receive, keep)
