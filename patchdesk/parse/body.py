"""Body text from a message: transfer encodings, charsets, MIME, flowed text.

The common case on patch lists, one ``text/plain`` part in 7bit or 8bit, is
decoded directly from the bytes.  Everything else (multipart, attachments,
quoted-printable, base64) goes through the standard library's compat32
parser, which tolerates broken MIME.  Patches sent as ``text/x-patch`` (or
any attachment that holds a diff) are kept as attachments so later stages
find them; HTML is never kept as HTML, only as tag-stripped text.
"""

from __future__ import annotations

import binascii
import email.parser
import email.policy
import html
import re
from email.message import Message

from ..model import Attachment
from .headers import decode_bytes

_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
_TAG = re.compile(r"<[^>]*>")
_PATCH_TYPES = {"text/x-patch", "text/x-diff", "text/x-diff-plain", "application/x-patch"}
_PATCH_NAMES = (".patch", ".diff")

#: How deep nested MIME may go before the rest is ignored; real mail rarely
#: nests more than 4 levels, hostile mail nests thousands.
MAX_MIME_DEPTH = 32


def content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split a Content-Type value into (lower-cased type, parameters)."""
    main, _, rest = value.partition(";")
    params = {}
    for key, val in _PARAM.findall(";" + rest):
        val = val.strip('"')
        params[key.lower()] = val
    return main.strip().lower() or "text/plain", params


def unflow(text: str, delsp: bool) -> str:
    """Undo format=flowed (RFC 3676): join soft-broken lines, un-stuff spaces.

    Flowed text mangles patches (trailing spaces matter), so a patch sent
    flowed only applies after the soft breaks are removed.
    """
    out: list[str] = []
    pending = ""
    for line in text.split("\n"):
        if line.startswith(" "):
            line = line[1:]
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delsp else line
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


def _decode_transfer(payload: bytes, cte: str) -> tuple[bytes, bool]:
    cte = cte.strip().lower()
    try:
        if cte == "quoted-printable":
            return binascii.a2b_qp(payload), False
        if cte == "base64":
            cleaned = b"".join(payload.split())
            cleaned += b"=" * (-len(cleaned) % 4)
            return binascii.a2b_base64(cleaned), False
    except (binascii.Error, ValueError):
        return payload, True
    return payload, False


def simple_body(payload: bytes, ctype: str, cte: str, flags: list[str]) -> str:
    """Decode a single-part body without the email package."""
    data, broken = _decode_transfer(payload, cte)
    if broken:
        flags.append("transfer-encoding-broken")
    _, params = content_type(ctype)
    text, repaired = decode_bytes(data, params.get("charset"))
    if repaired:
        flags.append("charset-repaired")
    text = text.replace("\r\n", "\n")
    if params.get("format", "").lower() == "flowed":
        text = unflow(text, params.get("delsp", "").lower() == "yes")
    return text


def _part_text(part: Message, flags: list[str]) -> str:
    payload = part.get_payload(decode=False)
    if isinstance(payload, list):
        return ""
    raw = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else payload
    return simple_body(raw, str(part.get("content-type", "text/plain")),
                       str(part.get("content-transfer-encoding", "")), flags)


def _walk(message: Message, flags: list[str]):
    """Yield leaf parts, depth-first, iteratively and depth-bounded."""
    stack = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        payload = part.get_payload()
        if isinstance(payload, list):
            if depth >= MAX_MIME_DEPTH:
                flags.append("mime-too-deep")
                continue
            stack.extend((sub, depth + 1) for sub in reversed(payload))
        else:
            yield part


def mime_body(raw: bytes, flags: list[str]) -> tuple[str, tuple[Attachment, ...]]:
    """Decode a multipart (or encoded) message into (text, attachments)."""
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    texts: list[str] = []
    html_texts: list[str] = []
    attachments: list[Attachment] = []
    for part in _walk(message, flags):
        ctype = part.get_content_type()
        disposition = str(part.get("content-disposition", "")).lower()
        try:
            filename = str(part.get_filename("") or "")
        except (ValueError, LookupError, TypeError):
            filename = ""
        is_patch = ctype in _PATCH_TYPES or filename.lower().endswith(_PATCH_NAMES)
        if ctype == "text/plain" and not is_patch and "attachment" not in disposition:
            texts.append(_part_text(part, flags))
        elif ctype == "text/html" and "attachment" not in disposition:
            html_texts.append(_part_text(part, flags))
        elif is_patch or (ctype.startswith("text/") and ctype != "text/html"):
            text = _part_text(part, flags)
            if is_patch or "\ndiff --git " in text or text.startswith("diff --git "):
                attachments.append(Attachment(filename, ctype, text))
    if not texts and html_texts:
        flags.append("html-only")
        texts = [html.unescape(_TAG.sub("", t)) for t in html_texts]
    return "\n".join(texts), tuple(attachments)
