"""One patch's review, from plain facts: trailers, verdicts, continuity, state.

The store gathers the facts (the patch, what each reply under it or under
the cover letter said, the previous version's review, who maintains the
files) and this module judges them; it never reads the store itself.

``note_of`` is what ingest keeps of each reply, computed once per message
in the parser workers, so judging a series never re-reads a mail body.
"""

from __future__ import annotations

from typing import Any

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..model import ASSEMBLED, ParsedMessage
from ..parse.subject import parse_subject

from .continuity import OBJECTIONS, Prior, carry_forward, objection_status
from .quotes import split_reply
from .states import Event, Fact, Override, Statement, replay
from .trailers import order_key, reply_trailers
from .verdicts import find_verdicts

#: Trailers that count as a review statement (a person vouching for the patch).
REVIEW_KEYS = ("Acked-by", "Reviewed-by", "Tested-by")


def reply_note(message: ParsedMessage, kind: str) -> dict[str, Any] | None:
    """What ``message`` says as a reply (``note_of``), or None: a patch,
    cover letter or pull request (``kind``) is not a reply about one, nor is
    a message that answers nothing (an archive page without headers still
    says "Re:" in its subject)."""
    if kind in ASSEMBLED:
        return None
    if not message.references and not parse_subject(message.subject).is_reply:
        return None
    return note_of(message.body, message.from_addr)


def note_of(body: str, sender: str) -> dict[str, Any] | None:
    """What one reply says: ``{"t": trailers, "v": verdicts}`` or None.

    Trailers: ``[key, value, name, email, series_wide, flags]``; verdicts:
    ``[kind, negated, sentence, [[path, sign, text], ...]]`` (the quoted
    diff lines the sentence answers).
    """
    reply = split_reply(body)
    own = reply.own
    trailers = [[g.trailer.key, g.trailer.value, g.trailer.name, g.trailer.email, g.series_wide,
                 list(g.flags)] for g in reply_trailers(own, sender)]
    verdicts = [[v.kind, v.negated, v.text, [[q.path, q.sign, q.text] for q in v.about[-40:]]]
                for v in find_verdicts(reply)]
    if not trailers and not verdicts:
        return None
    return {"t": trailers, "v": verdicts}


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply under the patch (``scope="patch"``) or its cover (``"series"``)."""

    msgid: str
    date: datetime
    by_name: str
    by_email: str
    scope: str
    note: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PatchFacts:
    msgid: str
    date: datetime
    author_name: str
    author_email: str
    patch_id: str
    paths: tuple[str, ...]
    lines: frozenset[int]
    own_trailers: tuple[tuple[str, str, str, str], ...]


@dataclass(slots=True)
class PatchReview:
    msgid: str
    trailers: list[dict[str, Any]]
    verdicts: list[dict[str, Any]]
    continuity: dict[str, Any]
    events: list[Event]
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return self.events[-1].state


def _trailer(key: str, value: str, name: str, email: str, source: str, msgid: str, by: str,
             flags: Iterable[str] = ()) -> dict[str, Any]:
    return {"key": key, "value": value, "name": name, "email": email, "source": source,
            "msgid": msgid, "by": by, "flags": list(flags)}


def assess(patch: PatchFacts, replies: list[Reply], role_of: Callable[[str], str], *,
           prior: Prior | None = None, superseded: Fact | None = None, accepted: Fact | None = None,
           override: Override | None = None, dropped: Fact | None = None,
           changelog: tuple[str, ...] = ()) -> PatchReview:
    """Judge one patch (see the module docstring)."""
    trailers = [_trailer(k, v, n, e, "patch", patch.msgid, patch.author_email)
                for k, v, n, e in patch.own_trailers if k != "Signed-off-by"]
    seen = {(t["key"], t["email"].lower() or t["value"]) for t in trailers}
    statements: list[Statement] = []
    verdicts: list[dict[str, Any]] = []
    roles: dict[str, str] = {}
    author = patch.author_email.lower()
    for reply in sorted(replies, key=lambda r: (r.date, r.msgid)):
        email = reply.by_email.lower()
        role = "author" if email == author else role_of(email)
        roles[email] = role
        note = reply.note or {}
        said_something = False
        for key, value, name, temail, _wide, flags in note.get("t", []):
            ident = (key, temail.lower() or value)
            if ident not in seen:
                seen.add(ident)
                source = "cover" if reply.scope == "series" else "reply"
                trailers.append(_trailer(key, value, name, temail, source, reply.msgid, email, flags))
            if key in REVIEW_KEYS and email != author and (temail.lower() == email or not temail):
                statements.append(Statement(reply.msgid, reply.date, reply.by_name, email, role, "review",
                                            text=f"{key}: {value}"))
                said_something = True
        for kind, negated, text, about in note.get("v", []):
            statements.append(Statement(reply.msgid, reply.date, reply.by_name, email, role, kind, negated, text))
            verdicts.append({"kind": kind, "negated": negated, "by": reply.by_name or email, "by_email": email,
                             "role": role, "msgid": reply.msgid, "date": reply.date, "text": text,
                             "scope": reply.scope, "about": about})
            said_something = True
        if not said_something:
            statements.append(Statement(reply.msgid, reply.date, reply.by_name, email, role, "reply"))
    continuity: dict[str, Any] = {}
    if prior is not None:
        carried, lost, continuity = carry_forward(prior, patch.patch_id, trailers)
        trailers.extend(carried)
        continuity["dropped_trailers"] = lost
        continuity["objections"] = [
            {**{k: o[k] for k in ("kind", "by", "by_email", "role", "msgid", "text")},
             **dict(zip(("status", "why"), objection_status(o, prior, patch.patch_id, patch.lines, changelog)))}
            for o in prior.objections]
    trailers.sort(key=lambda t: (order_key(t["key"]), t["source"] != "patch"))
    events = replay(patch.date, author, statements, superseded=superseded, accepted=accepted,
                    override=override, dropped=dropped)
    return PatchReview(patch.msgid, trailers, verdicts, continuity, events, roles)


def objections(review: PatchReview) -> tuple[dict[str, Any], ...]:
    """The NAKs and change requests a next version should answer."""
    return tuple(v for v in review.verdicts if v["kind"] in OBJECTIONS and not v["negated"])


def prior_of(review: PatchReview, patch: PatchFacts) -> Prior:
    return Prior(patch.msgid, patch.patch_id, patch.paths, patch.lines, tuple(review.trailers),
                 objections(review))

