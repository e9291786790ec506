"""Patch identity: ``git patch-id --stable`` and a content fingerprint.

The patch-id names a change independent of where it sits (line numbers,
``index`` lines, whitespace, the commit message), so the same patch can be
recognised when resent, rebased or applied upstream: ``git patch-id
--stable`` on the commit in a repository yields the same hex string.

The algorithm is git's ``builtin/patch-id.c`` replayed line for line,
quirks included, because an id that differs in any corner case is useless
for matching: every line of the diff is hashed with all whitespace removed,
except ``index`` lines, ``@@`` headers and ``\\ No newline`` markers; a
binary file hashes the two blob ids of its ``index`` line instead of its
data; with ``stable`` each file's SHA-1 is added into a 160-bit sum (bytes
little-endian, carry upwards) so file order does not matter.  Files without
hunks (renames, mode changes, empty files) are not flushed on their own by
git: their header lines run into the next file's hash, and so they do here.

Diffs that do not start with a ``diff`` line (plain ``---``/``+++`` and CVS
``Index:`` diffs, for which git prints nothing) are hashed as the
equivalent git diff with ``a/``/``b/`` prefixes, without mode or ``index``
lines; for an ordinary modification that is the id git gives the commit.
"""

from __future__ import annotations

import hashlib
import re
import string

from .diff import Diff

_HEX_ID = re.compile(r"[0-9a-fA-F]{40}")
_HUNK_COUNTS = re.compile(r"@@@? -\d*(?:,(\d+))? \+\d*(?:,(\d+))?")
_LETTERS = frozenset(string.ascii_letters)
_SPACE = {ord(c): None for c in " \t\n\r"}  # git's own isspace(): no \v, \f
_SPACE_NOT_NL = {ord(c): None for c in " \t\r"}
_MOD = 1 << 160


def _bytes(text: str) -> bytes:
    """UTF-8, giving back the raw bytes a surrogateescape decode kept."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _synthetic_lines(diff: Diff) -> list[str]:
    """A non-git diff rewritten as the git diff of the same change."""
    lines = []
    for f in diff.files:
        old, new = f.old_path or f.new_path, f.new_path or f.old_path
        lines.append(f"diff --git a/{old} b/{new}")
        if f.binary:
            lines.append("Binary files differ")
            continue
        if f.hunks:
            lines.append("--- /dev/null" if f.old_path is None else f"--- a/{old}")
            lines.append("+++ /dev/null" if f.new_path is None else f"+++ b/{new}")
        for h in f.hunks:
            lines.append(f"@@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@")
            lines.extend(h.lines)
    return lines


def patch_id(diff: Diff, stable: bool = True) -> str:
    """The hex id ``git patch-id --stable`` (or ``--unstable``) prints for this diff."""
    if diff.text.startswith("diff "):
        text = diff.text.replace("\r\n", "\n") if "\r" in diff.text else diff.text
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
    else:
        lines = _synthetic_lines(diff)
    ctx = hashlib.sha1()
    buf: list[str] = []  # lines hashed so far, whitespace still in: one translate per file
    total = 0
    started = binary = False
    before = after = -1
    pre_oid = post_oid = ""

    def flush() -> None:
        nonlocal ctx, total
        ctx.update(_bytes("".join(buf).translate(_SPACE)))
        buf.clear()
        total = (total + int.from_bytes(ctx.digest(), "little")) % _MOD
        ctx = hashlib.sha1()

    for line in lines:
        c = line[:1]
        if (c == "-" or c == " " or c == "+") and before != -1 and (before or after) and not binary:
            if c != "+":  # inside a hunk: the common case, decided without the checks below
                before -= 1
            if c != "-":
                after -= 1
            buf.append(line)
            continue
        if line.startswith("\\ ") and len(line) >= 12:
            continue  # "\ No newline at end of file"
        p = line[7:] if line.startswith("commit ") else line[5:] if line.startswith("From ") else line
        if _HEX_ID.match(p):
            break  # the next patch of a stream begins
        if not started and not line.startswith("diff "):
            continue
        if before == -1:
            if line.startswith(("GIT binary patch", "Binary files")):
                binary, before = True, 0
                ctx.update(_bytes("".join(buf).translate(_SPACE)))
                buf.clear()
                ctx.update(_bytes(pre_oid + post_oid))
                if stable:
                    flush()
                continue
            if line.startswith("index "):
                dots = line.find("..")
                if dots != -1:
                    space = line.find(" ", dots)
                    pre_oid = line[6:dots][:64]
                    post_oid = line[dots + 2:space if space != -1 else len(line)][:64]
                continue
            if line.startswith("--- "):
                before = after = 1
            elif c not in _LETTERS:
                break
        if binary:
            if line.startswith("diff "):
                binary, before = False, -1
            continue  # git skips the next file's "diff" line too
        if before == 0 and after == 0:
            if line.startswith(("@@ -", "@@@ -")):
                m = _HUNK_COUNTS.match(line)
                if m:
                    before = int(m[1]) if m[1] is not None else 1
                    after = int(m[2]) if m[2] is not None else 1
                continue
            if not line.startswith("diff "):
                break
            if stable:
                flush()
            before = after = -1
        if c == "-" or c == " ":
            before -= 1
        if c == "+" or c == " ":
            after -= 1
        started = True  # a "diff " line: never empty once whitespace is gone
        buf.append(line)
    flush()
    return total.to_bytes(20, "little").hex()


def diff_fingerprint(diff: Diff) -> frozenset[str]:
    """Hashes of (path, sign, whitespace-free content) of every changed line.

    Two versions of a series rarely share a patch-id once anything moved,
    but their changed lines overlap heavily; Jaccard similarity of these
    sets says "v2 of that patch" even after rebases and small fixups.
    Blank and whitespace-only changes are left out: they match anything.
    """
    keys: set[str] = set()
    for f in diff.files:
        changed = [line for h in f.hunks for line in h.lines if line[:1] in ("+", "-")]
        if changed:  # one translate per file: a million lines cost a second, not three
            normal = "\n".join(changed).translate(_SPACE_NOT_NL).split("\n")
            keys.update(f"{f.path}\0{key}" for key in normal if len(key) > 1)
    return frozenset(hashlib.blake2b(_bytes(key), digest_size=8).hexdigest() for key in keys)
