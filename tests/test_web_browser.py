"""The web desk end to end: the real server, Debian's Chromium, the demo.

The ASGI tests (test_web*.py) check the HTML the server sends; these check
what a person sees once a real browser has parsed it under the strict CSP:
links and GET forms work without JavaScript, the stylesheet and the diff
highlighting load, quotes fold, verdicts are marked, no page logs an error
or a CSP violation, and hostile mail stays text (no dialog, no element from
the mail).  They also refresh the screenshots in docs/screenshots/.
Chromium missing is a failure, not a skip: CI installs it (.ci/run).
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import serving
from mailgen import make_mail, mbox, patch_body

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "docs" / "screenshots"
WIDTH, MAX_HEIGHT = 1280, 1600


def cli(db: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "patchdesk", "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"patchdesk {' '.join(args)}: exit {done.returncode}\n{done.stderr}"


def _answers(opener, url: str) -> bool:
    try:
        with opener.open(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@contextmanager
def served(db: Path):
    """``patchdesk serve`` on a free port; yields its URL."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with serving.served(db, lambda port: _answers(opener, f"http://127.0.0.1:{port}/api/stats")) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    """The store ``make demo`` builds, plus a check of series 6 and overlaps."""
    out = tmp_path_factory.mktemp("demo")
    db = out / "demo.db"
    subprocess.run([sys.executable, "demo/make_demo.py", "--out", str(out / "check.mbox"), "--tree",
                    str(out / "frob")], cwd=ROOT, check=True, capture_output=True)
    cli(db, "ingest", "demo/demo.mbox", "--list", "frob-devel")
    cli(db, "tree", "add", "frob", str(out / "frob"), "--branch", "frob-next")
    cli(db, "tree", "scan")
    cli(db, "check", "6", "--tree", "frob", "--cmd", "true")
    cli(db, "overlaps", "--tree", "frob")
    with served(db) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A tab that records console errors, page errors and dialogs."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    tab = context.new_page()
    tab.problems, tab.dialogs = [], []
    tab.on("console", lambda m: m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
           and tab.problems.append(m.text))  # the desk has no favicon: Chromium logs that 404
    tab.on("pageerror", lambda e: tab.problems.append(str(e)))
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    yield tab
    context.close()


def visit(tab, url: str) -> None:
    answer = tab.goto(url)
    assert answer is not None and answer.status == 200, url
    clean(tab)


def clean(tab) -> None:
    """Nothing logged so far (a CSP violation is a console error too)."""
    tab.wait_for_load_state("load")
    assert tab.problems == [] and tab.dialogs == [], (tab.url, tab.problems, tab.dialogs)


def shot(tab, name: str, top=None) -> None:
    """At most 1280x1600 of the page, from its top or from ``top``'s."""
    y = top.evaluate("e => Math.max(0, e.getBoundingClientRect().top + scrollY - 16)") if top else 0
    height = min(MAX_HEIGHT, tab.evaluate("document.documentElement.scrollHeight") - y)
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / name), full_page=True, clip={"x": 0, "y": y, "width": WIDTH, "height": height})


def test_board_search_series_and_interdiff(demo_url, page):
    visit(page, demo_url + "/")
    accepted = page.locator("#col-accepted")
    assert "docs: typo fixes and build instructions" in accepted.inner_text()
    assert accepted.locator(".n").inner_text() == "1"
    assert page.locator("#col-under-review .n").inner_text() == "5"
    assert "under-review 5" in page.locator("p.counts").inner_text()
    shot(page, "board.png")

    visit(page, demo_url + "/?q=s%3Awidget")  # what the search form should send: test_search_form
    assert page.input_value("input[name=q]") == "s:widget"
    names = page.locator(".column li a").all_inner_texts()
    assert len(names) == 4 and all("widget" in n for n in names), names

    page.get_by_role("link", name="frob: add widget timeout support").click()
    clean(page)
    assert page.locator("h1").inner_text().startswith("frob: add widget timeout support v2")
    timeline = page.locator("nav.timeline")
    assert "v1 → v2" in timeline.inner_text() and timeline.locator("a.current").inner_text() == "v2"
    series_url = page.url
    shot(page, "series.png")

    timeline.get_by_role("link", name="(what changed)").click()
    clean(page)
    assert page.url.endswith("/interdiff/1/6")
    kinds = [h.split("]")[0] + "]" for h in page.locator("section.idiff-section h2").all_inner_texts()]
    assert kinds == ["[same]", "[changed]", "[changed]"]
    assert page.locator("pre.diff span.d-gd").count() > 0
    added = page.locator("pre.diff span.d-gi").first
    assert added.evaluate("e => getComputedStyle(e).color") == "rgb(26, 127, 55)"  # desk.css loaded
    shot(page, "interdiff.png")

    page.go_back()
    clean(page)
    assert page.url == series_url
    first = page.locator("section#p1")
    assert first.locator("h2 .state").inner_text() == "under-review"
    assert "Acked-by: Henrik Nyberg" in first.locator("ul.trailers").inner_text()
    assert "bisectable" in page.locator("p.check").inner_text()
    assert "does not apply together" in page.locator("p.overlap").all_inner_texts()[1]


def test_search_form(demo_url, page):
    visit(page, demo_url + "/")
    page.fill("input[name=q]", "s:widget")
    page.click("button[type=submit]")
    clean(page)
    assert "q=s%3Awidget" in page.url
    names = page.locator(".column li a").all_inner_texts()
    assert len(names) == 4 and all("widget" in n for n in names), names
    # a bare word searches bodies too, as on lore: the -Wextra series' thread talks of widgets
    page.fill("input[name=q]", "widget")
    page.click("button[type=submit]")
    clean(page)
    assert "build: enable -Wextra" in page.locator(".column li a").all_inner_texts()


def test_nak_thread_and_patch(demo_url, page):
    visit(page, demo_url + "/series/2")
    verdict = page.locator("li.verdict.v-nak")
    assert "nak by Maria Keller" in verdict.inner_text()
    assert verdict.locator("q").inner_text() == "I think I'll NAK this as is."

    page.locator("section#p1 h2 a").click()
    clean(page)
    assert "/patch/" in page.url
    assert page.locator("pre.diff span.d-gi").count() > 0 and page.locator("pre.diff span.d-gd").count() > 0

    page.get_by_role("link", name="thread").click()
    clean(page)
    quotes = page.locator("details.quote")
    assert quotes.count() >= 3
    assert quotes.first.get_attribute("open") is None and not quotes.first.locator("pre").is_visible()
    mark = page.locator("mark").first
    assert mark.inner_text() == "I think I'll NAK this as is." and mark.is_visible()
    assert "Maria Keller" in page.locator("article.msg", has=mark).locator("p.meta").inner_text()
    shot(page, "thread.png", top=page.locator("article.msg", has=mark))
    clean(page)


def test_overlaps_and_queue(demo_url, page):
    visit(page, demo_url + "/overlaps")
    rows = [r for r in page.locator("tr").all_inner_texts() if "conflict" in r]
    assert any("frob: add widget timeout support v2" in r and "completion callback v1" in r for r in rows), rows
    shot(page, "overlaps.png")

    # The demo's MAINTAINERS names maria@frob.example.org.
    visit(page, demo_url + "/?maintainer=maria@frob.example.org")
    assert page.locator("section#queue h2").inner_text().startswith("Queue of maria@frob.example.org:")
    assert page.input_value("input[name=maintainer]") == "maria@frob.example.org"


HOSTILE_SUBJECT = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    """A patch with markup in its subject, sender, HTML part and diff, and
    replies with markup in a trailer and a verdict."""
    out = tmp_path_factory.mktemp("hostile")
    body = patch_body("frob: <b>bold</b> claims", "src/x.c", "<img src=x onerror=alert(4)>",
                      "<script>alert(5)</script>")
    html = "<script>alert(6)</script><svg onload=alert(7)>"
    parts = (f"--B\nContent-Type: text/plain; charset=UTF-8\n\n{body}\n"
             f"--B\nContent-Type: text/html; charset=UTF-8\n\n{html}\n--B--\n")
    patch = make_mail("evil-1@example.org", f"[PATCH] {HOSTILE_SUBJECT}", sender='"<b>Evil</b>" <evil@example.org>',
                      body=parts).replace(b"Content-Type: text/plain; charset=UTF-8",
                                          b'Content-Type: multipart/mixed; boundary="B"', 1)
    review = make_mail("evil-2@example.org", f"Re: [PATCH] {HOSTILE_SUBJECT}", refs=("evil-1@example.org",),
                       sender="Rita Reviewer <rita@example.org>", date="Mon, 02 Nov 2026 12:00:00 +0100",
                       body="> <script>alert(8)</script>\n\nLooks right.\n\n"
                            "Reviewed-by: <svg onload=alert(3)> <x@y.org>\n")
    nak = make_mail("evil-3@example.org", f"Re: [PATCH] {HOSTILE_SUBJECT}", refs=("evil-1@example.org",),
                    sender="Nora <nora@example.org>", date="Mon, 02 Nov 2026 13:00:00 +0100",
                    body="NAK <img src=x onerror=alert(9)>, this is not the way.\n")
    (out / "evil.mbox").write_bytes(mbox([patch, review, nak]))
    cli(out / "evil.db", "ingest", str(out / "evil.mbox"), "--list", "evil")
    with served(out / "evil.db") as url:
        yield url


def test_hostile_mail_stays_text_in_a_browser(hostile_url, page):
    visit(page, hostile_url + "/?all=true")
    page.get_by_role("link", name=HOSTILE_SUBJECT).click()
    clean(page)
    assert "<script>alert(1)</script>" in page.locator("h1").inner_text() and page.locator("h1").is_visible()
    series_url, patch_href = page.url, page.locator("section#p1 h2 a").get_attribute("href")
    page.locator("section#p1 h2 a").click()
    clean(page)
    page.get_by_role("link", name="thread").click()
    clean(page)
    assert page.locator("mark").inner_text() == "NAK <img src=x onerror=alert(9)>, this is not the way."
    shown = {hostile_url + "/?all=true": HOSTILE_SUBJECT,
             series_url: "Reviewed-by: <svg onload=alert(3)> <x@y.org>",
             page.url: "<b>Evil</b>",
             hostile_url + patch_href: "+\t<script>alert(5)</script>"}
    for url, text in shown.items():
        visit(page, url)
        main = page.locator("main").inner_text()
        assert HOSTILE_SUBJECT in main and text in main, (url, text)
        for tag in ("script", "img", "svg", "b", "[onerror]", "[onload]"):
            assert page.query_selector_all(tag) == [], (url, tag)
    assert page.dialogs == [] and page.problems == []
