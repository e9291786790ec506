"""What a message is, and the features later stages compare.

``describe`` runs once per message, in the ingest workers, so series
assembly and lineage never re-read a body: they work on these features.

Kinds:

* ``patch``: not a reply, and carries a diff (inline or attached);
* ``cover``: a ``0/N`` message (a cover letter has no diff of its own);
* ``pull``: a ``[GIT PULL]`` or a ``git request-pull`` body;
* ``proposal``: a reply whose own (unquoted) text carries a diff
  ("something like this, untested:"): a suggestion on that thread, never a
  new series;
* ``reply`` and ``other``: discussion.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from ..model import ParsedMessage
from ..parse.changelog import changelog_lines
from ..parse.diff import Diff, find_diff
from ..parse.patch import PatchBody, Trailer, split_patch
from ..parse.patchid import patch_id
from ..parse.pointers import version_pointers
from ..parse.subject import Subject, parse_subject

KINDS = ("patch", "cover", "pull", "proposal", "reply", "other")
#: Lines this short ("}", "", "{", "return 0;") say nothing about identity.
_MIN_LINE = 4


@dataclass(frozen=True, slots=True)
class Features:
    kind: str
    subject: Subject
    patch_id: str = ""
    paths: tuple[str, ...] = ()
    added: int = 0
    removed: int = 0
    #: 64-bit hashes of the changed lines (path, sign, text): content identity.
    lines: frozenset[int] = frozenset()
    trailers: tuple[Trailer, ...] = ()
    meta: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Message-IDs the text names as an earlier version ("Link to v1:"),
    #: never a dependency or a footnote citing a discussion (``parse.pointers``).
    mentions: tuple[str, ...] = ()
    pull_url: str = ""
    pull_branch: str = ""


_NO_SPACE = str.maketrans("", "", " \t\r\f\v")


def _prefix(path: str, sign: str) -> int:
    """The high 31 bits: which file and which side (added/removed)."""
    return (zlib.crc32(f"{path}\0{sign}".encode("utf-8", "surrogatepass")) & 0x7FFFFFFF) << 32


def line_hash(path: str, sign: str, text: str) -> int:
    """A stable 63-bit hash of one changed line, whitespace removed: CRC-32s
    at C speed; a collision only blurs a similarity score."""
    return _prefix(path, sign) | zlib.crc32(text.translate(_NO_SPACE).encode("utf-8", "surrogatepass"))


def content_lines(diff: Diff) -> frozenset[int]:
    """Hashes of the meaningful changed lines (whitespace does not count)."""
    out = set()
    prefixes: dict[tuple[str, str], int] = {}
    for path, sign, text in diff.changed_lines():
        data = text.translate(_NO_SPACE)
        if len(data) >= _MIN_LINE:
            prefix = prefixes.get((path, sign))
            if prefix is None:
                prefix = prefixes[(path, sign)] = _prefix(path, sign)
            out.add(prefix | zlib.crc32(data.encode("utf-8", "surrogatepass")))
    return frozenset(out)


def _own_text(body: str) -> str:
    """The reply author's own lines: quoted ('>') lines removed."""
    return "\n".join(line for line in body.split("\n") if not line.startswith(">"))


def _from_body(kind: str, subject: Subject, body: PatchBody, own: str, text: str,
               meta_headers: tuple[tuple[str, str], ...] = ()) -> Features:
    diff = body.diff
    meta = {k: tuple(v) for k, v in body.meta.items()}
    for name, value in meta_headers:
        values = value.split() if name != "change-id" else [value.strip()]
        meta[name] = tuple(dict.fromkeys(meta.get(name, ()) + tuple(values)))
    if kind in ("cover", "patch"):  # what the author says changed since the last version
        changes = changelog_lines(text if diff is None else body.message + "\n" + body.notes)
        if changes:
            meta["changelog"] = changes
    return Features(
        kind=kind, subject=subject,
        patch_id=patch_id(diff) if diff and diff.files else "",
        paths=diff.paths if diff else (),
        added=diff.added if diff else 0, removed=diff.removed if diff else 0,
        lines=content_lines(diff) if diff else frozenset(),
        trailers=body.trailers, meta=meta,
        # links to earlier versions sit in the prose (cover, changelog notes),
        # never in the diff: do not scan kilobytes of code for them
        mentions=version_pointers(text if diff is None else body.message + "\n" + body.notes, own)
        if kind in ("cover", "patch") else (),
        pull_url=body.pull.url if body.pull else "",
        pull_branch=body.pull.branch if body.pull else "",
    )


def describe(message: ParsedMessage) -> Features:
    """Classify a message and extract what series and lineage compare."""
    subject = parse_subject(message.subject)
    if subject.is_reply:
        own = _own_text(message.body)
        proposal = find_diff(own)
        if proposal is not None and proposal.files:
            return Features("proposal", subject, paths=proposal.paths,
                            added=proposal.added, removed=proposal.removed,
                            lines=content_lines(proposal))
        return Features("reply", subject)
    body = split_patch(message.body, message.attachments)
    if subject.is_pull or (body.pull is not None and body.diff is None):
        kind = "pull"
    elif subject.counter == 0 and subject.total:
        kind = "cover"
    elif body.diff is not None and body.diff.files:
        kind = "patch"
    else:
        kind = "other"
    return _from_body(kind, subject, body, message.msgid, message.body, message.meta_headers)
