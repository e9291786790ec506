"""Version links between series and between patches (pure), on shapes that
break subject-based tools: re-titled, reordered, split, other senders."""

from datetime import datetime, timedelta

from patchdesk.series.kinds import line_hash
from patchdesk.model import PatchInfo, SeriesInfo
from patchdesk.versions.lineage import link_series, pair_patches

T0 = datetime(2026, 11, 2)


def lines(path, *texts):
    return frozenset(line_hash(path, "+", t) for t in texts)


def patch(msgid, number, name, content, sender="ada@x", patch_id="", day=0):
    return PatchInfo(msgid, number, name, sender, T0 + timedelta(days=day), patch_id,
                     frozenset({"src/a.c"}), content)


def series(key, name, patches, version=(1, 0), sender="ada@x", day=0, **extra):
    return SeriesInfo(key, name, sender, version, T0 + timedelta(days=day), tuple(patches),
                      frozenset(p.msgid for p in patches), **extra)


A = lines("src/a.c", *(f"alpha line {i};" for i in range(20)))
B = lines("src/a.c", *(f"beta line {i};" for i in range(20)))
C = lines("src/a.c", *(f"gamma line {i};" for i in range(20)))


def test_retitled_and_reordered_patches_pair_by_content():
    v1 = series(1, "frob: timeouts", [patch("a1", 1, "frob: add timeout", A),
                                      patch("b1", 2, "frob: use timeout", B)])
    v2 = series(2, "frob: widget timeouts", [
        patch("b2", 1, "widget: honour the new deadline", B | lines("src/a.c", "one more;"), day=3),
        patch("a2", 2, "widget: introduce deadlines", A, day=3)], version=(2, 0), day=3)
    result = link_series([v2, v1])
    assert [(l.older, l.newer, l.kind) for l in result.series] == [(1, 2, "version")]
    assert {(l.older, l.newer) for l in result.patches if l.kind == "version"} == {("a1", "a2"), ("b1", "b2")}


def test_one_patch_split_into_four():
    pieces = [frozenset(list(A)[i::4]) for i in range(4)]
    v1 = series(1, "frob: rework buffers", [patch("big", 1, "frob: rework buffers", A)])
    v2 = series(2, "frob: rework buffers in small steps",
                [patch(f"s{i}", i + 1, f"frob: step {i}", pieces[i], day=2) for i in range(4)],
                version=(2, 0), day=2)
    links = pair_patches(v1, v2)
    assert {l.newer for l in links if l.older == "big"} == {"s0", "s1", "s2", "s3"}
    assert {l.kind for l in links} >= {"split"}
    assert link_series([v1, v2]).series[0].kind == "version"


def test_explicit_reply_to_previous_version_is_certain():
    v1 = series(1, "frob: a", [patch("a1", 1, "frob: a", A)])
    v2 = series(2, "totally different title", [patch("x2", 1, "other", C, day=1)],
                version=(2, 0), day=1, replies_to=frozenset({"a1"}))
    [link] = link_series([v1, v2]).series
    assert link.confidence >= 0.95 and "reply" in link.evidence


def test_unrelated_series_of_one_sender_are_not_linked():
    v1 = series(1, "gpio: fix irq", [patch("a1", 1, "gpio: fix irq", A)])
    other = series(2, "spi: add dma", [patch("c1", 1, "spi: add dma", C, day=1)], day=1)
    assert link_series([v1, other]).series == []


def test_same_work_by_another_sender_is_related_not_a_version():
    mine = series(1, "frob: a", [patch("a1", 1, "frob: a", A)])
    theirs = series(2, "frob: a (rebased)", [patch("t1", 1, "frob: a", A, sender="eve@x", day=1)],
                    sender="eve@x", day=1)
    result = link_series([mine, theirs])
    assert [(l.older, l.newer, l.kind) for l in result.series] == [(1, 2, "related")]
    assert [(l.older, l.newer, l.kind) for l in result.patches] == [("a1", "t1", "related")]


def test_chain_of_three_versions_links_neighbours():
    v = [series(i, "frob: a", [patch(f"a{i}", 1, "frob: a", A | lines("src/a.c", f"v{i} tweak;"),
                                     day=i)], version=(i, 0), day=i) for i in (1, 2, 3)]
    assert sorted((l.older, l.newer) for l in link_series(v).series) == [(1, 2), (2, 3)]
