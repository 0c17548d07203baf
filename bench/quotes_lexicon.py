"""Rank candidate cue words for storylens.extract.quotes from PolNeAR *train* gold cues (never dev).

Run:  .venv/bin/python bench/quotes_lexicon.py [--min-cue 8] [--min-rate 0.25] [--top 80]

For every lower-cased word of the train texts: how often it lies inside a gold cue span (``cue``), how
often it occurs at all (``total``), and ``rate = cue / total`` (an upper bound on the precision a rule
firing on every occurrence could reach). Words already in the cue lexicon (``_CUE_FORMS``) are marked
``L``. The round-4 additions (order, remind, echo, list, rail, "mention of", "made (it) clear", the
stance adjectives) were picked from this list and then kept only when the bench's per-cue precision on
train was high enough (see docs/benchmarks.md, Quotes, round 4).
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from quotes import load  # noqa: E402
from storylens.extract.quotes import _CUE_FORMS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-cue", type=int, default=8)
    ap.add_argument("--min-rate", type=float, default=0.25)
    ap.add_argument("--top", type=int, default=80)
    a = ap.parse_args()
    docs, texts, gold = load("train", None)
    total: collections.Counter = collections.Counter()
    incue: collections.Counter = collections.Counter()
    for d in docs:
        cue_pos = {k for g in gold[d] for s, e in g["cue"] for k in range(s, e)}
        for m in re.finditer(r"[A-Za-z]+", texts[d]):
            w = m.group(0).lower()
            total[w] += 1
            if m.start() in cue_pos:
                incue[w] += 1
    rows = [(incue[w], total[w], w) for w in total
            if incue[w] >= a.min_cue and incue[w] / total[w] >= a.min_rate]
    rows.sort(key=lambda r: (-r[0], r[2]))
    print("  cue  total  rate lex word")
    for c, n, w in rows[:a.top]:
        print(f"{c:5d} {n:6d} {c / n:5.2f}  {'L' if w in _CUE_FORMS else ' '}  {w}")


if __name__ == "__main__":
    main()
