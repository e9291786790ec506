#!/usr/bin/env python3
"""Accuracy and speed of series grouping, version links and superseded states.

    bench/lineage.py --git-dir GIT_DIR --range RANGE [--min-messages N] [--seed S] [--work DIR]
    bench/lineage.py --mbox OUT.mbox --truth OUT.truth.jsonl [--seed S] [--work DIR]
    (also: --per-kind N hard cases per kind, default 30; --samples N mistakes to print)

Ground truth comes from /work/shared/tools/synth.py (run here when --git-dir is
given): an mbox built from real commits, and one JSON record per series
version with its patches' Message-IDs and commits, the logical ``series`` id
shared by all versions, ``version`` and ``final``.

Two corpora are measured, each in a fresh SQLite store:

* main: the synthetic mbox as it is;
* hard: the same mbox with the last version of some series rewritten
  (re-titled, reordered, a patch split in two, a patch dropped or added;
  see bench/lineage_hard.py), written to WORK/hard.mbox + hard.truth.jsonl.

Each corpus is cut by message order into its first 99% and last 1%, and both
parts are ingested one after the other with ``python -m patchdesk --db DB
ingest PART --json`` (a subprocess of this interpreter: run the script with
the venv's python).  The first ingest is the speed figure; the second shows
what an incremental update costs.  The time spent in series assembly and
lineage (``refresh_dirty``, run at the end of every ingest) is measured
inside the subprocess by wrapping that function; "60k estimate" scales the
first ingest (whole and series+lineage) linearly to 60,000 messages.  Then ``patchdesk export`` is
compared with the truth (Message-IDs without angle brackets):

grouping      pairwise over patch Message-IDs: two patches of one truth
              series-version should share a patchdesk series (recall), two
              patches sharing a patchdesk series should be of one truth
              series-version (precision).  "exact": share of truth
              series-versions whose patchdesk series has exactly their
              patches and cover letter.
version links truth pairs are consecutive versions of one series.  A truth
              version maps to the patchdesk series holding most of its
              patches, a patchdesk series to the truth version holding most
              of its patches (else its cover's).  Recall: the newer one's
              ``previous`` is the older one's series.  Precision: a patchdesk
              ``previous`` link is right when its two ends map to consecutive
              versions of one truth series.
patch links   ``superseded_by`` pairs against pairs of patches with the same
              commit in consecutive versions (a split patch pairs with both
              halves).
superseded    patches in state "superseded" against the patches of
              non-final truth versions.
clean         the same figures leaving out "unclean" truth series, artefacts
              of synth.py: versions not dated in version order (it draws each
              earlier version's date on its own, so v2 can precede v1, and a
              tracker may fairly read such a v1 as a resend) and sends whose
              patches span a day or more (a final version keeps its commits'
              author dates, so one "send" can spread over weeks).
hard rows     per kind: was the (previous -> rewritten) version link made
              (or a wrong one, or none), its patch pairs, and how many of
              the previous version's patches are superseded.

Stdlib only.  With --samples N, N wrong and N missed links of each corpus are
printed with their series names, for reading.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lineage_hard  # noqa: E402
from lineage_metrics import Score  # noqa: E402

SYNTH = Path("/work/shared/tools/synth.py")
TARGETS = {"grouping": ">= 0.99", "links_p": ">= 0.99", "links_r": ">= 0.97", "speed": "< 30 s"}
WRAP = r"""
import runpy, sys, time
try:
    import patchdesk.pipeline.ingest as pipeline
    inner = pipeline.refresh_dirty
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            sys.stderr.write(f"\nbench-lineage-seconds {time.perf_counter() - started:.3f}\n")
    pipeline.refresh_dirty = timed
except (ImportError, AttributeError):
    pass
runpy.run_module("patchdesk", run_name="__main__", alter_sys=True)
"""


def run_synth(args, work: Path) -> tuple[Path, Path]:
    out = work / "synth"
    cmd = [sys.executable, str(args.synth), "--git-dir", args.git_dir, "--range", args.range,
           "--out", str(out), "--seed", str(args.seed), "--min-messages", str(args.min_messages)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    print(f"synth.py: {done.stderr.strip()}  ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    if not Path(f"{out}.mbox").exists():
        sys.exit(f"synth.py failed ({done.returncode})")
    return Path(f"{out}.mbox"), Path(f"{out}.truth.jsonl")


def patchdesk(db: Path, *args: str, wrap: bool = False) -> tuple[subprocess.CompletedProcess, float]:
    cmd = [sys.executable, "-c", WRAP] if wrap else [sys.executable, "-m", "patchdesk"]
    started = time.perf_counter()
    done = subprocess.run(cmd + ["--db", str(db), *args], capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"patchdesk {args[0]} failed ({done.returncode}):\n"
                 f"{done.stderr.decode(errors='replace')[-3000:]}")
    return done, elapsed


def ingest(db: Path, mbox: Path) -> dict:
    done, elapsed = patchdesk(db, "ingest", str(mbox), "--json", wrap=True)
    summary = json.loads(done.stdout)
    found = re.findall(rb"bench-lineage-seconds ([0-9.]+)", done.stderr)
    summary["wall"] = elapsed
    summary["lineage"] = sum(float(x) for x in found) if found else None
    return summary


def measure(name: str, raws: list[bytes], truth: list[dict], work: Path) -> dict:
    """Ingest 99% + 1% into a fresh store, export, score."""
    cut = len(raws) - max(1, len(raws) // 100)
    head, tail, db = work / f"{name}.head.mbox", work / f"{name}.tail.mbox", work / f"{name}.db"
    lineage_hard.write_mbox(head, raws[:cut])
    lineage_hard.write_mbox(tail, raws[cut:])
    for p in work.glob(f"{name}.db*"):
        p.unlink()
    print(f"[{name}] ingesting {cut} + {len(raws) - cut} messages ...", file=sys.stderr)
    first, second = ingest(db, head), ingest(db, tail)
    done, _ = patchdesk(db, "export")
    export = json.loads(done.stdout)
    (work / f"{name}.export.json").write_bytes(done.stdout)
    score = Score(truth, export)
    return {"name": name, "messages": len(raws), "first": first, "second": second,
            "stored": first["stored"] + second["stored"], "score": score,
            "grouping": score.grouping(), "links": score.links(),
            "patch_links": score.patch_links(), "superseded": score.superseded(),
            "clean": {"grouping": score.grouping(score.unclean), "links": score.links(score.unclean),
                      "patch_links": score.patch_links(score.unclean)}}


def ratio(pair) -> str:
    good, total = pair
    return f"{good / total:.4f} ({good}/{total})" if total else "- (0/0)"


def report(results: list[dict], samples: int) -> None:
    width = 28
    head = f"{'figure':<30}" + "".join(f"{r['name']:<{width}}" for r in results) + "target"
    print(head)
    print("-" * len(head))

    def row(label, cells, target=""):
        print(f"{label:<30}" + "".join(f"{c:<{width}}" for c in cells) + target)

    row("grouping precision", [ratio(r["grouping"]["precision"]) for r in results], TARGETS["grouping"])
    row("grouping recall", [ratio(r["grouping"]["recall"]) for r in results], TARGETS["grouping"])
    row("series-versions exact", [ratio(r["grouping"]["exact"]) for r in results])
    row("truth patches unseen/extra", [f"{r['grouping']['unseen']} / {r['grouping']['extra']}"
                                       for r in results])
    row("version links precision", [ratio(r["links"]["precision"]) for r in results], TARGETS["links_p"])
    row("version links recall", [ratio(r["links"]["recall"]) for r in results], TARGETS["links_r"])
    row("patch links precision", [ratio(r["patch_links"]["precision"]) for r in results])
    row("patch links recall", [ratio(r["patch_links"]["recall"]) for r in results])
    row("superseded precision", [ratio(r["superseded"]["precision"]) for r in results])
    row("superseded recall", [ratio(r["superseded"]["recall"]) for r in results])
    row("series left out as unclean", [f"{len(r['score'].unclean)} of {len(r['score'].versions)}"
                                       for r in results])
    row("  dated out of order / wide", [f"{len(r['score'].disordered)} / {len(r['score'].wide)}"
                                        for r in results])
    clean = [r["clean"] for r in results]
    row(" clean: grouping precision", [ratio(c["grouping"]["precision"]) for c in clean], TARGETS["grouping"])
    row(" clean: grouping recall", [ratio(c["grouping"]["recall"]) for c in clean], TARGETS["grouping"])
    row(" clean: version links P", [ratio(c["links"]["precision"]) for c in clean], TARGETS["links_p"])
    row(" clean: version links R", [ratio(c["links"]["recall"]) for c in clean], TARGETS["links_r"])
    row(" clean: patch links P", [ratio(c["patch_links"]["precision"]) for c in clean])
    row(" clean: patch links R", [ratio(c["patch_links"]["recall"]) for c in clean])
    row("messages (stored)", [f"{r['messages']} ({r['stored']})" for r in results])
    row("ingest s (first 99%)", [f"{r['first']['wall']:.1f}" for r in results])
    row("  of which series+lineage s", [secs(r["first"]["lineage"]) for r in results])
    row("messages/s", [f"{r['first']['read'] / r['first']['wall']:.0f}" for r in results])
    row("incremental s (last 1%)", [f"{r['second']['wall']:.1f} ({r['second']['read']} msgs)"
                                    for r in results])
    row("  of which series+lineage s", [secs(r["second"]["lineage"]) for r in results])
    row("60k estimate s (all/series)", [
        f"{est(r, r['first']['wall'])} / {est(r, r['first']['lineage'])}" for r in results],
        TARGETS["speed"] + " (series+lineage)")
    hard = next((r for r in results if r["name"] == "hard"), None)
    if hard:
        print()
        print(f"{'hard case':<13}{'series':>7}{'linked':>8}{'wrong':>7}{'none':>6}"
              f"{'patch pairs':>14}{'false pairs':>13}{'old superseded':>16}")
        rows = hard["score"].hard()
        for kind in lineage_hard.KINDS:
            r = rows.get(kind)
            if r:
                print(f"{kind:<13}{r['series']:>7}{r['linked']:>8}{r['wrong']:>7}{r['missed']:>6}"
                      f"{r['pairs']:>8}/{r['pairs_want']:<5}{r['pairs_false']:>13}"
                      f"{r['sup']:>10}/{r['sup_want']:<5}")
    for r in results if samples else []:
        only = None
        if r["name"] == "hard":
            only = {k[0] for k, t in r["score"].truth.items() if "hard" in t}
        wrong, missed, n_wrong, n_missed = r["score"].mistakes(samples, only, r["score"].unclean)
        print(f"\n[{r['name']}] {n_wrong} wrong links, {n_missed} missed"
              + (" in hard-case series" if only else "") + " (unclean series left out)")
        for text in wrong + missed:
            print(text)


def secs(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def est(r, seconds) -> str:
    return "-" if seconds is None else f"{seconds * 60000 / r['first']['read']:.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--git-dir", help="repository for synth.py (bare is fine)")
    ap.add_argument("--range", help="commit range for synth.py, e.g. v2.15.0..master")
    ap.add_argument("--min-messages", type=int, default=0, help="passed to synth.py")
    ap.add_argument("--mbox", type=Path, help="an existing synth.py mbox")
    ap.add_argument("--truth", type=Path, help="its truth file")
    ap.add_argument("--seed", default="0", help="synth.py seed; also picks the hard cases")
    ap.add_argument("--per-kind", type=int, default=30, help="series rewritten per hard-case kind")
    ap.add_argument("--work", type=Path, help="keep mboxes, stores and exports here")
    ap.add_argument("--samples", type=int, default=0, help="print N wrong and N missed links")
    ap.add_argument("--synth", type=Path, default=SYNTH)
    args = ap.parse_args()
    if not (args.mbox and args.truth) and not (args.git_dir and args.range):
        ap.error("give --git-dir and --range, or --mbox and --truth")
    tmp = None if args.work else tempfile.TemporaryDirectory(prefix="lineage-")
    work = args.work or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    mbox, truth_path = (args.mbox, args.truth) if args.mbox else run_synth(args, work)

    truth = [json.loads(line) for line in open(truth_path)]
    raws = lineage_hard.read_mbox(mbox)
    hard_truth = json.loads(json.dumps(truth))
    hard_raws, hard_truth, picked = lineage_hard.build(raws, hard_truth, args.seed, args.per_kind)
    lineage_hard.write_mbox(work / "hard.mbox", hard_raws)
    with open(work / "hard.truth.jsonl", "w") as f:
        f.writelines(json.dumps(t) + "\n" for t in hard_truth)
    print(f"corpus {mbox}: {len(raws)} messages, {len(truth)} series-versions, "
          f"{len({t['series'] for t in truth})} series; hard: {len(picked)} series rewritten")
    results = [measure("main", raws, truth, work), measure("hard", hard_raws, hard_truth, work)]
    report(results, args.samples)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
