"""Quote-aware reading of replies: own text, trailers and prose verdicts."""

from pathlib import Path

import pytest

from patchdesk.review.quotes import split_reply
from patchdesk.review.trailers import reply_trailers
from patchdesk.review.verdicts import find_verdicts

SEED = Path(__file__).parent / "data" / "seed" / "lkml-archive-page.txt"


def seed_body() -> str:
    return SEED.read_text().split("\n\n\n", 1)[1]


def kinds(text: str) -> list[tuple[str, bool]]:
    return [(v.kind, v.negated) for v in find_verdicts(text)]


def test_seed_reply_own_text_excludes_every_quote_level():
    reply = split_reply(seed_body())
    own = reply.own
    assert "I think I'll NAK this patch as is." in own
    assert "I added that in and applied this patch" not in own
    assert "I object to the KERNEL_STACK_OFFSET removal" not in own
    assert "To unsubscribe" not in own and "AMA Capital Management" not in own
    by_kind = {s.kind for s in reply.segments}
    assert {"attribution", "quote", "own", "signature", "footer"} <= by_kind
    assert max(s.depth for s in reply.segments if s.kind == "quote") == 5


def test_seed_verdicts_nak_and_not_applied_only():
    found = [(v.kind, v.negated, v.text) for v in find_verdicts(seed_body())]
    assert found == [("applied", True, "I haven't applied this one yet."),
                     ("nak", False, "I think I'll NAK this patch as is.")]


@pytest.mark.parametrize("line,depth", [("> a", 1), (">> a", 2), ("> > a", 2), ("> >> a", 3), (" > a", 1)])
def test_quote_depth_forms(line, depth):
    segs = split_reply(f"{line}\n\nmine").segments
    assert (segs[0].kind, segs[0].depth) == ("quote", depth)
    assert split_reply(f"{line}\n\nmine").own.strip() == "mine"


def test_outlook_block_and_top_posting():
    body = ("Applied, thanks.\n\n-----Original Message-----\nFrom: A <a@x.org>\nSent: Monday\n"
            "Subject: [PATCH] x\n\nNAK from me.\n")
    assert split_reply(body).own.strip() == "Applied, thanks."
    assert kinds(body) == [("applied", False)]


def test_outlook_header_block_without_marker():
    body = "Looks good.\n\nFrom: Bob <b@x.org>\nSent: Tuesday\nTo: list\nSubject: Re: x\n\nPlease resend.\n"
    assert kinds(body) == []


def test_attribution_forms_are_not_own_text():
    for line in ("On Thu, Feb 26, 2015 at 7:21 AM, Andy Lutomirski <luto@x.com> wrote:",
                 "* Andy Lutomirski <luto@x.com> wrote:", "Quoting Bob Smith (2020-01-01 10:00:00):",
                 "Am 01.02.2020 um 10:00 schrieb Hans:", "Il 02/11/26 10:07, Ada Lovelace ha scritto:",
                 "From: Marek Vasut [mailto:marex@denx.de]\nSent: Monday, November 7, 2022 1:32 AM"):
        assert split_reply(f"{line}\n> text\n\nmine\n").own.strip() == "mine", line
    two_line = "On Thu, 26 Feb 2015 at 10:00, Andy\nLutomirski wrote:\n> x\n\nmine"
    assert split_reply(two_line).own.strip() == "mine"


def test_header_block_above_a_quote_keeps_the_inline_reply():
    # linux-leds, Nov 2022: the Tested-by under a "From: / Sent:" block that heads a '>' quote
    body = ("From: Marek Vasut [mailto:marex@denx.de]\nSent: Monday, November 7, 2022 1:32 AM\n"
            "> Parse the DT subnode pinctrl properties.\n>\n> Signed-off-by: Marek Vasut <marex@denx.de>\n\n"
            "Tested-by: Christoph Niedermaier <cniedermaier@dh-electronics.com>\n")
    reply = split_reply(body)
    assert [s.kind for s in reply.segments][:2] == ["attribution", "quote"]
    assert reply.own.strip() == "Tested-by: Christoph Niedermaier <cniedermaier@dh-electronics.com>"


def test_inline_review_paragraph_knows_the_quoted_hunk():
    body = ("> diff --git a/drivers/gpio/gpio-foo.c b/drivers/gpio/gpio-foo.c\n> @@ -1,3 +1,4 @@\n"
            ">  int x;\n> +\tint y = readl(base);\n\nPlease use readl_relaxed here and resend.\n\n"
            "> +\treturn 0;\n\nFine.\n")
    paragraphs = split_reply(body).paragraphs()
    assert paragraphs[0].text == "Please use readl_relaxed here and resend."
    assert [(q.path, q.sign, q.text) for q in paragraphs[0].about] == [
        ("drivers/gpio/gpio-foo.c", "+", "\tint y = readl(base);")]
    assert [(q.sign, q.text) for q in paragraphs[1].about] == [("+", "\treturn 0;")]
    verdict = find_verdicts(body)[0]
    assert verdict.kind == "changes-requested" and verdict.about == paragraphs[0].about


def test_signature_bare_dashes_only_near_the_end():
    body = "--\nNot a signature because a quote follows\n> x\n\nNAK.\n"
    assert ("nak", False) in kinds(body)


def test_list_footer_is_dropped():
    body = "Reviewed-by: A B <a@b.org>\n_______________________________________________\nNAK it all\n"
    assert kinds(body) == []


@pytest.mark.parametrize("text,expected", [
    ("Applied, thanks!", [("applied", False)]),
    ("Applied to gpio/for-next.", [("applied", False)]),
    ("Thanks, queued for v6.3.", [("applied", False)]),
    ("Series applied.", [("applied", False)]),
    ("I've picked it up.", [("applied", False)]),
    ("I applied this on top of next-20230101 and tested it.", []),
    ("Once this is applied I'll send the rest.", []),
    ("Has this been applied?", []),
    ("I'll apply it after the merge window.", []),
    ("Any chance to get this applied?", []),
    ("NAK.", [("nak", False)]),
    ("NACK for this version.", [("nak", False)]),
    ("Nacked-by: Foo Bar <foo@bar.com>", [("nak", False)]),
    ("I'm not NAKing this, just asking.", [("nak", True)]),
    ("Linus NAKed this before.", []),
    ("Is that a NAK?", []),
    ("Please fix the typo and resend.", [("changes-requested", False)]),
    ("Could you please send a v2 with these addressed?", [("changes-requested", False)]),
    ("No need to resend, I fixed it up while applying.", [("changes-requested", True)]),
    ("Please ignore this patch, I sent it by mistake.", [("withdrawn", False)]),
    ("Self-NAK, this is broken.", [("withdrawn", False)]),
    ("I'll send a v2 shortly.", []),                  # a promise, not a withdrawal (RULES.md)
    ("Please ignore my previous comment.", [("changes-requested", True)]),
    ("I've dropped it from my tree.", [("applied", True)]),
    ("In v2 you changed the order.", []),
    ("> Applied, thanks.\n\nThanks for picking this one.", []),
])
def test_verdict_phrasings(text, expected):
    assert kinds(text) == expected


def test_reply_trailers_own_text_only_and_flags():
    body = ("On Mon, A wrote:\n> Reviewed-by: Quoted Person <q@x.org>\n\nLooks fine.\n\n"
            "Reviewed-by: Ann Reviewer <ann@x.org>\nTested-by: Ann Reviewer <ann@x.org>\n"
            "Acked-by: Her Boss <boss@x.org>\nAcked-by: me\nSigned-off-by: Ann Reviewer <ann@x.org>\n")
    given = reply_trailers(split_reply(body).own, "ann@x.org")
    assert [(g.trailer.key, g.trailer.email, g.flags) for g in given] == [
        ("Reviewed-by", "ann@x.org", ()), ("Tested-by", "ann@x.org", ()),
        ("Acked-by", "boss@x.org", ("other-person",))]
    assert not any(g.series_wide for g in given)


def test_for_the_series_marks_trailers_series_wide():
    given = reply_trailers("For the whole series:\n\nAcked-by: A <a@x.org>\n", "a@x.org")
    assert given[0].series_wide


def test_indented_trailer_and_fixes_kept():
    given = reply_trailers("  Reviewed-by: A <a@x.org>\nFixes: 0123456789ab (\"gpio: x\")\n", "a@x.org")
    assert [g.trailer.key for g in given] == ["Reviewed-by", "Fixes"]


def test_blank_line_inside_a_quoted_hunk_is_not_a_changed_line():
    body = "> @@ -1,2 +1,2 @@\n> +\tint x;\n>\n> -\tint y;\n\nPlease resend.\n"
    about = split_reply(body).paragraphs()[0].about
    assert [(q.sign, q.text) for q in about] == [("+", "\tint x;"), ("-", "\tint y;")]


def test_original_message_marker_before_a_gt_quote_is_only_an_attribution():
    # some webmail clients write the Outlook marker, then quote with '>' and reply below
    body = "\n----- Original Message -----\n> Reviewed-by: A <a@x.org>\n\nPushed, thanks.\n"
    reply = split_reply(body)
    assert reply.own.strip() == "Pushed, thanks."
    assert "attribution" in {s.kind for s in reply.segments}
    assert kinds(body) == [("applied", False)]
