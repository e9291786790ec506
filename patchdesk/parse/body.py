"""Body text from a message: transfer encodings, charsets, MIME, flowed text.

MIME is taken apart here with ``bytes.split`` on the boundary rather than
the standard library's line-by-line feed parser, which costs about a
millisecond per multipart message.  The walk is iterative and bounded in
depth, so hostile nesting costs nothing.  Patches sent as ``text/x-patch``
(or any attachment holding a diff) are kept as attachments so later stages
find them; HTML is never kept as HTML, only as tag-stripped text when a
message has nothing else.
"""

from __future__ import annotations

import binascii
import html
import re
from urllib.parse import unquote

from ..model import Attachment
from .headers import HeaderBlock, decode_bytes, decode_header, split_message

_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
#: A tag holds no "<": otherwise a run of "<" without ">" costs quadratic time.
_TAG = re.compile(r"<[^<>]*>")
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
        params[key.lower()] = val.strip('"')
    return main.strip().lower() or "text/plain", params


def unflow(text: str, delsp: bool) -> str:
    """Undo format=flowed (RFC 3676): join soft-broken lines, un-stuff spaces.

    Flowed text mangles patches (trailing spaces matter), so a patch sent
    flowed only applies after the soft breaks are removed.  Lines join only
    at the same quote depth: the last line of a quoted patch often ends in a
    space (a quoted blank context line, ``> -- ``), and joining it with the
    reply under it would bury the reviewer's ``Reviewed-by:`` in the quote.
    """
    out: list[str] = []
    pending, pending_depth = "", -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        prefix = ">" * depth + " " if depth else ""
        if pending and depth != pending_depth:
            out.append(pending)
            pending = ""
        if content.endswith(" ") and content != "-- ":
            if not pending:
                pending, pending_depth = prefix, depth
            pending += content[:-1] if delsp else content
            continue
        out.append(pending + content if pending else prefix + content)
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
    """Decode one leaf part: transfer encoding, charset, flowed text."""
    data, broken = _decode_transfer(payload, cte)
    if broken and "transfer-encoding-broken" not in flags:
        flags.append("transfer-encoding-broken")
    _, params = content_type(ctype)
    text, repaired = decode_bytes(data, params.get("charset"))
    if repaired and "charset-repaired" not in flags:
        flags.append("charset-repaired")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if params.get("format", "").lower() == "flowed":
        text = unflow(text, params.get("delsp", "").lower() == "yes")
    return text


def split_parts(payload: bytes, boundary: str) -> list[bytes]:
    """The body parts of a multipart payload (preamble and epilogue dropped)."""
    delimiter = b"\n--" + boundary.encode("ascii", "replace")
    chunks = (b"\n" + payload).split(delimiter)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the close delimiter
        newline = chunk.find(b"\n")
        if newline == -1:
            continue
        part = chunk[newline + 1:]
        parts.append(part[:-1] if part.endswith(b"\r") else part)
    return parts


def _header(headers: HeaderBlock, name: str) -> str:
    values = headers.get(name)
    return decode_header(values[0])[0] if values else ""


def _filename(disposition: str, params: dict[str, str]) -> str:
    _, dparams = content_type(disposition)
    for source in (dparams, params):
        for key in ("filename", "name"):
            if source.get(key):
                return source[key]
            encoded = source.get(key + "*")
            if encoded:  # RFC 2231: charset'lang'percent-encoded
                return unquote(encoded.split("'", 2)[-1])
    return ""


def _part(raw: bytes) -> tuple[HeaderBlock, bytes]:
    if raw.startswith((b"\n", b"\r\n")):  # a part without headers
        return HeaderBlock(b""), raw.split(b"\n", 1)[1]
    block, payload = split_message(raw)
    return HeaderBlock(block), payload


def mime_body(raw: bytes, flags: list[str]) -> tuple[str, tuple[Attachment, ...]]:
    """Decode a multipart (or non-plain) message into (text, attachments)."""
    texts: list[str] = []
    html_texts: list[str] = []
    attachments: list[Attachment] = []
    stack = [(*_part(raw), 0)]
    while stack:
        headers, payload, depth = stack.pop()
        ctype_text = _header(headers, "content-type") or "text/plain"
        ctype, params = content_type(ctype_text)
        if ctype.startswith("multipart/") and params.get("boundary"):
            if depth >= MAX_MIME_DEPTH:
                if "mime-too-deep" not in flags:
                    flags.append("mime-too-deep")
                continue
            parts = split_parts(payload, params["boundary"])
            stack.extend((*_part(p), depth + 1) for p in reversed(parts))
            continue
        cte = _header(headers, "content-transfer-encoding")
        disposition = _header(headers, "content-disposition")
        filename = _filename(disposition, params)
        attached = disposition.lower().startswith("attachment")
        is_patch = ctype in _PATCH_TYPES or filename.lower().endswith(_PATCH_NAMES)
        if ctype in ("text/plain", "multipart/mixed") and not is_patch and not attached:
            texts.append(simple_body(payload, ctype_text, cte, flags))
        elif ctype == "text/html" and not attached:
            html_texts.append(simple_body(payload, ctype_text, cte, flags))
        elif is_patch or (ctype.startswith("text/") and ctype != "text/html"):
            text = simple_body(payload, ctype_text, cte, flags)
            if is_patch or "\ndiff --git " in text or text.startswith("diff --git "):
                attachments.append(Attachment(filename, ctype, text))
    if not texts and html_texts:
        flags.append("html-only")
        texts = [html.unescape(_TAG.sub("", t)) for t in html_texts]
    return "\n".join(texts), tuple(attachments)
