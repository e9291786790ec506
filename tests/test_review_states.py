"""The state machine and one patch's assessment, on plain data."""

from datetime import datetime, timedelta, timezone

from patchdesk.review.assess import PatchFacts, Reply, assess, note_of, prior_of
from patchdesk.review.continuity import Prior
from patchdesk.review.states import Fact, Override, Statement, decide, replay, series_state
from patchdesk.series.kinds import line_hash

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
AUTHOR = "lena@example.com"


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def said(hours, who, kind, negated=False, role="maintainer", msgid=None, text="..."):
    return Statement(msgid or f"m{hours}@x", at(hours), who.split("@")[0], who, role, kind, negated, text)


def test_later_statement_by_same_person_overrides():
    s = [said(1, "maria@x.org", "applied"), said(2, "maria@x.org", "applied", negated=True)]
    assert decide(s, AUTHOR)[0] == "under-review"
    s.append(said(3, "maria@x.org", "nak"))
    assert decide(s, AUTHOR)[0] == "rejected"


def test_within_one_message_nak_beats_not_applied_and_applied_beats_followup_request():
    seed = [said(5, "luto@x.org", "applied", negated=True, msgid="s@x"), said(5, "luto@x.org", "nak", msgid="s@x")]
    assert decide(seed, AUTHOR)[0] == "rejected"
    both = [said(5, "m@x.org", "applied", msgid="a@x"), said(5, "m@x.org", "changes-requested", msgid="a@x")]
    assert decide(both, AUTHOR)[0] == "applied-claimed"


def test_bystander_nak_weighs_less_than_maintainer_nak():
    state, reason, _ = decide([said(1, "bob@x.org", "nak", role="bystander")], AUTHOR)
    assert state == "changes-requested" and "not a maintainer" in reason and "bob" in reason
    assert decide([said(1, "bob@x.org", "applied", role="bystander")], AUTHOR)[0] == "under-review"
    assert decide([said(1, "bob@x.org", "nak", role="unknown")], AUTHOR)[0] == "rejected"


def test_withdrawn_counts_only_from_the_author():
    assert decide([said(1, AUTHOR, "withdrawn", role="author")], AUTHOR)[0] == "rejected"
    assert decide([said(1, "bob@x.org", "withdrawn")], AUTHOR)[0] == "under-review"


def test_review_trailer_after_change_request_clears_it():
    s = [said(1, "ann@x.org", "changes-requested", role="reviewer"), said(2, "ann@x.org", "review", role="reviewer")]
    assert decide(s, AUTHOR)[0] == "under-review"


def test_replay_events_and_precedence():
    events = replay(T0, AUTHOR, [said(1, "ann@x.org", "reply"), said(2, "maria@x.org", "applied")],
                    superseded=Fact(at(3), "superseded by v2@x", "v2@x"))
    assert [(e.state, e.date) for e in events] == [
        ("new", T0), ("under-review", at(1)), ("applied-claimed", at(2)), ("superseded", at(3))]
    accepted = replay(T0, AUTHOR, [said(1, "maria@x.org", "nak")], accepted=Fact(at(4), "commit abc", ""))
    assert accepted[-1].state == "accepted"


def test_override_is_never_silently_undone():
    events = replay(T0, AUTHOR, [said(1, "maria@x.org", "nak"), said(5, "maria@x.org", "applied")],
                    override=Override("under-review", "maria", "NAK was for v0", at(2)))
    assert events[-1].state == "under-review"
    assert any(e.reason.startswith("override by maria") for e in events)
    conflict = [e for e in events if e.reason.startswith("conflict")]
    assert conflict and "applied-claimed" in conflict[0].reason and conflict[0].date == at(5)


def test_series_state_mixes():
    assert series_state(["rejected", "new"]) == "rejected"
    assert series_state(["applied-claimed", "applied-claimed"]) == "applied-claimed"
    assert series_state(["applied-claimed", "new"]) == "under-review"
    assert series_state(["superseded", "new"]) == "new"
    assert series_state([]) == "new"


def _patch(msgid="p1@x", patch_id="aaaa", lines=(("drivers/x.c", "+", "\tint y = readl(base);"),), trailers=()):
    hashes = frozenset(line_hash(*line) for line in lines)
    return PatchFacts(msgid, T0, "Lena", AUTHOR, patch_id, ("drivers/x.c",), hashes, trailers)


def _reply(hours, who, body, scope="patch"):
    return Reply(f"r{hours}-{scope}@x", at(hours), who.split("@")[0], who, scope, note_of(body, who))


def test_assess_collects_trailers_from_patch_replies_and_cover():
    replies = [_reply(1, "ann@x.org", "> diff\n\nReviewed-by: Ann <ann@x.org>\n"),
               _reply(2, "bob@x.org", "For the series:\n\nAcked-by: Bob <bob@x.org>\n", scope="series"),
               _reply(3, "cat@x.org", "Tested-by: Dan <dan@x.org>\n")]
    review = assess(_patch(trailers=(("Signed-off-by", "Lena <lena@example.com>", "Lena", AUTHOR),
                                      ("Reported-by", "Eve <eve@x.org>", "Eve", "eve@x.org"))),
                    replies, lambda e: "unknown")
    got = [(t["key"], t["email"], t["source"], t["flags"]) for t in review.trailers]
    assert got == [("Reported-by", "eve@x.org", "patch", []), ("Acked-by", "bob@x.org", "cover", []),
                   ("Reviewed-by", "ann@x.org", "reply", []), ("Tested-by", "dan@x.org", "reply", ["other-person"])]
    assert review.state == "under-review"


def test_continuity_addressed_open_and_lost_trailers():
    old = _patch("v1@x", "aaaa")
    request = _reply(1, "maria@x.org", "> +\tint y = readl(base);\n\nPlease use readl_relaxed and send a v2.\n")
    general = _reply(2, "bob@x.org", "Please resend with a better changelog.\n")
    ack = _reply(3, "ann@x.org", "Reviewed-by: Ann <ann@x.org>\n")
    v1 = assess(old, [request, general, ack], lambda e: "maintainer")
    assert v1.state == "changes-requested"
    prior = prior_of(v1, old)
    changed = _patch("v2@x", "bbbb", lines=(("drivers/x.c", "+", "\tint y = readl_relaxed(base);"),))
    v2 = assess(changed, [], lambda e: "unknown", prior=prior)
    status = {o["by_email"]: o["status"] for o in v2.continuity["objections"]}
    assert status == {"maria@x.org": "addressed", "bob@x.org": "unknown"}
    assert not v2.continuity["patch_unchanged"] and v2.trailers == []
    same = assess(_patch("v2b@x", "aaaa"), [], lambda e: "unknown", prior=prior)
    assert same.continuity["patch_unchanged"]
    assert {o["status"] for o in same.continuity["objections"]} == {"open"}
    assert [(t["key"], t["source"], t["carried_from"]) for t in same.trailers] == [("Reviewed-by", "carried", "v1@x")]
    assert [d["key"] for d in same.continuity["dropped_trailers"]] == ["Reviewed-by"]


def test_prior_without_quoted_hunk_unchanged_patch_is_open():
    prior = Prior("v1@x", "aaaa", ("a.c",), frozenset(), (), ({"kind": "nak", "about": []},))
    from patchdesk.review.continuity import objection_status
    assert objection_status(prior.objections[0], prior, "aaaa", frozenset())[0] == "open"


def test_continuity_says_only_what_the_evidence_holds():
    """Issue 18, item 6: half the quoted lines gone, or all still there while
    the patch changed elsewhere, is "unknown", not "addressed"/"open"; the
    author's changelog naming the reviewer is "addressed"."""
    two = (("drivers/x.c", "+", "\tint y = readl(base);"), ("drivers/x.c", "+", "\tint z = y + 1;"))
    old = _patch("v1@x", "aaaa", lines=two)
    request = Reply("r1@x", at(1), "Maria Keller", "maria@x.org", "patch",
                    note_of("> +\tint y = readl(base);\n> +\tint z = y + 1;\n\nPlease use readl_relaxed here.\n",
                            "maria@x.org"))
    prior = prior_of(assess(old, [request], lambda e: "maintainer"), old)

    def status(lines, changelog=()):
        new = _patch("v2@x", "bbbb", lines=lines)
        [o] = assess(new, [], lambda e: "unknown", prior=prior, changelog=changelog).continuity["objections"]
        return o["status"], o["why"]
    assert status((two[0], ("drivers/x.c", "+", "\tint z = y + 2;")))[0] == "unknown"  # 1 of 2 gone
    assert status((("drivers/x.c", "+", "\tint q;"), ("drivers/x.c", "+", "\tint r;")))[0] == "addressed"
    assert status(two + (("drivers/other.c", "+", "\tfix();"),)) == (
        "unknown", "all 2 quoted changed lines are still there, but the patch changed elsewhere")
    assert status(two + (("drivers/other.c", "+", "\tfix();"),), ("- use readl_relaxed (Maria)",)) == (
        "addressed", 'the changelog says: "- use readl_relaxed (Maria)"')
    assert status(two + (("drivers/other.c", "+", "\tfix();"),), ("- rebased (Marianne)",))[0] == "unknown"


def test_changelog_lines_and_which_concern_a_patch():
    from patchdesk.judge.review import changelog_for
    from patchdesk.model import SubmissionRecord
    from patchdesk.parse.changelog import changelog_lines
    cover = changelog_lines("Intro.\n\nChanges since v1:\n- 1/3: no code changes\n- 2/3: measure with\n"
                            "  frob_clock_ms() (Priya)\n- 3/3: ms, not s (Maria)\n\nv1: https://x/y\n")
    assert cover == ("- 1/3: no code changes", "- 2/3: measure with frob_clock_ms() (Priya)", "- 3/3: ms, not s (Maria)")
    assert changelog_lines("Fix.\n\nv2 -> v3:\n * use readl_relaxed (Maria)\n") == ("* use readl_relaxed (Maria)",)
    row = SubmissionRecord("p3@x", "patch", "doc", (2, 0), 3, 3, False, False, None, "a@x", "A", None, number=3,
                           meta=(("changelog", ("- reworded",)),))
    assert changelog_for(row, 3, cover) == ("- reworded", "- 3/3: ms, not s (Maria)")
