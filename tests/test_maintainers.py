"""MAINTAINERS parsing and matching, on a real excerpt of the kernel's file
(tests/data/maintainers/MAINTAINERS-excerpt, see the README beside it)."""

import random
import re
from pathlib import Path

import pytest

from patchdesk.review.maintainers import (
    MaintainerIndex,
    Person,
    parse_maintainers,
    pattern_matches,
)

EXCERPT = Path(__file__).parent / "data" / "maintainers" / "MAINTAINERS-excerpt"


@pytest.fixture(scope="module")
def text():
    return EXCERPT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sections(text):
    return parse_maintainers(text)


@pytest.fixture(scope="module")
def index(sections):
    return MaintainerIndex(sections)


def by_title(sections, title):
    return next(s for s in sections if s.title == title)


def titles(index, paths, content=None):
    return [(s.title, depth) for s, depth in index.sections_for(paths, content)]


def emails(roles):
    return [r.email for r in roles]


# --- parsing ---------------------------------------------------------------

def test_parse_counts_the_real_sections_and_skips_the_header(text, sections):
    assert len(sections) == 51
    assert sections[0].title == "3C59X NETWORK DRIVER"
    assert sections[-1].title == "THE REST"
    # every unindented F: line of the file lands in some section; the
    # header's indented examples ("\t   F:\tdrivers/net/") in none
    f_lines = [ln for ln in text.splitlines() if ln.startswith("F:")]
    assert sum(len(s.files) for s in sections) == len(f_lines) == 179
    assert not any("note::" in s.title or "Descriptions" in s.title for s in sections)
    assert not any(f == "drivers/net/*" for s in sections for f in s.files)


def test_header_without_marker_gives_the_same_sections(text, sections):
    unmarked = text.replace("Maintainers List\n----------------\n", "")
    assert "Maintainers List" not in unmarked
    assert parse_maintainers(unmarked) == sections


def test_header_tag_lines_before_the_marker_are_not_a_section():
    text = ("Descriptions of section entries\n"
            "F:\tdrivers/net/\tall files in and below drivers/net\n\n"
            "Maintainers List\n----------------\n\n"
            "GPIO MOCKUP DRIVER\nM:\tBamvor Jian Zhang <bamv2005@gmail.com>\n"
            "F:\tdrivers/gpio/gpio-mockup.c\n")
    assert [s.title for s in parse_maintainers(text)] == ["GPIO MOCKUP DRIVER"]
    unmarked = text.replace("Maintainers List\n", "")
    assert [s.title for s in parse_maintainers(unmarked)] == \
        ["Descriptions of section entries", "GPIO MOCKUP DRIVER"]


def test_gpio_subsystem_fields(sections):
    s = by_title(sections, "GPIO SUBSYSTEM")
    assert s.maintainers == (Person("Linus Walleij", "linus.walleij@linaro.org"),
                             Person("Bartosz Golaszewski", "brgl@bgdev.pl"))
    assert s.reviewers == ()
    assert s.lists == ("linux-gpio@vger.kernel.org",)
    assert s.status == "Maintained"
    assert s.trees == ("git git://git.kernel.org/pub/scm/linux/kernel/git/brgl/linux.git",)
    assert s.files[3] == "drivers/gpio/" and len(s.files) == 8
    assert s.keywords == ("(devm_)?gpio_(request|free|direction|get|set)",
                          "GPIOD_FLAGS_BIT_NONEXCLUSIVE", "devm_gpiod_unhinge")
    assert s.excludes == () and s.regexes == ()


def test_person_forms(sections):
    x86 = by_title(sections, "X86 ARCHITECTURE (32-BIT AND 64-BIT)")
    assert x86.maintainers[4] == Person("", "x86@kernel.org")           # bare address
    assert x86.reviewers == (Person("H. Peter Anvin", "hpa@zytor.com"),)  # quoted name
    virtio = by_title(sections, "VIRTIO GPIO DRIVER")
    assert virtio.maintainers[0] == Person("Enrico Weigelt, metux IT consult", "info@metux.net")
    futex = by_title(sections, "FUTEX SUBSYSTEM")
    assert futex.reviewers[-1] == Person("André Almeida", "andrealmeid@igalia.com")
    r8169 = by_title(sections, "8169 10/100/1000 GIGABIT ETHERNET DRIVER")
    assert r8169.maintainers[1] == Person("", "nic_swsd@realtek.com")


def test_lists_trees_and_misc_tags(sections):
    arm64 = by_title(sections, "ACPI FOR ARM64 (ACPI/arm64)")
    assert arm64.lists == ("linux-acpi@vger.kernel.org", "linux-arm-kernel@lists.infradead.org")
    wifi = by_title(sections, "802.11 (including CFG80211/NL80211)")
    assert len(wifi.trees) == 2 and wifi.regexes == ("include/uapi/linux/nl80211-.*",)
    misc = by_title(sections, "DRM DRIVERS AND MISC GPU PATCHES")
    assert len(misc.excludes) == 12 and misc.excludes[7] == "drivers/gpu/drm/msm/"
    assert by_title(sections, "X86 TRUST DOMAIN EXTENSIONS (TDX)").keywords == (r"\b(tdx)",)


def test_statuses(sections):
    status = {s.title: s.status for s in sections}
    orphans = [t for t, st in status.items() if st == "Orphan"]
    assert orphans == ["A8293 MEDIA DRIVER", "VME SUBSYSTEM", "ZD1211RW WIRELESS DRIVER"]
    assert status["8390 NETWORK DRIVERS [WD80x3/SMC-ELITE, SMC-ULTRA, NE2000, 3C503, etc.]"] \
        == "Orphan / Obsolete"
    assert status["DRM DRIVER FOR QEMU'S CIRRUS DEVICE"] == "Obsolete"
    assert status["3C59X NETWORK DRIVER"] == "Odd Fixes"
    assert status["ACPI APEI"] == ""                      # no S: line
    assert status["THE REST"] == "Buried alive in reporters"


# --- file patterns ---------------------------------------------------------

def test_trailing_slash_matches_the_whole_tree(index):
    assert titles(index, ["drivers/gpu/drm/msm/disp/dpu1/dpu_kms.c"])[0] == \
        ("DRM DRIVER for Qualcomm display hardware", 4)
    assert ("9P FILE SYSTEM", 2) in titles(index, ["fs/9p/vfs_inode.c"])
    assert ("9P FILE SYSTEM", 2) not in titles(index, ["fs/9p"])   # the directory itself


def test_plain_pattern_naming_a_directory_matches_below_it(index):
    assert titles(index, ["drivers/acpi/arm64/iort.c"])[0] == ("ACPI FOR ARM64 (ACPI/arm64)", 3)
    assert ("FUNCTION HOOKS (FTRACE)", 2) in titles(index, ["samples/ftrace/ftrace-direct.c"])
    assert titles(index, ["tools/testing/selftests/x86/test_vsyscall.c"])[0] == \
        ("X86 ARCHITECTURE (32-BIT AND 64-BIT)", 4)


def test_star_does_not_cross_a_slash(index):
    assert ("FUTEX SUBSYSTEM", 3) in titles(index, ["kernel/futex/core.c"])
    assert titles(index, ["kernel/futex/sub/core.c"]) == [("THE REST", 0)]
    # F: drivers/pci/*acpi* and F: drivers/pci/*/*acpi*: one level each
    assert ("ACPI", 3) in titles(index, ["drivers/pci/pci-acpi.c"])
    assert ("ACPI", 4) in titles(index, ["drivers/pci/hotplug/acpiphp_glue.c"])
    assert "ACPI" not in dict(titles(index, ["drivers/pci/hotplug/deeper/acpi.c"]))
    assert ("3WARE SAS/SATA-RAID SCSI DRIVERS (3W-XXXX, 3W-9XXX, 3W-SAS)", 3) in \
        titles(index, ["drivers/scsi/3w-9xxx.c"])
    assert pattern_matches("drivers/gpio/*", "drivers/gpio/gpiolib.c")
    assert not pattern_matches("drivers/gpio/*", "drivers/gpio/sub/x.c")
    assert pattern_matches("fs/**/*foo*.c", "fs/a/b/myfoo1.c")


def test_plain_pattern_begins_file_names_as_in_perl(index):
    # F: include/drm/drm is unanchored in get_maintainer.pl
    assert titles(index, ["include/drm/drm_atomic.h"])[:2] == \
        [("DRM DRIVERS AND MISC GPU PATCHES", 3), ("DRM DRIVERS", 2)]
    # ... but only within the last component, and a plain pattern is a directory too
    assert "DRM DRIVERS AND MISC GPU PATCHES" not in dict(titles(index, ["include/drm/drm_x/y.h"]))
    assert ("DRM DRIVERS AND MISC GPU PATCHES", 3) in titles(index, ["include/drm/drm/y.h"])


def test_exclude_removes_the_section_for_that_path_only(index):
    msm = dict(titles(index, ["drivers/gpu/drm/msm/msm_drv.c"]))
    assert "DRM DRIVERS AND MISC GPU PATCHES" not in msm and msm["DRM DRIVERS"] == 2
    core = dict(titles(index, ["drivers/gpu/drm/drm_atomic.c"]))
    assert core["DRM DRIVERS AND MISC GPU PATCHES"] == 3
    both = dict(titles(index, ["drivers/gpu/drm/msm/msm_drv.c", "drivers/gpu/drm/drm_atomic.c"]))
    assert both["DRM DRIVERS AND MISC GPU PATCHES"] == 3


def test_n_regex_matches_paths(index):
    assert titles(index, ["drivers/mfd/axp20x.c"]) == \
        [("X-POWERS MULTIFUNCTION PMIC DEVICE DRIVERS", 0), ("THE REST", 0)]
    charger = dict(titles(index, ["drivers/power/supply/axp288_charger.c"]))
    assert "X-POWERS AXP288 PMIC DRIVERS" in charger
    assert "X-POWERS MULTIFUNCTION PMIC DEVICE DRIVERS" in charger
    assert ("802.11 (including CFG80211/NL80211)", 0) in \
        titles(index, ["include/uapi/linux/nl80211-vnd-intel.h"])
    assert titles(index, ["arch/x86/virt/vmx/tdx/tdx.c"]) == [
        ("X86 ARCHITECTURE (32-BIT AND 64-BIT)", 2),
        ("X86 TRUST DOMAIN EXTENSIONS (TDX)", 0), ("THE REST", 0)]


def test_n_regexes_that_cannot_join_the_alternation_still_match():
    idx = MaintainerIndex.from_text(
        "BACKREF\nM:\tA <a@x.org>\nN:\t(ab)\\1\n\n"
        "FLAGS\nM:\tB <b@x.org>\nN:\t(?i)TEGRA\n\n"
        "NAMED\nM:\tC <c@x.org>\nN:\t(?P<soc>imx)[0-9]\n\n"
        "PLAIN\nM:\tD <d@x.org>\nN:\t[^a-z]tegra\n")
    assert emails(idx.roles_for(["drivers/abab.c"])) == ["a@x.org"]
    assert emails(idx.roles_for(["drivers/ab.c"])) == []
    assert emails(idx.roles_for(["arch/arm/mach-tegra/x.c"])) == ["b@x.org", "d@x.org"]
    assert emails(idx.roles_for(["drivers/clk/imx8/x.c"])) == ["c@x.org"]


PATCH = """\
gpio: mfd: use the managed request

--- a/drivers/mfd/foo.c
+++ b/drivers/mfd/foo.c
@@ -10,7 +10,7 @@ static int foo_probe(struct platform_device *pdev)
 \tstruct foo *foo = platform_get_drvdata(pdev);
-\tret = gpio_request(foo->gpio, "foo");
+\tret = devm_gpio_request(&pdev->dev, foo->gpio, "foo");
 \treturn ret;
"""


def test_keywords_match_changed_lines_of_the_patch(index):
    paths = ["drivers/mfd/foo.c"]
    assert titles(index, paths) == [("THE REST", 0)]
    assert titles(index, paths, PATCH)[0] == ("GPIO SUBSYSTEM", 0)
    roles = index.roles_for(paths, PATCH)
    assert emails(roles) == ["linus.walleij@linaro.org", "brgl@bgdev.pl",
                             "torvalds@linux-foundation.org"]
    context_only = PATCH.replace("-\tret = gpio_request", " \tret = gpio_request").replace(
        "+\tret = devm_gpio_request", " \tret = devm_gpio_request")
    assert titles(index, paths, context_only) == [("THE REST", 0)]


def test_keywords_ignore_diff_headers(index):
    patch = ("--- a/fs/btrfs/zstd.c\n+++ b/fs/btrfs/zstd.c\n@@ -1 +1 @@\n"
             "-\treturn 1;\n+\treturn 0;\n")
    assert titles(index, ["fs/btrfs/compression.c"], patch) == [("THE REST", 0)]
    added = patch.replace("+\treturn 0;", "+\treturn zstd_init();")
    assert ("ZSTD", 0) in titles(index, ["fs/btrfs/compression.c"], added)
    xdp = "+\tif (xdp_prog)\n"
    assert "XDP (eXpress Data Path)" in dict(titles(index, ["drivers/net/foo.c"], xdp))


# --- roles -------------------------------------------------------------------

def test_driver_maintainer_comes_before_the_subsystem(index):
    roles = index.roles_for(["drivers/gpio/gpio-mockup.c"])
    assert [(r.name, r.role, r.section, r.depth) for r in roles] == [
        ("Bamvor Jian Zhang", "maintainer", "GPIO MOCKUP DRIVER", 3),
        ("Linus Walleij", "maintainer", "GPIO SUBSYSTEM", 2),
        ("Bartosz Golaszewski", "maintainer", "GPIO SUBSYSTEM", 2),
        ("Linus Torvalds", "maintainer", "THE REST", 0)]


def test_reviewers_of_a_driver(index):
    roles = index.roles_for(["drivers/gpio/gpio-xilinx.c"])
    assert [(r.email, r.role) for r in roles[:3]] == [
        ("shubhrajyoti.datta@amd.com", "maintainer"),
        ("srinivas.neeli@amd.com", "reviewer"),
        ("michal.simek@amd.com", "reviewer")]
    uapi = index.roles_for(["drivers/gpio/gpiolib-cdev.c"])
    assert [(r.email, r.role, r.section) for r in uapi[:3]] == [
        ("brgl@bgdev.pl", "maintainer", "GPIO UAPI"),
        ("warthog618@gmail.com", "reviewer", "GPIO UAPI"),
        ("linus.walleij@linaro.org", "maintainer", "GPIO SUBSYSTEM")]


def test_a_person_is_listed_once_with_the_deepest_standing(index):
    roles = index.roles_for(["arch/x86/entry/vdso/vma.c", "arch/x86/entry/entry_64.S"])
    assert emails(roles).count("luto@kernel.org") == 1
    assert roles[0].email == "luto@kernel.org" and roles[0].section == "X86 VDSO"
    assert roles[0].depth == 4
    assert len(emails(roles)) == len(set(emails(roles)))


def test_maintainer_beats_reviewer_at_equal_depth(index):
    # Hanjun Guo: R: in ACPI APEI (drivers/acpi/apei/), M: in ACPI FOR ARM64
    # (drivers/acpi/arm64): both three components deep
    role = index.role_of("guohanjun@huawei.com",
                         ["drivers/acpi/apei/ghes.c", "drivers/acpi/arm64/iort.c"])
    assert (role.role, role.section, role.depth) == ("maintainer", "ACPI FOR ARM64 (ACPI/arm64)", 3)
    apei_only = index.role_of("guohanjun@huawei.com", ["drivers/acpi/apei/ghes.c"])
    assert (apei_only.role, apei_only.section) == ("reviewer", "ACPI APEI")
    # deeper wins over maintainer: Dave Hansen M: of X86 (2) beats R: of TDX (N:, 0)
    tdx = index.role_of("dave.hansen@linux.intel.com", ["arch/x86/virt/vmx/tdx/tdx.c"])
    assert (tdx.role, tdx.depth) == ("maintainer", 2)


def test_role_of_is_case_insensitive_and_takes_from_headers(index):
    role = index.role_of("Linus.Walleij@LINARO.org", ["drivers/gpio/gpio-mockup.c"])
    assert (role.name, role.role, role.section) == ("Linus Walleij", "maintainer", "GPIO SUBSYSTEM")
    hpa = index.role_of('"H. Peter Anvin" <HPA@Zytor.com>', ["arch/x86/kernel/setup.c"])
    assert (hpa.role, hpa.section) == ("reviewer", "X86 ARCHITECTURE (32-BIT AND 64-BIT)")
    assert index.role_of("joe@perches.com", ["drivers/gpio/gpio-mockup.c"]) is None
    assert index.role_of("joe@perches.com", ["scripts/get_maintainer.pl"]).role == "maintainer"
    assert index.role_of("", ["drivers/gpio/gpio-mockup.c"]) is None
    assert index.role_of("not an address", ["drivers/gpio/gpio-mockup.c"]) is None


def test_addresses_compare_case_insensitively():
    # the real file writes some addresses with capitals (WIREGUARD has
    # Jason@zx2c4.com); the second section here is made up
    idx = MaintainerIndex.from_text(
        "WIREGUARD\nM:\tJason A. Donenfeld <Jason@zx2c4.com>\nF:\tdrivers/net/wireguard/\n\n"
        "RANDOM\nR:\tJason A. Donenfeld <jason@zx2c4.com>\nF:\tdrivers/\n")
    roles = idx.roles_for(["drivers/net/wireguard/device.c"])
    assert [(r.email, r.role, r.depth) for r in roles] == [("Jason@zx2c4.com", "maintainer", 3)]
    assert idx.role_of("JASON@ZX2C4.COM", ["drivers/char/random.c"]).role == "reviewer"
    assert idx.role_of("Jason A. Donenfeld <jason@zx2c4.com>",
                       ["drivers/net/wireguard/device.c"]).role == "maintainer"


def test_lists_and_orphans(index):
    assert index.lists_for(["drivers/gpio/gpio-mockup.c"]) == \
        ("linux-gpio@vger.kernel.org", "linux-kernel@vger.kernel.org")
    orphan = ["drivers/media/dvb-frontends/a8293.c"]
    assert titles(index, orphan) == [("A8293 MEDIA DRIVER", 4), ("THE REST", 0)]
    assert emails(index.roles_for(orphan)) == ["torvalds@linux-foundation.org"]
    assert index.lists_for(orphan) == ("linux-media@vger.kernel.org", "linux-kernel@vger.kernel.org")
    assert index.roles_for("drivers/gpio/gpio-mockup.c") == \
        index.roles_for(["drivers/gpio/gpio-mockup.c"])   # one path as a str


# --- the index against a plain scan -----------------------------------------

def _reference(sections, path):
    """Every pattern of every section, tried one by one."""
    found = {}
    for i, s in enumerate(sections):
        if any(pattern_matches(x, path) for x in s.excludes):
            continue
        depths = [0 if f[0] in "*?" else f.count("/") + (not f.endswith("/"))
                  for f in s.files if pattern_matches(f, path)]
        depths += [0 for n in s.regexes if re.search(n, path, re.VERBOSE)]
        if depths:
            found[s.title] = max(depths)
    return found


def test_index_agrees_with_a_plain_scan(sections, index):
    paths = set()
    for s in sections:
        for f in s.files + s.excludes:
            p = f.replace("**", "a/b").replace("*", "x").replace("?", "q")
            paths |= {p, p.rstrip("/") + "/sub/file.c", p.rstrip("/") + "_more.c",
                      p.rsplit("/", 1)[0] + "/other.c"}
    assert len(paths) > 600
    for path in sorted(paths):
        assert dict(titles(index, [path])) == _reference(sections, path), path


# --- bad input -------------------------------------------------------------

BROKEN = """\x00\xff some junk before anything
FOO DRIVER
M:   Foo Bar <foo@example.org>
this line has no colon
R:\tno address here
N:\tdrivers/foo/([
N:\t^drivers/foo_
K:\t(?P<broken
F:\tdrivers/foo/
S:Maintained

just a title with nothing under it
"""


def test_malformed_lines_are_skipped(index):
    (foo,) = parse_maintainers(BROKEN)
    assert foo.title == "FOO DRIVER"
    assert foo.maintainers == (Person("Foo Bar", "foo@example.org"),)
    assert foo.reviewers == ()
    assert foo.regexes == ("^drivers/foo_",) and foo.keywords == ()
    assert foo.files == ("drivers/foo/",) and foo.status == "Maintained"
    idx = MaintainerIndex.from_text(BROKEN)
    assert idx.role_of("FOO@example.org", ["drivers/foo_bar.c"]).depth == 0
    assert idx.role_of("foo@example.org", ["drivers/foo/a/b.c"]).depth == 2
    assert idx.roles_for(["drivers/bar.c"], "+foo\n") == ()


@pytest.mark.parametrize("junk", [
    "", "\n\n\n", "M:\tnobody <a@b.c>\nF:\t*\n", "no colon anywhere\nat all\n",
    "TITLE\nF:\t[\nX:\t**\nN:\t(\nK:\t)\nN:\t" + "(" * 5000 + "\n",
    bytes(random.Random(7).randrange(256) for _ in range(20000)),
])
def test_garbage_never_raises(junk):
    idx = MaintainerIndex.from_text(junk)
    for paths in (["a/b/c.c"], ["["], [""], ["/"], []):
        assert isinstance(idx.roles_for(paths, "+x\n-y\n"), tuple)
        assert isinstance(idx.lists_for(paths), tuple)
        assert idx.role_of("a@b.c", paths) is None
