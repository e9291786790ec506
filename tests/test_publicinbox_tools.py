"""Prove that tests/publicinbox_tools.py builds real public-inbox v2 archives.

These tests deliberately do NOT skip when public-inbox is missing: CI
installs the Debian ``public-inbox`` package and must fail loudly otherwise.

Findings about how public-inbox (Debian 1.9.0) stores delivered mail, which
the patchdesk reader must cope with (asserted below):

* The ``m`` blob is NOT byte-identical to what was delivered:
  public-inbox-mda appends ``List-Id: <ADDRESS-with-@-replaced-by-.>`` as the
  last header line when the message has no List-Id (a message that already
  has one is stored byte-identically), strips a leading mbox ``From `` line,
  and deletes Status/X-Status/Content-Length/Lines/Bytes/Delivered-To/
  X-Original-To/Approved/... headers.  Header order, folding, CRLF line
  endings and body bytes are preserved.
* Removal (public-inbox-learn rm) creates a commit whose tree holds only
  ``d``; the ``d`` blob is the very blob that was stored as ``m`` (same
  object id), i.e. the *stored* bytes, not the bytes given to ``learn rm``.
  With ``--no-renames``, ``git log --raw`` shows a removal as two lines,
  ``A d`` plus ``D m``, and a removal when the tree is already ``d``-only as
  ``M d``.  GOTCHA: plain ``git log --raw`` does rename detection, so when
  the removed message resembles the previous ``m`` it prints ONE line
  ``R063 m d`` (and an add after a removal ``R062 d m``).
* Adds after the first show ``M m`` (the tree always holds one file).
* Commit author/date come from From:/Date: (an unparseable Date: gives the
  import time), committer is ``<inbox name> <inbox address>``, commit
  subject is the Subject:.  Removal commits have subject ``rm``.
"""

from __future__ import annotations

import re
import shutil
import time
from typing import NamedTuple

import pytest

from publicinbox_tools import (
    PublicInbox,
    PublicInboxError,
    git,
    have_public_inbox,
    make_v2_inbox,
)

pytestmark = pytest.mark.slow

COVER = b"""\
From: Alice Developer <alice@example.org>
To: dev@lists.example.org
Cc: Bob Maintainer <bob@example.org>
Subject: [PATCH 0/2] frobnicate: speed up the widget path
Date: Mon, 03 Jun 2024 10:00:00 +0200
Message-Id: <20240603080000.1000-1-alice@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

This series makes the widget path about twice as fast.

Alice Developer (2):
  frobnicate: cache widget lookups
  frobnicate: drop the slow path

 src/frob.c | 12 ++++++------
 1 file changed, 6 insertions(+), 6 deletions(-)

--\x20
2.45.1
"""

PATCH1 = b"""\
From: Alice Developer <alice@example.org>
To: dev@lists.example.org
Cc: Bob Maintainer <bob@example.org>
Subject: [PATCH 1/2] frobnicate: cache widget lookups
Date: Mon, 03 Jun 2024 10:00:01 +0200
Message-Id: <20240603080000.1000-2-alice@example.org>
In-Reply-To: <20240603080000.1000-1-alice@example.org>
References: <20240603080000.1000-1-alice@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Look widgets up once instead of on every call.

Signed-off-by: Alice Developer <alice@example.org>
---
 src/frob.c | 6 +++---
 1 file changed, 3 insertions(+), 3 deletions(-)

diff --git a/src/frob.c b/src/frob.c
index 1111111..2222222 100644
--- a/src/frob.c
+++ b/src/frob.c
@@ -10,3 +10,3 @@ int frob(void)
-\treturn lookup(\"widget\");
+\treturn cached_lookup(\"widget\");
--\x20
2.45.1
"""

PATCH2 = b"""\
From: Alice Developer <alice@example.org>
To: dev@lists.example.org
Cc: Bob Maintainer <bob@example.org>
Subject: [PATCH 2/2] frobnicate: drop the slow path
Date: Mon, 03 Jun 2024 10:00:02 +0200
Message-Id: <20240603080000.1000-3-alice@example.org>
In-Reply-To: <20240603080000.1000-1-alice@example.org>
References: <20240603080000.1000-1-alice@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Nothing uses it any more.

Signed-off-by: Alice Developer <alice@example.org>
---
 src/frob.c | 6 +++---
 1 file changed, 3 insertions(+), 3 deletions(-)

diff --git a/src/frob.c b/src/frob.c
index 2222222..3333333 100644
--- a/src/frob.c
+++ b/src/frob.c
@@ -20,3 +20,3 @@ int slow(void)
-\treturn slow_path();
+\treturn 0;
--\x20
2.45.1
"""


class Change(NamedTuple):
    status: str  # A, M, D, or R<score>
    old_blob: str
    new_blob: str
    old_path: str
    new_path: str


def _log_raw(git_dir, *extra: str) -> list[tuple[str, list[Change]]]:
    """Parse ``git log --raw --no-abbrev --reverse --format=%H [extra...]``."""
    out = git(git_dir, "log", "--raw", "--no-abbrev", "--reverse", "--format=%H", *extra).decode()
    commits: list[tuple[str, list[Change]]] = []
    for line in out.splitlines():
        if not line:
            continue
        if re.fullmatch(r"[0-9a-f]{40}", line):
            commits.append((line, []))
            continue
        m = re.fullmatch(
            r":\d{6} \d{6} ([0-9a-f]{40}) ([0-9a-f]{40}) ([AMD]|R\d+)\t([^\t]*)(?:\t(.*))?", line
        )
        assert m, f"unexpected git log line: {line!r}"
        old, new, status, p1, p2 = m.groups()
        commits[-1][1].append(Change(status, old, new, p1, p2 if p2 is not None else p1))
    return commits


def test_public_inbox_is_installed():
    assert have_public_inbox(), (
        "public-inbox tools missing: apt-get install public-inbox "
        "(CI must install it; these tests do not skip)"
    )


def test_v2_add_three_remove_one(tmp_path):
    t0 = time.monotonic()
    ibx = make_v2_inbox(tmp_path)
    assert isinstance(ibx, PublicInbox)
    assert ibx.path == (tmp_path / "test").resolve()
    assert (ibx.path / "git" / "0.git").is_dir()
    assert ibx.epochs == [ibx.path / "git" / "0.git"]
    # private config lives under root, not in the real home
    assert ibx.config_file.is_file() and tmp_path.resolve() in ibx.config_file.parents

    added = ibx.add_many([COVER, PATCH1])
    added.append(ibx.add(PATCH2))
    elapsed = time.monotonic() - t0
    print(f"create inbox + add 3 messages: {elapsed:.2f}s")

    removed_commit = ibx.remove(PATCH1)

    epoch = ibx.epochs[0]
    blob = lambda rev: git(epoch, "rev-parse", rev).decode().strip()  # noqa: E731

    # The plain command: git log --raw --no-abbrev --reverse --format=%H
    log = _log_raw(epoch)
    assert [c for c, _ in log] == added + [removed_commit]
    assert len(log) == 4
    # first three commits: add, then modify, the single path `m`
    assert [changes for _, changes in log[:3]] == [
        [Change("A", "0" * 40, blob(f"{added[0]}:m"), "m", "m")],
        [Change("M", blob(f"{added[0]}:m"), blob(f"{added[1]}:m"), "m", "m")],
        [Change("M", blob(f"{added[1]}:m"), blob(f"{added[2]}:m"), "m", "m")],
    ]
    # last commit: `m` goes away and `d` appears.  GOTCHA: git log's default
    # rename detection (diff.renames) pairs the deleted `m` (PATCH2) with the
    # new `d` (PATCH1, 63% similar) and prints ONE line "R063\tm\td".
    [rm_change] = log[3][1]
    assert rm_change.status.startswith("R")
    assert (rm_change.old_path, rm_change.new_path) == ("m", "d")
    assert rm_change.old_blob == blob(f"{added[2]}:m")
    d_blob = rm_change.new_blob
    # With --no-renames the same commit reads "A d" + "D m".
    log_nr = _log_raw(epoch, "--no-renames")
    assert [c for c, _ in log_nr] == [c for c, _ in log]
    assert log_nr[:3] == log[:3]
    assert sorted(log_nr[3][1]) == [
        Change("A", "0" * 40, d_blob, "d", "d"),
        Change("D", blob(f"{added[2]}:m"), "0" * 40, "m", "m"),
    ]
    assert git(epoch, "ls-tree", "--name-only", removed_commit).split() == [b"d"]

    # what the `d` blob holds
    d_bytes = git(epoch, "cat-file", "blob", d_blob)
    # ... is the blob stored for PATCH1 when it was added (same object id):
    assert d_blob == blob(f"{added[1]}:m")
    # ... which is the delivered bytes plus one List-Id header appended by
    # public-inbox-mda as the last header line; nothing else changed:
    header, sep, body = PATCH1.partition(b"\n\n")
    assert d_bytes != PATCH1
    assert d_bytes == header + b"\nList-Id: <test.example.invalid>" + sep + body
    assert d_bytes == ibx.expected_blob(PATCH1)

    # every stored `m` blob follows the same rule
    for raw, commit in zip([COVER, PATCH1, PATCH2], added):
        assert git(epoch, "cat-file", "blob", f"{commit}:m") == ibx.expected_blob(raw)

    # commit metadata comes from the message headers
    meta = git(epoch, "show", "-s", "--format=%an|%ae|%aI|%cn|%ce|%s", added[1]).decode().strip()
    assert meta == (
        "Alice Developer|alice@example.org|2024-06-03T10:00:01+02:00|"
        "test|test@example.invalid|[PATCH 1/2] frobnicate: cache widget lookups"
    )
    assert git(epoch, "show", "-s", "--format=%s", removed_commit).strip() == b"rm"


def test_stored_bytes_transformations(tmp_path):
    """Document exactly which bytes public-inbox changes on import."""
    ibx = make_v2_inbox(tmp_path, name="quirks")
    epoch = ibx.epochs[0]

    def stored(commit):
        return git(epoch, "cat-file", "blob", f"{commit}:m")

    # 1. A message that already has a List-Id is stored byte-identically.
    with_list_id = PATCH2.replace(
        b"Message-Id: <20240603080000.1000-3-alice@example.org>\n",
        b"Message-Id: <listid@example.org>\nList-Id: Dev list <dev.lists.example.org>\n",
    )
    assert stored(ibx.add(with_list_id)) == with_list_id

    # 2. A leading mbox From_ line is stripped (no >From unescaping in the body).
    body_from = COVER.replace(b"Message-Id: <20240603080000.1000-1-", b"Message-Id: <mbox-").replace(
        b"This series", b">From the start, this series"
    )
    got = stored(ibx.add(b"From alice@example.org Mon Jun  3 08:00:00 2024\n" + body_from))
    assert not got.startswith(b"From ")
    assert got == ibx.expected_blob(body_from)
    assert b"\n>From the start, this series" in got

    # 3. CRLF line endings are kept; the added List-Id uses CRLF too.
    crlf = PATCH1.replace(b"Message-Id: <20240603080000.1000-2-", b"Message-Id: <crlf-").replace(b"\n", b"\r\n")
    got = stored(ibx.add(crlf))
    assert got == ibx.expected_blob(crlf)
    assert b"\r\nList-Id: <quirks.example.invalid>\r\n\r\n" in got
    assert b"\n" not in got.replace(b"\r\n", b"")

    # 4. Delivery/mbox-status headers are deleted; other headers kept in order.
    noisy = (
        b"Return-Path: <alice@example.org>\n"
        b"Delivered-To: archive@example.org\n"
        b"X-Original-To: dev@lists.example.org\n"
        + PATCH1.replace(b"Message-Id: <20240603080000.1000-2-", b"Message-Id: <noisy-").replace(
            b"MIME-Version: 1.0\n",
            b"Status: RO\nX-Status: A\nContent-Length: 123\nLines: 7\nMIME-Version: 1.0\n",
        )
    )
    got = stored(ibx.add(noisy))
    assert got == ibx.expected_blob(noisy)
    for h in (b"Delivered-To:", b"X-Original-To:", b"Status:", b"X-Status:", b"Content-Length:", b"Lines:"):
        assert b"\n" + h not in b"\n" + got
    assert got.startswith(b"Return-Path: <alice@example.org>\nFrom: Alice Developer")

    # 5. Removing by the originally delivered bytes (From_ line, no List-Id)
    #    works; the `d` blob is the stored blob, not what learn rm was fed.
    first_rm = ibx.remove(b"From alice@example.org Mon Jun  3 08:00:00 2024\n" + body_from)
    assert git(epoch, "cat-file", "blob", f"{first_rm}:d") == ibx.expected_blob(body_from)
    second_rm = ibx.remove(noisy)
    # the tree was already d-only, so the second removal modifies `d`
    log = _log_raw(epoch, "--no-renames")
    assert log[-1] == (second_rm, [Change(
        "M",
        git(epoch, "rev-parse", f"{first_rm}:d").decode().strip(),
        git(epoch, "rev-parse", f"{second_rm}:d").decode().strip(),
        "d", "d",
    )])
    assert git(epoch, "cat-file", "blob", f"{second_rm}:d") == ibx.expected_blob(noisy)

    # 6. Adding after a removal flips the tree back from `d` to `m`:
    #    --no-renames shows "D d" + "A m"; plain git log may show "R<nn> d m".
    again = ibx.add(PATCH2)
    changes = _log_raw(epoch, "--no-renames")[-1][1]
    assert sorted((c.status, c.new_path) for c in changes) == [("A", "m"), ("D", "d")]
    plain = _log_raw(epoch)[-1]
    assert plain[0] == again
    assert {c.new_path for c in plain[1] if c.status != "D"} == {"m"}


def test_failures_are_loud(tmp_path):
    ibx = make_v2_inbox(tmp_path)
    ibx.add(COVER)

    # identical duplicate: public-inbox-mda exits 0 ("CONFLICT ... exists")
    with pytest.raises(PublicInboxError) as ei:
        ibx.add(COVER)
    assert "expected exactly 1 new commit, got 0" in str(ei.value)
    assert "CONFLICT" in str(ei.value)  # captured stderr is in the error

    # learn rm of a message that is not in the inbox also exits 0 silently
    with pytest.raises(PublicInboxError, match="public-inbox-learn did not work"):
        ibx.remove(PATCH1)

    # a failing command's stderr is included
    with pytest.raises(PublicInboxError) as ei:
        git(ibx.epochs[0], "cat-file", "blob", "0" * 40)
    assert ei.value.returncode != 0 and "stderr:" in str(ei.value)
    assert ei.value.stderr

    # the inbox is still fine afterwards
    ibx.add(PATCH1)
    assert len(_log_raw(ibx.epochs[0])) == 2


def test_two_inboxes_under_one_root_are_independent(tmp_path):
    a = make_v2_inbox(tmp_path, "a")
    b = make_v2_inbox(tmp_path, "b")
    a.add(COVER)
    b.add(COVER)
    b.remove(COVER)  # `learn rm --all` must only touch b's config
    assert len(_log_raw(a.epochs[0])) == 1
    assert len(_log_raw(b.epochs[0])) == 2
    with pytest.raises(FileExistsError):
        make_v2_inbox(tmp_path, "a")


def test_git_binary_present():
    assert shutil.which("git")
