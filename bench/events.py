"""Benchmark the event and date extractors.

1. PLOVER gold sentences (../shared/datasets/plover_gold.jsonl, 322 CAMEO-manual examples coded
   in PLOVER 0.5b1): per field accuracy of ``analyze_sentence`` --
   event (our type mapped to its PLOVER category; FIGHT and ASSAULT are also reported merged,
   since this PLOVER version splits them differently from the current one), actor (= PLOVER
   ``source``) and recipient (= ``target``) by text overlap with ``actorText``, and the location
   where ``eventLoc`` is annotated.
2. The date normaliser on the labeled set in tests/data/dates_labeled.tsv.

Overlap match: a prediction matches when it shares a content word (lower-cased, stop words
and punctuation removed, possessive 's dropped) with one of the gold ``actorText`` values.
Strict match: the prediction contains a gold actorText or is contained in one.

Run:  .venv/bin/python bench/events.py [--plover PATH] [--limit N]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from storylens.extract.dates import normalize_dates  # noqa: E402
from storylens.extract.events import analyze_sentence, parse  # noqa: E402

STOP = set("the a an of and in on at to for from by with 's s his her their its officials official".split())


def words(s: str) -> set[str]:
    s = re.sub(r"['’]s\b", "", s.lower())
    return {w for w in re.findall(r"[a-z0-9]+", s) if w not in STOP}


def gold_actors(field) -> list[str]:
    if not isinstance(field, list):
        return []
    return [a.get("actorText", "") for a in field if isinstance(a, dict) and a.get("actorText")]


def match(pred: str | None, golds: list[str]) -> tuple[bool, bool]:
    if not pred or not golds:
        return False, False
    pw = words(pred)
    overlap = any(pw & words(g) for g in golds)
    pl = pred.lower()
    strict = any(g.lower() in pl or pl in g.lower() for g in golds)
    return overlap, strict


def plover(path: Path, limit: int | None) -> None:
    recs = [json.loads(line) for line in path.open(encoding="utf-8")]
    if limit:
        recs = recs[:limit]
    c: Counter = Counter()
    confusion: Counter = Counter()
    t0 = time.perf_counter()
    for r in recs:
        doc = parse(r["text"])
        best = None
        for sent in doc.sents:
            d = analyze_sentence(sent)
            if d and (best is None or (best["type"] == "statement" and d["type"] != "statement")):
                best = d
        pred_cat = (best or {}).get("plover")
        gold = r["event"]
        c["n"] += 1
        c["event"] += pred_cat == gold
        merged = {"FIGHT": "VIOLENCE", "ASSAULT": "VIOLENCE"}
        c["event_merged"] += merged.get(pred_cat, pred_cat) == merged.get(gold, gold)
        c["event_none"] += pred_cat is None
        confusion[(gold, pred_cat)] += 1
        for fld, gfield, pfield in (("actor", "source", "actor_text"), ("recipient", "target", "target_text")):
            golds = gold_actors(r.get(gfield))
            if not golds:
                continue
            c[f"{fld}_n"] += 1
            pred = (best or {}).get(pfield)
            ov, st = match(pred, golds)
            c[f"{fld}_overlap"] += ov
            c[f"{fld}_strict"] += st
            c[f"{fld}_given"] += pred is not None
        loc = r.get("eventLoc")
        if isinstance(loc, dict) and loc.get("name"):
            c["loc_n"] += 1
            pred = (best or {}).get("place_text")
            ov, st = match(pred, [loc["name"]])
            c["loc_overlap"] += ov
            c["loc_given"] += pred is not None
    dt = time.perf_counter() - t0
    n = c["n"]
    print(f"PLOVER gold sentences: {n} records ({path.name}), {dt:.1f} s ({1000 * dt / n:.0f} ms/sentence)")
    print()
    print("| field | scored | predicted | accuracy (overlap) | accuracy (strict) |")
    print("|---|---:|---:|---:|---:|")
    print(f"| event (PLOVER category) | {n} | {n - c['event_none']} | {c['event'] / n:.3f} | - |")
    print(f"| event, FIGHT+ASSAULT merged | {n} | {n - c['event_none']} | {c['event_merged'] / n:.3f} | - |")
    for fld in ("actor", "recipient"):
        k = c[f"{fld}_n"]
        print(f"| {fld} (actorText) | {k} | {c[f'{fld}_given']} | {c[f'{fld}_overlap'] / k:.3f} | "
              f"{c[f'{fld}_strict'] / k:.3f} |")
    k = c["loc_n"]
    print(f"| location (eventLoc) | {k} | {c['loc_given']} | {c['loc_overlap'] / k:.3f} | - |")
    print()
    per_gold: dict[str, Counter] = {}
    for (g, p), v in confusion.items():
        per_gold.setdefault(g, Counter())[p] += v
    print("| gold event | n | correct | most frequent prediction |")
    print("|---|---:|---:|---|")
    for g in sorted(per_gold, key=lambda g: -sum(per_gold[g].values())):
        tot = sum(per_gold[g].values())
        top = ", ".join(f"{p or 'none'} {v}" for p, v in per_gold[g].most_common(3))
        print(f"| {g} | {tot} | {per_gold[g][g]} | {top} |")
    print()


def dates(path: Path) -> None:
    rows = [line.rstrip("\n").split("\t") for line in path.open(encoding="utf-8")
            if line.strip() and not line.startswith("#")]
    ok = found = 0
    by_gran: Counter = Counter()
    by_gran_ok: Counter = Counter()
    misses = []
    t0 = time.perf_counter()
    for ref, sent, expr, val, gran in rows:
        s = sent.find(expr)
        e = s + len(expr)
        got = [t for t in normalize_dates(sent, ref) if t.span[0] < e and s < t.span[1]]
        by_gran[gran] += 1
        if got:
            found += 1
        if got and (got[0].value, got[0].granularity) == (val, gran):
            ok += 1
            by_gran_ok[gran] += 1
        else:
            misses.append(f"{expr!r} (ref {ref}): expected {val}, got {got[0].value if got else 'nothing'}")
    dt = time.perf_counter() - t0
    n = len(rows)
    print(f"Date normaliser: {n} labeled expressions ({path.relative_to(REPO)}), {1000 * dt:.0f} ms in all")
    print()
    print("| granularity | n | correct | accuracy |")
    print("|---|---:|---:|---:|")
    for g in ("day", "week", "month", "year"):
        if by_gran[g]:
            print(f"| {g} | {by_gran[g]} | {by_gran_ok[g]} | {by_gran_ok[g] / by_gran[g]:.3f} |")
    print(f"| all | {n} | {ok} | {ok / n:.3f} |")
    print(f"\nfound (any value): {found}/{n}; misses:")
    for m in misses:
        print("  -", m)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plover", type=Path, default=REPO.parent / "shared" / "datasets" / "plover_gold.jsonl")
    ap.add_argument("--dates", type=Path, default=REPO / "tests" / "data" / "dates_labeled.tsv")
    ap.add_argument("--limit", type=int, default=None)
    a = ap.parse_args()
    if a.plover.is_file():
        plover(a.plover, a.limit)
    else:
        print(f"PLOVER gold not found at {a.plover}; skipping that part.\n")
    dates(a.dates)


if __name__ == "__main__":
    main()
