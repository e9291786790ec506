"""Review kept current as mail arrives, in any order, and equal after rebuild."""

import random

from mailgen import make_mail, mbox, patch_body
from patchdesk.pipeline.ingest import ingest
from patchdesk.pipeline.rebuild import rebuild
from patchdesk.store.queries import export

ADA = "Ada Lovelace <ada@example.org>"
MARIA = "Maria Keller <maria@frob.example.org>"
PRIYA = "Priya Raman <priya@example.net>"


def _date(day: int, hour: int = 10) -> str:
    return f"Mon, {day:02d} Nov 2026 {hour:02d}:00:00 +0000"


V1 = make_mail("v1@x", "[PATCH] frob: widget: add timeout", sender=ADA, date=_date(2),
               body=patch_body("frob: widget: add timeout", "drivers/frob/widget.c", "int t;", "int t = 0;"))
REVIEW = make_mail("r1@x", "Re: [PATCH] frob: widget: add timeout", sender=PRIYA, date=_date(3), refs=("v1@x",),
                   body="On Mon, Ada wrote:\n> +\tint t = 0;\n\nLooks right.\n\nReviewed-by: Priya Raman <priya@example.net>\n")
ASK = make_mail("r2@x", "Re: [PATCH] frob: widget: add timeout", sender=MARIA, date=_date(4), refs=("v1@x",),
                body="Please fix the subject prefix and send a v2.\n")
V2 = make_mail("v2@x", "[PATCH v2] frob: widget: add timeout", sender=ADA, date=_date(6),
               body=patch_body("frob: widget: add timeout", "drivers/frob/widget.c", "int t;", "int t = 0;"))
APPLIED = make_mail("r3@x", "Re: [PATCH v2] frob: widget: add timeout", sender=MARIA, date=_date(8),
                    refs=("v2@x",), body="> x\n\nApplied to frob-next, thanks!\n")
ALL = [V1, REVIEW, ASK, V2, APPLIED]


def _patches(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {p["msgid"]: p for p in export(conn)["patches"]}


def _review(engine) -> dict:
    return {m: (p["state"], [(t["key"], t["email"], t["source"]) for t in p["trailers"]],
                [(v["kind"], v["negated"], v["by_email"]) for v in p["verdicts"]],
                p["continuity"], [(e["state"], e["reason"]) for e in p["events"]])
            for m, p in _patches(engine).items()}


def test_states_follow_the_mail_one_message_at_a_time(engine, tmp_path):
    seen = []
    for i, raw in enumerate(ALL):
        (tmp_path / f"{i}.mbox").write_bytes(mbox([raw]))
        ingest(engine, [tmp_path / f"{i}.mbox"], jobs=1)
        seen.append({m: p["state"] for m, p in _patches(engine).items()})
    assert seen == [{"v1@x": "new"}, {"v1@x": "under-review"}, {"v1@x": "changes-requested"},
                    {"v1@x": "superseded", "v2@x": "new"},
                    {"v1@x": "superseded", "v2@x": "applied-claimed"}]
    v2 = _patches(engine)["v2@x"]
    assert [(t["key"], t["source"], t["carried_from"]) for t in v2["trailers"]] == [
        ("Reviewed-by", "carried", "v1@x")]
    assert v2["continuity"]["patch_unchanged"] is True
    assert [d["key"] for d in v2["continuity"]["dropped_trailers"]] == ["Reviewed-by"]
    assert [(o["kind"], o["status"]) for o in v2["continuity"]["objections"]] == [("changes-requested", "open")]


def test_any_arrival_order_and_rebuild_give_the_same_review(engine, tmp_path):
    (tmp_path / "all.mbox").write_bytes(mbox(ALL))
    ingest(engine, [tmp_path / "all.mbox"], jobs=1)
    expected = _review(engine)
    rebuild(engine)
    assert _review(engine) == expected
    from patchdesk.store.schema import Base
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ("lists", "sources"):
                conn.execute(table.delete())
    order = ALL[:]
    random.Random(7).shuffle(order)
    for i, raw in enumerate(order):
        (tmp_path / f"s{i}.mbox").write_bytes(mbox([raw]))
        ingest(engine, [tmp_path / f"s{i}.mbox"], jobs=1)
    assert _review(engine) == expected
