"""Duplicate detection: storylens DedupIndex vs datasketch and rensa MinHash-LSH pipelines.

All three start from the article texts (tokenising included) and process them in arrival
order, reporting for each article the earliest earlier article it copies.  The baselines
use the same shingles (3 consecutive :func:`storylens.fingerprint.tokens`), the same
``num_perm`` and the same Jaccard ``threshold``; their LSH candidates are verified with the
MinHash Jaccard estimate, and they have no containment test.

    .venv/bin/python bench/dedup.py                 # N = 20000
    .venv/bin/python bench/dedup.py --n 5000 --repeat 3 --skip datasketch

docs/s is wall-clock (storylens fingerprints on all cores through numba threads); "docs
per CPU-second" divides by the process CPU time instead, which is steadier on a shared
machine.  Memory is the peak growth of the process RSS during the run, sampled every 5 ms
(psutil), so it includes the index, the fingerprints of a batch and allocator slack.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict

import numpy as np
import psutil

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.synth import CONTAINED_RATES, NEAR_RATES, Corpus, make_corpus  # noqa: E402
from storylens.dedup import DedupIndex  # noqa: E402
from storylens.fingerprint import tokens  # noqa: E402


class PeakRSS:
    """Context manager: peak RSS growth over the block, sampled every 5 ms."""

    def __init__(self):
        self.proc = psutil.Process()
        self.base = self.peak = 0
        self._stop = threading.Event()

    def __enter__(self):
        gc.collect()
        self.base = self.peak = self.proc.memory_info().rss
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


def _shingles(text: str, w: int) -> list[str]:
    t = tokens(text)
    if len(t) < w:
        return [" ".join(t)] if t else []
    return [" ".join(t[i:i + w]) for i in range(len(t) - w + 1)]


def _earliest(cands, order_key):
    return min(cands, key=order_key) if cands else None


def run_storylens(c: Corpus, args) -> dict:
    idx = DedupIndex(threshold=args.threshold, containment=args.containment,
                     num_perm=args.num_perm, sample_mod=args.sample_mod)
    t0 = time.perf_counter()
    res = idx.add_many(c.ids, c.texts, c.dates)
    dt = time.perf_counter() - t0
    out = {d: (m.of, m.kind) for d, m in zip(c.ids, res) if m is not None}
    return {"secs": dt, "pred": out, "index": idx}


def memory_run(c: Corpus, n: int, args) -> None:
    """Index ``n`` documents made by cycling the corpus (each pass prefixes a distinct
    word, so passes are near copies of each other) and report memory."""
    proc = psutil.Process()
    base = proc.memory_info().rss
    idx = DedupIndex(threshold=args.threshold, containment=args.containment,
                     num_perm=args.num_perm, sample_mod=args.sample_mod)
    t0 = time.perf_counter()
    with PeakRSS() as pk:
        done, p = 0, 0
        while done < n:
            m = min(len(c.docs), n - done)
            idx.add_many([f"p{p}-{d}" for d in c.ids[:m]],
                         [f"pass{p} " + t for t in c.texts[:m]], c.dates[:m])
            done += m
            p += 1
    dt = time.perf_counter() - t0
    rss = proc.memory_info().rss
    print(f"memory run: {n:,} docs ({p} passes over the corpus) in {dt:.0f} s; index arrays "
          f"{idx.memory_bytes() / 2**20:,.0f} MiB; RSS growth peak {pk.mib:,.0f} MiB, "
          f"after {(rss - base) / 2**20:,.0f} MiB; process RSS {rss / 2**20:,.0f} MiB "
          f"(corpus of {len(c.docs):,} texts included)")


def stage_breakdown(c: Corpus, args) -> str:
    """CPU microseconds per document of each storylens stage (numba on one thread)."""
    import numba

    from storylens.fingerprint import fingerprints

    texts = c.texts
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        t0 = time.process_time()
        enc = [t.encode() for t in texts]
        b"".join(enc)
        t1 = time.process_time()
        fingerprints(texts, num_perm=args.num_perm, sample_mod=args.sample_mod)
        t2 = time.process_time()
        idx = DedupIndex(threshold=args.threshold, containment=args.containment,
                         num_perm=args.num_perm, sample_mod=args.sample_mod)
        idx.add_many(c.ids, texts, c.dates)
        t3 = time.process_time()
    finally:
        numba.set_num_threads(threads)
    n = len(texts) / 1e6
    return (f"storylens CPU per doc, 1 thread: encode+join {(t1 - t0) / n:.1f} us, "
            f"fingerprints (incl. encode) {(t2 - t1) / n:.1f} us, index query+insert "
            f"{(t3 - t2 - (t2 - t1)) / n:.1f} us, add_many total {(t3 - t2) / n:.1f} us")


def run_datasketch(c: Corpus, args) -> dict:
    from datasketch import MinHash, MinHashLSH

    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.num_perm)
    sigs: list = []
    dates = c.dates
    out = {}
    for i, (d, text) in enumerate(zip(c.ids, c.texts)):
        m = MinHash(num_perm=args.num_perm, seed=1)
        sh = _shingles(text, args.shingle)
        if sh:
            m.update_batch([s.encode() for s in sh])
            cands = [j for j in lsh.query(m) if sigs[j].jaccard(m) >= args.threshold]
            j = _earliest(cands, lambda j: (dates[j], j))
            if j is not None:
                out[d] = (c.ids[j], "near")
            lsh.insert(i, m)
        sigs.append(m)
    return {"secs": time.perf_counter() - t0, "pred": out,
            "extra": f"bands {lsh.b}x{lsh.r}"}


def run_rensa(c: Corpus, args) -> dict:
    from rensa import RMinHash, RMinHashLSH

    bands = 16 if args.num_perm % 16 == 0 else 8
    t0 = time.perf_counter()
    lsh = RMinHashLSH(threshold=args.threshold, num_perm=args.num_perm, num_bands=bands)
    sigs: list = []
    dates = c.dates
    out = {}
    for i, (d, text) in enumerate(zip(c.ids, c.texts)):
        m = RMinHash(num_perm=args.num_perm, seed=1)
        sh = _shingles(text, args.shingle)
        if sh:
            m.update(sh)
            cands = [j for j in lsh.query(m) if sigs[j].jaccard(m) >= args.threshold]
            j = _earliest(cands, lambda j: (dates[j], j))
            if j is not None:
                out[d] = (c.ids[j], "near")
            lsh.insert(i, m)
        sigs.append(m)
    return {"secs": time.perf_counter() - t0, "pred": out,
            "extra": f"bands {bands}x{args.num_perm // bands}"}


def _cat(p) -> str:
    return p.kind if p.kind == "exact" else f"{p.kind} {round(p.edit_rate * 100)}%"


def score(c: Corpus, pred: dict) -> dict:
    """Recall per planted category (the reported ``of`` is the planted source), precision
    over all reported matches (``of`` is in the copy's planted group), kind agreement."""
    cats = defaultdict(lambda: [0, 0, 0])  # planted, found (of == source), kind right
    for p in c.pairs:
        cat = cats[_cat(p)]
        cat[0] += 1
        got = pred.get(p.copy)
        if got and got[0] == p.source:
            cat[1] += 1
            cat[2] += got[1] == p.kind
    g = c.groups
    right = sum(1 for d, (of, _) in pred.items() if d in g and g.get(of) == g[d])
    planted = sum(v[0] for v in cats.values())
    found = sum(v[1] for v in cats.values())
    return {"cats": dict(cats), "precision": right / len(pred) if pred else 1.0,
            "recall": found / planted if planted else 1.0, "reported": len(pred)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--containment", type=float, default=0.7)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--shingle", type=int, default=3)
    ap.add_argument("--sample-mod", type=int, default=16, help="storylens: 1 in M shingles "
                    "indexed for containment")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs per pipeline (the median is reported)")
    ap.add_argument("--skip", action="append", default=[], choices=["datasketch", "rensa"])
    ap.add_argument("--memory", type=int, default=0, metavar="N",
                    help="only index N documents (cycling the corpus) and report memory")
    args = ap.parse_args()

    t0 = time.perf_counter()
    corpus = make_corpus(args.n, seed=args.seed)
    words = sum(len(t.split()) for t in corpus.texts) / len(corpus.docs)
    print(f"corpus: {len(corpus.docs)} docs, mean {words:.0f} words, "
          f"{len(corpus.pairs)} planted pairs, generated in {time.perf_counter() - t0:.1f} s "
          f"(seed {args.seed}); threshold {args.threshold}, containment {args.containment}, "
          f"num_perm {args.num_perm}, {args.shingle}-word shingles; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    t0 = time.perf_counter()
    DedupIndex().add_many(["w0", "w1"], ["warm up the compiled code", "warm up"])
    print(f"numba warm-up (load/compile): {time.perf_counter() - t0:.1f} s, not counted")
    if args.memory:
        memory_run(corpus, args.memory, args)
        return

    runners = [("storylens", run_storylens), ("rensa", run_rensa),
               ("datasketch", run_datasketch)]
    results = {}
    for name, fn in runners:
        if name in args.skip:
            continue
        times, cpus, mem, r = [], [], 0.0, None
        for _ in range(args.repeat):
            c0 = time.process_time()
            with PeakRSS() as pk:
                r = fn(corpus, args)
            cpus.append(time.process_time() - c0)
            times.append(r["secs"])
            mem = max(mem, pk.mib)
            gc.collect()
        r["secs"] = statistics.median(times)
        r["cpu"] = statistics.median(cpus)
        if "index" in r:
            idx = r.pop("index")
            r["extra"] = (f"index arrays {idx.memory_bytes() / 2**20:.0f} MiB, "
                          f"{len(idx.to_bytes()) / len(idx):.0f} B/doc serialised, "
                          f"bands {idx.bands}x{idx.rows}")
            del idx
        r["all"] = times
        r["mem"] = mem
        r["score"] = score(corpus, r["pred"])
        results[name] = r
        print(f"  {name}: {len(corpus.docs) / r['secs']:,.0f} docs/s "
              f"(runs: {', '.join(f'{t:.2f}s' for t in times)})", flush=True)

    cats = (["exact"] + [f"near {round(r * 100)}%" for r in NEAR_RATES]
            + [f"{k} {round(r * 100)}%" for k in ("contained", "contains") for r in CONTAINED_RATES])
    planted = Counter(_cat(p) for p in corpus.pairs)
    names = list(results)
    print()
    print(f"{'':26s}" + "".join(f"{n:>14s}" for n in names))
    print(f"{'docs/s (end to end)':26s}" +
          "".join(f"{len(corpus.docs) / results[n]['secs']:>14,.0f}" for n in names))
    print(f"{'docs per CPU-second':26s}" +
          "".join(f"{len(corpus.docs) / results[n]['cpu']:>14,.0f}" for n in names))
    print(f"{'peak RSS growth MiB':26s}" + "".join(f"{results[n]['mem']:>14.0f}" for n in names))
    print(f"{'precision':26s}" +
          "".join(f"{results[n]['score']['precision']:>14.3f}" for n in names))
    print(f"{'recall (all planted)':26s}" +
          "".join(f"{results[n]['score']['recall']:>14.3f}" for n in names))
    for cat in cats:
        row = f"{'  recall ' + cat + f' ({planted[cat]})':26s}"
        for n in names:
            v = results[n]["score"]["cats"].get(cat, [0, 0, 0])
            row += f"{(v[1] / v[0] if v[0] else float('nan')):>14.3f}"
        print(row)
    print(f"{'matches reported':26s}" +
          "".join(f"{results[n]['score']['reported']:>14d}" for n in names))
    if "storylens" in results:
        s = results["storylens"]["score"]["cats"]
        kinds = ", ".join(f"{k} {v[2]}/{v[1]}" for k, v in sorted(s.items()))
        print(f"storylens kind = planted kind (of found): {kinds}")
    for n in names:
        print(f"{n}: {results[n]['extra']}")
    if "storylens" in results:
        print(stage_breakdown(corpus, args))
    if "storylens" in results and "datasketch" in results:
        print(f"speed ratio storylens / datasketch: "
              f"{results['datasketch']['secs'] / results['storylens']['secs']:.1f}x")
    if "storylens" in results and "rensa" in results:
        print(f"speed ratio storylens / rensa: "
              f"{results['rensa']['secs'] / results['storylens']['secs']:.1f}x")


if __name__ == "__main__":
    main()
