"""API write tokens: created by ``patchdesk token create``, stored hashed.

A token is 32 random bytes shown once; the store keeps ``scrypt`` of it
with a per-token salt, so a copy of the store gives no usable token.
Failed attempts are rate-limited per client address, so guessing is slow.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timezone

from sqlalchemy import Connection, select

from ..store.schema import ApiToken

#: Failed token checks allowed per client address and window.
MAX_FAILURES = 10
WINDOW = 60.0


def _hash(token: str, salt: bytes) -> str:
    digest = hashlib.scrypt(token.encode(), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def hash_secret(secret: str) -> str:
    """A password as stored: scrypt with its own salt."""
    return _hash(secret, secrets.token_bytes(16))


def check_secret(secret: str, stored: str) -> bool:
    try:
        _, salt, _ = stored.split("$")
        return hmac.compare_digest(_hash(secret, bytes.fromhex(salt)), stored)
    except ValueError:
        return False


def create_token(conn: Connection, name: str) -> str:
    token = "pd_" + secrets.token_urlsafe(32)
    conn.execute(ApiToken.__table__.insert().values(name=name, token_hash=_hash(token, secrets.token_bytes(16)),
                                                    created_at=datetime.now(timezone.utc)))
    return token


def check_token(conn: Connection, token: str) -> str | None:
    """The token's name when it is valid, else None (constant-time compare)."""
    if not token or len(token) > 200:
        return None
    for name, stored in conn.execute(select(ApiToken.name, ApiToken.token_hash)):
        try:
            _, salt, _ = stored.split("$")
        except ValueError:
            continue
        if hmac.compare_digest(_hash(token, bytes.fromhex(salt)), stored):
            return name
    return None


class FailureLimiter:
    """Sliding window of failed attempts per client."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = WINDOW) -> None:
        self.limit, self.window = limit, window
        self.failures: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        with self.lock:
            q = self.failures[client]
            now = time.monotonic()
            while q and now - q[0] > self.window:
                q.popleft()
            return len(q) >= self.limit

    def fail(self, client: str) -> None:
        with self.lock:
            self.failures[client].append(time.monotonic())
