"""Speakers and quotes across the articles of one story.

``merge_story_quotes`` puts the quotes that several outlets carry into one record, with
one canonical speaker for the variants an outlet may write ("Army spokesperson Yahya
Rasool", "Rasool", "Yehia Rasool", "the spokesperson"). Two quotes are the same when
their words overlap highly after normalisation (curly/straight marks, "U.S."/"US", case).

>>> from storylens.model import Quote
>>> q = lambda spk, text: Quote(spk, (0, 1), spk, "said", (0, 1), text, (5, 5 + len(text)), "direct")
>>> recs = merge_story_quotes([
...     ("a1", "Outlet A", "", [q("Yahya Rasool", "The U.S. is a factor for instability")]),
...     ("a2", "Outlet B", "", [q("Rasool", "the US is a factor for instability")]),
... ])
>>> [(r["speaker"], r["outlets"], r["single_outlet"]) for r in recs]
[('Yahya Rasool', ['Outlet A', 'Outlet B'], False)]
"""
from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from typing import Any, Iterable, Sequence

from ..errors import ValidationError
from ..model import Quote
from ..unionfind import DisjointSets

__all__ = ["merge_story_quotes", "normalise_quote", "same_speaker", "canonical_speakers"]

_STOP = frozenset("the a an of to and in on for is was be that this it at by as with".split())


def normalise_quote(text: str) -> list[str]:
    """Word tokens of a quote for comparison.

    >>> normalise_quote("“The U.S. isn’t done,” he said")
    ['the', 'us', 'isn', 't', 'done', 'he', 'said']
    """
    t = unicodedata.normalize("NFKC", text).lower()
    t = t.replace("’", "'").replace("‘", "'")
    t = re.sub(r"\b([a-z])\.([a-z])\.", r"\1\2", t)  # U.S. -> us, U.N. -> un
    return re.findall(r"[a-z0-9]+", t)


def _overlap(a: list[str], b: list[str]) -> tuple[float, float]:
    """(containment of the shorter, Jaccard) over word multisets."""
    if not a or not b:
        return 0.0, 0.0
    from collections import Counter

    ca, cb = Counter(a), Counter(b)
    inter = sum((ca & cb).values())
    union = sum((ca | cb).values())
    return inter / min(len(a), len(b)), inter / union


def _name_tokens(name: str) -> list[str]:
    return [t for t in normalise_quote(name) if t not in ("mr", "mrs", "ms", "dr", "s")]


def same_speaker(a: str | None, b: str | None) -> bool:
    """Whether two canonical speaker names name the same person or organisation.

    >>> same_speaker("Yahya Rasool", "Yehia Rasool"), same_speaker("Rasool", "Yahya Rasool")
    (True, True)
    >>> same_speaker("Antony Blinken", "Shihab Rattansi")
    False
    """
    if not a or not b:
        return False
    ta, tb = _name_tokens(a), _name_tokens(b)
    if not ta or not tb:
        return False
    if ta == tb:
        return True
    if ta[-1] == tb[-1]:
        if len(ta) == 1 or len(tb) == 1:
            return True
        fa, fb = " ".join(ta[:-1]), " ".join(tb[:-1])
        # same surname: first names that start alike are spelling variants ("Yahya"/"Yehia"), initials too
        return fa[0] == fb[0] and (len(fa) <= 2 or len(fb) <= 2 or SequenceMatcher(None, fa, fb).ratio() >= 0.4)
    if len(ta) >= 2 and len(tb) >= 2:
        return SequenceMatcher(None, " ".join(ta), " ".join(tb)).ratio() >= 0.85
    return False


def canonical_speakers(names: Iterable[str]) -> dict[str, str]:
    """Map each speaker name of a story to one canonical name (the longest, most frequent variant).

    >>> m = canonical_speakers(["Rasool", "Yahya Rasool", "Yehia Rasool", "Yahya Rasool", "Hamas"])
    >>> m["Rasool"], m["Yehia Rasool"], m["Hamas"]
    ('Yahya Rasool', 'Yahya Rasool', 'Hamas')
    """
    from collections import Counter

    counts = Counter(n for n in names if n)
    groups: list[list[str]] = []
    for n in sorted(counts, key=lambda n: (-len(_name_tokens(n)), -counts[n], n)):
        for g in groups:
            if same_speaker(n, g[0]) and all(len(_name_tokens(n)) == 1 or same_speaker(n, m) for m in g):
                g.append(n)
                break
        else:
            groups.append([n])
    out = {}
    for g in groups:
        best = max(g, key=lambda n: (len(_name_tokens(n)) >= 2, counts[n], len(n)))
        for n in g:
            out[n] = best
    return out


def merge_story_quotes(items: Sequence[tuple[str, str | None, str, list[Quote]]], *,
                       containment: float = 0.8, jaccard: float = 0.5) -> list[dict[str, Any]]:
    """One record per distinct quote of a story, with the outlets that carry it.

    ``items``: ``(article_id, outlet, clean_text, quotes)`` for each article of the story.
    Each record: ``speaker`` (canonical), ``role``, ``quote`` (the longest variant's text),
    ``kind``, ``outlets`` (sorted), ``variants`` (``article_id``, ``outlet``, ``text``,
    ``span``, ``speaker`` as written) and ``single_outlet``. Records come in order of first
    appearance.

    >>> merge_story_quotes([])
    []
    """
    flat: list[tuple[int, str, str | None, Quote]] = []
    for n, it in enumerate(items):
        if not isinstance(it, (tuple, list)) or len(it) != 4:
            raise ValidationError(
                f"merge_story_quotes item {n} must be (article_id, outlet, text, quotes), got {type(it).__name__}"
            )
        aid, outlet, _text, quotes = it
        for q in quotes:
            flat.append((n, aid, outlet, q))
    names = [q.canonical_speaker or q.speaker for _, _, _, q in flat if (q.canonical_speaker or q.speaker)]
    cmap = canonical_speakers(names)
    toks = [normalise_quote(q.quote) for _, _, _, q in flat]
    from collections import Counter

    role_of: dict[str, Counter] = {}
    for _, _, _, q in flat:
        key = cmap.get(q.canonical_speaker or q.speaker or "")
        if key and q.role:
            role_of.setdefault(key, Counter())[q.role] += 1
    ds = DisjointSets(len(flat))
    for i in range(len(flat)):
        for j in range(i + 1, len(flat)):
            if flat[i][0] == flat[j][0]:
                continue  # two quotes of one article stay apart
            if min(len(toks[i]), len(toks[j])) < 3:
                continue
            c, jac = _overlap(toks[i], toks[j])
            if c >= containment and jac >= jaccard:
                si = cmap.get(flat[i][3].canonical_speaker or flat[i][3].speaker or "")
                sj = cmap.get(flat[j][3].canonical_speaker or flat[j][3].speaker or "")
                if si and sj and si != sj and jac < 0.9:
                    continue  # different speakers need near-identical words
                ds.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(flat)):
        groups.setdefault(ds.find(i), []).append(i)
    records = []
    for members in sorted(groups.values(), key=lambda m: min((flat[i][0], flat[i][3].quote_span[0]) for i in m)):
        qs = [flat[i][3] for i in members]
        spk = [cmap.get(q.canonical_speaker or q.speaker or "") for q in qs]
        spk = [s for s in spk if s]
        speaker = max(set(spk), key=lambda s: (spk.count(s), len(s))) if spk else None
        roles = [r for r, _ in role_of[speaker].most_common(1)] if speaker in role_of else []
        best = max(members, key=lambda i: len(flat[i][3].quote))
        kinds = [q.kind for q in qs]
        outlets = sorted({flat[i][2] or flat[i][1] for i in members})
        records.append({
            "speaker": speaker,
            "role": roles[0] if roles else None,
            "quote": flat[best][3].quote,
            "kind": max(set(kinds), key=kinds.count),
            "outlets": outlets,
            "variants": [{"article_id": flat[i][1], "outlet": flat[i][2], "text": flat[i][3].quote,
                          "span": list(flat[i][3].quote_span), "speaker": flat[i][3].speaker} for i in members],
            "single_outlet": len(outlets) == 1,
        })
    return records
