"""Which accepted series still owe their author a thank-you, and the record
of the replies ``patchdesk ty`` sent.

A series is due when its state is ``accepted`` (or, when asked,
``partially-accepted``), it is the latest version of its lineage (a
superseded version gets nothing, even if it was applied before its
successor came), at least one of its patches is carried whole by a commit,
and no reply is recorded for it.  Series are named by (anchor, sender) in
the ``thanks`` table, which ``rebuild`` keeps: it is history, not derived.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from email.utils import getaddresses
from typing import NamedTuple

from sqlalchemy import Connection, Engine, and_, exists, select
from sqlalchemy.exc import IntegrityError

from ..model import RawMail, Unreadable
from ..parse import parse
from ..parse.headers import decode_bytes, decode_header, parse_header_block, split_message
from ..series.assemble import PATCH_KINDS
from ..trees.thanks import Patch, SeriesMail
from .messages import as_utc, chunks, raw_of
from .schema import Applied, Commit, Message, Series, Submission, Thanks, Tree, TreeCommit

WHOLE = ("link", "patch-id", "fuzzy")


class Due(NamedTuple):
    """A series that owes a reply, with what the composer needs."""

    series_id: int
    anchor: str
    sender: str
    mail: SeriesMail


def _rows(conn: Connection, query, column, keys: list) -> list:
    out = []
    for part in chunks(sorted(set(keys))):
        out.extend(conn.execute(query.where(column.in_(part))).all())
    return out


def due(conn: Connection, *, partial: bool = False, tree: str | None = None,
        since: datetime | None = None) -> list[Due]:
    """The series to thank, oldest first.  ``tree``: only those whose
    applied commits are all in that tree; ``since``: only those with a
    commit committed at or after it (to skip history on a first run)."""
    states = ("accepted", "partially-accepted") if partial else ("accepted",)
    sent = exists().where(and_(Thanks.anchor == Series.anchor, Thanks.sender == Series.sender))
    series = conn.execute(select(Series.id, Series.anchor, Series.sender, Series.name, Series.total,
                                 Series.cover_msgid)
                          .where(Series.state.in_(states), Series.lineage_state != "superseded", ~sent)
                          .order_by(Series.first_date, Series.id)).all()
    if not series:
        return []
    members = _rows(conn, select(Submission.series_id, Submission.msgid, Submission.number, Submission.name,
                                 Submission.state)
                    .join(Message, Message.id == Submission.message_id)
                    .where(Submission.kind.in_(PATCH_KINDS)).order_by(Submission.number, Message.date),
                    Submission.series_id, [s.id for s in series])
    applied = {r.msgid: r for r in _rows(conn, select(Applied.msgid, Applied.sha, Applied.tree_id, Applied.method),
                                         Applied.msgid, [m.msgid for m in members])}
    trees = {t.id: t for t in conn.execute(select(Tree.id, Tree.name, Tree.branch, Tree.public))}
    only = next((t for t in trees.values() if t.name == tree), None)
    shas = [a.sha for a in applied.values()]
    in_tree = set() if only is None else {r.sha for r in _rows(
        conn, select(TreeCommit.sha).where(TreeCommit.tree_id == only.id), TreeCommit.sha, shas)}
    committed = {r.sha: r.committed or r.date
                 for r in _rows(conn, select(Commit.sha, Commit.committed, Commit.date), Commit.sha, shas)}
    by_series: dict[int, list] = {}
    for m in members:
        by_series.setdefault(m.series_id, []).append(m)
    out = []
    for s in series:
        patches = [_patch(m, applied.get(m.msgid), trees, only) for m in by_series.get(s.id, [])]
        done = [p for p in patches if p.state == "accepted"]
        shas = [p.sha for p in done if p.sha]
        if not shas or (tree is not None and not set(shas) <= in_tree):
            continue
        if since is not None and not any(committed.get(x) and as_utc(committed[x]) >= since for x in shas):
            continue
        target = s.cover_msgid or patches[0].msgid
        out.append(Due(s.id, s.anchor, s.sender, SeriesMail(
            name=s.name, total=max(s.total or 1, len(patches)), subject="", msgid=target, references=(),
            date=None, author=("", s.sender), to=(), cc=(), body="",
            applied=tuple(done), pending=tuple(p for p in patches if p.state != "accepted"))))
    return _with_mail(conn, out)


def _patch(member, match, trees: dict, only) -> Patch:
    whole = match is not None and match.method in WHOLE and member.state == "accepted"
    place = (only or trees.get(match.tree_id)) if whole else None
    return Patch(number=member.number or 1, subject=member.name, msgid=member.msgid, state=member.state,
                 sha=match.sha if whole else "", tree=place.name if place else "",
                 branch=place.branch if place else "", public=place.public if place else "",
                 method=match.method if match else "",
                 partly=match.sha if match is not None and match.method == "partial" else "")


def _with_mail(conn: Connection, found: list[Due]) -> list[Due]:
    """Fill in what only the mail answered says: subject, date, author,
    To/Cc, References and body (read from the stored raw message)."""
    raws = raw_of(conn, [d.mail.msgid for d in found])
    out = []
    for d in found:
        if d.mail.msgid not in raws:
            continue
        raw, fmt = raws[d.mail.msgid]
        try:
            parsed = parse(RawMail(raw, "", fmt))
        except Unreadable:  # stored before a parser change; rebuild flags it
            continue
        if fmt == "rfc822":
            head = parse_header_block(split_message(raw)[0])
            author, to, cc = (people(head.get(name, [])) for name in ("from", "to", "cc"))
        else:  # an archived web page: only what the parser read
            author, to, cc = (), tuple(getaddresses([parsed.to])), tuple(getaddresses([parsed.cc]))
        out.append(d._replace(mail=replace(
            d.mail, subject=parsed.subject, references=parsed.references, date=parsed.date,
            author=author[0] if author else (parsed.from_name, parsed.from_addr or d.sender), to=to, cc=cc,
            body=parsed.body)))
    return out


_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_HIDDEN = re.compile(r"ENCODEDWORD(\d+)X")


def people(values: list[bytes]) -> tuple[tuple[str, str], ...]:
    """(name, address) pairs of raw From/To/Cc values, split *before* the
    names are decoded: an encoded word is a display name, never a comma, a
    group or an address (decoded first, "=?utf-8?q?Eve_Bcc:_x@evil?=" would
    add x@evil to the recipients)."""
    out = []
    for value in values:
        words: list[str] = []
        masked = _WORD.sub(lambda m: words.append(m.group(0)) or f"ENCODEDWORD{len(words) - 1}X",
                           decode_bytes(value, "utf-8")[0])
        for name, addr in getaddresses([masked]):
            if "@" in addr and not _HIDDEN.search(addr):
                name = _HIDDEN.sub(lambda m: words[int(m.group(1))], name)
                out.append((decode_header(name.encode())[0], addr))
    return tuple(out)


@contextmanager
def claim(engine: Engine, item: Due, *, reply_msgid: str, subject: str, recipients: list[str],
          via: str, target: str, now: datetime) -> Iterator[bool]:
    """Record the reply for ``item`` around its delivery.

    The row is inserted first and committed only when the block ends
    without an exception (the file was written, the server accepted the
    mail); a failure rolls it back.  While the block runs the uncommitted
    row holds the UNIQUE (anchor, sender) key, so a second ``ty`` running
    at the same time waits and then finds the series thanked: yields False
    and the caller sends nothing.
    """
    mail = item.mail
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(Thanks.__table__.insert().values(
                anchor=item.anchor, sender=item.sender, series_id=item.series_id,
                tree=" ".join(dict.fromkeys(p.tree for p in mail.applied if p.tree)), reply_msgid=reply_msgid,
                subject=subject, recipients=", ".join(recipients),
                applied=" ".join(p.msgid for p in mail.applied), pending=" ".join(p.msgid for p in mail.pending),
                via=via, target=target, sent_at=now))
        except IntegrityError:
            trans.rollback()
            yield False
            return
        try:
            yield True
        except BaseException:
            trans.rollback()
            raise
        trans.commit()


def sent(conn: Connection) -> list[dict]:
    """Every recorded reply, oldest first."""
    rows = conn.execute(select(Thanks.__table__).order_by(Thanks.sent_at, Thanks.id)).all()
    return [{"series": r.series_id, "anchor": r.anchor, "tree": r.tree, "reply_msgid": r.reply_msgid,
             "subject": r.subject, "recipients": r.recipients, "via": r.via, "target": r.target,
             "sent_at": as_utc(r.sent_at)} for r in rows]
