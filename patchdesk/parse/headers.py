"""Header decoding for real-world mail.

The standard library's ``email`` package is correct but slow and raises on
some of the mail found in list archives.  Ingest reads tens of thousands of
messages a second, so the header block is split and decoded here by hand:
unfolding, 8-bit bytes (UTF-8 first, Latin-1 as the last resort), RFC 2047
encoded words with wrong or unknown charsets, and the identifiers threading
depends on (Message-ID, In-Reply-To, References) even when they are folded,
unbracketed or broken.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr, parsedate_tz

_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
_MSGID_BRACKETED = re.compile(r"<([^<>\s]+)>")
_WS = re.compile(r"\s+")

#: Charset aliases seen in the wild that Python's codec registry lacks.
_CHARSET_ALIASES = {
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "latin-1",
    "unknown-8bit": "latin-1",
    "x-user-defined": "latin-1",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gbk",
}


def split_message(raw: bytes) -> tuple[bytes, bytes]:
    """Split raw mail into (header block, body) at the first empty line."""
    lf = raw.find(b"\n\n")
    crlf = raw.find(b"\r\n\r\n")
    if crlf != -1 and (lf == -1 or crlf < lf):
        return raw[:crlf], raw[crlf + 4 :]
    if lf == -1:
        return raw, b""
    return raw[:lf], raw[lf + 2 :]


def looks_like_headers(block: bytes) -> bool:
    """True when the first line of ``block`` is a header field."""
    return bool(_HEADER_LINE.match(block))


_FIELD = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]*:[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)", re.M)
_FOLD = re.compile(rb"\r?\n[ \t]*")

#: Headers later stages read; the rest stay in the raw bytes only.
WANTED = frozenset({
    "from", "subject", "date", "message-id", "in-reply-to", "references", "to", "cc",
    "list-id", "content-type", "content-transfer-encoding", "received", "resent-date",
})


def parse_header_block(block: bytes, wanted: frozenset[str] = WANTED) -> dict[str, list[bytes]]:
    """Unfold a header block into ``{lowercase name: [raw values]}``.

    One regular-expression scan finds every field with its continuation
    lines; only the ``wanted`` fields are unfolded and kept.  Lines that are
    neither fields nor continuations (seen in broken mail) are ignored.
    """
    headers: dict[str, list[bytes]] = {}
    for name, value in _FIELD.findall(block):
        key = name.lower().decode("ascii")
        if key not in wanted:
            continue
        if b"\n" in value:
            value = _FOLD.sub(b" ", value)
        headers.setdefault(key, []).append(value.strip())
    return headers


def lookup_codec(charset: str | None) -> str | None:
    """Return a usable codec name for a MIME charset label, or None."""
    if not charset:
        return None
    label = charset.strip().strip('"').lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, bool]:
    """Decode text whose declared charset may be wrong or missing.

    Returns (text, repaired) where ``repaired`` says the declared charset did
    not work and a fallback was used.  UTF-8 is tried before Latin-1 because
    mislabelled mail is far more often UTF-8 than anything else.
    """
    codec = lookup_codec(charset)
    if codec:
        try:
            return data.decode(codec), False
        except (UnicodeDecodeError, LookupError):
            pass
    elif charset is None or charset.lower() in ("ascii", "us-ascii"):
        try:
            return data.decode("ascii"), False
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), bool(charset)
    except UnicodeDecodeError:
        return data.decode("latin-1"), True


def _decode_word(charset: str, encoding: str, text: str) -> str:
    payload = text.encode("ascii", "replace")
    try:
        if encoding in "bB":
            payload += b"=" * (-len(payload) % 4)
            data = base64.b64decode(payload)
        else:
            data = binascii.a2b_qp(payload.replace(b"_", b" "), header=True)
    except (binascii.Error, ValueError):
        return text
    return decode_bytes(data, charset.split("*", 1)[0])[0]


def decode_header(value: bytes) -> tuple[str, bool]:
    """Decode a raw header value: 8-bit bytes and RFC 2047 encoded words.

    Returns (text, eight_bit) where ``eight_bit`` reports raw non-ASCII bytes,
    which RFC 5322 forbids but real mail contains.
    """
    try:
        text = value.decode("ascii")
        eight_bit = False
    except UnicodeDecodeError:
        text = decode_bytes(value, "utf-8")[0]
        eight_bit = True
    if "=?" in text:
        text = _BETWEEN_WORDS.sub(r"\1\2", text)
        text = _ENCODED_WORD.sub(lambda m: _decode_word(*m.groups()), text)
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        text = _WS.sub(" ", text)
    return text.strip(), eight_bit


def parse_from(value: str) -> tuple[str, str]:
    """Return (display name, lower-cased address) of a From header."""
    if "@" not in value:
        return value.strip().strip('"'), ""
    name, addr = parseaddr(value)
    if not addr:
        addr = value.strip()
    name = name.strip().strip('"').strip()
    return name or addr, addr.strip().lower()


def message_ids(value: str) -> list[str]:
    """All Message-IDs named in a References/In-Reply-To/Message-ID value.

    Bracketed ids are preferred; broken mailers that drop the brackets still
    get their ``local@domain`` tokens recognised.
    """
    ids = _MSGID_BRACKETED.findall(value)
    if ids:
        return ids
    return [tok.strip("<>,;") for tok in value.split() if "@" in tok and len(tok) > 2]


def clean_references(references: str, in_reply_to: str, own_id: str) -> tuple[str, ...]:
    """Build the ancestor chain: References, then In-Reply-To if not named.

    Duplicates and the message's own id (a message claiming to be its own
    parent) are dropped; order is kept so the last element is the parent.
    """
    chain: list[str] = []
    seen = {own_id}
    for msgid in message_ids(references):
        if msgid not in seen:
            seen.add(msgid)
            chain.append(msgid)
    parent = message_ids(in_reply_to)[:1]
    if parent and parent[0] not in seen:
        chain.append(parent[0])
    elif parent and parent[0] != own_id and chain and chain[-1] != parent[0]:
        # In-Reply-To is the author's own statement of the parent: it wins
        # over an older References entry naming the same message.
        chain.remove(parent[0])
        chain.append(parent[0])
    return tuple(chain)


_MIN_DATE = datetime(1970, 1, 2, tzinfo=timezone.utc)
_MAX_DATE = datetime(2100, 1, 1, tzinfo=timezone.utc)


def parse_date(value: str) -> datetime | None:
    """Parse an RFC 2822 date into aware UTC, or None when unusable."""
    if not value or len(value) > 200:
        return None
    try:
        parts = parsedate_tz(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if not parts:
        return None
    try:
        offset = parts[9] or 0
        if abs(offset) > 24 * 3600:
            offset = 0
        local = datetime(*parts[:6])
        when = (local - timedelta(seconds=offset)).replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None
    if not _MIN_DATE <= when < _MAX_DATE:
        return None
    return when
