"""Patch mail bodies: message, trailers, notes, diffstat, pull requests, b4 metadata."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchdesk.model import Attachment
from patchdesk.parse import parse
from patchdesk.parse.patch import PullRequest, Trailer, find_pull, parse_trailers, split_patch
from patchdesk.sources.mbox import MboxSource

from conftest import CORPUS

MAIL = CORPUS / "patchwork" / "mail"
DEMO = Path(__file__).resolve().parents[1] / "demo" / "demo.mbox"


def _split(name: str):
    m = parse(next(iter(MboxSource(MAIL / name).messages({}))))
    return split_patch(m.body, m.attachments)


def _demo() -> dict:
    out = {}
    for raw in MboxSource(DEMO).messages({}):
        m = parse(raw)
        out[m.msgid] = (m.subject, split_patch(m.body, m.attachments))
    return out


# -- the Patchwork corpus -------------------------------------------------------------

BENH = "git://git.kernel.org/pub/scm/linux/kernel/git/benh/powerpc.git"


@pytest.mark.parametrize("name,url,branch", [
    ("0001-git-pull-request.mbox", BENH, "next"),
    ("0002-git-pull-request-wrapped.mbox", BENH, "next"),
    ("0003-git-pull-request-with-diff.mbox",
     "git://git.kernel.org/pub/scm/linux/kernel/git/tip/linux-2.6-tip.git", "x86-fixes-for-linus"),
    ("0004-git-pull-request-git+ssh.mbox", BENH.replace("git://", "git+ssh://"), "next"),
    ("0005-git-pull-request-ssh.mbox", BENH.replace("git://", "ssh://"), "next"),
    ("0006-git-pull-request-http.mbox", BENH.replace("git://", "http://"), "next"),
    ("0017-git-pull-request-git-2-14-3.mbox", "git://git.kernel.org/pub/scm/linux/kernel/git/davem/net", ""),
    ("0023-git-pull-request-newline-in-url.mbox",
     "https://git.kernel.org/pub/scm/linux/kernel/git/matthias.bgg/linux.git/", "tags/v5.4-next-soc"),
    ("0024-git-pull-request-trailing-space.mbox",
     "git://git.kernel.org/pub/scm/linux/kernel/git/nsekhar/linux-davinci.git", "tags/davinci-for-v5.6/soc"),
])
def test_pull_requests(name, url, branch):
    pb = _split(name)
    assert pb.pull == PullRequest(url, branch)
    assert (pb.diff is not None) == name.startswith("0003")


def test_pull_request_notes_and_diffstat():
    pb = _split("0023-git-pull-request-newline-in-url.mbox")
    assert pb.message.startswith("Hi Olof and Arnd,") and pb.message.endswith("Matthias")
    assert pb.notes.startswith("The following changes since commit 54ecb8f7028c")
    assert pb.diffstat == (" drivers/soc/mediatek/mtk-scpsys.c | 214 ++++++++++++++++++++++++++------------\n"
                           " 1 file changed, 146 insertions(+), 68 deletions(-)")


def test_rename_mail_parts():
    pb = _split("0008-git-rename.mbox")
    assert pb.message == "Rename patches to follow standard naming scheme."
    assert pb.trailers == (Trailer("Signed-off-by", '"Yann E. MORIN" <yann.morin.1998@free.fr>',
                                   "Yann E. MORIN", "yann.morin.1998@free.fr"),)
    assert pb.diffstat.splitlines()[2] == " 2 files changed, 0 insertions(+), 0 deletions(-)"
    assert pb.diffstat.splitlines()[-1].startswith(" rename package/rpi-userland/{")
    assert pb.notes == "" and [f.status for f in pb.diff.files] == ["renamed", "renamed"]


def test_cvs_patch_attached_to_a_plain_message():
    pb = _split("0007-cvs-format-diff.mbox")
    assert pb.message.startswith("The pr11138 testcase links an executable with a version script.")
    assert pb.message.endswith('no_sym_version for "__RLD_MAP".')
    assert pb.trailers == () and pb.diff.paths == ("bfd/elf-bfd.h", "bfd/elflink.c", "bfd/elfxx-mips.c")


@pytest.mark.parametrize("name,signer", [
    ("0012-invalid-header-char.mbox", "ferruh.yigit@intel.com"),
    ("0013-with-utf8-body.mbox", "zajec5@gmail.com"),
    ("0019-multipart-patch.mbox", "yuri.volchkov@gmail.com"),
    ("0022-git-mode-change.mbox", "pvorel@suse.cz"),
    ("0025-git-add-binary-file.mbox", "stephen@that.guru"),
])
def test_signed_off_patches(name, signer):
    pb = _split(name)
    assert [(t.key, t.email) for t in pb.trailers] == [("Signed-off-by", signer)]
    assert not any(line.startswith("Signed-off-by:") for line in pb.message.splitlines())
    assert " file" in pb.diffstat and pb.diff is not None


def test_utf8_signer_and_binary_diffstat():
    assert _split("0013-with-utf8-body.mbox").trailers[0].name == "Rafał Miłecki"
    assert _split("0025-git-add-binary-file.mbox").diffstat == (
        " pixel.bmp | Bin 0 -> 142 bytes\n 1 file changed, 0 insertions(+), 0 deletions(-)\n"
        " create mode 100644 pixel.bmp")


def test_message_without_trailers_or_separator():
    pb = _split("0011-no-newline-at-end-of-file.mbox")
    assert pb.message.startswith("The goal is to verify") and pb.message.endswith("expected results.")
    assert (pb.trailers, pb.notes, pb.diffstat) == ((), "", "")
    empty = _split("0021-git-empty-new-file.mbox")
    assert empty.message == "Doing some snowpatching." and empty.diff.paths == ("banana",)


def test_every_corpus_mail_splits():
    for path in sorted(MAIL.glob("*.mbox")):
        for raw in MboxSource(path).messages({}):
            m = parse(raw)
            pb = split_patch(m.body, m.attachments)
            assert "---" not in pb.message.splitlines()


# -- the demo archive -----------------------------------------------------------------

def test_demo_patches():
    demo = _demo()
    v2 = demo["20261116172551.2979-1-ana.ferreira@example.com"][1]  # quoted-printable
    assert [t.key for t in v2.trailers] == ["Fixes", "Signed-off-by"]
    assert v2.trailers[0].value == '5e1f0c93a2d7 ("frob: widget: let the core hold a reference while busy")'
    assert v2.trailers[0].email == ""
    assert v2.notes.startswith("Changes in v3:\n- drop the goto") and "Changes in v2:" in v2.notes
    assert v2.diffstat == " src/widget.c | 4 +++-\n 1 file changed, 3 insertions(+), 1 deletion(-)"
    assert v2.diff.paths == ("src/widget.c",) and (v2.diff.added, v2.diff.removed) == (3, 1)
    assert v2.message.endswith("Drop the reference on the error path.")
    patches = [pb for subject, pb in demo.values() if "PATCH" in subject and not subject.startswith("Re:")
               and " 0/" not in subject]
    assert patches and all(pb.diff and pb.diffstat and pb.trailers for pb in patches)
    assert all(any(t.key == "Signed-off-by" for t in pb.trailers) for pb in patches)
    assert all(pb.diff.added == sum(int(x) for x in _stat_counts(pb.diffstat, "insertion")) for pb in patches)


def _stat_counts(stat: str, word: str):
    summary = stat.splitlines()[-1] if "changed" in stat.splitlines()[-1] else \
        next(line for line in stat.splitlines() if "changed" in line)
    return [part.split()[0] for part in summary.split(",") if word in part]


def test_demo_review_reply_trailer_and_reply_with_diff():
    demo = _demo()
    replies = [pb for subject, pb in demo.values() if subject.startswith("Re:")]
    reviewed = [t for pb in replies for t in pb.trailers if t.key == "Reviewed-by"]
    assert ("Priya Raman", "priya@example.net") in {(t.name, t.email) for t in reviewed}
    suggested = [pb for pb in replies if pb.diff]
    assert len(suggested) == 1 and suggested[0].diff.paths == ("src/widget.c",)


def test_demo_cover_letters_give_their_diffstat():
    covers = [pb for subject, pb in _demo().values() if " 0/" in subject and not subject.startswith("Re:")]
    assert len(covers) >= 3
    for pb in covers:
        assert pb.diff is None and pb.diffstat.splitlines()[-1].split(",")[0].endswith("changed")
        assert "2.47.0" not in pb.message and not pb.message.endswith("-- ")


def test_signature_does_not_hide_a_reply_trailer():
    pb = split_patch("> quoted\n\nLooks good.\n\nReviewed-by: R <r@x.org>\n\n-- \nR, at Example\n")
    assert [t.email for t in pb.trailers] == ["r@x.org"] and pb.message == "> quoted\n\nLooks good."


# -- trailers ------------------------------------------------------------------------

def test_trailer_block_rules():
    body = ("Fix the widget.\n\nTested on: x86\n\n"
            "Fixes: 0123456789ab (\"frob: widget: add\n  timeouts\")\n"
            "Reported-by: syzbot+1234@syzkaller.appspotmail.com\n"
            "Closes: https://lore.kernel.org/r/000@google.com\n"
            "Cc: stable@vger.kernel.org # 6.1.x\n"
            "Signed-off-by: Ada Lovelace <Ada@Example.ORG>\n"
            "[maria: fixed a typo]\n"
            "NAKed-by: \"Grumpy, Old\" <grumpy@example.com>\n"
            "co-developed-by: Bob <bob@example.com>\n---\nv2: rebased\n")
    pb = split_patch(body)
    assert pb.message == "Fix the widget.\n\nTested on: x86"
    assert [t.key for t in pb.trailers] == ["Fixes", "Reported-by", "Closes", "Cc", "Signed-off-by",
                                            "Nacked-by", "Co-developed-by"]
    fixes, reported, closes, cc, sob, nak, codev = pb.trailers
    assert fixes.value == '0123456789ab ("frob: widget: add timeouts")' and fixes.email == ""
    assert reported.email == "syzbot+1234@syzkaller.appspotmail.com"
    assert closes.email == "" and cc.email == "stable@vger.kernel.org" and cc.value.endswith("# 6.1.x")
    assert (sob.name, sob.email) == ("Ada Lovelace", "ada@example.org")
    assert (nak.name, nak.email) == ("Grumpy, Old", "grumpy@example.com")
    assert pb.notes == "v2: rebased" and pb.diff is None


def test_trailers_split_from_the_signed_off_by_by_a_blank_line():
    # linux-leds: collected trailers pasted as their own paragraph, or at the
    # end of the last prose paragraph, above the author's Signed-off-by
    own_paragraph = "Convert to yaml.\n\nReviewed-by: Andy <andy@x.com>\n\nSigned-off-by: Markuss <m@x.com>\n---\n"
    pb = split_patch(own_paragraph)
    assert pb.message == "Convert to yaml." and [t.key for t in pb.trailers] == ["Reviewed-by", "Signed-off-by"]
    glued = ("The enum misses 3 cases.\nadded by commit d1ed7c558612 (\"leds: x\")\nReviewed-by: Linus <l@x.org>\n"
             "Acked-by: Rob <r@x.org>\n\nSigned-off-by: Corentin <c@x.com>\n---\n")
    pb = split_patch(glued)
    assert pb.message == "The enum misses 3 cases.\nadded by commit d1ed7c558612 (\"leds: x\")"
    assert [t.email for t in pb.trailers] == ["l@x.org", "r@x.org", "c@x.com"]
    # prose that merely mentions a key is not a trailer; nor is a trailer paragraph without a block under it
    prose = "Thanks to Reported-by: nobody.\n\nSigned-off-by: A <a@x.com>\n---\n"
    assert [t.key for t in split_patch(prose).trailers] == ["Signed-off-by"]


def test_last_paragraph_that_is_not_all_trailers_stays_in_the_message():
    # (with a Signed-off-by, git's quarter rule takes a mixed block: see below)
    for body in ("Text.\n\nNote: this is prose\nSee: also prose\n",
                 "See https://example.org/x for details.\n"):
        pb = split_patch(body)
        assert pb.trailers == () and pb.message == body.strip()


def test_parse_trailers_is_generic():
    got = parse_trailers("Acked-by: A <a@x.org>\nX-Custom-Tag: value\n  continued\nnot a trailer\n  indented\n"
                         "Link: https://lore.kernel.org/r/1@x\nhttps://example.org: no\n")
    assert [(t.key, t.value) for t in got] == [("Acked-by", "A <a@x.org>"), ("X-custom-tag", "value continued"),
                                               ("Link", "https://lore.kernel.org/r/1@x")]


# -- metadata, attachments ------------------------------------------------------------

B4_COVER = """This series does things.

Ada Lovelace (1):
  frob: do a thing

 x.c | 1 +
 1 file changed, 1 insertion(+)
---
base-commit: 0123456789abcdef0123456789abcdef01234567
change-id: 20241101-frob-thing-1a2b3c4d5e6f
prerequisite-change-id: 20241001-frob-base-aaaaaaaaaaaa:v3
prerequisite-patch-id: 1111111111111111111111111111111111111111
prerequisite-patch-id: 2222222222222222222222222222222222222222

Best regards,
-- 
Ada Lovelace <ada@example.org>
"""


def test_b4_metadata_in_cover_letter():
    pb = split_patch(B4_COVER)
    assert pb.meta == {
        "base-commit": ("0123456789abcdef0123456789abcdef01234567",),
        "change-id": ("20241101-frob-thing-1a2b3c4d5e6f",),
        "prerequisite-change-id": ("20241001-frob-base-aaaaaaaaaaaa:v3",),
        "prerequisite-patch-id": ("1111111111111111111111111111111111111111",
                                  "2222222222222222222222222222222222222222"),
    }
    assert pb.diff is None and pb.message.endswith("Ada Lovelace (1):\n  frob: do a thing")
    assert pb.diffstat == " x.c | 1 +\n 1 file changed, 1 insertion(+)"
    assert pb.notes.startswith("base-commit: 0123") and pb.notes.endswith("Best regards,")


def test_metadata_after_the_diff_and_as_trailers():
    body = ("Do it.\n\nDepends-on: <20240101.1@example.org>\nSigned-off-by: A <a@b.c>\n---\n"
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\n"
            "---\nbase-commit: abc123\nChange-Id: I0123456789abcdef0123456789abcdef01234567\n")
    pb = split_patch(body)
    assert pb.meta == {"depends-on": ("<20240101.1@example.org>",), "base-commit": ("abc123",)}
    assert [t.key for t in pb.trailers] == ["Depends-on", "Signed-off-by"]


FORMAT_PATCH = """From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001
From: Ada Lovelace <ada@example.org>
Date: Mon, 2 Nov 2026 10:15:00 +0100
Subject: [PATCH] frob: fix
 the thing

Because it was broken.

Reviewed-by: Bob <bob@example.com>
Signed-off-by: Ada Lovelace <ada@example.org>
---
 x | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/x b/x
index 1..2 100644
--- a/x
+++ b/x
@@ -1 +1 @@
-a
+b
-- 
2.47.0
"""


def test_attached_format_patch_supplies_message_and_trailers():
    pb = split_patch("Please find the patch attached.\n", (Attachment("0001-fix.patch", "text/x-patch", FORMAT_PATCH),))
    assert pb.message == "Because it was broken."
    assert [t.key for t in pb.trailers] == ["Reviewed-by", "Signed-off-by"]
    assert pb.notes == "Please find the patch attached."
    assert pb.diffstat.startswith(" x | 2 +-") and pb.diff.paths == ("x",)


def test_attached_bare_diff_keeps_the_mail_message():
    att = Attachment("a.diff", "text/x-diff", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    pb = split_patch("Fix x.\n\nSigned-off-by: A <a@b.c>\n", (Attachment("n.txt", "text/plain", "no diff"), att))
    assert pb.message == "Fix x." and pb.trailers[0].email == "a@b.c" and pb.diff.paths == ("x",)
    inline = split_patch("Inline wins.\n---\n" + FORMAT_PATCH.split("\n\n", 1)[1].split("---\n", 1)[1], (att,))
    assert inline.diff.start > 0 and inline.message == "Inline wins."


def test_find_pull_variants():
    assert find_pull("are available in the git repository at:\n  ssh://h/r.git for-linus\n") == \
        PullRequest("ssh://h/r.git", "for-linus")
    assert find_pull("are available in the Git repository at:\n\n  https://h/r.git\n  tags/x-1.0\n\nfor you") == \
        PullRequest("https://h/r.git", "tags/x-1.0")
    assert find_pull("are available in the git repository at:\n\n  not a url\n") is None
    assert find_pull("please pull") is None


# -- robustness -----------------------------------------------------------------------

_PIECES = st.sampled_from(["---\n", "--- \n", "diff --git a/x b/x\n", "--- a/x\n", "+++ b/x\n", "@@ -1 +1 @@\n",
                           "-a\n", "+b\n", "Signed-off-by: A <a@b>\n", "  cont\n", "[x: y]\n", "\n",
                           " x | 3 ++-\n", " 1 file changed, 1 insertion(+)\n", "change-id: x\n", "base-commit:\n",
                           "are available in the git repository at:\n", "  git://h/r b\n", "Index: q\n",
                           "=====\n", "From 0123456789abcdef0123456789abcdef01234567 x\n", "Subject: s\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=40),
       st.lists(st.text(max_size=60), max_size=2))
def test_split_patch_never_raises(parts, attached):
    body = "".join(parts)
    atts = tuple(Attachment("p.patch", "text/x-patch", "".join(parts[::-1]) + text) for text in attached)
    pb = split_patch(body, atts)
    assert isinstance(pb.message, str) and all(t.key for t in pb.trailers)


def test_trailer_block_with_a_stray_line_follows_gits_quarter_rule():
    body = ("runltp: do not force one loop device\n\nDon't force it.\n\nFixes #703\n"
            "Signed-off-by: Jan Stancek <jstancek@redhat.com>\nAcked-by: Cyril Hrubis <chrubis@suse.cz>\n"
            "---\n runltp | 1 +\n")
    parsed = split_patch(body)
    assert [t.key for t in parsed.trailers] == ["Signed-off-by", "Acked-by"]
    prose = split_patch("x\n\nA paragraph: with a colon\nand two\nmore lines\nthat are prose\n"
                        "Acked-by: A <a@x>\n---\n")
    assert prose.trailers == ()  # no Signed-off-by: all lines must be trailers
