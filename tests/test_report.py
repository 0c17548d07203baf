"""Tests for the static HTML report (views built by hand; no store needed)."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storylens.report import group_colour, render_report, segments, write_report

SHARED = "The mayor said the fire was under control by midnight."
TEXT_A = ("LAKEPORT, March 3 (Northwire) -- " + SHARED + "\n\n"
          "Residents of Foundry Lane were told to keep windows shut. <script>alert('x')</script>")
TEXT_B = ("Firefighters worked through the night. " + SHARED + "\n\n"
          "Our reporter saw three engines leave the depot at dawn.")
UNIQUE_B = "Our reporter saw three engines leave the depot at dawn."


def _view(n_articles: int = 2) -> dict:
    a_start = TEXT_A.index(SHARED)
    b_start = TEXT_B.index(SHARED)
    u_start = TEXT_B.index(UNIQUE_B)
    articles = [
        {"id": "a1", "outlet": "Northwire", "title": "Warehouse fire <b>kills</b> four",
         "published": "2025-03-03", "url": "https://northwire.example/fire", "dateline": "Lakeport",
         "text": TEXT_A, "source": "01.txt", "duplicate_of": None, "duplicate_kind": None,
         "duplicate_similarity": None},
        {"id": "a2", "outlet": "Coastal Ledger", "title": "Night of fire", "published": "2025-03-04",
         "url": "javascript:alert(1)", "dateline": None, "text": TEXT_B, "source": "02.txt",
         "duplicate_of": "a1", "duplicate_kind": "near", "duplicate_similarity": 0.91},
    ]
    for i in range(2, n_articles):
        articles.append({"id": f"a{i + 1}", "outlet": f"Outlet {i + 1}", "title": f"Copy {i + 1}",
                         "published": None, "url": None, "dateline": None, "text": TEXT_B,
                         "source": None, "duplicate_of": None, "duplicate_kind": None,
                         "duplicate_similarity": None})
    return {
        "story": {"id": "s1", "label": "Lakeport warehouse fire", "first_date": "2025-03-03",
                  "last_date": "2025-03-04", "outlets": ["Northwire", "Coastal Ledger"],
                  "n_articles": n_articles},
        "articles": articles,
        "passages": [{"kind": "shared", "article_a": "a1", "start_a": a_start,
                      "end_a": a_start + len(SHARED), "article_b": "a2", "start_b": b_start,
                      "end_b": b_start + len(SHARED), "similarity": 1.0, "group": 7}],
        "unique": [{"article": "a2", "start": u_start, "end": u_start + len(UNIQUE_B)}],
        "reuse": [{"article_a": "a1", "article_b": "a2", "shared_a": 0.4, "shared_b": 0.5,
                   "original": "a1", "reason": "earlier date"}],
        "quotes": [{"canonical_speaker": "Elena Varga", "quote": "the fire was under control",
                    "kind": "indirect", "outlets": ["Northwire", "Coastal Ledger"],
                    "single_outlet": False}],
        "event": {"type": "fire", "actor": None, "target": "warehouse",
                  "place": {"name": "Lakeport", "qualifier": None, "country": None, "lat": None,
                            "lon": None, "precision": None},
                  "date": "2025-03-03", "fatalities": 4, "injured": None,
                  "reactions": [{"actor": "Elena Varga", "stance": "sympathy"}],
                  "claims": {"fatalities": [{"outlet": "Northwire", "value": 4},
                                            {"outlet": "Coastal Ledger", "value": 5}]}},
    }


class _Collector(HTMLParser):
    """Collects, per <article data-article=...>, the marks and unique spans with their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.article: str | None = None
        self.stack: list[dict] = []
        self.found: dict[str, list[dict]] = {}
        self.links: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "article" and "data-article" in attrs:
            self.article = attrs["data-article"]
            self.found[self.article] = []
        item = {"tag": tag, "attrs": attrs, "text": ""}
        self.stack.append(item)

    def handle_endtag(self, tag):
        while self.stack:
            item = self.stack.pop()
            cls = item["attrs"].get("class") or ""
            if self.article and ("shared" in cls.split() or "unique" in cls.split()):
                self.found[self.article].append(item)
            if self.stack:
                self.stack[-1]["text"] += item["text"]
            if item["tag"] == tag:
                break
        if tag == "article":
            self.article = None

    def handle_data(self, data):
        if self.stack:
            self.stack[-1]["text"] += data


def _parse(html: str) -> _Collector:
    c = _Collector()
    c.feed(html)
    return c


def test_script_in_article_text_is_escaped():
    html = render_report([_view()])
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b>kills</b>" not in html and "&lt;b&gt;kills&lt;/b&gt;" in html
    assert _parse(html).scripts == 0


def test_only_http_urls_become_links():
    parsed = _parse(render_report([_view()]))
    assert "https://northwire.example/fire" in parsed.links
    assert not any(link.lower().startswith("javascript") for link in parsed.links)


def test_shared_group_highlighted_alike_in_both_articles():
    found = _parse(render_report([_view()])).found
    marks = {aid: [i for i in items if i["attrs"].get("data-group") == "7"]
             for aid, items in found.items()}
    assert [m["text"] for m in marks["a1"]] == [SHARED]
    assert [m["text"] for m in marks["a2"]] == [SHARED]
    styles = {m["attrs"]["style"] for aid in ("a1", "a2") for m in marks[aid]}
    assert styles == {f"background-color: {group_colour(7)}"}


def test_unique_span_marked_with_outlet_tag():
    found = _parse(render_report([_view()])).found
    uniques = [i for i in found["a2"] if "unique" in i["attrs"].get("class", "").split()]
    assert len(uniques) == 1
    assert uniques[0]["text"] == "only in Coastal Ledger" + UNIQUE_B
    assert not [i for i in found["a1"] if "unique" in i["attrs"].get("class", "").split()]


def test_story_parts_rendered():
    html = render_report([_view()], title="Demo <report>")
    assert "<title>Demo &lt;report&gt;</title>" in html
    assert 'href="#story-s1"' in html and 'id="story-s1"' in html  # table of contents
    assert "Lakeport warehouse fire" in html
    assert "Event record" in html and "4 (Northwire); 5 (Coastal Ledger)" in html
    assert "Elena Varga" in html and "the fire was under control" in html
    assert "40%" in html and "50%" in html and "earlier date" in html
    assert "near copy of Northwire (91%)" in html
    assert 'class="columns"' in html


def test_many_articles_scroll_and_self_contained():
    html = render_report([_view(5)])
    assert 'class="columns many"' in html
    assert "<style>" in html and "<link" not in html and 'src="' not in html


def test_zero_stories_still_renders(tmp_path):
    html = render_report([])
    assert "No stories" in html and html.rstrip().endswith("</html>")
    path = write_report([], tmp_path / "sub" / "r.html")
    assert path.read_text(encoding="utf-8") == html


def test_sparse_view_renders():
    view = {"story": None, "articles": [{"id": "x", "text": None}], "passages": None,
            "unique": None, "reuse": None, "quotes": None, "event": None}
    html = render_report([view])
    assert "Story 1" in html and "(no text)" in html


def test_segments_first_span_wins_and_gaps():
    assert segments("abcdefghij", [(2, 6, 1, False), (4, 8, None, True), (0, 1, 2, False)]) == [
        (0, 1, 2, False), (1, 2, None, False), (2, 6, 1, False), (6, 8, None, True),
        (8, 10, None, False)]
    assert segments("abc", [(-5, 99, 0, False)]) == [(0, 3, 0, False)]
    assert segments("abc", []) == [(0, 3, None, False)]


_span = st.tuples(st.integers(-5, 60), st.integers(-5, 60), st.one_of(st.none(), st.integers(0, 4)),
                  st.booleans())


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=50), spans=st.lists(_span, max_size=8))
def test_segments_cover_text_once_in_order(text, spans):
    segs = segments(text, spans)
    if not text:
        assert segs == []
        return
    assert segs[0][0] == 0 and segs[-1][1] == len(text)
    for (s1, e1, *_), (s2, _e2, *_) in zip(segs, segs[1:]):
        assert e1 == s2
    assert all(s < e for s, e, *_ in segs)
    # Each character carries the label of the first span that covers it.
    for s, e, group, unique in segs:
        for i in range(s, e):
            first = next(((g, u) for a, b, g, u in spans if max(a, 0) <= i < min(b, len(text))),
                         (None, False))
            assert first == (group, unique)
    # Adjacent segments differ in label (maximal merging).
    for x, y in zip(segs, segs[1:]):
        assert x[2:] != y[2:]


def test_only_in_tag_once_per_run_of_unique_paragraphs():
    text = "First own paragraph here.\n\nSecond own paragraph here.\n\nShared part.\n\nThird own one."
    spans = [(0, 25), (27, 53), (69, 83)]
    view = {"story": {"id": "s"}, "articles": [{"id": "x", "outlet": "Solo", "text": text}],
            "unique": [{"article": "x", "start": s, "end": e} for s, e in spans]}
    html = render_report([view])
    assert html.count(">only in Solo</span>") == 2  # paragraphs 1-2 are one run, paragraph 4 another
    assert html.count('class="unique"') == 3
