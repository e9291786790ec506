"""Text from mail, as a person may safely be shown it.

Names and subjects come from strangers.  Unicode's invisible format
characters let one look like another: "Linus Tor\\u200bvalds" reads as
Linus Torvalds and is not his address; a right-to-left override turns
"evil.c" around on screen (the "Trojan Source" trick, CVE-2021-42574),
in a subject as in a diff line.  Pages and the CLI's human output show
each such character as a visible ``<U+XXXX>``.  Stored mail, ``--json``
and ``am`` keep the bytes as sent: programs need the real text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from urllib.parse import quote


@lru_cache(maxsize=4096)
def _mark(ch: str) -> str:
    # Cf: format characters (bidi embeddings, overrides and isolates, zero
    # width space/joiners, word joiner, BOM, soft hyphen, ...); all invisible
    return f"<U+{ord(ch):04X}>" if unicodedata.category(ch) == "Cf" else ch


def visible(text: str) -> str:
    """``text`` with every invisible format character shown as ``<U+XXXX>``."""
    if text.isascii():
        return text
    return "".join(map(_mark, text))


def visible_value(value):
    """``visible`` for plain strings, anything else as it is (a template's
    finalize; markup a macro made was finalized inside already)."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return visible(value)
    return value


def id_path(msgid: str) -> str:
    """A Message-ID as one URL path segment.

    Jinja's ``urlencode`` keeps ``/``: ``<a/../../b@x>`` became a link the
    browser resolved to another page.  Everything but ``@`` is encoded
    here; the server decodes the segment back before routing."""
    return quote(str(msgid), safe="@")
