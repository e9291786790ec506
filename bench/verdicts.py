"""Prose-verdict precision and recall on real, hand-labelled replies.

    python bench/verdicts.py [--set FILE ...] [--show-errors]

With no ``--set``: the first set (``tests/data/verdicts/passages.jsonl``,
labelled under the rules' first edition), the same replies labelled again
under the second edition (``passages-second-edition.jsonl``), and each list
labelled under the second edition (``tests/data/verdicts/lists/*.jsonl``,
see ``RULES.md``), each reported on its own, then the second-edition lists
together.  Beside
patchdesk, a keyword baseline on the same replies: a verdict word in the
author's own (not ``>``) lines (applied/queued/picked up/merged; NAK/NACK;
please/resend/respin/should/need to/must; ignore/withdraw/superseded).

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
import re
import json
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patchdesk.review.verdicts import KINDS, find_verdicts  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "verdicts" / "passages.jsonl"


def _who_may(passage: dict, found: set[tuple[str, bool]]) -> set[tuple[str, bool]]:
    """As the state machine reads them: withdrawn only from the patch's
    author, a change request or a NAK only from someone else."""
    author = bool(passage.get("from_is_patch_author"))
    return {f for f in found if (f[0] != "withdrawn" or author)
            and (f[0] not in ("changes-requested", "nak") or not author)}


def predict(passage: dict) -> set[tuple[str, bool]]:
    return _who_may(passage, {(v.kind, v.negated) for v in find_verdicts(passage["body"])})


_KEYWORDS = {
    "applied": re.compile(r"\b(?:applied|queued|picked up|merged)\b", re.I),
    "nak": re.compile(r"\bna?ck(?:ed)?\b", re.I),
    "changes-requested": re.compile(r"\b(?:please|re-?send|re-?spin|should|need to|must)\b", re.I),
    "withdrawn": re.compile(r"\b(?:ignore|withdraw\w*|superseded)\b", re.I),
}


def keyword_baseline(passage: dict) -> set[tuple[str, bool]]:
    own = _baseline(passage["body"])
    return _who_may(passage, {(kind, False) for kind, rx in _KEYWORDS.items() if rx.search(own)})


def truth(passage: dict) -> set[tuple[str, bool]]:
    return {(label["kind"], bool(label["negated"])) for label in passage["labels"]}


def held_out(passage: dict) -> bool:
    return zlib.crc32(passage["id"].encode()) % 2 == 1


def score(passages: list[dict], reader=None) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    errors = []
    for p in passages:
        want, got = truth(p), (reader or predict)(p)
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


def _summary(name: str, result: dict, baseline: dict) -> str:
    def pr(r, key=None):
        keys = [key] if key else None
        t = sum(v for k, v in r["tp"].items() if keys is None or k in keys)
        f = sum(v for k, v in r["fp"].items() if keys is None or k in keys)
        n = sum(v for k, v in r["fn"].items() if keys is None or k in keys)
        return (t / (t + f) if t + f else float("nan"), t / (t + n) if t + n else float("nan"))
    p, r = pr(result)
    bp, br = pr(baseline)
    _, cr = pr(result, ("changes-requested", False))
    _, bcr = pr(baseline, ("changes-requested", False))
    return (f"{name:<34}{p:>7.3f}{r:>7.3f}{cr:>9.3f}   |{bp:>7.3f}{br:>7.3f}{bcr:>9.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, action="append")
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args()
    sets = args.set or [DEFAULT, DEFAULT.parent / "passages-second-edition.jsonl",
                        *sorted((DEFAULT.parent / "lists").glob("*.jsonl"))]
    loaded = {path: [json.loads(line) for line in path.read_text().splitlines() if line.strip()] for path in sets}
    passages = [p for group in loaded.values() for p in group]
    for path, group in loaded.items():
        print(f"\n==== {path.name}: {len(group)} labelled passages")
        everything = score(group)
        report("all passages (patchdesk)", everything)
        report("keyword baseline, same passages", score(group, keyword_baseline))
        report("held-out half (patchdesk; id hashes odd, never read while tuning)",
               score([p for p in group if held_out(p)]))
        if args.show_errors:
            for what, key, p in everything["errors"]:
                print(f"\n--- {what} {key} {p['id']} from_is_author={p.get('from_is_patch_author')}")
                for label in p["labels"]:
                    print(f"    label: {label['kind']} neg={label['negated']}: {label['evidence'][:160]!r}")
                for v in find_verdicts(p["body"]):
                    print(f"    found: {v.kind} neg={v.negated}: {v.text[:160]!r}")
    second = [p for path, group in loaded.items() if path.parent.name == "lists" for p in group]
    print(f"\n{'summary':<34}{'P':>7}{'R':>7}{'R(cr)':>9}   |{'kw P':>7}{'kw R':>7}{'kw R(cr)':>9}")
    for path, group in loaded.items():
        print(_summary(path.stem, score(group), score(group, keyword_baseline)))
        odd = [p for p in group if held_out(p)]
        print(_summary(f"  {path.stem} held-out half", score(odd), score(odd, keyword_baseline)))
    if second:
        print(_summary("second-edition lists together", score(second), score(second, keyword_baseline)))
        odd = [p for p in second if held_out(p)]
        print(_summary("  together, held-out half", score(odd), score(odd, keyword_baseline)))
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
