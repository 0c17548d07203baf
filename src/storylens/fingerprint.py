"""Text fingerprints: normalisation, word tokens, shingles and MinHash signatures.

Duplicate detection (:mod:`storylens.dedup`) works on what this module computes:

* :func:`normalize` — NFKC, curly quotes made straight, dashes made ``-``, lower case,
  whitespace collapsed.  Two texts that differ only in those ways are *exact* copies and
  have the same :func:`content_hash`.
* :func:`tokens` — normalised word tokens; dots and apostrophes inside a word are dropped,
  so ``"U.S."`` and ``"US"`` are both ``"us"`` and ``Iraq’s`` == ``Iraq's`` == ``iraqs``.
  A word is a run of ASCII letters/digits or non-ASCII characters.
* shingles — hashes of ``shingle`` (default 3) consecutive tokens.
* :func:`signature` / :func:`signatures` — one-permutation MinHash (OPH, one pass over the
  shingles, ``num_perm`` bins, optimal densification of empty bins) stored as 16-bit
  values ("b-bit MinHash", b = 16), so a signature costs ``2 * num_perm`` bytes.  The
  fraction of equal positions of two signatures estimates the Jaccard similarity of their
  shingle sets (the 16-bit truncation adds a bias of at most 2**-16).

The hot loop (tokenising, hashing, binning) runs in numba over one UTF-8 buffer holding a
whole batch, so a batch of ~500-word articles costs a few microseconds per article beyond
the Python-side ``str.lower``/``encode``.  Everything is deterministic: no seeds drawn at
run time, identical results across processes and machines.

>>> normalize("  “U.S.” strike —  Baghdad ")
'"u.s." strike - baghdad'
>>> tokens("The U.S.-led coalition’s mission")
['the', 'us', 'led', 'coalitions', 'mission']
>>> sig = signature("a drone strike in eastern Baghdad killed a commander")
>>> sig.shape, sig.dtype.name
((128,), 'uint16')
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numba as nb
import numpy as np

__all__ = [
    "normalize",
    "content_hash",
    "tokens",
    "shingle_hashes",
    "signature",
    "signatures",
    "jaccard_estimate",
    "Fingerprints",
    "fingerprints",
    "DEFAULT_NUM_PERM",
    "DEFAULT_SHINGLE",
    "DEFAULT_SAMPLE_MOD",
]

DEFAULT_NUM_PERM = 128
DEFAULT_SHINGLE = 3
DEFAULT_SAMPLE_MOD = 16

# --------------------------------------------------------------------------- normalise

# Non-ASCII punctuation folded to ASCII (after NFKC, which already folds ellipsis,
# full-width forms, ligatures and no-break spaces).
_FOLD = {
    **{c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02bb\u00b4\u0060"},
    **{c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u2039\u203a\u301d\u301e"},
    **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"},
    **{c: " " for c in "\u2022\u00b7\u2027\u2219\u25cf\u25aa\u00a0\u2028\u2029\u0085\u1680\u3000"},
    **{c: "" for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad"},
}
_FOLD_RE = re.compile("[" + "".join(sorted(_FOLD)) + r"]|[^\S\x00-\x7f]")


def _fold(m: re.Match) -> str:
    return _FOLD.get(m.group(), " ")


def _prep(text: str) -> str:
    """NFKC + punctuation folding + lower case, whitespace left as is (the fast path)."""
    if not text.isascii():
        text = _FOLD_RE.sub(_fold, unicodedata.normalize("NFKC", text))
    return text.lower()


def normalize(text: str) -> str:
    """Return the text as compared for exact copies.

    NFKC; curly quotes, primes and guillemets become ``'`` or ``"``; every dash becomes
    ``-``; zero-width characters and soft hyphens go; lower case; runs of whitespace
    become one space; no leading or trailing space.  Other punctuation is kept.

    >>> normalize("Iraq’s  “factor\\u00a0for instability” — ARMY")
    'iraq\\'s "factor for instability" - army'
    """
    return " ".join(_prep(text).split())


# --------------------------------------------------------------------------- numba core

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_FNV = np.uint64(0x100000001B3)
_FNV0 = np.uint64(0xCBF29CE484222325)
_P2 = np.uint64(0x9E3779B97F4A7C15)
_SALT_SAMPLE = np.uint64(0xD6E8FEB86659FD93)


@nb.njit(inline="always")
def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


# byte classes: 0 whitespace, 1 word character, 2 joiner ('.' and "'"), 3 other
_CLS = np.full(256, 3, dtype=np.uint8)
_CLS[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = 0
_CLS[ord("a"):ord("z") + 1] = 1
_CLS[ord("A"):ord("Z") + 1] = 1
_CLS[ord("0"):ord("9") + 1] = 1
_CLS[128:] = 1
_CLS[ord(".")] = 2
_CLS[ord("'")] = 2
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A"):ord("Z") + 1] += 32


@nb.njit(cache=True)
def _scan(buf, start, end, out):
    """One pass over buf[start:end]: word hashes into ``out`` and a 128-bit digest of the
    text as :func:`normalize` writes it (ASCII letters are lower-cased here; other
    normalisation was done in Python).  Returns (number of words, digest_1, digest_2)."""
    cls = _CLS
    low = _LOWER
    n = 0
    inword = False
    inrun = False
    h = _FNV0
    r = _FNV0
    d1 = np.uint64(0x243F6A8885A308D3)
    d2 = np.uint64(0x13198A2E03707344)
    nruns = np.uint64(0)
    i = start
    while i < end:
        b = low[buf[i]]
        c = cls[b]
        if c == 0:
            if inrun:
                nruns += np.uint64(1)
                d1 = _mix64(d1 * _P2 + r)
                d2 = (d2 ^ _mix64(r + nruns * _M1)) * _M2
                inrun = False
            if inword:
                out[n] = _mix64(h)
                n += 1
                inword = False
        else:
            if not inrun:
                inrun = True
                r = _FNV0
            r = (r ^ np.uint64(b)) * _FNV
            if c == 1:
                if not inword:
                    inword = True
                    h = _FNV0
                h = (h ^ np.uint64(b)) * _FNV
            elif inword:
                # '.' or "'" between two word characters does not end the word (U.S, it's)
                if not (c == 2 and i + 1 < end and cls[buf[i + 1]] == 1):
                    out[n] = _mix64(h)
                    n += 1
                    inword = False
        i += 1
    if inrun:
        nruns += np.uint64(1)
        d1 = _mix64(d1 * _P2 + r)
        d2 = (d2 ^ _mix64(r + nruns * _M1)) * _M2
    if inword:
        out[n] = _mix64(h)
        n += 1
    return n, _mix64(d1 ^ nruns), _mix64(d2 + nruns)


@nb.njit(cache=True)
def _shingles_from_words(wh, nw, w, out):
    """Shingle hashes of nw word hashes (w words each); a text shorter than w words is one
    shingle.  Returns the number of shingles."""
    if nw == 0:
        return 0
    if nw < w:
        s = np.uint64(0)
        for j in range(nw):
            s = s * _P2 + wh[j]
        out[0] = _mix64(s + np.uint64(nw))
        return 1
    ns = nw - w + 1
    fin = np.uint64(w)
    for i in range(ns):
        s = wh[i]
        for j in range(1, w):
            s = s * _P2 + wh[i + j]
        out[i] = _mix64(s + fin)
    return ns


@nb.njit(cache=True)
def _oph(sh, ns, k, mins32, sig_row):
    """One-permutation MinHash of ns shingle hashes into k bins, densified, 16-bit."""
    empty = np.uint64(0xFFFFFFFFFFFFFFFF)
    for j in range(k):
        mins32[j] = empty
    kk = np.uint64(k)
    for i in range(ns):
        h = sh[i]
        b = ((h >> np.uint64(32)) * kk) >> np.uint64(32)
        v = h & np.uint64(0xFFFFFFFF)
        if v < mins32[b]:
            mins32[b] = v
    if ns == 0:
        for j in range(k):
            sig_row[j] = 0
        return
    # optimal densification (Shrivastava 2017): an empty bin copies the value of the
    # first non-empty bin on a fixed, text-independent pseudo-random probe sequence.
    for j in range(k):
        v = mins32[j]
        if v == empty:
            a = np.uint64(1)
            while True:
                c = _mix64(np.uint64(j) * _P2 + a * _M2) % kk
                if mins32[c] != empty:
                    v = mins32[c]
                    break
                a += np.uint64(1)
        sig_row[j] = np.uint16(_mix64(v) & np.uint64(0xFFFF))


@nb.njit(cache=True)
def _fp_one(buf, a, e, w, k, mod_mask, wh, sh, mins, tmp, sig_row):
    """Fingerprint buf[a:e]: fills sig_row and tmp[:m] (sorted distinct sampled shingle
    hashes); returns (shingles, digest_1, digest_2, m)."""
    nw, x1, x2 = _scan(buf, a, e, wh)
    ns = _shingles_from_words(wh, nw, w, sh)
    _oph(sh, ns, k, mins, sig_row)
    # content-defined sample: shingles whose (remixed) hash is 0 modulo sample_mod
    m = 0
    for i in range(ns):
        if (((sh[i] * _M2) >> np.uint64(40)) & mod_mask) == 0:
            tmp[m] = sh[i]
            m += 1
    if m > 1:
        tmp[:m].sort()
        u = 1
        for i in range(1, m):
            if tmp[i] != tmp[u - 1]:
                tmp[u] = tmp[i]
                u += 1
        m = u
    return ns, x1, x2, m


_BLOCK = 32


@nb.njit(cache=True, parallel=True)
def _fp_par(buf, offs, w, k, mod_mask, sigs, nsh, h1, h2, slot_offs, slots, counts):
    """Fingerprint every document of a batch in parallel blocks.  Samples go to each
    document's slot ``slots[slot_offs[d]:slot_offs[d + 1]]``; ``counts[d]`` is the true
    number (a document whose samples do not fit is redone by the caller)."""
    n = offs.shape[0] - 1
    nblk = (n + _BLOCK - 1) // _BLOCK
    for blk in nb.prange(nblk):
        d0 = blk * _BLOCK
        d1 = min(n, d0 + _BLOCK)
        maxlen = 0
        for d in range(d0, d1):
            maxlen = max(maxlen, offs[d + 1] - offs[d])
        wh = np.empty(maxlen // 2 + 2, dtype=np.uint64)
        sh = np.empty(maxlen // 2 + 2, dtype=np.uint64)
        tmp = np.empty(maxlen // 2 + 2, dtype=np.uint64)
        mins = np.empty(k, dtype=np.uint64)
        for d in range(d0, d1):
            ns, x1, x2, m = _fp_one(buf, offs[d], offs[d + 1], w, k, mod_mask, wh, sh, mins,
                                    tmp, sigs[d])
            nsh[d] = ns
            h1[d] = x1
            h2[d] = x2
            counts[d] = m
            if m <= slot_offs[d + 1] - slot_offs[d]:
                slots[slot_offs[d]:slot_offs[d] + m] = tmp[:m]


@nb.njit(cache=True)
def _fp_compact(buf, offs, w, k, mod_mask, slot_offs, slots, counts, samp_offs):
    """Gather the per-document sample slots into one array (redoing any overflow)."""
    n = offs.shape[0] - 1
    total = 0
    for d in range(n):
        samp_offs[d + 1] = samp_offs[d] + counts[d]
    total = samp_offs[n]
    out = np.empty(total, dtype=np.uint64)
    sig = np.empty(k, dtype=np.uint16)
    mins = np.empty(k, dtype=np.uint64)
    for d in range(n):
        m = counts[d]
        if m <= slot_offs[d + 1] - slot_offs[d]:
            out[samp_offs[d]:samp_offs[d + 1]] = slots[slot_offs[d]:slot_offs[d] + m]
        else:
            L = offs[d + 1] - offs[d]
            wh = np.empty(L // 2 + 2, dtype=np.uint64)
            sh = np.empty(L // 2 + 2, dtype=np.uint64)
            tmp = np.empty(L // 2 + 2, dtype=np.uint64)
            _fp_one(buf, offs[d], offs[d + 1], w, k, mod_mask, wh, sh, mins, tmp, sig)
            out[samp_offs[d]:samp_offs[d + 1]] = tmp[:m]
    return out


# --------------------------------------------------------------------------- Python API


@dataclass
class Fingerprints:
    """Everything duplicate detection needs about a batch of texts (row i = text i).

    ``sigs`` (n, num_perm) uint16 signatures; ``nshingles`` shingles per text (0 for a
    text without words); ``digest`` (n, 2) uint64 hash of the normalised text (exact
    copies); ``samples``/``sample_offsets`` the distinct shingle hashes of text i that are
    0 modulo ``sample_mod`` (a content-defined sample used for containment):
    ``samples[sample_offsets[i]:sample_offsets[i + 1]]``.
    """

    sigs: np.ndarray
    nshingles: np.ndarray
    digest: np.ndarray
    samples: np.ndarray
    sample_offsets: np.ndarray

    def __len__(self) -> int:
        return int(self.sigs.shape[0])


def _check_params(num_perm: int, shingle: int, sample_mod: int) -> None:
    if not (8 <= num_perm <= 4096):
        raise ValueError(f"num_perm must be between 8 and 4096, got {num_perm}")
    if not (1 <= shingle <= 16):
        raise ValueError(f"shingle must be between 1 and 16 words, got {shingle}")
    if sample_mod < 1 or sample_mod & (sample_mod - 1):
        raise ValueError(f"sample_mod must be a power of two, got {sample_mod}")


def fingerprints(
    texts: Sequence[str],
    num_perm: int = DEFAULT_NUM_PERM,
    shingle: int = DEFAULT_SHINGLE,
    sample_mod: int = DEFAULT_SAMPLE_MOD,
) -> Fingerprints:
    """Fingerprint a batch of texts in one pass (the fast path used by dedup).

    >>> fp = fingerprints(["one two three four", "", "one two three four"])
    >>> fp.sigs.shape, fp.nshingles.tolist(), bool((fp.digest[0] == fp.digest[2]).all())
    ((3, 128), [2, 0, 2], True)
    """
    _check_params(num_perm, shingle, sample_mod)
    n = len(texts)
    # ASCII texts go as they are: the kernel lower-cases A-Z itself
    enc = [t.encode() if t.isascii() else _prep(t).encode("utf-8", "surrogatepass")
           for t in texts]
    lens = np.fromiter((len(b) for b in enc), dtype=np.int64, count=n)
    offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=offs[1:])
    buf = np.frombuffer(b"".join(enc), dtype=np.uint8) if n else np.zeros(0, np.uint8)
    sigs = np.empty((n, num_perm), dtype=np.uint16)
    nsh = np.empty(n, dtype=np.int32)
    h1 = np.empty(n, dtype=np.uint64)
    h2 = np.empty(n, dtype=np.uint64)
    # per-document sample slots: 4x the expected count for ordinary prose
    slot_offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens // (2 * sample_mod) + 8, out=slot_offs[1:])
    slots = np.empty(int(slot_offs[-1]), dtype=np.uint64)
    counts = np.empty(n, dtype=np.int64)
    mask = np.uint64(sample_mod - 1)
    _fp_par(buf, offs, shingle, num_perm, mask, sigs, nsh, h1, h2, slot_offs, slots, counts)
    samp_offs = np.zeros(n + 1, dtype=np.int64)
    samples = _fp_compact(buf, offs, shingle, num_perm, mask, slot_offs, slots, counts,
                          samp_offs)
    return Fingerprints(sigs, nsh, np.stack([h1, h2], axis=1), samples, samp_offs)


def content_hash(text: str) -> str:
    """Hex hash (32 digits) of :func:`normalize` (text); equal for exact copies.

    >>> content_hash("Hello,  “World”") == content_hash('hello, "world"')
    True
    >>> len(content_hash(""))
    32
    """
    b = np.frombuffer(normalize(text).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    wh = np.empty(b.shape[0] // 2 + 2, dtype=np.uint64)
    _, x1, x2 = _scan(b, 0, b.shape[0], wh)
    return f"{int(x1):016x}{int(x2):016x}"


_TOKEN_RE = re.compile(r"[a-z0-9\x80-\U0010ffff]+(?:['.][a-z0-9\x80-\U0010ffff]+)*")


def tokens(text: str) -> list[str]:
    """Normalised word tokens (the units shingles are made of).

    >>> tokens("U.S. forces, US forces: “it’s” 3.5% — AL-Sudani")
    ['us', 'forces', 'us', 'forces', 'its', '35', 'al', 'sudani']
    """
    return [t.replace(".", "").replace("'", "") for t in _TOKEN_RE.findall(_prep(text))]


def shingle_hashes(text: str, shingle: int = DEFAULT_SHINGLE) -> np.ndarray:
    """64-bit hashes of the text's word shingles, in text order (duplicates kept).

    A text with fewer than ``shingle`` words has one shingle (all its words); an empty
    text has none.

    >>> len(shingle_hashes("a b c d e")), len(shingle_hashes("a b")), len(shingle_hashes(""))
    (3, 1, 0)
    """
    b = np.frombuffer(_prep(text).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    wh = np.empty(b.shape[0] // 2 + 2, dtype=np.uint64)
    nw, _, _ = _scan(b, 0, b.shape[0], wh)
    out = np.empty(max(nw, 1), dtype=np.uint64)
    ns = _shingles_from_words(wh, nw, shingle, out)
    return out[:ns].copy()


def signature(text: str, num_perm: int = DEFAULT_NUM_PERM,
              shingle: int = DEFAULT_SHINGLE) -> np.ndarray:
    """The text's MinHash signature: ``num_perm`` uint16 values (all 0 for a text
    without words).

    >>> a = signature("the army spokesperson said on thursday that repeated attacks")
    >>> b = signature("The army spokesperson said on Thursday that repeated attacks.")
    >>> bool((a == b).all())
    True
    """
    return signatures([text], num_perm=num_perm, shingle=shingle)[0][0]


def signatures(texts: Sequence[str], num_perm: int = DEFAULT_NUM_PERM,
               shingle: int = DEFAULT_SHINGLE) -> tuple[np.ndarray, np.ndarray]:
    """Signatures of many texts at once: ``(sigs, lengths)`` where ``sigs`` is a
    ``(len(texts), num_perm)`` uint16 array and ``lengths`` the number of shingles of each
    text (int32; 0 = no words, its signature row is meaningless).

    >>> sigs, lengths = signatures(["one two three four", ""])
    >>> sigs.shape, lengths.tolist()
    ((2, 128), [2, 0])
    """
    fp = fingerprints(texts, num_perm=num_perm, shingle=shingle)
    return fp.sigs, fp.nshingles


def jaccard_estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two texts' shingle sets from their signatures.

    >>> s = signatures(["a b c d e f g h i j", "a b c d e f g h i x"])[0]
    >>> 0.5 < jaccard_estimate(s[0], s[1]) < 1.0
    True
    """
    if sig_a.shape != sig_b.shape:
        raise ValueError("signatures differ in num_perm; compute both with the same settings")
    return float(np.count_nonzero(sig_a == sig_b)) / sig_a.shape[0]
