"""What changed between two judgements of the same mail: two ``patchdesk export`` files.

    python bench/export_diff.py BEFORE.json AFTER.json [--show 10]

Made with the code before and after a change (``git worktree``, then
``patchdesk --db STORE export > X.json`` in each), this makes a before/after
comparison repeatable: series and patch states that moved (counted by
from -> to), version links gained and lost, trailers and verdicts gained and
lost per kind, objection statuses that moved.  Patches are matched by
Message-ID, series by their first patch's Message-ID (ids may differ).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _series_key(series: dict) -> str:
    return series["cover"] or (series["patches"][0] if series["patches"] else f"#{series['id']}")


def _links(data: dict) -> set[tuple[str, str]]:
    by_id = {s["id"]: _series_key(s) for s in data["series"]}
    return {(by_id[s["previous"]], _series_key(s)) for s in data["series"] if s.get("previous") in by_id}


def _marks(patch: dict) -> dict[str, Counter]:
    return {"trailers": Counter(f"{t['key']} {t.get('email') or t['value']}" for t in patch["trailers"]),
            "verdicts": Counter(f"{'not ' if v['negated'] else ''}{v['kind']} by {v.get('by_email', '')}"
                                for v in patch["verdicts"]),
            "objections": Counter(f"{o['kind']} by {o.get('by_email', '')}: {o['status']}"
                                  for o in (patch.get("continuity") or {}).get("objections", []))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--show", type=int, default=10, help="examples per kind of change")
    args = ap.parse_args()
    old, new = _load(args.before), _load(args.after)
    print(f"messages {old['messages']:,} -> {new['messages']:,}; series {len(old['series']):,} -> "
          f"{len(new['series']):,}; patches {len(old['patches']):,} -> {len(new['patches']):,}")
    series_old = {_series_key(s): s for s in old["series"]}
    series_new = {_series_key(s): s for s in new["series"]}
    moved = Counter((series_old[k]["state"], series_new[k]["state"]) for k in series_old.keys() & series_new.keys()
                    if series_old[k]["state"] != series_new[k]["state"])
    print(f"\nseries states moved: {sum(moved.values())}")
    for (a, b), n in moved.most_common():
        print(f"  {n:6d}  {a} -> {b}")
    patches_old = {p["msgid"]: p for p in old["patches"]}
    patches_new = {p["msgid"]: p for p in new["patches"]}
    both = sorted(patches_old.keys() & patches_new.keys())
    pmoved = Counter((patches_old[m]["state"], patches_new[m]["state"]) for m in both
                     if patches_old[m]["state"] != patches_new[m]["state"])
    print(f"\npatch states moved: {sum(pmoved.values())} (of {len(both):,} patches in both)")
    examples: dict[tuple[str, str], list[str]] = {}
    for m in both:
        key = (patches_old[m]["state"], patches_new[m]["state"])
        if key[0] != key[1] and len(examples.setdefault(key, [])) < args.show:
            examples[key].append(f"{m}  {patches_new[m]['subject'][:70]}  ({patches_new[m]['state_reason'][:60]})")
    for key, n in pmoved.most_common():
        print(f"  {n:6d}  {key[0]} -> {key[1]}")
        for line in examples[key]:
            print(f"            {line}")
    links_old, links_new = _links(old), _links(new)
    print(f"\nversion links: {len(links_old):,} -> {len(links_new):,}; gained {len(links_new - links_old)}, "
          f"lost {len(links_old - links_new)}")
    for what, diff in (("gained", sorted(links_new - links_old)), ("lost", sorted(links_old - links_new))):
        for a, b in diff[:args.show]:
            print(f"  {what}: {a} -> {b}")
    for kind in ("trailers", "verdicts", "objections"):
        gained: Counter = Counter()
        lost: Counter = Counter()
        for m in both:
            a, b = _marks(patches_old[m])[kind], _marks(patches_new[m])[kind]
            gained.update((b - a).keys())
            lost.update((a - b).keys())
        print(f"\n{kind}: gained {sum(gained.values())}, lost {sum(lost.values())}")
        for label, counts in (("+", gained), ("-", lost)):
            for text, n in counts.most_common(args.show):
                print(f"  {label}{n:5d}  {text}")


if __name__ == "__main__":
    main()
