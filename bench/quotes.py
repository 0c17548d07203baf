"""Quote attribution on PolNeAR: storylens.extract.quotes against textacy's direct_quotations.

Run:  .venv/bin/python bench/quotes.py [--split train|dev|both] [--limit N] [--no-textacy] [--n-process 2]
      [--speed600 N] [--legacy-direct]

Data: ../shared/datasets/polnear/{train,dev} (see the README there). Texts are read with
``open(path, encoding="utf-8", newline="")`` so that offsets match the gold spans.

Measures, per system and per gold subset:
- ``direct``: gold attributions whose content holds a double quote mark (``''``, the New York
  Times' two apostrophes, counts as one unless ``--legacy-direct``), against
  predictions of kind direct or mixed (textacy: all its predictions);
- ``all``: every gold attribution against every prediction.
A prediction matches a gold content when their overlap is at least half of the longer
of the two (gold contents made of several fragments count the fragments' characters);
matching is one-to-one, greedy by overlap. P/R/F1 count matches. Speaker accuracy is
taken over matched pairs: right when the predicted speaker span overlaps a gold source
span, or its last word (or that of the canonical speaker) equals the gold source's last
word; a gold attribution with no source is right only when no speaker is predicted.

Speed: articles per second of wall time for the whole extraction (model already loaded),
one process and ``--n-process`` processes, plus articles per CPU-second of the one-process
run (steadier than wall time on a shared machine), with the mean article length in words.
textacy 0.13 installs beside spaCy 3.8 / numpy 2 in .venv (``.venv/bin/pip install
textacy``; it is in the ``bench`` extra); the script skips it with a note when missing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from storylens.extract.quotes import extract_quotes_many  # noqa: E402
from storylens.nlp import get_nlp  # noqa: E402

POLNEAR = REPO.parent / "shared" / "datasets" / "polnear"


def load(split: str, limit: int | None):
    d = POLNEAR / split
    docs = [json.loads(line)["doc"] for line in open(d / f"polnear_{split}_docs.jsonl", encoding="utf-8")]
    if limit:
        docs = docs[:limit]
    texts = {doc: open(d / f"{doc}.txt", encoding="utf-8", newline="").read() for doc in docs}
    gold: dict[str, list[dict]] = {doc: [] for doc in docs}
    for line in open(d / f"polnear_{split}.jsonl", encoding="utf-8"):
        r = json.loads(line)
        if r["doc"] in gold and r["content"]:
            gold[r["doc"]].append(r)
    return docs, texts, gold


def _ov(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _last_word(s: str | None) -> str:
    w = [x for x in "".join(c if c.isalnum() else " " for c in (s or "")).lower().split() if x != "s"]
    return w[-1] if w else ""


def match(preds: list[dict], golds: list[dict]):
    """Greedy one-to-one matching; returns [(pred, gold)]."""
    cands = []
    for i, p in enumerate(preds):
        ps = p["span"]
        plen = ps[1] - ps[0]
        for j, g in enumerate(golds):
            ov = sum(_ov(ps, tuple(c)) for c in g["content"])
            glen = sum(c[1] - c[0] for c in g["content"])
            if ov > 0 and ov >= 0.5 * max(plen, glen):
                cands.append((ov, i, j))
    cands.sort(reverse=True)
    used_p, used_g, out = set(), set(), []
    for _, i, j in cands:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((preds[i], golds[j]))
    return out


def speaker_ok(p: dict, g: dict) -> bool:
    if not g["source"]:
        return p["speaker_span"] is None
    if p["speaker_span"] is None:
        return False
    if any(_ov(tuple(p["speaker_span"]), tuple(s)) for s in g["source"]):
        return True
    gl = _last_word(g["source_text"])
    return bool(gl) and gl in (_last_word(p["speaker"]), _last_word(p["canonical"]))


def is_direct_gold(g: dict) -> bool:
    """A gold content with a double quote mark; "''" (the New York Times' two apostrophes) counts as one."""
    return g["content_has_quote_marks"] or (LEGACY_DIRECT is False and "''" in g["content_text"])


LEGACY_DIRECT = False  # --legacy-direct: the dataset's content_has_quote_marks only (the first figures)


def score(pred_by_doc: dict, gold_by_doc: dict, direct: bool):
    tp = npred = ngold = sp_ok = 0
    for doc, golds in gold_by_doc.items():
        preds = pred_by_doc.get(doc, [])
        if direct:
            golds = [g for g in golds if is_direct_gold(g)]
            preds = [p for p in preds if p["kind"] in ("direct", "mixed")]
        m = match(preds, golds)
        tp += len(m)
        npred += len(preds)
        ngold += len(golds)
        sp_ok += sum(speaker_ok(p, g) for p, g in m)
    prec = tp / npred if npred else 0.0
    rec = tp / ngold if ngold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"P": prec, "R": rec, "F1": f1, "spk": sp_ok / tp if tp else 0.0, "pred": npred, "gold": ngold}


CPU: dict[str, float] = {}  # CPU seconds of the last one-process run per system


def run_storylens(docs, texts, n_process=1):
    t0, c0 = time.perf_counter(), time.process_time()
    res = extract_quotes_many([texts[d] for d in docs], n_process=n_process)
    dt = time.perf_counter() - t0
    if n_process == 1:
        CPU["storylens"] = time.process_time() - c0
    out = {}
    for d, qs in zip(docs, res):
        out[d] = [{"span": q.quote_span, "kind": q.kind, "speaker_span": q.speaker_span, "speaker": q.speaker,
                   "canonical": q.canonical_speaker} for q in qs]
    return out, dt


def run_textacy(docs, texts):
    try:
        from textacy.extract.triples import direct_quotations
    except ImportError:
        return None, None
    nlp = get_nlp()
    t0, c0 = time.perf_counter(), time.process_time()
    out = {}
    for d, doc in zip(docs, nlp.pipe(texts[x] for x in docs)):
        preds = []
        try:
            triples = list(direct_quotations(doc))
        except Exception as e:  # textacy can fail on odd quote layouts; count as no output
            print(f"  textacy failed on {d}: {type(e).__name__}: {e}", file=sys.stderr)
            triples = []
        for t in triples:
            sp = None
            if t.speaker:
                sp = (min(x.idx for x in t.speaker), max(x.idx + len(x.text) for x in t.speaker))
            preds.append({"span": (t.content.start_char, t.content.end_char), "kind": "direct", "speaker_span": sp,
                          "speaker": " ".join(x.text for x in t.speaker), "canonical": None})
        out[d] = preds
    CPU["textacy"] = time.process_time() - c0
    return out, time.perf_counter() - t0


def cut_words(text: str, words: int) -> str:
    """The text up to the end of the paragraph that holds its ``words``-th word."""
    n = 0
    out = []
    for para in text.split("\n"):
        out.append(para)
        n += len(para.split())
        if n >= words:
            break
    return "\n".join(out)


def speed_600(n_docs: int, n_process: int, runs: int = 3):
    """Articles/s (wall, 1 and n processes) and per CPU-second on train articles cut to ~600 words."""
    docs, texts, _ = load("train", None)
    arts = [cut_words(texts[d], 600) for d in docs if len(texts[d].split()) >= 600][:n_docs]
    words = statistics.mean(len(t.split()) for t in arts)
    wall1, cpu1, walln = [], [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        extract_quotes_many(arts)
        wall1.append(len(arts) / (time.perf_counter() - t0))
        cpu1.append(len(arts) / (time.process_time() - c0))
        if n_process > 1:
            t0 = time.perf_counter()
            extract_quotes_many(arts, n_process=n_process)
            walln.append(len(arts) / (time.perf_counter() - t0))
    print(f"\nspeed on {len(arts)} train articles cut to ~{words:.0f} words (median of {runs} runs): "
          f"{statistics.median(wall1):.1f} articles/s wall (1 proc), "
          + (f"{statistics.median(walln):.1f} articles/s wall ({n_process} proc), " if walln else "")
          + f"{statistics.median(cpu1):.1f} articles per CPU-s (1 proc)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="both", choices=["train", "dev", "both"])
    ap.add_argument("--limit", type=int, default=None, help="first N articles of each split")
    ap.add_argument("--no-textacy", action="store_true")
    ap.add_argument("--n-process", type=int, default=2, help="processes for the parallel timing run (0 = skip)")
    ap.add_argument("--speed600", type=int, default=0, metavar="N",
                    help="also time N train articles cut to ~600 words (1 and --n-process processes)")
    ap.add_argument("--legacy-direct", action="store_true",
                    help="direct gold = the dataset's content_has_quote_marks only (\"''\" not counted)")
    args = ap.parse_args()
    global LEGACY_DIRECT
    LEGACY_DIRECT = args.legacy_direct
    get_nlp()
    extract_quotes_many(['"Warm up," she said.'])
    splits = ["train", "dev"] if args.split == "both" else [args.split]
    rows = []
    for split in splits:
        docs, texts, gold = load(split, args.limit)
        words = statistics.mean(len(texts[d].split()) for d in docs)
        ours, dt = run_storylens(docs, texts)
        speed = {"1": len(docs) / dt}
        if args.n_process and args.n_process > 1:
            _, dt2 = run_storylens(docs, texts, n_process=args.n_process)
            speed[str(args.n_process)] = len(docs) / dt2
        speed["cpu"] = len(docs) / CPU["storylens"]
        systems = [("storylens", ours, speed)]
        if not args.no_textacy:
            tx, tdt = run_textacy(docs, texts)
            if tx is None:
                print("textacy is not installed: `.venv/bin/pip install textacy` (bench extra)", file=sys.stderr)
            else:
                systems.append(("textacy", tx, {"1": len(docs) / tdt, "cpu": len(docs) / CPU["textacy"]}))
        for name, preds, sp in systems:
            for subset in ("direct", "all"):
                s = score(preds, gold, subset == "direct")
                rows.append((split, len(docs), round(words), name, subset, s, sp))
    print(f"{'split':5} {'docs':>4} {'words':>5} {'system':9} {'gold set':8} {'P':>5} {'R':>5} {'F1':>5} "
          f"{'spk acc':>7} {'pred':>5} {'gold':>5}  articles/s")
    for split, n, w, name, subset, s, sp in rows:
        speed = ", ".join(f"{v:.1f} ({k} proc)" if k != "cpu" else f"{v:.1f} per CPU-s" for k, v in sp.items()) \
            if subset == "direct" else ""
        print(f"{split:5} {n:4d} {w:5d} {name:9} {subset:8} {s['P']:5.3f} {s['R']:5.3f} {s['F1']:5.3f} "
              f"{s['spk']:7.3f} {s['pred']:5d} {s['gold']:5d}  {speed}")
    if args.speed600:
        speed_600(args.speed600, args.n_process)


if __name__ == "__main__":
    main()
