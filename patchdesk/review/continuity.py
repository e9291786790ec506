"""Review continuity across versions: what still applies when vN+1 arrives.

Two questions a maintainer asks of a new version:

* Did the author address the objections?  A NAK or change request made in
  an inline review sits under the quoted hunk it is about.  If those quoted
  changed lines are gone from the new version, the hunk changed
  (``addressed``); if they are all still there, it is ``open``; a comment
  on no particular hunk is ``open`` when the patch is unchanged and
  ``unknown`` otherwise (something changed, but maybe not that).
* Were trailers lost?  A Reviewed-by given on vN still holds for an
  unchanged vN+1 (same patch-id): it is carried forward, and listed as
  ``dropped`` when the author did not put it into the new mail themselves
  (the "lost Reviewed-by" that costs a re-post).  When the patch changed,
  earlier trailers are not carried: the reviewer has not seen the change.
"""

from __future__ import annotations

from typing import Any

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


def objection_status(objection: dict[str, Any], prior: Prior, patch_id: str, lines: frozenset[int]) -> tuple[str, str]:
    """(status, why) of one NAK / change request on the previous version."""
    if prior.patch_id and prior.patch_id == patch_id:
        return "open", "the patch is unchanged"
    quoted = _quoted_hashes(objection.get("about", []), prior.paths, prior.lines)
    if not quoted:
        return "unknown", "the patch changed; the comment quotes no hunk"
    gone = [h for h in quoted if h not in lines]
    if gone:
        return "addressed", f"{len(gone)} of {len(quoted)} quoted changed lines are gone"
    return "open", f"all {len(quoted)} quoted changed lines are still there"


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
