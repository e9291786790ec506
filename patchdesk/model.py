"""Plain data shared by every stage of the pipeline.

Stages (sources -> parse -> threads -> ...) pass these frozen dataclasses to
each other.  Nothing here does I/O or knows about the store, so every stage
can be tested and re-run on its own: raw bytes in, plain values out.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from datetime import datetime

#: Kinds of submission that take a numbered slot in a series (a cover
#: letter takes slot 0); with ``cover``, the kinds series are made of.
PATCH_KINDS = ("patch", "pull")
ASSEMBLED = ("patch", "cover", "pull")

#: Formats a raw message can be stored in.  ``rfc822`` is ordinary mail;
#: ``hypermail`` is an archived web page of one message (see parse.hypermail).
FORMATS = ("rfc822", "hypermail")


@dataclass(frozen=True, slots=True)
class RawMail:
    """One message exactly as a source delivered it.

    ``position`` says where in the source it was found (byte offset in an
    mbox, file name in a Maildir, commit id in a public-inbox epoch) so a
    quarantine record can point back to it.
    """

    data: bytes
    position: str
    format: str = "rfc822"
    #: public-inbox "d" commits: this message was deleted from the archive.
    deleted: bool = False
    #: Opaque token a source can resume reading after (mbox: offset + check).
    resume: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A non-inline MIME part whose text later stages may need (patches)."""

    filename: str
    content_type: str
    text: str


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """What the parser learns from one raw message.

    ``references`` is the cleaned ancestor chain, oldest first, with
    In-Reply-To appended when References did not name it; its last element is
    the message's parent.  ``flags`` name every repair the parser had to make
    (``date-missing``, ``msgid-missing``, ``charset-unknown`` ...), so a
    maintainer can see why a message looks odd.
    """

    msgid: str
    msgid_synthetic: bool
    from_name: str
    from_addr: str
    subject: str
    date: datetime | None
    references: tuple[str, ...]
    #: To and Cc as decoded header text; addresses are split where needed.
    to: str
    cc: str
    list_id: str
    body: str
    fingerprint: str
    attachments: tuple[Attachment, ...] = ()
    flags: tuple[str, ...] = field(default=())
    #: Series metadata sent as mail headers (``Depends-on:``, ``Supersedes:``,
    #: ``Change-Id:``), as (lower-case name, value) pairs.
    meta_headers: tuple[tuple[str, str], ...] = ()

    @property
    def parent(self) -> str | None:
        return self.references[-1] if self.references else None


class Unreadable(Exception):
    """Raised by the parser for a message that must be quarantined.

    The message text is the quarantine reason shown to the user.
    """


_CLAIMANT_SUFFIX = re.compile(r"~[0-9a-f]{12}$")


def version_label(major: int, minor: int) -> str:
    """"v1", "v2", "v5.1": the form people write (a ".0" is not shown)."""
    return f"v{major}.{minor}" if minor else f"v{major}"


def claimant_id(claimed: str, raw_hash: str) -> str:
    """The name a later, different message claiming the Message-ID
    ``claimed`` is stored under (``pipeline.claims``)."""
    return f"{claimed}~{raw_hash[:12]}"


def claimed_id(msgid: str) -> str:
    """The Message-ID a stored message claims (its header's)."""
    return _CLAIMANT_SUFFIX.sub("", msgid)


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    """A submission as the judging stages read it: what parse found in a
    patch, cover letter or pull request, with its message's sender, date
    and thread parent, decoded (no JSON, no packed bytes).

    The store loads these (``store.series``), the in-memory ``judge`` makes
    them from mail; both hand them to the same stages.  ``series_id``,
    ``number`` and ``lineage_state`` say where the submission stood before
    this judgement (None and "new" when it was never judged), so a refresh
    can tell what moved."""

    msgid: str
    kind: str                       # "patch" | "cover" | "pull"
    name: str
    version: tuple[int, int]
    counter: int | None
    total: int | None
    rfc: bool
    resend: bool
    date: datetime | None
    from_addr: str
    from_name: str
    parent: str | None
    patch_id: str = ""
    paths: tuple[str, ...] = ()
    lines: frozenset[int] = frozenset()
    #: the patch's own trailers: (key, value, name, email)
    trailers: tuple[tuple[str, str, str, str], ...] = ()
    #: b4 change-id, supersedes, ... as parse found them
    meta: tuple[tuple[str, tuple[str, ...]], ...] = ()
    mentions: tuple[str, ...] = ()
    series_id: int | None = None
    number: int | None = None
    lineage_state: str = "new"

    def meta_values(self, key: str) -> tuple[str, ...]:
        for name, values in self.meta:
            if name == key:
                return values
        return ()


@dataclass(frozen=True, slots=True)
class PatchInfo:
    """One patch as version linking compares it (``versions``)."""

    msgid: str
    number: int
    name: str
    sender: str
    date: datetime
    patch_id: str
    paths: frozenset[str]
    lines: frozenset[int]


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """One series as version linking sees it (``versions.lineage``); ``key``
    is its id in the store, or its place in an in-memory judgement."""

    key: int
    name: str
    sender: str
    version: tuple[int, int]
    date: datetime
    patches: tuple[PatchInfo, ...]
    members: frozenset[str]
    #: thread parents of this series' messages that lie outside the series
    replies_to: frozenset[str] = frozenset()
    mentions: frozenset[str] = frozenset()
    change_ids: frozenset[str] = frozenset()
    supersedes: frozenset[str] = frozenset()
    #: the person behind ``sender`` (``identity.people``); "" means the address
    person: str = ""
    #: persons the patches credit as authors (Signed-off-by, Co-developed-by, From:)
    credits: frozenset[str] = frozenset()

    @property
    def who(self) -> str:
        return self.person or self.sender

    @property
    def length(self) -> int:
        """How many patches the series has at least: those seen, or the
        highest number seen (a series read in part: its 10/11 says 11)."""
        return max([len(self.patches)] + [p.number for p in self.patches])
