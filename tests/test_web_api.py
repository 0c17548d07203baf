"""The JSON API and page safety of the web desk (FastAPI TestClient over real databases)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="httpx is needed by FastAPI's TestClient")
from fastapi.testclient import TestClient  # noqa: E402

from storylens.web.app import create_app, resolve_token, snippet_pieces, token_path  # noqa: E402

TOKEN = "api-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory, seeds_dir) -> str:
    from storylens.pipeline import Pipeline
    from storylens.store import Store

    db = str(tmp_path_factory.mktemp("api") / "api.db")
    with Store(db) as st:
        Pipeline(st, extract=False).ingest([seeds_dir])
    return db


@pytest.fixture(scope="module")
def client(seeded_db):
    with TestClient(create_app(seeded_db, token=TOKEN, extras=False), base_url=BASE) as c:
        yield c


@pytest.fixture(scope="module")
def seed_story(client) -> dict:
    items = client.get("/api/v1/stories").json()["items"]
    return next(s for s in items if s["n_articles"] >= 2)


def _error(r) -> str:
    body = r.json()
    assert set(body) == {"error"} and body["error"]["status"] == r.status_code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


# ------------------------------------------------------------------- reads
def test_health_and_openapi(client):
    h = client.get("/api/v1/health")
    assert h.status_code == 200 and h.json()["status"] == "ok" and h.json()["articles"] >= 2
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/stories", "/api/v1/stories/{story_id}", "/api/v1/articles", "/api/v1/search",
                 "/api/v1/health", "/api/v1/articles/{article_id}"):
        assert path in doc["paths"], path
    assert "post" in doc["paths"]["/api/v1/articles"]
    assert "/stories/{story_id}" not in doc["paths"]  # pages stay out of the API document


def test_story_list_and_story(client, seed_story):
    r = client.get(f"/api/v1/stories/{seed_story['id']}")
    assert r.status_code == 200
    v = r.json()
    assert {"story", "articles", "passages", "unique", "reuse", "timeline", "quotes", "event"} <= set(v)
    assert len(v["articles"]) == 2 and v["passages"] and all("group" in p for p in v["passages"])
    # every shared passage points into the texts it names
    texts = {a["id"]: a["text"] for a in v["articles"]}
    for p in v["passages"]:
        assert 0 <= p["start_a"] < p["end_a"] <= len(texts[p["article_a"]])
    art = client.get(f"/api/v1/articles/{v['articles'][1]['id']}").json()
    assert art["story_id"] == seed_story["id"] and "removed" in art and "raw_text" in art
    lean = client.get(f"/api/v1/stories/{seed_story['id']}?text=false").json()
    assert all("text" not in a for a in lean["articles"])


def test_pagination_limits(client):
    assert client.get("/api/v1/stories?limit=1").json()["limit"] == 1
    for bad in ("limit=0", "limit=100000", "offset=-1", "limit=abc"):
        r = client.get(f"/api/v1/stories?{bad}")
        assert r.status_code == 422, bad
        assert "limit" in _error(r) or "offset" in _error(r)
    r = client.get("/api/v1/stories?since=yesterday")
    assert r.status_code == 400 and "since" in _error(r)
    r = client.get("/api/v1/stories?since=2024-02-30")
    assert r.status_code == 400


def test_not_found_is_json_404(client):
    r = client.get("/api/v1/stories/no-such-story")
    assert r.status_code == 404 and "no-such-story" in _error(r)
    r = client.get("/api/v1/articles/zzz-missing")
    assert r.status_code == 404
    assert client.get("/api/v1/nothing-here").status_code == 404
    page = client.get("/stories/no-such-story")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


def test_search_finds_phrase_and_survives_query_syntax(client, seed_texts):
    text = next(iter(seed_texts.values()))
    words = [w for w in text.split() if w.isalpha() and len(w) > 3][10:13]
    r = client.get("/api/v1/search", params={"q": " ".join(words)})
    assert r.status_code == 200 and r.json()["items"]
    hit = r.json()["items"][0]
    assert all(0 <= s < e <= len(hit["snippet"]) for s, e in hit["snippet_matches"])
    nasty = ['"', 'NEAR(', '*', 'OR', 'a OR', 'AND NOT', '"unclosed', 'title:x', '^a', '(', ')', "'", '--', '\\',
             'NEAR(a b, 2)', '%', '_', 'a*', '{a b}', 'x:y:z', '\u0000', '🙂', 'a' * 500]
    for q in nasty:
        for url in ("/api/v1/search", "/api/v1/stories", "/search", "/"):
            r = client.get(url, params={"q": q})
            assert r.status_code < 500, (url, q, r.status_code)
    assert client.get("/api/v1/search", params={"q": "a" * 501}).status_code == 422


def test_snippet_pieces():
    assert snippet_pieces("x \x02y\x03 z") == [("x ", False), ("y", True), (" z", False)]
    assert snippet_pieces(None) == []


# ------------------------------------------------------------------ writes
def test_post_needs_the_token(client):
    body = {"text": "A bridge opened in the north of the city on Monday, officials said."}
    r = client.post("/api/v1/articles", json=body)
    assert r.status_code == 401 and r.headers.get("www-authenticate") == "Bearer"
    assert "Bearer" in _error(r)
    r = client.post("/api/v1/articles", json=body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    r = client.post("/api/v1/articles", json=body, headers={"Authorization": TOKEN})
    assert r.status_code == 401


def test_post_assigns_stories(client, seed_story, seed_texts):
    # a light rewrite of a seed article joins the seeds' story; an unrelated article starts its own
    seed = max(seed_texts.values(), key=len)
    paras = [p for p in seed.split("\n\n") if p.strip()]
    rewrite = "\n\n".join(paras[:-2])
    batch = [
        {"id": "api-rewrite", "outlet": "Test Wire", "published": "2024-02-09", "text": rewrite},
        {"id": "api-other", "outlet": "Test Wire", "title": "Orchard harvest",
         "text": "Farmers in the valley began the apple harvest early after a warm summer. "
                 "Growers expect prices to fall as supply rises across the region this autumn."},
    ]
    r = client.post("/api/v1/articles", json={"articles": batch}, headers=AUTH)
    assert r.status_code == 200, r.text
    out = {a["id"]: a for a in r.json()["articles"]}
    assert out["api-rewrite"]["story_id"] == seed_story["id"]
    assert out["api-rewrite"]["status"] in ("new", "duplicate")
    assert out["api-other"]["status"] == "new" and out["api-other"]["story_id"] != seed_story["id"]
    # visible to reads at once, with the story's page address
    story = client.get(f"/api/v1/stories/{seed_story['id']}?text=false").json()
    assert "api-rewrite" in {a["id"] for a in story["articles"]}
    assert client.get(out["api-other"]["story_url"]).status_code == 200
    # the same input again is "already"; the same id with other text is rejected
    again = client.post("/api/v1/articles", json=batch[1], headers=AUTH).json()
    assert again["articles"][0]["status"] == "already" and again["already"] == 1
    clash = client.post("/api/v1/articles", json=dict(batch[1], text="Different words entirely here."),
                        headers=AUTH).json()
    assert clash["articles"][0]["status"] == "rejected" and "unique id" in clash["articles"][0]["message"]


@pytest.mark.parametrize("raw, status, needle", [
    (b"", 400, "empty"),
    (b"{not json", 400, "not valid JSON"),
    (b"\xff\xfe\x00garbage", 400, "UTF-8"),
    (b"42", 422, "JSON object"),
    (b"[]", 422, "no articles"),
    (b'{"title": "no text"}', 422, "'text' is missing"),
    (b'{"text": 12}', 422, "'text' must be a string"),
    (b'{"text": "   "}', 422, "empty"),
    (b'{"text": "ok text", "outlet": ["a"]}', 422, "'outlet' must be a string"),
    (b'{"articles": "nope"}', 422, "must be a list"),
    (b'[{"text": "fine"}, "bad"]', 422, "body[1]"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "JSON"),
    (b'{"text": "x", "id": 1' + b"0" * 5000 + b"}", 400, "JSON"),
])
def test_bad_bodies_get_4xx_with_a_reason(client, raw, status, needle):
    r = client.post("/api/v1/articles", content=raw, headers=dict(AUTH, **{"Content-Type": "application/json"}))
    assert r.status_code == status, (raw[:40], r.status_code, r.text[:200])
    assert needle in _error(r)


def test_oversize_bodies_are_refused(seeded_db):
    with TestClient(create_app(seeded_db, token=TOKEN, extras=False, max_body=2048), base_url=BASE) as c:
        big = json.dumps({"text": "word " * 2000})
        r = c.post("/api/v1/articles", content=big, headers=dict(AUTH, **{"Content-Type": "application/json"}))
        assert r.status_code == 413 and "limit" in _error(r)

        def chunks():  # no Content-Length: the limit holds for streamed bodies too
            for _ in range(10):
                yield b" " * 1024

        r = c.post("/api/v1/articles", content=chunks(), headers=AUTH)
        assert r.status_code == 413
    many = json.dumps([{"text": "t"}] * 501)
    with TestClient(create_app(seeded_db, token=TOKEN, extras=False), base_url=BASE) as c:
        r = c.post("/api/v1/articles", content=many, headers=AUTH)
        assert r.status_code == 413 and "at most" in _error(r)


# ------------------------------------------------------------------ safety
def test_untrusted_text_is_escaped_with_csp(client):
    body = {"id": "xss-1", "outlet": "Evil <i>Outlet</i>", "title": "<script>alert('t')</script>",
            "url": "javascript:alert(3)",
            "text": "The council met today.\n\n<script>alert(1)</script> and <img src=x onerror=alert(2)> here."}
    r = client.post("/api/v1/articles", json=body, headers=AUTH)
    assert r.status_code == 200
    page = client.get("/articles/xss-1")
    assert page.status_code == 200
    html = page.text
    assert "<script>" not in html and "<img src=x" not in html and "<i>Outlet" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    story = client.get(f"/stories/{r.json()['articles'][0]['story_id']}")
    assert story.status_code == 200 and "<script>" not in story.text
    assert client.get("/api/v1/health").headers["content-security-policy"] == csp


@pytest.mark.parametrize("path", [
    "/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fstore.py",
    "/static/..%5capp.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/....//app.py",
    "/static/desk.css%00.py", "/static/templates/../../app.py",
])
def test_static_path_traversal_is_404(client, path):
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "create_app" not in r.text and "root:" not in r.text


def test_static_assets_are_served(client):
    r = client.get("/static/desk.css")
    assert r.status_code == 200 and "text/css" in r.headers["content-type"]
    assert ".g0{" in client.get("/groups.css").text


def test_reads_need_the_token_off_loopback(seeded_db, monkeypatch):
    monkeypatch.delenv("STORYLENS_OPEN_READS", raising=False)
    app = create_app(seeded_db, host="0.0.0.0", token=TOKEN, extras=False)
    with TestClient(app, base_url="http://desk.example") as c:
        assert c.get("/api/v1/stories").status_code == 401
        assert c.get("/").status_code == 401
        assert c.get("/api/v1/health").status_code == 200
        assert c.get("/api/v1/stories", headers=AUTH).status_code == 200
        assert c.post("/login", data={"token": "nope"}).status_code == 401
        r = c.post("/login", data={"token": TOKEN}, follow_redirects=False)
        assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
        assert c.get("/").status_code == 200  # the cookie now carries the token
    monkeypatch.setenv("STORYLENS_OPEN_READS", "1")
    with TestClient(create_app(seeded_db, host="0.0.0.0", token=TOKEN, extras=False), base_url="http://x") as c:
        assert c.get("/api/v1/stories").status_code == 200
        assert c.post("/api/v1/articles", json={"text": "t"}).status_code == 401


def test_loopback_desk_refuses_foreign_host_names(client):
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the desk
    r = client.get("/api/v1/stories", headers={"Host": "evil.example"})
    assert r.status_code == 400 and "Host" in _error(r)
    assert client.get("/api/v1/stories", headers={"Host": "localhost:8000"}).status_code == 200


def test_token_file_is_created_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("STORYLENS_TOKEN", raising=False)
    db = str(tmp_path / "t.db")
    tok, created = resolve_token(db)
    assert created == str(token_path(db)) and len(tok) >= 32
    assert os.stat(created).st_mode & 0o777 == 0o600
    assert resolve_token(db) == (tok, None)
    monkeypatch.setenv("STORYLENS_TOKEN", "from-env")
    assert resolve_token(db) == ("from-env", None)


# ------------------------------------------------------------- concurrency
def test_new_stories_appear_while_another_process_ingests(tmp_path, seeds_dir):
    db = str(tmp_path / "live.db")
    with TestClient(create_app(db, token=TOKEN, extras=False), base_url=BASE) as c:
        assert c.get("/api/v1/stories").json()["items"] == []
        proc = subprocess.run(
            [sys.executable, "-m", "storylens.cli", "ingest", str(seeds_dir), "--db", db, "--no-extract", "-q"],
            capture_output=True, text=True, timeout=120, cwd=str(Path(__file__).resolve().parents[1]),
        )
        assert proc.returncode == 0, proc.stderr
        items = c.get("/api/v1/stories").json()["items"]
        assert items and items[0]["n_articles"] == 2
        assert "story-card" in c.get("/").text
        # the server's own writer replays what the other process stored: a copy joins that story
        text = max(p.read_text(encoding="utf-8") for p in Path(seeds_dir).glob("*.txt"))
        r = c.post("/api/v1/articles", json={"id": "late-copy", "text": text}, headers=AUTH)
        assert r.status_code == 200
        assert r.json()["articles"][0]["story_id"] == items[0]["id"]
        assert r.json()["articles"][0]["duplicate_of"] is not None
