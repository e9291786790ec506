"""The prose-verdict reader against the hand-labelled set of real replies,
plus general phrasings that are easy to get wrong."""

import json
from pathlib import Path

import pytest

from patchdesk.review.verdicts import find_verdicts

DATA = Path(__file__).parent / "data" / "verdicts"
#: labelled under the rules' second edition (RULES.md): the first set again, and three more lists
SECOND_EDITION = [DATA / "passages-second-edition.jsonl", *sorted((DATA / "lists").glob("*.jsonl"))]


def test_labelled_sets_precision_and_recall():
    # Same scoring as bench/verdicts.py: (kind, negated) per passage, withdrawn
    # only from the patch's author, a change request or NAK only from others.
    tp = fp = fn = 0
    for path in SECOND_EDITION:
        for line in path.read_text().splitlines():
            p = json.loads(line)
            author = bool(p.get("from_is_patch_author"))
            want = {(label["kind"], bool(label["negated"])) for label in p["labels"]}
            got = {(v.kind, v.negated) for v in find_verdicts(p["body"])}
            got = {g for g in got if (g[0] != "withdrawn" or author)
                   and (g[0] not in ("changes-requested", "nak") or not author)}
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert len(SECOND_EDITION) == 4
    assert precision >= 0.88 and recall >= 0.78, (precision, recall)


def kinds(text: str) -> set[tuple[str, bool]]:
    return {(v.kind, v.negated) for v in find_verdicts(text)}


@pytest.mark.parametrize("text,expected", [
    # applied: short forms, a subject, a tree; not a tester's local apply
    ("Good catch, applied.", {("applied", False)}),
    ("Patches 1-3 applied, thanks.", {("applied", False)}),
    ("Whole series pushed, thanks!", {("applied", False)}),
    ("Thanks for the review and merged the series.", {("applied", False)}),
    ("Now in my for-next branch.", {("applied", False)}),
    ("I applied your patch and the warning is gone.", set()),
    ("Thanks for the review, I applied all your comments.", set()),
    ("With this patch applied the board boots again.", set()),
    ("I see this has been applied already.", set()),
    ("The whole series applied cleanly to next-20240101.", set()),
    # applied, negated: a patch as the subject, or a tree named; not code
    ("Patch 2 is not applied.", {("applied", True)}),
    ("Dropped again, it breaks the arm64 build.", {("applied", True)}),
    # applied in other words, and what bots write
    ("I applied it manually, as lore is lagging.", {("applied", False)}),
    ("It's now in for-next.", {("applied", False)}),
    ("I amended it while committing.", {("applied", False)}),
    ("This series was applied to netdev/net-next.git (main) by Jakub Kicinski:", {("applied", False)}),
    ("pw-bot: accepted", {("applied", False)}),
    ("pw-bot: rejected", {("nak", False)}),
    ("pw-bot: cr", {("changes-requested", False)}),
    ("[3/5] <NOT APPLIED>", {("applied", True)}),
    ("I dropped the series from my tree for now.", {("applied", True)}),
    ("I dropped the unused variable.", set()),
    ("Greg has not applied it yet, so I'll wait.", set()),
    # NAK: leads, trailing NAKs, "is a NAK"; not I2C, hypotheticals, requests
    ("FWIW, NAK: this breaks the ABI.", {("nak", False)}),
    ("Empty changelog, NACK.", {("nak", False)}),
    ("This hunk is an instant NAK.", {("nak", False)}),
    ("I have to reject this patch.", {("nak", False)}),
    ("The device NACKs the address byte.", set()),
    ("The controller returns NACK on the second message.", set()),
    ("That would be a NAK from me.", set()),
    ("An ACK/NACK from the maintainer would help.", set()),
    # changes requested: asks incl. rebase; not conditions, offers or code nits
    ("Could you rebase on my devel branch?", {("changes-requested", False)}),
    ("Care to respin?", {("changes-requested", False)}),
    ("I don't mind it, so please resend with the fixes.", {("changes-requested", False)}),
    ("Please wait for the DT review and then send v2.", {("changes-requested", False)}),
    ("Please fix the typo in case you ever resend.", set()),
    ("Please add my tag when you resubmit.", set()),
    ("For the next version, please rebase on rc1.", {("changes-requested", False)}),
    ("Or would you like me to resend?", set()),
    ("Please split the helper off into its own file.", {("changes-requested", False)}),
    ("Please revert this back to what you had in v4.", {("changes-requested", False)}),
    ("Please do not submit new versions of applied patches.", set()),
    ("Don't bother resending, I fixed it up.", {("changes-requested", True)}),
    ("I took the first hunk (no need to repost).", {("changes-requested", True)}),
    # withdrawn: a replacement sent or a patch given up; not promises, not offers
    ("Sure, I will apply them and resend.", set()),
    ("I will include it in the next version.", set()),
    ("Has to be addressed in v5.", set()),
    ("Sending v2 shortly.", set()),
    ("v2 of this patch series was sent here[1].", {("withdrawn", False)}),
    ("I just submitted the RFC v3 :)", {("withdrawn", False)}),
    ("It seems that would work for us also, and thus this patch can be dropped.", {("withdrawn", False)}),
    ("I can send a v2 if you want.", set()),
    ("I will fix that in v6.2.", set()),
])
def test_general_phrasings(text, expected):
    assert kinds(text) == expected
