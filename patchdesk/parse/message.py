"""Raw bytes -> ParsedMessage: the one entry point of the parse stage.

Pure: no store, no I/O.  Messages that cannot be read at all raise
``Unreadable`` with the reason that goes into the quarantine; everything
else is repaired and the repair is named in ``flags``.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from ..model import ParsedMessage, RawMail, Unreadable
from . import hypermail
from .body import mime_body, simple_body
from .headers import (
    META_HEADERS,
    clean_references,
    decode_header,
    looks_like_headers,
    message_ids,
    parse_date,
    parse_from,
    parse_from_raw,
    parse_header_block,
    split_message,
)
from .sender import original_sender

#: Larger messages are quarantined: nothing on a patch list is this big, and
#: parsing it would cost memory the rest of the run needs.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_MAX_ID = 900
_USEFUL = ("from", "subject", "message-id", "date")


def content_hash(data: bytes) -> str:
    """Identity of the exact bytes: equal hash means already stored."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _fingerprint(msgid: str, from_addr: str, date: str, subject: str, body: str) -> str:
    """Identity of the content, independent of delivery headers.

    The same post fetched from two archives differs in Received/X- headers
    but not in these fields; it also gives id-less mail a stable id.
    """
    h = hashlib.blake2b(digest_size=20)
    for part in (msgid, from_addr, date, subject, body):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def parse(mail: RawMail) -> ParsedMessage:
    """Parse one raw message; raise Unreadable when it must be quarantined."""
    data = mail.data
    if len(data) > MAX_MESSAGE_BYTES:
        raise Unreadable(f"message too large ({len(data)} bytes > {MAX_MESSAGE_BYTES})")
    if not data.strip():
        raise Unreadable("empty message")
    if mail.format == "hypermail":
        return hypermail.parse_page(data, _build)
    block, payload = split_message(data.lstrip(b"\r\n"))
    if block.startswith(b"From "):  # a stray mbox separator left in a file
        block = block.split(b"\n", 1)[1] if b"\n" in block else b""
    if not looks_like_headers(block):
        raise Unreadable("no RFC 5322 header block")
    raw_headers = parse_header_block(block)
    if not any(name in raw_headers for name in _USEFUL):
        raise Unreadable("none of From, Subject, Message-ID, Date present")
    flags: list[str] = []

    def header(name: str) -> str:
        values = raw_headers.get(name)
        if not values:
            return ""
        text, eight_bit = decode_header(values[0])
        if eight_bit and "8bit-headers" not in flags:
            flags.append("8bit-headers")
        return text

    ctype = header("content-type") or "text/plain"
    cte = header("content-transfer-encoding")
    if not ctype.lower().startswith("text/plain"):
        try:
            body, attachments = mime_body(data, flags)
        except (RecursionError, LookupError, ValueError, TypeError, AttributeError) as exc:
            raise Unreadable(f"MIME structure unreadable: {type(exc).__name__}: {exc}") from None
    else:
        body, attachments = simple_body(payload, ctype, cte, flags), ()
    header("from")  # for its flags
    raw_from = raw_headers.get("from")
    parsed = _build(header, flags, body, attachments,
                    lambda name: [decode_header(v)[0] for v in raw_headers.get(name, [])],
                    sender=parse_from_raw(raw_from[0]) if raw_from else None)
    meta = tuple((name.removeprefix("x-"), decode_header(value)[0][:1000])
                 for name in META_HEADERS for value in raw_headers.get(name, []))
    return replace(parsed, meta_headers=meta) if meta else parsed


def _build(header, flags, body, attachments, all_values,
           sender: tuple[str, str] | None = None) -> ParsedMessage:
    """Assemble a ParsedMessage from decoded header access and a body
    (``sender``: the From header read before decoding, when there is one)."""
    from_name, header_addr = sender or parse_from(header("from"))
    if not header_addr and not from_name:
        flags.append("from-missing")
    from_addr = header_addr
    poster = original_sender(from_name, from_addr, all_values("reply-to"), all_values("cc"),
                             all_values("x-original-from"))
    if poster:
        from_name, from_addr = poster
        flags.append("from-munged")
    subject = header("subject")
    date_text = header("date")
    date = parse_date(date_text)
    if date is None:
        for received in all_values("resent-date") + all_values("received"):
            date = parse_date(received.rpartition(";")[2])
            if date:
                break
        flags.append("date-invalid" if date_text else "date-missing")
    msgid_text = header("message-id")
    fingerprint = _fingerprint(msgid_text, header_addr, date_text, subject, body)  # the bytes' own sender
    ids = message_ids(msgid_text)
    msgid = ids[0][:_MAX_ID] if ids else ""
    synthetic = not msgid
    if synthetic:
        flags.append("msgid-missing")
        msgid = f"{fingerprint}@patchdesk.invalid"
    references = clean_references(header("references"), header("in-reply-to"), msgid)
    return ParsedMessage(
        msgid=msgid,
        msgid_synthetic=synthetic,
        from_name=from_name[:300],
        from_addr=from_addr[:300],
        subject=subject[:2000],
        date=date,
        references=tuple(r[:_MAX_ID] for r in references[-200:]),
        to=", ".join(all_values("to")),
        cc=", ".join(all_values("cc")),
        list_id=header("list-id"),
        body=body,
        fingerprint=fingerprint,
        attachments=attachments,
        flags=tuple(flags),
    )
