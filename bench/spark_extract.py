"""Quotes and events on Spark (local mode) against the single machine, on real news text.

One JSONL corpus (default: the ECB+ dev articles, ../shared/datasets/ecbplus_dev.jsonl, 772
news articles about 35 topics) is processed twice, each in its own process:

(a) ``storylens ingest FILE --db DB`` (the single machine: clean, copies, stories, quotes),
    then ``storylens export events --db DB`` (event records are built per story on export);
(b) ``storylens spark run --input FILE --output OUT --events --master local[K]``.

Reported: wall time and peak memory (RSS of the process tree) of each side, and how the answers
compare: articles whose quote list differs (every field of every quote, in order), and stories
whose event record differs (the whole record: type, actor, target, place, date, counts,
reactions, sources, claims; stories are matched by their member articles).

    .venv/bin/python bench/spark_extract.py
    .venv/bin/python bench/spark_extract.py --input other.jsonl --master 'local[2]'
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.spark import _measure  # noqa: E402

SHARED = Path(os.environ.get("STORYLENS_SHARED", REPO.parent / "shared"))
STORYLENS = [sys.executable, "-m", "storylens"]


def _single(db: Path) -> tuple[dict, dict]:
    """quotes per article and the members of each story."""
    con = sqlite3.connect(str(db))
    quotes: dict[str, list] = {}
    for aid, data in con.execute("SELECT article_id, data FROM quotes ORDER BY id"):
        d = json.loads(data)
        d.pop("article_id", None)
        quotes.setdefault(aid, []).append(d)
    members: dict[str, set] = {}
    for aid, sid in con.execute("SELECT id, story_id FROM articles"):
        members.setdefault(sid, set()).add(aid)
    con.close()
    return quotes, members


def _spark(out: Path) -> tuple[dict, dict, dict]:
    import pyarrow.parquet as pq

    quotes: dict[str, list] = {}
    rows = sorted(pq.read_table(str(out / "quotes")).to_pylist(), key=lambda r: (r["article_id"], r["quote_index"]))
    for r in rows:
        d = json.loads(r["data"])
        d.pop("article_id", None)
        quotes.setdefault(r["article_id"], []).append(d)
    members: dict[str, set] = {}
    for r in pq.read_table(str(out / "articles"), columns=["id", "story_id"]).to_pylist():
        members.setdefault(r["story_id"], set()).add(r["id"])
    events = {r["story_id"]: json.loads(r["record"]) for r in pq.read_table(str(out / "events")).to_pylist()}
    return quotes, members, events


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, default=SHARED / "datasets" / "ecbplus_dev.jsonl",
                    help="JSONL file of articles (id, text, optional title/outlet/published)")
    ap.add_argument("--master", default="local[2]", help="Spark master")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per run before it is stopped")
    ap.add_argument("--keep", type=Path, default=None, help="keep the database and Parquet output here")
    args = ap.parse_args()
    if not args.input.is_file():
        print(f"error: {args.input} is not there; give a JSONL file with --input", file=sys.stderr)
        return 2
    n = sum(1 for line in open(args.input, encoding="utf-8") if line.strip())
    work = args.keep or Path(tempfile.mkdtemp(prefix="storylens-spark-extract-"))
    work.mkdir(parents=True, exist_ok=True)
    db, out, ev_file = work / "single.db", work / "spark", work / "events.jsonl"
    for p in (db, ev_file):
        p.unlink(missing_ok=True)

    ingest = _measure([*STORYLENS, "ingest", str(args.input), "--db", str(db)], args.timeout)
    export = _measure([*STORYLENS, "export", "events", "--db", str(db), "-o", str(ev_file)], args.timeout)
    spark = _measure([*STORYLENS, "spark", "run", "--input", str(args.input), "--output", str(out), "--events",
                      "--master", args.master, "--json"], args.timeout)
    for name, r in (("ingest", ingest), ("export", export), ("spark", spark)):
        if r["rc"] != 0:
            print(f"{name} failed ({r['rc']}):\n{r['first_error'] or r['tail']}", file=sys.stderr)
            return 1

    s_quotes, s_members = _single(db)
    s_events = {}
    for line in open(ev_file, encoding="utf-8"):
        rec = json.loads(line)
        s_events[rec.pop("story_id")] = rec
    p_quotes, p_members, p_events = _spark(out)
    ids = set(s_quotes) | set(p_quotes)
    q_diff = sum(s_quotes.get(i, []) != p_quotes.get(i, []) for i in ids)
    by_members = {frozenset(m): sid for sid, m in s_members.items()}
    e_diff = unmatched = typed = 0
    for sid, rec in p_events.items():
        ref_sid = by_members.get(frozenset(p_members[sid]))
        if ref_sid is None:
            unmatched += 1
            continue
        rec = dict(rec)
        rec.pop("story_id", None)
        e_diff += rec != json.loads(json.dumps(s_events[ref_sid], default=str))
        typed += rec.get("type") is not None

    single_s = ingest["seconds"] + export["seconds"]
    print(f"corpus: {args.input} ({n} articles); Spark master {args.master}")
    print("| | wall s | articles/s | peak MB |")
    print("|---|---:|---:|---:|")
    print(f"| single machine: ingest + export events | {single_s:.1f} ({ingest['seconds']:.1f} + "
          f"{export['seconds']:.1f}) | {n / single_s:.1f} | {max(ingest['peak_mb'], export['peak_mb']):.0f} |")
    print(f"| Spark `spark run --events` | {spark['seconds']:.1f} | {n / spark['seconds']:.1f} | "
          f"{spark['peak_mb']:.0f} |")
    print()
    print(f"quotes: {sum(map(len, s_quotes.values()))} single / {sum(map(len, p_quotes.values()))} Spark; "
          f"articles whose quotes differ: {q_diff} of {len(ids)} with quotes")
    print(f"events: {len(s_events)} single / {len(p_events)} Spark ({typed} typed); stories not matched by "
          f"members: {unmatched}; matched stories whose record differs: {e_diff}")
    print(f"(output kept in {work})" if args.keep else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
