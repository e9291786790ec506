"""What a message says, field by field, for the search index (``query.TEXT_FIELDS``).

The fields are lore's: the subject, the people (From, To, Cc), the whole
body, the replier's own words (``nq``) apart from what they quote
(``q``), and for a patch its diff taken apart: file names, removed,
added and context lines, and the hunk headers' function names.  Pure:
a parsed message in, plain strings out; each store indexes them with its
own full-text engine.
"""

from __future__ import annotations

import re
import unicodedata

from ..model import ParsedMessage
from ..parse.diff import find_diff
from ..review.quotes import split_reply

#: Longest text kept per field (a 10 MB patch would cost the index more than it helps).
FIELD_LIMIT = 200_000
#: Fields the index holds; ``b:`` (the whole body) is all the body's fields together.
INDEXED = ("s", "f", "t", "c", "nq", "q", "dfn", "dfa", "dfb", "dfctx", "dfhh")
BODY = ("nq", "q", "dfa", "dfb", "dfctx")
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> str:
    """Text as the index and the queries see it: lower-case words of letters
    and digits, accents dropped, one space apart.  Both stores then index
    the same words (SQLite's and PostgreSQL's tokenizers disagree on paths,
    identifiers and accents; given plain words they agree), and
    ``frob_core_drain`` is the phrase "frob core drain" in both."""
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(text.lower()))


def fields(msg: ParsedMessage) -> dict[str, str]:
    """field name -> its words (``INDEXED``)."""
    body = msg.body or ""
    diff = find_diff(body)
    names: list[str] = []
    removed: list[str] = []
    added: list[str] = []
    context: list[str] = []
    headers: list[str] = []
    if diff is not None:
        for change in diff.files:
            names += [p for p in (change.old_path, change.new_path) if p]
            for hunk in change.hunks:
                if hunk.section:
                    headers.append(hunk.section)
                for line in hunk.lines:
                    (removed if line[:1] == "-" else added if line[:1] == "+" else context).append(line[1:])
    prose = body[:diff.start] if diff is not None else body
    reply = split_reply(prose)
    quoted = "\n".join("\n".join(seg.lines) for seg in reply.segments if seg.kind in ("quote", "quoted_diff"))
    out = {
        "s": msg.subject, "f": f"{msg.from_name} {msg.from_addr}", "t": msg.to, "c": msg.cc,
        "nq": reply.own, "q": quoted, "dfn": " ".join(dict.fromkeys(names)), "dfa": "\n".join(removed),
        "dfb": "\n".join(added), "dfctx": "\n".join(context), "dfhh": "\n".join(headers),
    }
    return {k: words(v[:FIELD_LIMIT]) for k, v in out.items()}
