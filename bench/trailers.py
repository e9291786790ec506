"""Trailers per patch against synth.py's truth, and against a naive reader.

    python bench/trailers.py CORPUS.mbox CORPUS.truth.jsonl [--db STORE] [--jobs N]

Ingests a ``../shared/tools/synth.py`` corpus into a fresh SQLite store (or
reuses ``--db``), then compares each patch's collected review trailers
(Reviewed-by, Acked-by, Tested-by: what synth.py moves from the commits into
reply mails) with ``expected_trailers`` of the truth file.  A trailer is
right when key and address match.

The baseline, run in the same process on the same threads: the reading
Patchwork and b4 do, every line of a reply body that starts with a trailer
counts, quoted or not (a reply quoting an earlier review re-gives it).
Printed: precision and recall of both, the time of the review stage and
its ratio against the series stage it follows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from patchdesk.model import RawMail  # noqa: E402
from patchdesk.parse import parse  # noqa: E402
from patchdesk.pipeline.ingest import ingest  # noqa: E402
from patchdesk.store.db import open_engine  # noqa: E402
from patchdesk.store.messages import raw_of  # noqa: E402
from patchdesk.store.queries import patch_dicts  # noqa: E402
from patchdesk.pipeline.review import review_everything  # noqa: E402
from patchdesk.store.schema import Message, Submission, ThreadNode  # noqa: E402
from patchdesk.pipeline.series import refresh_dirty  # noqa: E402
from patchdesk.store.series import all_senders, mark_dirty  # noqa: E402

TAGS = ("Reviewed-by", "Acked-by", "Tested-by")
_ADDR = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_NAIVE = re.compile(r"^(Reviewed-by|Acked-by|Tested-by):\s*(.+)$", re.M | re.I)


def _key(key: str, value: str) -> tuple[str, str]:
    m = _ADDR.search(value)
    return key.lower(), (m.group(1) if m else value).strip().lower()


def truth(path: Path) -> tuple[dict[str, set], dict[str, list[str]]]:
    """msgid -> expected trailers, and truth series -> msgids per version in order."""
    out, versions = {}, defaultdict(list)
    for line in path.read_text().splitlines():
        version = json.loads(line)
        msgids = [p["msgid"].strip("<>") for p in version["patches"]]
        versions[version["series"]].append((version["version"], msgids))
        for p, msgid in zip(version["patches"], msgids):
            out[msgid] = {_key(*t.split(": ", 1)) for t in p["expected_trailers"]}
    return out, {s: [m for _, m in sorted(vs)] for s, vs in versions.items()}


def clean(conn, expected: dict[str, set], versions: dict) -> dict[str, set]:
    """The truth without synth.py's artefacts (see docs/benchmarks.md):

    * series whose versions are not dated in version order (synth.py dates
      each earlier version on its own, so v2 may precede v1; carrying
      trailers "forward" then runs backwards) are left out;
    * review trailers that synth.py left in the posted patch (it only
      removes those it could parse from the commit, and a trailer block
      holding a ``[ name: note ]`` line is not parsed) are added: they are
      in the mail, verbatim, before the ``---`` line.
    """
    dates = {m: d for m, d in conn.execute(select(Message.msgid, Message.date)) if d is not None}
    out = {}
    for msgids in versions.values():
        firsts = [min((dates[m] for m in ms if m in dates), default=None) for ms in msgids]
        if None in firsts or any(b <= a for a, b in zip(firsts, firsts[1:])):
            continue
        for ms in msgids:
            out.update({m: set(expected[m]) for m in ms})
    for msgid, (raw, fmt) in raw_of(conn, list(out)).items():
        message = parse(RawMail(raw, "", fmt)).body.split("\n---\n", 1)[0]
        out[msgid] |= {_key(k, v) for k, v in _NAIVE.findall(message)}
    return out


def ours(conn) -> dict[str, set]:
    return {p["msgid"]: {_key(t["key"], t["value"]) for t in p["trailers"] if t["key"] in TAGS}
            for p in patch_dicts(conn)}


def naive(conn, patches: dict[str, set]) -> dict[str, set]:
    """Patchwork/b4 reading on the same threads: whole reply bodies."""
    children = defaultdict(list)
    for msgid, parent in conn.execute(select(ThreadNode.msgid, ThreadNode.parent)):
        if parent:
            children[parent].append(msgid)
    subs = {m: (sid, number) for m, sid, number in conn.execute(
        select(Submission.msgid, Submission.series_id, Submission.number))}
    covers = defaultdict(set)  # series -> trailers given to the cover
    under: dict[str, list[str]] = {}
    for msgid, (sid, number) in subs.items():
        todo, found = list(children.get(msgid, ())), []
        while todo:
            node = todo.pop()
            if node in subs:
                continue
            found.append(node)
            todo.extend(children.get(node, ()))
        under[msgid] = found
    bodies = {}
    wanted = {m for found in under.values() for m in found}
    for msgid, (raw, fmt) in raw_of(conn, list(wanted)).items():
        bodies[msgid] = parse(RawMail(raw, "", fmt)).body
    got = {}
    for msgid, (sid, number) in subs.items():
        tags = {_key(k.title().replace("-By", "-by"), v) for m in under[msgid]
                for k, v in _NAIVE.findall(bodies.get(m, ""))}
        if number == 0:
            covers[sid] |= tags
        got[msgid] = tags
    for msgid, (sid, number) in subs.items():
        if number:
            got[msgid] = got[msgid] | covers[sid]
    return {m: got.get(m, set()) for m in patches}


def score(expected: dict[str, set], found: dict[str, set]) -> tuple[float, float, int, int, int]:
    tp = fp = fn = 0
    for msgid, want in expected.items():
        have = found.get(msgid, set())
        tp += len(want & have)
        fp += len(have - want)
        fn += len(want - have)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), tp, fp, fn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mbox", type=Path)
    ap.add_argument("truth", type=Path)
    ap.add_argument("--db", help="store to (re)use (default: a fresh SQLite file)")
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    engine = open_engine(args.db or str(Path(tmp.name) / "trailers.db"))
    start = time.perf_counter()
    summary = ingest(engine, [args.mbox], jobs=args.jobs)  # known mail is skipped
    print(f"ingest: {summary.read} read, {summary.stored} new in {time.perf_counter() - start:.1f} s")
    with engine.begin() as conn:
        mark_dirty(conn, all_senders(conn))
    start = time.perf_counter()
    refresh_dirty(engine)
    series_secs = time.perf_counter() - start
    start = time.perf_counter()
    judged = review_everything(engine)
    review_secs = time.perf_counter() - start
    expected, versions = truth(args.truth)
    with engine.connect() as conn:
        mine = ours(conn)
        start = time.perf_counter()
        theirs = naive(conn, expected)
        naive_secs = time.perf_counter() - start
        cleaned = clean(conn, expected, versions)
    known = {m: t for m, t in expected.items() if m in mine}
    for title, wanted in (("truth as written", known), ("clean truth", cleaned)):
        print(f"{title}: {len(wanted)} patches, {sum(len(t) for t in wanted.values())} expected trailers")
        for name, found in (("  patchdesk", mine), ("  naive (whole body)", theirs)):
            p, r, tp, fp, fn = score(wanted, found)
            print(f"{name:<22} precision {p:.4f}  recall {r:.4f}   (right {tp}, wrong {fp}, missed {fn})")
    print(f"review stage: {judged} series in {review_secs:.1f} s; series stage {series_secs:.1f} s; "
          f"ratio {review_secs / max(series_secs, 1e-9):.2f}x; naive reader {naive_secs:.1f} s")


if __name__ == "__main__":
    main()
