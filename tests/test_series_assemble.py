"""Series assembly rules on thread shapes, drawn like Patchwork's tests.

Each case draws the input thread; dates are minutes after a fixed start.
"""

from datetime import datetime, timedelta

from patchdesk.series.assemble import Submission, assemble

T0 = datetime(2026, 11, 2, 10, 0)


def sub(msgid, counter, total, parent=None, minute=0, version=(1, 0), sender="ada@x",
        name=None, kind=None, resend=False):
    return Submission(msgid, parent, T0 + timedelta(minutes=minute), sender,
                      kind or ("cover" if counter == 0 else "patch"),
                      name or f"frob: part {counter}", version, counter, total, False, resend)


def groups(subs):
    return sorted(sorted(m.msgid for m in d.members) for d in assemble(subs))


def test_cover_and_shallow_threaded_patches():
    """[PATCH 0/2] <- 1/2, 2/2"""
    drafts = assemble([sub("c", 0, 2), sub("p1", 1, 2, "c"), sub("p2", 2, 2, "c")])
    assert len(drafts) == 1
    d = drafts[0]
    assert (d.cover.msgid, [n for n, _ in d.patches], d.missing, d.total) == ("c", [1, 2], [], 2)


def test_cover_arriving_last_and_missing_patch():
    """2/3 and 3/3 reply to a cover that arrives last; 1/3 never arrives."""
    subs = [sub("p3", 3, 3, "c", 2), sub("p2", 2, 3, "c", 1), sub("c", 0, 3, None, 5)]
    [d] = assemble(subs)
    assert d.cover.msgid == "c" and d.missing == [1] and not d.extra


def test_patches_under_a_cover_not_yet_seen_group_together():
    [d] = assemble([sub("p1", 1, 2, "ghost"), sub("p2", 2, 2, "ghost")])
    assert d.cover is None and d.missing == [] and d.anchor == "under:ghost"


def test_deep_threading():
    """0/3 <- 1/3 <- 2/3 <- 3/3"""
    assert groups([sub("c", 0, 3), sub("p1", 1, 3, "c"), sub("p2", 2, 3, "p1"),
                   sub("p3", 3, 3, "p2")]) == [["c", "p1", "p2", "p3"]]


def test_v2_in_reply_to_v1_is_a_new_series():
    """[PATCH 1/2] <- [PATCH v2 2/2] a week later (Patchwork merges them)."""
    assert groups([sub("a1", 1, 2), sub("a2", 2, 2, "a1", 1),
                   sub("b2", 2, 2, "a1", 7 * 24 * 60, version=(2, 0))]) == [["a1", "a2"], ["b2"]]


def test_resent_cover_replying_to_old_cover_is_a_new_series():
    subs = [sub("c", 0, 1), sub("p", 1, 1, "c"), sub("c2", 0, 1, "c", 30), sub("q", 1, 1, "c2", 31)]
    assert groups(subs) == [["c", "p"], ["c2", "q"]]


def test_unnumbered_diff_replying_to_a_cover_is_its_own_series():
    assert groups([sub("c", 0, 2), sub("p1", 1, 2, "c"), sub("x", None, None, "c", 3)]) == \
        [["c", "p1"], ["x"]]


def test_unthreaded_send_grouped_by_sender_version_total_and_time():
    subs = [sub("a1", 1, 2, minute=0), sub("a2", 2, 2, minute=8),
            sub("b1", 1, 2, minute=70), sub("b2", 2, 2, minute=71)]
    assert groups(subs) == [["a1", "a2"], ["b1", "b2"]]


def test_two_unthreaded_series_sent_interleaved_do_not_swap():
    subs = [sub("a1", 1, 2, minute=0, name="gpio: a one"), sub("b1", 1, 2, minute=1, name="spi: b one"),
            sub("b2", 2, 2, minute=2, name="spi: b two"), sub("a2", 2, 2, minute=3, name="gpio: a two")]
    assert groups(subs) == [["a1", "a2"], ["b1", "b2"]]


def test_same_patch_sent_three_times_makes_three_series():
    assert len(assemble([sub(f"s{i}", 1, 4, minute=i, version=(2, 0)) for i in range(3)])) == 3


def test_extra_patch_and_unversioned_patches_under_versioned_cover():
    subs = [sub("c", 0, 2, version=(3, 0)), sub("p1", 1, 2, "c"), sub("p2", 2, 2, "c"),
            sub("p3", 3, 2, "c")]
    [d] = assemble(subs)
    assert d.version == (3, 0) and d.extra == [3] and not d.missing


def test_other_senders_never_join():
    assert groups([sub("c", 0, 2), sub("p1", 1, 2, "c", sender="eve@x")]) == [["c"], ["p1"]]


def test_arrival_order_does_not_matter():
    subs = [sub("c", 0, 3), sub("p1", 1, 3, "c", 1), sub("p2", 2, 3, "c", 2), sub("p3", 3, 3, "c", 3),
            sub("u1", 1, 2, minute=100), sub("u2", 2, 2, minute=101)]
    assert groups(subs) == groups(subs[::-1]) == [["c", "p1", "p2", "p3"], ["u1", "u2"]]
