"""Story clustering accuracy and speed on the shared dev corpora.

    .venv/bin/python bench/stories.py                 # ECB+ 1-35, GoogleNews-TS/T/S
    .venv/bin/python bench/stories.py --corpus ecb --set threshold=0.25
    .venv/bin/python bench/stories.py --scale 20000   # synthetic stream: per-article latency
    .venv/bin/python bench/stories.py --corpus ecb --speed 5000   # clustering alone, ~500-word articles

Each corpus gets two rows: the online result (``assign()`` in arrival order, what
the pipeline does) and the result after one ``refine()`` pass over it.

Fairness (see ../shared/datasets/README.md): the clusterer gets opaque ids
("d0", "d1", ...) in a shuffled order (fixed seed), never the file ids or the
labels; these corpora have no dates, so no date sort applies. One fixed
configuration (``ClusterConfig()``) serves every corpus; ``--set`` exists only
to explore alternatives and is not used for the reported figures.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from storylens.cluster import ClusterConfig, StoryClusterer  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets"
CORPORA = {
    "ecb": ("ECB+ 1-35 (event)", "ecbplus_dev.jsonl", "event"),
    "gn-ts": ("GoogleNews-TS", "googlenews_ts.jsonl", "cluster"),
    "gn-t": ("GoogleNews-T", "googlenews_t.jsonl", "cluster"),
    "gn-s": ("GoogleNews-S", "googlenews_s.jsonl", "cluster"),
}


def bcubed(true: list, pred: list) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Bagga and Baldwin 1998), item-averaged.

    >>> bcubed([1, 1, 2], [1, 1, 2])
    (1.0, 1.0, 1.0)
    """
    pair = Counter(zip(true, pred))
    tsize = Counter(true)
    psize = Counter(pred)
    n = len(true)
    # every item of the (t, p) cell shares |cell| items with its predicted and true cluster
    p = sum(c * c / psize[pc] for (tc, pc), c in pair.items()) / n
    r = sum(c * c / tsize[tc] for (tc, pc), c in pair.items()) / n
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def load(name: str, seed: int) -> tuple[list[str], list]:
    _, fname, field = CORPORA[name]
    rows = [json.loads(line) for line in open(SHARED / fname, encoding="utf-8")]
    random.Random(seed).shuffle(rows)
    return [r["text"] for r in rows], [r[field] for r in rows]


def _metrics(labels: list, pred: list) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    p, r, f = bcubed(labels, pred)
    return {
        "P": p,
        "R": r,
        "F1": f,
        "NMI": normalized_mutual_info_score(labels, pred),
        "ARI": adjusted_rand_score(labels, pred),
        "pred": len(set(pred)),
        "true": len(set(labels)),
    }


def run(name: str, cfg: ClusterConfig, seed: int) -> tuple[dict, dict]:
    """The online result and the result after one ``refine()`` pass."""
    texts, labels = load(name, seed)
    c = StoryClusterer(cfg)
    t0 = time.perf_counter()
    for i, text in enumerate(texts):
        c.assign(f"d{i}", None, text, None)
    dt = time.perf_counter() - t0
    online = _metrics(labels, [c.story_of(f"d{i}") for i in range(len(texts))])
    online.update(corpus=CORPORA[name][0], n=len(texts), rate=len(texts) / dt)
    t0 = time.perf_counter()
    c.refine()
    dt = time.perf_counter() - t0
    refined = _metrics(labels, [c.story_of(f"d{i}") for i in range(len(texts))])
    refined.update(corpus=CORPORA[name][0] + " +refine", n=len(texts), rate=len(texts) / dt)
    return online, refined


def speed(n: int, seed: int) -> None:
    """Clustering alone on ~500-word synthetic articles (bench/synth.py): featurize, assign."""
    sys.path.insert(0, str(ROOT))
    from bench.synth import make_corpus
    from storylens.cluster import featurize

    docs = make_corpus(n, seed=seed).docs
    words = sum(len(d.text.split()) for d in docs) / len(docs)
    rows = []
    for rep in range(3):
        t0 = time.perf_counter()
        for d in docs:
            featurize(d.title, d.text)
        t_feat = time.perf_counter() - t0
        c = StoryClusterer()
        lat = []
        for d in docs:
            a = time.perf_counter()
            c.assign(d.id, d.title, d.text, d.published)
            lat.append(time.perf_counter() - a)
        rows.append((t_feat, sum(lat), sorted(lat)))
    t_feat, t_all, lat = sorted(rows, key=lambda r: r[1])[1]  # the median of three runs
    print(f"clustering alone: {n} synthetic articles of ~{words:.0f} words (median of 3 runs)")
    print(f"  featurize  {n / t_feat:>8,.0f} articles/s  ({t_feat / n * 1000:.3f} ms/article)")
    print(
        f"  assign     {n / t_all:>8,.0f} articles/s  ({t_all / n * 1000:.3f} ms/article; "
        f"median {lat[len(lat) // 2] * 1000:.3f}  p99 {lat[int(0.99 * len(lat))] * 1000:.3f} ms)"
    )


def synthetic(n: int, seed: int) -> list[tuple[str, str, str]]:
    """A stream of ``n`` fake dated articles: ~n/8 events of made-up names and places."""
    rng = random.Random(seed)
    syll = ["ka", "to", "mi", "ra", "ve", "lo", "su", "ne", "di", "pa", "go", "ri", "ba", "el", "an", "or"]
    vocab = ["".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) for _ in range(20000)]
    names = ["".join(rng.choice(syll) for _ in range(3)).title() for _ in range(20000)]
    out = []
    events = []
    day0 = 738000
    for i in range(n):
        day = day0 + i * 365 * 3 // max(n, 1)
        if not events or rng.random() < 0.125:
            events.append((day, rng.sample(names, 4), rng.sample(vocab, 30)))
            events = events[-300:]
        eday, ents, words = rng.choice(events[-50:])
        body = []
        for _ in range(12):
            body.append(" ".join(rng.choice(words + vocab[:2000]) for _ in range(10)))
            body.append(f"{rng.choice(ents)} {rng.choice(ents)} {rng.choice(words)} {rng.randint(1, 99)}.")
        from datetime import date

        out.append((f"x{i}", " ".join(body), date.fromordinal(max(eday, day - rng.randint(0, 2))).isoformat()))
    out.sort(key=lambda r: r[2])
    return out


def scale(n: int, seed: int) -> None:
    docs = synthetic(n, seed)
    c = StoryClusterer()
    lat = []
    t0 = time.perf_counter()
    for doc_id, text, day in docs:
        a = time.perf_counter()
        c.assign(doc_id, None, text, day)
        lat.append(time.perf_counter() - a)
    dt = time.perf_counter() - t0
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000  # noqa: E731
    blob = c.to_bytes()
    print(f"synthetic stream: {n} articles (~{sum(len(d[1]) for d in docs) // n} chars), {len(c)} stories")
    print(f"  articles/s {n / dt:,.0f}   latency ms: median {q(0.5):.2f}  p99 {q(0.99):.2f}  max {lat[-1] * 1000:.2f}")
    print(f"  snapshot {len(blob) / 1e6:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="append", choices=list(CORPORA), help="default: all")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a ClusterConfig field")
    ap.add_argument("--speed", type=int, default=2000, help="time clustering alone on N synthetic articles (0: skip)")
    ap.add_argument("--scale", type=int, default=0, help="also time a synthetic stream of N dated articles")
    args = ap.parse_args()
    cfg = ClusterConfig()
    types = {f.name: f.type for f in fields(ClusterConfig)}
    for kv in args.set:
        k, v = kv.split("=", 1)
        cfg = replace(cfg, **{k: (int(v) if types[k] in (int, "int") else float(v))})
    print("config:", ", ".join(f"{k}={v}" for k, v in asdict(cfg).items()))
    print(f"order: shuffled with seed {args.seed}; opaque ids; no dates in these corpora")
    head = f"{'corpus':<28}{'docs':>6}{'B3-P':>7}{'B3-R':>7}{'B3-F1':>7}{'NMI':>7}{'ARI':>7}{'pred':>6}{'true':>6}{'art/s':>8}"
    print(head)
    print("-" * len(head))
    for name in args.corpus or list(CORPORA):
        for m in run(name, cfg, args.seed):
            print(
                f"{m['corpus']:<28}{m['n']:>6}{m['P']:>7.3f}{m['R']:>7.3f}{m['F1']:>7.3f}{m['NMI']:>7.3f}"
                f"{m['ARI']:>7.3f}{m['pred']:>6}{m['true']:>6}{m['rate']:>8,.0f}"
            )
    print("art/s: online assign(); for +refine rows, articles / refine() seconds")
    if args.speed:
        speed(args.speed, args.seed)
    if args.scale:
        scale(args.scale, args.seed)


if __name__ == "__main__":
    main()
