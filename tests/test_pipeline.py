"""The whole path on the seeds and on small corpora: stories, copies, passages, re-ingest, state replay."""
import json

from storylens.pipeline import Pipeline, article_id
from storylens.model import RawDoc
from storylens.store import Store
from storylens.views import story_view, iter_passages


def _ingest(db_path, paths, extract=False):
    store = Store(db_path)
    pipe = Pipeline(store, extract=extract)
    stats = pipe.ingest(paths)
    return store, pipe, stats


def test_seeds_one_story_with_both_articles(db_path, seeds_dir):
    store, _, stats = _ingest(db_path, [seeds_dir])
    assert stats.read == 2 and stats.failed == 0
    assert store.count_stories() == 1
    sid = store.stories()[0]["id"]
    v = story_view(store, sid, with_quotes=False, with_event=False)
    outlets = {a["outlet"] for a in v["articles"]}
    assert outlets == {"Radio Habana Cuba", "Qatar Tribune"}
    a000 = next(a for a in v["articles"] if a["outlet"] == "Radio Habana Cuba")
    a002 = next(a for a in v["articles"] if a["outlet"] == "Qatar Tribune")
    assert a000["published"] == "2024-02-08" and a000["dateline"] == "Baghdad"
    assert v["story"]["label"] == "Iraq condemns clear-cut assassination operation after U.S. strike"
    # at least 70% of 002's clean characters are in passages shared with 000
    reuse = v["reuse"][0]
    share_002 = reuse["shared_b"] if reuse["article_b"] == a002["id"] else reuse["shared_a"]
    assert share_002 >= 0.70
    uniq = {a["id"]: [] for a in v["articles"]}
    for u in v["unique"]:
        text = a000["text"] if u["article"] == a000["id"] else a002["text"]
        uniq[u["article"]].append(text[u["start"]:u["end"]])
    for needle in ("Harakat al-Nujaba", "Hamas", "ISIL"):
        assert any(needle in t for t in uniq[a000["id"]]), needle
    assert any("Nasser Kanaani" in t for t in uniq[a002["id"]])
    # shared passages really match, and every span is inside its text
    for p in v["passages"]:
        ta = a000["text"] if p["article_a"] == a000["id"] else a002["text"]
        tb = a002["text"] if p["article_b"] == a002["id"] else a000["text"]
        assert 0 <= p["start_a"] < p["end_a"] <= len(ta) and 0 <= p["start_b"] < p["end_b"] <= len(tb)


def test_reingest_adds_nothing(db_path, seeds_dir):
    store, _, first = _ingest(db_path, [seeds_dir])
    store.close()
    store, _, second = _ingest(db_path, [seeds_dir])
    assert first.new + first.duplicate == 2
    assert (second.new, second.duplicate, second.already) == (0, 0, 2)
    assert store.count_articles() == 2 and store.count_stories() == 1


def _doc(text, **meta):
    return RawDoc(source=meta.pop("source", "mem.jsonl:1"), text=text, format="jsonl", meta=meta)


WIRE = (
    "Flood waters rose across the Kessel valley on Sunday, forcing the evacuation of 2,000 residents from low-lying "
    "villages, the regional emergency office said. Rescue teams used boats to reach families stranded on rooftops in "
    "Marrow and Lindel, and the army sent two helicopters. The river peaked at 6.2 metres overnight, its highest level "
    "in forty years, and forecasters warned of more rain on Monday. Governor Petra Haas said the state would pay for "
    "temporary shelter and called the flooding a disaster for the farming towns of the valley."
)
OTHER = (
    "The city orchestra opened its autumn season with a new symphony by the composer Lena Dorn, whose work was "
    "commissioned for the hall's centenary. Critics praised the brass writing and the closing chorale, and the "
    "audience gave a long standing ovation. The season continues with three premieres and a tour of northern cities "
    "in the spring, the orchestra's director said, adding that ticket sales were the best in a decade."
)


def test_copies_stories_and_direction(db_path):
    store = Store(db_path)
    pipe = Pipeline(store, extract=False)
    docs = [
        _doc(WIRE, id="w1", outlet="Northwire", published="2025-03-02"),
        _doc(WIRE.replace("Sunday", "Sunday morning").replace("two helicopters", "2 helicopters"),
             id="w2", outlet="Valley Post", published="2025-03-03"),
        _doc("Our correspondent reports. " + WIRE + " Schools in the valley will stay closed until Wednesday, the "
             "education office said, and the main road to the capital remains cut.", id="w3", outlet="Daily Star",
             published="2025-03-03"),
        _doc(WIRE, id="w4", outlet="Copycat News", published="2025-03-04"),
        _doc(OTHER, id="o1", outlet="Arts Weekly", published="2025-03-03"),
    ]
    stats = pipe.ingest_docs(docs)
    assert stats.read == 5 and stats.failed == 0
    arts = {a.id: a for a in store.articles()}
    assert arts["w4"].duplicate_of == "w1" and arts["w4"].duplicate_kind == "exact"
    assert arts["w2"].duplicate_of == "w1"
    assert arts["w3"].duplicate_of == "w1"
    assert arts["o1"].duplicate_of is None
    assert len({arts[k].story_id for k in ("w1", "w2", "w3", "w4")}) == 1
    assert arts["o1"].story_id != arts["w1"].story_id
    reuse = {(r["article_a"], r["article_b"]): r for r in store.reuse(arts["w1"].story_id)}
    assert reuse[("w1", "w2")]["original"] == "w1"
    passages = list(iter_passages(store))
    kinds = {p["kind"] for p in passages}
    assert kinds == {"shared", "unique"}
    w3_unique = [p for p in passages if p["kind"] == "unique" and p["article_a"] == "w3"]
    assert any("Schools in the valley" in arts["w3"].text[p["start_a"]:p["end_a"]] for p in w3_unique)


def test_state_is_saved_and_replayed(db_path):
    store = Store(db_path)
    pipe = Pipeline(store, extract=False)
    pipe.ingest_docs([_doc(WIRE, id="w1", published="2025-03-02")])
    # a second writer adds an article without saving its state (as a crash would)
    other = Pipeline(Store(db_path), extract=False)
    with other.writing():
        other.add_docs([_doc(OTHER, id="o1", published="2025-03-03")])
    # a third process must see both, replaying o1 on top of the saved snapshot
    third = Pipeline(Store(db_path), extract=False)
    with third.writing():
        arts = third.add_docs([_doc(WIRE, id="w9", published="2025-03-04"), _doc(OTHER, id="o9")])
    assert arts[0].duplicate_of == "w1"
    assert arts[1].duplicate_of == "o1"


def test_conflicting_ids_are_refused(db_path):
    store = Store(db_path)
    pipe = Pipeline(store, extract=False)
    s1 = pipe.ingest_docs([_doc(WIRE, id="same")])
    s2 = pipe.ingest_docs([_doc(OTHER, id="same", source="b.jsonl:4")])
    assert s1.new == 1 and s2.failed == 1
    assert "b.jsonl:4" in s2.failures[0] and "unique id" in s2.failures[0]


def test_stable_ids():
    d = RawDoc(source="x/a.txt", text="Same text", format="txt")
    assert article_id(d) == article_id(RawDoc(source="y/a.txt", text="Same text", format="txt"))
    assert article_id(d) != article_id(RawDoc(source="y/b.txt", text="Same text", format="txt"))
    assert article_id(_doc("t", id="given")) == "given"


def _b3_f1(pred: dict, gold: dict) -> float:
    from collections import defaultdict

    by_p, by_g = defaultdict(set), defaultdict(set)
    for d in pred:
        by_p[pred[d]].add(d)
        by_g[gold[d]].add(d)
    p = sum(len(by_p[pred[d]] & by_g[gold[d]]) / len(by_p[pred[d]]) for d in pred) / len(pred)
    r = sum(len(by_p[pred[d]] & by_g[gold[d]]) / len(by_g[gold[d]]) for d in pred) / len(pred)
    return 2 * p * r / (p + r)


def test_refine_pass_keeps_the_store_consistent(shared_dir, db_path):
    """On ECB+ topics 1-12 the second clustering pass moves articles; the store must follow exactly."""
    import random

    path = shared_dir / "datasets" / "ecbplus_dev.jsonl"
    if not path.exists():
        import pytest

        pytest.skip(f"{path} is absent")
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    recs = [r for r in recs if r["topic"] <= 12]
    random.Random(13).shuffle(recs)
    gold = {}
    docs = []
    for i, r in enumerate(recs):
        gold[f"d{i}"] = r["event"]
        docs.append(_doc(r["text"], id=f"d{i}"))
    results = {}
    for refine in (False, True):
        store = Store(str(db_path) + str(refine))
        pipe = Pipeline(store, extract=False, refine=refine)
        pipe.ingest_docs(docs)
        pred = {a.id: a.story_id for a in store.articles()}
        # the store agrees with the clusterer, counts and passages are consistent
        assert pred == {d: pipe.clusterer.story_of(d) for d in pred}
        for s in store.stories():
            assert s["n_articles"] == sum(1 for v in pred.values() if v == s["id"])
        assert {s["id"] for s in store.stories()} == set(pred.values())
        for p in store.passages():
            assert pred[p.article_a] == pred[p.article_b] == p.story_id
        results[refine] = _b3_f1(pred, gold)
    print("B3 F1 online %.3f refined %.3f" % (results[False], results[True]))
    assert results[True] >= results[False] - 0.01


def test_demo_corpus_stories_match_the_intended_events(db_path):
    """The bundled demo: every event is one story, and the two Lakeport fires a week apart stay apart."""
    from storylens.demo import demo_corpus_dir

    answers = json.loads((demo_corpus_dir().parent / "demo_answers.json").read_text(encoding="utf-8"))
    store = Store(db_path)
    stats = Pipeline(store, extract=False).ingest([demo_corpus_dir()])
    assert stats.failed == 0
    story_of = {}
    for a in store.articles():
        name = a.source.rsplit("/", 1)[-1]
        story_of["tidewater_feed.jsonl#" + a.id if name.startswith("tidewater_feed.jsonl") else name] = a.story_id
    stories = {}
    for event, names in answers["events"].items():
        got = {story_of[n] for n in names}
        assert len(got) == 1, (event, got)
        stories[event] = got.pop()
    assert len(set(stories.values())) == len(stories)  # distinct events, distinct stories
    copies = sum(1 for a in store.articles() if a.duplicate_of)
    assert copies == len(answers["copies"])


def test_freeze_gc_ingest_gives_the_same_store_and_freezes(tmp_path, monkeypatch):
    """``Pipeline(freeze_gc=True)`` (what the CLI uses) moves long-lived objects out of the cyclic
    collector's walks during a long ingest, and changes no answer."""
    import gc
    import sys
    from pathlib import Path

    import storylens.pipeline as pl

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.synth import make_corpus

    docs = [RawDoc(source=f"synth:{d.id}", text=d.text, format="jsonl",
                   meta={"id": d.id, "title": d.title, "outlet": d.outlet, "published": d.published})
            for d in make_corpus(300, seed=3, words=120).docs]
    monkeypatch.setattr(pl, "FREEZE_EVERY", 64)
    results = {}
    gc.unfreeze()
    try:
        for freeze in (False, True):
            store = Store(str(tmp_path / f"f{freeze}.db"))
            pipe = Pipeline(store, extract=False, freeze_gc=freeze, batch_size=32)
            stats = pipe.ingest_docs(docs)
            frozen = gc.get_freeze_count()
            results[freeze] = (stats.new, stats.duplicate, frozen, [
                tuple(r) for r in store.db.execute(
                    "SELECT id, duplicate_of, duplicate_kind, story_id FROM articles ORDER BY id")])
            store.close()
    finally:
        gc.unfreeze()
    assert results[False][2] == 0 and results[True][2] > 0
    assert results[False][0] > 0 and results[False][1] > 0  # the corpus has copies and originals
    assert results[True][0::3] == results[False][0::3] and results[True][1] == results[False][1]
