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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--probe", type=int, default=200, help="single-article adds to time at the end")
    ap.add_argument("--dir", default=None, help="working folder (default: a temp folder)")
    args = ap.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="storylens-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "corpus.jsonl"
    db = work / "scale.db"
    for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm")):
        if p.exists():
            p.unlink()
    t = time.perf_counter()
    # generate in a child process so this process's peak RSS measures the ingest alone
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(1) as pool:
        n = pool.apply(write_jsonl, (src, args.n + args.probe, args.seed))
    print(f"generated {n} articles in {time.perf_counter() - t:.1f} s → {src} ({src.stat().st_size / 1e6:.0f} MB)")

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
    pipe = Pipeline(store, extract=False)
    done = [0]
    last = [time.perf_counter()]
    t0 = time.perf_counter()

    def progress(k: int) -> None:
        done[0] += k
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            rate = done[0] / (last[0] - t0)
            print(f"  {done[0]:>9} articles, {rate:,.0f}/s, peak RSS {peak_rss_mb():,.0f} MB", flush=True)

    stats = pipe.ingest([main_src], progress=progress)
    elapsed = time.perf_counter() - t0
    print(f"ingest: {stats.summary()}")
    print(f"  {args.n} articles in {elapsed:.1f} s = {args.n / elapsed:,.0f} articles/s; "
          f"peak RSS {peak_rss_mb():,.0f} MB; load average {os.getloadavg()[0]:.1f}")

    # one more article at a time into the full store
    lat = []
    with pipe.writing():
        for d in probe_docs:
            s = time.perf_counter()
            pipe.add_docs([d])
            lat.append((time.perf_counter() - s) * 1000)
    lat.sort()
    p50 = lat[len(lat) // 2]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    store.close()
    size = sum(os.path.getsize(p) for p in (db, Path(str(db) + "-wal")) if os.path.exists(p))
    print()
    print("| articles | articles/s | peak RSS | database | add one: p50 | add one: p99 |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.n:,} | {args.n / elapsed:,.0f} | {peak_rss_mb():,.0f} MB | {size / 1e9:.2f} GB | "
          f"{p50:.1f} ms | {p99:.1f} ms |")


if __name__ == "__main__":
    main()
