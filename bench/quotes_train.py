"""Train the learned cue model of storylens.extract.quotes on PolNeAR train (never dev).

Run:  .venv/bin/python bench/quotes_train.py [--parse-cache /tmp/polnear_train_parses.pkl] [--C 0.3]

Writes src/storylens/data/quotes_cues.json (feature weights, bias and the probability threshold),
which storylens.extract.quotes loads once per process and applies with plain Python.

How:
1. The extractor runs on every train article in "collect" mode: the rules produce their quotes as
   usual, and every candidate of the learned component (a verb, noun or adjective outside quote
   marks that is no rule cue and has a complement after it; see ``_Article._gen_candidates``) is
   recorded with its features and content span instead of being added.
2. A candidate's label is whether its content matches a gold attribution that the rules' quotes did
   not match (the bench's criterion: overlap of at least half the longer span).
3. Logistic regression (scikit-learn, a bench-only dependency) with 5-fold cross-validation by article
   gives out-of-fold probabilities; the threshold is the one that maximises all-attributions F1 of the
   rules plus the accepted candidates (the best one per cue word) over the whole of train.
4. The final model is fitted on all of train; ``words`` lists the cue words the extractor looks at (those
   with a train candidate scoring within half a logit of the threshold; the others cannot pass); features seen on fewer than
   ``--min-count`` (3) candidates are left out, and weights under 5e-3 in magnitude are dropped.

``--parse-cache`` keeps the spaCy parses of the train sentences in a pickle so that a rerun skips the
parser (the output is the same with or without it). Everything is deterministic (liblinear-free lbfgs,
fixed folds by article index) given the model file it starts from: which sentences are parsed depends on
the parse gate, and the gate's words come from the model in place (``quotes._gate_words``), so a retrain
after a retrain can differ slightly in its candidates. The threshold is searched in steps of 0.025.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "src"))

import quotes as bench  # noqa: E402  (bench/quotes.py: load, match, score)
import storylens.extract.quotes as Q  # noqa: E402
from storylens.nlp import get_nlp  # noqa: E402

OUT = BENCH.parent / "src" / "storylens" / "data" / "quotes_cues.json"


def parse_with_cache(path: str | None):
    """Q._parse, with the parses kept in ``path`` (a pickle of keys and a DocBin) when given."""
    if not path:
        return Q._parse
    from spacy.tokens import DocBin

    cache = {}
    if os.path.exists(path):
        strings, data = pickle.load(open(path, "rb"))
        cache.update(zip(strings, DocBin().from_bytes(data).get_docs(get_nlp().vocab)))

    def parse(strings, batch_size=256, quoted=None):
        # NER looks at the quoted ranges too, so they are part of the key
        quoted = quoted or [()] * len(strings)
        keys = [s + "\x00" + repr(list(q)) for s, q in zip(strings, quoted)]
        miss = [k for k in dict.fromkeys(keys) if k not in cache]
        if miss:
            at = {k: i for i, k in enumerate(keys)}
            cache.update(zip(miss, Q._parse([strings[at[k]] for k in miss], batch_size,
                                            [quoted[at[k]] for k in miss])))
            db = DocBin(store_user_data=False)
            names = list(cache)
            for k in names:
                db.add(cache[k])
            pickle.dump((names, db.to_bytes()), open(path, "wb"))
        return [cache[k] for k in keys]

    return parse


def collect(texts: list[str], parse):
    """(rule quotes, candidates) per article, with the extractor in "collect" mode."""
    Q._GEN_MODE = "collect"
    arts = [Q._Article(t) for t in texts]
    jobs = [(ai, u) for ai, a in enumerate(arts) for u in a.parse_units]
    docs = parse([arts[ai].text[u.start:u.end] for ai, u in jobs])
    for (ai, u), doc in zip(jobs, docs):
        arts[ai].add_doc(u, doc)
    out = []
    for a in arts:
        qs = a.finish()
        out.append((qs, list(a.gen_out)))
    Q._GEN_MODE = "model"
    return out


def as_pred(start, end, spk):
    return {"span": (start, end), "kind": "indirect", "speaker_span": spk, "speaker": None, "canonical": None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parse-cache", default=None, help="pickle of train parses (made when missing)")
    ap.add_argument("--C", type=float, default=0.3, help="inverse L2 strength of the logistic regression")
    ap.add_argument("--min-count", type=int, default=3, help="features seen on fewer candidates are dropped")
    ap.add_argument("--limit", type=int, default=None, help="first N train articles (for a quick try)")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    docs, texts, gold = bench.load("train", args.limit)
    res = collect([texts[d] for d in docs], parse_with_cache(args.parse_cache))
    rule_preds, feats, labels, groups, items = {}, [], [], [], []
    for di, (d, (qs, cands)) in enumerate(zip(docs, res)):
        ps = [{"span": q.quote_span, "kind": q.kind, "speaker_span": q.speaker_span, "speaker": q.speaker,
               "canonical": q.canonical_speaker} for q in qs]
        rule_preds[d] = ps
        matched = {id(g) for _, g in bench.match(ps, gold[d])}
        free = [g for g in gold[d] if id(g) not in matched]
        for start, end, spk, cpos, f in cands:
            c = as_pred(start, end, spk)
            feats.append(dict.fromkeys(f, 1))
            labels.append(bool(bench.match([c], free)))
            groups.append(di)
            items.append((d, cpos, c))
    y = np.array(labels)
    grp = np.array(groups)
    print(f"{len(docs)} articles, {len(y)} candidates, {int(y.sum())} positive")
    counts: dict[str, int] = {}
    for f in feats:
        for k in f:
            counts[k] = counts.get(k, 0) + 1
    raw_feats = feats
    feats = [{k: 1 for k in f if counts[k] >= args.min_count} for f in feats]
    dv = DictVectorizer()
    X = dv.fit_transform(feats)
    oof = np.zeros(len(y))
    for k in range(5):
        tr = grp % 5 != k
        lr = LogisticRegression(C=args.C, max_iter=5000).fit(X[tr], y[tr])
        oof[~tr] = lr.predict_proba(X[~tr])[:, 1]

    def with_cands(prob, th):
        pr = {d: list(ps) for d, ps in rule_preds.items()}
        best = {}
        for (d, cpos, c), p in zip(items, prob):
            if p >= th and ((d, cpos) not in best or p > best[(d, cpos)][0]):
                best[(d, cpos)] = (p, c)
        for (d, _), (_, c) in best.items():
            pr[d].append(c)
        return pr, len(best)

    base = bench.score(rule_preds, gold, False)
    print(f"rules only           all P {base['P']:.3f} R {base['R']:.3f} F1 {base['F1']:.4f}")
    best_th, best_f1 = None, -1.0
    for th in np.arange(0.30, 0.701, 0.025):
        pr, n = with_cands(oof, th)
        s = bench.score(pr, gold, False)
        print(f"threshold {th:.3f} +{n:5d}  all P {s['P']:.3f} R {s['R']:.3f} F1 {s['F1']:.4f} (out of fold)")
        if s["F1"] > best_f1:
            best_th, best_f1 = float(th), s["F1"]
    lr = LogisticRegression(C=args.C, max_iter=5000).fit(X, y)
    # the words worth looking at: those with a candidate within half a logit of the threshold on train
    z = lr.decision_function(X)
    zt = float(np.log(best_th / (1 - best_th))) - 0.5
    words = sorted({next(k[2:] for k in f if k.startswith("w=")) for f, zz in zip(raw_feats, z) if zz >= zt})
    names = dv.get_feature_names_out()
    weights = {str(n): round(float(w), 4) for n, w in zip(names, lr.coef_[0]) if abs(w) >= 5e-3}
    model = {
        "about": "storylens.extract.quotes learned cue model; bench/quotes_train.py on PolNeAR train "
                 f"({len(docs)} articles, {len(y)} candidates, C={args.C}); threshold chosen by 5-fold "
                 f"out-of-fold all-attributions F1 {best_f1:.4f}",
        "threshold": round(best_th, 3),
        "bias": round(float(lr.intercept_[0]), 4),
        "words": words,
        "weights": dict(sorted(weights.items())),
    }
    Path(args.out).write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"threshold {best_th:.3f}; {len(words)} words; {len(weights)} weights -> {args.out} ({os.path.getsize(args.out):,} bytes)")


if __name__ == "__main__":
    main()
