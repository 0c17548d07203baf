"""The web desk in headless Chromium (Debian's package, driven by Playwright), against a live
uvicorn server on a free loopback port.

Skips with a stated reason when /usr/bin/chromium (``scripts/install-browser.sh``) or Playwright
is absent. The story page screenshot is saved to ``artifacts/story-page.png``.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
XSS = "<script>alert(1)</script>"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory, seeds_dir):
    from storylens.pipeline import Pipeline
    from storylens.store import Store

    d = tmp_path_factory.mktemp("desk")
    db = str(d / "desk.db")
    hostile = d / "hostile.jsonl"
    hostile.write_text(json.dumps({
        "id": "hostile-1", "outlet": "Prank Gazette", "published": "2024-03-01",
        "title": "Markup <b>in</b> a title",
        "text": f"Officials said the lake froze early this year.\n\nA reader pasted {XSS} into the comment box "
                "and <img src=x onerror=alert(2)> too.\n\nThe thaw is expected in April.",
    }) + "\n", encoding="utf-8")
    with Store(db) as st:
        Pipeline(st, extract=False).ingest([seeds_dir, hostile])
    return db


@pytest.fixture(scope="module")
def server(desk_db):
    import uvicorn

    from storylens.web.app import create_app

    port = _free_port()
    app = create_app(desk_db, host="127.0.0.1", token="browser-test-token", extras=True, extras_wait=40)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.time() + 20
    while not srv.started:
        if time.time() > deadline or not t.is_alive():
            pytest.fail("the uvicorn server did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: install Debian's chromium (scripts/install-browser.sh)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(45_000)
    pg.dialogs = []
    pg.console_errors = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    yield pg
    ctx.close()


def _seed_view(db):
    from storylens.store import Store
    from storylens.views import story_view

    with Store(db) as st:
        story = next(s for s in st.stories() if s["n_articles"] >= 2)
        return story_view(st, story["id"], with_quotes=False, with_event=False)


def _norm(s: str) -> str:
    return " ".join(s.split())


def test_story_page_shows_both_articles_with_shared_and_unique_passages(server, page, desk_db):
    view = _seed_view(desk_db)
    ids = [a["id"] for a in view["articles"]]
    assert len(ids) == 2 and view["passages"], "the seeds should form one story with shared passages"
    page.goto(f"{server}/stories/{view['story']['id']}")
    cols = page.locator(".article-col")
    assert cols.count() == 2
    groups_in = {}
    for aid in ids:
        col = page.locator(f'.article-col[data-article="{aid}"]')
        assert col.is_visible()
        marks = col.locator("mark.shared")
        assert marks.count() >= 1, f"no shared passage highlighted in column {aid}"
        groups_in[aid] = set(marks.evaluate_all("els => els.map(e => e.dataset.group)"))
    expected_groups = {str(p["group"]) for p in view["passages"]}
    assert groups_in[ids[0]] == groups_in[ids[1]] == expected_groups
    # the same passage has the same (non-transparent) colour in both columns
    for g in expected_groups:
        colours = {
            page.locator(f'.article-col[data-article="{aid}"] mark.shared[data-group="{g}"]').first.evaluate(
                "e => getComputedStyle(e).backgroundColor")
            for aid in ids
        }
        assert len(colours) == 1 and "rgba(0, 0, 0, 0)" not in colours
    # every unique passage of each article is marked in its column, with the outlet tag
    texts = {a["id"]: a["text"] for a in view["articles"]}
    for aid in ids:
        col = page.locator(f'.article-col[data-article="{aid}"]')
        unique_text = _norm(" ".join(col.locator(".unique").all_inner_texts()))
        mine = [u for u in view["unique"] if u["article"] == aid and len(texts[aid][u["start"]:u["end"]].strip()) > 20]
        assert mine, f"article {aid} should have unique paragraphs"
        for u in mine:
            assert _norm(texts[aid][u["start"]:u["end"]])[:60] in unique_text
        assert col.locator(".unique .tag").count() >= 1
    # the reuse graph and the timeline are drawn; no CSP violation or script error happened
    assert page.locator("svg.reuse-graph line").count() >= 1
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "story-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_search_finds_an_article_by_a_phrase(server, page, desk_db):
    view = _seed_view(desk_db)
    art = view["articles"][-1]
    u = max((u for u in view["unique"] if u["article"] == art["id"]), key=lambda u: u["end"] - u["start"])
    words = re.findall(r"[^\W_]+", art["text"][u["start"]:u["end"]])
    phrase = " ".join(words[2:7])
    page.goto(server + "/")
    page.fill(".topsearch input[name=q]", phrase)
    page.click(".topsearch button")
    page.wait_for_url(re.compile(r"/search\?q="))
    hit = page.locator(f'.hit a.hit-title[href="/articles/{art["id"]}"]')
    assert hit.count() == 1, f"search for {phrase!r} did not list article {art['id']}"
    assert page.locator(".hit mark").count() >= 1
    hit.click()
    page.wait_for_url(re.compile(re.escape(f"/articles/{art['id']}")))
    assert words[3] in page.locator(".article-text").inner_text()


def test_script_in_article_is_shown_as_text_and_never_runs(server, page):
    page.goto(server + "/articles/hostile-1")
    body = page.locator(".article-text").inner_text()
    assert XSS in body and "<img src=x onerror=alert(2)>" in body
    assert "Markup <b>in</b> a title" in page.locator("h1").inner_text()
    assert page.locator("script").count() == 0 and page.locator(".article-text img").count() == 0
    page.goto(server + "/search?q=" + "reader pasted")
    assert XSS in page.locator(".hits").inner_text() or page.locator(".hit").count() == 1
    page.wait_for_timeout(200)
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"
    # the server forbids scripts outright
    resp = page.goto(server + "/articles/hostile-1")
    csp = resp.headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "script-src" not in csp
