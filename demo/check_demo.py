#!/usr/bin/env python3
"""Sanity checks for demo/demo.mbox (stdlib + git; optional cc/make).

1. every message parses with mailbox.mbox and has Message-Id, Date, From,
   Subject; Message-Ids are unique; threading parents are reported;
2. every unquoted diff hunk's line counts match its @@ header;
3. make_demo.py --tree builds the frob repository, and every git send-email
   series in the archive applies with `git am` on both main and frob-next
   (plus `git apply --check` for the timeout v2 series), and builds with make.

Usage: check_demo.py [MBOX]
"""
import email.utils
import mailbox
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def check_hunks(text, where):
    """Return the number of hunks checked; raise on a miscounted one."""
    lines, n, i = text.split("\n"), 0, 0
    in_diff = False
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            in_diff = True
        m = HUNK.match(line) if in_diff else None
        i += 1
        if not m:
            continue
        old = int(m.group(2) if m.group(2) is not None else 1)
        new = int(m.group(4) if m.group(4) is not None else 1)
        while old > 0 or new > 0:
            body = lines[i]
            i += 1
            if body.startswith("\\"):
                continue
            kind = body[:1]
            if kind == " ":
                old, new = old - 1, new - 1
            elif kind == "-":
                old -= 1
            elif kind == "+":
                new -= 1
            else:
                raise AssertionError(f"{where}: bad hunk line {body!r} in {line!r}")
            if old < 0 or new < 0:
                raise AssertionError(f"{where}: hunk {line!r} overruns its counts")
        if i < len(lines) and lines[i][:1] in "+ " and lines[i] and not HUNK.match(lines[i]):
            raise AssertionError(f"{where}: hunk {line!r} has more lines than counted")
        n += 1
    return n


def raw_entries(path):
    """The mbox split into raw mboxrd entries, keyed by Message-Id."""
    text = Path(path).read_text(encoding="utf-8")
    entries = {}
    for chunk in re.split(r"(?m)^(?=From mboxrd@z )", text):
        if chunk:
            mid = re.search(r"(?mi)^Message-Id: (<[^>]+>)", chunk).group(1)
            entries[mid] = chunk
    return entries


def run(cmd, cwd, **kw):
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True, **kw)


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "demo.mbox"
    box = mailbox.mbox(str(path), create=False)
    msgs = list(box)
    ids = [m["Message-Id"] for m in msgs]
    for m in msgs:
        for h in ("Message-Id", "Date", "From", "Subject"):
            assert m[h], f"{m['Message-Id']}: no {h}"
        assert email.utils.parsedate_to_datetime(m["Date"]).tzinfo, m["Date"]
    assert len(set(ids)) == len(ids), "duplicate Message-Id"
    orphans = [m["Message-Id"] for m in msgs if m["In-Reply-To"] and m["In-Reply-To"] not in ids]
    print(f"{len(msgs)} messages, all with Message-Id/Date/From/Subject; "
          f"replies to messages not in the archive: {orphans}")

    hunks = 0
    for m in msgs:
        body = m.get_payload(decode=True).decode(m.get_content_charset() or "utf-8")
        hunks += check_hunks(body, m["Message-Id"])
    print(f"{hunks} diff hunks, all with correct line counts")
    from_lines = [line for line in path.read_text(encoding="utf-8").split("\n")
                  if re.match(r">+From ", line)]
    print(f"mboxrd-quoted body lines: {from_lines}")

    if not shutil.which("git"):
        print("git not found, skipping tree checks")
        return
    entries = raw_entries(path)
    series = defaultdict(list)  # git send-email ids: <stamp.pid-N-addr>
    for m in msgs:
        g = re.match(r"<(\d{14}\.\d+)-(\d+)-", m["Message-Id"])
        if g and not re.search(r"\[[^]]*\b0/\d+\]", " ".join(m["Subject"].split())):
            series[g.group(1)].append((int(g.group(2)), m))
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "frob"
        run([sys.executable, str(HERE / "make_demo.py"), "--out", str(Path(tmp) / "x.mbox"),
             "--tree", str(tree)], cwd=tmp)
        log = run(["git", "log", "--format=%H %an: %s%n%b", "main..frob-next"], tree).stdout
        print("frob-next on top of main:\n  " + "\n  ".join(log.strip().split("\n")))
        assert log.count("Link: ") == 2
        can_make = shutil.which("make") and shutil.which("cc")
        for base in ("main", "frob-next"):
            for stamp, patches in sorted(series.items()):
                if base == "frob-next" and f"/r/{stamp}-" in log:
                    continue  # already applied there
                wt = Path(tmp) / f"wt-{base}-{stamp}"
                run(["git", "worktree", "add", "-q", "--detach", str(wt), base], tree)
                mbox = Path(tmp) / f"{stamp}.mbox"
                mbox.write_text("".join(entries[m["Message-Id"]] for _, m in sorted(patches,
                                        key=lambda p: p[0])), encoding="utf-8")
                subject = " ".join(sorted(patches, key=lambda p: p[0])[0][1]["Subject"].split())
                if "v2 1/3" in subject:  # story 1 v2: git apply --check as well
                    run(["git", "apply", "--check", str(mbox)], wt)
                run(["git", "-c", "user.name=Check", "-c", "user.email=check@example.org", "am",
                     "-q", "--patch-format=mboxrd", str(mbox)], wt)
                msg = run(["git", "log", "--format=%B", f"{base}..HEAD"], wt).stdout
                assert ">From " not in msg, "mboxrd quoting was not undone"
                assert "a quick benchmark" not in msg or "\nFrom a quick" in msg
                if can_make:
                    run(["make", "-s"], wt)
                print(f"  {base}: applied {len(patches)} patch(es) of {subject!r}"
                      + (" and built it" if can_make else ""))
    print("all checks passed")


if __name__ == "__main__":
    main()
