"""Unified diff parsing: every dialect found on lists, corpus mails, limits."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchdesk.parse import parse
from patchdesk.parse.diff import find_diff, unquote
from patchdesk.parse.patchid import diff_fingerprint, patch_id
from patchdesk.sources.mbox import MboxSource

from conftest import CORPUS

MAIL = CORPUS / "patchwork" / "mail"


def _mail(name: str):
    return parse(next(iter(MboxSource(MAIL / name).messages({}))))


def _diff_of(name: str):
    """The diff of a corpus mail: in the body, else in its first patch attachment."""
    m = _mail(name)
    d = find_diff(m.body)
    if d is None:
        d = next((x for x in (find_diff(a.text) for a in m.attachments) if x), None)
    return d


def _summary(d):
    return [(f.path, f.status, f.binary, len(f.hunks)) for f in d.files]


# -- the Patchwork corpus -------------------------------------------------------------

@pytest.mark.parametrize("name", ["0001-git-pull-request.mbox", "0002-git-pull-request-wrapped.mbox",
                                  "0004-git-pull-request-git+ssh.mbox", "0017-git-pull-request-git-2-14-3.mbox",
                                  "0020-multipart-comment.mbox", "0023-git-pull-request-newline-in-url.mbox"])
def test_mails_without_diff(name):
    assert _diff_of(name) is None


def test_pull_request_with_diff():
    d = _diff_of("0003-git-pull-request-with-diff.mbox")
    assert d.text.startswith("diff --git a/arch/x86/include/asm/smp.h")
    assert d.paths[:3] == ("arch/x86/include/asm/smp.h", "arch/x86/kernel/acpi/sleep.c",
                           "arch/x86/kernel/cpu/mtrr/main.c")
    assert all(f.status == "modified" for f in d.files)


def test_cvs_diff_from_attachment():
    d = _diff_of("0007-cvs-format-diff.mbox")
    assert d.text.startswith("Index: bfd/elf-bfd.h\n====")
    assert d.paths == ("bfd/elf-bfd.h", "bfd/elflink.c", "bfd/elfxx-mips.c")
    assert [len(f.hunks) for f in d.files] == [1, 1, 1]
    assert (d.added, d.removed) == (6, 0)
    assert d.files[0].hunks[0].section == "struct elf_link_hash_entry"


@pytest.mark.parametrize("name", ["0008-git-rename.mbox", "0016-no-subject.mbox"])
def test_pure_renames(name):
    d = _diff_of(name)
    assert [f.status for f in d.files] == ["renamed", "renamed"]
    assert d.files[0].old_path == "package/rpi-userland/rpi-userland-add-pkgconfig-files.patch"
    assert d.files[0].new_path == "package/rpi-userland/rpi-userland-000-add-pkgconfig-files.patch"
    assert [f.similarity for f in d.files] == [100, 100]
    assert all(not f.hunks for f in d.files)
    assert d.text.count("\nrename from ") == 2 and not d.text.endswith("-- \n1.8.1.2\n")


def test_rename_with_hunk_and_no_file_labels():
    d = _diff_of("0009-git-rename-with-diff.mbox")
    assert [len(f.hunks) for f in d.files] == [1, 0]
    assert d.files[0].status == "renamed"
    assert "\n-a\n+b\n" in d.text
    h = d.files[0].hunks[0]
    assert (h.old_start, h.old_len, h.new_start, h.new_len) == (100, 7, 100, 7)
    assert d.changed_lines()[0] == ("package/rpi-userland/rpi-userland-000-add-pkgconfig-files.patch", "-", "a")


def test_no_newline_markers_stay_in_the_diff():
    d = _diff_of("0011-no-newline-at-end-of-file.mbox")
    assert d.paths == ("tools/testing/selftests/powerpc/Makefile", "tools/testing/selftests/powerpc/vphn/vphn.c",
                       "tools/testing/selftests/powerpc/vphn/vphn.h")
    assert [f.status for f in d.files] == ["modified", "added", "added"]
    assert [f.new_mode for f in d.files[1:]] == ["120000", "120000"]  # symlinks
    assert d.text.count("\\ No newline at end of file") == 2
    assert d.text.rstrip("\n").endswith("\\ No newline at end of file")
    assert all(f.hunks[-1].lines[-1] == "\\ No newline at end of file" for f in d.files[1:])


@pytest.mark.parametrize("name,path,counts", [
    ("0010-invalid-charset.mbox", "sysdeps/x86_64/fpu/multiarch/e_pow.c", (1, 0)),
    ("0012-invalid-header-char.mbox", "lib/librte_eal/linuxapp/kni/kni_net.c", (1, 1)),
    ("0013-with-utf8-body.mbox", "MAINTAINERS", (3, 1)),
    ("0014-with-unencoded-utf8-headers.mbox", "MAINTAINERS", (3, 1)),
    ("0015-with-invalid-utf8-headers.mbox", "MAINTAINERS", (3, 1)),
    ("0019-multipart-patch.mbox", "patchwork/parser.py", (3, 1)),
])
def test_single_file_patches(name, path, counts):
    d = _diff_of(name)
    assert d.paths == (path,) and (d.added, d.removed) == counts
    assert "<div" not in d.text and not d.text.rstrip().endswith("--")


def test_empty_new_file():
    d = _diff_of("0021-git-empty-new-file.mbox")
    assert _summary(d) == [("banana", "added", False, 0)]
    assert d.files[0].old_path is None and d.files[0].new_mode == "100644"
    assert d.text == "diff --git a/banana b/banana\nnew file mode 100644\nindex 000000000000..e69de29bb2d1\n"


def test_mode_change_only():
    d = _diff_of("0022-git-mode-change.mbox")
    f = d.files[0]
    assert (f.path, f.status, f.old_mode, f.new_mode, f.hunks) == (
        "scripts/kconfig/nconf-cfg.sh", "mode", "100644", "100755", ())


def test_binary_files_with_no_prefix():
    d = _diff_of("0025-git-add-binary-file.mbox")
    assert _summary(d) == [("pixel.bmp", "added", True, 0)]
    assert "GIT binary patch\nliteral 142" in d.text and "literal 0\n" in d.text
    assert "-- " not in d.text
    mixed = _diff_of("0026-git-add-mixed-binary-text-files.mbox")
    assert _summary(mixed) == [("pixel.bmp", "added", True, 0), ("quit.sh", "added", False, 1)]
    assert "diff --git quit.sh quit.sh" in mixed.text and mixed.added == 3
    changed = _diff_of("0027-git-modify-binary-file.mbox")
    assert _summary(changed) == [("pixel.bmp", "modified", True, 0)]


def test_every_corpus_mail_offsets_are_exact():
    for path in sorted(MAIL.glob("*.mbox")):
        for raw in MboxSource(path).messages({}):
            body = parse(raw).body
            d = find_diff(body)
            if d:
                assert body[d.start:d.start + len(d.text)] == d.text
                assert d.text.startswith(("diff ", "Index: ", "--- "))


# -- dialects -------------------------------------------------------------------------

SIGNED = "Fix it.\n\nSigned-off-by: A <a@example.org>\n---\n x | 2 +-\n\n"


def test_signature_is_not_swallowed_by_the_last_hunk():
    body = SIGNED + ("diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n"
                     " keep\n-old\n+new\n-- \n2.47.0\n\n")
    d = find_diff(body)
    assert d.files[0].hunks[0].lines == (" keep", "-old", "+new")
    assert d.text.endswith("+new\n") and (d.added, d.removed) == (1, 1)


def test_plain_unified_diff_with_timestamps_and_quilt_prefixes():
    body = ("Some text\n\n--- linux.orig/drivers/foo.c\t2024-01-01 10:00:00.000000000 +0100\n"
            "+++ linux/drivers/foo.c\t2024-01-02 10:00:00.000000000 +0100\n@@ -10,3 +10,3 @@ int foo(void)\n"
            " a\n-b\n+c\n d\n--- /dev/null\n+++ b/new.c\n@@ -0,0 +1 @@\n+int x;\n\nthanks\n")
    d = find_diff(body)
    assert d.start == body.index("--- linux.orig")
    assert [(f.old_path, f.new_path, f.status) for f in d.files] == [
        ("drivers/foo.c", "drivers/foo.c", "modified"), (None, "new.c", "added")]
    assert d.files[0].hunks[0].section == "int foo(void)"
    assert d.files[1].hunks[0].new_len == 1 and d.text.endswith("+int x;\n")


def test_plain_diff_command_line_and_p0_paths():
    body = "diff -u a/foo.c.orig a/foo.c\n--- foo.c.orig\n+++ foo.c\n@@ -1 +1 @@\n-x\n+y\n"
    d = find_diff(body)
    assert (d.files[0].old_path, d.files[0].new_path) == ("foo.c.orig", "foo.c") and d.start == 0


def test_svn_diff():
    body = ("Index: trunk/a b.c\n===================================================================\n"
            "--- trunk/a b.c\t(revision 10)\n+++ trunk/a b.c\t(working copy)\n@@ -1,1 +1,2 @@\n x\n+y\n"
            "Index: trunk/img.png\n===================================================================\n"
            "Cannot display: file marked as a binary type.\nsvn:mime-type = application/octet-stream\n"
            "Index: trunk/gone.c\n===================================================================\n"
            "--- trunk/gone.c\t(revision 10)\n+++ /dev/null\t(working copy)\n@@ -1 +0,0 @@\n-z\n")
    d = find_diff(body)
    assert [(f.path, f.status, f.binary) for f in d.files] == [
        ("trunk/a b.c", "modified", False), ("trunk/img.png", "modified", True), ("trunk/gone.c", "deleted", False)]


def test_quoted_and_spaced_paths():
    body = ('diff --git "a/dir/f\\303\\251 \\"q\\".txt" "b/dir/f\\303\\251 \\"q\\".txt"\nnew file mode 100644\n'
            'index 0000000..e69de29\n'
            'diff --git a/with space.txt b/with space.txt\nold mode 100644\nnew mode 100755\n'
            'diff --git a/old name b/new name\nsimilarity index 90%\nrename from old name\nrename to new name\n'
            '--- a/old name\t\n+++ b/new name\t\n@@ -1 +1 @@\n-a\n+b\n')
    d = find_diff(body)
    assert d.paths == ('dir/fé "q".txt', "with space.txt", "new name")
    assert [f.status for f in d.files] == ["added", "mode", "renamed"]
    assert d.files[2].old_path == "old name" and d.files[2].similarity == 90
    assert unquote('"tab\\there\\\\"rest') == ("tab\there\\", "rest")


def test_git_copy_delete_and_binary_files_differ():
    body = ("diff --git a/a.c b/b.c\nsimilarity index 80%\ncopy from a.c\ncopy to b.c\n"
            "diff --git a/old.c b/old.c\ndeleted file mode 100644\nindex 1234567..0000000\n"
            "--- a/old.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"
            "diff --git a/logo.png b/logo.png\nindex 1234567..89abcde 100644\nBinary files a/logo.png and b/logo.png differ\n")
    d = find_diff(body)
    assert [(f.old_path, f.new_path, f.status, f.binary) for f in d.files] == [
        ("a.c", "b.c", "copied", False), ("old.c", None, "deleted", False), ("logo.png", "logo.png", "modified", True)]
    assert d.files[1].old_mode == "100644" and d.removed == 2


def test_hunk_without_counts_and_crlf():
    body = "intro\r\n\r\ndiff --git a/x b/x\r\n--- a/x\r\n+++ b/x\r\n@@ -5 +5 @@ f\r\n-a\r\n+b\r\n-- \r\n2.47.0\r\n"
    d = find_diff(body)
    h = d.files[0].hunks[0]
    assert (h.old_start, h.old_len, h.new_len, h.section, h.lines) == (5, 1, 1, "f", ("-a", "+b"))
    assert d.start == body.index("diff") and d.text.endswith("+b\r\n")
    assert d.changed_lines() == (("x", "-", "a"), ("x", "+", "b"))


def test_blank_context_line_and_mangled_hunk():
    d = find_diff("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n")
    assert d.files[0].hunks[0].lines == (" a", " ", "-b", "+c")
    short = find_diff("--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n-b\n+c\nSigned-off-by: me\n")
    assert short.files[0].hunks[0].lines == (" a", "-b", "+c") and short.text.endswith("+c\n")


def test_text_that_only_looks_like_a_diff():
    assert find_diff("") is None
    assert find_diff("---\n x | 1 +\n 1 file changed\n") is None
    assert find_diff("diff --git is what I ran\nand then more text\n") is None
    assert find_diff("> diff --git a/x b/x\n> --- a/x\n> +++ b/x\n> @@ -1 +1 @@\n") is None


# -- size limits ----------------------------------------------------------------------

def test_million_line_diff_is_linear():
    n = 500_000
    body = ("msg\n---\ndiff --git a/big b/big\nindex 1..2 100644\n--- a/big\n+++ b/big\n"
            f"@@ -1,{n} +1,{n} @@\n" + "-old\n+new\n" * n + "-- \n2.47.0\n")
    t = time.perf_counter()
    d = find_diff(body)
    assert time.perf_counter() - t < 10
    assert (d.added, d.removed) == (n, n)


def test_ten_thousand_files():
    body = "".join(f"diff --git a/f{i} b/f{i}\nindex 1..2 100644\n--- a/f{i}\n+++ b/f{i}\n@@ -1 +1 @@\n-a\n+b\n"
                   for i in range(10_000))
    d = find_diff(body)
    assert len(d.files) == 10_000 and d.paths[-1] == "f9999" and d.text == body


def test_many_false_starts_stay_linear():
    t = time.perf_counter()
    assert find_diff("--- x\n+++ y\n" * 200_000 + "Index: z\n" * 100_000) is None
    assert time.perf_counter() - t < 10


# -- robustness -----------------------------------------------------------------------

_PIECES = st.sampled_from(["diff --git a/x b/x\n", "diff --git \"a/\\30", "--- a/x\n", "+++ b/x\n", "--- /dev/null\n",
                           "@@ -1 +1 @@\n", "@@ -1,3 +0,0 @@ f\n", "@@ -99999999999 +1,2 @@\n", " ctx\n", "-old\n",
                           "+new\n", "\\ No newline at end of file\n", "\n", "\r\n", "Index: x\n", "=====\n",
                           "GIT binary patch\n", "literal 3\n", "zcmV\n", "new file mode 100644\n", "rename from \"q\n",
                           "similarity index 1%\n", "Binary files a/x and /dev/null differ\n", "-- \n", "old mode 1\n",
                           "\\\udcff", "\udcff", "\x0c"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=40))
def test_find_diff_never_raises(parts):
    text = "".join(parts)
    d = find_diff(text)
    if d is not None:
        assert text[d.start:d.start + len(d.text)] == d.text
        d.added, d.removed, d.paths, d.changed_lines()
        assert len(patch_id(d)) == 40 and isinstance(diff_fingerprint(d), frozenset)


def test_an_extra_at_sign_in_a_hunk_header_is_still_a_hunk_but_a_combined_diff_is_not():
    """``@@@ -10,5 +10,5 @@`` (a mailer's or a hand's extra ``@``) reads as the
    ``@@`` hunk it is, with the same patch-id; a real combined diff (two
    ``-`` ranges, a merge's) is not taken for a patch (issue 18, item 5)."""
    plain = "--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n d\n"
    extra = plain.replace("@@ -1,3 +1,3 @@", "@@@ -1,3 +1,3 @@")
    [hunk] = find_diff(extra).files[0].hunks
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (1, 3, 1, 3)
    assert hunk.lines == (" a", "-b", "+c", " d")
    assert patch_id(find_diff(extra)) == patch_id(find_diff(plain))
    git = "diff --git a/x.c b/x.c\nindex 1111111..2222222 100644\n" + extra
    assert patch_id(find_diff(git)) == patch_id(find_diff("diff --git a/x.c b/x.c\nindex 1111111..2222222 100644\n" + plain))
    combined = "--- a/x.c\n+++ b/x.c\n@@@ -1,3 -1,3 +1,3 @@@\n  a\n- b\n +c\n  d\n"
    assert find_diff(combined) is None
