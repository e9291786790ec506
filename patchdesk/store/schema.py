"""The store's tables (SQLAlchemy 2 declarative models).

``messages.raw`` (zlib-compressed, byte-exact) is the source of truth.
Every other column, and the thread tables, are derived from it and can be
rebuilt with ``patchdesk rebuild``.  Quarantined mail keeps its bytes too,
so nothing that came in is ever lost.  Migrations live in
``store/migrations`` (Alembic); a test checks the two never drift apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class MailingList(Base):
    """A list name given with ``ingest --list`` (e.g. linux-gpio)."""

    __tablename__ = "lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Source(Base):
    """A path given to ``ingest``; ``cursor`` is JSON (public-inbox epochs)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    location: Mapped[str] = mapped_column(Text, unique=True)
    cursor: Mapped[str] = mapped_column(Text, default="{}")
    last_ingest: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Message(Base):
    """One stored message: raw bytes plus what the parser derived from them."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msgid: Mapped[str] = mapped_column(Text, index=True)
    msgid_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Another message with different content carries the same Message-ID.
    msgid_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    raw_hash: Mapped[str] = mapped_column(String(40), unique=True)
    #: unique: with several writers the database, not a check before the
    #: insert, keeps one copy of a post delivered with other headers
    fingerprint: Mapped[str] = mapped_column(String(40), index=True, unique=True)
    format: Mapped[str] = mapped_column(String(20), default="rfc822")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    from_name: Mapped[str] = mapped_column(Text, default="")
    from_addr: Mapped[str] = mapped_column(Text, default="", index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    #: Ancestor chain, oldest first, space separated; last is the parent.
    refs: Mapped[str] = mapped_column(Text, default="")
    flags: Mapped[str] = mapped_column(Text, default="")
    #: Removed from a public-inbox archive (a "d" commit); kept, hidden.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    position: Mapped[str] = mapped_column(Text, default="")
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MessageList(Base):
    """Which lists a message was seen on (cross-posting is the norm)."""

    __tablename__ = "message_lists"
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id"), primary_key=True)


class Quarantine(Base):
    """A message that could not be read, with its bytes and the reason."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    raw_hash: Mapped[str] = mapped_column(String(40), unique=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    position: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ThreadNode(Base):
    """Threading result: one row per Message-ID seen or referenced.

    ``present`` is False for placeholders (referenced, not seen yet).
    Derived data: rewritten whenever a thread gains a message.
    """

    __tablename__ = "thread_nodes"
    msgid: Mapped[str] = mapped_column(Text, primary_key=True)
    parent: Mapped[str | None] = mapped_column(Text)
    root: Mapped[str] = mapped_column(Text)
    present: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_thread_nodes_root", "root"),)


class Submission(Base):
    """A message that is a patch, cover letter, pull request or proposal.

    The features series assembly and lineage compare, extracted once when
    the message is ingested (derived: rebuilt from the raw mail).
    """

    __tablename__ = "submissions"
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    msgid: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(Text, default="")
    version_major: Mapped[int] = mapped_column(Integer, default=1)
    version_minor: Mapped[int] = mapped_column(Integer, default=0)
    counter: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int | None] = mapped_column(Integer)
    rfc: Mapped[bool] = mapped_column(Boolean, default=False)
    resend: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[str] = mapped_column(Text, default="")
    patch_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    #: touched paths, newline separated
    paths: Mapped[str] = mapped_column(Text, default="")
    added: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    #: changed-line hashes, packed signed 64-bit big-endian
    lines: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    #: JSON: [[key, value, name, email], ...] of the patch's own trailers
    trailers: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON: b4 change-id, base-commit, prerequisite-patch-id, Depends-on, Supersedes
    meta: Mapped[str] = mapped_column(Text, default="{}")
    mentions: Mapped[str] = mapped_column(Text, default="")
    pull_url: Mapped[str] = mapped_column(Text, default="")
    pull_branch: Mapped[str] = mapped_column(Text, default="")
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    number: Mapped[int | None] = mapped_column(Integer)
    #: final state (review stage, docs/states.md); ``lineage_state`` is what
    #: lineage alone says ("new" or "superseded"), an input to it
    state: Mapped[str] = mapped_column(String(20), default="new")
    lineage_state: Mapped[str] = mapped_column(String(20), default="new")


class SubmissionPath(Base):
    """Which files each submission touches: finds related work by others."""

    __tablename__ = "submission_paths"
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), primary_key=True)


class Series(Base):
    """An assembled series (derived).  ``anchor`` keeps ids stable across
    recomputation: the message the series hangs from."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    anchor: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    version_major: Mapped[int] = mapped_column(Integer, default=1)
    version_minor: Mapped[int] = mapped_column(Integer, default=0)
    sender: Mapped[str] = mapped_column(Text, default="", index=True)
    submitter: Mapped[str] = mapped_column(Text, default="")
    cover_msgid: Mapped[str | None] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer, default=1)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    #: JSON lists of patch numbers
    missing: Mapped[str] = mapped_column(Text, default="[]")
    extra: Mapped[str] = mapped_column(Text, default="[]")
    rfc: Mapped[bool] = mapped_column(Boolean, default=False)
    first_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20), default="new")
    lineage_state: Mapped[str] = mapped_column(String(20), default="new")


class SeriesLink(Base):
    """older -> newer: ``version`` (same submitter) or ``related``."""

    __tablename__ = "series_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    older_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    newer_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="")

    #: concurrent series jobs may both find a link between their senders
    __table_args__ = (Index("uq_series_links", "older_id", "newer_id", "kind", unique=True),)


class PatchLink(Base):
    """older patch -> newer patch: ``version``, ``split``, ``merge``, ``related``."""

    __tablename__ = "patch_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    older_msgid: Mapped[str] = mapped_column(Text, index=True)
    newer_msgid: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("uq_patch_links", "older_msgid", "newer_msgid", "kind", unique=True),)


class DirtySender(Base):
    """Senders whose series must be recomputed (an outbox, see store.series).

    Written in the same transaction as the messages that made them dirty,
    so a killed ingest leaves a to-do list, never stale series.
    """

    __tablename__ = "dirty_senders"
    sender: Mapped[str] = mapped_column(Text, primary_key=True)


class SenderName(Base):
    """The display-name keys each sender address posts under
    (``versions.identity.name_key``), to find a person's other addresses
    without scanning every message.  Derived: rebuilt from the mail."""

    __tablename__ = "sender_names"
    sender: Mapped[str] = mapped_column(Text, primary_key=True)
    name_key: Mapped[str] = mapped_column(Text, primary_key=True, index=True)


class AddressAlias(Base):
    """Two addresses of one person, as a registered tree's ``.mailmap``
    says (``source``: ``mailmap:<tree>``); replaced at each tree scan."""

    __tablename__ = "address_aliases"
    source: Mapped[str] = mapped_column(Text, primary_key=True)
    addr: Mapped[str] = mapped_column(Text, primary_key=True, index=True)
    alias: Mapped[str] = mapped_column(Text, primary_key=True, index=True)


class ReviewNote(Base):
    """What one reply says in its own words (trailers, verdicts), as JSON
    (see ``review.assess.note_of``); only replies that say something."""

    __tablename__ = "review_notes"
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    msgid: Mapped[str] = mapped_column(Text, index=True)
    note: Mapped[str] = mapped_column(Text)


class PatchReview(Base):
    """A patch's judged review (derived): collected trailers, verdicts with
    evidence, and continuity from its previous version, as JSON."""

    __tablename__ = "patch_reviews"
    msgid: Mapped[str] = mapped_column(Text, primary_key=True)
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)
    trailers: Mapped[str] = mapped_column(Text, default="[]")
    verdicts: Mapped[str] = mapped_column(Text, default="[]")
    continuity: Mapped[str] = mapped_column(Text, default="{}")


class StateEvent(Base):
    """One state change of a patch, with its reason (derived, replayed)."""

    __tablename__ = "state_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msgid: Mapped[str] = mapped_column(Text, index=True)
    date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    cause_msgid: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(Text, default="")


class StateOverride(Base):
    """A maintainer's manual state (``patchdesk state``).  User data, not
    derived: ``rebuild`` keeps it, and evidence never silently undoes it."""

    __tablename__ = "state_overrides"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msgid: Mapped[str] = mapped_column(Text, index=True)
    state: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MaintainersFile(Base):
    """A MAINTAINERS file loaded for a list ("" for every list).  User
    configuration, kept by ``rebuild``."""

    __tablename__ = "maintainers_files"
    list_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DirtyRoot(Base):
    """Threads with new replies whose series' review must be recomputed
    (an outbox, like ``dirty_senders``)."""

    __tablename__ = "dirty_roots"
    root: Mapped[str] = mapped_column(Text, primary_key=True)


class Tree(Base):
    """A registered git repository and branch (``patchdesk tree add``).
    User configuration; ``head`` is the last commit scanned."""

    __tablename__ = "trees"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    path: Mapped[str] = mapped_column(Text)
    branch: Mapped[str] = mapped_column(Text)
    head: Mapped[str] = mapped_column(String(64), default="")
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: what a thank-you names ("git://.../leds.git for-leds-next"); "" names tree and branch
    public: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: a full scan reads only commits after this date or revision ("" reads the whole branch)
    since: Mapped[str] = mapped_column(Text, default="", server_default="")


class Commit(Base):
    """A commit read from a tree, with what applied detection compares
    (a cache: rebuilt by scanning again)."""

    __tablename__ = "commits"
    sha: Mapped[str] = mapped_column(String(64), primary_key=True)
    author_name: Mapped[str] = mapped_column(Text, default="")
    author_email: Mapped[str] = mapped_column(Text, default="")
    #: author date (``git am`` takes it from the mail it applied)
    date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    committed: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str] = mapped_column(Text, default="")
    patch_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    paths: Mapped[str] = mapped_column(Text, default="")
    lines: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    #: Message-IDs named by Link: / Message-Id: trailers, space separated
    msgids: Mapped[str] = mapped_column(Text, default="")


class TreeCommit(Base):
    """Which tree carries which commit (a commit may be in several)."""

    __tablename__ = "tree_commits"
    tree_id: Mapped[int] = mapped_column(ForeignKey("trees.id"), primary_key=True)
    sha: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Applied(Base):
    """patch -> the commit that carries it, how it was found (derived)."""

    __tablename__ = "applied"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msgid: Mapped[str] = mapped_column(Text, index=True)
    sha: Mapped[str] = mapped_column(String(64), index=True)
    tree_id: Mapped[int] = mapped_column(ForeignKey("trees.id"))
    method: Mapped[str] = mapped_column(String(12))
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="")


class Check(Base):
    """A bisectability run (``patchdesk check``): per-patch steps as JSON.
    A record of something the user ran, kept by ``rebuild``."""

    __tablename__ = "checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(Integer, index=True)
    tree_id: Mapped[int] = mapped_column(ForeignKey("trees.id"))
    command: Mapped[str] = mapped_column(Text)
    base: Mapped[str] = mapped_column(String(64), default="")
    base_source: Mapped[str] = mapped_column(String(20), default="")
    bisectable: Mapped[bool] = mapped_column(Boolean, default=False)
    first_bad: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SeriesOverlap(Base):
    """Two in-flight series touching the same files (``patchdesk overlaps``):
    shared files, overlapping hunks, whether they apply together on a tree,
    and declared dependencies.  Derived; recomputed by each run."""

    __tablename__ = "overlaps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_a: Mapped[int] = mapped_column(Integer, index=True)
    series_b: Mapped[int] = mapped_column(Integer, index=True)
    files: Mapped[str] = mapped_column(Text, default="")
    hunks: Mapped[int] = mapped_column(Integer, default=0)
    #: None: not checked; True: they do not apply together on ``tree``
    conflict: Mapped[bool | None] = mapped_column(Boolean)
    tree: Mapped[str] = mapped_column(Text, default="")
    dependency: Mapped[str] = mapped_column(Text, default="")


class ApiToken(Base):
    """A write token for the REST API (``patchdesk token create``); only a
    salted hash is kept, so a leaked store leaks no usable token."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


Index("ix_series_state_last", Series.state, Series.last_date)

#: Made by a migration for one dialect only, so not in the models
#: (0011: PostgreSQL's GIN index for search).
UNMODELLED_INDEXES = frozenset({"ix_series_search"})


def modelled(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ARG001 - Alembic's signature
    """Alembic's ``include_object``: compare everything but ``UNMODELLED_INDEXES``."""
    return not (type_ == "index" and name in UNMODELLED_INDEXES)


class Thanks(Base):
    """A thank-you reply ``patchdesk ty`` wrote or sent for a series.  User
    history, not derived: ``rebuild`` keeps it.  A series is named by its
    (anchor, sender), which survive rebuild where ``series.id`` may not;
    the UNIQUE constraint is what makes "never twice" hold even when two
    runs race."""

    __tablename__ = "thanks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    anchor: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(Text)
    #: the series id when sent (informational: ids can change on rebuild)
    series_id: Mapped[int | None] = mapped_column(Integer)
    tree: Mapped[str] = mapped_column(Text, default="")
    reply_msgid: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text, default="")
    recipients: Mapped[str] = mapped_column(Text, default="")
    #: Message-IDs of the patches the reply says are applied / pending
    applied: Mapped[str] = mapped_column(Text, default="")
    pending: Mapped[str] = mapped_column(Text, default="")
    #: "file" or "smtp", and the path written or the server that accepted it
    via: Mapped[str] = mapped_column(String(12))
    target: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("anchor", "sender", name="uq_thanks_series"),)


class Job(Base):
    """A unit of heavy work (``patchdesk/jobs``): a run and the jobs it
    spawns (ingest slices, series, review ...).  A worker commits its
    progress (``cursor``, ``result``) with the data it writes, so a job
    delivered again after a crash resumes instead of redoing or doubling."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the run this job belongs to (None: the job is a run)
    run_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20), default="")
    #: sent with the message: a worker on another store refuses the job
    token: Mapped[str] = mapped_column(String(32))
    spec: Mapped[str] = mapped_column(Text, default="{}")
    #: queued, running, done, failed
    state: Mapped[str] = mapped_column(String(12), default="queued")
    cursor: Mapped[str] = mapped_column(Text, default="{}")
    result: Mapped[str] = mapped_column(Text, default="{}")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Setting(Base):
    """User configuration kept in the store (``patchdesk me``): who the
    maintainer using the desk is.  Not derived; rebuild keeps it."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class TriageEvent(Base):
    """The maintainer's own sorting of a series, apart from its judged
    state: waiting (on the author), snoozed, delegated, archived, or woken
    (which undoes the one before).  Rows are only added, so every change
    is audited; keyed by the series' anchor, which survives rebuild."""

    __tablename__ = "triage_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    anchor: Mapped[str] = mapped_column(Text, index=True)
    action: Mapped[str] = mapped_column(String(12))
    #: snoozed: until this time (None: until a new version)
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: delegated: to whom
    to: Mapped[str] = mapped_column(Text, default="")
    why: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SeenMark(Base):
    """When the maintainer last looked at a series (unseen counts)."""

    __tablename__ = "seen_marks"
    anchor: Mapped[str] = mapped_column(Text, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Attestation(Base):
    """A signature check of one stored message (DKIM, patatt): kept so the
    series page and ``take`` can show it, and checked again on demand
    (``patchdesk attest``); derived from the raw mail and the keys."""

    __tablename__ = "attestations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    method: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    domain: Mapped[str] = mapped_column(Text, default="")
    selector: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    #: where the keys came from: "dns" or the key file
    keys: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A login to the web desk: the cookie's token is kept only as a hash,
    with the CSRF token its forms must carry and when it ends."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    who: Mapped[str] = mapped_column(Text)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Webhook(Base):
    """A URL told about state changes (``patchdesk webhook add``): user data."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    #: comma-separated states, or "all"
    events: Mapped[str] = mapped_column(Text, default="all")
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: the last state_events.id looked at for this hook
    cursor: Mapped[int] = mapped_column(Integer, default=0)


class WebhookDelivery(Base):
    """The outbox: one event for one hook, delivered at most once.  A row
    is marked ``sending`` (committed) before the request goes out; a
    process killed during it leaves ``sending``, which the next run marks
    ``uncertain`` and never sends again on its own (``webhook retry``)."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"), index=True)
    event_key: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    #: pending, sending, delivered, failed, uncertain
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("hook_id", "event_key", name="uq_webhook_event"),)


class Subscriber(Base):
    """A person who asked for mail about their patches (``patchdesk notify add``)."""

    __tablename__ = "subscribers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    subscribed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: the last state_events.id looked at for them
    cursor: Mapped[int] = mapped_column(Integer, default=0)


class Notification(Base):
    """One thing told (or to be told) to one subscriber, at most once: the
    unique key is what "never twice" rests on.  ``baseline`` rows are what
    was already true when they subscribed (never sent)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    #: pending, sending, sent, uncertain, baseline
    status: Mapped[str] = mapped_column(String(12), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    target: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("subscriber_id", "item_key", name="uq_notification_item"),)
