"""Change requests in ordinary words: what a reviewer asks of the patch.

On real lists most requests for a new version never say "resend": they
are review comments ("Drop this line", "Please split out a separate patch
for ...", "You need kerneldoc", "X is missed", "This dev_hold() looks
wrong", "[High] Clock leakage on the error path", "pw-bot: cr").  A
sentence asks for a change when, in the replier's own words, it

* is an imperative about the patch ("Drop ...", "Please use GENMASK",
  "Keep only one example", "No inline functions in C code");
* puts an obligation on it ("you need to", "needs to be", "should be",
  "must not", "you can't use ... here", "X will have to be removed");
* states a defect ("looks wrong", "is broken", "doesn't work", "is missing",
  "Missing a commit log", "Undocumented ABI", "I don't think this is
  implemented correctly");
* is a machine's request (netdev's ``pw-bot: cr``, an AI review's
  ``[High]`` finding, the DT bot's "Please check and re-submit");
* waits for the next version ("I'll wait for a v2 of this one").

It does not when it is a question, a condition about a future version
("if you resend"), optional ("nit", "feel free", "up to you", "maybe",
"consider", "could"), a follow-up for later ("in a separate patch later",
"as a follow-up"), the replier's own offer ("I'll fix it up while
applying", "I can drop it when applying"), or said of something else
than the patch ("you need to install dtschema").  Retractions are read
too: "no need to resend", "not a reason for a respin", "nothing that
should need a respin", "Ignore my comment".

This module only reads sentences (lower-cased, one at a time); who may ask
is decided in ``states`` (never the patch's author).
"""

from __future__ import annotations

import re


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


#: The cheap screen: a sentence without any of these stems is skipped.
TRIGGER = _rx(r"please|pls|drop|remov|delet|use|make|keep|add|move|renam|split|fix|wrap|describ|document|mention|"
              r"list|put|replac|switch|avoid|check|updat|chang|squash|separat|reorder|convert|defin|return|propagat|"
              r"handl|call|includ|explain|reword|rephras|sort|limit|correct|need|should|must|have to|has to|"
              r"can't|cannot|can not|don't|do not|no |wrong|broken|doesn't work|does not work|won't work|"
              r"will not work|incorrect|not correct|missing|missed|undocumented|leak|does not make sense|"
              r"doesn't make sense|makes no sense|pw-bot|\[(?:high|medium|low|critical)\]|wait for|redundant|"
              r"not needed|unnecessary|re-?submit|ignore my")

_VERBS = (r"(?:drop|remove|delete|use|make|keep|add|move|rename|split|fix|wrap|describe|document|mention|list|put|"
          r"replace|switch|avoid|check|update|change|squash|separate|reorder|convert|define|declare|return|"
          r"propagate|handle|call|include|explain|reword|rephrase|sort|limit|correct|address|resolve|refactor|"
          r"write|base|send|rebase|resend|respin|submit|re-?submit|align|merge|combine|fold|introduce|provide|"
          r"pass|initiali[sz]e|free|release|unlock|lock|set|clear|test|run|follow|stick|go\s+back|implement|"
          r"simplify|shorten|lowercase|uppercase|capitali[sz]e|prefix|indent|extend|restrict|export|cc|copy|"
          r"save|revert|get\s+rid|take\s+out|leave|break|be\s+more|do)")
_IMPERATIVE = _rx(r"^(?:(?:so|then|also|and|but|instead|ok|okay|hmm+|yes|no|again|here|this|overall)[,:]?\s+){0,2}"
                  r"(?:please[,]?\s+|pls[,]?\s+|just\s+|simply\s+)?(?:also\s+)?(?:don't\s+|do\s+not\s+)?"
                  + _VERBS + r"\b(?!\s+(?:me|us)\s+know)(?!-)")
_PLEASE = _rx(r"\b(?:please|pls|kindly|(?:can|could|would|will)\s+you(?:\s+please)?)\b[,]?\s+(?:\w+\s+){0,2}?"
              + _VERBS + r"\b(?!\s+(?:me|us)\s+know)")
_NO_THING = _rx(r"^(?:and\s+)?no\s+(?:\w+\s+)?(?:todos?|inline|empty|blank|need\s+for|point|reason\s+for|"
                r"such|magic|unrelated|ifdefs?|#ifdefs?|casts?|new)\b")
_OBLIGATION = _rx(r"\b(?:you|it|this|these|that|they|which|here|there|patch|code|function|driver|binding|property|"
                  r"name|node|commit\s+(?:message|msg|log)|description|example|series|change|check|value|\w+\(\))\s+"
                  r"(?:(?:really|probably|also|still|definitely|then|clearly)\s+)?"
                  r"(?:need(?:s)?\s+(?:to|a|an|one|kerneldoc|some|proper|more|\w+ing)|should(?:n't|\s+not)?\s+(?!be\s+fine|"
                  r"be\s+ok|be\s+good|be\s+safe|be\s+enough|be\s+possible|be\s+harmless|be\s+correct|work\b)|must(?:n't|\s+not)?|"
                  r"ha(?:ve|s)\s+to|will\s+have\s+to|will\s+need\s+to|can(?:'t|not|\s+not)\s+(?:use|be|do|call|"
                  r"rely|have|go|make|assume|just|simply))\b")
_NEEDS_START = _rx(r"\bneeds\s+to\s+(?!be\s+(?:fine|ok))\w+"
                   r"|^(?:this\s+|it\s+)?(?:needs?|requires?)\s+(?:to\s+be|to\s+|a\s+|an\s+|some\s+|more\s+|\w+ing\b)")
_DEFECT = _rx(r"\b(?:this|that|it|these|those|here|(?:the|this|that|your)\s+(?:\w+\s+)?\w+|\w+\(\))\s*"
              r"(?:looks?|seems?|is|are|was)\s+(?:\w+\s+)?(?:wrong|broken|buggy|incorrect|bogus|racy|"
              r"unsafe|redundant|unnecessary|not\s+(?:needed|necessary|correct|right|valid|used|enough|required)|"
              r"missing|missed|leaked|undocumented|inefficient|not\s+clear|confusing|misleading|useless)\b|"
              r"\b(?:doesn't|does\s+not|won't|will\s+not|can't|cannot)\s+(?:\w+\s+)?(?:work|compile|build|"
              r"make\s+(?:any\s+|much\s+)?sense|do\s+anything|be\s+right|be\s+correct)\b|"
              r"\b(?:makes\s+no\s+sense|(?:doesn't|does\s+not)\s+make\s+(?:any\s+)?sense)|"
              r"\bi\s+(?:don't|do\s+not)\s+(?:think|believe)\s+(?:this|that|it)\s+(?:is|will|would|works|belongs|"
              r"makes|does)\s+(?:\w+\s+)?(?:correct|right|work|needed|necessary|sense|safe|valid|implemented|"
              r"suitable|appropriate)|\bi\s+(?:don't|do\s+not)\s+see\s+(?:where|how|why|any)\b|"
              r"\b(?:leaks?|leaking)\s+(?:the|a|an|memory|\w+)\b|\bmerge\s+conflict|"
              r"\b(?:seems?\s+to\s+be\s+|is\s+)breaking\b|\bintroduc\w*\s+(?:a\s+|another\s+|an\s+)?(?:\w+\s+){0,2}bug\b")
_DEFECT_START = _rx(r"^(?:missing|undocumented|wrong|broken|incorrect|unused|unneeded|unnecessary|redundant|"
                    r"duplicated?|typo|same\s+(?:here|issue|problem|comment)|ditto|likewise|"
                    r"(?:this|that|it)\s+is\s+(?:also\s+)?(?:missed|missing)|already\s+(?:has|have|is|defined|done)|"
                    r"code\s+style|not\s+(?:needed|used|necessary))\b")
_MACHINE = _rx(r"\bpw-bot:\s*(?:cr|changes-requested)\b|(?:^|\s)\[(?:high|medium|low|critical)\]\s|"
               r"please\s+check\s+and\s+re-?submit")
_WAIT = _rx(r"\b(?:i'll|i\s+will|i'd|we'll|let's|i\s+should|i'm\s+going\s+to)\s+(?:\w+\s+){0,2}?wait\s+for\s+"
            r"(?:a|an|the|your)?\s*(?:v\d+|new|next|another|updated|respin|revision|version)"
            r"(?:\s+(?:version|revision|spin|iteration|of|before)\b|\s*[.,!;)]|\s*$)")

_NOT_ASKED = [
    _rx(r"\b(?:no\s+need\s+(?:to|for)|don't\s+bother(?:\s+to)?)\s+(?:a\s+)?(?:re-?send|re-?spin|re-?submit|re-?post|"
        r"re-?roll|send\s+(?:a\s+|an\s+)?(?:new|v\d|another|updated)|v\d|new\s+version|another\s+version)"),
    _rx(r"\bnot\s+(?:a\s+)?(?:reason|worth|enough)\s+(?:for|to)\s+(?:a\s+)?(?:re-?spin|re-?send|re-?submit|new\s+version|v\d)"),
    _rx(r"\bnothing\s+(?:that\s+)?(?:should|would|that\s+would|to)\s+(?:\w+\s+)?(?:need|require|warrant|justify)\s+"
        r"(?:a\s+)?(?:re-?spin|re-?send|new\s+version|v\d)"),
    _rx(r"^(?:please\s+)?(?:ignore|disregard)\s+(?:my|that|the|this)\s+(?:previous\s+|last\s+|earlier\s+)?"
        r"(?:comment|remark|review|request|reply|feedback|mail|email|point)"),
]
#: not a request for this version: optional, later, elsewhere, or the replier's own act
_SOFT = _rx(r"\b(?:nit|nitpick|optional|feel\s+free|up\s+to\s+you|your\s+call|if\s+you\s+(?:want|like|prefer)|"
            r"maybe|perhaps|might|could|consider|would\s+be\s+nice|not\s+a\s+big\s+deal|minor|"
            r"follow-?up|incremental|(?:don't|do\s+not)\s+(?:re-?)?(?:submit|send|post)\s+new\s+versions|"
            r"separate\s+patch\s+later|later\s+on|in\s+the\s+future|future\s+patch|"
            r"while\s+applying|when\s+applying|upon\s+applying|on\s+apply|i(?:'ll|\s+will|\s+can|'ve|\s+have)\s+"
            r"(?:\w+\s+){0,2}(?:fix|fixed|drop|dropped|amend|amended|tweak|tweaked|adjust|adjusted|change|changed|"
            r"squash|squashed)|i\s+(?:fixed|dropped|amended|tweaked|adjusted|changed|squashed)|"
            r"dtschema|dt_binding_check|install|pip3?|otherwise\s+(?:looks|lgtm)|looks\s+good|lgtm|"
            r"thanks\s+for\s+(?:the|your)|let\s+me\s+know|doesn't\s+matter|does\s+not\s+matter|fine\s+with|"
            r"ok\s+with|okay\s+with|no\s+objection|please\s+(?:explain|clarify|elaborate)|"
            r"missing\s+(?:in|from)\s+(?:v?\d|mainline|linux|next|the\s+(?:tree|pull|merge)))\b")
#: an explanation, not a request: "Because it has to be probed ..."
_EXPLAINS = _rx(r"^(?:because|since|as|that's\s+because|otherwise|which|[0-9a-f]{8,40}\s)\b|^the\s+only\s+\w+\b")
#: a quoted commit subject split into a "sentence": ``Add LED driver") in v5.12``
_QUOTED_SUBJECT = _rx(r"\(\"|\"\)")
_CONDITION = _rx(r"^(?:if|when|whenever|once|in\s+case|unless|should\s+you|next\s+time)\b|"
                 r"\b(?:if|in\s+case|unless)\s+(?:you|there|it|this|we|anyone|someone|nobody)\s+"
                 r"(?:\w+\s+){0,2}?(?:re-?send|re-?spin|send|post|submit|respin|have\s+to|need|want|do|are|is|ever)|"
                 r"\bin\s+case\b|\bwhen\s+(?:you|you're)\s+(?:\w+\s+)?(?:re-?send|re-?submit|re-?spin|send|post)|"
                 r"\bif\s+(?:it|this|that)\s+(?:should|is\s+to)\b")


#: literal screens: each pattern runs only on a sentence holding one of its words
_SCREEN_NOT_ASKED = _rx(r"need|bother|reason|worth|enough|nothing|ignore|disregard")
_SCREEN_MACHINE = _rx(r"pw-bot|\[|submit|wait")
_SCREEN_OBLIGATION = _rx(r"need|should|must|have to|has to|can't|cannot|can not|requir")
_SCREEN_DEFECT = _rx(r"wrong|broken|bug|incorrect|bogus|racy|unsafe|redundant|unnecessary|not |missing|missed|leak|"
                     r"undocumented|inefficient|clear|confusing|misleading|useless|n't|won't|cannot|sense|"
                     r"don't|do not|conflict|breaking|introduc")
_SCREEN_CONDITION = _rx(r"if|case|unless|when|once|next time|should you")
_REQUESTS = ((None, _IMPERATIVE), (None, _PLEASE), (None, _NO_THING), (None, _DEFECT_START),
             (_SCREEN_OBLIGATION, _OBLIGATION), (_SCREEN_OBLIGATION, _NEEDS_START), (_SCREEN_DEFECT, _DEFECT))


def asks(sentence: str) -> list[bool]:
    """``[False]`` for a change request, ``[True]`` for its retraction, else []."""
    if _SCREEN_NOT_ASKED.search(sentence) and any(p.search(sentence) for p in _NOT_ASKED):
        return [True]
    if sentence.rstrip(" )").endswith("?"):
        return []
    if _SCREEN_MACHINE.search(sentence) and (_MACHINE.search(sentence) or _WAIT.search(sentence)):
        return [False]
    if not any((screen is None or screen.search(sentence)) and rx.search(sentence) for screen, rx in _REQUESTS):
        return []
    if (_SOFT.search(sentence) or (_SCREEN_CONDITION.search(sentence) and _CONDITION.search(sentence))
            or _EXPLAINS.search(sentence) or _QUOTED_SUBJECT.search(sentence)):
        return []
    return [False]
