"""Review continuity across versions: what still applies when vN+1 arrives.

Two questions a maintainer asks of a new version:

* Did the author address the objections?  Said only as far as the
  evidence goes, never a confident wrong word:
  - the patch is unchanged: ``open``;
  - the author's changelog (the cover's for this patch, or the patch's own
    notes) names the reviewer ("3/3: ms, not s (Maria)"): ``addressed``;
  - a NAK or change request made in an inline review sits under the quoted
    hunk it is about: all those quoted changed lines gone is ``addressed``;
    some gone is ``unknown`` (the point may have been elsewhere); all still
    there is ``open`` only when the patch's changed lines are the same, else
    ``unknown`` (it may have been fixed in another file);
  - a comment on no particular hunk, the patch changed: ``unknown``.
* Were trailers lost?  A Reviewed-by given on vN still holds for an
  unchanged vN+1 (same patch-id): it is carried forward, and listed as
  ``dropped`` when the author did not put it into the new mail themselves
  (the "lost Reviewed-by" that costs a re-post).  When the patch changed,
  earlier trailers are not carried: the reviewer has not seen the change.
"""

from __future__ import annotations

from typing import Any

import re
from dataclasses import dataclass

from ..series.kinds import line_hash

#: Trailers that vouch for the code; carried only to an identical patch.
CARRIED_KEYS = ("Acked-by", "Reviewed-by", "Tested-by")
OBJECTIONS = ("nak", "changes-requested")


@dataclass(frozen=True, slots=True)
class Prior:
    """What the previous version of a patch had collected."""

    msgid: str
    patch_id: str
    paths: tuple[str, ...]
    lines: frozenset[int]
    trailers: tuple[dict[str, Any], ...]
    objections: tuple[dict[str, Any], ...]


def _quoted_hashes(about: list[Any], paths: tuple[str, ...], lines: frozenset[int]) -> set[int]:
    """The quoted changed lines that really are lines of the old patch."""
    found = set()
    for path, sign, text in about:
        if len("".join(text.split())) < 4:
            continue
        for candidate in ([path] if path else []) + [p for p in paths if p != path]:
            h = line_hash(candidate, sign, text)
            if h in lines:
                found.add(h)
                break
    return found


def _names(objection: dict[str, Any]) -> list[str]:
    """How a changelog may name the objector: full name, first name, address."""
    name = " ".join(str(objection.get("by", "")).split())
    email = str(objection.get("by_email", ""))
    out = [name] if " " in name else []
    first = name.split(" ")[0] if name else ""
    out += [first] if len(first) >= 3 and "@" not in first else []
    return out + ([email] if email else [])


def credited_in(changelog: tuple[str, ...], objection: dict[str, Any]) -> str:
    """The changelog line naming the objector, or ""."""
    names = _names(objection)
    if not names:
        return ""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b", re.I)
    return next((line for line in changelog if pattern.search(line)), "")


def objection_status(objection: dict[str, Any], prior: Prior, patch_id: str, lines: frozenset[int],
                     changelog: tuple[str, ...] = ()) -> tuple[str, str]:
    """(status, why) of one NAK / change request on the previous version."""
    if prior.patch_id and prior.patch_id == patch_id:
        return "open", "the patch is unchanged"
    said = credited_in(changelog, objection)
    if said:
        return "addressed", f'the changelog says: "{said}"'
    quoted = _quoted_hashes(objection.get("about", []), prior.paths, prior.lines)
    if not quoted:
        return "unknown", "the patch changed; the comment quotes no hunk"
    gone = [h for h in quoted if h not in lines]
    if len(gone) == len(quoted):
        return "addressed", f"all {len(quoted)} quoted changed lines are gone"
    if gone:
        return "unknown", f"{len(gone)} of {len(quoted)} quoted changed lines are gone"
    if lines == prior.lines:
        return "open", f"all {len(quoted)} quoted changed lines are still there, and no other changed"
    return "unknown", f"all {len(quoted)} quoted changed lines are still there, but the patch changed elsewhere"


def carry_forward(prior: Prior, patch_id: str, own: list[dict[str, Any]]
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """(carried trailers, dropped trailers, summary) for the next version."""
    unchanged = bool(prior.patch_id) and prior.patch_id == patch_id
    if not unchanged:
        return [], [], {"previous": prior.msgid, "patch_unchanged": False}
    have = {(t["key"], t["email"].lower()) for t in own}
    carried, dropped = [], []
    for t in prior.trailers:
        if t["key"] not in CARRIED_KEYS:
            continue
        ident = (t["key"], t["email"].lower())
        if ident in have:
            continue
        have.add(ident)
        carried.append({**t, "source": "carried", "carried_from": t.get("carried_from") or prior.msgid})
        dropped.append({"key": t["key"], "value": t["value"], "given_on": t.get("msgid", prior.msgid)})
    return carried, dropped, {"previous": prior.msgid, "patch_unchanged": True}
