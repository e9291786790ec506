"""Bad parameters get 400, and every answer carries the security headers,
errors included (issue 17, item 5); both stores."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from mailgen import make_mail, mbox, patch_body
from patchdesk.pipeline.ingest import ingest
from patchdesk.web.app import create_app

HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")
BAD = ["/series/9223372036854775808", "/api/series/9223372036854775808", "/interdiff/1/9223372036854775808",
       "/api/checks?series=9223372036854775808", "/api/series?days=999999999"]


@pytest.fixture
def client(engine, store_url, tmp_path):
    path = tmp_path / "l.mbox"
    path.write_bytes(mbox([make_mail("p1@x", "[PATCH] frob: frob_core_drain",
                                     body=patch_body("Drain.", "src/frob.c", "return 0;", "return 1;"))]))
    ingest(engine, [path], jobs=1)
    return TestClient(create_app(store_url), raise_server_exceptions=False)


def test_out_of_range_numbers_are_refused_with_the_headers(client):
    for url in BAD:
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert all(answer.headers.get(h) for h in HEADERS), url


def test_control_characters_in_a_search_are_words_apart(client):
    for url in ("/?q=%00", "/api/series?q=%00frob", "/?q=frob%01"):
        answer = client.get(url)
        assert answer.status_code == 200 and all(answer.headers.get(h) for h in HEADERS), url


def test_an_internal_error_still_carries_the_headers(client, engine):
    with engine.begin() as conn:  # a store broken under the running desk
        conn.execute(text("ALTER TABLE series RENAME TO series_gone"))
    answer = client.get("/api/series")
    assert answer.status_code == 500 and answer.json() == {"detail": "internal error"}
    assert all(answer.headers.get(h) for h in HEADERS)


def test_pages_answer_html_errors_the_api_json_and_head_works(client):
    page = client.get("/series/424242")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text and all(page.headers.get(h) for h in HEADERS)
    bad = client.get("/?page=-3")
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    api = client.get("/api/series?state=bogus")
    assert api.status_code == 400 and "unknown state 'bogus'" in api.json()["detail"]
    for url in ("/", "/api/series", "/series/1"):
        head, get = client.head(url), client.get(url)
        assert head.status_code == get.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"] and head.headers.get("content-security-policy")


def test_a_series_and_a_thread_download_as_mbox(client, tmp_path):
    import mailbox
    answer = client.get("/api/series/1/mbox")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/mbox")
    assert 'filename="series-1-v1.mbox"' in answer.headers["content-disposition"]
    (tmp_path / "s.mbox").write_bytes(answer.content)
    [entry] = list(mailbox.mbox(str(tmp_path / "s.mbox")))
    assert entry["Subject"] == "[PATCH] frob: frob_core_drain" and "Link: https://lore.kernel.org/r/p1@x" in \
        entry.get_payload()
    assert client.get("/series/1/mbox").content == answer.content
    page = client.get("/series/1").text
    assert 'href="/series/1/mbox"' in page
    thread = client.get("/mbox/thread/p1@x")
    assert thread.status_code == 200 and thread.content.startswith(b"From mboxrd@z") and b"Message-Id: <p1@x>" in \
        thread.content
    assert client.get("/api/mbox/thread/p1@x").content == thread.content
    assert client.get("/api/series/424242/mbox").status_code == 404
    assert client.get("/mbox/thread/nowhere@x").status_code == 404


def test_a_contested_series_is_refused_until_trusted(engine, store_url, tmp_path):
    from fastapi.testclient import TestClient
    mails = [make_mail("m1@x", "[PATCH] frob: one", body=patch_body("One.", "src/a.c", "a;", "b;")),
             make_mail("m1@x", "[PATCH] frob: one", sender="Eve <eve@example.net>",
                       body=patch_body("One.", "src/a.c", "a;", "evil();"))]
    (tmp_path / "c.mbox").write_bytes(mbox(mails))
    ingest(engine, [tmp_path / "c.mbox"], jobs=1)
    client = TestClient(create_app(store_url), raise_server_exceptions=False)
    refused = client.get("/api/series/1/mbox")
    assert refused.status_code == 409 and "claimed by another message" in refused.json()["detail"]
    trusted = client.get("/api/series/1/mbox?trust=m1@x")
    assert trusted.status_code == 200 and b"b;" in trusted.content and b"evil" not in trusted.content
