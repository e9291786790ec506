"""Seed inputs for each fuzz target, cut out of ``tests/data/corpus`` (vendored from ``../shared/corpus``).

The shared corpus is read-only and shared between checkouts: seeds are
only ever *read* from it (``run.py`` copies them into a temp directory).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus"

_MBOX_FROM = re.compile(rb"^From [^\n]*\n", re.M)
_SUBJECT = re.compile(rb"^Subject:[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)", re.M | re.I)

#: Hand-written seeds that reach corners the corpus rarely shows.
EXTRA = {
    "subject": [b"[PATCH v2 1/8] net: fix foo[i] overflow", b"Re: Fwd: [RFC PATCH 0/3] x (v3)",
                b"AW: RE: [PATCHv5.1 3/2] y", b"[ltp] Re: [PATCH 0 of 2] hg", b"[GIT PULL] z",
                b"PATCH v2 1/8: bare", b"\xe5\x9b\x9e\xe5\xa4\x8d: [PATCH] x"],
    "diff": [b"diff --git \"a/x\\303\\251 y\" \"b/x\\303\\251 y\"\nrename from \"a\\tb\"\nrename to c\n",
             b"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n+b\n c\n\\ No newline at end of file\n",
             b"Index: f\n===================================================================\n"
             b"--- f\t(revision 1)\n+++ f\t(working copy)\n@@ -1 +1 @@\n-a\n+b\n",
             b"diff --git a/b.bin b/b.bin\nindex 1..2 100644\nGIT binary patch\nliteral 3\nKcmZ\n\n"],
    "quotes": [b"On Mon, 1 Jan 2024, A wrote:\n> > x\n>> @@ -1 +1 @@\n> -a\n> +b\nNAK.\n-- \nsig\n",
               b"-----Original Message-----\nFrom: a\nSent: b\nTo: c\n\nApplied, thanks.\n"],
}


def corpus_files() -> list[Path]:
    """Every file of the shared corpus, in a stable order."""
    return sorted(p for p in CORPUS.rglob("*") if p.is_file())


def messages(data: bytes) -> list[bytes]:
    """An mbox split into messages; any other file is one message."""
    if not data.startswith(b"From "):
        return [data]
    return [m for m in _MBOX_FROM.split(data) if m.strip()]


def corpus_messages() -> list[bytes]:
    out = []
    for path in corpus_files():
        out.extend(messages(path.read_bytes()))
    return out


def body_of(message: bytes) -> bytes:
    for sep in (b"\n\n", b"\r\n\r\n"):
        at = message.find(sep)
        if at != -1:
            return message[at + len(sep):]
    return message


def seeds(target: str) -> list[bytes]:
    """Seed inputs of one target (deduplicated, stable order)."""
    msgs = corpus_messages()
    if target == "mail":
        found = msgs
    elif target == "subject":
        found = [re.sub(rb"\n[ \t]+", b" ", m[1]) for msg in msgs for m in _SUBJECT.finditer(msg)]
    elif target == "diff":
        found = [body_of(m) for m in msgs if b"\n--- " in m or b"\ndiff " in m or b"\n@@ " in m]
    elif target == "quotes":
        found = [body_of(m) for m in msgs]
    else:
        raise ValueError(f"unknown target {target!r}")
    seen, out = set(), []
    for item in found + EXTRA.get(target, []):
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def write_seeds(target: str, directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    items = seeds(target)
    for item in items:
        (directory / hashlib.sha1(item).hexdigest()).write_bytes(item)
    return len(items)
