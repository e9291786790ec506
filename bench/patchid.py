#!/usr/bin/env python3
"""Our patch-id against ``git patch-id --stable`` on a real history.

    bench/patchid.py GIT_DIR [--count 200]

Picks renames, deletions, binary additions, type and mode changes first,
then commits spread over the history; formats each with ``git format-patch``
and compares.  Prints the agreement; exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from patchdesk.parse.diff import find_diff
from patchdesk.parse.patchid import patch_id

ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def git(git_dir: str, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], input=data, capture_output=True,
                          env=ENV).stdout


def pick(git_dir: str, *args: str, limit: int) -> list[str]:
    return git(git_dir, "log", "--no-merges", "--format=%H", *args).decode().split()[:limit]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("git_dir")
    ap.add_argument("--count", type=int, default=200)
    args = ap.parse_args()
    g = args.git_dir
    commits = list(dict.fromkeys(
        pick(g, "--diff-filter=R", limit=40) + pick(g, "--diff-filter=D", limit=20)
        + pick(g, "--diff-filter=A", "--", "*.png", "*.gz", "*.jpg", limit=20)
        + pick(g, "--diff-filter=T", limit=10) + pick(g, "--skip=100", limit=5000)[::4]))[:args.count]
    same = differ = 0
    ours_s = gits_s = 0.0
    for commit in commits:
        mail = git(g, "format-patch", "-1", "--stdout", commit)
        started = time.perf_counter()
        want = git(g, "patch-id", "--stable", data=mail).split()
        gits_s += time.perf_counter() - started
        started = time.perf_counter()
        diff = find_diff(mail.decode("utf-8", "surrogateescape"))
        got = patch_id(diff) if diff else ""
        ours_s += time.perf_counter() - started
        if got == (want[0].decode() if want else ""):
            same += 1
        else:
            differ += 1
            print(f"differs: {commit}")
    print(f"commits {len(commits)}  equal {same}  different {differ}  "
          f"ours {ours_s / len(commits) * 1e3:.2f} ms/patch  "
          f"git {gits_s / len(commits) * 1e3:.2f} ms/patch (incl. process start)")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
