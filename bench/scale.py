"""The whole cheap path at scale: read → clean → dedup → stories → align → SQLite.

Generates N synthetic ~500-word articles (bench/synth.py, with planted copies), writes them
as one JSONL file, then runs exactly what ``storylens ingest FILE --no-extract`` runs
(streaming, batch by batch) into a fresh SQLite database, and prints articles/s, peak RSS,
database size, and the latency (p50/p99) of adding one more article to the full store
(dedup + story assignment + alignment + write, one transaction each).

    .venv/bin/python bench/scale.py --n 100000
    .venv/bin/python bench/scale.py --n 1000000
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench.synth import make_corpus  # noqa: E402
from storylens.model import RawDoc  # noqa: E402
from storylens.pipeline import Pipeline  # noqa: E402
from storylens.store import Store  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def write_jsonl(path: Path, n: int, seed: int) -> int:
    """Write the corpus in chunks so the generator's memory stays bounded."""
    written = 0
    chunk = 50_000
    with open(path, "w", encoding="utf-8") as f:
        for start in range(0, n, chunk):
            c = make_corpus(min(chunk, n - start), seed=seed + start)
            for d in c.docs:
                f.write(json.dumps({"id": f"c{start}-{d.id}", "title": d.title, "outlet": d.outlet,
                                    "published": d.published, "text": d.text}) + "\n")
                written += 1
    return written


class GcPauses:
    """Times the cyclic garbage collector's runs (gc.callbacks): count, total and longest, per generation."""

    def __init__(self) -> None:
        self.t0 = 0.0
        self.stats = {g: [0, 0.0, 0.0] for g in range(3)}
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.t0 = time.perf_counter()
        else:
            dt = time.perf_counter() - self.t0
            s = self.stats[info["generation"]]
            s[0] += 1
            s[1] += dt
            s[2] = max(s[2], dt)

    def take(self) -> str:
        out = ", ".join(f"gen{g}: {n} runs, {tot:.1f} s, longest {mx * 1000:.0f} ms"
                        for g, (n, tot, mx) in self.stats.items() if n)
        self.stats = {g: [0, 0.0, 0.0] for g in range(3)}
        return out or "no runs"


def memory_report(pipe: Pipeline) -> str:
    """Rough sizes of the in-memory state (sys.getsizeof, shared strings counted once or not at all)."""
    from sys import getsizeof as gs

    c, d = pipe.clusterer, pipe.dedup
    stories = cent = other = 0
    for st in c._stories.values():
        stories += 1
        if st._vec is not None:
            cent += gs(st._vec)
        else:
            cent += gs(st._ct) + gs(st._cw)
        other += gs(st) + gs(st.sid) + gs(st.pool) + sum(gs(p) for p in st.pool) + gs(st.members)
    post = gs(c._post) + sum(gs(v) for v in c._post.values())
    df = gs(c._df) + sum(gs(k) for k in c._df)
    docs = gs(c._doc_story) + sum(gs(k) for k in c._doc_story)
    mb = 1e6
    return (f"dedup arrays {d.memory_bytes() / mb:,.0f} MB (+ id list/map {(gs(d._ids) + gs(d._pos)) / mb:,.0f} MB); "
            f"clusterer: {stories:,} stories, centroids {cent / mb:,.0f} MB, story objects/pools/members "
            f"{other / mb:,.0f} MB, doc->story + ids {docs / mb:,.0f} MB, df {len(c._df):,} terms {df / mb:,.0f} MB, "
            f"postings {len(c._post):,} terms {post / mb:,.0f} MB")


def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            n += block.count(b"\n")
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--probe", type=int, default=200, help="single-article adds to time at the end")
    ap.add_argument("--dir", default=None, help="working folder (default: a temp folder)")
    ap.add_argument("--reuse", action="store_true",
                    help="skip generation when corpus.jsonl in --dir already has n+probe lines "
                         "(generation is deterministic for a given --seed)")
    ap.add_argument("--generate-only", action="store_true", help="generate the corpus and stop")
    args = ap.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="storylens-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "corpus.jsonl"
    db = work / "scale.db"
    for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm")):
        if p.exists():
            p.unlink()
    t = time.perf_counter()
    want = args.n + args.probe
    have = count_lines(src) if (args.reuse and src.exists()) else -1
    if have == want:
        print(f"reusing {src} ({have} articles, {src.stat().st_size / 1e6:.0f} MB)")
    else:
        if args.reuse:
            print(f"--reuse: {src} has {max(have, 0)} lines, not {want}; generating")
        # generate in a child process so this process's peak RSS measures the ingest alone
        import multiprocessing as mp

        tmp = work / "corpus.jsonl.part"
        with mp.get_context("spawn").Pool(1) as pool:
            n = pool.apply(write_jsonl, (tmp, want, args.seed))
        os.replace(tmp, src)  # a killed generation never leaves a short corpus.jsonl behind
        print(f"generated {n} articles in {time.perf_counter() - t:.1f} s → {src} ({src.stat().st_size / 1e6:.0f} MB)",
              flush=True)
    if args.generate_only:
        return

    # hold back the last `probe` lines for the single-article latency test
    main_src = work / "main.jsonl"
    probe_docs = []
    with open(src, encoding="utf-8") as fin, open(main_src, "w", encoding="utf-8") as fout:
        for i, line in enumerate(fin):
            if i < args.n:
                fout.write(line)
            else:
                o = json.loads(line)
                probe_docs.append(RawDoc(source=f"probe:{i}", text=o.pop("text"), format="jsonl", meta=o))

    store = Store(str(db))
    pipe = Pipeline(store, extract=False, freeze_gc=True)  # as `storylens ingest` makes it
    done = [0]
    last = [time.perf_counter()]
    t0 = time.perf_counter()

    def progress(k: int) -> None:
        done[0] += k
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            rate = done[0] / (last[0] - t0)
            print(f"  {done[0]:>9} articles, {rate:,.0f}/s, RSS {rss_now_mb():,.0f} MB, peak RSS {peak_rss_mb():,.0f} MB",
                  flush=True)

    pauses = GcPauses()
    stats = pipe.ingest([main_src], progress=progress)
    elapsed = time.perf_counter() - t0
    print(f"ingest: {stats.summary()}")
    print(f"  {args.n} articles in {elapsed:.1f} s = {args.n / elapsed:,.0f} articles/s; "
          f"peak RSS {peak_rss_mb():,.0f} MB; RSS now {rss_now_mb():,.0f} MB; load average {os.getloadavg()[0]:.1f}")
    print(f"  GC during ingest: {pauses.take()}")
    print(f"  memory: {memory_report(pipe)}", flush=True)

    # one more article at a time into the full store; the pipeline's timing hook splits each add
    # into its stages (the real calls, timed inside Pipeline.add_docs)
    lat, parts = [], []
    with pipe.writing():
        for d in probe_docs:
            pipe.timings = {}
            s = time.perf_counter()
            pipe.add_docs([d])
            lat.append((time.perf_counter() - s) * 1000)
            parts.append({k: v * 1000 for k, v in pipe.timings.items()})
    pipe.timings = None
    print(f"GC during the probe: {pauses.take()}")
    ds = [p.get("dedup", 0.0) + p.get("story", 0.0) for p in parts]
    store.close()
    size = sum(os.path.getsize(p) for p in (db, Path(str(db) + "-wal")) if os.path.exists(p))

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * q))]

    print()
    print(f"add one article ({len(lat)} probes), ms:")
    print("| stage | p50 | p99 | max |")
    print("|---|---:|---:|---:|")
    for name in ("clean", "dedup", "story", "align"):
        xs = [p.get(name, 0.0) for p in parts]
        print(f"| {name} | {pct(xs, .5):.2f} | {pct(xs, .99):.2f} | {max(xs):.2f} |")
    rest = [t - sum(p.values()) for t, p in zip(lat, parts)]
    print(f"| rest (SQLite writes, story row, commit) | {pct(rest, .5):.2f} | {pct(rest, .99):.2f} | {max(rest):.2f} |")
    print(f"| **dedup + story assignment** | {pct(ds, .5):.2f} | {pct(ds, .99):.2f} | {max(ds):.2f} |")
    print(f"| **whole add** | {pct(lat, .5):.2f} | {pct(lat, .99):.2f} | {max(lat):.2f} |")
    slow = sorted(range(len(lat)), key=lambda i: -lat[i])[:5]
    print("slowest adds: " + "; ".join(
        f"{lat[i]:.0f} ms (" + ", ".join(f"{k} {v:.0f}" for k, v in parts[i].items()) + ")" for i in slow))
    print()
    print("| articles | articles/s | peak RSS | database | dedup + story: p50 | p99 | whole add: p50 | p99 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.n:,} | {args.n / elapsed:,.0f} | {peak_rss_mb():,.0f} MB | {size / 1e9:.2f} GB | "
          f"{pct(ds, .5):.1f} ms | {pct(ds, .99):.1f} ms | {pct(lat, .5):.1f} ms | {pct(lat, .99):.1f} ms |")
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")


if __name__ == "__main__":
    main()
