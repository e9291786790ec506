"""Search (issue 20): the query language, one table of queries, both stores.

A small list with known words in known places: two patch series (one
applied in a tree-less store by state override is not needed: states come
from review), a review reply with a quote and a trailer, a cover letter.
Every prefix is asked on SQLite (FTS5) and on PostgreSQL (tsvector, GIN)
and must give the same answer.
"""

import json

import pytest
from typer.testing import CliRunner

from patchdesk.cli import app
from patchdesk.search.query import QueryError, dates, describe, parse

from mailgen import make_mail, mbox, patch_body

runner = CliRunner()
ADA = "Ada Lovelace <ada@example.org>"
BOB = "Bob Chen <bob@example.net>"
MARIA = "Maria Keller <maria@frob.org>"


def _diff(message, path, removed, added, section):
    return patch_body(message, path, removed, added).replace("static int frob(void)", section)


MAILS = [
    make_mail("a0@x", "[PATCH 0/2] frob: drain the core queue", sender=ADA,
              date="Mon, 02 Nov 2026 10:00:00 +0000", body="This series drains the queue on shutdown.\n"),
    make_mail("a1@x", "[PATCH 1/2] frob: core: add frob_core_drain()", sender=ADA, refs=("a0@x",),
              date="Mon, 02 Nov 2026 10:00:01 +0000",
              body=_diff("Add a helper that drains the queue.", "drivers/frob/core.c", "int pending = 0;",
                         "int pending = frob_core_drain(q);", "static int frob_core_stop(struct frob *f)")),
    make_mail("a2@x", "[PATCH 2/2] frob: gpio: use the drain helper", sender=ADA, refs=("a0@x",),
              date="Mon, 02 Nov 2026 10:00:02 +0000",
              body=_diff("Call it from the GPIO driver.", "drivers/gpio/gpio-frob.c", "udelay(10);",
                         "frob_core_drain(chip->q);", "static void frob_gpio_remove(struct platform_device *p)")),
    make_mail("r1@x", "Re: [PATCH 1/2] frob: core: add frob_core_drain()", sender=BOB, refs=("a0@x", "a1@x"),
              date="Wed, 04 Nov 2026 09:00:00 +0000",
              body="On Mon, Ada wrote:\n> Add a helper that drains the queue.\n\nThe naming is fine, "
                   "but please keep the spinlock held.\n\nReviewed-by: Bob Chen <bob@example.net>\n"),
    make_mail("b1@x", "[PATCH] frob: buffer: double the small buffers", sender=MARIA,
              date="Fri, 20 Nov 2026 10:00:00 +0000",
              body=_diff("Twice the size, as Jörg asked.", "drivers/frob/buffer.c", "size = 8;", "size = 16;",
                         "static int frob_buffer_init(void)")),
    make_mail("b2@x", "[PATCH v2] frob: buffer: double the small buffers", sender=MARIA,
              date="Mon, 23 Nov 2026 10:00:00 +0000",
              body=_diff("Twice the size, as Jörg asked; and the large ones.", "drivers/frob/buffer.c",
                         "size = 8;", "size = 16;", "static int frob_buffer_init(void)")),
]

# query -> the Message-IDs it must find (as messages)
TABLE = {
    "frob_core_drain": {"a1@x", "a2@x", "r1@x"},          # subject and body words, an identifier as a phrase
    's:"drain the core queue"': {"a0@x"},
    "f:bob": {"r1@x"},
    "f:maria@frob.org": {"b1@x", "b2@x"},
    "t:frob-devel": {m for m in ("a0@x", "a1@x", "a2@x", "r1@x", "b1@x", "b2@x")},
    "c:nobody": set(),
    "a:bob@example.net": {"r1@x"},
    "b:spinlock": {"r1@x"},
    "nq:spinlock": {"r1@x"},
    'q:"drains the queue"': {"r1@x"},
    'nq:"drains the queue"': {"a0@x", "a1@x"},
    "dfn:gpio-frob.c": {"a2@x"},
    "dfn:drivers/frob/core.c": {"a1@x"},
    "dfa:udelay": {"a2@x"},
    "dfb:udelay": set(),
    'dfb:"frob_core_drain(chip"': {"a2@x"},
    "dfctx:pending": set(),
    "dfhh:frob_gpio_remove": {"a2@x"},
    "d:20261101..20261102": {"a0@x", "a1@x", "a2@x"},
    "d:20261120..": {"b1@x", "b2@x"},
    "m:<r1@x>": {"r1@x"},
    "s:buffer AND NOT s:v2": {"b1@x"},
    "s:buffer -s:v2": {"b1@x"},
    "f:bob OR f:maria": {"r1@x", "b1@x", "b2@x"},
    '(dfn:core.c OR dfn:gpio-frob.c) s:"frob: gpio"': {"a2@x"},
    "jorg": {"b1@x", "b2@x"},                                 # accents dropped: Jörg
    "jörg": {"b1@x", "b2@x"},
    "v:2": {"b2@x"},
    "reviewer:bob": {"a0@x", "a1@x", "a2@x", "r1@x"},       # the series Bob answered, its whole thread
    "state:superseded": {"b1@x"},
    "is:open dfn:buffer.c": {"b2@x"},
    "list:frob-devel s:gpio": {"a2@x"},
}


@pytest.fixture
def store(store_url, tmp_path):
    (tmp_path / "list.mbox").write_bytes(mbox(MAILS))
    result = runner.invoke(app, ["--db", store_url, "ingest", str(tmp_path / "list.mbox"), "--list", "frob-devel"])
    assert result.exit_code == 0, result.output
    return store_url


def search(db, query, kind="messages"):
    result = runner.invoke(app, ["--db", db, "search", query, "--as", kind, "--json", "--limit", "100"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_every_prefix_on_both_stores(store):
    got = {q: {r["msgid"] for r in search(store, q)["results"]} for q in TABLE}
    assert got == TABLE


def test_results_as_series_and_patches(store):
    series = search(store, "reviewer:bob", "series")["results"]
    assert [s["name"] for s in series] == ["frob: drain the core queue"]
    # a function name that only appears in a diff finds its patch
    patches = search(store, "dfb:frob_core_drain", "patches")["results"]
    assert {p["msgid"] for p in patches} == {"a1@x", "a2@x"} and all(p["series"] for p in patches)
    buffers = search(store, "s:buffer", "series")
    assert buffers["total"] == 2 and {s["version"] for s in buffers["results"]} == {1, 2}


def test_new_mail_is_found_by_the_next_search(store, tmp_path):
    assert search(store, "s:watchdog")["total"] == 0
    (tmp_path / "late.mbox").write_bytes(mbox([make_mail("w1@x", "[PATCH] frob: watchdog: pet it", sender=BOB,
                                                         body="Pet the watchdog.\n")]))
    assert runner.invoke(app, ["--db", store, "ingest", str(tmp_path / "late.mbox")]).exit_code == 0
    assert {r["msgid"] for r in search(store, "s:watchdog")["results"]} == {"w1@x"}
    assert runner.invoke(app, ["--db", store, "rebuild"]).exit_code == 0
    assert {r["msgid"] for r in search(store, "s:watchdog")["results"]} == {"w1@x"}


def test_the_api_and_the_board_speak_it(store):
    from fastapi.testclient import TestClient

    from patchdesk.web.app import create_app
    client = TestClient(create_app(store))
    found = client.get("/api/search", params={"q": "dfhh:frob_gpio_remove", "as": "patches"}).json()
    assert [r["msgid"] for r in found["results"]] == ["a2@x"]
    assert client.get("/api/search", params={"q": "(s:x"}).status_code == 400
    board = client.get("/", params={"q": "frob_core_drain"})
    assert board.status_code == 200 and "frob: drain the core queue" in board.text
    assert "double the small buffers" not in board.text
    bad = client.get("/", params={"q": 's:"open'})
    assert bad.status_code == 400 and "unclosed quote" in bad.text


@pytest.mark.parametrize("query,written", [
    ("frob", '(s:"frob" OR f:"frob" OR b:"frob")'),
    ('s:"a b" f:x', '(s:"a b" AND f:"x")'),
    ("a:x", '(f:"x" OR t:"x" OR c:"x")'),
    ("s:a OR s:b s:c", '(s:"a" OR (s:"b" AND s:"c"))'),
    ("NOT s:a -s:b", '(NOT s:"a" AND NOT s:"b")'),
    ("(s:a OR s:b) s:c", '((s:"a" OR s:"b") AND s:"c")'),
    ("subsys: x", '((s:"subsys:" OR f:"subsys:" OR b:"subsys:") AND (s:"x" OR f:"x" OR b:"x"))'),
    ("is:applied state:new v:v3", '(is:"applied" AND state:"new" AND v:"v3")'),
])
def test_the_parser(query, written):
    assert describe(parse(query)) == written


@pytest.mark.parametrize("query,error", [
    ('s:"x', "unclosed quote"), ("(s:x", "without its ')'"), ("s:x)", "without its '('"), ("", "empty"),
    ("is:closed", "is:applied or is:open"), ("v:three", "version number"), ("d:soon", "a date"),
    ("OR s:x", "a term is missing"), (" ".join(["x"] * 40), "more than"),
])
def test_the_parser_says_what_is_wrong(query, error):
    with pytest.raises(QueryError) as raised:
        parse(query)
    assert error in str(raised.value)


def test_date_ranges():
    from datetime import datetime, timezone
    now = datetime(2026, 12, 7, tzinfo=timezone.utc)
    assert dates("20250101..20250301", now) == (datetime(2025, 1, 1, tzinfo=timezone.utc),
                                                datetime(2025, 3, 2, tzinfo=timezone.utc))
    assert dates("2.weeks.ago..", now) == (datetime(2026, 11, 23, tzinfo=timezone.utc), None)
    assert dates("..2025-03-01", now)[0] is None
    assert dates("20250101", now)[1] == datetime(2025, 1, 2, tzinfo=timezone.utc)


def test_a_bad_query_is_one_line(store):
    result = runner.invoke(app, ["--db", store, "search", "(s:x"])
    assert result.exit_code == 2 and result.output.strip() == "error: query: a '(' without its ')'"
