"""Which links in a patch's prose name an earlier version (issue 14): the
shapes are copied from real lore cover letters (ids changed)."""

from patchdesk.parse.pointers import version_pointers

COVER_WITH_DEPENDENCY = """\
When we return fail in the rproc attach op, the core cannot recover; a
separate series is used for resolving this:
https://lore.kernel.org/all/20260519-rproc-attach-v2-0-caa1eaf75081@oss.example.com/

Related:
https://lore.kernel.org/linux-arm-msm/20240424-apcs-mboxes-v1-0-6556c47cb501@example.xyz/

This series depends on v3 of the clock rework [2].

[2] https://lore.kernel.org/r/20250101-clk-rework-v3-0-1@example.org/

prerequisite-message-id: <20250102-prereq-v1-0-2@example.org>

Changes in v7: https://lore.kernel.org/lkml/20251104-kvm-v6-0-7017b0adc24e@oss.example.com/
- Link to v1: https://lore.kernel.org/r/20250301-kvm-v1-0-1@example.org
"""


def test_only_links_the_text_calls_an_earlier_version_are_pointers():
    found = version_pointers(COVER_WITH_DEPENDENCY, "own@example.org")
    assert found == ("20251104-kvm-v6-0-7017b0adc24e@oss.example.com", "20250301-kvm-v1-0-1@example.org")


def test_a_footnote_counts_by_the_sentence_that_cites_it():
    text = ("This patchset picks up a previous patchset [1], rebased on next-20251027.\n\n"
            "[1]https://lore.kernel.org/linux-remoteproc/20250821-imx95-v5-0-e93191dfac51@example.com/\n"
            "Fixes the race reported in [2].\n"
            "[2] https://lore.kernel.org/r/bug-report-1@example.com/\n")
    assert version_pointers(text, "own@x.org") == ("20250821-imx95-v5-0-e93191dfac51@example.com",)




def test_changes_taken_from_another_series_are_not_its_previous_version():
    text = ("Changes in v2:\n- pick Glymur changes from https://lore.kernel.org/all/20250924-glymur-1@x.org\n"
            "- Changes since v1: https://lore.kernel.org/r/20250920-knp-v1-0-1@x.org\n")
    assert version_pointers(text, "own@x.org") == ("20250920-knp-v1-0-1@x.org",)
