"""Subject parsing: a table of real-world subjects, then property tests.

Every row states *all* fields (unstated ones take the defaults of a plain,
untagged subject), so a change in any rule shows up as a failing row.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchdesk.parse.subject import Subject, parse_subject

DEFAULTS = dict(
    is_reply=False, is_forward=False, is_patch=False, is_rfc=False, is_resend=False,
    is_pull=False, version=(1, 0), counter=None, total=None, tags=(),
)


def row(subject, name, *, reply=False, fwd=False, patch=False, rfc=False, resend=False,
        pull=False, v=(1, 0), n=None, tags=(), label=None):
    """One table row: ``n`` is (counter, total), ``label`` the version_label."""
    counter, total = n if n is not None else (None, None)
    expected = dict(
        name=name, is_reply=reply, is_forward=fwd, is_patch=patch, is_rfc=rfc,
        is_resend=resend, is_pull=pull, version=v, counter=counter, total=total,
        tags=tuple(tags),
    )
    return pytest.param(subject, expected, label, id=subject[:60])


P = dict(patch=True)  # the common case, to keep rows short

TABLE = [
    # --- plain PATCH forms ------------------------------------------------
    row("[PATCH] core: dev: don't call BUG() on bad input",
        "core: dev: don't call BUG() on bad input", **P, label="v1"),
    row("[PATCH 2/4] x86: get rid of KERNEL_STACK_OFFSET",
        "x86: get rid of KERNEL_STACK_OFFSET", **P, n=(2, 4)),
    row("[PATCH 01/10] arch/arm: Remove unnecessary semicolons",
        "arch/arm: Remove unnecessary semicolons", **P, n=(1, 10)),
    row("[PATCH 00/44] remove unnecessary semicolons",
        "remove unnecessary semicolons", **P, n=(0, 44)),
    row("[PATCH v2 00/10] mm: cover letter", "mm: cover letter", **P, v=(2, 0), n=(0, 10)),
    row("[PATCH 3/2] test: Remove Markdown formatting",
        "test: Remove Markdown formatting", **P, n=(3, 2)),
    row("[PATCH 1/1] kconfig: Make nconf-cfg.sh executable",
        "kconfig: Make nconf-cfg.sh executable", **P, n=(1, 1)),
    # --- versions -----------------------------------------------------------
    row("[PATCH v3 2/7] mm: fix thing", "mm: fix thing", **P, v=(3, 0), n=(2, 7), label="v3"),
    row("[PATCH 1/8 v2] foo: bar", "foo: bar", **P, v=(2, 0), n=(1, 8)),
    row("[PATCH V2 0/4] PM / OPP: Minor cleanups", "PM / OPP: Minor cleanups",
        **P, v=(2, 0), n=(0, 4)),
    row("[PATCH V2] foo", "foo", **P, v=(2, 0)),
    row("[PATCHv2 3/4] foo: bar", "foo: bar", **P, v=(2, 0), n=(3, 4)),
    row("[PATCHv4] foo", "foo", **P, v=(4, 0)),
    row("[PATCH v5.1 10/12] drm: thing", "drm: thing", **P, v=(5, 1), n=(10, 12), label="v5.1"),
    row("[PATCH v1 0/2] More changes", "More changes", **P, n=(0, 2), label="v1"),
    row("[PATCH] [v2] foo", "foo", **P, v=(2, 0)),
    row("[PATCH v2] [v3] foo", "foo", **P, v=(2, 0)),  # first version wins
    row("[PATCH 0/2] name (v3)", "name", **P, v=(3, 0), n=(0, 2)),
    row("[PATCH] foo [v2]", "foo", **P, v=(2, 0)),  # trailing [vN] == (vN)
    row("[PATCH] foo (V4.2)", "foo", **P, v=(4, 2), label="v4.2"),
    row("[PATCH net-next v3 0/4] net: dsa: Multi-CPU ground work (v3)",
        "net: dsa: Multi-CPU ground work", **P, v=(3, 0), n=(0, 4), tags=["net-next"]),
    row("[PATCH v4] foo (v3)", "foo", **P, v=(4, 0)),  # tag wins, suffix still removed
    row("some discussion (v2)", "some discussion", v=(2, 0)),
    row("[PATCH] foo (v2) bar", "foo (v2) bar", **P),  # only at the very end
    row("[PATCH] bump to v2.0", "bump to v2.0", **P),
    row("[GIT PULL] gpio fixes for v6.9", "gpio fixes for v6.9", pull=True),
    # --- subsystem / tree tags ------------------------------------------------
    row("[PATCH net-next v2 1/3] net: foo", "net: foo", **P, v=(2, 0), n=(1, 3),
        tags=["net-next"]),
    row("[PATCH bpf-next 2/3] selftests/bpf: add test", "selftests/bpf: add test",
        **P, n=(2, 3), tags=["bpf-next"]),
    row("[PATCH 5.10 012/123] x86/speculation: fix", "x86/speculation: fix",
        **P, n=(12, 123), tags=["5.10"]),
    row("[PATCH 6.1 000/200] 6.1.90-rc1 review", "6.1.90-rc1 review",
        **P, n=(0, 200), tags=["6.1"]),
    row("[PATCH v2 net] tcp: fix", "tcp: fix", **P, v=(2, 0), tags=["net"]),
    row("[PATCH -next] bpf: Use PTR_ERR_OR_ZERO in xsk_map_inc()",
        "bpf: Use PTR_ERR_OR_ZERO in xsk_map_inc()", **P, tags=["-next"]),
    row("[PATCH for-next v3 4/7] RDMA/core: x", "RDMA/core: x",
        **P, v=(3, 0), n=(4, 7), tags=["for-next"]),
    row("[PATCH stable 4.19] foo", "foo", **P, tags=["stable", "4.19"]),
    row("[PATCH iwl-net] ice: fix", "ice: fix", **P, tags=["iwl-net"]),
    row("[net,v2,1/2] net: ieee802154: remove explicit set skb->sk",
        "net: ieee802154: remove explicit set skb->sk", **P, v=(2, 0), n=(1, 2), tags=["net"]),
    row("[net-next,v3,0/5] thing", "thing", **P, v=(3, 0), n=(0, 5), tags=["net-next"]),
    row("[PATCH, v2, 1/3] foo", "foo", **P, v=(2, 0), n=(1, 3)),
    row("[PATCH v2,1/3] foo", "foo", **P, v=(2, 0), n=(1, 3)),
    row("[PATCH , net-next ,v2] foo", "foo", **P, v=(2, 0), tags=["net-next"]),
    # --- list tags ----------------------------------------------------------
    row("[ltp] [PATCH v2 1/2] syscalls: add test", "syscalls: add test",
        **P, v=(2, 0), n=(1, 2), tags=["ltp"]),
    row("[notmuch] [PATCH 1/2] Close message file after parsing message",
        "Close message file after parsing message", **P, n=(1, 2), tags=["notmuch"]),
    row("[Buildroot] [PATCH 01/11] package/rpi-userland: rename patches",
        "package/rpi-userland: rename patches", **P, n=(1, 11), tags=["buildroot"]),
    row("[dpdk-dev] [PATCH] kni: fix compilation error", "kni: fix compilation error",
        **P, tags=["dpdk-dev"]),
    row("[notmuch] Working with Maildir storage?", "Working with Maildir storage?",
        tags=["notmuch"]),
    row("[MM3-users]Installation issues", "Installation issues", tags=["mm3-users"]),
    row("[ltp] Re: [PATCH v2] foo", "foo", reply=True, **P, v=(2, 0), tags=["ltp"]),
    row("[syzbot] [mm?] KASAN: use-after-free", "KASAN: use-after-free",
        tags=["syzbot", "mm?"]),
    row("[ANNOUNCE] Linux 6.9", "Linux 6.9", tags=["announce"]),
    # --- RFC / RESEND -------------------------------------------------------
    row("[RFC PATCH] foo", "foo", **P, rfc=True),
    row("[PATCH RFC] foo", "foo", **P, rfc=True),
    row("[PATCH RFC v2] foo", "foo", **P, rfc=True, v=(2, 0)),
    row("[RFC][PATCH 00/10] cifs: local caching support using FS-Cache",
        "cifs: local caching support using FS-Cache", **P, rfc=True, n=(0, 10)),
    row("[RFC/PATCH] foo", "foo", **P, rfc=True),
    row("[PATCH/RFC 2/3] foo", "foo", **P, rfc=True, n=(2, 3)),
    row("[RFCv3 PATCH 1/2] foo", "foo", **P, rfc=True, v=(3, 0), n=(1, 2)),
    row("[RFC] mm: a discussion", "mm: a discussion", rfc=True),
    row("[PATCH v2 1/3] [RFC] foo: bar", "foo: bar", **P, rfc=True, v=(2, 0), n=(1, 3)),
    row("Re: [RFC PATCH v2 12/12] emacs: whitespace cleanup for keybindings",
        "emacs: whitespace cleanup for keybindings", reply=True, **P, rfc=True,
        v=(2, 0), n=(12, 12)),
    row("[PATCH RESEND] foo", "foo", **P, resend=True),
    row("[RESEND PATCH v2 1/2] foo", "foo", **P, resend=True, v=(2, 0), n=(1, 2)),
    row("[PATCH RESEND v2 0/5] foo", "foo", **P, resend=True, v=(2, 0), n=(0, 5)),
    row("[RESEND][PATCH] foo", "foo", **P, resend=True),
    # --- pull requests --------------------------------------------------------
    row("[GIT PULL] soc: updates for v5.5", "soc: updates for v5.5", pull=True),
    row("[GIT PULL v2] foo", "foo", pull=True, v=(2, 0)),
    row("[PULL] foo", "foo", pull=True),
    row("[PULL REQUEST] foo", "foo", pull=True),
    row("[git pull] Please pull powerpc.git next branch",
        "Please pull powerpc.git next branch", pull=True),
    row("[PULL 0/7] target-arm queue", "target-arm queue", pull=True, **P, n=(0, 7)),
    row("[GIT] Networking", "Networking", tags=["git"]),
    # --- unbracketed and odd-case forms -------------------------------------
    row("PATCH1/8 foo", "foo", **P, n=(1, 8)),
    row("PATCHv2 foo", "foo", **P, v=(2, 0)),
    row("PATCH v3 2/5: foo", "foo", **P, v=(3, 0), n=(2, 5)),
    row("PATCH: foo", "foo", **P),
    row("PATCHES foo", "PATCHES foo"),
    row("Patchwork summary for: linux", "Patchwork summary for: linux"),
    row("[Patch 2/2]: powerpc/hotplug/mm: Fix hot-add memory node assoc",
        "powerpc/hotplug/mm: Fix hot-add memory node assoc", **P, n=(2, 2)),
    row("[Patch]: Fix ld pr11138 FAILures on mips*.", "Fix ld pr11138 FAILures on mips*.", **P),
    row("[patch v2] lower case", "lower case", **P, v=(2, 0)),
    # --- hg patchbomb ---------------------------------------------------------
    row("[PATCH 0 of 2] Sample Mercurial patches", "Sample Mercurial patches", **P, n=(0, 2)),
    row("[PATCH 1 of 2] contrib: fix check-commit", "contrib: fix check-commit", **P, n=(1, 2)),
    row("[PATCH 0 of 2]", "", **P, n=(0, 2)),
    # --- replies and forwards -------------------------------------------------
    row("Re: [PATCH 1/2] foo", "foo", reply=True, **P, n=(1, 2)),
    row("RE: Re: [PATCH] foo", "foo", reply=True, **P),
    row("Re: Re: Fwd: [PATCH] foo", "foo", reply=True, fwd=True, **P),
    row("Fwd: [PATCH] foo", "foo", reply=True, fwd=True, **P),
    row("Fw: [PATCH] foo", "foo", reply=True, fwd=True, **P),
    row("FW: foo", "foo", reply=True, fwd=True),
    row("WG: [PATCH] foo", "foo", reply=True, fwd=True, **P),
    row("AW: [PATCH] foo", "foo", reply=True, **P),
    row("SV: [PATCH] foo", "foo", reply=True, **P),
    row("VS: [PATCH] foo", "foo", reply=True, **P),
    row("Antw: [PATCH] foo", "foo", reply=True, **P),
    row("Odp: [PATCH] foo", "foo", reply=True, **P),
    row("Re[2]: [PATCH] foo", "foo", reply=True, **P),
    row("RE : [PATCH] foo", "foo", reply=True, **P),
    row("re:[PATCH]foo", "foo", reply=True, **P),
    row("回复: [PATCH] 修复 内存泄漏", "修复 内存泄漏", reply=True, **P),
    row("回复：[PATCH] 修复", "修复", reply=True, **P),
    row("Re: [PATCH] 修复 ...", "修复 ...", reply=True, **P),
    row("Re: bug: \"no top level messages\" crash", "bug: \"no top level messages\" crash",
        reply=True),
    row("RE: [PATCH v2 5/7] powerpc/85xx: Add MChk handler for SRIO port",
        "powerpc/85xx: Add MChk handler for SRIO port", reply=True, **P, v=(2, 0), n=(5, 7)),
    row("[Mailman-cabal] Fwd: xana", "xana", reply=True, fwd=True, tags=["mailman-cabal"]),
    # --- things that are not markers --------------------------------------------
    row("Revert \"mm: foo\"", "Revert \"mm: foo\""),
    row("[PATCH] Revert: foo", "Revert: foo", **P),
    row("[PATCH] fw: load blob", "fw: load blob", **P),  # lower-case fw: is a prefix
    row("[PATCH] wg: fix", "wg: fix", **P),
    row("[PATCH] fix foo[i] overflow", "fix foo[i] overflow", **P),
    row("rfc: rewrite commit subject line", "rfc: rewrite commit subject line"),
    row("Bug#916867: Increase severity to 'serious'", "Bug#916867: Increase severity to 'serious'"),
    row("MAINTAINERS: Update entry for BCM5301X ARM", "MAINTAINERS: Update entry for BCM5301X ARM"),
    row("[PATCH [v2] foo", "[PATCH [v2] foo"),  # unbalanced: nothing is a tag
    row("[PATCH v2 1/2 foo", "[PATCH v2 1/2 foo"),
    row("] [PATCH] foo", "] [PATCH] foo"),
    # --- whitespace and non-ASCII ---------------------------------------------
    row("[PATCH] docs: Überarbeitung der Einführung", "docs: Überarbeitung der Einführung", **P),
    row("  [PATCH\tv2]   foo:\n\t bar  ", "foo: bar", **P, v=(2, 0)),
    row("[PATCH]: : foo", "foo", **P),
    row("MAINTAINERS: Update entry to include Rafał Miłecki",
        "MAINTAINERS: Update entry to include Rafał Miłecki"),
    row("", ""),
    row("   ", ""),
    row("[PATCH]", "", **P),
    row("Subject Unavailable", "Subject Unavailable"),
]


@pytest.mark.parametrize("subject, expected, label", TABLE)
def test_table(subject, expected, label):
    parsed = parse_subject(subject)
    assert parsed.raw == subject
    got = {key: getattr(parsed, key) for key in expected}
    assert got == expected
    if label is not None:
        assert parsed.version_label == label


def test_table_is_big_and_distinct():
    subjects = [p.values[0] for p in TABLE]
    assert len(subjects) >= 60
    assert len(set(subjects)) == len(subjects)


@pytest.mark.parametrize("version, label", [((1, 0), "v1"), ((2, 0), "v2"), ((5, 1), "v5.1"),
                                            ((10, 0), "v10")])
def test_version_label(version, label):
    s = Subject(raw="", name="", is_reply=False, is_forward=False, is_patch=False,
                is_rfc=False, is_resend=False, is_pull=False, version=version,
                counter=None, total=None, tags=())
    assert s.version_label == label


def test_frozen():
    s = parse_subject("[PATCH] foo")
    with pytest.raises(AttributeError):
        s.name = "bar"  # type: ignore[misc]


def test_series_members_share_a_name_across_revisions():
    a = parse_subject("[PATCH net-next 0/4] net: dsa: Multi-CPU ground work")
    b = parse_subject("Re: [PATCH net-next v3 0/4] net: dsa: Multi-CPU ground work (v3)")
    assert a.name == b.name and (a.version, b.version) == ((1, 0), (3, 0))


# --- properties ---------------------------------------------------------------

# Fragments of the grammar, so generated text hits the interesting paths far
# more often than uniform random text would.
FRAGMENTS = st.sampled_from([
    "[", "]", "[PATCH", "PATCH", "PATCHv2", "Patch1/8", "[RFC", "RESEND", "GIT PULL", "v2",
    "v5.1", "V3", "1/3", "01/10", "0 of 2", "5.10", "net-next", "Re:", "RE :", "Re[2]:",
    "Fwd:", "AW:", "回复：", ":", ",", " ", "\t", "\n", "\x00", "(v3)", "[v2]", "(", ")",
    "foo", "ü", "修复", "of", "/", "-", "9" * 12, "v" + "9" * 12,
])
SUBJECTS = st.one_of(
    st.text(max_size=150),
    st.lists(FRAGMENTS, max_size=30).map("".join),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=3)), max_size=30).map("".join),
)
SUFFIX = re.compile(r"[(\[]\s*[vV]\d+(?:\.\d+)?\s*[)\]]$")


def _check_invariants(s: str, p: Subject) -> None:
    assert isinstance(p, Subject) and p.raw == s
    assert p.name == p.name.strip() and "  " not in p.name and not p.name.startswith(":")
    assert (p.counter is None) == (p.total is None)
    assert all(isinstance(x, int) and x >= 0 for x in p.version)
    assert all(t and not any(c.isspace() or c == "," for c in t) for t in p.tags)
    assert p.version_label.startswith("v")
    if p.counter is not None:
        assert p.is_patch
    if p.is_forward:
        assert p.is_reply


@settings(max_examples=1500, deadline=None)
@given(SUBJECTS)
def test_never_raises_and_is_idempotent_on_the_name(s):
    p = parse_subject(s)
    _check_invariants(s, p)
    assert parse_subject(s) == p  # deterministic
    # Re-parsing the name finds nothing more to strip, except that a second
    # trailing "(vN)" may surface once the first one is gone.
    q = parse_subject(p.name)
    if not SUFFIX.search(p.name):
        assert q.name == p.name
        assert q.tags == () and not (q.is_reply or q.is_patch or q.is_rfc or q.is_pull)
        assert q.counter is None


@settings(max_examples=200, deadline=None)
@given(SUBJECTS, st.text(max_size=60))
def test_text_after_the_tags_does_not_change_them(prefix, tail):
    """Whatever follows a plain word cannot become a tag, marker or counter."""
    p = parse_subject(f"[PATCH v2 1/3] word {prefix}{tail}")
    assert (p.version, p.counter, p.total, p.tags) == ((2, 0), 1, 3, ())
    assert p.is_patch and not p.is_reply and p.name.startswith("word")


@pytest.mark.parametrize("huge", [
    "[" * 1_000_000,
    "]" * 1_000_000,
    "Re: " * 250_000,
    "[PATCH] " * 120_000,
    "[a]" * 300_000,
    "\x00" * 1_000_000,
    " " * 1_000_000 + "[PATCH] foo",
    "[PATCH v2 1/2] " + "a" * 1_000_000 + " (v3)",
    "PATCH" + " 1/2" * 200_000,
    "[" + "x" * 1_000_000 + "]",
    "Re" + " " * 1_000_000 + ":",
])
def test_huge_input_is_bounded(huge):
    start = time.perf_counter()
    p = parse_subject(huge)
    elapsed = time.perf_counter() - start
    _check_invariants(huge, p)
    assert len(p.tags) < 1024
    assert elapsed < 0.5, elapsed
