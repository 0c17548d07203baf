"""Duplicate detection: exact, near, containment, earliest copy, persistence."""
from __future__ import annotations

import random

import pytest

from storylens.dedup import DedupIndex, lsh_params
from storylens.errors import ValidationError
from storylens.fingerprint import shingle_hashes
from storylens.model import DupMatch

VOCAB = [f"{a}{b}{c}" for a in "bdfgklmnprst" for b in "aeiou" for c in "lmnrst"] + \
    ["the", "of", "and", "to", "in", "said", "a", "on", "for", "was"] * 20


def words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(VOCAB) for _ in range(n)]


def text(ws: list[str]) -> str:
    out, line = [], []
    for i, w in enumerate(ws):
        line.append(w)
        if i % 17 == 16:
            out.append(" ".join(line).capitalize() + ".")
            line = []
    if line:
        out.append(" ".join(line).capitalize() + ".")
    return " ".join(out)


def edit(ws: list[str], rng: random.Random, n_edits: int) -> list[str]:
    ws = list(ws)
    for _ in range(n_edits):
        ws[rng.randrange(len(ws))] = rng.choice(VOCAB)
    return ws


def exact_sets(a: str, b: str) -> tuple[float, float, float]:
    """True Jaccard, share of a inside b, share of b inside a (3-word shingles)."""
    sa, sb = set(shingle_hashes(a).tolist()), set(shingle_hashes(b).tolist())
    i = len(sa & sb)
    return i / len(sa | sb), i / len(sa), i / len(sb)


def test_exact_copy_after_cosmetic_changes():
    rng = random.Random(1)
    t = text(words(rng, 300))
    idx = DedupIndex()
    assert idx.query_add("a", t) is None
    m = idx.query_add("b", "  " + t.upper().replace(" ", "  ") + "\n")
    assert m == DupMatch(of="a", kind="exact", similarity=1.0)


def test_near_copy_is_found_and_unrelated_text_is_not():
    rng = random.Random(2)
    ws = words(rng, 400)
    idx = DedupIndex(threshold=0.8)
    idx.query_add("orig", text(ws))
    idx.query_add("other", text(words(rng, 400)))
    near = text(edit(ws, rng, 4))
    true_j = exact_sets(text(ws), near)[0]
    m = idx.query_add("copy", near)
    assert m is not None and m.of == "orig" and m.kind == "near"
    assert abs(m.similarity - true_j) < 0.1
    assert idx.query_add("fresh", text(words(rng, 400))) is None


def test_short_story_inside_longer_article_both_orders():
    rng = random.Random(3)
    story = words(rng, 200)
    article = words(rng, 250) + edit(story, rng, 3) + words(rng, 250)
    s, a = text(story), text(article)
    _, c_story_in_article, _ = exact_sets(s, a)

    idx = DedupIndex()
    idx.query_add("article", a, "2024-02-07")
    m = idx.query_add("story", s, "2024-02-08")
    assert m is not None and (m.of, m.kind) == ("article", "contained")
    assert abs(m.similarity - c_story_in_article) < 0.15

    idx = DedupIndex()
    idx.query_add("story", s)
    m = idx.query_add("article", a)
    assert m is not None and (m.of, m.kind) == ("story", "contains")
    assert abs(m.similarity - c_story_in_article) < 0.15


def test_earliest_copy_by_date_then_arrival():
    rng = random.Random(4)
    t = text(words(rng, 200))
    idx = DedupIndex()
    idx.query_add("late", t, "2024-02-09")
    assert idx.query_add("early", t, "2024-02-07") == DupMatch("late", "exact", 1.0)
    assert idx.query_add("third", t, "2024-02-10").of == "early"  # earliest date wins
    idx2 = DedupIndex()
    idx2.add_many(["x1", "x2", "x3"], [t, t, t])  # no dates: earliest arrival
    assert idx2.query(t).of == "x1"
    # a dated copy counts as earlier than undated ones
    idx2.query_add("dated", t, "2024-01-01")
    assert idx2.query(t).of == "dated"


def test_add_many_equals_sequential_query_add_and_round_trip():
    rng = random.Random(5)
    originals = [words(rng, rng.randint(80, 500)) for _ in range(60)]
    ids, texts, dates = [], [], []
    for i in range(160):
        if i < 40 or rng.random() < 0.4:
            t = text(originals[i % 60])
        elif rng.random() < 0.5:
            t = text(edit(originals[rng.randrange(60)], rng, rng.randint(0, 20)))
        else:
            src = originals[rng.randrange(60)]
            t = text(words(rng, 150) + src[:120] + words(rng, 100))
        ids.append(f"d{i}")
        texts.append(t)
        dates.append(None if rng.random() < 0.3 else f"2024-02-{rng.randint(1, 28):02d}")
    batch = DedupIndex().add_many(ids, texts, dates, batch_size=37)
    one = DedupIndex()
    seq = [one.query_add(i, t, d) for i, t, d in zip(ids, texts, dates)]
    assert batch == seq
    assert sum(m is not None for m in seq) > 60
    assert {m.kind for m in seq if m} >= {"exact", "near", "contained"}

    # persistence: a restored index answers exactly like the original, and keeps going
    half = DedupIndex(threshold=0.75, containment=0.6)
    half.add_many(ids[:80], texts[:80], dates[:80])
    restored = DedupIndex.from_bytes(half.to_bytes())
    assert len(restored) == 80 and restored.threshold == 0.75 and "d3" in restored
    assert restored.add_many(ids[80:], texts[80:], dates[80:]) == \
        half.add_many(ids[80:], texts[80:], dates[80:])


def test_same_topic_different_articles_are_not_duplicates():
    a = ("Iraq has condemned a US drone strike in Baghdad that killed a senior commander of "
         "Kataib Hezbollah, an Iran-backed armed group. Army spokesperson Yahya Rasool said "
         "the US-led coalition had become a factor for instability and that repeated attacks "
         "were pushing the government to end the coalition's mission in the country. The "
         "strike hit a vehicle in eastern Baghdad on Wednesday night, security sources said.")
    b = ("A senior Kataib Hezbollah commander died on Wednesday when a US drone struck his car "
         "in the east of Baghdad. Washington blamed the Iran-aligned group for an attack in "
         "Jordan that killed three American soldiers. Iraqi officials protested, calling the "
         "raid a violation of sovereignty, while Pentagon officials promised more strikes. "
         "The government says talks on ending the coalition mission will go ahead.")
    idx = DedupIndex(min_words=10)
    idx.query_add("a", a)
    assert idx.query_add("b", b) is None


def test_seed_articles(seed_texts):
    t000, t002 = (seed_texts[k] for k in sorted(seed_texts))
    j, c002_in_000, _ = exact_sets(t002, t000)
    assert j < 0.8  # not near copies at the default threshold
    idx = DedupIndex()
    assert idx.query_add("000", t000, "2024-02-08") is None
    m = idx.query_add("002", t002, "2024-02-08")
    # 002 shares most of its text with 000: reported as contained, similarity ~ the truth
    assert m is not None and m.of == "000" and m.kind == "contained"
    assert abs(m.similarity - c002_in_000) < 0.1
    idx = DedupIndex()
    idx.query_add("002", t002)
    assert idx.query_add("000", t000).kind == "contains"


def test_empty_and_short_texts_do_not_crash():
    idx = DedupIndex()
    res = idx.add_many(["e1", "e2", "s1", "s2", "s3", "p"],
                       ["", "   \n", "Hi", "hi!", "one two", "... — !!"])
    assert res[0] is None
    assert res[1] == DupMatch("e1", "exact", 1.0)  # both empty after normalising
    assert res[2] is None
    assert res[3] is None or res[3].of == "s1"
    assert idx.query("a completely different sentence of some length") is None
    assert len(idx) == 6


def test_many_copies_all_point_to_the_first():
    rng = random.Random(8)
    t = text(words(rng, 300))
    res = DedupIndex(max_postings=4).add_many([f"c{i}" for i in range(50)], [t] * 50)
    assert res[0] is None and all(m.of == "c0" and m.kind == "exact" for m in res[1:])


def test_remove_query_and_errors():
    rng = random.Random(9)
    t = text(words(rng, 120))
    idx = DedupIndex()
    idx.query_add("a", t)
    assert idx.query(t).of == "a" and len(idx) == 1  # query does not add
    idx.query_add("b", t)
    idx.remove("a")
    assert idx.query(t).of == "b" and "a" not in idx and len(idx) == 1
    with pytest.raises(KeyError):
        idx.remove("a")
    with pytest.raises(ValueError, match="already in the index"):
        idx.query_add("b", "x")
    with pytest.raises(ValidationError, match="2024/02/07"):
        idx.query_add("c", "x", "2024/02/07")
    with pytest.raises(ValueError):
        DedupIndex.from_bytes(b"not an index")
    with pytest.raises(ValueError):
        DedupIndex(threshold=0)


def test_lsh_params_put_the_s_curve_near_the_threshold():
    for t in (0.5, 0.8, 0.9):
        b, r = lsh_params(t, 128)
        assert b * r <= 128
        p = lambda x: 1 - (1 - x ** r) ** b  # noqa: E731
        assert p(t + 0.1) > 0.7 and p(t - 0.2) < 0.3


def test_columns_grow_in_small_steps_and_ids_survive_a_snapshot():
    rng = random.Random(11)
    base = [words(rng, 60) for _ in range(40)]
    ids = [f"d{i}-é" if i % 7 == 0 else f"d{i}" for i in range(9000)]  # some non-ASCII ids
    texts = [text(base[i % 40]) if i % 5 == 0 else text(words(rng, 30)) for i in range(9000)]
    grown = DedupIndex()
    got = []
    caps = []
    for a in range(0, 9000, 700):
        got += grown.add_many(ids[a:a + 700], texts[a:a + 700])
        caps.append(grown._sigs.shape[0])
        assert grown._sigs.shape[0] <= max(len(grown) * 1.125, len(grown) + 4096) + 700
    assert len(set(caps)) > 2  # it grew several times
    assert got == DedupIndex().add_many(ids, texts)  # growing never changes an answer
    assert got[40] == DupMatch(of="d0-é", kind="exact", similarity=1.0)
    restored = DedupIndex.from_bytes(grown.to_bytes())
    assert list(restored.ids) == ids
    assert restored.query(texts[80]).of == "d0-é"


def test_table_segments_grow_alone_and_an_old_one_array_snapshot_is_read():
    import io
    import json as _json

    import numpy as np

    import storylens.dedup as dd

    rng = random.Random(4)
    base = [words(rng, 200) for _ in range(30)]
    ids = [f"d{i}" for i in range(3000)]
    texts = [text(edit(base[i % 30], rng, 3)) if i % 3 == 0 else text(words(rng, 120)) for i in range(3000)]
    idx = DedupIndex()
    got = []
    for a in range(0, 3000, 250):
        got += idx.add_many(ids[a:a + 250], texts[a:a + 250])
    assert got == DedupIndex().add_many(ids, texts)  # growing never changes an answer
    caps = [t.shape[0] for t in idx._tabs]
    assert min(caps) > dd._SEG_MIN  # every segment grew
    assert all(n <= dd._MAX_LOAD * c for n, c in zip(idx._seg_n.tolist(), caps))
    assert int(idx._seg_n.sum()) == sum(int((t != 0).sum()) for t in idx._tabs)
    assert max(caps) < 2 * min(caps)  # segments fill evenly; none doubled alone
    # an index saved by format 1 (one array, home slot tag * capacity >> 32) is read back
    z = np.load(io.BytesIO(idx.to_bytes()))
    entries = np.concatenate([t[t != 0] for t in idx._tabs])
    cap = 1 << int(np.ceil(np.log2(len(entries) / 0.5)))
    flat = np.zeros(cap, dtype=np.uint64)
    for v in entries.tolist():
        s = ((v >> 32) * cap) >> 32
        while flat[s] != 0:
            s = (s + 1) % cap
        flat[s] = v
    meta = _json.loads(bytes(z["meta"]).decode())
    meta.update(format=1, tab_n=len(entries))
    meta.pop("segments")
    old = io.BytesIO()
    np.savez(old, meta=np.frombuffer(_json.dumps(meta).encode(), dtype=np.uint8), ids=z["ids"],
             id_offs=z["id_offs"], sigs=z["sigs"], nsh=z["nsh"], nsamp=z["nsamp"], dates=z["dates"],
             alive=z["alive"], dig=z["dig"], tab=flat)
    restored = DedupIndex.from_bytes(old.getvalue())
    assert restored._seg_n.tolist() == idx._seg_n.tolist()
    more = [text(edit(base[i % 30], rng, 2)) for i in range(60)]
    assert restored.add_many([f"m{i}" for i in range(60)], more) == \
        idx.add_many([f"m{i}" for i in range(60)], more)
