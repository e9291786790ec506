"""Unified diffs as mailed: find the diff in a message body, take it apart.

Patches arrive in every dialect: git (renames, modes, binary blocks),
plain ``diff -u``, quilt, CVS and SVN (``Index:``).  Hunk line counts, not
the look of a line, decide where a hunk ends, so the ``-- `` signature and
the ``2.47.0`` version line git-send-email appends are never swallowed
(``"-- "`` would otherwise read as a removed line).  A body is scanned once
and every candidate start is checked in constant time, so a million-line
diff costs one pass and no recursion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: ``@@@ -1,1 +1,1 @@`` too: some mailers and hand edits add an ``@`` (a true
#: combined diff has two ``-`` ranges and stays out)
_HUNK = re.compile(r"@@@? -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@@? ?(.*)")
_HUNK_START = ("@@ -", "@@@ -")
_GIT_HEADERS = ("old mode ", "new mode ", "deleted file mode ", "new file mode ",
                "copy from ", "copy to ", "rename from ", "rename to ", "rename old ",
                "rename new ", "similarity index ", "dissimilarity index ", "index ")
_BINARY_LINE = re.compile(r"(?:Binary files|Files) (.*) and (.*) differ$")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13}
_OCTAL = re.compile(r"[0-7]{1,3}")
_OLD_NAMES = {"rename old ": "rename from", "rename new ": "rename to"}  # git < 1.5.x
_MNEMONIC = "abciow"  # git's a/ b/ and diff.mnemonicPrefix c/ i/ o/ w/


@dataclass(frozen=True, slots=True)
class Hunk:
    """One ``@@`` block; ``lines`` keep their sign (an empty line reads ' ')."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of a diff; paths carry no ``a/``/``b/`` prefix."""

    old_path: str | None
    new_path: str | None
    status: str
    binary: bool
    old_mode: str | None
    new_mode: str | None
    similarity: int | None
    hunks: tuple[Hunk, ...]

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


@dataclass(frozen=True, slots=True)
class Diff:
    """A whole diff and where it sat in the text it was found in."""

    files: tuple[FileChange, ...]
    text: str
    start: int

    def _count(self, sign: str) -> int:
        return sum(1 for f in self.files for h in f.hunks for line in h.lines if line[:1] == sign)

    @property
    def added(self) -> int:
        return self._count("+")

    @property
    def removed(self) -> int:
        return self._count("-")

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)

    def changed_lines(self) -> tuple[tuple[str, str, str], ...]:
        """(path, sign, content) of every added or removed line."""
        return tuple((f.path, line[0], line[1:].rstrip())
                     for f in self.files for h in f.hunks for line in h.lines
                     if line[:1] in ("+", "-"))


def unquote(text: str) -> tuple[str, str]:
    """Decode a C-quoted git path at the start of ``text``; return (path, rest).

    Git quotes names holding '"', '\\', control or non-ASCII bytes; octal
    escapes are UTF-8 bytes, so they are gathered before decoding.
    """
    out = bytearray()
    i = 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return out.decode("utf-8", "replace"), text[i + 1:]
        if c == "\\" and i + 1 < len(text):
            m = _OCTAL.match(text, i + 1)
            if m:
                out.append(int(m[0], 8) & 0xFF)
                i = m.end()
                continue
            out += bytes([_ESCAPES[text[i + 1]]]) if text[i + 1] in _ESCAPES else text[i + 1].encode("utf-8", "surrogatepass")
            i += 2
            continue
        out += c.encode("utf-8", "surrogatepass")
        i += 1
    return out.decode("utf-8", "replace"), ""


def _git_names(rest: str) -> tuple[str, str]:
    """The two names of ``diff --git A B``; unquoted names may hold spaces."""
    if rest.startswith('"'):
        a, tail = unquote(rest)
        tail = tail.lstrip(" ")
        return a, unquote(tail)[0] if tail.startswith('"') else tail
    quoted = rest.find(' "')
    if quoted != -1 and rest.endswith('"'):
        return rest[:quoted], unquote(rest[quoted + 1:])[0]
    mid = len(rest) // 2  # same name on both sides: "a/x y b/x y" splits in the middle
    if len(rest) % 2 and rest[mid] == " " and (rest[:mid] == rest[mid + 1:] or rest[2:mid] == rest[mid + 3:]):
        return rest[:mid], rest[mid + 1:]
    cut = rest.find(" b/") if rest.startswith("a/") else -1
    cut = cut if cut != -1 else rest.find(" ")
    return (rest[:cut], rest[cut + 1:]) if cut != -1 else (rest, rest)


def _label(spec: str) -> str | None:
    """The path of a ``---``/``+++`` line: quoted, or cut at the tab before a date."""
    name = unquote(spec)[0] if spec.startswith('"') else spec.split("\t", 1)[0]
    return None if name == "/dev/null" else name


def _prefixed(a: str | None, b: str | None) -> bool:
    return bool(a and b and a[1:2] == "/" and b[1:2] == "/" and a[0] != b[0]
                and a[0] in _MNEMONIC and b[0] in _MNEMONIC)


def _strip_pair(a: str | None, b: str | None) -> tuple[str | None, str | None]:
    """Drop a/ b/ (or quilt's differing first directory) from plain-diff labels."""
    if _prefixed(a, b):
        return a[2:], b[2:]
    if a and b and "/" in a and "/" in b and a.split("/", 1)[0] != b.split("/", 1)[0]:
        return a.split("/", 1)[1], b.split("/", 1)[1]
    if a is None and b and b.startswith("b/"):
        return a, b[2:]
    if b is None and a and a.startswith("a/"):
        return a[2:], b
    return a, b


def _is_start(lines: list[str], i: int) -> bool:
    """Does a file's diff begin at line ``i``?  Looks at most three lines."""
    line = lines[i]
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if line.startswith("diff --git "):
        return nxt.startswith(_GIT_HEADERS) or nxt.startswith(("--- ", "Binary files ", "GIT binary patch"))
    third = lines[i + 2] if i + 2 < len(lines) else ""
    if line.startswith("--- "):
        return nxt.startswith("+++ ") and third.startswith(_HUNK_START) and _HUNK.match(third) is not None
    if line.startswith("Index: "):
        return nxt.startswith("====")
    return line.startswith("diff ") and nxt.startswith("--- ") and third.startswith("+++ ")


def _hunks(lines: list[str], i: int) -> tuple[list[Hunk], int]:
    hunks = []
    n = len(lines)
    while i < n:
        m = _HUNK.match(lines[i])
        if not m:
            break
        old_len = 1 if m[2] is None else int(m[2])
        new_len = 1 if m[4] is None else int(m[4])
        old, new, body = old_len, new_len, []
        i += 1
        while i < n and (old > 0 or new > 0):
            line = lines[i]
            c = line[:1]
            if (c == " " or not c) and old > 0 and new > 0:
                old -= 1
                new -= 1
                line = line or " "
            elif c == "-" and old > 0:
                old -= 1
            elif c == "+" and new > 0:
                new -= 1
            elif c != "\\":
                break  # counts not used up: a truncated or mangled hunk ends here
            body.append(line)
            i += 1
        if i < n and lines[i].startswith("\\"):
            body.append(lines[i])
            i += 1
        hunks.append(Hunk(int(m[1]), old_len, int(m[3]), new_len, m[5], tuple(body)))
    return hunks, i


def _skip_binary(lines: list[str], i: int) -> int:
    """Skip a ``GIT binary patch`` block: forward and reverse literal/delta data."""
    n = len(lines)
    while i < n and lines[i].startswith(("literal ", "delta ")):
        i += 1
        while i < n and lines[i] and not lines[i].startswith("diff --git "):
            i += 1
        while i < n and not lines[i]:
            i += 1
    return i


def _file(lines: list[str], i: int) -> tuple[FileChange, int]:
    """Parse one file's diff starting at line ``i`` (a checked start)."""
    n = len(lines)
    line = lines[i]
    head: dict[str, str] = {}
    git = line.startswith("diff --git ")
    a, b = _git_names(line[11:]) if git else (None, None)
    prefixed = _prefixed(a, b)
    if git and prefixed:
        a, b = a[2:], b[2:]
    if not line.startswith("--- "):
        i += 1
    if git:
        while i < n and lines[i].startswith(_GIT_HEADERS):
            prefix = next(p for p in _GIT_HEADERS if lines[i].startswith(p))
            value = lines[i][len(prefix):]
            if prefix.startswith(("rename", "copy")):
                value = unquote(value)[0] if value.startswith('"') else value
            head[_OLD_NAMES.get(prefix, prefix.strip())] = value
            i += 1
    elif line.startswith("Index: "):
        a = b = line[7:].strip()
        i += 1
        for _ in range(8):  # CVS/SVN noise: "RCS file:", "retrieving revision", "diff -u ..."
            if i >= n or lines[i].startswith(("--- ", "Index: ", "diff --git ")):
                break
            if lines[i].startswith("Cannot display: file marked as a binary type"):
                head["binary"] = ""
            i += 1
    binary = "binary" in head
    minus = plus = ""
    hunks: list[Hunk] = []
    # the suffix test first: on a line of many " and " without it the match is quadratic
    m = _BINARY_LINE.match(lines[i]) if i < n and lines[i].endswith(" differ") else None
    if m:
        binary, minus, plus, i = True, m[1], m[2], i + 1
    elif i < n and lines[i].startswith("GIT binary patch"):
        binary = True
        i = _skip_binary(lines, i + 1)
    elif i + 1 < n and lines[i].startswith("--- ") and lines[i + 1].startswith("+++ "):
        minus, plus = lines[i][4:], lines[i + 1][4:]
        hunks, i = _hunks(lines, i + 2)
    elif git and i < n and lines[i].startswith(_HUNK_START):
        hunks, i = _hunks(lines, i)  # hand-edited mail: hunks without ---/+++
    old, new = _label(minus) if minus else a, _label(plus) if plus else b
    if git and prefixed:  # labels carry the prefixes the "diff --git" line showed
        old = old[2:] if minus and old and old[1:2] == "/" else old
        new = new[2:] if plus and new and new[1:2] == "/" else new
    if not git and minus:
        old, new = _strip_pair(old, new)
        if line.startswith("Index: "):
            old, new = (a if old else None), (a if new else None)
    return _change(head, old, new, binary, hunks), i


def _change(head: dict[str, str], old, new, binary: bool, hunks: list[Hunk]) -> FileChange:
    """Decide the status of a file from its git extended headers and labels."""
    old = head.get("rename from", head.get("copy from", old))
    new = head.get("rename to", head.get("copy to", new))
    old_mode, new_mode = head.get("old mode"), head.get("new mode")
    similarity = head.get("similarity index", "").rstrip("%")
    if "new file mode" in head or (old is None and new is not None):
        status, old, new_mode = "added", None, head.get("new file mode", new_mode)
    elif "deleted file mode" in head or (new is None and old is not None):
        status, new, old_mode = "deleted", None, head.get("deleted file mode", old_mode)
    elif "rename from" in head or "rename to" in head:
        status = "renamed"
    elif "copy from" in head or "copy to" in head:
        status = "copied"
    elif old_mode and new_mode and not hunks and not binary:
        status = "mode"
    else:
        status = "modified"
    return FileChange(old, new, status, binary, old_mode, new_mode,
                      int(similarity) if similarity.isdigit() else None, tuple(hunks))


def find_diff(text: str) -> Diff | None:
    """Locate the first diff in a message body and parse it; None if none."""
    if not text:
        return None
    raw = text.split("\n")
    lines = [line[:-1] if line.endswith("\r") else line for line in raw] if "\r" in text else raw
    offset = 0
    for i, line in enumerate(lines):
        if line[:1] in ("d", "I", "-") and _is_start(lines, i):
            files, j = [], i
            while j < len(lines):
                change, j = _file(lines, j)
                files.append(change)
                k = j
                while k < len(lines) and k < j + 2 and not lines[k]:
                    k += 1  # blank lines between files (svn, hand-edited mail)
                if k >= len(lines) or not _is_start(lines, k):
                    break
                j = k
            end = min(len(text), offset + sum(map(len, raw[i:j])) + (j - i))
            return Diff(tuple(files), text[offset:end], offset)
        offset += len(raw[i]) + 1
    return None
