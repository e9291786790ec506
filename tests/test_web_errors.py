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
