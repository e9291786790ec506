"""Applied detection on real data: a project's git history against its list.

    python bench/applied.py --db LIST_STORE --repo GIT_DIR [--branch master]

``LIST_STORE`` holds the ingested list archive (e.g. LTP's,
``linux-mailinglist-archives/ltp.lists.linux.it.0``); ``GIT_DIR`` is the
project's history (``linux-test-project/ltp``).  The truth: commits whose
``Link:`` names a patch mail in the archive.  Detection runs with method (a)
(Link:) switched off, and the patch-id, fuzzy and partial methods are
scored against that truth: a match counts as checkable when its commit is a
truth commit or its patch a truth patch, and as right when the pair is a
truth pair.  Also printed: how many truth pairs only the fuzzy method found,
and how long the cold scan (all commits) and an incremental scan (the last
few commits) take; the incremental one against the cold one as the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update  # noqa: E402

from patchdesk.series.assemble import PATCH_KINDS  # noqa: E402
from patchdesk.store.db import open_engine  # noqa: E402
from patchdesk.store.schema import Applied, Commit, Submission, Tree  # noqa: E402
from patchdesk.pipeline.review import refresh_review  # noqa: E402
from patchdesk.pipeline.trees import add_tree, scan_tree  # noqa: E402
from patchdesk.pipeline.applied import add_applied, update_applied  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="store holding the ingested list archive (copied, not changed)")
    ap.add_argument("--repo", required=True, type=Path)
    ap.add_argument("--branch", default="master")
    ap.add_argument("--incremental", type=int, default=5, help="commits for the incremental scan")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Path(tmp.name) / "applied.db"
    shutil.copy(args.db, db)
    engine = open_engine(str(db))
    with engine.begin() as conn:
        conn.execute(Applied.__table__.delete())
        add_tree(conn, "bench", args.repo, f"{args.branch}~{args.incremental}")
    start = time.perf_counter()
    cold = scan_tree(engine, "bench")
    cold_secs = time.perf_counter() - start
    start = time.perf_counter()
    with engine.begin() as conn:
        update_applied(conn)
    refresh_review(engine)
    cold_match = time.perf_counter() - start
    with engine.begin() as conn:
        conn.execute(update(Tree).where(Tree.name == "bench").values(branch=args.branch))
    start = time.perf_counter()
    warm = scan_tree(engine, "bench")
    warm_secs = time.perf_counter() - start
    with engine.begin() as conn:
        add_applied(conn, warm["shas"])
    refresh_review(engine)
    warm_total = time.perf_counter() - start
    print(f"scan: cold {cold['new_commits']} commits in {cold_secs:.1f} s ({cold['new_commits'] / cold_secs:,.0f}/s), "
          f"then matching every patch and judging states {cold_match:.1f} s")
    print(f"incremental: {warm['new_commits']} new commits scanned in {warm_secs:.2f} s, scanned + matched + "
          f"judged in {warm_total:.2f} s; ratio to the cold scan {warm_total / cold_secs:.3f}")

    with engine.connect() as conn:
        patches = set(conn.execute(select(Submission.msgid).where(Submission.kind.in_(PATCH_KINDS),
                                                                  Submission.series_id.is_not(None))).scalars())
        pids = dict(conn.execute(select(Submission.msgid, Submission.patch_id)).all())
        commit_pids = dict(conn.execute(select(Commit.sha, Commit.patch_id)).all())
        truth = set()
        for sha, msgids in conn.execute(select(Commit.sha, Commit.msgids)):
            for m in (msgids or "").split():
                if m in patches:
                    truth.add((m, sha))
    truth_commits = {s for _, s in truth}
    truth_patches = {m for m, _ in truth}
    print(f"truth: {len(truth)} (patch, commit) pairs from Link: trailers naming a patch in the archive "
          f"({len(patches)} patches stored)")

    results = {}
    for label, methods in (("without Link: (b+c+d)", ("patch-id", "fuzzy", "partial")),
                           ("patch-id only (b)", ("patch-id",))):
        start = time.perf_counter()
        with engine.begin() as conn:
            update_applied(conn, methods)
        secs = time.perf_counter() - start
        with engine.connect() as conn:
            found = {(m, s, meth) for m, s, meth in conn.execute(select(Applied.msgid, Applied.sha, Applied.method))}
        results[label] = found
        checkable = [(m, s, meth) for m, s, meth in found if s in truth_commits or m in truth_patches]
        right = [x for x in checkable if (x[0], x[1]) in truth]
        by_method = Counter(meth for _, _, meth in right)
        wrong_pairs = [(m, s, meth) for m, s, meth in checkable if (m, s) not in truth]
        wrong = Counter(meth for m, s, meth in wrong_pairs)
        exact = sum(1 for m, s, meth in wrong_pairs if pids.get(m) and pids.get(m) == commit_pids.get(s))
        precision = len(right) / max(len(checkable), 1)
        recall = len(right) / max(len(truth), 1)
        print(f"{label:<24} precision {precision:.4f}  recall {recall:.4f}  (right {len(right)}: "
              f"{dict(by_method)}; wrong {dict(wrong)}, of which {exact} carry exactly the commit's diff "
              f"(the Link: names another posting); {len(found)} matches in all) in {secs:.1f} s")
    # b4's fallback, for comparison: every patch whose subject is a commit's subject
    with engine.connect() as conn:
        by_subject: dict[str, list[str]] = {}
        for sha, subject in conn.execute(select(Commit.sha, Commit.subject)):
            by_subject.setdefault(subject.strip().lower(), []).append(sha)
        names = conn.execute(select(Submission.msgid, Submission.name).where(Submission.kind.in_(PATCH_KINDS),
                                                                           Submission.series_id.is_not(None)))
        naive = {(m, sha) for m, name in names for sha in by_subject.get(name.strip().lower(), ())}
    checkable = [(m, s) for m, s in naive if s in truth_commits or m in truth_patches]
    right = [x for x in checkable if x in truth]
    print(f"{'exact subject (b4-like)':<24} precision {len(right) / max(len(checkable), 1):.4f}  "
          f"recall {len(right) / max(len(truth), 1):.4f}  (right {len(right)}, wrong {len(checkable) - len(right)})")
    full = {(m, s) for m, s, _ in results["without Link: (b+c+d)"]} & truth
    exact = {(m, s) for m, s, _ in results["patch-id only (b)"]} & truth
    fuzzy_only = {(m, s) for m, s, meth in results["without Link: (b+c+d)"] if meth == "fuzzy"} & truth
    print(f"found only by the fuzzy method (c): {len(fuzzy_only)}; "
          f"truth pairs the full detection adds over patch-id alone: {len(full - exact)}")


if __name__ == "__main__":
    main()
