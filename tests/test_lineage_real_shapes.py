"""Version links on the shapes that broke them on real lore lists (issue 14):
dependency links read as version pointers, a person's new address, a part
renamed throughout, reworded names, and greedy slots.  Each fixture copies
the shape of a real case (names and numbers changed, the structure kept)."""

from datetime import datetime, timedelta

from patchdesk.parse.pointers import version_pointers
from patchdesk.series.kinds import line_hash
from patchdesk.model import PatchInfo, SeriesInfo
from patchdesk.versions.lineage import link_series
from patchdesk.versions.similarity import name_similarity

T0 = datetime(2025, 10, 1)


def lines(path, *texts):
    return frozenset(line_hash(path, "+", t) for t in texts)


def patch(msgid, number, name, content, sender="ada@linaro.org", day=0, path="drivers/rproc/a.c"):
    return PatchInfo(msgid, number, name, sender, T0 + timedelta(days=day), "", frozenset({path}), content)


def series(key, name, patches, version=(1, 0), sender="ada@linaro.org", day=0, **extra):
    return SeriesInfo(key, name, sender, version, T0 + timedelta(days=day), tuple(patches),
                      frozenset(p.msgid for p in patches), **extra)


A = lines("drivers/rproc/a.c", *(f"alpha line {i};" for i in range(20)))
B = lines("drivers/rproc/b.c", *(f"beta line {i};" for i in range(20)))


# 1. dependency links are not version evidence ---------------------------------

def test_a_dependency_pointer_does_not_steal_the_true_previous_version():
    dep = series(1, "remoteproc: improve attach robustness", [patch("d1", 1, "remoteproc: attach", B)])
    v5 = series(2, "Add SoCCP support", [patch("s5", 1, "remoteproc: soccp", A, day=2)],
                version=(5, 0), day=2)
    v6 = series(3, "Add SoCCP support", [patch("s6", 1, "remoteproc: soccp", A | lines("x.c", "one more;"),
                                               day=40)], version=(6, 0), day=40,
                mentions=frozenset(version_pointers(
                    "a separate series is used for this:\nhttps://lore.kernel.org/all/d1/\n", "s6")))
    result = link_series([dep, v5, v6])
    assert [(l.older, l.newer) for l in result.series] == [(2, 3)]


# 2. the same person from a new address ----------------------------------------

def test_versions_link_across_an_address_change_and_say_so():
    v2 = series(1, "remoteproc: qcom: load MBN on msm8974", [patch("m2", 1, "rproc: mbn", A)],
                version=(2, 0), person="dmitry.b@linaro.org")
    v3 = series(2, "remoteproc: qcom: load MBN on msm8974",
                [patch("m3", 1, "rproc: mbn", A, sender="dmitry.b@oss.qualcomm.com", day=60)],
                version=(3, 0), sender="dmitry.b@oss.qualcomm.com", day=60, person="dmitry.b@linaro.org")
    [link] = link_series([v2, v3]).series
    assert (link.older, link.newer) == (1, 2)
    assert "same person, new address (linaro.org -> oss.qualcomm.com)" in link.evidence


def test_another_person_under_a_different_name_is_never_a_version():
    mine = series(1, "rproc: mbn", [patch("m2", 1, "rproc: mbn", A)], person="a@x.org", sender="a@x.org")
    theirs = series(2, "rproc: mbn", [patch("t1", 1, "rproc: mbn", A, sender="b@y.org", day=3)],
                    version=(2, 0), sender="b@y.org", day=3, person="b@y.org")
    assert [l.kind for l in link_series([mine, theirs]).series] == ["related"]


# 3. a part renamed throughout ---------------------------------------------------

def test_a_version_bump_under_a_renamed_title_links_without_shared_lines():
    old_name, new_name = "Add support for remoteprocs on SM7635", "Add support for remoteprocs on Milos SoC"
    v2 = series(1, old_name, [patch("r2", 1, "dt-bindings: sm7635-pas", A)], version=(2, 0))
    v3 = series(2, new_name, [patch("r3", 1, "dt-bindings: milos-pas", B, day=12)], version=(3, 0), day=12)
    [link] = link_series([v2, v3]).series
    assert (link.older, link.newer) == (1, 2) and "v3 follows v2 12 days later" in link.evidence
    # the same rename without a version bump is two works, not two versions
    other = series(3, new_name, [patch("r9", 1, "dt-bindings: milos-pas", B, day=12)], day=12)
    assert link_series([v2, other]).series == []


# 4. name rules ------------------------------------------------------------------

def test_name_rules_keep_siblings_apart_but_allow_rewordings():
    assert name_similarity("Add epoll_wait05 test", "Add epoll_wait06 test") == 0.0
    assert name_similarity("hwmon: (lm75) fix alarm", "hwmon: (lm90) fix alarm") == 0.0
    assert name_similarity("leds: foo1: fix probe", "leds: foo: fix probe") > 0.9
    assert name_similarity("subsys: part: fix probe", "subsys/part: fix probe") == 1.0
    assert name_similarity("Add support for PMXR2230 PMIC", "Add support for PM7550 PMIC") > 0.8


# 5. greedy slots ----------------------------------------------------------------

def test_a_pointer_to_v1_in_v20_does_not_take_v19s_slot():
    v1 = series(1, "Add first led driver written in Rust", [patch("p1", 1, "rust: leds", A)])
    v19 = series(2, "rust: leds: add led classdev abstractions", [patch("p19", 1, "rust: leds", B, day=200)],
                 version=(19, 0), day=200)
    v20 = series(3, "rust: leds: add led classdev abstractions", [patch("p20", 1, "rust: leds", B, day=220)],
                 version=(20, 0), day=220, mentions=frozenset({"p1"}))
    links = {(l.older, l.newer) for l in link_series([v1, v19, v20]).series}
    assert (2, 3) in links and (1, 3) not in links


def test_a_later_version_keeping_part_of_a_big_series_links_to_it():
    parts = [lines(f"drivers/mfd/p{i}.c", *(f"part {i} line {j};" for j in range(10))) for i in range(9)]
    v4 = series(1, "This is continued work on the S9", [patch(f"b{i}", i + 1, f"part {i}", parts[i],
                                                                path=f"drivers/mfd/p{i}.c")
                                                          for i in range(9)], version=(4, 0))
    v5 = series(2, "Add support for the MAX77705 MFD", [patch(f"c{i}", i + 1, f"part {i}", parts[i],
                                                                path=f"drivers/mfd/p{i}.c", day=13)
                                                          for i in range(3)], version=(5, 0), day=13)
    [link] = link_series([v4, v5]).series
    assert (link.older, link.newer) == (1, 2)


# 6. hand-overs ------------------------------------------------------------------

def test_a_series_handed_to_another_person_links_when_its_patches_credit_the_first_author():
    v5 = series(1, "Add new driver for WCSS secure PIL loading", [patch("g5", 1, "rproc: wcss", A | B,
                                                                        sender="gokul@oss.example.com")],
                version=(5, 0), sender="gokul@oss.example.com", person="gokul@oss.example.com")
    v6 = series(2, "Add new driver for WCSS secure PIL loading",
                [patch("m6", 1, "rproc: wcss", A | B | lines("x.c", "one more;"), sender="george@mail.example",
                       day=200)],
                version=(6, 0), sender="george@mail.example", day=200, person="george@mail.example",
                credits=frozenset({"gokul@oss.example.com"}))
    [link] = link_series([v5, v6]).series
    assert (link.older, link.newer) == (1, 2) and "handed over" in link.evidence
    # a backport crediting the author (v1, a copy of the patch) is not a next version
    backport = series(3, "Add new driver for WCSS secure PIL loading",
                      [patch("s1", 1, "rproc: wcss", A | B, sender="sasha@kernel.example", day=220)],
                      sender="sasha@kernel.example", day=220, person="sasha@kernel.example",
                      credits=frozenset({"gokul@oss.example.com"}))
    assert [(l.older, l.newer) for l in link_series([v5, backport]).series if l.kind == "version"] == []
