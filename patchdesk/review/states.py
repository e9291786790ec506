"""The state machine: from evidence to a patch's state, as a list of events.

One decision rule (``decide``) is replayed over the evidence in date order,
and every change of its answer becomes an ``Event`` with the statement
that caused it, so the desk can say *why* a patch is where it is.

Precedence, strongest first (docs/states.md has the table):

1. a manual override (``patchdesk state``): evidence never silently undoes
   it; when later evidence points elsewhere, a ``conflict`` event says so;
2. ``accepted``: a git tree carries the patch;
3. ``superseded``: a later version replaces it;
4. the latest *decisive* stance of anybody who counts: a NAK (``rejected``),
   "applied" (``applied-claimed``), or the author withdrawing it
   (``rejected``);
5. ``changes-requested``: somebody's latest word asks for a new version, or
   a NAK from somebody who does not count as a maintainer here;
6. ``under-review``: anybody but the author replied;
7. ``new``.

Each person's stance is their latest message that says anything: a later
statement overrides an earlier one, a negation ("I haven't applied this one
yet", "not NAKing") clears that person's earlier statement of its kind, and
within one message the strongest statement wins (nak > withdrawn > applied >
changes-requested > review), so "Applied, thanks; please send a follow-up"
is applied, not a change request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STATES = ("new", "under-review", "changes-requested", "rejected", "superseded", "applied-claimed",
          "accepted")
#: Roles whose NAK or "applied" decides; "unknown" when no MAINTAINERS
#: file names anybody for the files (then every replier counts).
DECIDING_ROLES = ("maintainer", "unknown")
_STRENGTH = {"nak": 5, "withdrawn": 4, "applied": 3, "changes-requested": 2, "review": 1, "reply": 0}


@dataclass(frozen=True, slots=True)
class Statement:
    """Something a person said about a patch (a verdict, a review trailer, or
    just a reply), with when, where and in what role."""

    msgid: str
    date: datetime
    by_name: str
    by_email: str
    role: str
    kind: str
    negated: bool = False
    text: str = ""


@dataclass(frozen=True, slots=True)
class Override:
    state: str
    by: str
    why: str
    date: datetime


@dataclass(frozen=True, slots=True)
class Event:
    date: datetime
    state: str
    reason: str
    msgid: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True)
class Fact:
    """A dated fact from outside the replies: a successor, an applying commit."""

    date: datetime
    reason: str
    msgid: str = ""


@dataclass(slots=True)
class _Stance:
    kind: str
    statement: Statement
    cleared: set[str] = field(default_factory=set)


def _stances(statements: list[Statement], author: str) -> dict[str, _Stance]:
    """Each person's current stance (see the module docstring)."""
    by_person: dict[str, list[Statement]] = {}
    for s in statements:
        by_person.setdefault(s.by_email.lower(), []).append(s)
    out: dict[str, _Stance] = {}
    for person, said in by_person.items():
        current: _Stance | None = None
        messages: dict[str, list[Statement]] = {}
        for s in said:
            messages.setdefault(s.msgid, []).append(s)
        for group in messages.values():
            for s in group:
                if s.negated and current is not None and current.kind == s.kind:
                    current = None
            positive = [s for s in group if not s.negated and (s.kind != "withdrawn" or person == author)]
            if positive:
                best = max(positive, key=lambda s: _STRENGTH.get(s.kind, 0))
                if current is None or best.kind != "reply" or current.kind == "reply":
                    current = _Stance(best.kind, best)
        if current is not None:
            out[person] = current
    return out


def _who(s: Statement) -> str:
    return f"{s.by_name or s.by_email} ({s.role})"


def decide(statements: list[Statement], author: str) -> tuple[str, str, Statement | None]:
    """(state, reason, statement) from replies alone: rules 4 to 7."""
    author = author.lower()
    stances = _stances(statements, author)
    decisive = []
    for person, st in stances.items():
        s = st.statement
        if st.kind == "withdrawn" and person == author:
            decisive.append((s.date, "rejected", f"withdrawn by its author: \"{s.text}\"", s))
        elif st.kind == "nak" and person != author and s.role in DECIDING_ROLES:
            decisive.append((s.date, "rejected", f"NAK by {_who(s)}: \"{s.text}\"", s))
        elif st.kind == "applied" and person != author and s.role in DECIDING_ROLES:
            decisive.append((s.date, "applied-claimed", f"applied, says {_who(s)}: \"{s.text}\"", s))
    if decisive:
        _, state, reason, s = max(decisive, key=lambda d: d[0])
        return state, reason, s
    asks = [st.statement for p, st in stances.items() if p != author and st.kind in ("changes-requested", "nak")]
    if asks:
        s = max(asks, key=lambda s: s.date)
        what = "NAK (not a maintainer here)" if s.kind == "nak" else "changes requested"
        return "changes-requested", f"{what} by {_who(s)}: \"{s.text}\"", s
    replies = [s for s in statements if s.by_email.lower() != author]
    if replies:
        s = max(replies, key=lambda s: s.date)
        what = f"{s.text.split(':')[0]} from" if s.kind == "review" else "reply from"
        return "under-review", f"{what} {_who(s)}", s
    return "new", "posted", None


def replay(posted: datetime, author: str, statements: list[Statement], *,
           superseded: Fact | None = None, accepted: Fact | None = None,
           override: Override | None = None, dropped: Fact | None = None) -> list[Event]:
    """Every state change of one patch, oldest first; the last is current.

    ``dropped``: the next version of the series left this patch out; from
    then on it is superseded (with that reason) unless it was rejected."""
    events = [Event(posted, "new", "posted")]
    moments = sorted({s.date for s in statements} | {f.date for f in (superseded, accepted, dropped) if f}
                     | ({override.date} if override else set()))
    evidence_state = "new"
    for moment in moments:
        if moment < posted:
            moment = posted
        said = [s for s in statements if s.date <= moment]
        state, reason, cause = decide(said, author)
        msgid, by = (cause.msgid, cause.by_email) if cause else ("", "")
        if superseded and superseded.date <= moment:
            state, reason, msgid, by = "superseded", superseded.reason, superseded.msgid, ""
        elif dropped and dropped.date <= moment and state != "rejected":
            state, reason, msgid, by = "superseded", dropped.reason, dropped.msgid, ""
        if accepted and accepted.date <= moment:
            state, reason, msgid, by = "accepted", accepted.reason, accepted.msgid, ""
        if override and override.date <= moment:
            if events[-1].state != override.state or not events[-1].reason.startswith("override"):
                events.append(Event(override.date, override.state,
                                    f"override by {override.by}: {override.why}", "", override.by))
            if state != evidence_state and moment > override.date and state != override.state:
                events.append(Event(moment, override.state,
                                    f"conflict: evidence says {state} ({reason}); override kept", msgid, by))
            evidence_state = state
            continue
        evidence_state = state
        if state != events[-1].state:
            events.append(Event(moment, state, reason, msgid, by))
    return events


def series_state(states: list[str]) -> str:
    """One state for a series from its patches' states.

    All alike (superseded ones aside): that state.  Some accepted by a
    tree and some not: ``partially-accepted``.  Otherwise what needs the
    maintainer's action first: any rejected patch, then any change request;
    a mix with some patches claimed applied is ``under-review`` (partly
    taken), and any other mix is the least advanced of them.
    """
    if not states:
        return "new"
    kinds = set(states)
    if len(kinds) == 1:
        return states[0]
    kinds.discard("superseded")
    if len(kinds) == 1:
        return kinds.pop()
    if "accepted" in kinds:
        return "partially-accepted"
    for state in ("rejected", "changes-requested"):
        if state in kinds:
            return state
    if "applied-claimed" in kinds:
        return "under-review"
    return "under-review" if "under-review" in kinds else "new"
