"""Passage alignment between two clean texts, and what each text has alone.

Word tokens are normalised ("U.S." = "US", curly = straight apostrophes, case
folded), exact runs of at least ``min_run`` tokens are found from k-gram seeds in any
order (robust to reordered paragraphs), a non-overlapping set is chosen longest
first, and runs separated by small gaps on both sides in the same order are merged
into one passage (robust to a rewritten word or clause). Spans are character offsets
into each text.

>>> a = "Army spokesperson Yahya Rasool said on Thursday that repeated U.S. attacks push the government."
>>> b = "Army spokesperson Yehia Rasool said on Thursday that repeated US attacks push the government."
>>> align_pair(a, b)
[(0, 94, 0, 92, 0.929)]
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Invisible format characters (soft hyphen, zero-width space/joiners, bidi marks, BOM) inside a
# word do not split it and are left out of its normalised form, so "min\u00adister" = "minister".
_INVIS = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVIS_RE = re.compile(f"[{_INVIS}]")
_TOKEN_RE = re.compile(
    r"(?:[A-Za-z]\.){2,}|[^\W_]+(?:(?:['’ʼ][INV]*|[INV]+(?:['’ʼ][INV]*)?)[^\W_]+)*".replace("INV", _INVIS)
)


@dataclass
class Tokens:
    words: list[str]
    starts: list[int]
    ends: list[int]


@functools.lru_cache(maxsize=512)
def tokenize(text: str) -> Tokens:
    """Normalised word tokens with their character spans.

    >>> tokenize("U.S. forces’ “base”").words
    ['us', 'forces', 'base']
    """
    words, starts, ends = [], [], []
    for m in _TOKEN_RE.finditer(text):
        w = m.group(0).lower()
        if "." in w:
            w = w.replace(".", "")
        if not w.isascii():
            w = _INVIS_RE.sub("", w).replace("’", "'").replace("ʼ", "'")
        words.append(w)
        starts.append(m.start())
        ends.append(m.end())
    return Tokens(words, starts, ends)


def _runs(a: list[str], b: list[str], k: int, min_run: int, max_bucket: int = 64) -> list[tuple[int, int, int]]:
    """Maximal exact token runs (i, j, length) shared by a and b, length >= min_run."""
    if len(a) < k or len(b) < k:
        return []
    index: dict[tuple[str, ...], list[int]] = {}
    for j in range(len(b) - k + 1):
        bucket = index.setdefault(tuple(b[j : j + k]), [])
        if len(bucket) < max_bucket:
            bucket.append(j)
    covered: dict[int, int] = {}  # diagonal (i - j) -> first i not yet covered
    runs = []
    na, nb = len(a), len(b)
    for i in range(na - k + 1):
        hits = index.get(tuple(a[i : i + k]))
        if not hits:
            continue
        for j in hits:
            d = i - j
            if covered.get(d, -1) > i:
                continue
            n = k
            while i + n < na and j + n < nb and a[i + n] == b[j + n]:
                n += 1
            covered[d] = i + n
            if n >= min_run:
                runs.append((i, j, n))
    return runs


def _select(runs: list[tuple[int, int, int]], na: int, nb: int) -> list[tuple[int, int, int]]:
    """Longest-first choice of runs that overlap in neither text (trimming partial overlaps)."""
    used_a = bytearray(na)
    used_b = bytearray(nb)
    chosen = []
    for i, j, n in sorted(runs, key=lambda r: (-r[2], r[0], r[1])):
        # trim the run to its longest stretch free in both texts
        best_s, best_n, s = 0, 0, None
        for t in range(n + 1):
            free = t < n and not used_a[i + t] and not used_b[j + t]
            if free and s is None:
                s = t
            elif not free and s is not None:
                if t - s > best_n:
                    best_s, best_n = s, t - s
                s = None
        if best_n == 0:
            continue
        i2, j2 = i + best_s, j + best_s
        if best_n < min(n, 4):
            continue
        for t in range(best_n):
            used_a[i2 + t] = 1
            used_b[j2 + t] = 1
        chosen.append((i2, j2, best_n))
    return chosen


def _para_starts(text: str, tok: Tokens) -> set[int]:
    """Token indices that open a new paragraph (a line break precedes them)."""
    out = set()
    for t in range(1, len(tok.words)):
        if "\n" in text[tok.ends[t - 1] : tok.starts[t]]:
            out.add(t)
    return out


def align_tokens(
    ta: Tokens,
    tb: Tokens,
    k: int = 3,
    min_run: int = 5,
    max_gap: int = 6,
    breaks_a: set[int] = frozenset(),
    breaks_b: set[int] = frozenset(),
) -> list[tuple[int, int, int, int, float]]:
    """Aligned passages as token ranges: (a_start, a_end, b_start, b_end, similarity).

    Runs are merged across small gaps, but not across a paragraph break in either text
    (``breaks_a``/``breaks_b``: token indices that open a paragraph)."""
    runs = _select(_runs(ta.words, tb.words, k, min_run), len(ta.words), len(tb.words))
    runs.sort()
    merged: list[list[int]] = []  # [a0, a1, b0, b1, matched]
    for i, j, n in runs:
        if merged:
            m = merged[-1]
            gap_a = i - m[1]
            gap_b = j - m[3]
            crosses = any(t in breaks_a for t in range(m[1], i + 1)) or any(
                t in breaks_b for t in range(m[3], j + 1)
            )
            if 0 <= gap_a <= max_gap and 0 <= gap_b <= max_gap and not crosses:
                m[1], m[3], m[4] = i + n, j + n, m[4] + n
                continue
        merged.append([i, i + n, j, j + n, n])
    wa, wb = ta.words, tb.words
    used_a = bytearray(len(wa))
    used_b = bytearray(len(wb))
    for a0, a1, b0, b1, _ in merged:
        used_a[a0:a1] = b"\x01" * (a1 - a0)
        used_b[b0:b1] = b"\x01" * (b1 - b0)
    for m in merged:
        _extend(m, wa, wb, used_a, used_b, breaks_a, breaks_b)
    out = []
    for a0, a1, b0, b1, matched in merged:
        sim = matched / max(a1 - a0, b1 - b0)
        out.append((a0, a1, b0, b1, round(sim, 3)))
    return out


_EDITS = ((0, 0), (1, 1), (1, 0), (0, 1), (2, 2), (2, 1), (1, 2))


def _extend(m, wa, wb, used_a, used_b, breaks_a, breaks_b, need: int = 2) -> None:
    """Grow a passage at both ends over small edits (a swapped, added or dropped word),
    as long as at least ``need`` matching words follow the edit, within one paragraph."""

    def free(i, j):
        return 0 <= i < len(wa) and 0 <= j < len(wb) and not used_a[i] and not used_b[j]

    while True:  # forwards
        a1, b1 = m[1], m[3]
        if a1 in breaks_a or b1 in breaks_b:
            break
        for da, db in _EDITS:
            i, j = a1 + da, b1 + db
            if all(free(i + t, j + t) and wa[i + t] == wb[j + t] for t in range(need)) and not any(
                t in breaks_a for t in range(a1 + 1, i + need)
            ) and not any(t in breaks_b for t in range(b1 + 1, j + need)):
                n = need
                while free(i + n, j + n) and wa[i + n] == wb[j + n] and (i + n) not in breaks_a:
                    n += 1
                used_a[a1 : i + n] = b"\x01" * (i + n - a1)
                used_b[b1 : j + n] = b"\x01" * (j + n - b1)
                m[1], m[3], m[4] = i + n, j + n, m[4] + n
                break
        else:
            break
    while True:  # backwards
        a0, b0 = m[0], m[2]
        if a0 in breaks_a or b0 in breaks_b:
            break
        for da, db in _EDITS:
            i, j = a0 - 1 - da, b0 - 1 - db  # last matching token before the edit
            if all(free(i - t, j - t) and wa[i - t] == wb[j - t] for t in range(need)) and not any(
                t in breaks_a for t in range(i - need + 2, a0 + 1)
            ) and not any(t in breaks_b for t in range(j - need + 2, b0 + 1)):
                n = need
                while free(i - n, j - n) and wa[i - n] == wb[j - n] and (i - n + 1) not in breaks_a:
                    n += 1
                used_a[i - n + 1 : a0] = b"\x01" * (a0 - (i - n + 1))
                used_b[j - n + 1 : b0] = b"\x01" * (b0 - (j - n + 1))
                m[0], m[2], m[4] = i - n + 1, j - n + 1, m[4] + n
                break
        else:
            break


def align_pair(text_a: str, text_b: str, **kw) -> list[tuple[int, int, int, int, float]]:
    """Shared passages of two texts: (start_a, end_a, start_b, end_b, similarity), char offsets."""
    ta, tb = tokenize(text_a), tokenize(text_b)
    out = []
    kw.setdefault("breaks_a", _para_starts(text_a, ta))
    kw.setdefault("breaks_b", _para_starts(text_b, tb))
    for a0, a1, b0, b1, sim in align_tokens(ta, tb, **kw):
        out.append((ta.starts[a0], ta.ends[a1 - 1], tb.starts[b0], tb.ends[b1 - 1], sim))
    return out


def coverage(length: int, spans) -> int:
    """Characters of a text of ``length`` covered by the union of ``spans``.

    >>> coverage(10, [(0, 4), (2, 6), (8, 9)])
    7
    """
    total, end = 0, 0
    for s, e in sorted(spans):
        s = max(s, end)
        if e > s:
            total += e - s
            end = e
    return min(total, length)


def _solid(s: str) -> int:
    return len(s) - sum(s.count(c) for c in " \n\t\r\xa0")


def shared_share(text: str, spans) -> float:
    """Share of a text's non-space characters that lie inside the given spans.

    >>> shared_share("ab cd", [(0, 2)])
    0.5
    """
    total = _solid(text)
    if not total:
        return 0.0
    covered, end = 0, 0
    for s, e in sorted(spans):
        s = max(s, end)
        if e > s:
            covered += _solid(text[s:e])
            end = e
    return covered / total


def unique_spans(text: str, shared: list[tuple[int, int]], min_words: int = 5) -> list[tuple[int, int]]:
    """Runs of a text that no shared passage covers, per paragraph, of at least ``min_words`` words.

    >>> t = "Shared words are here in both.\\n\\nOnly this paragraph is unique to one outlet."
    >>> [t[s:e] for s, e in unique_spans(t, [(0, 30)])]
    ['Only this paragraph is unique to one outlet.']
    """
    covered = bytearray(len(text))
    for s, e in shared:
        covered[max(0, s) : max(0, e)] = b"\x01" * (max(0, e) - max(0, s))
    out = []
    tok = tokenize(text)
    # walk tokens; a unique run is a maximal sequence of uncovered tokens within one paragraph
    run: list[int] = []

    def flush():
        if len(run) >= min_words:
            s, e = tok.starts[run[0]], tok.ends[run[-1]]
            # extend to closing punctuation / quote marks that belong to the run
            while e < len(text) and text[e] in ".,;:!?\"'”’)]" and not covered[e]:
                e += 1
            out.append((s, e))
        run.clear()

    prev_end = 0
    for t in range(len(tok.words)):
        s, e = tok.starts[t], tok.ends[t]
        if run and "\n" in text[prev_end:s]:
            flush()
        if any(covered[s:e]):
            flush()
        else:
            run.append(t)
        prev_end = e
    flush()
    return out


def likely_original(a: dict, b: dict, shared_a: float, shared_b: float) -> tuple[str | None, str]:
    """Which of two articles is the likely original, and why.

    ``a``/``b`` have ``id`` and ``published`` (ISO date or None).

    >>> likely_original({"id": "x", "published": "2024-02-07"}, {"id": "y", "published": "2024-02-08"}, .5, .5)
    ('x', 'earlier date')
    >>> likely_original({"id": "x", "published": None}, {"id": "y", "published": None}, .95, .40)
    ('x', 'contained in the other')
    """
    pa, pb = a.get("published"), b.get("published")
    if pa and pb and pa != pb:
        return (a["id"], "earlier date") if pa < pb else (b["id"], "earlier date")
    if shared_a >= 0.9 and shared_b < 0.9:
        return a["id"], "contained in the other"
    if shared_b >= 0.9 and shared_a < 0.9:
        return b["id"], "contained in the other"
    if pa and pb and pa == pb:
        return None, "same date, neither contains the other"
    if pa or pb:
        return None, "only one date known, neither contains the other"
    return None, "no dates, neither contains the other"
