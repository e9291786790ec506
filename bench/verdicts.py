"""Prose-verdict precision and recall on real, hand-labelled replies.

    python bench/verdicts.py [--set tests/data/verdicts/passages.jsonl] [--show-errors]

Each passage's whole body goes through the quote splitter and the verdict
reader, as at ingest.  A predicted (kind, negated) counts as right when the
passage carries that label; ``withdrawn`` is kept only when the sender is
the patch's author, as the state machine does.  Figures are printed per
kind (positive and negated apart), for all passages and for the held-out
half (passages whose id hashes odd: the patterns were written before the
set was read, then tuned on the even half only).  Also a speed figure:
passages per second, with a ratio against a plain ``'>'`` line filter run
in the same process (the cheapest possible reader).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patchdesk.review.verdicts import KINDS, find_verdicts  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "verdicts" / "passages.jsonl"


def predict(passage: dict) -> set[tuple[str, bool]]:
    found = {(v.kind, v.negated) for v in find_verdicts(passage["body"])}
    if not passage.get("from_is_patch_author"):
        found = {f for f in found if f[0] != "withdrawn"}
    return found


def truth(passage: dict) -> set[tuple[str, bool]]:
    return {(label["kind"], bool(label["negated"])) for label in passage["labels"]}


def held_out(passage: dict) -> bool:
    return zlib.crc32(passage["id"].encode()) % 2 == 1


def score(passages: list[dict]) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    errors = []
    for p in passages:
        want, got = truth(p), predict(p)
        for key in got & want:
            tp[key] += 1
        for key in got - want:
            fp[key] += 1
            errors.append(("FP", key, p))
        for key in want - got:
            fn[key] += 1
            errors.append(("FN", key, p))
    return {"tp": tp, "fp": fp, "fn": fn, "errors": errors}


def report(title: str, result: dict) -> None:
    tp, fp, fn = result["tp"], result["fp"], result["fn"]
    print(f"\n{title}")
    print(f"{'kind':<28}{'labels':>7}{'found':>7}{'right':>7}{'precision':>11}{'recall':>8}")
    rows = [(k, False) for k in KINDS] + [(k, True) for k in KINDS]
    for key in rows + [None]:
        if key is None:
            t, f, n, name = sum(tp.values()), sum(fp.values()), sum(fn.values()), "all"
        else:
            t, f, n = tp[key], fp[key], fn[key]
            name = key[0] + (" (negated)" if key[1] else "")
            if not (t or f or n):
                continue
        precision = t / (t + f) if t + f else float("nan")
        recall = t / (t + n) if t + n else float("nan")
        print(f"{name:<28}{t + n:>7}{t + f:>7}{t:>7}{precision:>11.3f}{recall:>8.3f}")


def _baseline(body: str) -> str:
    return "\n".join(line for line in body.split("\n") if not line.startswith(">"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=DEFAULT)
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()
    passages = [json.loads(line) for line in args.set.read_text().splitlines() if line.strip()]
    print(f"{len(passages)} labelled passages from {args.set}")
    everything = score(passages)
    report("all passages", everything)
    report("held-out half (not used for tuning)", score([p for p in passages if held_out(p)]))
    if args.show_errors:
        for what, key, p in everything["errors"]:
            print(f"\n--- {what} {key} {p['id']} from_is_author={p.get('from_is_patch_author')}")
            for label in p["labels"]:
                print(f"    label: {label['kind']} neg={label['negated']}: {label['evidence'][:160]!r}")
            for v in find_verdicts(p["body"]):
                print(f"    found: {v.kind} neg={v.negated}: {v.text[:160]!r}")
    rounds = 5
    start = time.perf_counter()
    for _ in range(rounds):
        for p in passages:
            find_verdicts(p["body"])
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(rounds):
        for p in passages:
            _baseline(p["body"])
    base = time.perf_counter() - start
    n = rounds * len(passages)
    print(f"\nspeed: {n / ours:,.0f} passages/s; '>'-filter baseline {n / base:,.0f}/s; "
          f"ratio {ours / base:.1f}x the baseline's time")


if __name__ == "__main__":
    main()
