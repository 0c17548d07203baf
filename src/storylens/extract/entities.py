"""Named entities (people, organisations, places) and one canonical form per story.

Recognition is spaCy's NER (:func:`storylens.nlp.get_nlp`). Canonicalisation merges, within
one story, the variants outlets write for the same name:

* transliterations and spellings: "Kataib Hezbollah" / "Kataeb Hezbollah" /
  "Kata'ib Hezbollah", "Yahya Rasool" / "Yehia Rasool" (same consonant skeleton per word
  and a close string match);
* short forms of a person: "Rasool" -> "Yahya Rasool" (when exactly one full name in the
  story ends or starts with it);
* country aliases: "U.S.", "US", "the United States" -> "United States".

The canonical form of a group is its most frequent variant (ties: the first seen).

>>> m = canonicalize([[Entity("Kataib Hezbollah", "ORG", (0, 16)), Entity("Yahya Rasool", "PERSON", (20, 32))],
...                   [Entity("Kata'ib Hezbollah", "ORG", (0, 17)), Entity("Rasool", "PERSON", (30, 36))]])
>>> m["Kata'ib Hezbollah"], m["Rasool"]
('Kataib Hezbollah', 'Yahya Rasool')
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from difflib import SequenceMatcher
from typing import Iterable, Sequence

from ..model import Entity
from ..unionfind import DisjointSets
from .places import country_of

__all__ = ["extract_entities", "canonicalize", "clean_name", "name_key", "skeleton"]

LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC")
_TITLES = re.compile(
    r"^(?:the|mr\.?|mrs\.?|ms\.?|dr\.?|president|prime minister|minister|gen\.?|general|sheikh|sen\.?|rep\.?)\s+",
    re.I,
)


def clean_name(s: str) -> str:
    """Strip a leading "the", honorifics, a trailing possessive and stray punctuation.

    >>> clean_name("Al Jazeera's"), clean_name("the Pentagon")
    ('Al Jazeera', 'Pentagon')
    """
    s = " ".join(s.split()).strip(" ,;:\"“”()[]")
    while s.endswith(".") and not re.search(r"(?:^|[.\s])[A-Z]\.$", s):
        s = s[:-1]
    s = re.sub(r"['’]s?$", "", s)
    m = re.match(r"^([A-Z][\w.-]+)['’]s\s+(?=[A-Z])", s)
    if m and country_of(m.group(1)):  # "Iraq's Popular Mobilisation Forces"
        s = s[m.end():]
    prev = None
    while prev != s:
        prev = s
        s = _TITLES.sub("", s)
    return s.strip()


def name_key(s: str) -> str:
    """Spelling-insensitive key: folded accents, no apostrophes, dots or hyphens.

    >>> name_key("Kata'ib Hezbollah"), name_key("U.S.")
    ('kataib hezbollah', 'us')
    """
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"['’‘ʻʿʾ`.]", "", s)
    s = re.sub(r"[-\s]+", " ", s).strip()
    return s


def skeleton(word: str) -> str:
    """A transliteration-tolerant key for one word: first letter, then consonants, doubles collapsed.

    >>> skeleton("kataib"), skeleton("kataeb"), skeleton("yahya"), skeleton("yehia")
    ('ktb', 'ktb', 'yh', 'yh')
    """
    w = name_key(word).replace(" ", "")
    if not w:
        return ""
    w = w.replace("ou", "u").replace("ee", "i").replace("ph", "f").replace("q", "k").replace("kh", "k")
    rest = re.sub(r"[aeiouyw]", "", w[1:])
    out = w[0]
    for c in rest:
        if c != out[-1]:
            out += c
    return out


def extract_entities(text: str, doc=None) -> list[Entity]:
    """People, organisations and places in ``text`` (spaCy NER), names cleaned.

    ``doc`` may be a spaCy Doc of ``text`` already parsed (saves a second parse).
    Spans point at the cleaned name inside ``text``.

    >>> [(e.text, e.label) for e in extract_entities("Army spokesperson Yahya Rasool spoke in Baghdad.")]  # doctest: +SKIP
    [('Yahya Rasool', 'PERSON'), ('Baghdad', 'GPE')]
    """
    if doc is None:
        from ..nlp import get_nlp

        doc = get_nlp()(text)
    out: list[Entity] = []
    for e in doc.ents:
        if e.label_ not in LABELS:
            continue
        name = clean_name(e.text)
        if len(name) < 2 or not any(c.isalpha() for c in name):
            continue
        start = text.find(name, e.start_char, e.end_char + 1)
        if start < 0:
            start = e.start_char
        out.append(Entity(text=name, label=e.label_, span=(start, start + len(name))))
    return out


def _similar(a: str, b: str) -> bool:
    ka, kb = name_key(a), name_key(b)
    if ka == kb:
        return True
    wa, wb = ka.split(), kb.split()
    if len(wa) != len(wb):
        return False
    if any(skeleton(x) != skeleton(y) for x, y in zip(wa, wb)):
        return False
    return SequenceMatcher(None, ka, kb).ratio() >= 0.75


def canonicalize(entities_per_article: Sequence[Iterable[Entity]] | Iterable[Entity]) -> dict[str, str]:
    """Map every entity variant in a story to its canonical form.

    ``entities_per_article`` is a list with one list of entities per article (a flat
    list of entities works too). Returns ``{variant text: canonical text}`` for every
    variant seen, including those that are their own canonical form. Also sets
    ``Entity.canonical`` on the given objects.

    >>> canonicalize([[Entity("U.S.", "GPE", (0, 4)), Entity("Yehia Rasool", "PERSON", (5, 17))],
    ...               [Entity("Yahya Rasool", "PERSON", (0, 12)), Entity("Yahya Rasool", "PERSON", (20, 32))]])
    {'U.S.': 'United States', 'Yehia Rasool': 'Yahya Rasool', 'Yahya Rasool': 'Yahya Rasool'}
    
    """
    items = list(entities_per_article)
    flat: list[Entity] = []
    for it in items:
        if isinstance(it, Entity):
            flat.append(it)
        else:
            flat.extend(it)
    counts: Counter[str] = Counter(e.text for e in flat)
    labels: dict[str, Counter] = {}
    for e in flat:
        labels.setdefault(e.text, Counter())[e.label] += 1
    variants = list(dict.fromkeys(e.text for e in flat))
    mapping: dict[str, str] = {}
    # 1. countries: aliases and the country's own name
    for v in variants:
        if labels[v].most_common(1)[0][0] in ("GPE", "LOC"):
            c = country_of(v)
            if c:
                mapping[v] = c
    # 2. group spelling variants (union-find over pairs)
    rest = [v for v in variants if v not in mapping]
    ds = DisjointSets(len(rest))
    for i, a in enumerate(rest):
        for j in range(i + 1, len(rest)):
            if _similar(a, rest[j]):
                ds.union(i, j)
    groups: dict[int, list[str]] = {}
    for i, v in enumerate(rest):
        groups.setdefault(ds.find(i), []).append(v)
    canon_of: dict[str, str] = {}
    for members in groups.values():
        best = max(members, key=lambda v: (counts[v], -variants.index(v)))
        for v in members:
            canon_of[v] = best
    # 3. single-word person names -> the one full name that ends or starts with them
    persons_full = {canon_of[v] for v in rest if "PERSON" in labels[v] and len(v.split()) > 1}
    for v in rest:
        if len(v.split()) == 1 and labels[v].most_common(1)[0][0] == "PERSON":
            k = name_key(v)
            hits = {f for f in persons_full
                    if any(_similar(k, w) for w in (name_key(f).split()[-1], name_key(f).split()[0]))}
            if len(hits) == 1:
                canon_of[v] = hits.pop()
    mapping.update(canon_of)
    for e in flat:
        e.canonical = mapping.get(e.text, e.text)
    return {v: mapping[v] for v in variants}
