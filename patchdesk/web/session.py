"""Logging in to the web desk: a password or an API token gives a session cookie.

The desk's actions (triage, reply, take, thank) are HTML forms, so they
ride on a cookie, and a cookie is what cross-site forgery abuses.  Three
things stop it: the cookie is ``SameSite=Strict`` and ``HttpOnly``; every
form carries the session's CSRF token, compared in constant time; and the
request guard refuses a write whose ``Origin`` is another site.  The cookie
holds 32 random bytes; the store keeps only their SHA-256 (a copy of the
store opens no session) with the CSRF token and the end of the session.
The password (``patchdesk password``) is kept as scrypt with its own salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from fastapi import HTTPException, Request
from sqlalchemy import Connection

from ..store import desk as store
from .auth import check_secret, check_token, hash_secret

COOKIE = "patchdesk_session"
LIFETIME = timedelta(hours=12)
PASSWORD_KEY = "desk_password"


@dataclass(frozen=True, slots=True)
class Session:
    who: str
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(conn: Connection, password: str) -> None:
    store.set_setting(conn, PASSWORD_KEY, hash_secret(password))


def who_logs_in(conn: Connection, secret: str) -> str | None:
    """The desk's user for the right password (the stored me), or an API
    token's name; None otherwise."""
    if not secret or len(secret) > 200:
        return None
    stored = store.get_setting(conn, PASSWORD_KEY)
    if stored and check_secret(secret, stored):
        return store.load_me(conn)[0] or "maintainer"
    return check_token(conn, secret)


def open_session(conn: Connection, who: str) -> str:
    """A new session for ``who``; returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    store.save_session(conn, _digest(token), who, secrets.token_urlsafe(24),
                       datetime.now(timezone.utc) + LIFETIME)
    return token


def current(request: Request, conn: Connection) -> Session | None:
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > 100:
        return None
    found = store.session_of(conn, _digest(token))
    return Session(*found) if found else None


def close_session(request: Request, conn: Connection) -> None:
    token = request.cookies.get(COOKIE, "")
    if token and len(token) <= 100:
        store.drop_session(conn, _digest(token))


def require(request: Request, conn: Connection, csrf: str) -> Session:
    """The session a form was sent in, with its CSRF token right; 403 otherwise."""
    session = current(request, conn)
    if session is None:
        raise HTTPException(403, "log in first (/login)")
    if not hmac.compare_digest(session.csrf.encode(), (csrf or "").encode()):
        raise HTTPException(403, "the form's CSRF token does not match this session: reload the page")
    return session


def cookie_args(request: Request) -> dict:
    return {"httponly": True, "samesite": "strict", "secure": request.url.scheme == "https", "path": "/",
            "max_age": int(LIFETIME.total_seconds())}
