"""Checks on the bundled demo corpus and its answer key (data checks; no library code involved)."""
from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from importlib.resources import files
from itertools import combinations
from pathlib import Path

import pytest

DEMO = Path(str(files("storylens") / "data" / "demo"))
SRC = Path(str(files("storylens")))


@pytest.fixture(scope="module")
def answers() -> dict:
    return json.loads((DEMO.parent / "demo_answers.json").read_text(encoding="utf-8"))


def _corpus_files() -> list[Path]:
    return sorted(p for p in DEMO.iterdir() if p.is_file() and p.name != "ANSWERS.json")


class _ArticleText(HTMLParser):
    """Text of the <p> elements inside <article> (one paragraph each)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.in_p = False
        self.paras: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        elif tag == "p" and self.depth:
            self.in_p = True
            self.paras.append("")

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1
        elif tag == "p":
            self.in_p = False

    def handle_data(self, data):
        if self.in_p:
            self.paras[-1] += data


def _bodies() -> dict[str, list[str]]:
    """name -> body paragraphs (single-line paragraphs of 12+ words: page chrome left out)."""
    out: dict[str, list[str]] = {}
    for p in _corpus_files():
        if p.suffix == ".jsonl":
            for line in p.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                out[f"{p.name}#{rec['id']}"] = re.split(r"\n\s*\n", rec["text"])
        elif p.suffix == ".html":
            parser = _ArticleText()
            parser.feed(p.read_text(encoding="utf-8"))
            out[p.name] = parser.paras
        else:
            out[p.name] = re.split(r"\n\s*\n", p.read_text(encoding="utf-8"))
    # Page chrome comes in multi-line blocks or short lines; body paragraphs are long single lines.
    return {k: [x.strip() for x in v if len(x.split()) >= 12 and "\n" not in x.strip()
                and not x.strip().startswith("\u00a9")] for k, v in out.items()}


def _norm(s: str) -> str:
    s = s.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", s).strip()


def _sentences(paras: list[str]) -> list[str]:
    out = []
    for p in paras:
        out.extend(x for x in re.split(r'(?<=[.!?"])\s+(?=["A-Z])', _norm(p)) if len(x.split()) >= 4)
    return out


def _overlap(a: list[str], b: list[str]) -> float:
    """Share of a's sentences that occur verbatim in b."""
    sb = set(_sentences(b))
    sa = _sentences(a)
    return sum(s in sb for s in sa) / max(len(sa), 1)


BODIES = _bodies()


def test_every_file_is_utf8():
    assert _corpus_files()
    for p in _corpus_files() + [DEMO.parent / "demo_answers.json"]:
        p.read_bytes().decode("utf-8")  # strict: raises on invalid bytes


def test_jsonl_records_parse_with_fields():
    jsonl = [p for p in _corpus_files() if p.suffix == ".jsonl"]
    assert len(jsonl) == 1
    ids = []
    for n, line in enumerate(jsonl[0].read_text(encoding="utf-8").splitlines(), 1):
        rec = json.loads(line)
        for key in ("id", "title", "url", "outlet", "published", "text"):
            assert isinstance(rec.get(key), str) and rec[key].strip(), f"line {n}: {key}"
        ids.append(rec["id"])
    assert len(ids) >= 3 and len(set(ids)) == len(ids)


def test_formats_present():
    suffixes = Counter(p.suffix for p in _corpus_files())
    assert suffixes[".txt"] >= 25 and 2 <= suffixes[".html"] <= 4
    for p in _corpus_files():
        if p.suffix == ".html":
            page = p.read_text(encoding="utf-8")
            assert "<article" in page and "<nav" in page and "<footer" in page


def test_answers_name_every_article_once(answers):
    named = [n for names in answers["events"].values() for n in names]
    assert len(named) == len(set(named))
    assert set(named) == set(BODIES), set(named) ^ set(BODIES)
    assert len(answers["events"]) >= 8 and len(named) >= 35
    assert all(len(v) >= 2 for v in answers["events"].values())
    for key in ("outlets", "published", "formats", "claims"):
        assert set(answers[key]) <= set(named), key
    assert set(answers["outlets"]) == set(named)


def test_article_lengths():
    for name, paras in BODIES.items():
        words = sum(len(p.split()) for p in paras)
        assert 150 <= words <= 600, (name, words)


def test_copies_are_copies(answers):
    event_of = {n: e for e, names in answers["events"].items() for n in names}
    kinds = Counter()
    for c in answers["copies"]:
        copy, orig, kind = c["copy"], c["of"], c["kind"]
        kinds[kind] += 1
        assert event_of[copy] == event_of[orig]
        assert answers["published"][copy] >= answers["published"][orig]
        if kind == "verbatim":
            assert _overlap(BODIES[orig], BODIES[copy]) >= 0.95, copy
        elif kind == "near":
            assert 0.6 <= _overlap(BODIES[orig], BODIES[copy]) < 1.0, copy
        elif kind == "contained":
            assert _overlap(BODIES[copy], BODIES[orig]) >= 0.95, copy
            assert _overlap(BODIES[orig], BODIES[copy]) <= 0.8, copy
        else:
            pytest.fail(f"unknown copy kind {kind}")
    assert kinds["verbatim"] >= 5 and kinds["near"] >= 3 and kinds["contained"] >= 1
    # A wire story copied by several outlets.
    assert max(Counter(c["of"] for c in answers["copies"]).values()) >= 3


def test_rewrites_and_other_events_share_little_text(answers):
    event_of = {n: e for e, names in answers["events"].items() for n in names}
    root = {n: n for n in event_of}
    for c in answers["copies"]:
        root[c["copy"]] = c["of"]
    for a, b in combinations(sorted(event_of), 2):
        if root[a] == root[b]:
            continue
        limit = 0.3 if event_of[a] == event_of[b] else 0.05
        assert _overlap(BODIES[a], BODIES[b]) <= limit, (a, b)


def test_same_place_different_events(answers):
    pairs = answers["same_place_different_events"]
    assert pairs
    for pair in pairs:
        ev_a, ev_b = pair["events"]
        assert ev_a != ev_b and answers["event_info"][ev_a]["date"] != answers["event_info"][ev_b]["date"]
        for name in pair["shared_names"]:
            for ev in (ev_a, ev_b):
                assert any(name in " ".join(BODIES[n]) for n in answers["events"][ev]), (name, ev)


def test_casualty_claims_differ_between_outlets(answers):
    differing = 0
    for names in answers["events"].values():
        for field in ("fatalities", "injured"):
            values = {answers["claims"][n][field] for n in names
                      if field in answers["claims"].get(n, {})}
            differing += len(values) >= 2
    assert differing >= 3


def test_outlet_chrome_repeats_across_its_pages(answers):
    by_outlet: dict[str, list[Path]] = {}
    for p in _corpus_files():
        if p.suffix == ".txt":
            by_outlet.setdefault(answers["outlets"][p.name], []).append(p)
    assert len(by_outlet) >= 6
    for outlet, paths in by_outlet.items():
        if len(paths) < 2:
            continue
        line_sets = [{ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()}
                     for p in paths]
        common = set.intersection(*line_sets)
        assert len(common) >= 2, outlet


def test_library_never_reads_answers():
    for py in SRC.rglob("*.py"):
        assert "demo_answers" not in py.read_text(encoding="utf-8"), py


def test_borrowed_passages_occur_in_both(answers):
    assert answers["borrowed"]
    event_of = {n: e for e, names in answers["events"].items() for n in names}
    for item in answers["borrowed"]:
        assert event_of[item["article"]] == event_of[item["from"]]
        for name in (item["article"], item["from"]):
            assert _norm(item["text"]) in _norm(" ".join(BODIES[name])), name
