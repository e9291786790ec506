"""Prose verdicts in a replier's own words: NAK, applied, changes requested,
withdrawn, and their negations ("I haven't applied this one yet").

Precision before recall: a wrong "applied" or "NAK" misleads a maintainer
more than a missing one, so each pattern is narrow, and a sentence that is
a question, a condition ("once this is applied"), a report of local testing
("applied on top of -next and tested") or a third person's act ("Mark
NAKed v1") yields nothing.  The sentence is kept as evidence, and the
quoted diff lines the paragraph answers (``about``) so a later version can
be checked for whether the hunk changed.

Cost: this runs on every reply at ingest, and most replies hold no verdict,
so each kind has a cheap trigger of literal stems, and a paragraph or
sentence it misses is skipped before any real pattern runs.  No nested
quantifiers over the same characters, and sentences are cut at
``MAX_SENTENCE``: hostile input stays linear.

Who may say what is decided later (``states``): ``withdrawn`` only counts
when the patch's author says it, and a bystander's NAK weighs less than a
maintainer's.  This module only reads text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import asks as _asks
from .quotes import QuotedLine, Reply, split_reply

KINDS = ("nak", "applied", "changes-requested", "withdrawn")
MAX_SENTENCE = 400


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str
    negated: bool
    text: str
    about: tuple[QuotedLine, ...] = ()


def _rx(pattern: str) -> re.Pattern[str]:
    """Patterns are written in lower case and run on lower-cased text:
    several times faster than ``re.I`` on alternations."""
    return re.compile(pattern)


# ---- cheap triggers: stems every pattern of the kind needs; their union
# screens paragraphs and sentences first ---------------------------------
_TRIGGERS = {
    "nak": _rx(r"na[ck]|reject|pw-bot|won't|will not|'ll not|can't|cannot|not going|fundamentally|from stable|from dt|"
               r"difference|want th|wrong approach|suitable|not the (?:correct|right|proper)"),
    "applied": _rx(r"appl|queue|pick|push|merg|taken|took|committed|revert|dropped|backed|now in|pw-bot|amended"),
    "changes-requested": _rx(r"sen[dt]|spin|submit|post|roll|rebase|v\d|version|split|squash|fold"),
    "withdrawn": _rx(r"ignore|ingore|disregard|drop|discard|appl|merg|na[ck]|sen[dt]|post|submit|spin|v\d|version|"
                     r"revis|rework|next|supersed|replaced|obsoleted|withdraw|abandon"),
}
_TRIGGERS["changes-requested"] = _rx(_TRIGGERS["changes-requested"].pattern + "|" + _asks.TRIGGER.pattern)
_ANY_TRIGGER = _rx("|".join(t.pattern for t in _TRIGGERS.values()))

_NAK_WORD = r"(?<![/\w])(?:nack|nak)"
_ACT = r"(?:applied|queued|picked(?:\s+\w+)?\s+up|pushed|merged|taken|committed)"
_VN = r"v\d+\b(?!\.\d)"  # "v3", not a release such as "v6.2"

# ---- applied ---------------------------------------------------------------
# What may stand before a bare "Applied": an interjection ("Thanks,") and a
# subject naming the patches ("Patches 1-3", "Both", "This one").
_LEAD = r"(?:[^,;:.!?]{0,40}[,;:]\s+|(?:thanks|ok|okay|great|good|nice|so|now)!?\s+)?"
_SUBJECT = (r"(?:(?:the\s+)?(?:whole\s+|entire\s+|rest\s+of\s+the\s+)?(?:patch(?:es)?|series|set|patch-?set|fix(?:es)?)"
            r"(?:\s+#?\d[\d/,#~\s-]*)?|both(?:\s+patches)?|all(?:\s+\w+)?|this(?:\s+one)?|it|these|them|\d[\d/,\s-]*)\s+")
_AUX = r"(?:(?:are|is|has\s+been|have\s+been|was|were|got|now|been)\s+)?"
# What after the verb shows a local act, not a tree: "applied cleanly",
# "applied your suggestion", "applied on top of v6.1".
_NOT_TREE = (r"(?!\s+(?:on\s+(?:the\s+)?top|cleanly|fine|ok\b|locally|against|on\s+(?:v|linux|next|\d)|without|with(?:out)?\s+"
             r"(?:some\s+|minor\s+)?(?:conflict|issue|problem|error|fuzz)|(?:your|all|the|these|those|his|her|their)\s+"
             r"(?:\w+\s+)?(?:suggestion|comment|feedback|change|review|idea|remark|nit)s?\b|"
             r"(?:suggestion|comment|feedback|change|review|idea|remark)s?\b))")
_APPLIED = [
    # "Applied, thanks", "Series applied", "Patches 1-3 applied", "Thanks, pushed.", "Merged the rest"
    _rx(r"^" + _LEAD + r"(?:so\s+|and\s+)?(?:" + _SUBJECT + r")?" + _AUX + r"(?:now\s+|also\s+)?"
        r"(?:applied|queued(?:\s+up)?|pushed|merged|picked\s+up)\b(?!-)" + _NOT_TREE),
    # "I've applied", "I applied it to my tree", "we queued this", "I picked them up"
    _rx(r"\b(?:i|we)(?:'ve|\s+have|\s+had)?\s+(?:now\s+|just\s+|already\s+|also\s+|finally\s+)?"
        r"(?:(?:applied|queued|picked\s+(?:\w+\s+){0,2}up|pushed|merged|committed)\b" + _NOT_TREE + r"|(?:taken|took)\s+"
        r"(?:it|this|that|them|these|both|all|the\s+(?:\w+\s+)?(?:patch|series|set|fix)\w*)\b)"),
    # "..., so already merged the 3 patches", "Thanks for the review and pushed the patch set."
    _rx(r"(?:\band|\bso|,)\s+(?:i(?:'ve|\s+have)?\s+)?(?:now\s+|already\s+|also\s+)?(?:applied|pushed|merged|queued)"
        + _NOT_TREE + r"\s+"
        r"(?:it|this|them|these|both|all|the\s+(?:\w+\s+)?(?:patch|series|set|patchset|patch\s+set|fix|pair)\w*)\b"),
    # "Applied to gpio/for-next", "queued for v6.2", "merged into my tree" (linux-next is not anyone's own tree)
    _rx(r"\b" + _ACT + r"\s+(?:\w+\s+){0,3}?(?:to|into|in|on|for)\s+"
        r"(?!linux-next)(?:my|the|our|\S*(?:next|fixes|devel|master|main|linus)\S*|v?\d|\S+/\S+)"),
    # "has been applied", "Now in my for-next branch"
    _rx(r"\b(?:has|have|had)\s+(?:now\s+)?been\s+" + _ACT + r"\b|\bnow\s+in\s+(?:my|our)\s+\S*(?:tree|branch|next|fixes|queue)"),
]
# what lists write for machines, and tools write for people: netdev's pw-bot
# commands, patchwork-bot's "This series was applied to ... by X" (X's act)
_BOT_APPLIED = _rx(r"\bpw-bot:\s*(?:accepted|applied)\b|^this\s+(?:patch|series)\s+was\s+applied\s+to\b|"
                   r"\bapplied\s+manually\b|\b(?:it'?s|it\s+is|this\s+is|they\s+are)\s+now\s+in\s+"
                   r"(?:the\s+|my\s+)?\S*(?:next|fixes)\b|\bamended\s+(?:it|this|that|the\s+\w+)\s+"
                   r"(?:while|when)\s+(?:committing|applying)")
_BOT_NAK = _rx(r"\bpw-bot:\s*(?:rejected|reject)\b")
_NOT_APPLIED = [
    # "Dropped again, it breaks the arm64 build" (a patch taken, then taken out)
    _rx(r"^(?:(?:so|ok|okay|sorry)[,]?\s+)?dropped(?:\s+again|\s+for\s+now|\s+it|\s+this|\s+them)?\b[,.!;:]"),
    # "I haven't applied this one yet", "we did not pick up the bindings"
    _rx(r"\b(?:i|we)\s+(?:haven't|have\s+not|hadn't|didn't|did\s+not|have\s+never|never)\s+(?:yet\s+|actually\s+)?"
        r"(?:applied|queued|picked\s+(?:\w+\s+)?up|merged|pushed|taken|took)\b"),
    # "This patch is not applied", "these were not merged yet" (the patch as subject, not a person)
    _rx(r"\b(?:this|that|it|these|those|one|patch(?:es)?|series|set|\d+)\s+(?:is|was|are|were|has|have)(?:n't|\s+not)\s+"
        r"(?:yet\s+)?(?:been\s+)?(?:applied|queued|picked\s+up|merged)\b(?!\s+by\b)"),
    # b4's "[10/12] <NOT APPLIED>"
    _rx(r"<\s*not\s+applied\s*>"),
    # "I've dropped it from my tree", "I reverted the patch for now", "the patch, which I had dropped"
    _rx(r"\b(?:i|we)(?:'ve|\s+have|\s+had)?\s+(?:now\s+|just\s+)?(?:dropped|reverted|un-?applied|backed\s+out)\s+"
        r"(?:(?:the|that|this|these|those|your|both)\s+(?:\w+\s+){0,2}?(?:patch|series|commit|patchset)(?:es|s)?\b|"
        r"(?:it|this|that|them|these)\s+(?:from|in)\s+(?:my|the|our)\s+\S*(?:tree|queue|branch|next|fixes))"),
    _rx(r"\bpatch(?:es)?,?\s+(?:which|that)\s+(?:i|we)(?:'d|'ve|\s+had|\s+have)?\s+(?:dropped|reverted)\b"),
    # "Let me just revert it." said of a patch just pushed
    _rx(r"\blet\s+me\s+(?:just\s+)?revert\s+(?:it|the\s+patch|the\s+commit)\b"),
]

# ---- NAK -------------------------------------------------------------------
_NAK_LEAD = (r"(?:(?:so|then|hence|thus|therefore|sorry|hmm+|well|fwiw|imho|imo|ok|okay|yes|honestly|also|"
             r"unfortunately|again|strong|big|hard|definite|clear|firm|still|for\s+now|and|but|plain|instant)[,:]?\s+){0,3}")
_NAK = [
    # "NAK.", "FWIW, NAK due to ...", "Definite NACK to this.", "So NACK until ..."
    _rx(r"^" + _NAK_LEAD + r"(?:" + _NAK_WORD + r"\b(?!-?ed\s+by\s+\w+\s+\w)|rejected[.!,])"),
    # "I'll NAK this", "I have to NAK this", "I think I'll NAK this patch as is"
    _rx(r"\b(?:i|we)(?:'ll|\s+will|\s+must|\s+have\s+to|\s+need\s+to|\s+am\s+going\s+to|'m\s+going\s+to)?"
        r"\s+(?:(?:think|say|guess)\s+(?:i(?:'ll|\s+will|'d)?\s+)?)?(?:have\s+to\s+|strongly\s+|hard\s+)?(?:" + _NAK_WORD
        + r"(?:-?ing)?|reject)\s+(?:this|it|that|the|these|them|v\d|patch|series|for|on)"),
    # "NAK from me", "NACK for this version"
    _rx(_NAK_WORD + r"\s+(?:from\s+me|for\s+(?:this|now|the|v\d)|on\s+this|as\s+is|to\s+this)\b"),
    # the trailer
    _rx(r"^" + _NAK_WORD + r"ed-by\s*:\s*\S"),
    # "That's a NAK", "This bit is an instant NAK"
    _rx(r"\b(?:is|'s|was)\s+(?:an?\s+|my\s+)(?:\w+\s+)?" + _NAK_WORD + r"\b"),
    # a NAK closing the sentence: "Empty commit message, NACK.", "... => NACK", "Until you fix X, NACK."
    _rx(r"(?:[,;:]|=>|->)\s*" + _NAK_WORD + r"[.!]*$"),
    _rx(r"^until\b[^.!?]{0,160}[,\s]" + _NAK_WORD + r"[.!]*$"),
    # rejections without the word: "this is fundamentally broken", "Please drop this patch from stable",
    # "your patch won't make a single difference", "we don't want this", "not suitable for DT"
    _rx(r"\b(?:is|are|looks|seems)\s+fundamentally\s+(?:broken|wrong|flawed|misguided)\b|"
        r"\bplease\s+drop\s+(?:this|the|it)\s+(?:\w+\s+)?from\s+(?:stable|dt|the\s+stable)|"
        r"\b(?:won't|will\s+not|doesn't|does\s+not)\s+make\s+(?:a\s+single|any)\s+(?:\w+\s+)?difference|"
        r"\b(?:we|i)\s+(?:don't|do\s+not)\s+want\s+(?:this|that|it|these)\b(?!\s+to\b)|"
        r"\b(?:this|it|that)\s+is\s+(?:the\s+)?wrong\s+approach|"
        r"\b(?:this|it|that)\s+is\s+not\s+the\s+(?:correct|right|proper)\s+(?:fix|approach|solution|way)\b|"
        r"\b(?:not|isn't|is\s+not)\s+suitable\s+for\s+(?:dt|devicetree|trivial-devices|upstream|mainline|the\s+kernel)"),
    # "I won't take this", "I will not apply it", "I'll not apply your patch"
    _rx(r"\b(?:i|we)(?:\s+won't|\s+will\s+not|'ll\s+not|\s+can't|\s+cannot|\s+am\s+not\s+going\s+to|"
        r"'m\s+not\s+going\s+to)\s+"
        r"(?:take|apply|accept|merge|pick\s+up)\s+(?:this|it|these|that|your\s+(?:patch|series|change)|"
        r"the\s+(?:patch|series))\b"
        r"(?!.*\b(?:until|unless|without|before|as\s+long|if)\b)"),
]
_NOT_NAK = [
    _rx(r"\b(?:not|isn't|wasn't|no)\s+(?:a\s+|going\s+to\s+)?" + _NAK_WORD + r"(?:-?ing|ed)?\b"),
    _rx(r"\b(?:withdraw|retract|drop|take\s+back|rescind)\w*\s+(?:my\s+)?" + _NAK_WORD),
    _rx(_NAK_WORD + r"\s+(?:withdrawn|retracted|dropped)"),
]
# I2C's NACK is a bus condition, not a verdict
_I2C = _rx(r"\b(?:i2c|smbus|slave|acks?\s*(?:/|or|and)\s*nacks?"
           r"|(?:got|gets|receives?|received|returns?|sends?|sent)\s+(?:an?\s+)?nack)")

# ---- changes requested -----------------------------------------------------
_ASK = (r"(?:please|pls|kindly|can\s+you|could\s+you|would\s+you|will\s+you|care\s+to|"
        r"you\s+(?:probably\s+|really\s+|might\s+|may\s+)?(?:should|need\s+to|have\s+to|must|will\s+need\s+to|'ll\s+need\s+to))")
_NEW_VERSION = "(?P<new>" + "|".join([
    r"re-?(?:send|spin|submit|post|roll|base)", r"squash", r"fold\s+(?:it|this|that|these|the\s+\w+)\s+into",
    r"split\s+(?:it|this|that|them|the\s+(?:patch|commit|change|series))\b(?!\s+(?:off|out))",
    r"send\s+(?:(?:me|out|us)\s+)?(?:a|an|the)?\s*(?:new|updated|fixed|revised|next|another|\d+(?:st|nd|rd|th)?|v\d+|proper)\b",
    r"send\s+(?:it|this|them|that)\s+(?:again|out\s+again)", r"(?:send|submit|post)\s+(?:a\s+)?" + _VN,
    r"(?:a|an)\s+(?:new|updated|revised)\s+(?:version|revision|iteration|spin)", r"(?:a|an)\s+" + _VN]) + ")"
_CHANGES = [
    # "Please resend", "Could you send a v2", "You probably should send a v4", "can you please rebase?"
    _rx(r"\b" + _ASK + r"\b[^.!?]{0,160}?\b" + _NEW_VERSION),
    # imperative: "Resend, please.", "Please respin.", "Only send v7 after -rc1."
    _rx(r"^(?:(?:so|then|also|only|just|ok|okay|thanks|please)[,]?\s+){0,2}" + _NEW_VERSION + r"\b"),
    # "This needs a v2", "needs a rebase"
    _rx(r"\b(?:needs?|need\s+to)\s+(?:(?:a|another)\s+)?(?P<new>v\d+|respin|rebase|new\s+version)\b"),
]
_NOT_CHANGES = [
    # "no need to resend", "(no need to repost)", "no need for a v2"
    _rx(r"\b(?:no\s+need\s+(?:to|for)|don't\s+bother(?:\s+to)?)\s+(?:a\s+)?(?:re-?send|re-?spin|re-?submit|re-?post|re-?roll|"
        r"send\s+(?:a\s+|an\s+)?(?:new|v\d|another|updated)|v\d|new\s+version|another\s+version)"),
    # "a resend is not needed"
    _rx(r"\b(?:re-?send|re-?spin|new\s+version|v\d+)\s+(?:is\s+)?(?:not|un)\s*(?:needed|necessary|required)\b"),
    # "you don't really need to resend", "don't resend it" (not "don't send new versions when ...")
    _rx(r"\b(?:don't|do\s+not|needn't|need\s+not)\s+(?:really\s+|actually\s+)?(?:need\s+to\s+|have\s+to\s+)?"
        r"(?:re-?send|re-?spin|re-?submit|re-?post|send\s+(?:a\s+)?(?:new|v\d))\b(?!\s+\w+\s+versions)"
        r"(?![^.!?]*\b(?:when|until|before|unless|if)\b)"),
]
# a condition on the resend ("in case you ever resend", "when you resubmit",
# "for the next version please ...") or an offer from the author
_CHANGE_CONDITION = _rx(r"\b(?:if|when|whenever|once|in\s+case|unless|whether|next\s+time|in\s+(?:the\s+)?future|"
                        r"for\s+(?:the\s+)?next\s+(?:version|revision|iteration|spin|round))\b")
_CHANGE_OFFER = _rx(r"\b(?:i|me|we|us)\b(?:'\w+)?(?:\s+\w+){0,2}\s*$")

# ---- withdrawn (counts only when the patch's author says it) --------------
# A promise of a next version ("I'll send v2", "will fix in v5") is not a
# withdrawal (RULES.md, second edition): the patch is being reworked, its
# review goes on.  A replacement already sent, or a patch given up, is.
_WITHDRAWN = [
    # "Please ignore this patch", "please drop it" (not "please ignore my previous comment")
    _rx(r"\bplease\s+(?:ignore|ingore|disregard|drop|discard|don't\s+apply|do\s+not\s+apply|don't\s+merge|do\s+not\s+merge)\b"
        r"(?!\s+(?:the\s+|my\s+)?(?:previous\s+|last\s+|earlier\s+|above\s+|other\s+)?"
        r"(?:comment|remark|mail|e-?mail|reply|message|question|noise|part|bit|note|response|point|suggestion)s?\b)"),
    _rx(r"\bself[- ]?" + _NAK_WORD),
    # "I've sent a v3", "I have resubmitted the patch", "I just submitted the RFC v3"
    _rx(r"\b(?:i|we)(?:'ve|\s+have|\s+just)?\s+(?:just\s+)?(?:(?:sent|posted|submitted)\s+(?:out\s+)?(?:a\s+|an\s+|the\s+)?"
        r"(?:rfc\s+)?(?:v\d+|new\s+version|updated\s+version|next\s+version)|re-?submit(?:ted)?|re-?posted)\b"),
    # "v2 of this patch series was sent here", "the new version has been posted"
    _rx(r"\b(?:" + _VN + r"|new\s+version|next\s+version|updated\s+version)\s+(?:of\s+(?:this|the|my)\s+(?:\w+\s+){0,2})?"
        r"(?:is|was|has\s+been|got)\s+(?:now\s+)?(?:sent|posted|out|submitted)\b"),
    # "this patch can be dropped", "we can drop patches 3 + 5 with this change", "this got botched"
    # (the "can" stays out of the match: it is not an offer here)
    _rx(r"\b(?:this|the|current|that)\s+(?:current\s+)?(?:patch|series|one|change)(?=\s+(?:can|could|should)\s+"
        r"(?:now\s+)?be\s+dropped\b)|\bwe(?=\s+can\s+drop\s+(?:patch(?:es)?\s+\d|this|it|these))|"
        r"\b(?:this|it)\s+got\s+botched\b"),
    # "v2 posted: <link>", "I withdraw this patch"
    _rx(r"^(?:the\s+)?(?:" + _VN + r"|new\s+version)\s+(?:is\s+|has\s+been\s+)?(?:sent|posted|out|submitted)\b"),
    _rx(r"\b(?:withdraw|withdrawing|abandon|abandoning|dropping)\s+(?:this|the|my)\s+(?:\w+\s+)?"
        r"(?:patch|series|set|patchset|submission)"),
    # "superseded by v3", "please see v2"
    _rx(r"\b(?:superseded|replaced|obsoleted)\s+by\s+(?:v\d+|a\s+new|the\s+new|\S+)"),
    _rx(r"\bplease\s+(?:see|check|look\s+at|review)\s+(?:the\s+|my\s+)?(?:" + _VN + r"|new\s+version|updated\s+version)"),
]
# offers, not announcements: "I can send a v2", "happy to resend if needed"
_OFFER = _rx(r"\b(?:can|could|would|may|might|happy|glad|try|able|if|unless|whether)\b")

# ---- what silences a sentence ---------------------------------------------
_CONDITION = _rx(r"\b(?:once|if|when|whether|after|until|unless|before|as\s+soon\s+as|assuming|provided)\b")
_NAK_CONDITION = _rx(r"\b(?:once|if|when|whether|unless|assuming|provided|would|could|might)\b|'d\b")
_FUTURE_OR_MAYBE = _rx(r"\b(?:will|would|should|could|can|might|may|must|shall|going\s+to|plan\s+to|hope|want\s+to|"
                       r"wait|waiting|expect|need\s+to|ready\s+to|happy\s+to|able\s+to|'ll|'d)\b")
_NEGATION = _rx(r"\b(?:not|never|no)\b|n't\b")
_LOCAL_TEST = _rx(r"\b(?:tested|testing|test|boot(?:ed|s)?|compil\w+|build\w*|built|cleanly|on\s+top|"
                  r"locally|against|conflict\w*|apply\s+(?:it|this)\s+on|fails?\s+to|doesn't|does\s+not|"
                  r"rebase[ds]?)\b")
# a tester's result: "I applied your patch and the warning is gone"
_RESULT = _rx(r"\band\s+(?:now\s+)?(?:it|the\s+\w+|this|that|everything|things|i|my\s+\w+)\s+(?:\w+\s+)?"
              r"(?:works?|is|are|was|were|no\s+longer|still|boots?|fixe[sd]|solve[sd]|disappear\w*|got|get|see|saw|can)\b")
_OWN_TREE = _rx(r"\b(?:to|into|for)\s+(?:my|the|our)\s+(?:\w+\s+){0,3}?(?:tree|branch|queue|repo)")
# someone else's act or a state observed: "you applied", "I see this has been applied already"
_OTHERS = _rx(r"\b(?:you|he|she|they|someone|\w+\s+has)\s+(?:\w+\s+)?" + _ACT + r"|\b(?:see|saw|seems?|looks?\s+like|"
              r"apparently|noticed?)\b|\balready\s+been\b")
_THIRD_PERSON = _rx(r"\b(?:he|she|they|someone|somebody|\w+\s+(?:already\s+)?(?:nacked|naked|nak'd))\b")
_CLAUSE, _I_OR_WE = _rx(r"[,;:]|\b(?:so|but|because|and)\b"), _rx(r"\b(?:i|we)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?]) (?=\S)")
# a line that starts a sentence without a full stop before it: a trailer,
# a b4 "[10/12] ..." line, a bullet (and any line after a colon)
_LINE_START = re.compile(r"^(?:[\w-]+-by:|\[\d|[-*] )")


def _blocks(text: str) -> list[str]:
    """Paragraph lines grouped into runs that may hold whole sentences."""
    blocks: list[str] = []
    cur: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or (cur and (_LINE_START.match(line) or cur[-1].endswith(":"))):
            if cur:
                blocks.append(" ".join(cur))
            cur = [line] if line else []
        else:
            cur.append(line)
    if cur:
        blocks.append(" ".join(cur))
    return blocks


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for block in _blocks(text):
        block = " ".join(block.split())
        out.extend(s[:MAX_SENTENCE] for s in _SENTENCE_END.split(block) if s)
    return out


def _question(sentence: str) -> bool:
    return sentence.rstrip(" )").endswith("?")


_SELF_NAK = _rx(r"\bself[- ]?" + _NAK_WORD)
_IF_AFTER = _rx(r"\b(?:if|unless)\b")
_THEN = _rx(r"\bthen\b")


def _applied(s: str) -> list[bool]:
    """``[True]`` for "not applied / dropped", ``[False]`` for "applied"; both may hold."""
    if _question(s):
        return []
    if _BOT_APPLIED.search(s):
        return [False]
    out = []
    for p in _NOT_APPLIED:
        m = p.search(s)
        if m and not _CONDITION.search(s, 0, m.start()):
            out.append(True)
            break
    for p in _APPLIED:
        m = p.search(s)
        if not m:
            continue
        before = s[:m.end()]
        if _CONDITION.search(before) or _FUTURE_OR_MAYBE.search(before) or _NEGATION.search(before):
            continue
        if (_LOCAL_TEST.search(s) or _RESULT.search(s, m.end())) and not _OWN_TREE.search(s):
            continue
        if _OTHERS.search(before):
            continue
        out.append(False)
        break
    return out


def _nak(s: str) -> list[bool]:
    """A retraction wins over the NAK it names; hypothetical NAKs ("would",
    "if") and other people's NAKs are only reported, not given."""
    if _I2C.search(s) or _question(s):
        return []
    if _BOT_NAK.search(s):
        return [False]
    if any(p.search(s) for p in _NOT_NAK):
        return [True]
    if _SELF_NAK.search(s):
        return []
    for p in _NAK:
        m = p.search(s)
        if not m:
            continue
        said = s[:m.end()]
        if _NAK_CONDITION.search(said) or _IF_AFTER.search(s, m.end()):
            continue
        if _THIRD_PERSON.search(said) and not _I_OR_WE.search(said):
            continue
        return [False]
    return []


def _changes(s: str) -> list[bool]:
    """A request for a new version, not an instruction for one that may
    come ("when you resend") nor the author's own offer ("shall I resend").
    A change asked in ordinary words is ``asks``' reading, made by
    ``find_verdicts`` when this finds nothing."""
    if any(p.search(s) for p in _NOT_CHANGES):
        return [True]
    return _resend(s)


def _resend(s: str) -> list[bool]:
    for p in _CHANGES:
        m = p.search(s)
        if not m:
            continue
        # a condition counts unless the resend follows it ("wait for review and then send v2")
        tail = _THEN.split(s[:m.end()])[-1]
        if _CHANGE_CONDITION.search(tail) or _NEGATION.search(m.group(0)) or _CHANGE_OFFER.search(s[:m.start("new")]):
            continue
        return [False]
    return []


def _withdrawn(s: str) -> list[bool]:
    """An announcement ("I'll send v2"), not an offer ("I can resend if needed")."""
    if _question(s):
        return []
    for p in _WITHDRAWN:
        m = p.search(s)
        if not m:
            continue
        before = s[:m.start()]
        if _CONDITION.search(before) or _NEGATION.search(_CLAUSE.split(before)[-1] + m.group(0)):
            continue
        if _OFFER.search(m.group(0)) or _IF_AFTER.search(s, m.end()):
            continue
        return [False]
    return []


_READERS = tuple((kind, _TRIGGERS[kind], read) for kind, read in
                 (("nak", _nak), ("applied", _applied), ("changes-requested", _changes), ("withdrawn", _withdrawn)))


#: a build robot's report: its boilerplate ("If you fix the issue ... kindly
#: add following tags") and build logs are not a reviewer's request
_ROBOT = re.compile(r"auto build test|kernel test robot|If you fix the issue in a separate patch", re.I)


def find_verdicts(reply: Reply | str) -> list[Verdict]:
    """Every verdict in the author's own text, in reading order, at most
    one per kind, sign and sentence.

    Change requests in ordinary words (``asks``) give way within one reply:
    to a retraction ("no need to resend, I fixed it"), to an applied or a
    NAK statement (the maintainer who applies "with the default lines
    moved" or rejects "a fundamentally broken" approach asks nothing more),
    to the author's own withdrawal ("Self-NAK, this is broken"), and to a
    build robot's report.
    """
    if isinstance(reply, str):
        reply = split_reply(reply)
    out: list[Verdict] = []
    asked: list[Verdict] = []
    robot = False
    for paragraph in reply.paragraphs():
        robot = robot or bool(_ROBOT.search(paragraph.text))
        if not _ANY_TRIGGER.search(paragraph.text.lower()):
            continue
        for sentence in _sentences(paragraph.text):
            low = sentence.lower()
            if not _ANY_TRIGGER.search(low):
                continue
            for kind, trigger, read in _READERS:
                if not trigger.search(low):
                    continue
                found = read(low)
                out.extend(Verdict(kind, negated, sentence, paragraph.about) for negated in found)
                if kind == "changes-requested" and not found:
                    asked.extend(Verdict(kind, negated, sentence, paragraph.about) for negated in _asks.asks(low))
    decided = {(v.kind, v.negated) for v in out} | {(v.kind, v.negated) for v in asked if v.negated}
    if robot or decided & {("applied", False), ("nak", False), ("changes-requested", True), ("withdrawn", False)}:
        asked = [v for v in asked if v.negated]
    return out + asked
