"""Prose verdicts in a replier's own words: NAK, applied, changes requested,
withdrawn, and their negations ("I haven't applied this one yet").

Precision before recall: a wrong "applied" or "NAK" misleads a maintainer
more than a missing one, so each pattern is narrow, and a sentence that is
a question, a condition ("once this is applied"), a report of local testing
("applied on top of -next and tested") or a third person's act ("Mark
NAKed v1") yields nothing.  The sentence is kept as evidence, and the
quoted diff lines the paragraph answers (``about``) so a later version can
be checked for whether the hunk changed.

Who may say what is decided later (``states``): ``withdrawn`` only counts
when the patch's author says it, and a bystander's NAK weighs less than a
maintainer's.  This module only reads text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .quotes import QuotedLine, Reply, split_reply

KINDS = ("nak", "applied", "changes-requested", "withdrawn")
MAX_SENTENCE = 400


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str
    negated: bool
    text: str
    about: tuple[QuotedLine, ...] = ()


def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


_NAK_WORD = r"(?:nack|nak)"
_ACT = r"(?:applied|queued|picked(?:\s+\w+)?\s+up|pushed|merged|taken|committed)"

# ---- applied ---------------------------------------------------------------
_APPLIED = [
    # "Applied, thanks", "Applied to for-next", "Series applied", "Thanks, queued", "Pushed."
    _rx(r"^(?:(?:thanks|thank you|ok|okay|great|good|nice)[,!.]*\s+)?(?:[\w-]+\s+){0,3}?"
        r"(?:patch(?:es)?|series|set|patchset|both|all|whole series|now|the whole thing|this|it|these|them)?"
        r"\s*(?:(?:are|is|has been|have been|was|were|got|now|been)\s+)?(?:now\s+)?"
        r"(?:applied|queued(?:\s+up)?|pushed|merged|picked\s+up)\b(?!\s+(?:on top|cleanly|fine|locally|against|on\s+(?:v|linux|next|\d)))"),
    # "I've applied", "I applied it to my tree", "we queued this", "I picked them up"
    _rx(r"\b(?:I|we)(?:'ve|\s+have|\s+had)?\s+(?:now\s+|just\s+|already\s+|also\s+|finally\s+)?"
        r"(?:applied|queued|picked\s+(?:\w+\s+){0,2}up|pushed|merged|taken|took|committed)\b"),
    # "Applied to gpio/for-next", "queued for v6.2", "merged into my tree"
    _rx(r"\b" + _ACT + r"\s+(?:\w+\s+){0,3}?(?:to|into|in|on|for)\s+(?:my|the|our|\S*(?:next|fixes|devel|master|main|linus)\S*|v?\d|\S+/\S+)"),
    # "has been applied", "is now queued"
    _rx(r"\b(?:has|have|had)\s+(?:now\s+|already\s+)?been\s+" + _ACT + r"\b"),
]
_NOT_APPLIED = [
    _rx(r"\b(?:haven't|have\s+not|hasn't|has\s+not|hadn't|didn't|did\s+not|not\s+yet|not\s+been|never)\s+"
        r"(?:yet\s+|been\s+|actually\s+)?(?:applied|queued|picked\s+(?:\w+\s+)?up|merged|pushed|taken)\b"),
    _rx(r"\b(?:I|we)(?:'ve|\s+have)?\s+(?:now\s+|just\s+)?(?:dropped|reverted|removed|un-?applied|backed\s+out)\b"
        r"(?:\s+(?:it|this|that|them|these|the\s+(?:patch|series|commit|change)s?))?"
        r"(?:\s+(?:from|in)\s+(?:my|the|our)\s+(?:tree|queue|branch|\S*next))?"),
    _rx(r"\b(?:dropped|reverted)\s+(?:it|this|them|the\s+(?:patch|series))\s+(?:from|in)\s+(?:my|the|our)\s+\w+"),
]

# ---- NAK -------------------------------------------------------------------
_NAK = [
    _rx(r"^(?:so\s+|then\s+|hence\s+|thus\s+|sorry,?\s+(?:but\s+)?|hmm+,?\s+|well,?\s+|for\s+now,?\s+)?"
        + _NAK_WORD + r"\b(?!-?ed\s+by\s+\w+\s+\w)"),
    _rx(r"\b(?:I|we)(?:'ll|\s+will|\s+would|'d|\s+must|\s+have\s+to|\s+need\s+to|\s+am\s+going\s+to|'m\s+going\s+to)?"
        r"\s+(?:(?:think|say|guess)\s+(?:I(?:'ll|\s+will|'d)?\s+)?)?(?:have\s+to\s+|strongly\s+|hard\s+)?" + _NAK_WORD
        + r"(?:-?ing)?\s+(?:this|it|that|the|these|them|v\d|patch|series|for|on)"),
    _rx(r"\b" + _NAK_WORD + r"\s+(?:from\s+me|for\s+(?:this|now|the|v\d)|on\s+this|as\s+is|to\s+this)\b"),
    _rx(r"^" + _NAK_WORD + r"ed-by\s*:\s*\S"),
    _rx(r"\b(?:I|we)\s+(?:won't|will\s+not|can't|cannot|am\s+not\s+going\s+to|'m\s+not\s+going\s+to)\s+"
        r"(?:take|apply|accept|merge|pick\s+up)\s+(?:this|it|these|that|the\s+(?:patch|series))\b"
        r"(?!.*\b(?:until|unless|without|before|as\s+long|if)\b)"),
]
_NOT_NAK = [
    _rx(r"\b(?:not|isn't|wasn't|no)\s+(?:a\s+)?" + _NAK_WORD + r"(?:-?ing|ed)?\b"),
    _rx(r"\b(?:withdraw|retract|drop|take\s+back|rescind)\w*\s+(?:my\s+)?" + _NAK_WORD),
    _rx(r"\b" + _NAK_WORD + r"\s+(?:withdrawn|retracted|dropped)"),
]

# ---- changes requested -----------------------------------------------------
_ASK = r"(?:please|pls|kindly|can\s+you|could\s+you|would\s+you|will\s+you|care\s+to|you\s+(?:should|need\s+to|have\s+to|must|will\s+need\s+to))"
_NEW_VERSION = (r"(?:re-?send|re-?spin|re-?submit|re-?post|re-?roll|"
                r"send\s+(?:(?:me|out|us)\s+)?(?:a|an|the)?\s*(?:new|updated|fixed|revised|next|another|\d+(?:st|nd|rd|th)?|v\d+|proper)\b"
                r"|send\s+(?:it|this|them|that)\s+(?:again|out\s+again)|send\s+v\d+|send\s+a\s+follow|new\s+version|"
                r"next\s+(?:version|revision|iteration|spin)|updated\s+(?:version|patch)|\bv\d+\b)")
_CHANGES = [
    _rx(r"\b" + _ASK + r"\b[^.!?]{0,160}?\b" + _NEW_VERSION),
    _rx(r"^(?:re-?send|re-?spin|re-?base\s+and\s+re-?send)\b[^.?]{0,80}(?:please|\.|$)"),
    _rx(r"\b(?:needs?|need\s+to)\s+(?:a|another)\s+(?:v\d+|respin|new\s+version)\b"),
]
_NOT_CHANGES = [
    _rx(r"\bno\s+need\s+(?:to|for)\s+(?:a\s+)?(?:re-?send|re-?spin|re-?submit|send\s+(?:a\s+)?(?:new|v\d)|v\d|new\s+version)"),
    _rx(r"\b(?:don't|do\s+not)\s+(?:need\s+to\s+)?(?:re-?send|re-?spin|send\s+(?:a\s+)?(?:new|v\d))"),
]

# ---- withdrawn (counts only when the patch's author says it) --------------
_WITHDRAWN = [
    _rx(r"\bplease\s+(?:ignore|disregard|drop|discard|don't\s+apply|do\s+not\s+apply|don't\s+merge|do\s+not\s+merge)\b"
        r"(?!\s+(?:the\s+|my\s+)?(?:previous\s+|last\s+|earlier\s+|above\s+|other\s+)?"
        r"(?:comment|remark|mail|e-?mail|reply|message|question|noise|part|bit|note|response|point|suggestion)s?\b)"),
    _rx(r"\bself[- ]?" + _NAK_WORD),
    _rx(r"(?:^|\b(?:I|we)(?:'ll|\s+will|\s+shall|'m\s+going\s+to|\s+am\s+going\s+to|\s+plan\s+to)\s+)"
        r"(?:will\s+)?(?:send|post|submit|spin|prepare|respin|resend)\s+(?:out\s+)?(?:a\s+|an\s+|the\s+)?"
        r"(?:v\d+|new\s+(?:version|revision|patch|series|spin)|updated\s+(?:version|patch|series)|next\s+version|"
        r"respin|fixed\s+version|follow-?up\s+version)"),
    _rx(r"\b(?:I|we)(?:'ve|\s+have|\s+just)?\s+(?:sent|posted|submitted)\s+(?:out\s+)?(?:a\s+|an\s+)?"
        r"(?:v\d+|new\s+version|updated\s+version|next\s+version)"),
    _rx(r"\b(?:superseded|replaced|obsoleted)\s+by\s+(?:v\d+|a\s+new|the\s+new|\S+)"),
]

# ---- what silences a sentence ---------------------------------------------
_CONDITION = _rx(r"\b(?:once|if|when|whether|after|until|unless|before|as\s+soon\s+as|assuming|provided)\b")
_FUTURE_OR_MAYBE = _rx(r"\b(?:will|would|should|could|can|might|may|shall|going\s+to|plan\s+to|hope|want\s+to|"
                       r"wait|waiting|expect|need\s+to|ready\s+to|happy\s+to|able\s+to|'ll|'d)\b")
_LOCAL_TEST = _rx(r"\b(?:tested|testing|test|boot(?:ed|s)?|compil\w+|build\w*|built|cleanly|on\s+top|"
                  r"locally|against|conflict\w*|apply\s+(?:it|this)\s+on|fails?\s+to|doesn't|does\s+not|"
                  r"rebase[ds]?)\b")
_THIRD_PERSON = _rx(r"\b(?:he|she|they|someone|somebody|\w+\s+(?:already\s+)?(?:nacked|naked|nak'd))\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|\n\s*\n")


def _sentences(text: str) -> list[str]:
    out = []
    for block in _SENTENCE_END.split(text):
        block = " ".join(block.split())
        if block:
            out.append(block[:MAX_SENTENCE])
    return out


def _any(patterns: list[re.Pattern], sentence: str) -> re.Match | None:
    for p in patterns:
        m = p.search(sentence)
        if m:
            return m
    return None


def _question(sentence: str) -> bool:
    return sentence.rstrip(" )").endswith("?")


def _applied(s: str) -> Verdict | None:
    if _any(_NOT_APPLIED, s):
        if _question(s) or _CONDITION.search(s[:s.lower().find("appl") + 1] if "appl" in s.lower() else s):
            return None
        return Verdict("applied", True, s)
    m = _any(_APPLIED, s)
    if not m or _question(s):
        return None
    before = s[:m.start()] + m.group(0)
    if _CONDITION.search(before) or _FUTURE_OR_MAYBE.search(before) or re.search(r"\b(?:not|n't|never|no)\b", before, re.I):
        return None
    if _LOCAL_TEST.search(s) and not re.search(r"\b(?:to|into|for)\s+(?:my|the|our)\s+\w*\s*(?:tree|branch|queue|repo)", s, re.I):
        return None
    if re.search(r"\b(?:you|he|she|they|someone|\w+\s+has)\s+(?:\w+\s+)?" + _ACT, before, re.I):
        return None
    return Verdict("applied", False, s)


def _nak(s: str) -> Verdict | None:
    if _any(_NOT_NAK, s):
        return None if _question(s) else Verdict("nak", True, s)
    m = _any(_NAK, s)
    if not m or _question(s) or re.search(r"\bself[- ]?" + _NAK_WORD, s, re.I):
        return None
    before = s[:m.start()]
    if _CONDITION.search(before) or _THIRD_PERSON.search(before + m.group(0)) and not re.search(r"\b(?:I|we)\b", before + m.group(0)):
        return None
    return Verdict("nak", False, s)


def _changes(s: str) -> Verdict | None:
    if _any(_NOT_CHANGES, s):
        return Verdict("changes-requested", True, s)
    m = _any(_CHANGES, s)
    if not m:
        return None
    before = s[:m.start()]
    if re.search(r"\b(?:I|we)\s+(?:can|could|will|would|shall|should)\s*$", before.strip(), re.I):
        return None
    if re.search(r"\b(?:if|unless|whether)\b", before, re.I) and not re.search(r"^please\b", s, re.I):
        return None
    return Verdict("changes-requested", False, s)


def _withdrawn(s: str) -> Verdict | None:
    m = _any(_WITHDRAWN, s)
    if not m or _question(s):
        return None
    before = s[:m.start()]
    if _CONDITION.search(before) or re.search(r"\b(?:not|n't|never)\b", before, re.I):
        return None
    return Verdict("withdrawn", False, s)


_READERS = (_nak, _applied, _changes, _withdrawn)


def find_verdicts(reply: Reply | str) -> list[Verdict]:
    """Every verdict in the author's own text, in reading order, one per
    kind and sentence."""
    if isinstance(reply, str):
        reply = split_reply(reply)
    out: list[Verdict] = []
    for paragraph in reply.paragraphs():
        for sentence in _sentences(paragraph.text):
            for read in _READERS:
                found = read(sentence)
                if found is not None:
                    out.append(Verdict(found.kind, found.negated, found.text, paragraph.about))
    return out
