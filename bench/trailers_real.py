"""Trailers collected against every unquoted trailer line of a real archive.

    python bench/trailers_real.py STORE [--show 20]

STORE is a store that already holds a real list (``patchdesk ingest``).  Two
comparisons, each difference put in a class by what the reply looks like
where the line sits, so that every difference is explained:

* **replies**: every reply under a patch or cover letter (not itself a
  submission) and every line of it that starts (without ``>``) with
  ``Reviewed-by:``, ``Acked-by:`` or ``Tested-by:`` and an address, against
  the trailers patchdesk collected from that reply (on any patch).  The
  naive line reader is Patchwork's and b4's reading minus quoted lines;
  quoted lines are never the replier's, so they are not counted at all.
* **patches**: the same trailer lines in a patch's own commit message
  (above its ``---``) against the trailers patchdesk shows with source
  ``patch``.

Printed: counts per class, precision and recall of patchdesk against the
line reader, and ``--show N`` examples of each class.  A line the reader
finds and patchdesk does not is not always a miss: a trailer under a
signature line, or a line naming nobody, is rightly left out; the classes
say which is which.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from patchdesk.model import RawMail  # noqa: E402
from patchdesk.parse import parse  # noqa: E402
from patchdesk.review.quotes import split_reply  # noqa: E402
from patchdesk.store.db import open_engine  # noqa: E402
from patchdesk.store.messages import raw_of  # noqa: E402
from patchdesk.store.queries import list_series, patch_dicts  # noqa: E402
from patchdesk.store.schema import Submission, ThreadNode  # noqa: E402

TAGS = ("reviewed-by", "acked-by", "tested-by")
_LINE = re.compile(r"^\s{0,4}(Reviewed-by|Acked-by|Tested-by)\s*:\s*(.*<([^<>\s]+@[^<>\s]+)>.*)$", re.I | re.M)


def lines_of(text: str) -> set[tuple[str, str]]:
    return {(m.group(1).lower(), m.group(3).lower()) for m in _LINE.finditer(text)}


def where(body: str, key: str, email: str) -> str:
    """The segment kind holding the trailer line (why a reader may skip it)."""
    for seg in split_reply(body).segments:
        if seg.kind in ("quote", "quoted_diff"):
            continue
        if (key, email) in lines_of("\n".join(seg.lines)):
            return seg.kind
    return "not-found"


def replies_under(conn) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """reply msgid -> the submission it answers (nearest ancestor), submission
    kinds, and the replies whose parent is not in the archive (a patch sent to
    other lists only: the trailer is for a patch this store does not hold)."""
    parent, present = {}, set()
    for msgid, up, here in conn.execute(select(ThreadNode.msgid, ThreadNode.parent, ThreadNode.present)):
        parent[msgid] = up
        if here:
            present.add(msgid)
    subs = {m: k for m, k in conn.execute(select(Submission.msgid, Submission.kind))}
    out, orphans = {}, set()
    for msgid in parent:
        if msgid in subs or msgid not in present:
            continue
        node, hops = parent.get(msgid), 0
        if node and node not in present:
            orphans.add(msgid)
        while node and node not in subs and hops < 200:
            node, hops = parent.get(node), hops + 1
        if node in subs:
            out[msgid] = node
    return out, subs, orphans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store")
    ap.add_argument("--show", type=int, default=5, help="examples per difference class")
    args = ap.parse_args()
    engine = open_engine(args.store)
    start = time.perf_counter()
    with engine.connect() as conn:
        patches = patch_dicts(conn)
        series = list_series(conn, include_superseded=True)
        under, kinds, orphans = replies_under(conn)
        raws = raw_of(conn, list(under) + [p["msgid"] for p in patches])
    collected: dict[str, set] = defaultdict(set)  # source msgid -> (key, email)
    own: dict[str, set] = defaultdict(set)
    on_patch: dict[str, set] = defaultdict(set)  # patch or cover msgid -> every trailer shown there
    cover_of = {s["id"]: s["cover"] for s in series if s["cover"]}
    for p in patches:
        for t in p["trailers"]:
            ident = (t["key"].lower(), (t.get("email") or "").lower())
            if ident[0] not in TAGS:
                continue
            on_patch[p["msgid"]].add(ident)
            if p["series"] in cover_of:
                on_patch[cover_of[p["series"]]].add(ident)
            if t["source"] == "patch":
                own[p["msgid"]].add(ident)
            elif t["source"] in ("reply", "cover"):
                collected[t["msgid"]].add(ident)
    exported = {p["msgid"] for p in patches} | {s["cover"] for s in series if s["cover"]}
    with_patches = {cover_of[p["series"]] for p in patches if p["series"] in cover_of}
    classes: Counter = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    tp = fp = fn = 0

    def note(cls: str, text: str) -> None:
        classes[cls] += 1
        if len(examples[cls]) < args.show:
            examples[cls].append(text)

    for msgid in under:
        if msgid not in raws:
            continue
        raw, fmt = raws[msgid]
        body = parse(RawMail(raw, "", fmt)).body
        unquoted = "\n".join(line for line in body.split("\n") if not line.lstrip().startswith(">"))
        want = lines_of(unquoted)
        have = collected.get(msgid, set())
        tp += len(want & have)
        target = under[msgid]
        for key, email in sorted(want - have):
            fn += 1
            if msgid in orphans:
                cls = "reply missed: its parent is not in the archive"
            elif (key, email) in on_patch.get(target, ()):
                tp += 1
                fn -= 1
                note("reply same: already on the patch (its own trailer or an earlier reply)", f"{msgid} {key} {email}")
                continue
            elif target not in exported:
                cls = f"reply missed: answers a {kinds[target]} in no series"
            elif kinds[target] == "cover" and not on_patch.get(target) and target not in with_patches:
                cls = "reply missed: answers a cover letter none of whose patches is in the archive"
            else:
                cls = f"reply missed: line in {where(body, key, email)}"
            note(cls, f"{msgid} {key} {email} (answers {target})")
        for key, email in sorted(have - want):
            fp += 1
            note("reply extra: no unquoted line", f"{msgid} {key} {email}")
    ptp = pfp = pfn = 0
    for p in patches:
        if p["msgid"] not in raws:
            continue
        raw, fmt = raws[p["msgid"]]
        message = parse(RawMail(raw, "", fmt)).body.split("\n---\n", 1)[0]
        want, have = lines_of(message), own.get(p["msgid"], set())
        ptp += len(want & have)
        for ident in sorted(want - have):
            pfn += 1
            note("patch missed", f"{p['msgid']} {ident}")
        for ident in sorted(have - want):
            pfp += 1
            note("patch extra", f"{p['msgid']} {ident}")
    secs = time.perf_counter() - start
    print(f"{len(under)} replies under {len(kinds)} submissions; {len(patches)} patches; {secs:.1f} s")
    print(f"replies: patchdesk against unquoted trailer lines: precision {tp / max(tp + fp, 1):.4f} "
          f"recall {tp / max(tp + fn, 1):.4f} (same {tp}, extra {fp}, missed {fn})")
    print(f"patches: own trailers against commit-message lines: precision {ptp / max(ptp + pfp, 1):.4f} "
          f"recall {ptp / max(ptp + pfn, 1):.4f} (same {ptp}, extra {pfp}, missed {pfn})")
    for cls, count in classes.most_common():
        print(f"  {count:6d}  {cls}")
        for example in examples[cls]:
            print(f"          {example}")


if __name__ == "__main__":
    main()
