"""Duplicate and containment detection over a growing set of articles.

:class:`DedupIndex` answers, for each new article, "which earlier article is this a copy
of?" and then remembers the article:

* ``exact``     — same text after :func:`storylens.fingerprint.normalize`
                  (similarity 1.0);
* ``near``      — estimated Jaccard similarity of the word-shingle sets ≥ ``threshold``
                  (similarity = that Jaccard);
* ``contained`` — the new article lies inside the earlier one: estimated share of the
                  new article's shingles found in the earlier one ≥ ``containment``
                  (similarity = that share);
* ``contains``  — the new article contains the earlier one (same measure, other way).

When several earlier articles match, the match reported is the *earliest* copy: smallest
published date (``YYYY-MM-DD``; articles without a date count as later than any dated
one), then earliest arrival.

How it works.  Each article is fingerprinted in one numba pass
(:func:`storylens.fingerprint.fingerprints`): a 128-bin one-permutation MinHash signature
of its 3-word shingles kept as 16-bit values, its shingle count, a 128-bit hash of its
normalised text, and a content-defined sample of its shingles (those whose hash is
0 modulo ``sample_mod``; the same shingle is sampled in every article that has it).
One open-addressing hash table (64 segments, each grown alone) maps three kinds of keys to
article numbers: the text hash (exact copies), the LSH bands of the signature (``bands`` ×
``rows``, chosen for ``threshold``) and the sampled shingles. A query looks all of its
keys up, counts how many of its sampled shingles each candidate shares, then verifies
every candidate: Jaccard from the signatures combined with the sample overlap, containment
from both the signature-estimated intersection and the sampled-shingle overlap
(inverse-variance weighted). A key keeps at most ``max_postings`` articles (the earliest
arrivals), so boilerplate shingles cannot make a query slow.

Memory: per article 2·``num_perm`` bytes of signature, ~30 bytes of other columns, and
8 bytes per table slot for ~(1 + bands + words/``sample_mod``) keys at 0.56–0.7 load, i.e.
about 0.7–0.9 KB for a 500-word article with the defaults, plus the id strings (see
``docs/benchmarks.md`` for measured figures).

>>> idx = DedupIndex()
>>> wire = "Iraq has denounced a US drone strike in Baghdad that killed a commander " * 3
>>> idx.query_add("a", wire, "2024-02-08") is None
True
>>> idx.query_add("b", wire.upper(), "2024-02-09")
DupMatch(of='a', kind='exact', similarity=1.0)
>>> len(idx)
2
"""
from __future__ import annotations

import functools
import io
import json
import math
from typing import Iterable, Sequence

import numba as nb
import numpy as np
from numba.typed import List as NbList

from .errors import ValidationError
from .fingerprint import (
    DEFAULT_NUM_PERM,
    DEFAULT_SAMPLE_MOD,
    DEFAULT_SHINGLE,
    _M2,
    _P2,
    Fingerprints,
    _check_params,
    _mix64,
    fingerprints,
)
from .model import DupMatch

__all__ = ["DedupIndex", "lsh_params", "KINDS"]

KINDS = ("exact", "near", "contained", "contains")
_NO_DATE = 99999999
_FORMAT = 2  # 1 (read only): the hash table as one array

_SALT_EXACT = np.uint64(0x7A3C5E1F0B2D4968)
_SALT_SAMPLE = np.uint64(0x1F83D9ABFB41BD6B)


# The table is _NSEG independent segments (the top bits of a key's 32-bit tag pick one), each
# one uint64 array; a used slot holds (32-bit key tag << 32) | (article + 1), an empty slot 0.
# Within a segment of capacity c the home slot of a tag is (its low 26 bits) * c >> 26; linear
# probing. A segment grows alone (by a quarter) when it passes 70 % load, so the table never
# holds an old and a new copy of more than one segment (1/64 of it) at once.
_SEG_BITS = 6
_NSEG = 1 << _SEG_BITS
_LOW_BITS = 32 - _SEG_BITS
_LOW_MASK = (1 << _LOW_BITS) - 1
_MAX_LOAD = 0.7
_SEG_MIN = 256


@nb.njit(inline="always")
def _seg(tag):
    return np.int64(np.uint64(tag) >> np.uint64(_LOW_BITS))


@nb.njit(inline="always")
def _home(tag, tcap):
    return np.int64(((np.uint64(tag) & np.uint64(_LOW_MASK)) * np.uint64(tcap)) >> np.uint64(_LOW_BITS))


@nb.njit(cache=True)
def _rehash(tab, new_tab):
    tcap = new_tab.shape[0]
    for i in range(tab.shape[0]):
        v = tab[i]
        if v != 0:
            s = _home(v >> np.uint64(32), tcap)
            while new_tab[s] != 0:
                s += 1
                if s == tcap:
                    s = 0
            new_tab[s] = v


@nb.njit(cache=True)
def _split_flat(tab, counts):
    """Count the entries of a one-array table (format 1) per segment."""
    for i in range(tab.shape[0]):
        v = tab[i]
        if v != 0:
            counts[_seg(v >> np.uint64(32))] += 1


@nb.njit(cache=True)
def _fill_segments(tab, segs):
    """Insert the entries of a one-array table (format 1) into empty segments."""
    for i in range(tab.shape[0]):
        v = tab[i]
        if v != 0:
            tag = v >> np.uint64(32)
            seg = segs[_seg(tag)]
            tcap = seg.shape[0]
            s = _home(tag, tcap)
            while seg[s] != 0:
                s += 1
                if s == tcap:
                    s = 0
            seg[s] = v


def _seg_capacity(n: int) -> int:
    """Capacity for a segment that must take ``n`` entries (at most 70 % full, 56 % after growing)."""
    return max(_SEG_MIN, int(n / (0.8 * _MAX_LOAD)) + 1)


@nb.njit(inline="always")
def _lookup(tabs, key, mark, cnt, stamp, cand, ncand, count):
    """Append the articles filed under ``key`` to ``cand`` (once per query); when
    ``count``, add one to their shared-sample counter.  Also returns the empty slot that
    ends the probe, how many articles the key has (for a later insert) and the latest of
    them."""
    tag = key >> np.uint64(32)
    tab = tabs[_seg(tag)]
    tcap = tab.shape[0]
    s = _home(tag, tcap)
    seen = 0
    last = -1
    while tab[s] != 0:
        v = tab[s]
        if (v >> np.uint64(32)) == tag:
            seen += 1
            c = np.int64(v & np.uint64(0xFFFFFFFF)) - 1
            last = max(last, c)
            if mark[c] != stamp:
                mark[c] = stamp
                cnt[c] = 0
                if ncand == cand.shape[0]:
                    cand = np.concatenate((cand, np.empty(ncand, dtype=np.int64)))
                cand[ncand] = c
                ncand += 1
            if count:
                cnt[c] += 1
        s += 1
        if s == tcap:
            s = 0
    return cand, ncand, s, seen, last


@nb.njit(inline="always")
def _insert_at(tab, key, doc, s, seen, cap):
    """Insert (key -> doc) into its segment ``tab`` probing from slot ``s`` (where its
    lookup ended, or its home slot)."""
    if seen >= cap:
        return 0
    tcap = tab.shape[0]
    tag = key >> np.uint64(32)
    while tab[s] != 0:
        s += 1
        if s == tcap:
            s = 0
    tab[s] = (tag << np.uint64(32)) | np.uint64(doc + 1)
    return 1


@nb.njit(inline="always")
def _band_key(sig_row, b, rows):
    h = np.uint64(b + 1) * _M2
    base = b * rows
    for j in range(rows):
        h = _mix64(h * _P2 + np.uint64(sig_row[base + j]))
    return _mix64(h)


@nb.njit(cache=True)
def _run_batch(
    # index state
    sigs, nsh, nsamp, dates, alive, dig, tabs, seg_n, mark, cnt, n0, stamp0,
    # batch
    b_sigs, b_nsh, b_dig, b_samp, b_soffs, b_dates,
    # parameters
    bands, rows, threshold, containment, min_shingles, max_postings, insert,
    # outputs
    out_of, out_kind, out_sim,
):
    """Query (and, when ``insert``, add) each batch document in order. Returns the number
    of table entries added."""
    k = sigs.shape[1]
    nb_ = b_sigs.shape[0]
    added = 0
    cand = np.empty(1024, dtype=np.int64)
    keys = np.empty(1024, dtype=np.uint64)
    kpos = np.empty(1024, dtype=np.int64)
    kseen = np.empty(1024, dtype=np.int64)
    sat_last = np.empty(1024, dtype=np.int64)
    seg_need = np.zeros(_NSEG, dtype=np.int64)
    seg_grown = np.zeros(_NSEG, dtype=np.uint8)
    for q in range(nb_):
        stamp = stamp0 + q + 1  # marks which candidates this query has already seen
        ncand = 0
        ns_all = b_soffs[q + 1] - b_soffs[q]
        ns_q = ns_all
        n_q = b_nsh[q]
        # ---- gather candidates: exact key, LSH bands, then sampled shingles (counted)
        nk = 0
        if keys.shape[0] < 1 + bands + ns_all:
            keys = np.empty(2 * (1 + bands + ns_all), dtype=np.uint64)
            kpos = np.empty(keys.shape[0], dtype=np.int64)
            kseen = np.empty(keys.shape[0], dtype=np.int64)
            sat_last = np.empty(keys.shape[0], dtype=np.int64)
        keys[nk] = _mix64(b_dig[q, 0] ^ _SALT_EXACT)
        cand, ncand, kpos[nk], kseen[nk], _ = _lookup(tabs, keys[nk], mark, cnt, stamp, cand,
                                                      ncand, False)
        nk += 1
        if n_q > 0:
            for b in range(bands):
                keys[nk] = _band_key(b_sigs[q], b, rows)
                cand, ncand, kpos[nk], kseen[nk], _ = _lookup(tabs, keys[nk], mark, cnt,
                                                              stamp, cand, ncand, False)
                nk += 1
        nband = ncand  # candidates before this index came from exact/band keys
        k_samp = nk
        nsat = 0  # sampled shingles whose key is full: only its first arrivals are filed
        for j in range(b_soffs[q], b_soffs[q + 1]):
            keys[nk] = _mix64(b_samp[j] ^ _SALT_SAMPLE)
            cand, ncand, kpos[nk], kseen[nk], last = _lookup(tabs, keys[nk], mark, cnt, stamp,
                                                             cand, ncand, True)
            if kseen[nk] >= max_postings:
                sat_last[nsat] = last
                nsat += 1
            nk += 1
        # ---- verify
        best = -1
        best_kind = -1
        best_sim = 0.0
        for ci in range(ncand):
            c = cand[ci]
            if alive[c] == 0:
                continue
            kind = -1
            sim = 0.0
            if dig[c, 0] == b_dig[q, 0] and dig[c, 1] == b_dig[q, 1]:
                kind = 0
                sim = 1.0
            elif n_q > 0 and nsh[c] > 0:
                shared = cnt[c]
                ns_c = nsamp[c]  # c's sampled shingles that are filed under c
                # q's sampled shingles under which c would be filed if c had them: not
                # those whose key was already full when c arrived
                ns_q = ns_all
                for t in range(nsat):
                    if sat_last[t] < c:
                        ns_q -= 1
                if ci >= nband:
                    lim = 0.4 * containment * min(ns_q, ns_c)
                    if shared < 1 or shared < lim:
                        continue
                eq = 0
                for j in range(k):
                    if sigs[c, j] == b_sigs[q, j]:
                        eq += 1
                jm = eq / k
                union_s = ns_q + ns_c - shared
                if union_s > 0:
                    js = shared / union_s
                    jj = (k * jm + union_s * js) / (k + union_s)
                else:
                    jj = jm
                if jj >= threshold:
                    kind = 1
                    sim = jj
                else:
                    # containment of q in c (cq) and of c in q (cc)
                    nq = float(n_q)
                    nc = float(nsh[c])
                    jmc = min(max(jm, 1.0 / k), 1.0 - 1.0 / k)
                    inter = jm * (nq + nc) / (1.0 + jm)
                    var_j = jmc * (1.0 - jmc) / k
                    dd = (nq + nc) / ((1.0 + jm) * (1.0 + jm))
                    cq_m = min(1.0, inter / nq)
                    cc_m = min(1.0, inter / nc)
                    vq_m = var_j * (dd / nq) ** 2 + 1e-6
                    vc_m = var_j * (dd / nc) ** 2 + 1e-6
                    if ns_q > 0:
                        cq_s = shared / ns_q
                        p = min(max(0.5 * (cq_s + cq_m), 0.05), 0.95)
                        vq_s = p * (1.0 - p) / ns_q
                        cq = (cq_s / vq_s + cq_m / vq_m) / (1.0 / vq_s + 1.0 / vq_m)
                    else:
                        cq = cq_m
                    if ns_c > 0:
                        cc_s = shared / ns_c
                        p = min(max(0.5 * (cc_s + cc_m), 0.05), 0.95)
                        vc_s = p * (1.0 - p) / ns_c
                        cc = (cc_s / vc_s + cc_m / vc_m) / (1.0 / vc_s + 1.0 / vc_m)
                    else:
                        cc = cc_m
                    okq = cq >= containment and n_q >= min_shingles
                    okc = cc >= containment and nsh[c] >= min_shingles
                    if okq and (not okc or n_q <= nsh[c]):
                        kind = 2
                        sim = min(cq, 1.0)
                    elif okc:
                        kind = 3
                        sim = min(cc, 1.0)
            if kind < 0:
                continue
            if best < 0 or dates[c] < dates[best] or (dates[c] == dates[best] and c < best):
                best = c
                best_kind = kind
                best_sim = sim
        out_of[q] = best
        out_kind[q] = best_kind
        out_sim[q] = best_sim
        if not insert:
            continue
        # ---- add
        i = n0 + q
        sigs[i] = b_sigs[q]
        nsh[i] = n_q
        dates[i] = b_dates[q]
        alive[i] = 1
        dig[i, 0] = b_dig[q, 0]
        dig[i, 1] = b_dig[q, 1]
        # grow (alone) each segment this article's keys would push past the load limit
        for j in range(nk):
            seg_need[_seg(keys[j] >> np.uint64(32))] += 1
        for g in range(_NSEG):
            if seg_need[g] > 0:
                old = tabs[g]
                if seg_n[g] + seg_need[g] > _MAX_LOAD * old.shape[0]:
                    new_cap = max(old.shape[0] + old.shape[0] // 4,
                                  np.int64((seg_n[g] + seg_need[g]) / (0.8 * _MAX_LOAD)) + 1)
                    new = np.zeros(new_cap, dtype=np.uint64)
                    _rehash(old, new)
                    tabs[g] = new
                    seg_grown[g] = 1
                seg_need[g] = 0
        filed = 0
        for j in range(nk):
            tag = keys[j] >> np.uint64(32)
            g = _seg(tag)
            tab = tabs[g]
            start = kpos[j] if seg_grown[g] == 0 else _home(tag, tab.shape[0])
            ok = _insert_at(tab, keys[j], i, start, kseen[j], max_postings)
            seg_n[g] += ok
            added += ok
            if j >= k_samp:
                filed += ok
        for j in range(nk):
            seg_grown[_seg(keys[j] >> np.uint64(32))] = 0
        nsamp[i] = filed
    return added


_SERIAL_BELOW = 33  # fingerprinting works in parallel blocks of 32 texts; fewer make one block


def _fingerprints(texts, num_perm: int, shingle: int, sample_mod: int) -> Fingerprints:
    """:func:`fingerprints`, run on the calling thread alone for a small batch (one block).

    A batch of one article (a single add) gains nothing from the thread pool, and waking the
    pool's sleeping threads costs milliseconds when the cores are busy (measured: 7-8 ms
    against 0.4 ms per single-article call on a loaded 2-core machine). Same results."""
    if len(texts) >= _SERIAL_BELOW:
        return fingerprints(texts, num_perm, shingle, sample_mod)
    before = nb.get_num_threads()
    nb.set_num_threads(1)
    try:
        return fingerprints(texts, num_perm, shingle, sample_mod)
    finally:
        nb.set_num_threads(before)


@functools.lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) with bands·rows ≤ num_perm minimising the summed probability mass of
    false positives below and false negatives above ``threshold`` (equal weights).

    >>> lsh_params(0.8, 128)
    (9, 13)
    """
    xs = np.linspace(0.0, 1.0, 201)
    below, above = xs <= threshold, xs >= threshold
    best, best_err = (1, num_perm), math.inf
    for r in range(1, num_perm + 1):
        for b in range(1, num_perm // r + 1):
            p = 1.0 - (1.0 - xs ** r) ** b
            fp = np.trapezoid(p[below], xs[below]) if below.sum() > 1 else 0.0
            fn = np.trapezoid(1.0 - p[above], xs[above]) if above.sum() > 1 else 0.0
            if fp + fn < best_err:
                best, best_err = (b, r), fp + fn
    return best


def _parse_date(date: str | None, doc_id: str) -> int:
    if date is None or date == "":
        return _NO_DATE
    s = str(date)
    try:
        y, m, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
        if s[4] != "-" or s[7] != "-" or not (1 <= m <= 12 and 1 <= d <= 31):
            raise ValueError
    except (ValueError, IndexError):
        raise ValidationError(
            f"date {date!r} of document {doc_id!r} is not an ISO date (YYYY-MM-DD); "
            "fix it or pass None") from None
    return y * 10000 + m * 100 + d


class DedupIndex:
    """An incremental index of articles that finds exact copies, near copies and
    containment (see the module docstring for the method).

    ``threshold``: Jaccard similarity (3-word shingles) at or above which two texts are
    near copies.  ``containment``: share of a text's shingles found in another at or above
    which it counts as contained in it.  ``min_words``: texts shorter than this (in
    shingles) are never reported as contained/containing (exact and near still apply).
    ``num_perm``: signature length.  ``shingle``: words per shingle.  ``sample_mod``: one
    shingle in ``sample_mod`` (by hash) is indexed for containment.  ``max_postings``:
    articles kept per key.  ``bands``/``rows``: LSH banding (default: :func:`lsh_params`).

    >>> idx = DedupIndex(threshold=0.8, containment=0.7)
    >>> idx.add_many(["x", "y"], ["one two three four five", "One  TWO three four five"])
    [None, DupMatch(of='x', kind='exact', similarity=1.0)]
    """

    def __init__(self, threshold: float = 0.8, containment: float = 0.7, num_perm: int =
                 DEFAULT_NUM_PERM, shingle: int = DEFAULT_SHINGLE, sample_mod: int =
                 DEFAULT_SAMPLE_MOD, min_words: int = 25, max_postings: int = 16,
                 bands: int | None = None, rows: int | None = None):
        if not (0.0 < threshold <= 1.0):
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if not (0.0 < containment <= 1.0):
            raise ValueError(f"containment must be in (0, 1], got {containment}")
        if (bands is None) != (rows is None):
            raise ValueError("give both bands and rows, or neither")
        if bands is None:
            bands, rows = lsh_params(threshold, num_perm)
        if bands * rows > num_perm:
            raise ValueError(f"bands*rows = {bands * rows} exceeds num_perm = {num_perm}")
        self.threshold = float(threshold)
        self.containment = float(containment)
        self.num_perm = int(num_perm)
        self.shingle = int(shingle)
        self.sample_mod = int(sample_mod)
        self.min_words = int(min_words)
        self.max_postings = int(max_postings)
        self.bands = int(bands)
        self.rows = int(rows)
        _check_params(self.num_perm, self.shingle, self.sample_mod)  # no kernel call (woke numba's pool)
        self._n = 0
        self._stamp = 0
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._alloc_docs(1024)
        self._seg_n = np.zeros(_NSEG, dtype=np.int64)
        self._tabs = self._new_tabs([_SEG_MIN] * _NSEG)

    # ------------------------------------------------------------------ storage
    def _alloc_docs(self, cap: int) -> None:
        k = self.num_perm
        self._sigs = np.zeros((cap, k), dtype=np.uint16)
        self._nsh = np.zeros(cap, dtype=np.int32)
        self._nsamp = np.zeros(cap, dtype=np.int32)
        self._dates = np.zeros(cap, dtype=np.int32)
        self._alive = np.zeros(cap, dtype=np.uint8)
        self._dig = np.zeros((cap, 2), dtype=np.uint64)
        self._mark = np.zeros(cap, dtype=np.int64)
        self._cnt = np.zeros(cap, dtype=np.int32)

    def _ensure_docs(self, extra: int) -> None:
        """Grow the per-article columns in place, by an eighth (at least 4096 rows) at a time.

        ``ndarray.resize`` reallocates (large blocks are remapped by the OS, not copied) and
        zero-fills only the new rows, so growing never holds the old and a doubled copy at once
        and never leaves more than ~12 % of the columns unused."""
        need = self._n + extra
        cap = self._sigs.shape[0]
        if need <= cap:
            return
        new = max(need, cap + max(cap // 8, 4096))
        for name in ("_sigs", "_nsh", "_nsamp", "_dates", "_alive", "_dig", "_mark", "_cnt"):
            a = getattr(self, name)
            a.resize((new,) + a.shape[1:], refcheck=False)  # no views of these outlive a call

    @staticmethod
    def _new_tabs(caps) -> "NbList":
        tabs = NbList()
        for c in caps:
            tabs.append(np.zeros(int(c), dtype=np.uint64))
        return tabs

    # ------------------------------------------------------------------ core
    def _run(self, fp: Fingerprints, dates: np.ndarray, insert: bool):
        m = len(fp)
        if insert:
            self._ensure_docs(m)  # the table's segments grow inside _run_batch, one at a time
        out_of = np.empty(m, dtype=np.int64)
        out_kind = np.empty(m, dtype=np.int8)
        out_sim = np.empty(m, dtype=np.float64)
        added = _run_batch(
            self._sigs, self._nsh, self._nsamp, self._dates, self._alive, self._dig,
            self._tabs, self._seg_n, self._mark, self._cnt, self._n, self._stamp,
            fp.sigs, fp.nshingles, fp.digest, fp.samples, fp.sample_offsets, dates,
            self.bands, self.rows, self.threshold, self.containment,
            max(1, self.min_words - self.shingle + 1), self.max_postings, insert,
            out_of, out_kind, out_sim)
        self._stamp += m
        return out_of, out_kind, out_sim

    def _matches(self, out_of, out_kind, out_sim) -> list[DupMatch | None]:
        ids = self._ids
        res: list[DupMatch | None] = [None] * len(out_of)
        for i in np.flatnonzero(out_of >= 0).tolist():
            res[i] = DupMatch(of=ids[int(out_of[i])], kind=KINDS[int(out_kind[i])],
                              similarity=round(float(out_sim[i]), 4))
        return res

    # ------------------------------------------------------------------ public API
    def add_many(self, ids: Sequence[str], texts: Sequence[str],
                 dates: Sequence[str | None] | None = None,
                 batch_size: int = 8192) -> list[DupMatch | None]:
        """Query and add many articles, in order; the same results as calling
        :meth:`query_add` for each in turn, but much faster.

        >>> idx = DedupIndex()
        >>> idx.add_many(["a", "b"], ["same words here", "Same  WORDS here"], ["2024-02-02", None])
        [None, DupMatch(of='a', kind='exact', similarity=1.0)]
        """
        ids = list(ids)
        if len(ids) != len(texts) or (dates is not None and len(dates) != len(ids)):
            raise ValueError("ids, texts and dates must have the same length")
        seen = set()
        for d in ids:
            if d in self._pos or d in seen:
                raise ValueError(f"document id {d!r} is already in the index; ids must be unique")
            seen.add(d)
        date_ints = np.array([_NO_DATE if dates is None else _parse_date(dates[i], ids[i])
                              for i in range(len(ids))], dtype=np.int32)
        res: list[DupMatch | None] = []
        for a in range(0, len(ids), batch_size):
            chunk = ids[a:a + batch_size]
            fp = _fingerprints(texts[a:a + batch_size], self.num_perm, self.shingle,
                               self.sample_mod)
            out = self._run(fp, date_ints[a:a + batch_size], insert=True)
            for j, d in enumerate(chunk):
                self._pos[d] = self._n + j
            self._ids.extend(chunk)
            self._n += len(chunk)
            res.extend(self._matches(*out))
        return res

    def query_add(self, doc_id: str, text: str, date: str | None = None) -> DupMatch | None:
        """Check one article against everything added before, then add it.

        >>> idx = DedupIndex()
        >>> idx.query_add("a", "a b c d e f g h i j k l m n o p") is None
        True
        >>> idx.query_add("b", "a b c d e f g h i j k l m n o p")
        DupMatch(of='a', kind='exact', similarity=1.0)
        """
        return self.add_many([doc_id], [text], [date])[0]

    def query(self, text: str) -> DupMatch | None:
        """Check a text against the index without adding it.

        >>> idx = DedupIndex(); _ = idx.query_add("a", "one two three four")
        >>> idx.query("ONE two three four").kind
        'exact'
        """
        fp = _fingerprints([text], self.num_perm, self.shingle, self.sample_mod)
        return self._matches(*self._run(fp, np.array([_NO_DATE], np.int32), insert=False))[0]

    def remove(self, doc_id: str) -> None:
        """Forget an article: it is never reported again (its table entries stay, dead).

        >>> idx = DedupIndex(); _ = idx.query_add("a", "one two three four")
        >>> idx.remove("a"); len(idx), idx.query("one two three four")
        (0, None)
        """
        i = self._pos.pop(doc_id, None)
        if i is None:
            raise KeyError(f"document id {doc_id!r} is not in the index")
        self._alive[i] = 0

    def __len__(self) -> int:
        return len(self._pos)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._pos

    def memory_bytes(self) -> int:
        """Bytes held by the index's arrays (ids and the id map excluded).

        >>> DedupIndex().memory_bytes() > 0
        True
        """
        arrs = (self._sigs, self._nsh, self._nsamp, self._dates, self._alive, self._dig,
                self._mark, self._cnt)
        return int(sum(a.nbytes for a in arrs)) + int(sum(t.nbytes for t in self._tabs))

    # ------------------------------------------------------------------ persistence
    def _params(self) -> dict:
        return {"threshold": self.threshold, "containment": self.containment,
                "num_perm": self.num_perm, "shingle": self.shingle,
                "sample_mod": self.sample_mod, "min_words": self.min_words,
                "max_postings": self.max_postings, "bands": self.bands, "rows": self.rows}

    def to_bytes(self) -> bytes:
        """Serialise the whole index (restore with :meth:`from_bytes`).

        >>> idx = DedupIndex(); _ = idx.query_add("a", "one two three four")
        >>> DedupIndex.from_bytes(idx.to_bytes()).query("one two three four").of
        'a'
        """
        bio = io.BytesIO()
        self.write_to(bio)
        return bio.getvalue()

    def write_to(self, f) -> None:
        """Write the index to a binary file object (an ``.npz`` of plain arrays; see :meth:`to_bytes`)."""
        import zipfile

        n = self._n
        meta = {"format": _FORMAT, "params": self._params(), "n": n, "segments": _NSEG}
        # the same members as np.savez writes, but the ids are streamed in blocks: their
        # encoded copy (~50 MB at a million articles) is never built whole
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            def put(name: str, arr) -> None:
                with zf.open(name + ".npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, np.asanyarray(arr), allow_pickle=False)

            put("meta", np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
            lens = np.fromiter((len(s.encode("utf-8", "surrogatepass")) if not s.isascii() else len(s)
                                for s in self._ids), dtype=np.int64, count=n)
            id_offs = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lens, out=id_offs[1:])
            del lens
            with zf.open("ids.npy", "w", force_zip64=True) as out:
                np.lib.format.write_array_header_1_0(
                    out, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)),
                          "fortran_order": False, "shape": (int(id_offs[-1]),)})
                for a in range(0, n, 65536):
                    out.write("".join(self._ids[a:a + 65536]).encode("utf-8", "surrogatepass"))
            put("id_offs", id_offs)
            for name, arr in (("sigs", self._sigs[:n]), ("nsh", self._nsh[:n]),
                              ("nsamp", self._nsamp[:n]), ("dates", self._dates[:n]),
                              ("alive", self._alive[:n]), ("dig", self._dig[:n]),
                              ("seg_n", self._seg_n)):
                put(name, arr)
            for g, tab in enumerate(self._tabs):
                put(f"tab.{g}", tab)

    @classmethod
    def from_bytes(cls, data: bytes) -> "DedupIndex":
        """Rebuild an index saved with :meth:`to_bytes`.

        >>> len(DedupIndex.from_bytes(DedupIndex().to_bytes()))
        0
        """
        return cls.read_from(io.BytesIO(data))

    @classmethod
    def read_from(cls, f) -> "DedupIndex":
        """Rebuild an index from a seekable binary file written by :meth:`write_to`."""
        try:
            z = np.load(f, allow_pickle=False)
            meta = json.loads(bytes(z["meta"]).decode())
        except Exception as e:  # noqa: BLE001 - any decoding failure means bad bytes
            raise ValueError(f"not a serialised DedupIndex ({e})") from None
        if meta.get("format") not in (_FORMAT, 1):
            raise ValueError(f"unsupported DedupIndex format {meta.get('format')!r}")
        self = cls(**meta["params"])
        n = int(meta["n"])
        self._alloc_docs(max(n, 1024))
        for name, dst in (("sigs", self._sigs), ("nsh", self._nsh), ("nsamp", self._nsamp),
                          ("dates", self._dates), ("alive", self._alive), ("dig", self._dig)):
            dst[:n] = z[name]
        if meta["format"] == 1:  # one array: file its entries into segments
            flat = z["tab"]
            counts = np.zeros(_NSEG, dtype=np.int64)
            _split_flat(flat, counts)
            self._tabs = self._new_tabs([_seg_capacity(int(c)) for c in counts])
            _fill_segments(flat, self._tabs)
            self._seg_n = counts
            del flat
        else:
            self._seg_n = z["seg_n"].astype(np.int64)
            tabs = NbList()
            for g in range(_NSEG):
                tabs.append(z[f"tab.{g}"].copy())
            self._tabs = tabs
        raw = bytes(z["ids"])
        offs = z["id_offs"]
        self._ids = [raw[offs[i]:offs[i + 1]].decode("utf-8", "surrogatepass") for i in range(n)]
        self._n = n
        alive = self._alive
        self._pos = {d: i for i, d in enumerate(self._ids) if alive[i]}
        return self

    def __repr__(self) -> str:
        return (f"DedupIndex({len(self)} docs, threshold={self.threshold}, "
                f"containment={self.containment}, num_perm={self.num_perm}, "
                f"bands={self.bands}x{self.rows})")

    @property
    def ids(self) -> Iterable[str]:
        """Ids of the articles in the index, in arrival order."""
        pos = self._pos
        return (d for i, d in enumerate(self._ids) if pos.get(d) == i)
