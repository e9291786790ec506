"""The overlap map on plain data: ranges, crowded files, declared dependencies."""

from patchdesk.trees.overlaps import SeriesChanges, find_overlaps


def series(sid, ranges, **kw):
    s = SeriesChanges(sid, f"s{sid}", {p: list(r) for p, r in ranges.items()})
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def test_shared_files_and_overlapping_hunks():
    found = find_overlaps([series(1, {"a.c": [(10, 20)], "b.c": [(1, 5)]}),
                           series(2, {"a.c": [(22, 30)]}),       # within the context of 1's hunk
                           series(3, {"a.c": [(100, 110)]}),     # same file, far away
                           series(4, {"z.c": [(1, 2)]})])
    got = {(o.a, o.b): (o.files, o.hunks) for o in found}
    assert got == {(1, 2): (("a.c",), 1), (1, 3): (("a.c",), 0), (2, 3): (("a.c",), 0)}


def test_crowded_files_count_only_with_overlapping_hunks():
    many = [series(i, {"MAINTAINERS": [(i * 100, i * 100 + 2)]}) for i in range(1, 40)]
    many.append(series(99, {"MAINTAINERS": [(100, 101)]}))
    found = find_overlaps(many)
    assert [(o.a, o.b) for o in found] == [(1, 99)]


def test_declared_dependencies_link_series_without_shared_files():
    base = series(1, {"a.c": [(1, 2)]}, patch_ids={"p1"}, msgids={"m1@x"})
    needs = series(2, {"b.c": [(1, 2)]}, prerequisites={"p1"})
    says = series(3, {"c.c": [(1, 2)]}, depends_on={"m1@x"})
    found = {(o.a, o.b): o.dependency for o in find_overlaps([base, needs, says])}
    assert "prerequisite-patch-id" in found[(1, 2)] and "Depends-on" in found[(1, 3)]
