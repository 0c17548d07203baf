"""storylens on Spark (local mode) against the single-machine Pipeline, on synthetic corpora.

For each size N: a synthetic corpus with planted copies (bench/synth.py) is written as
JSONL (``--files`` files), then ingested (a) by ``Pipeline`` (extract off) into a fresh SQLite
db and (b) by ``storylens.spark.run`` in ``local[K]``, each in its own process.  Reported:
wall time, articles/s, peak memory (sum of the RSS of the process tree — for Spark the JVM
and its Python workers — sampled every 0.2 s), and how the answers compare: articles whose
``duplicate_of`` differs, and BCubed F1 of the Spark story partition against the pipeline's.

    .venv/bin/python bench/spark.py --n 20000 100000 --block-articles 50000
    .venv/bin/python bench/spark.py --n 100000 --skip-single     # Spark only

A size stops being tried (larger ones skipped) when a run exceeds ``--timeout`` seconds.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PY = sys.executable


def _write_corpus(n: int, seed: int, folder: Path, files: int) -> int:
    from bench.synth import make_corpus

    c = make_corpus(n, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    per = (len(c.docs) + files - 1) // files
    for k in range(files):
        with open(folder / f"part-{k:04d}.jsonl", "w", encoding="utf-8") as f:
            for d in c.docs[k * per:(k + 1) * per]:
                f.write(json.dumps({"id": d.id, "title": d.title, "outlet": d.outlet, "published": d.published,
                                    "text": d.text}) + "\n")
    return len(c.pairs)


def _measure(cmd: list[str], timeout: float, echo: tuple[str, ...] = ("STAGE",)) -> dict:
    """Run a command; wall time, peak tree RSS, return code, last output lines.  Output lines
    starting with one of ``echo`` are printed as they come (a long run shows its progress)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(REPO))
    peak = [0]
    stop = threading.Event()
    lines: list[str] = []

    def read():
        for line in p.stdout:
            lines.append(line)
            if echo and line.startswith(echo):
                print(f"    [{time.perf_counter() - t0:6.0f} s] {line.rstrip()}", flush=True)

    def sample():
        proc = psutil.Process(p.pid)
        while not stop.is_set():
            try:
                procs = [proc] + proc.children(recursive=True)
                rss = 0
                for q in procs:
                    try:
                        rss += q.memory_info().rss
                    except psutil.Error:
                        pass
                peak[0] = max(peak[0], rss)
            except psutil.Error:
                pass
            stop.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        for q in psutil.Process(p.pid).children(recursive=True):
            q.kill()
        p.kill()
        p.wait()
        rc = "timeout"
    reader.join()
    out = "".join(lines)
    stop.set()
    th.join()
    return {"seconds": time.perf_counter() - t0, "peak_mb": peak[0] / 2**20, "rc": rc,
            "tail": "\n".join(l for l in out.splitlines() if "WARN" not in l)[-6000:],
            "first_error": _first_error(out)}


def _first_error(out: str) -> str:
    """The first ERROR line or Python traceback of a run's output, with a few lines after it."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if " ERROR " in line or line.startswith("Traceback"):
            return "\n".join(lines[i:i + 8])
    return ""


_SINGLE = """
import sys, time
from storylens.pipeline import Pipeline
from storylens.store import Store
p = Pipeline(Store(sys.argv[2]), extract=False)
t = time.perf_counter(); st = p.ingest([sys.argv[1]])
print("PIPELINE", st.summary(), round(time.perf_counter() - t, 1))
"""

_SPARK = """
import sys, time
from storylens.spark import spark_session, run
spark = spark_session(sys.argv[3], shuffle_partitions=int(sys.argv[4]),
                      conf={"spark.driver.memory": sys.argv[5]})
st = run(spark, [sys.argv[1]], sys.argv[2], block_articles=int(sys.argv[6]), log=lambda m: print("STAGE", m, flush=True))
print("SPARK", st.summary())
"""


def _compare(db: Path, out: Path) -> tuple[int, float, int, int]:
    import sqlite3

    from storylens.spark import bcubed_f1, read_duplicates, read_partition

    con = sqlite3.connect(str(db))
    rows = con.execute("SELECT id, story_id, duplicate_of FROM articles").fetchall()
    ref_story = {r[0]: r[1] for r in rows}
    ref_dup = {r[0]: r[2] for r in rows}
    story, dup = read_partition(out), read_duplicates(out)
    ndiff = sum(1 for k, v in ref_dup.items() if dup.get(k, "<absent>") != v)
    return ndiff, bcubed_f1(ref_story, story), len(set(ref_story.values())), len(set(story.values()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[20000, 100000], help="corpus sizes")
    ap.add_argument("--seed", type=int, default=0, help="corpus seed")
    ap.add_argument("--files", type=int, default=16, help="JSONL files per corpus")
    ap.add_argument("--master", default="local[2]", help="Spark master")
    ap.add_argument("--shuffle-partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    ap.add_argument("--driver-memory", default="2g", help="JVM heap (local mode runs all in the driver)")
    ap.add_argument("--block-articles", type=int, default=50000, help="articles per date block of the story stage")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per run before it is stopped")
    ap.add_argument("--skip-single", action="store_true", help="time only the Spark run")
    ap.add_argument("--corpus-dir", type=Path, default=None,
                    help="keep each corpus in DIR/nN (and reuse it when it is already there) instead of a "
                         "temporary folder; the outputs stay in a temporary folder")
    ap.add_argument("--input", type=Path, default=None,
                    help="an existing folder of JSONL articles instead of a synthetic corpus (with one --n: "
                         "its article count), e.g. bench/scale.py's 1M corpus split into files")
    ap.add_argument("--keep", type=Path, default=None,
                    help="keep each size's outputs (single.db, Spark's out/) in KEEP/nN for a closer look "
                         "instead of deleting them")
    ap.add_argument("--reference", type=Path, default=None,
                    help="compare Spark's output with this single-machine database (one kept by an earlier "
                         "--keep run of the same input) instead of running the single machine again")
    a = ap.parse_args()
    if a.input and len(a.n) != 1:
        ap.error("--input takes one --n (the number of articles in the folder)")
    if a.reference and (len(a.n) != 1 or not a.reference.is_file()):
        ap.error("--reference takes one --n and an existing database file")
    rows = []
    for n in a.n:
        with contextlib.ExitStack() as stack:
            if a.keep:
                tmp = a.keep / f"n{n}"
                if tmp.exists():
                    shutil.rmtree(tmp)
                tmp.mkdir(parents=True)
            else:
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sl-spark-bench-")))
            t = time.perf_counter()
            src = (a.corpus_dir / f"n{n}-s{a.seed}-f{a.files}") if a.corpus_dir else tmp / "in"
            done = src / "planted.txt"
            if a.input:
                src, planted = a.input, "?"
                print(f"N={n}: articles read from {src}", flush=True)
            elif done.exists():
                planted = int(done.read_text())
                print(f"N={n}: corpus reused from {src} ({planted} planted copies)", flush=True)
            else:
                planted = _write_corpus(n, a.seed, src, a.files)
                if a.corpus_dir:
                    done.write_text(str(planted))
                print(f"N={n}: corpus written in {time.perf_counter() - t:.0f} s ({planted} planted copies)",
                      flush=True)
            single = None
            if not a.skip_single and not a.reference:
                single = _measure([PY, "-c", _SINGLE, str(src), str(tmp / "single.db")], a.timeout)
                print(f"  single: {single['seconds']:.0f} s rc={single['rc']}  {single['tail'][-200:]}", flush=True)
            load0 = os.getloadavg()[0]
            spark = _measure([PY, "-c", _SPARK, str(src), str(tmp / "out"), a.master,
                              str(a.shuffle_partitions), a.driver_memory, str(a.block_articles)], a.timeout)
            print(f"  spark: {spark['seconds']:.0f} s rc={spark['rc']} peak {spark['peak_mb']:.0f} MB "
                  f"(load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end)", flush=True)
            print("   " + "\n   ".join(l for l in spark["tail"].splitlines() if l.startswith(("STAGE", "SPARK"))))
            for name, r in (("single", single), ("spark", spark)):
                if r is not None and r["rc"] != 0:
                    print(f"  {name} output, first error:\n    " + "\n    ".join(r["first_error"].splitlines()))
                    print(f"  {name} output, last lines:\n    " + "\n    ".join(r["tail"].splitlines()[-12:]))
            cmp = None
            if a.reference and spark["rc"] == 0:
                cmp = _compare(a.reference, tmp / "out")
            elif single and single["rc"] == 0 and spark["rc"] == 0:
                cmp = _compare(tmp / "single.db", tmp / "out")
            rows.append((n, single, spark, cmp))
            if (single and single["rc"] != 0) or spark["rc"] != 0:
                print(f"  stopping: N={n} did not finish (rc single={single and single['rc']}, spark={spark['rc']})")
                break
    print()
    print(f"{'N':>8} {'path':<14} {'wall s':>8} {'art/s':>8} {'peak MB':>8} {'dup diffs':>9} {'BCubed F1':>9} "
          f"{'stories':>15}")
    for n, single, spark, cmp in rows:
        for name, r in (("single", single), (f"spark {a.master}", spark)):
            if r is None:
                continue
            ok = r["rc"] == 0
            extra = ""
            if name != "single" and cmp:
                extra = f"{cmp[0]:>9} {cmp[1]:>9.4f} {cmp[2]:>7}/{cmp[3]:<7}"
            print(f"{n:>8} {name:<14} {r['seconds']:>8.0f} {(n / r['seconds'] if ok else 0):>8.0f} "
                  f"{r['peak_mb']:>8.0f} {extra}" + ("" if ok else f"  ({r['rc']})"))


if __name__ == "__main__":
    main()
