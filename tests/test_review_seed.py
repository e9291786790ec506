"""The seed case: a maintainer NAKs a patch while his own earlier "I added
that in and applied this patch" sits in the quoted text.

The thread is built around the real LKML message (tests/data/seed, body
verbatim) with the parents it quotes, as they were sent.
"""

from pathlib import Path

from mailgen import make_mail, mbox
from patchdesk.pipeline.ingest import ingest
from patchdesk.store.queries import find_series, series_detail
from patchdesk.pipeline.review import review_everything
from patchdesk.store.review import load_maintainers

DATA = Path(__file__).parent / "data"
SEED_BODY = (DATA / "seed" / "lkml-archive-page.txt").read_text().split("\n\n\n", 1)[1]
DENYS = "Denys Vlasenko <dvlasenk@redhat.com>"
ANDY = "Andy Lutomirski <luto@kernel.org>"
INGO = "Ingo Molnar <mingo@redhat.com>"
SUBJECT = "x86: get rid of KERNEL_STACK_OFFSET"


def _patch(n: int, name: str, path: str) -> str:
    return (f"{name}.\n\nSigned-off-by: {DENYS}\n---\n {path} | 2 +-\n 1 file changed, 1 insertion(+), "
            f"1 deletion(-)\n\ndiff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n"
            f"+++ b/{path}\n@@ -{10 * n},3 +{10 * n},3 @@\n \tnop\n-\tmovq PER_CPU_VAR(kernel_stack), %rsp\n"
            f"+\tmovq PER_CPU_VAR(kernel_stack) + {n}, %rsp\n \tnop\n-- \n1.8.1.4\n")


def thread() -> list[bytes]:
    date = "Thu, 26 Feb 2015 {} -0800"
    cover = "1424929021-0-dvlasenk@redhat.com"
    p = [f"1424929021-{n}-dvlasenk@redhat.com" for n in range(1, 5)]
    names = ["x86: entry_64: move save_paranoid", SUBJECT, "x86: entry_64: use sp0 in syscall path",
             "x86: entry_64: trivial cleanup"]
    mails = [make_mail(cover, "[PATCH 0/4] x86: entry code cleanups", sender=DENYS,
                       date=date.format("01:00:00"), body="Four cleanups.\n\nDenys Vlasenko (4):\n")]
    for n, (msgid, name) in enumerate(zip(p, names), 1):
        mails.append(make_mail(msgid, f"[PATCH {n}/4] {name}", sender=DENYS, date=date.format(f"01:00:0{n}"),
                               refs=(cover,), body=_patch(n, name, "arch/x86/entry/entry_64.S")))
    replies = [
        ("a1@kernel.org", ANDY, "02:00:00",
         "On Thu, Feb 26, 2015 at 1:00 AM, Denys Vlasenko <dvlasenk@redhat.com> wrote:\n> x\n\n"
         "There's a missing fixup in the stack check.\n\nI added that in and applied this patch.\n"),
        ("i1@kernel.org", INGO, "03:42:00",
         "* Andy Lutomirski <luto@kernel.org> wrote:\n\n> I added that in and applied this patch.\n\n"
         "So this is not just slightly buggy, it's fundamentally\nwrong as well as it removes the "
         "possibility of an RSP\nvalue optimization from the 64-bit path, see my\nprevious mail.\n"),
        ("a2@kernel.org", ANDY, "07:21:00",
         "On Thu, Feb 26, 2015 at 3:42 AM, Ingo Molnar <mingo@redhat.com> wrote:\n> So this is not just "
         "slightly buggy\n\nThis is just trying to check that the function is\nexecuting on the per-thread "
         "stack.\n\nI don't think I understand your objection to this bit.\n"),
        ("i2@kernel.org", INGO, "07:30:00",
         "* Andy Lutomirski <luto@kernel.org> wrote:\n\n> I don't think I understand your objection to "
         "this bit.\n\nI object to the KERNEL_STACK_OFFSET removal patch you fixed\nhere, not to the add-on "
         "fix in particular (which is correct\nin the context of that patch).\n"),
        ("a3@kernel.org", ANDY, "10:20:00",
         "On Thu, Feb 26, 2015 at 7:30 AM, Ingo Molnar <mingo@redhat.com> wrote:\n> I object\n\n"
         "Aha. I misunderstood.\n\nI'd be happy to defer this patch until the FIXUP_TOP_OF_STACK cleanups\n"
         "later on, assuming it can be easily extricated, which I haven't\nchecked yet. Thoughts?\n"),
        ("seed@kernel.org", ANDY, "10:30:22", SEED_BODY),
    ]
    refs = [cover, p[1]]
    for msgid, who, at, body in replies:
        mails.append(make_mail(msgid, f"Re: [PATCH 2/4] {SUBJECT}", sender=who, date=date.format(at),
                               refs=tuple(refs), body=body))
        refs.append(msgid)
    return mails


def _patch2(engine) -> dict:
    with engine.connect() as conn:
        detail = series_detail(conn, find_series(conn, "1424929021-2-dvlasenk@redhat.com"))
    return {p["number"]: p for p in detail["patch_details"]}, detail


def test_seed_thread_yields_maintainer_nak_and_rejected(engine, tmp_path):
    (tmp_path / "seed.mbox").write_bytes(mbox(thread()))
    ingest(engine, [tmp_path / "seed.mbox"])
    with engine.begin() as conn:
        load_maintainers(conn, "", (DATA / "maintainers" / "MAINTAINERS-excerpt").read_text())
    review_everything(engine)
    patches, detail = _patch2(engine)
    p2 = patches[2]
    assert p2["subject"] == f"[PATCH 2/4] {SUBJECT}"
    naks = [v for v in p2["verdicts"] if v["kind"] == "nak"]
    assert [(v["by"], v["role"], v["msgid"], v["negated"], v["text"]) for v in naks] == [
        ("Andy Lutomirski", "maintainer", "seed@kernel.org", False, "I think I'll NAK this patch as is.")]
    from_seed = [v for v in p2["verdicts"] if v["msgid"] == "seed@kernel.org"]
    # the quoted "I added that in and applied this patch" gives nothing; the own
    # "I haven't applied this one yet" is a negated applied
    assert [(v["kind"], v["negated"]) for v in from_seed] == [("applied", True), ("nak", False)]
    assert p2["state"] == "rejected"
    assert "NAK by Andy Lutomirski (maintainer)" in p2["state_reason"]
    # Andy's own earlier mail did say it: applied-claimed, then the seed's NAK
    assert [(e["state"], e["msgid"]) for e in p2["events"]] == [
        ("new", None), ("applied-claimed", "a1@kernel.org"), ("rejected", "seed@kernel.org")]
    # the other patches had no replies; the series needs action
    assert [patches[n]["state"] for n in (1, 3, 4)] == ["new", "new", "new"]
    assert detail["state"] == "rejected"


def test_seed_nak_from_a_bystander_only_asks_for_changes(engine, tmp_path):
    mails = [m.replace(b"luto@kernel.org", b"luto@amacapital.net") for m in thread()]
    (tmp_path / "seed.mbox").write_bytes(mbox(mails))
    ingest(engine, [tmp_path / "seed.mbox"])
    with engine.begin() as conn:
        load_maintainers(conn, "", (DATA / "maintainers" / "MAINTAINERS-excerpt").read_text())
    review_everything(engine)
    patches, _ = _patch2(engine)
    assert patches[2]["state"] == "changes-requested"
    assert "not a maintainer here" in patches[2]["state_reason"]


def test_seed_without_maintainers_file_every_nak_counts(engine, tmp_path):
    (tmp_path / "seed.mbox").write_bytes(mbox(thread()))
    ingest(engine, [tmp_path / "seed.mbox"])
    patches, _ = _patch2(engine)
    assert patches[2]["state"] == "rejected"
    assert "(unknown)" in patches[2]["state_reason"]


def test_seed_archive_page_itself_reads_as_a_nak(engine):
    ingest(engine, [DATA / "seed" / "lkml-archive-page.txt"], kind="hypermail")
    from patchdesk.store.schema import ReviewNote
    from sqlalchemy import select
    import json
    with engine.connect() as conn:
        notes = [json.loads(n) for n in conn.execute(select(ReviewNote.note)).scalars()]
    assert [[v[0], v[1]] for n in notes for v in n["v"]] == [["applied", True], ["nak", False]]
