"""Pure threading: placeholders, loops, depth, and order independence."""

from hypothesis import given, settings
from hypothesis import strategies as st

from patchdesk.threads import ThreadInput as T
from patchdesk.threads import link
from patchdesk.threads.view import reading_order

#: A series thread as git send-email builds it, plus replies; one reply's
#: parent (the v1 cover "v1-0@x") was never seen.
SERIES = [
    T("0@x", ("v1-0@x",), "2026-11-02T10:00"),
    T("1@x", ("v1-0@x", "0@x"), "2026-11-02T10:01"),
    T("2@x", ("v1-0@x", "0@x", "1@x"), "2026-11-02T10:02"),
    T("r1@x", ("v1-0@x", "0@x", "1@x"), "2026-11-03T08:00"),
    T("r2@x", ("0@x", "1@x", "r1@x"), "2026-11-03T09:00"),
    T("lone@x", (), "2026-11-04T00:00"),
]


def _shape(nodes):
    return {m: (n.parent, n.root, n.present) for m, n in nodes.items()}


def test_series_thread_with_placeholder_root():
    nodes, refused = link(SERIES)
    assert refused == []
    assert nodes["v1-0@x"].present is False and nodes["v1-0@x"].parent is None
    assert {m: n.parent for m, n in nodes.items() if n.present} == {
        "0@x": "v1-0@x", "1@x": "0@x", "2@x": "1@x", "r1@x": "1@x", "r2@x": "r1@x", "lone@x": None}
    assert {n.root for m, n in nodes.items() if m != "lone@x"} == {"v1-0@x"}
    assert nodes["lone@x"].root == "lone@x"


@settings(max_examples=60, deadline=None)
@given(st.permutations(SERIES))
def test_arrival_order_does_not_matter(order):
    assert _shape(link(list(order))[0]) == _shape(link(SERIES)[0])


def test_incremental_equals_one_shot():
    """A reply arriving before its parent ends up in the same place."""
    early, _ = link([SERIES[4]])
    assert early["r1@x"].present is False and early["r2@x"].parent == "r1@x"
    assert _shape(link(SERIES)[0]) == _shape(link(SERIES[::-1])[0])


def test_reference_loops_and_self_parents_are_refused():
    nodes, refused = link([T("a@x", ("b@x",), "1"), T("b@x", ("a@x",), "2"),
                           T("c@x", ("c@x",), "3")])
    assert refused == ["b@x"]
    assert nodes["a@x"].parent == "b@x" and nodes["b@x"].parent is None
    assert nodes["c@x"].parent is None and nodes["c@x"].root == "c@x"


def test_a_message_cannot_adopt_its_own_ancestor():
    nodes, _ = link([T("a@x", (), "1"), T("b@x", ("a@x",), "2"), T("x@x", ("b@x", "a@x", "q@x"), "3")])
    # x's chain claims b is a's parent, which would close a loop a->b->a
    assert nodes["a@x"].parent is None and nodes["b@x"].parent == "a@x"


def test_ten_thousand_levels_deep():
    chain = [T(f"{i}@x", tuple(f"{j}@x" for j in range(max(0, i - 3), i)), f"{i:06d}")
             for i in range(10_000)]
    nodes, _ = link(chain)
    assert nodes["9999@x"].root == "0@x"
    order = reading_order(((m, n.parent) for m, n in nodes.items()), {})
    assert order[-1] == (9999, "9999@x")


def test_reading_order_sorts_siblings_by_date():
    nodes, _ = link(SERIES)
    keys = {t.msgid: t.sort_key for t in SERIES}
    order = [m for _, m in reading_order(((m, n.parent) for m, n in nodes.items()), keys)]
    assert order.index("2@x") < order.index("r1@x") < order.index("r2@x")
