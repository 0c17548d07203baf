"""Alignment: shared passages survive reordering and small edits; unique passages are what is left."""
from storylens.align import align_pair, coverage, likely_original, shared_share, tokenize, unique_spans
from storylens.clean import clean_text


def _seeds(seed_texts):
    a = next(v for k, v in seed_texts.items() if k.startswith("000"))
    b = next(v for k, v in seed_texts.items() if k.startswith("002"))
    return clean_text(a).text, clean_text(b).text


def test_tokens_normalise_variants():
    assert tokenize("U.S.-led coalition’s").words == tokenize("US-led coalition's").words


def test_reordered_paragraphs_are_found():
    p1 = "The council voted to close the old harbour market at the end of the summer season."
    p2 = "Traders said they would appeal the decision in the regional court next month."
    p3 = "A spokesperson for the council declined to comment on the appeal."
    a = "\n\n".join([p1, p2, p3])
    b = "\n\n".join([p3, p1, "An unrelated closing line about the weather being mild.", p2])
    spans = align_pair(a, b)
    got = {a[s:e] for s, e, _, _, _ in spans}
    assert got == {p1[:-1], p2[:-1], p3[:-1]} or all(any(x in g for g in got) for x in (p1[:40], p2[:40], p3[:40]))
    for s0, e0, s1, e1, sim in spans:
        assert tokenize(a[s0:e0]).words == tokenize(b[s1:e1]).words
        assert sim == 1.0


def test_small_edits_bridge_one_passage():
    a = 'Army spokesperson Yahya Rasool said on Thursday that repeated attacks by the US in Iraq are "pushing" the government.'
    b = "Army spokesperson Yehia Rasool said on Thursday that repeated attacks by the U.S. in Iraq are “pushing” the government."
    spans = align_pair(a, b)
    assert len(spans) == 1
    s0, e0, s1, e1, sim = spans[0]
    assert (s0, e1) == (0, len(b) - 1) and 0.85 < sim < 1.0


def test_seeds_shared_and_unique(seed_texts):
    a, b = _seeds(seed_texts)
    spans = align_pair(a, b)
    share_b = shared_share(b, [(s, e) for _, _, s, e, _ in spans])
    assert share_b >= 0.70
    ua = [a[s:e] for s, e in unique_spans(a, [(s, e) for s, e, _, _, _ in spans])]
    ub = [b[s:e] for s, e in unique_spans(b, [(s, e) for _, _, s, e, _ in spans])]
    for needle in ("Harakat al-Nujaba", "Hamas said", "fight ISIL"):
        assert any(needle in u for u in ua), needle
    assert any("Nasser Kanaani" in u for u in ub)
    assert not any("Kanaani" in u for u in ua)
    assert not any("factor for instability" in u for u in ub)


def test_unrelated_texts_share_nothing():
    a = "The orchestra announced its new season with three premieres and a tour of northern cities."
    b = "Heavy rain flooded the lower town overnight and the fire brigade pumped out forty cellars."
    assert align_pair(a, b) == []
    assert unique_spans(a, []) == [(0, len(a))]


def test_coverage_and_direction():
    assert coverage(10, []) == 0
    assert likely_original({"id": "a", "published": None}, {"id": "b", "published": None}, 0.5, 0.6)[0] is None
    assert likely_original({"id": "a", "published": "2024-01-02"}, {"id": "b", "published": "2024-01-01"}, 1, 1)[0] == "b"


def test_empty_and_tiny_inputs():
    assert align_pair("", "") == []
    assert align_pair("a b", "a b") == []
    assert unique_spans("", []) == []
