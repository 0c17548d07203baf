"""Synthetic news corpus with planted copies and their ground truth (deterministic by seed).

Articles of ~500 words drawn from a Zipfian vocabulary of a few thousand made-up words,
arranged in sentences (some with quoted speech), paragraphs, titles, outlets and dates.
Planted among them, each arriving *after* its source and dated the same day or later:

* ``exact``     — the same text with cosmetic changes only (curly quotes, em dashes,
                  upper case, extra whitespace, changed line breaks);
* ``near``      — the same text with a known share of words edited (2, 5, 8 or 10 %:
                  substitutions, insertions and deletions in equal parts);
* ``contained`` — a short story (150–250 words) that arrives after, and appears inside
                  (0, 2 or 5 % of words edited), a longer article (~700 words);
* ``contains``  — a longer article (~700 words) that arrives after, and quotes (0, 2 or
                  5 % of words edited), a short story published before it.

Usage from another benchmark (run from the repository root)::

    from bench.synth import make_corpus
    corpus = make_corpus(20000, seed=0)
    corpus.docs[0].id, corpus.docs[0].text[:40]
    corpus.pairs[0]        # Pair(copy='d000123', source='d000045', kind='near', edit_rate=0.05)

Run as a script to print a summary: ``.venv/bin/python bench/synth.py --n 1000``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

NEAR_RATES = (0.02, 0.05, 0.08, 0.10)
CONTAINED_RATES = (0.0, 0.02, 0.05)

_ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v",
           "w", "z", "br", "ch", "cl", "dr", "fl", "gr", "kr", "pl", "pr", "sh", "sl", "st",
           "th", "tr"]
_NUCLEI = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "rk", "st", "ng"]
_FUNCTION = ["the", "of", "and", "to", "a", "in", "that", "said", "is", "for", "on", "it",
             "was", "with", "as", "by", "at", "from", "he", "his", "have", "an", "be",
             "which", "has", "not", "are", "they", "their", "but", "were", "had", "its",
             "this", "after", "who", "been", "would", "will", "more", "than", "also"]
_OUTLETS = ["Daily Ledger", "Morning Wire", "Coastal Times", "Capital Post", "Metro Herald",
            "Global Dispatch", "Valley News", "Northern Star", "Evening Standard Gazette",
            "Harbor Chronicle", "Plains Tribune", "Island Courier", "City Observer",
            "Press Agency International", "River Journal", "Summit Review"]


@dataclass
class SynthDoc:
    id: str
    title: str
    outlet: str
    published: str  # YYYY-MM-DD
    text: str


@dataclass(frozen=True)
class Pair:
    copy: str  # the later document
    source: str  # the earlier document it copies (the expected ``DupMatch.of``)
    kind: str  # exact | near | contained | contains
    edit_rate: float  # share of words edited (0 for exact)


@dataclass
class Corpus:
    docs: list[SynthDoc]
    pairs: list[Pair]
    seed: int
    groups: dict[str, int] = field(default_factory=dict)  # doc id -> copy group id

    @property
    def ids(self) -> list[str]:
        return [d.id for d in self.docs]

    @property
    def texts(self) -> list[str]:
        return [d.text for d in self.docs]

    @property
    def dates(self) -> list[str]:
        return [d.published for d in self.docs]


class _Writer:
    """Draws words, sentences and paragraphs from a Zipfian made-up vocabulary."""

    def __init__(self, rng: np.random.Generator, vocab_size: int = 6000, zipf_s: float = 1.05):
        self.rng = rng
        words = set(_FUNCTION)
        content: list[str] = []
        while len(content) < vocab_size - len(_FUNCTION):
            nsyl = int(rng.integers(1, 4))
            w = "".join(_ONSETS[rng.integers(len(_ONSETS))] + _NUCLEI[rng.integers(len(_NUCLEI))]
                        + _CODAS[rng.integers(len(_CODAS))] for _ in range(nsyl))
            if w not in words:
                words.add(w)
                content.append(w)
        self.vocab = np.array(_FUNCTION + content, dtype=object)
        ranks = np.arange(1, len(self.vocab) + 1, dtype=np.float64)
        p = ranks ** -zipf_s
        self.cdf = np.cumsum(p / p.sum())
        self.names = [w.capitalize() for w in content[200:600]]

    def words(self, n: int) -> list[str]:
        idx = np.searchsorted(self.cdf, self.rng.random(n))
        idx = np.minimum(idx, len(self.vocab) - 1)
        return self.vocab[idx].tolist()

    def sentence(self) -> str:
        rng = self.rng
        n = int(rng.integers(8, 28))
        w = self.words(n)
        if rng.random() < 0.3:  # a proper name somewhere
            w[int(rng.integers(n))] = self.names[int(rng.integers(len(self.names)))]
        if n > 12 and rng.random() < 0.4:
            w[int(rng.integers(3, n - 3))] += ","
        s = " ".join(w)
        r = rng.random()
        if r < 0.15:  # quoted speech
            who = self.names[int(rng.integers(len(self.names)))]
            return f'"{s[0].upper()}{s[1:]}," {who} said.'
        if r < 0.2:
            return f"{s[0].upper()}{s[1:]} - {' '.join(self.words(5))}'s {self.words(1)[0]}."
        return f"{s[0].upper()}{s[1:]}."

    def text(self, nwords: int) -> str:
        paras: list[str] = []
        total = 0
        while total < nwords:
            sents = []
            for _ in range(int(self.rng.integers(2, 5))):
                s = self.sentence()
                sents.append(s)
                total += s.count(" ") + 1
                if total >= nwords:
                    break
            paras.append(" ".join(sents))
        return "\n\n".join(paras)

    def title(self) -> str:
        w = self.words(int(self.rng.integers(5, 11)))
        return " ".join(x.capitalize() for x in w)


def _edit(text: str, rate: float, writer: _Writer, rng: np.random.Generator) -> str:
    """Edit ``rate`` of the words: substitutions, insertions and deletions in equal parts."""
    paras = text.split("\n\n")
    out_paras = []
    for para in paras:
        toks = para.split(" ")
        out: list[str] = []
        for t in toks:
            if rng.random() >= rate:
                out.append(t)
                continue
            op = rng.integers(3)
            core = t.rstrip('.,"')
            tail = t[len(core):]
            if op == 0:  # substitute, keep punctuation
                out.append(writer.words(1)[0] + tail)
            elif op == 1:  # insert a word after
                out.append(t)
                out.append(writer.words(1)[0])
            elif tail:  # delete, but keep sentence punctuation on the previous word
                if out:
                    out[-1] = out[-1] + tail
            # plain delete otherwise
        out_paras.append(" ".join(out))
    return "\n\n".join(out_paras)


def _cosmetic(text: str, rng: np.random.Generator) -> str:
    """Changes that must not matter to exact-copy detection."""
    t = text
    if rng.random() < 0.7:
        t = t.replace("'", "\u2019")
        parts = t.split('"')
        t = "".join(p + ("\u201c" if i % 2 == 0 else "\u201d") for i, p in enumerate(parts[:-1]))
        t += parts[-1]
    if rng.random() < 0.5:
        t = t.replace(" - ", " \u2014 ")
    if rng.random() < 0.3:
        t = t.upper()
    if rng.random() < 0.5:
        t = t.replace("\n\n", "\n")
    if rng.random() < 0.5:
        t = "  " + t.replace(". ", ".  ") + "\n "
    return t


def make_corpus(n: int = 20000, seed: int = 0, words: int = 500,
                exact: float = 0.04, near: float = 0.08, contained: float = 0.04,
                vocab_size: int = 6000) -> Corpus:
    """Generate ``n`` articles with planted copies; same ``seed`` → same corpus.

    ``exact``, ``near`` and ``contained`` are the shares of the ``n`` documents that are
    planted copies (``contained`` covers both the contained and the contains direction).

    >>> c = make_corpus(300, seed=1)
    >>> len(c.docs), c.docs[0].id, make_corpus(300, seed=1).docs[-1].text == c.docs[-1].text
    (300, 'd0000000', True)
    >>> {p.kind for p in c.pairs} <= {"exact", "near", "contained", "contains"}
    True
    """
    rng = np.random.default_rng(seed)
    writer = _Writer(rng, vocab_size=vocab_size)
    base = _dt.date(2024, 1, 1)
    docs: list[SynthDoc] = []
    pairs: list[Pair] = []
    groups: dict[str, int] = {}
    originals: list[int] = []  # indexes of full-length originals usable as sources
    shorts: list[int] = []  # short stories usable as sources of "contains"

    def new_id() -> str:
        return f"d{len(docs):07d}"

    def date_after(src: SynthDoc) -> str:
        d = _dt.date.fromisoformat(src.published) + _dt.timedelta(days=int(rng.integers(0, 3)))
        return d.isoformat()

    def fresh_date() -> str:
        return (base + _dt.timedelta(days=int(rng.integers(0, 366)))).isoformat()

    def outlet() -> str:
        return _OUTLETS[int(rng.integers(len(_OUTLETS)))]

    def add(text: str, date: str, title: str | None = None) -> SynthDoc:
        d = SynthDoc(new_id(), title or writer.title(), outlet(), date, text)
        docs.append(d)
        return d

    def link(copy: SynthDoc, src: SynthDoc, kind: str, rate: float) -> None:
        pairs.append(Pair(copy.id, src.id, kind, rate))
        g = groups.setdefault(src.id, len(groups))
        groups[copy.id] = g

    p_exact, p_near, p_cont = exact, exact + near, exact + near + contained
    while len(docs) < n:
        r = rng.random()
        if originals and r < p_exact:
            src = docs[originals[int(rng.integers(max(0, len(originals) - 3000), len(originals)))]]
            link(add(_cosmetic(src.text, rng), date_after(src), src.title), src, "exact", 0.0)
        elif originals and r < p_near:
            src = docs[originals[int(rng.integers(max(0, len(originals) - 3000), len(originals)))]]
            rate = NEAR_RATES[int(rng.integers(len(NEAR_RATES)))]
            link(add(_edit(src.text, rate, writer, rng), date_after(src)), src, "near", rate)
        elif r < p_cont and len(docs) + 1 < n:
            short_words = int(rng.integers(150, 251))
            pad = (700 - short_words) // 2
            rate = CONTAINED_RATES[int(rng.integers(len(CONTAINED_RATES)))]
            if shorts and rng.random() < 0.5:
                # a longer article that quotes an earlier short story
                src = docs[shorts[int(rng.integers(max(0, len(shorts) - 1000), len(shorts)))]]
                body = "\n\n".join([writer.text(pad), _edit(src.text, rate, writer, rng),
                                    writer.text(pad)])
                link(add(body, date_after(src)), src, "contains", rate)
            else:
                # a short story, published first, then a longer article around it; next the
                # short story copied out of the longer article (contained)
                core = writer.text(short_words)
                if rng.random() < 0.5:
                    s = add(core, fresh_date())
                    shorts.append(len(docs) - 1)
                    body = "\n\n".join([writer.text(pad), _edit(core, rate, writer, rng),
                                        writer.text(pad)])
                    link(add(body, date_after(s)), s, "contains", rate)
                else:
                    body = "\n\n".join([writer.text(pad), core, writer.text(pad)])
                    big = add(body, fresh_date())
                    link(add(_edit(core, rate, writer, rng), date_after(big)), big, "contained",
                         rate)
        else:
            nw = int(rng.normal(words, words * 0.25))
            add(writer.text(max(60, nw)), fresh_date())
            originals.append(len(docs) - 1)
    return Corpus(docs[:n], [p for p in pairs if int(p.copy[1:]) < n], seed, groups)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    import time

    t0 = time.perf_counter()
    c = make_corpus(a.n, seed=a.seed)
    dt = time.perf_counter() - t0
    nwords = [len(d.text.split()) for d in c.docs]
    print(f"{len(c.docs)} docs in {dt:.1f} s; words/doc median {int(np.median(nwords))}, "
          f"mean {np.mean(nwords):.0f}")
    kinds = Counter((p.kind, p.edit_rate) for p in c.pairs)
    for (k, r), v in sorted(kinds.items()):
        print(f"  {k:10s} edit {r:4.2f}: {v}")
    print(c.docs[1].title, "|", c.docs[1].outlet, "|", c.docs[1].published)
    print(c.docs[1].text[:400])


if __name__ == "__main__":
    main()
