"""Series and lineage through the store and the CLI, on the demo list.

The demo (demo/make_demo.py) tells stories a maintainer meets: a v2 with
"Changes since v1", a NAKed patch that came back as four smaller ones,
an out-of-order series, a resend.  These tests check patchdesk reads them.
"""

import json
from pathlib import Path

from typer.testing import CliRunner

from patchdesk.cli import app
from patchdesk.pipeline.ingest import ingest
from patchdesk.store.queries import export

DEMO = Path(__file__).resolve().parents[1] / "demo/demo.mbox"
runner = CliRunner()


def _by_name(doc):
    return {(s["name"], s["version"]): s for s in doc["series"]}


def test_demo_series_versions_and_split(engine):
    ingest(engine, [DEMO])
    with engine.connect() as conn:
        doc = export(conn)
    series = _by_name(doc)
    v1 = series[("frob: add widget timeout support", 1)]
    v2 = series[("frob: add widget timeout support", 2)]
    assert (v1["next"], v2["previous"], v1["state"], v2["state"]) == (v2["id"], v1["id"], "superseded", "under-review")
    assert len(v2["patches"]) == v2["total"] == 3 and v2["complete"]
    patches = {p["msgid"]: p for p in doc["patches"]}
    assert all(patches[m]["state"] == "superseded" for m in v1["patches"])
    # patch 1 was resent unchanged, patch 2 reworked, patch 3 touched up:
    # each is followed by its namesake in v2
    assert [patches[m]["superseded_by"] for m in v1["patches"]] == [[m] for m in v2["patches"]]

    big = series[("frob: rework buffer allocation", 1)]
    steps = series[("frob: rework buffer allocation in small steps", 2)]
    assert big["next"] == steps["id"]
    [nacked] = big["patches"]
    assert sorted(patches[nacked]["superseded_by"]) == sorted(steps["patches"])
    assert all(patches[m]["supersedes"] == [nacked] for m in steps["patches"])

    docs = series[("docs: typo fixes and build instructions", 1)]
    assert docs["cover"] and len(docs["patches"]) == 2 and docs["state"] == "applied-claimed"
    assert doc["messages"] == 44


def test_incremental_equals_one_shot(engine, tmp_path):
    """Ingesting the demo message by message gives the same series and links."""
    from patchdesk.sources.mbox import MboxSource
    from mailgen import mbox
    mails = list(MboxSource(DEMO).messages({}))
    for i in range(0, len(mails), 5):
        path = tmp_path / f"part{i}.mbox"
        path.write_bytes(mbox([m.data for m in mails[i:i + 5]]))
        ingest(engine, [path], jobs=1)
    with engine.connect() as conn:
        doc = export(conn)
    one_shot = _shape(doc)
    from patchdesk.pipeline.rebuild import rebuild
    rebuild(engine)
    with engine.connect() as conn:
        assert _shape(export(conn)) == one_shot


def _shape(doc):
    ids = {s["id"]: (s["name"], s["version"]) for s in doc["series"]}
    return (sorted((ids[s["id"]], s["state"], ids.get(s["next"]), tuple(s["patches"])) for s in doc["series"]),
            sorted((p["msgid"], p["state"], tuple(sorted(p["superseded_by"]))) for p in doc["patches"]))


def test_cli_series_show_interdiff_export(tmp_path):
    db = str(tmp_path / "pd.db")
    assert runner.invoke(app, ["--db", db, "ingest", str(DEMO)]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["--db", db, "series", "--json"]).stdout)
    assert all(s["state"] != "superseded" for s in listed)
    everything = json.loads(runner.invoke(app, ["--db", db, "series", "--all", "--json"]).stdout)
    assert len(everything) > len(listed)
    steps = next(s for s in listed if s["name"].endswith("in small steps"))
    shown = runner.invoke(app, ["--db", db, "show", steps["patches"][0]])
    assert shown.exit_code == 0 and "in small steps" in shown.stdout and "->" in shown.stdout
    diff = runner.invoke(app, ["--db", db, "interdiff", str(steps["previous"]), str(steps["id"])])
    assert diff.exit_code == 0 and "[split]" in diff.stdout
    doc = json.loads(runner.invoke(app, ["--db", db, "export"]).stdout)
    assert set(doc) == {"messages", "series", "patches"}
    assert {"id", "name", "version", "cover", "submitter", "patches", "total", "complete", "missing",
            "previous", "next", "state"} <= set(doc["series"][0])
    assert {"msgid", "series", "number", "subject", "author", "state", "supersedes", "superseded_by",
            "related", "trailers", "verdicts", "applied"} <= set(doc["patches"][0])
    assert not any(p["msgid"].startswith("<") for p in doc["patches"])


def test_supersedes_header_links_versions_with_nothing_else_in_common(engine, tmp_path):
    from mailgen import make_mail, mbox, patch_body
    v1 = make_mail("old@x", "[PATCH] gpio: fix the thing", date="Mon, 02 Nov 2026 10:00:00 +0000",
                   body=patch_body("Fix it.", "drivers/gpio/a.c", "return foo(1);", "return foo(2);"))
    v2 = make_mail("new@x", "[PATCH] pinctrl: rework a completely different area",
                   date="Mon, 09 Nov 2026 10:00:00 +0000", extra="Supersedes: <old@x>",
                   body=patch_body("Other.", "drivers/pinctrl/b.c", "bar(1);", "bar(2);"))
    (tmp_path / "s.mbox").write_bytes(mbox([v1, v2]))
    ingest(engine, [tmp_path / "s.mbox"])
    with engine.connect() as conn:
        doc = export(conn)
    old, new = sorted(doc["series"], key=lambda s: s["date"])
    assert (old["next"], new["previous"], old["state"]) == (new["id"], old["id"], "superseded")
    assert "Supersedes" in new["previous_evidence"]["evidence"]


def test_related_work_by_another_sender_found_incrementally(engine, tmp_path):
    """Eve reposts Ada's change a week later, in a separate ingest."""
    from mailgen import make_mail, mbox, patch_body
    body = patch_body("Fix it.", "drivers/gpio/a.c", "return foo(1);", "return foo(2);")
    ada = make_mail("ada@x", "[PATCH] gpio: fix foo", date="Mon, 02 Nov 2026 10:00:00 +0000", body=body)
    eve = make_mail("eve@x", "[PATCH] gpio: a: pass 2 to foo", date="Mon, 09 Nov 2026 10:00:00 +0000",
                    sender="Eve <eve@example.org>", body=body.replace("Fix it.", "Eve's take."))
    for name, raw in (("a.mbox", ada), ("e.mbox", eve)):
        (tmp_path / name).write_bytes(mbox([raw]))
        ingest(engine, [tmp_path / name])
    with engine.connect() as conn:
        doc = export(conn)
    first, second = sorted(doc["series"], key=lambda s: s["date"])
    assert first["next"] is None and first["state"] == "new"
    assert [r["series"] for r in first["related"]] == [second["id"]]
    assert [r["series"] for r in second["related"]] == [first["id"]]
    patches = {p["msgid"]: p for p in doc["patches"]}
    assert patches["ada@x"]["related"] == ["eve@x"] and patches["eve@x"]["related"] == ["ada@x"]
    assert patches["ada@x"]["state"] == "new" and patches["ada@x"]["superseded_by"] == []
