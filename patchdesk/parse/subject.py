"""Subject lines of list mail -> patch-series fields.

Series tracking keys on ``name``, ``version`` and ``counter``, and every
message of an archive comes through here, so the rules are few, predictable,
cheap (one compiled regex stepping over the start of the subject, no
per-call compilation) and never raise.

Rules
-----
* Only the *leading run* of the subject is analysed: reply/forward markers
  ("Re:", "RE:", "Re[2]:", "Fwd:", "AW:", "SV:", "回复:", ...), bracket
  groups "[...]", and the unbracketed "PATCH", "PATCH1/8", "PATCHv2",
  "PATCH v2 1/8" form.  They may come in any order and number, so Mailman's
  "[ltp] Re: [PATCH v2] ..." and stacked "RE: Re: Fwd:" work.  A bracket
  later on ("fix foo[i] overflow") is text.  The run is looked for in the
  first ``_HEAD`` characters only, so hostile input costs bounded time.
* Inside a bracket, words are split on spaces and/or commas.  A word is
  PATCH, RFC, RESEND, PULL (with GIT/REQUEST beside it), a version, a
  counter, or else a *tag*, kept lower-cased and in order.  Glued forms
  ("PATCHv2", "RFCv3", "PATCH1/8") and "RFC/PATCH" are understood.
* A version is v/V + digits, optionally ".digits" ("v5.1" -> (5, 1)).  A
  bare number such as "5.10" (stable review series) is a tag, not a version.
  If no bracket gives a version, a trailing "(vN)" or "[vN]" does.  Such a
  trailing group is removed from the name even when a tag gave the version,
  so the name of a series stays the same from one revision to the next.
  The first version seen wins.
* A counter is "n/N" or "n of N" (hg patchbomb); 0 is the cover letter and
  "3/2" (an extra patch) is kept as given.  The first counter seen wins.
* is_patch: a PATCH word or a counter anywhere in the run (so Patchwork's
  "[net,v2,1/2]" and QEMU's "[PULL 0/7]" count; a lone "[RFC]" does not).
* is_reply is set by any marker, forwards included; is_forward only by
  Fwd/Fw/WG/TR/转发.  Only "re" is matched in any case; the others must be
  capitalised ("AW", "Aw", "fwd" aside) so that lower-case kernel prefixes
  such as "fw:", "wg:" or "sv:" stay in the name.
* name: what remains after the run, a leading ":" removed.  Whitespace is
  collapsed and the trailing "(vN)" dropped *before* the run is looked for,
  so parsing a name again gives the same name.  A marker after a tag
  ("[PATCH] Re: foo") is part of the run.
* Pure: the only state is a bounded memo of word classifications.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import version_label

#: How far into the subject the leading run is looked for.
_HEAD = 1024

#: One item of the leading run, with the separators before it.
_ITEM = re.compile(
    r"""
    [\s:,]*
    (?:
        # A bracket group (tried first: the common case); no nesting, and
        # bounded so that runs of "[" stay cheap.
        \[ (?P<tag> [^\[\]]{0,200} ) \]
      |
        # Reply/forward marker, optionally counted ("Re[2]:", "Re(2):");
        # French mailers put a space before the colon ("RE :").
        (?P<reply> (?i:re) | Fwd|FWD|fwd|Fw|FW | AW|Aw|SV|Sv|VS|Vs|WG|Wg|TR|Antw|ANTW|Odp|ODP
                   | 回复|答复|转发 )
        \s* (?:\[\d{1,4}\]|\(\d{1,4}\))? \s* [:：]
      |
        # Unbracketed "PATCH", "PATCH v2 1/8", or "patch" glued to a
        # version/counter ("PATCHv2", "Patch1/8"), ending at a space or ":".
        (?P<bare>
            (?: PATCH | (?i:patch)(?=[vV]?\d) )
            (?: \s* (?: [vV]\d{1,6}(?:\.\d{1,6})? | \d{1,6}/\d{1,6} ) )*
        ) (?=[\s:]|\Z)
    )
    """,
    re.X,
)

#: One lower-cased word of a tag: keyword, version and counter, each
#: optional, so "patch", "v2", "1/3", "patchv2", "rfc-v3", "patch1/8" all fit.
_WORD = re.compile(
    r"(?:(?P<kw>patch(?:es)?|rfc|resend|pull)-?)?"
    r"(?:v(?P<major>\d{1,6})(?:\.(?P<minor>\d{1,6}))?)?"
    r"(?:(?P<n>\d{1,6})/(?P<total>\d{1,6}))?"
)

#: hg patchbomb's "0 of 2", rewritten to "0/2" before splitting into words.
_OF = re.compile(r"(\d{1,6})\s+of\s+(\d{1,6})")

#: A version alone in a group at the very end: "... (v3)", "... [v2]".
_SUFFIX = re.compile(r"\s*[(\[]\s*[vV](\d{1,6})(?:\.(\d{1,6}))?\s*[)\]]\Z")

#: Memo of _WORD results by word; bounded, so hostile input cannot grow it.
_WORDS: dict[str, tuple | None] = {}
_WORDS_MAX = 8192
_UNSEEN = object()

_KEYWORDS = {"patch": "patch", "patches": "patch", "rfc": "rfc", "resend": "resend", "pull": "pull"}
_FORWARDS = frozenset({"fw", "fwd", "wg", "tr", "转发"})
_PULL_NOISE = frozenset({"git", "request"})


@dataclass(frozen=True, slots=True)
class Subject:
    """What a subject line says about the message; see the module docstring."""

    raw: str
    name: str
    is_reply: bool
    is_forward: bool
    is_patch: bool
    is_rfc: bool
    is_resend: bool
    is_pull: bool
    version: tuple[int, int]
    counter: int | None
    total: int | None
    tags: tuple[str, ...]

    @property
    def version_label(self) -> str:
        """"v1", "v2", "v5.1": the form people write (a ".0" is not shown)."""
        return version_label(*self.version)


def parse_subject(subject: str) -> Subject:
    """Split ``subject`` into markers, tags, version, counter and name.

    Never raises; any text (NUL, unbalanced brackets, megabytes) gives a
    Subject.  Time is bounded by ``_HEAD`` plus one linear whitespace pass.
    """
    flags: set[str] = set()
    tags: list[str] = []
    version = counter = total = None
    is_reply = is_forward = False

    # Normalise and drop the "(vN)" suffix first, so the name parses again to
    # itself: stripping the suffix last could expose a new leading item.
    text = " ".join(subject.split())
    suffix = None
    # all of them: "x (v2) (v3)" would otherwise name "x (v2)", which parses to "x"
    end = len(text)
    while end and text[end - 1] in ")]":
        found = _SUFFIX.search(text, max(0, end - 40), end)
        if found is None:
            break
        suffix = suffix or found  # the last one gives the version
        end = found.start()
    text = text[:end]

    pos, end = 0, min(len(text), _HEAD)
    while (m := _ITEM.match(text, pos, end)) is not None:
        pos = m.end()
        kind = m.lastgroup
        if kind == "reply":
            is_reply = True
            if m["reply"].lower() in _FORWARDS:
                is_forward = True
            continue
        group = m[kind].lower()
        if " of " in group:
            group = _OF.sub(r"\1/\2", group)
        words = group.replace(",", " ").split()
        if "pull" in words:  # "[GIT PULL]", "[PULL REQUEST]": all one marker
            words = [w for w in words if w not in _PULL_NOISE]
        for word in words:
            w = _WORDS.get(word, _UNSEEN)
            if w is _UNSEEN:  # same few words all archive long: remember them
                w = _WORD.fullmatch(word)
                w = w and w.groups()
                if len(_WORDS) < _WORDS_MAX:
                    _WORDS[word] = w
            if w is None:
                parts = word.split("/")
                if len(parts) > 1 and all(p in _KEYWORDS for p in parts):
                    flags.update(_KEYWORDS[p] for p in parts)  # "RFC/PATCH"
                else:
                    tags.append(word)
                continue
            kw, major, minor, n, tot = w
            if kw:
                flags.add(_KEYWORDS[kw])
            if major and version is None:
                version = (int(major), int(minor or 0))
            if n and counter is None:
                counter, total = int(n), int(tot)

    if version is None and suffix is not None:
        version = (int(suffix[1]), int(suffix[2] or 0))

    return Subject(
        raw=subject,
        name=text[pos:].lstrip(": "),
        is_reply=is_reply,
        is_forward=is_forward,
        is_patch="patch" in flags or counter is not None,
        is_rfc="rfc" in flags,
        is_resend="resend" in flags,
        is_pull="pull" in flags,
        version=version or (1, 0),
        counter=counter,
        total=total,
        tags=tuple(tags),
    )
