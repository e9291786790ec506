"""The REST API and pages through the ASGI app: reading, writing with a
token, and what hostile mail and hostile clients get."""

import pytest
from fastapi.testclient import TestClient

from mailgen import make_mail, mbox, patch_body
from patchdesk.pipeline.ingest import ingest
from patchdesk.web.app import create_app
from patchdesk.web.auth import create_token

EVIL_SUBJECT = '[PATCH] <script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.fixture
def client(store_url, tmp_path):
    mails = [
        make_mail("p1@x", EVIL_SUBJECT, sender='"<b>Evil</b>" <evil@example.org>',
                  body=patch_body("x: y", "drivers/x.c", "int a;", "int b;")),
        make_mail("r1@x", "Re: " + EVIL_SUBJECT, refs=("p1@x",), sender="Maria <maria@x.org>",
                  date="Tue, 03 Nov 2026 10:00:00 +0000",
                  body="> quoted <iframe src=//evil>\n\nNAK, this <b>breaks</b> things.\n\n"
                       "Reviewed-by: <svg onload=alert(3)> <x@y.org>\n"),
    ]
    (tmp_path / "evil.mbox").write_bytes(mbox(mails))
    app = create_app(store_url)
    ingest(app.state.engine, [tmp_path / "evil.mbox"], jobs=1)
    with TestClient(app) as c:
        c.app_state = app.state
        yield c


def _token(client) -> str:
    with client.app_state.engine.begin() as conn:
        return create_token(conn, "maria")


def test_reading_api_shapes_and_pagination(client):
    series = client.get("/api/series").json()
    assert series["page"] == 0 and len(series["items"]) == 1
    sid = series["items"][0]["id"]
    detail = client.get(f"/api/series/{sid}").json()
    assert detail["patch_details"][0]["state"] == "rejected"
    assert client.get("/api/patches/p1@x").json()["verdicts"][0]["kind"] == "nak"
    assert client.get("/api/threads/r1@x").json()[0]["msgid"] in ("p1@x", "r1@x")
    assert client.get("/api/events?per_page=1").json()["items"][0]["state"] in ("new", "rejected")
    assert client.get("/api/series?per_page=0").status_code == 422
    assert client.get("/api/series/999999").status_code == 404
    spec = client.get("/api/openapi.json").json()
    assert "/api/series" in spec["paths"] and "/api/patches/{msgid}/state" in spec["paths"]


def test_every_page_escapes_mail_and_sends_a_strict_csp(client):
    sid = client.get("/api/series").json()["items"][0]["id"]
    for url in ("/", f"/series/{sid}", "/thread/r1@x", "/patch/p1@x", "/?q=script"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "default-src 'none'" in r.headers["content-security-policy"] and "script-src" not in \
            r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        body = r.text
        for raw in ("<script>alert", "<img src=x", "<svg onload", "<iframe", "<b>Evil"):
            assert raw not in body, (url, raw)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/series/{sid}").text


def test_writing_needs_a_token_json_and_survives_guessing(client):
    url = "/api/patches/p1@x/state"
    change = {"state": "under-review", "why": "the NAK was for another patch"}
    assert client.post(url, json=change).status_code == 401
    token = _token(client)
    auth = {"Authorization": f"Bearer {token}"}
    # a cross-site HTML form can only send form data: refused (CSRF)
    assert client.post(url, data=change, headers=auth).status_code == 415
    assert client.post(url, json={"state": "bogus", "why": "x"}, headers=auth).status_code == 422
    done = client.post(url, json=change, headers=auth)
    assert done.status_code == 200 and done.json()["by"] == "maria"
    assert client.get("/api/patches/p1@x").json()["state"] == "under-review"
    assert client.post("/api/patches/nobody@x/state", json=change, headers=auth).status_code == 404
    for _ in range(9):  # with the first, token-less attempt: 10 failures
        assert client.post(url, json=change, headers={"Authorization": "Bearer pd_wrong"}).status_code == 401
    assert client.post(url, json=change, headers={"Authorization": "Bearer pd_wrong"}).status_code == 429
    assert client.post(url, json=change, headers=auth).status_code == 429  # the client waits, even with a token


def test_tree_registration_and_limits(client, tmp_path):
    token = _token(client)
    auth = {"Authorization": f"Bearer {token}"}
    bad = client.post("/api/trees", json={"name": "t", "path": str(tmp_path), "branch": "main"}, headers=auth)
    assert bad.status_code == 400 and "no branch" in bad.json()["detail"]
    assert client.post("/api/trees", json={"name": "../x", "path": "/", "branch": "m"}, headers=auth).status_code == 422
    big = client.post("/api/trees", content=b"{" + b" " * 70000 + b"}",
                      headers={**auth, "content-type": "application/json"})
    assert big.status_code == 413
    assert client.get("/static/../../../etc/passwd").status_code == 404
    assert client.get("/static/%2e%2e/%2e%2e/etc/passwd").status_code == 404
    assert client.get("/thread/" + "a" * 5000).status_code == 404


def test_board_maintainer_filter_and_queue(client):
    from patchdesk.pipeline.review import review_everything
    from patchdesk.store.review import load_maintainers
    with client.app_state.engine.begin() as conn:
        load_maintainers(conn, "", "X DRIVER\nM:\tMaria <maria@x.org>\nS:\tMaintained\nF:\tdrivers/x.c\n\n"
                                   "Y DRIVER\nM:\tYann <yann@y.org>\nS:\tMaintained\nF:\tdrivers/y.c\n")
    review_everything(client.app_state.engine)
    maria = client.get("/?maintainer=maria@x.org").text
    yann = client.get("/?maintainer=yann@y.org").text
    assert "Queue of maria@x.org: 0 patch(es)" in maria          # she replied under the patch
    assert "&lt;script&gt;" in maria and "&lt;script&gt;" not in yann  # the series is in her files only
    assert "Queue of yann@y.org: 0 patch(es)" in yann


def test_series_pages_are_one_list_across_states(store_url, tmp_path):
    """Page 1 continues page 0 in one recency order, whatever the states
    (each state paged on its own would repeat and skip series)."""
    mails = []
    for i in range(7):
        day = f"{i + 1:02d}"
        mails.append(make_mail(f"s{i}@x", f"[PATCH] frob: change {i}", date=f"Mon, {day} Nov 2026 10:00:00 +0000",
                               sender=f"Dev {i} <dev{i}@example.org>",
                               body=patch_body(f"Change {i}.", f"drivers/f{i}.c", f"a = {i};", f"a = {i + 1};")))
        if i % 2:  # every other one gets a review: another state
            mails.append(make_mail(f"r{i}@x", f"Re: [PATCH] frob: change {i}", refs=(f"s{i}@x",),
                                   sender="Maria <maria@x.org>", date=f"Mon, {day} Nov 2026 12:00:00 +0000",
                                   body="> x\n\nLooks good.\n\nReviewed-by: Maria <maria@x.org>\n"))
    (tmp_path / "list.mbox").write_bytes(mbox(mails))
    app = create_app(store_url)
    ingest(app.state.engine, [tmp_path / "list.mbox"], jobs=1)
    with TestClient(app) as client:
        pages = [client.get(f"/api/series?per_page=3&page={n}").json() for n in range(3)]
    assert {s for p in pages for s in (i["state"] for i in p["items"])} == {"new", "under-review"}
    names = [i["name"] for p in pages for i in p["items"]]
    assert names == [f"frob: change {i}" for i in range(6, -1, -1)]
    assert pages[0]["counts"]["new"] + pages[0]["counts"]["under-review"] == 7


def test_searches_arriving_together_on_a_fresh_store_all_answer(tmp_path):
    """The first searches build the FTS index; at once they must not fail
    each other with "database is locked"."""
    import concurrent.futures as cf
    from patchdesk.store.board import search
    from patchdesk.store.db import open_engine
    from patchdesk.store.schema import Series
    from sqlalchemy import func, select
    mails = [make_mail(f"s{i}@x", f"[PATCH] gpio: widget {i}", sender=f"Dev {i} <dev{i}@example.org>",
                       date=f"Mon, {i % 28 + 1:02d} Nov 2026 10:00:00 +0000",
                       body=patch_body(f"Widget {i}.", f"drivers/gpio/w{i}.c", "a = 1;", "a = 2;"))
             for i in range(400)]
    (tmp_path / "list.mbox").write_bytes(mbox(mails))
    engine = open_engine(str(tmp_path / "store.db"))
    ingest(engine, [tmp_path / "list.mbox"], jobs=1)

    import threading
    together = threading.Barrier(8)

    def one(_):
        with engine.connect() as conn:
            conn.execute(select(func.count()).select_from(Series))  # a page reads before it searches
            together.wait()
            return sorted(search(conn, "widget"))
    with cf.ThreadPoolExecutor(8) as pool:
        found = list(pool.map(one, range(8)))
    engine.dispose()
    assert all(f == found[0] for f in found) and len(found[0]) == 400


def test_kept_answers_are_dropped_when_the_store_changes(client, tmp_path):
    """A page is served from memory until anything is committed: a state
    override through the API, or mail ingested by another process."""
    url = "/api/patches/p1@x"
    assert client.get(url).json()["state"] == "rejected"
    again = client.get(url)
    assert again.json()["state"] == "rejected" and "default-src 'none'" in again.headers["content-security-policy"]
    token = _token(client)
    change = {"state": "under-review", "why": "the NAK was for another patch"}
    assert client.post(f"{url}/state", json=change, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get(url).json()["state"] == "under-review"
    board = client.get("/").text
    assert "frob: late arrival" not in board
    (tmp_path / "late.mbox").write_bytes(mbox([make_mail(
        "late@x", "[PATCH] frob: late arrival", date="Wed, 04 Nov 2026 10:00:00 +0000",
        body=patch_body("Late.", "drivers/late.c", "int a;", "int b;"))]))
    from patchdesk.store.db import open_engine
    other = open_engine(str(client.app_state.engine.url.render_as_string(hide_password=False)))
    ingest(other, [tmp_path / "late.mbox"], jobs=1)  # another engine: another process would do the same
    other.dispose()
    assert "frob: late arrival" in client.get("/").text
