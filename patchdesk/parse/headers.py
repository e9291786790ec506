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
    crlf = raw.find(b"\r\n\r\n", 0, len(raw) if lf == -1 else lf)
    if crlf != -1 and (lf == -1 or crlf < lf):
        return raw[:crlf], raw[crlf + 4 :]
    if lf == -1:
        return raw, b""
    return raw[:lf], raw[lf + 2 :]


def looks_like_headers(block: bytes) -> bool:
    """True when the first line of ``block`` is a header field."""
    return bool(_HEADER_LINE.match(block))


_FOLD = re.compile(rb"\r?\n[ \t]*")


#: Series metadata some tools send as headers rather than in the body.
META_HEADERS = ("depends-on", "supersedes", "change-id", "x-change-id")


class HeaderBlock:
    """Fields of a header block, found by name on demand.

    Kernel mail carries kilobytes of Received and DKIM headers that nothing
    here reads.  Instead of splitting every line, each wanted field is found
    with ``bytes.find`` on a lower-cased copy (C speed) and unfolded; a
    field is looked up only when asked for.  Lines that are neither fields
    nor continuations (broken mail) are simply never matched.
    """

    __slots__ = ("block", "lower", "cache")

    def __init__(self, block: bytes) -> None:
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n")
        self.block = b"\n" + block
        self.lower = self.block.lower()
        self.cache: dict[str, list[bytes]] = {}

    def get(self, name: str, default=None) -> list[bytes] | None:
        values = self.cache.get(name)
        if values is None:
            values = self.cache[name] = self._find(name)
        return values or default

    def __contains__(self, name: str) -> bool:
        return bool(self.get(name))

    def _find(self, name: str) -> list[bytes]:
        key = b"\n" + name.encode("ascii")
        lower, block, size = self.lower, self.block, len(self.block)
        values: list[bytes] = []
        at = lower.find(key)
        while at != -1:
            colon = at + len(key)
            while colon < size and block[colon] in (32, 9):
                colon += 1
            if colon < size and block[colon] == 58:  # ":"
                end = block.find(b"\n", colon)
                while end != -1 and end + 1 < size and block[end + 1] in (32, 9):
                    end = block.find(b"\n", end + 1)
                value = block[colon + 1:size if end == -1 else end]
                if b"\n" in value:
                    value = _FOLD.sub(b" ", value)
                values.append(value.strip())
            at = lower.find(key, colon)
        return values


def parse_header_block(block: bytes) -> HeaderBlock:
    """Fields of a header block: ``get(name)`` gives every raw value."""
    return HeaderBlock(block)


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
        except (UnicodeError, LookupError):  # idna, punycode raise a bare UnicodeError
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


_NAME_ADDR = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^"<>@,;()]*?))\s*<([^<>\s@]+@[^<>\s]+)>\s*$')
#: Starts only at the start of a token: tried at every character, "aaa...a@"
#: would cost quadratic time (the leftmost match starts there anyway).
_ANY_ADDR = re.compile(r"(?<![^\s<>()\",;])[^\s<>()\",;]+@[^\s<>()\",;]+")
_BARE_ADDR = re.compile(r"^\s*<?([^<>\s@()]+@[^<>\s()]+?)>?\s*(?:\(([^()]*)\))?\s*$")


def parse_from(value: str) -> tuple[str, str]:
    """Return (display name, lower-cased address) of a From header.

    The two shapes nearly all mail uses (``Name <addr>`` and ``addr
    (Name)``) are matched directly; anything else goes to the standard
    library's RFC 5322 address parser.
    """
    m = _NAME_ADDR.match(value)
    if m:
        quoted, plain, addr = m.groups()
        name = quoted.replace('\\"', '"') if quoted is not None else plain
        return (name.strip() or addr), addr.lower()
    m = _BARE_ADDR.match(value)
    if m:
        return (m.group(2) or m.group(1)).strip(), m.group(1).lower()
    if "@" not in value:
        return value.strip().strip('"'), ""
    try:
        name, addr = parseaddr(value)
    except RecursionError:  # the stdlib recurses per nested "(" comment: hostile input
        name, addr = "", ""
    if not addr or "@" not in addr or "<" in addr:
        found = _ANY_ADDR.search(value)
        addr = found.group(0) if found else ""
    if not addr:
        addr = value.strip()
    name = name.strip().strip('"').strip()
    return name or addr, addr.strip().lower()


_ENDS_IN_ADDR = re.compile(r"^([^<>]*)<([^<>\s@]+@[^<>\s]+)>\s*$")


def parse_from_raw(value: bytes) -> tuple[str, str]:
    """(display name, address) of a raw From header, address first.

    Encoded words are decoded only in the display name found: decoded
    first, ``=?utf-8?q?Eve=0D=0ABcc:_victim@example.com?= <eve@x>``
    read as victim's mail (RFC 2047 allows no encoded word in an address).
    """
    text = _WS.sub(" ", value.decode("utf-8", "replace")).strip()
    angle = _ENDS_IN_ADDR.match(text) if "=?" in text else None
    if angle:  # "anything <addr>": the address is the one in brackets, whatever the name holds
        name, addr = angle.group(1).strip().strip('"').strip(), angle.group(2).lower()
    else:
        name, addr = parse_from(text)
    if "=?" in name:
        name = decode_header(name.encode("utf-8"))[0]
    return name, addr


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
