"""Online, time-aware story clustering: which articles report the same event.

Each article is assigned when it arrives and sees only the articles before it.
It becomes a sparse vector of TF-IDF weights over stemmed words plus cheap
named-entity features (capitalised name sequences, numbers); document
frequencies are updated incrementally. A story is the centroid (sum) of its
articles' unit vectors. Candidate stories come from an inverted index over the
article's rarest terms (bounded posting lists, newest stories first, and a time
window), so assignment costs the same against a store of a thousand or a
million articles. Similarity is the cosine to the story centroid times a time
decay on the distance in days between the article's date and the story's date
range. When an article sits close to two stories, the two are merged (story
fragments are a common failure of single-pass clustering).

>>> c = StoryClusterer()
>>> c.assign("a", "Quake kills 12 in Peru", "A strong earthquake struck Lima, Peru on Monday.", "2024-02-05")
('s000001', 0.0)
>>> c.assign("b", None, "Earthquake in Lima, Peru kills 12 people on Monday.", "2024-02-05")[0]
's000001'
>>> len(c)
1

An optional second pass, :meth:`StoryClusterer.refine`, re-clusters the most
recent articles offline: each is linked to its three nearest articles (cosine
of the same vectors, times the time decay) and Louvain communities of that graph
become the stories. Nearest neighbours are nearly always the same event even
where two events of one kind share names, places and wording (their centroids
blur; their closest articles do not), so the pass mainly splits such stories.
It never runs inside :meth:`~StoryClusterer.assign`.

Tokenising is one ``re.findall`` over the text; each distinct token is
classified and stemmed once and remembered (a bounded dictionary).

The default path uses no neural model: only regular expressions, a Snowball
stemmer (PyStemmer), dictionaries, and (for ``refine`` only) scipy sparse
products and networkx's Louvain.
"""
from __future__ import annotations

import heapq
import io
import json
from array import array
import math
import re
import sys
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from itertools import repeat
from operator import itemgetter, mul
from types import MappingProxyType

from .errors import NotFoundError, ValidationError

try:  # PyStemmer (C); falls back to the identity when it is missing
    import Stemmer as _PyStemmer

    _STEM = _PyStemmer.Stemmer("english").stemWord
except ImportError:  # pragma: no cover - PyStemmer is a declared dependency
    def _STEM(w: str) -> str:
        return w


__all__ = ["ClusterConfig", "StoryClusterer", "featurize", "text_date"]

_FORMAT = "storylens.cluster/3"
_FORMAT_2 = "storylens.cluster/2"  # read only (posting lists in the JSON header)
_FORMAT_JSON = "storylens.cluster/1"  # read only
_NO_DAY = -(2**62)  # a missing date in snapshot arrays
_SECTION = 16384  # stories per section of a snapshot (bounds the arrays built while writing)


@dataclass(frozen=True)
class ClusterConfig:
    """Every parameter of :class:`StoryClusterer`. The defaults are the one fixed
    configuration used for every corpus in ``bench/stories.py`` (chosen on the
    ECB+ topics 1-35 and GoogleNews dev sets; see docs/benchmarks.md).

    >>> ClusterConfig().threshold
    0.25
    """

    #: minimum (decayed) cosine between an article and a story centroid to join it
    threshold: float = 0.25
    #: an article whose second-best story also reaches this (decayed) cosine
    #: merges that story into the one it joined; 1.0 or more disables merging
    merge_threshold: float = 0.35
    #: weight multiplier of entity features (capitalised names, their parts)
    entity_weight: float = 2.0
    #: weight multiplier of number features (ages, counts, years, dates)
    number_weight: float = 1.0
    #: the title's terms count this many times (titles are short and dense)
    title_weight: float = 2.0
    #: days of date difference with no decay at all
    decay_grace_days: float = 3.0
    #: beyond the grace period similarity is multiplied by exp(-extra_days / tau)
    decay_tau_days: float = 10.0
    #: stories whose date range ends more than this many days before the article
    #: are not candidates (0 disables the window)
    window_days: float = 60.0
    #: number of an article's highest-weighted terms looked up in the inverted index
    query_terms: int = 24
    #: stories kept per posting list (newest first); bounds time per article
    max_postings: int = 50
    #: at most this many candidate stories are scored exactly
    max_candidates: int = 20
    #: terms that occur in more than this share of articles are not indexed
    #: (applies once ``min_docs_for_df_cut`` articles have been seen)
    max_df_ratio: float = 0.05
    min_docs_for_df_cut: int = 200
    #: a story centroid keeps at most this many terms (the heaviest)
    max_story_terms: int = 400
    #: terms of an article vector kept (the heaviest); bounds memory and time
    max_doc_terms: int = 200
    #: articles remembered per story as candidates for its central article
    central_pool: int = 6
    #: terms kept per article in that pool
    central_terms: int = 24
    #: stories whose date range ended more than ``window_days`` before the newest
    #: article are archived every this many articles: their centroid shrinks to
    #: ``archive_terms`` terms and their pool to the central article (bounded
    #: memory on long streams; they can no longer be candidates anyway)
    archive_every: int = 2000
    archive_terms: int = 40
    #: when ``published`` is missing, take a full date (``June 13, 2013``,
    #: ``13 June 2013``, ``2013-06-13``) from the article's first lines
    #: (``header_chars`` characters: the title/dateline/"Updated" area)
    text_dates: bool = False
    header_chars: int = 300
    #: contrastive re-scoring: the best candidate stories, taken until they hold
    #: this many articles, form the article's neighbourhood; each term's weight is
    #: multiplied by ``log((n+1)/(df+1)) ** contrast_alpha + contrast_eps`` with
    #: ``df`` its document frequency there, so words every neighbour shares (the
    #: kind of event: "pirates", "rehab") count less than what tells two events of
    #: the same kind apart (names, numbers, places). 0 disables it.
    contrast_docs: int = 0
    contrast_alpha: float = 0.5
    contrast_eps: float = 0.05
    #: at most this many stories form the neighbourhood
    contrast_stories: int = 10
    #: :meth:`StoryClusterer.refine` (an optional second pass) re-clusters the
    #: vectors of the most recent ``refine_docs`` articles (kept in memory and in
    #: snapshots; 0 disables keeping them): a graph links each article to its
    #: ``refine_k`` nearest articles (cosine times the time decay, at least
    #: ``refine_min_sim``) and Louvain communities (``refine_resolution``,
    #: deterministic ``refine_seed``) become the stories
    refine_docs: int = 20000
    refine_k: int = 3
    refine_min_sim: float = 0.15
    refine_resolution: float = 5.0
    refine_seed: int = 1
    #: refine() leaves the online result alone below this many kept articles
    #: (modularity with a high resolution splits tiny graphs into singletons)
    refine_min_docs: int = 20


# --------------------------------------------------------------------------- features

_STOP = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being below
    between both but by can cannot could did didn't do does doesn't doing don't down during each few for from further
    had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor not
    of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's should
    shouldn't so some such than that that's the their theirs them themselves then there there's these they they'd
    they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're we've were
    weren't what what's when when's where where's which while who who's whom why why's will with won't would
    wouldn't you you'd you'll you're you've your yours yourself yourselves said says say saying told tell according
    also just like would could one two new may might must shall us mr mrs ms dr per via yet still even much many
    well back get got go going went come came since around amid among another however whether including""".split()
)

# one pass over the text: words, numbers, and runs of punctuation (which end a
# capitalised name; ``.``/``!``/``?`` and line breaks also end a sentence)
_FIND = re.compile(r"\w+(?:['’\-.,:]\w+)*|[^\w\s]+|\n").findall

# token -> (kind, feature key, name part); kinds: 1 content word, 2 number,
# 0 stop word, 3 punctuation, 4 sentence end. Bounded: cleared when it grows too big.
_MEMO: dict[str, tuple[int, str | None, str | None]] = {}
_MEMO_MAX = 300_000
_WORD, _NUMBER, _STOPW, _PUNCT, _SENT = 1, 2, 0, 3, 4


def _classify(tok: str) -> tuple[int, str | None, str | None]:
    c = tok[0]
    if c.isdigit():
        e = (_NUMBER, "#" + tok.replace(",", ""), None)
    elif c.isalpha():
        low = tok.lower().replace("’", "'")
        if low in _STOP:
            e = (_STOPW, None, None)
        else:
            cap = (c.isupper() and not tok.isupper()) or (tok.isupper() and len(tok) > 1)
            e = (_WORD, _STEM(low.strip("'-")), low if cap else None)
    elif c == "\n" or "." in tok or "!" in tok or "?" in tok:
        e = (_SENT, None, None)
    else:
        e = (_PUNCT, None, None)
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[tok] = e
    return e


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """Word/number feature keys and ``@name`` keys of ``text``, with repeats."""
    memo_get = _MEMO.get
    keys: list[str] = []
    add = keys.append
    names: list[str] = []
    name: list[str] = []
    initial = False  # the current name started its sentence
    at_start = True
    for tok in _FIND(text):
        e = memo_get(tok) or _classify(tok)
        kind = e[0]
        if kind == 1:
            add(e[1])
            part = e[2]
            if part is not None:
                if not name:
                    initial = at_start
                name.append(part)
            elif name:
                _flush_name(name, initial, names)
                name = []
            at_start = False
            continue
        if name:
            _flush_name(name, initial, names)
            name = []
        if kind == 2:
            add(e[1])
            at_start = False
        elif kind == 0:
            at_start = False
        elif kind == 4:
            at_start = True
    if name:
        _flush_name(name, initial, names)
    return keys, names


def _flush_name(name: list[str], initial: bool, names: list[str]) -> None:
    if initial and len(name) == 1:
        return  # a lone capitalised word opening a sentence is usually not a name
    names.extend(["@" + part for part in name])
    if len(name) > 1:
        names.append("@" + " ".join(name))


def _count(out: dict[str, float], text: str, weight: float, cfg: "ClusterConfig") -> None:
    keys, names = _tokens(text)
    nw = cfg.number_weight
    if weight == 1.0 and nw == 1.0:
        for k, c in Counter(keys).items():
            out[k] = out.get(k, 0.0) + c
    else:
        for k, c in Counter(keys).items():
            out[k] = out.get(k, 0.0) + c * (weight * nw if k[0] == "#" else weight)
    ew = weight * cfg.entity_weight
    for k, c in Counter(names).items():
        out[k] = out.get(k, 0.0) + c * ew


def featurize(title: str | None, text: str, config: ClusterConfig | None = None) -> dict[str, float]:
    """Raw feature counts of one article: stemmed words, ``@name`` parts and phrases
    of capitalised sequences, ``#number`` tokens; title terms count ``title_weight`` times.

    >>> f = featurize(None, "Tara Reid checked into rehab at 33.")
    >>> f["@tara reid"], f["#33"], f["rehab"]
    (2.0, 1.0, 1.0)
    """
    cfg = config or ClusterConfig()
    out: dict[str, float] = {}
    if title:
        _count(out, title, cfg.title_weight, cfg)
    if text:
        _count(out, text, 1.0, cfg)
    return out


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
         ("nov", "november"), ("dec", "december")]
    )
    for m in names
}
_MON = r"(?P<{g}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_TEXT_DATE = re.compile(
    r"\b(?:" + _MON.format(g="m1") + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d\d)"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON.format(g="m2") + r",?\s+(?P<y2>(?:19|20)\d\d)"
    r"|(?P<y3>(?:19|20)\d\d)-(?P<m3>\d\d)-(?P<d3>\d\d))\b",
    re.IGNORECASE,
)


def text_date(text: str, limit: int = 300) -> str | None:
    """The first full calendar date in the first ``limit`` characters, as ISO.

    >>> text_date("Lohan leaves rehab\\nFirst Published: June 13, 2013 4:59 PM EDT\\nLindsay Lohan ...")
    '2013-06-13'
    >>> text_date("No date up here.") is None
    True
    """
    for m in _TEXT_DATE.finditer(text[:limit]):
        try:
            if m.group("y1"):
                d = date(int(m.group("y1")), _MONTHS[m.group("m1").lower()], int(m.group("d1")))
            elif m.group("y2"):
                d = date(int(m.group("y2")), _MONTHS[m.group("m2").lower()], int(m.group("d2")))
            else:
                d = date(int(m.group("y3")), int(m.group("m3")), int(m.group("d3")))
        except ValueError:
            continue
        return d.isoformat()
    return None


def _day(published: str | None, doc_id: str) -> int | None:
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError as e:
        raise ValidationError(
            f"article {doc_id!r}: published date {published!r} is not ISO YYYY-MM-DD; fix or omit the date"
        ) from e


# --------------------------------------------------------------------------- snapshots


class _Chain:
    """A re-iterable concatenation of lists (iterated twice by :func:`_write_strs`)."""

    __slots__ = ("lists",)

    def __init__(self, lists):
        self.lists = lists

    def __iter__(self):
        for x in self.lists:
            yield from x


def _write_strs(zf, name: str, strs) -> None:
    """Write strings as ``NAME_s.npy`` (UTF-8 bytes, concatenated) and ``NAME_so.npy`` (offsets)
    into an open zip file. ``strs`` is iterated twice (lengths, then bytes in blocks), so a
    column of a million strings is never held encoded at once."""
    import numpy as np

    enc = "utf-8"
    lens = array("q", [0])
    total = 0
    for x in strs:
        total += len(x.encode(enc, "surrogatepass")) if not x.isascii() else len(x)
        lens.append(total)
    with zf.open(name + "_s.npy", "w", force_zip64=True) as out:
        np.lib.format.write_array_header_1_0(
            out, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False,
                  "shape": (total,)})
        buf: list[bytes] = []
        size = 0
        written = 0
        for x in strs:
            b = x.encode(enc, "surrogatepass")
            buf.append(b)
            size += len(b)
            if size >= 1 << 22:
                out.write(b"".join(buf))
                written += size
                buf, size = [], 0
        out.write(b"".join(buf))
        written += size
        if written != total:
            raise RuntimeError(f"snapshot column {name!r} changed while it was written")
    with zf.open(name + "_so.npy", "w", force_zip64=True) as out:
        np.lib.format.write_array(out, np.frombuffer(lens, dtype=np.int64), allow_pickle=False)


# --------------------------------------------------------------------------- stories

_NO_SDF: "dict[str, int]" = MappingProxyType({})  # type: ignore[assignment]


class _Story:
    """A story's profile. The centroid is a dict while the story is live; a story of one
    article, or one archived, holds it *packed*: a tuple of terms and an ``array('f')`` of
    weights, about a sixth of a dict's memory. The weights are rounded to float32 there (a
    relative change under 1e-7, far below any threshold's margin; the second pass already
    scores in float32), which saves ~0.2 GB at a million articles. Reading :attr:`vec` unpacks it."""

    __slots__ = ("sid", "_vec", "_ct", "_cw", "norm2", "n", "first", "last", "pool", "members", "sdf")

    def __init__(self, sid: str):
        self.sid = sid
        self._vec: dict[str, float] | None = {}
        self._ct: tuple[str, ...] | None = None
        self._cw: array | None = None
        self.norm2 = 0.0
        self.n = 0
        self.first: int | None = None
        self.last: int | None = None
        # central-article candidates: (doc id, its heaviest terms); None while packed
        self.pool: list[tuple[str, dict[str, float] | None]] = []
        self.members: list[str] = []
        # term -> number of member articles that contain it (only kept with ``contrast_docs``);
        # the shared read-only empty mapping until a term is counted (saves a dict per story)
        self.sdf: dict[str, int] = _NO_SDF

    @property
    def vec(self) -> dict[str, float]:
        v = self._vec
        if v is None:
            v = self._vec = dict(zip(self._ct, self._cw))
            self._ct = self._cw = None
        return v

    @vec.setter
    def vec(self, v: dict[str, float]) -> None:
        self._vec = v
        self._ct = self._cw = None

    def nterms(self) -> int:
        return len(self._vec) if self._vec is not None else len(self._ct)

    def items(self):
        """(term, weight) pairs of the centroid, packed or not (does not unpack)."""
        return self._vec.items() if self._vec is not None else zip(self._ct, self._cw)

    def pack(self) -> None:
        v = self._vec
        if v is not None:
            intern = sys.intern
            self._ct = tuple([intern(t) for t in v])
            self._cw = array("f", v.values())
            self._vec = None
            self.pool = [(d, None) for d, _ in self.pool]

    def sim(self, doc: dict[str, float]) -> float:
        if self.norm2 <= 0.0:
            return 0.0
        v = self._vec
        if v is None:
            dot = sum(map(mul, self._cw, map(doc.get, self._ct, _ZEROS)))
            return dot / math.sqrt(self.norm2) if dot else 0.0
        common = doc.keys() & v.keys()
        if not common:
            return 0.0
        return sum([doc[t] * v[t] for t in common]) / math.sqrt(self.norm2)


_ZEROS = repeat(0.0)


def weigh(raw: Mapping[str, float], df: Mapping[str, int], n: int, config: ClusterConfig) -> dict[str, float]:
    """Unit TF-IDF vector of an article's raw feature counts (:func:`featurize`), given how
    many of the ``n`` articles seen so far, this one included, hold each term (``df``).
    The clusterer weighs every article with it as it arrives; Spark's second pass rebuilds
    the same vectors from the same counts.

    >>> v = weigh({"rehab": 1.0, "@tara": 2.0}, {"rehab": 9, "@tara": 1}, 10, ClusterConfig())
    >>> max(v, key=v.get), round(sum(w * w for w in v.values()), 6)
    ('@tara', 1.0)
    """
    log = math.log
    base = log(n + 1) + 1.0
    vec = {t: (1.0 + log(c) if c >= 1.0 else c) * (base - log(df[t])) for t, c in raw.items()}
    if len(vec) > config.max_doc_terms:
        vec = dict(heapq.nlargest(config.max_doc_terms, vec.items(), key=itemgetter(1)))
    norm = math.sqrt(sum([w * w for w in vec.values()])) or 1.0
    inv = 1.0 / norm
    return {t: w * inv for t, w in vec.items()}


def article_day(doc_id: str, text: str, published: str | None, config: ClusterConfig) -> int | None:
    """The day (proleptic ordinal) the clusterer files an article under: its published date,
    else (with ``text_dates``) the first date in its opening characters, else None.

    >>> article_day("a1", "Kyiv, 2 May 2024 - ...", None, ClusterConfig(text_dates=True)) == date(2024, 5, 2).toordinal()
    True
    >>> article_day("a1", "Kyiv, 2 May 2024 - ...", None, ClusterConfig()) is None   # text_dates is off by default
    True
    """
    if not published and config.text_dates:
        published = text_date(text, config.header_chars)
    return _day(published, doc_id)


def replay_vectors(ids: Sequence[str], titles: Sequence[str | None], texts: Sequence[str],
                   published: Sequence[str | None], df: Mapping[str, int], n_before: int,
                   config: ClusterConfig | None = None):
    """The vectors and days a clusterer gave these articles (in arrival order) as they
    arrived, rebuilt from ``df``: how many of the ``n_before`` articles that it saw before
    them hold each of their terms. Returns ``(terms, weights, days)`` lists as
    :func:`refine_groups` takes them. Spark's one second pass uses it, since no one
    clusterer there has seen every article.

    >>> a = StoryClusterer(); _ = a.assign("d1", None, "Rehab in Malibu.", None)
    >>> _ = a.assign("d2", None, "Malibu rehab again.", None)
    >>> terms, weights, days = replay_vectors(["d2"], [None], ["Malibu rehab again."], [None],
    ...                                       {"malibu": 1, "rehab": 1}, 1)
    >>> (terms[0], weights[0]) == (a._recent["d2"][0], list(a._recent["d2"][1]))
    True
    """
    cfg = config or ClusterConfig()
    counts = Counter(df)
    terms, weights, days = [], [], []
    n = n_before
    for aid, title, text, pub in zip(ids, titles, texts, published):
        text = text or ""
        raw = featurize(title, text, cfg)
        counts.update(raw.keys())
        n += 1
        vec = weigh(raw, counts, n, cfg)
        terms.append(tuple(vec))
        weights.append(list(vec.values()))
        days.append(article_day(aid, text, pub, cfg))
    return terms, weights, days


def refine_groups(terms: Sequence[Sequence[str]], weights: Sequence[Sequence[float]],
                  days: Sequence[int | None], old: Sequence[str],
                  config: ClusterConfig | None = None) -> list[tuple[list[int], str | None]]:
    """The second pass's grouping (:meth:`StoryClusterer.refine`), on plain data: article
    vectors (``terms`` with ``weights``), their days and current stories ``old``, all
    indexed alike. Returns the Louvain communities of the articles' nearest-neighbour
    graph (cosine times the time decay) as index lists, in order of their first index,
    each with the existing story it keeps (the one it overlaps most, each story kept by
    one community at most) or None (a new story); nothing below ``refine_min_docs``
    articles. The Spark path calls it once on the run's last ``refine_docs`` articles, as
    the single-machine run does.

    >>> refine_groups([("a", "b"), ("a", "b"), ("x", "y"), ("x", "y")], [(1.0, 1.0)] * 4, [1, 1, 1, 1],
    ...               ["s1", "s2", "s3", "s3"], ClusterConfig(refine_k=1, refine_resolution=1.0, refine_min_docs=2))
    [([0, 1], 's1'), ([2, 3], 's3')]
    """
    cfg = config or ClusterConfig()
    n = len(old)
    if n < max(2, cfg.refine_min_docs):
        return []
    import networkx as nx
    import numpy as np
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    data = array("d")
    day_arr = np.full(n, np.nan)
    for i in range(n):
        indices.extend([vocab.setdefault(t, len(vocab)) for t in terms[i]])
        data.extend(weights[i])
        indptr.append(len(indices))
        if days[i] is not None:
            day_arr[i] = days[i]
    x = csr_matrix((np.frombuffer(data, dtype=np.float64).astype(np.float32), indices, indptr), shape=(n, len(vocab)))
    xt = x.T.tocsr()
    k = max(1, min(cfg.refine_k, n - 1))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    block = max(1, 4_000_000 // max(n, 1))
    for a in range(0, n, block):
        b = min(n, a + block)
        sims = (x[a:b] @ xt).toarray()
        rows = np.arange(b - a)
        sims[rows, rows + a] = -1.0
        gap = np.abs(day_arr[a:b, None] - day_arr[None, :])
        known = ~np.isnan(gap)
        if known.any():
            extra = np.where(known, gap - cfg.decay_grace_days, 0.0)
            sims *= np.exp(-np.clip(extra, 0.0, None) / cfg.decay_tau_days)
            if cfg.window_days:
                sims[known & (gap > cfg.window_days)] = -1.0
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for r in range(b - a):
            for j in top[r]:
                sim = float(sims[r, j])
                if sim >= cfg.refine_min_sim:
                    g.add_edge(a + r, int(j), weight=sim)
    comms = nx.community.louvain_communities(g, weight="weight", resolution=cfg.refine_resolution,
                                             seed=cfg.refine_seed)
    comms = sorted((sorted(cm) for cm in comms), key=lambda cm: cm[0])
    overlap = Counter((ci, old[i]) for ci, cm in enumerate(comms) for i in cm)
    target: dict[int, str] = {}
    used: set[str] = set()
    for (ci, sid), _cnt in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1])):
        if ci not in target and sid not in used:
            target[ci] = sid
            used.add(sid)
    return [(cm, target.get(ci)) for ci, cm in enumerate(comms)]


class StoryClusterer:
    """Online story clustering; see the module docstring for the method.

    >>> c = StoryClusterer()
    >>> c.assign("x1", None, "Tara Reid checked into Promises rehab in Malibu.", None)
    ('s000001', 0.0)
    >>> c.assign("x2", None, "Lindsay Lohan left Betty Ford for a rehab in Malibu.", None)[0]
    's000002'
    >>> c.central_article("s000001")
    'x1'
    """

    def __init__(self, config: ClusterConfig | None = None):
        self.config = config or ClusterConfig()
        self._df: Counter = Counter()
        self._ndocs = 0
        self._next = 1
        self._stories: dict[str, _Story] = {}
        self._alias: dict[str, str] = {}  # merged story id -> the id it merged into
        self._doc_story: dict[str, str] = {}
        self._post: dict[str, list[str]] = {}  # term -> story ids, oldest first
        self._merges: list[tuple[str, str]] = []
        self._latest: int | None = None
        # doc id -> (terms, weights, day) of the most recent articles, for refine()
        self._recent: dict[str, tuple[tuple[str, ...], array, int | None]] = {}
        # stories that an archive pass may have to shrink: every story whose profile changed
        # (or was unpacked) since it was last archived or found small; the pass visits only these
        self._live: dict[str, _Story] = {}

    # ------------------------------------------------------------------ public API

    def __len__(self) -> int:
        return len(self._stories)

    def __contains__(self, story_id: object) -> bool:
        """True for a live story id and for the id of a story merged into another.

        >>> c = StoryClusterer(); _ = c.assign("d1", None, "Some text here.", None)
        >>> "s000001" in c, "s000002" in c
        (True, False)
        """
        return isinstance(story_id, str) and self.resolve(story_id) in self._stories

    def assign(
        self,
        doc_id: str,
        title: str | None,
        text: str,
        published: str | None,
        force_story: str | None = None,
        create_story: bool = False,
    ) -> tuple[str, float]:
        """Assign one article to a story and return ``(story_id, similarity)``.

        A new story (similarity 0.0) is opened when no story is close enough.
        ``force_story`` puts the article into that story (e.g. it duplicates an
        earlier article of it) and still updates the story's profile; with
        ``create_story`` a story of that id is created when it does not exist
        (the pipeline replays stored articles this way after a snapshot).

        >>> c = StoryClusterer()
        >>> c.assign("d1", None, "Flooding in Porto Alegre displaced 80,000 people.", "2024-05-06")
        ('s000001', 0.0)
        >>> c.assign("d2", None, "Unrelated words entirely.", None, force_story="s000001")[0]
        's000001'
        """
        cfg = self.config
        if doc_id in self._doc_story:
            return self.resolve(self._doc_story[doc_id]), 1.0
        day = article_day(doc_id, text, published, cfg)
        doc = self._vectorize(title, text)
        if cfg.refine_docs:
            self._keep_recent(doc_id, doc, day)
        if day is not None and (self._latest is None or day > self._latest):
            self._latest = day
        if cfg.archive_every and cfg.window_days and self._ndocs % cfg.archive_every == 0:
            self._archive()

        if force_story is not None:
            sid = self.resolve(force_story)
            if sid not in self._stories and create_story:
                self._adopt_id(sid)
            if sid not in self._stories:
                raise NotFoundError(f"story {force_story!r} does not exist; pass an id returned by assign()")
            st = self._stories[sid]
            sim = st.sim(doc)
            self._add(st, doc_id, doc, day)
            return sid, sim

        qterms = self._query_terms(doc)
        scored = self._score(doc, day, qterms)
        if scored and scored[0][0] >= cfg.threshold:
            sim, st = scored[0]
            self._add(st, doc_id, doc, day, qterms)
            for sim2, other in scored[1:]:
                if sim2 < cfg.merge_threshold:
                    break
                st = self._merge(st, other)
            return st.sid, sim
        st = self._new_story()
        self._add(st, doc_id, doc, day, qterms)
        return st.sid, 0.0

    def story_of(self, doc_id: str) -> str:
        """Current story id of an assigned article (follows merges).

        >>> c = StoryClusterer(); _ = c.assign("d1", None, "Some text here.", None)
        >>> c.story_of("d1")
        's000001'
        """
        if doc_id not in self._doc_story:
            raise NotFoundError(f"article {doc_id!r} was never assigned to a story; assign it first")
        return self.resolve(self._doc_story[doc_id])

    def resolve(self, story_id: str) -> str:
        """The live id of ``story_id``: itself, or the story it was merged into.

        >>> StoryClusterer().resolve("s000009")
        's000009'
        """
        while story_id in self._alias:
            story_id = self._alias[story_id]
        return story_id

    def pop_merges(self) -> list[tuple[str, str]]:
        """Return and forget the merges since the last call, as ``(gone_id, kept_id)``
        pairs in order; the pipeline relabels the articles of ``gone_id``.

        >>> StoryClusterer().pop_merges()
        []
        """
        out, self._merges = self._merges, []
        return out

    def members(self, story_id: str) -> list[str]:
        """Doc ids of a story in arrival order.

        >>> c = StoryClusterer(); _ = c.assign("d1", None, "Some text here.", None)
        >>> c.members("s000001")
        ['d1']
        """
        return list(self._get(story_id).members)

    def central_article(self, story_id: str) -> str:
        """Doc id of the story's most central article (highest cosine to the
        centroid among a small pool of the best candidates seen).

        >>> c = StoryClusterer(); _ = c.assign("d1", None, "Some text here.", None)
        >>> c.central_article("s000001")
        'd1'
        """
        st = self._get(story_id)
        if len(st.pool) == 1:
            return st.pool[0][0]
        self._fill_pool(st)
        best = max(st.pool, key=lambda p: st.sim(p[1]))  # first of equals wins
        return best[0]

    def document_frequencies(self, terms) -> dict[str, int]:
        """How many of the articles seen so far hold each of ``terms`` (those held by none
        are left out).

        >>> c = StoryClusterer(); _ = c.assign("d1", None, "Rehab in Malibu.", None)
        >>> c.document_frequencies(["rehab", "nowhere"])
        {'rehab': 1}
        """
        df = self._df
        return {t: df[t] for t in terms if t in df}

    def refine(self) -> list[tuple[str, str, str]]:
        """Second pass over the most recent ``refine_docs`` articles: re-cluster them
        with a nearest-neighbour graph and Louvain communities, move articles to
        match, and return the moves as ``(doc_id, old_story, new_story)``.

        The online :meth:`assign` path is unchanged; call this between batches
        (or at the end of a run) to split stories that joined two events of the
        same kind and to regroup fragments. Each community keeps the existing
        story it overlaps most; the others get new ids. A story left empty is
        merged into the story that received most of its articles (reported by
        :meth:`pop_merges`, like any merge). The grouping itself is
        :func:`refine_groups`.

        >>> c = StoryClusterer()
        >>> for i in range(3):
        ...     _ = c.assign(f"a{i}", None, f"Zorbel Quintaro won the Vellmar race number {i}.", None)
        >>> c.refine()  # fewer than refine_min_docs articles: nothing to do
        []
        """
        ids = [d for d in self._recent if d in self._doc_story]
        rec = [self._recent[d] for d in ids]
        old = [self.resolve(self._doc_story[d]) for d in ids]
        moves: list[tuple[str, str, str]] = []
        for cm, sid in refine_groups([r[0] for r in rec], [r[1] for r in rec], [r[2] for r in rec], old,
                                     self.config):
            if sid is None:
                sid = self._new_story().sid
            moves.extend((ids[i], old[i], sid) for i in cm if old[i] != sid)
        self._apply_moves(moves)
        return moves

    def to_bytes(self) -> bytes:
        """Serialise the whole state (see :meth:`write_to`; no pickle).

        >>> c = StoryClusterer(); _ = c.assign("d1", None, "Some text here.", None)
        >>> StoryClusterer.from_bytes(c.to_bytes()).story_of("d1")
        's000001'
        """
        bio = io.BytesIO()
        self.write_to(bio)
        return bio.getvalue()

    def write_to(self, f) -> None:
        """Write the whole state to a binary file object as an ``.npz`` of plain arrays: one
        vocabulary, term ids and float64 weights for every vector (values restored exactly),
        strings as UTF-8 with offsets, and a small JSON header; stories go in sections of
        :data:`_SECTION` so that writing never builds arrays for all of them at once.
        Load with :meth:`read_from` (or :meth:`from_bytes`).

        >>> bio = io.BytesIO(); StoryClusterer().write_to(bio); bio.getvalue()[:2]
        b'PK'
        """
        import zipfile

        import numpy as np

        vocab: dict[str, int] = {t: i for i, t in enumerate(self._df)}

        def tid(t: str) -> int:
            i = vocab.get(t)
            if i is None:
                i = vocab[t] = len(vocab)
            return i

        zf = zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True)

        def put(name: str, arr) -> None:
            with zf.open(name + ".npy", "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(arr), allow_pickle=False)

        def put_vecs(name: str, pairs_list) -> None:
            ids, ws, offs = array("i"), array("d"), array("q", [0])
            for pairs in pairs_list:
                if pairs is not None:
                    for t, w in pairs:
                        ids.append(tid(t))
                        ws.append(w)
                offs.append(len(ids) if pairs is not None else -1)
            put(name + "_t", np.frombuffer(ids, dtype=np.int32) if ids else np.zeros(0, np.int32))
            put(name + "_w", np.frombuffer(ws, dtype=np.float64) if ws else np.zeros(0))
            put(name + "_o", np.frombuffer(offs, dtype=np.int64))

        def put_strs(name: str, strs) -> None:
            _write_strs(zf, name, strs)

        none_day = _NO_DAY
        all_stories = list(self._stories.values())
        sections = 0
        for k in range(0, len(all_stories), _SECTION):
            stories = all_stories[k: k + _SECTION]
            x = f".{sections}"
            put_strs("sid" + x, [st.sid for st in stories])
            put_vecs("vec" + x, [st.items() for st in stories])
            put_vecs("sdf" + x, [st.sdf.items() for st in stories])
            put("packed" + x, np.array([st._vec is None for st in stories], dtype=np.uint8))
            put("norm2" + x, np.array([st.norm2 for st in stories], dtype=np.float64))
            put("n" + x, np.array([st.n for st in stories], dtype=np.int64))
            put("first" + x, np.array([none_day if st.first is None else st.first for st in stories], dtype=np.int64))
            put("last" + x, np.array([none_day if st.last is None else st.last for st in stories], dtype=np.int64))
            put_strs("members" + x, [m for st in stories for m in st.members])
            put("members_n" + x, np.array([len(st.members) for st in stories], dtype=np.int64))
            put_strs("pool" + x, [d for st in stories for d, _ in st.pool])
            put("pool_n" + x, np.array([len(st.pool) for st in stories], dtype=np.int64))
            put_vecs("poolvec" + x, [None if v is None else v.items() for st in stories for _, v in st.pool])
            sections += 1
        del all_stories
        # the large string columns are streamed (two passes over the live dict, no copy)
        put_strs("doc", self._doc_story.keys())
        put_strs("docstory", self._doc_story.values())
        put_strs("recent", self._recent.keys())
        put_vecs("recentvec", [zip(t, w) for t, w, _ in self._recent.values()])
        put("recent_day", np.array([none_day if d is None else d for _, _, d in self._recent.values()],
                                   dtype=np.int64))
        put("df", np.fromiter(self._df.values(), dtype=np.int64, count=len(self._df)))
        # posting lists as arrays (format /3; /2 held them in the JSON header, a large transient)
        post = self._post
        put("post_t", np.fromiter((tid(t) for t in post), dtype=np.int32, count=len(post)))
        put("post_n", np.fromiter(map(len, post.values()), dtype=np.int32, count=len(post)))
        put_strs("post", _Chain(post.values()))
        put_strs("vocab", vocab.keys())
        header = {
            "format": _FORMAT, "config": asdict(self.config), "ndocs": self._ndocs, "next": self._next,
            "alias": self._alias, "merges": self._merges, "latest": self._latest, "sections": sections,
        }
        put("header", np.frombuffer(zlib.compress(json.dumps(header, separators=(",", ":")).encode(), 1),
                                    dtype=np.uint8))
        zf.close()

    @classmethod
    def from_bytes(cls, b: bytes) -> "StoryClusterer":
        """Restore a clusterer written by :meth:`to_bytes` (see there for an example)."""
        if bytes(b[:2]) != b"PK":
            return cls._from_json(b)
        return cls.read_from(io.BytesIO(b))

    @classmethod
    def read_from(cls, f) -> "StoryClusterer":
        """Restore a clusterer from a seekable binary file written by :meth:`write_to`."""
        import numpy as np

        try:
            z = np.load(f, allow_pickle=False)
            header = json.loads(zlib.decompress(z["header"].tobytes()).decode("utf-8"))
        except Exception as e:  # noqa: BLE001 - any decoding failure means bad bytes
            raise ValidationError("story clusterer snapshot is corrupt; rebuild it by re-running the pipeline") from e
        if not isinstance(header, dict) or header.get("format") not in (_FORMAT, _FORMAT_2):
            raise ValidationError(f"story clusterer snapshot is not in format {_FORMAT!r}; rebuild it")

        def strs(name: str) -> list[str]:
            raw, offs = z[name + "_s"].tobytes(), z[name + "_so"].tolist()
            return [raw[offs[i]: offs[i + 1]].decode("utf-8", "surrogatepass") for i in range(len(offs) - 1)]

        intern = sys.intern
        vocab = [intern(t) for t in strs("vocab")]

        def vecs(name: str):
            ts, ws, offs = z[name + "_t"].tolist(), z[name + "_w"], z[name + "_o"].tolist()
            out, start = [], 0
            for end in offs[1:]:
                if end < 0:
                    out.append(None)
                    continue
                out.append(([vocab[i] for i in ts[start:end]], array("d", ws[start:end].tobytes())))
                start = end
            return out

        known = {f.name for f in fields(ClusterConfig)}
        c = cls(ClusterConfig(**{k: v for k, v in header["config"].items() if k in known}))
        df = z["df"].tolist()
        c._df = Counter(dict(zip(vocab[: len(df)], df)))
        c._ndocs, c._next, c._alias = header["ndocs"], header["next"], header["alias"]
        c._merges = [tuple(m) for m in header["merges"]]
        c._latest = header["latest"]
        if "post" in header:  # format /2
            c._post = {vocab[i]: sids for i, sids in header["post"]}
        else:
            psids = strs("post")
            c._post = post = {}
            start = 0
            for i, k in zip(z["post_t"].tolist(), z["post_n"].tolist()):
                post[vocab[i]] = psids[start: start + k]
                start += k
            del psids
        c._doc_story = dict(zip(strs("doc"), strs("docstory")))
        rdays = z["recent_day"].tolist()
        c._recent = {
            d: (tuple(tw[0]), tw[1], None if day == _NO_DAY else day)
            for d, tw, day in zip(strs("recent"), vecs("recentvec"), rdays)
        }
        for k in range(header["sections"]):
            x = f".{k}"
            members, pool_ids, pool_vecs = strs("members" + x), strs("pool" + x), vecs("poolvec" + x)
            mi = pi = 0
            cols = zip(strs("sid" + x), vecs("vec" + x), vecs("sdf" + x), z["packed" + x].tolist(),
                       z["norm2" + x].tolist(), z["n" + x].tolist(), z["first" + x].tolist(),
                       z["last" + x].tolist(), z["members_n" + x].tolist(), z["pool_n" + x].tolist())
            for sid, (vt, vw), (st_, sc), packed, norm2, n, first, last, nm, npool in cols:
                st = _Story(sid)
                if packed:
                    st._vec, st._ct, st._cw = None, tuple(vt), array("f", vw)
                else:
                    st._vec = dict(zip(vt, vw.tolist()))
                if st_:
                    st.sdf = dict(zip(st_, map(int, sc)))
                st.norm2, st.n = norm2, n
                st.first = None if first == _NO_DAY else first
                st.last = None if last == _NO_DAY else last
                st.members = members[mi: mi + nm]
                mi += nm
                st.pool = [(d, None if v is None else dict(zip(v[0], v[1].tolist())))
                           for d, v in zip(pool_ids[pi: pi + npool], pool_vecs[pi: pi + npool])]
                pi += npool
                c._stories[sid] = st
        c._live = dict(c._stories)  # the first archive pass sorts them out
        return c

    @classmethod
    def _from_json(cls, b: bytes) -> "StoryClusterer":
        """Restore a snapshot of the first format (zlib-compressed JSON)."""
        try:
            state = json.loads(zlib.decompress(b).decode("utf-8"))
        except (zlib.error, ValueError, UnicodeDecodeError) as e:
            raise ValidationError("story clusterer snapshot is corrupt; rebuild it by re-running the pipeline") from e
        if not isinstance(state, dict) or state.get("format") != _FORMAT_JSON:
            raise ValidationError(f"story clusterer snapshot is not in format {_FORMAT!r}; rebuild it")
        known = {f.name for f in fields(ClusterConfig)}
        c = cls(ClusterConfig(**{k: v for k, v in state["config"].items() if k in known}))
        c._df = Counter(state["df"])
        c._ndocs = state["ndocs"]
        c._next = state["next"]
        c._alias = state["alias"]
        c._doc_story = state["doc_story"]
        c._post = state["post"]
        c._merges = [tuple(m) for m in state["merges"]]
        c._latest = state["latest"]
        c._recent = {d: (tuple(t), array("d", w), day) for d, t, w, day in state.get("recent", [])}
        for sid, vec, norm2, n, first, last, pool, members, sdf in state["stories"]:
            st = _Story(sid)
            st.vec, st.norm2, st.n, st.first, st.last = vec, norm2, n, first, last
            st.pool = [(d, v) for d, v in pool]
            st.members = members
            if sdf:
                st.sdf = sdf
            c._stories[sid] = st
        c._live = dict(c._stories)
        return c

    # ------------------------------------------------------------------ internals

    def _get(self, story_id: str) -> _Story:
        sid = self.resolve(story_id)
        if sid not in self._stories:
            raise NotFoundError(f"story {story_id!r} does not exist; use an id returned by assign()")
        return self._stories[sid]

    def _adopt_id(self, sid: str) -> None:
        """Create an empty story with a given id (replaying stored articles after a snapshot)."""
        self._stories[sid] = _Story(sid)
        digits = sid[1:]
        if sid.startswith("s") and digits.isdigit():
            self._next = max(self._next, int(digits) + 1)

    def _new_story(self) -> _Story:
        sid = f"s{self._next:06d}"
        self._next += 1
        st = _Story(sid)
        self._stories[sid] = st
        return st

    def _vectorize(self, title: str | None, text: str) -> dict[str, float]:
        """Unit TF-IDF vector of an article; updates document frequencies first."""
        raw = featurize(title, text, self.config)
        self._df.update(raw.keys())  # Counter: counts in C
        self._ndocs += 1
        return weigh(raw, self._df, self._ndocs, self.config)

    def _keep_recent(self, doc_id: str, doc: dict[str, float], day: int | None) -> None:
        rec = self._recent
        rec[doc_id] = (tuple(doc), array("d", doc.values()), day)
        while len(rec) > self.config.refine_docs:
            del rec[next(iter(rec))]

    def _apply_moves(self, moves: list[tuple[str, str, str]]) -> None:
        """Move articles between stories (see :meth:`refine`)."""
        if not moves:
            return
        touched: dict[str, _Story] = {}
        went: dict[str, Counter] = {}
        for doc_id, src, dst in moves:
            terms, ws, day = self._recent[doc_id]
            a, b = self._stories[src], self._stories[dst]
            self._live[src] = a
            v = a.vec
            for t, w in zip(terms, ws):
                x = v.get(t)
                if x is not None:
                    x -= w
                    if x > 1e-9:
                        v[t] = x
                    else:
                        del v[t]
                if t in a.sdf:
                    a.sdf[t] -= 1
            a.n -= 1
            a.members.remove(doc_id)
            a.pool = [p for p in a.pool if p[0] != doc_id]
            went.setdefault(src, Counter())[dst] += 1
            doc = dict(zip(terms, ws))
            self._add(b, doc_id, doc, day)
            touched[src], touched[dst] = a, b
        pos = {d: i for i, d in enumerate(self._doc_story)}
        for sid, st in touched.items():
            if not st.members:
                keep = self.resolve(went[sid].most_common(1)[0][0])
                del self._stories[sid]
                self._alias[sid] = keep
                self._merges.append((sid, keep))
                continue
            st.norm2 = sum([w * w for w in st.vec.values()])
            st.members.sort(key=lambda d: pos.get(d, 0))
            if not st.pool:
                for d in st.members:
                    if d in self._recent:
                        t, w, _ = self._recent[d]
                        self._update_pool(st, d, dict(zip(t, w)))
                if not st.pool:
                    st.pool = [(st.members[0], {})]

    def _archive(self) -> None:
        """Shrink stories that ended before the time window (see ``archive_every``).

        Only stories in ``_live`` can need it (a story leaves it once archived, or once it is
        packed with few terms; any change puts it back), so the pass costs the number of
        recently changed stories, not the number of stories."""
        if self._latest is None:
            return
        cfg = self.config
        horizon = self._latest - cfg.window_days
        stories = self._stories
        done = []
        for sid, st in self._live.items():
            if stories.get(sid) is not st:
                done.append(sid)  # merged away
                continue
            if st.last is None:
                done.append(sid)  # undated: never archived (a dated article puts it back)
                continue
            if st._vec is None and st.nterms() <= cfg.archive_terms:
                done.append(sid)  # packed and small: nothing to shrink until it changes
                continue
            if st.last < horizon:
                self._shrink(st)
                done.append(sid)
        live = self._live
        for sid in done:
            del live[sid]

    def _shrink(self, st: _Story) -> None:
        """Archive one story: keep its ``archive_terms`` heaviest terms and its central article."""
        if len(st.pool) > 1:
            self._fill_pool(st)
            best = max(st.pool, key=lambda p: st.sim(p[1]))
        else:
            best = st.pool[0]
        keep = sorted(st.items(), key=lambda kv: (-kv[1], kv[0]))[: self.config.archive_terms]
        st.vec = dict(keep)
        st.norm2 = sum(w * w for _, w in keep)
        st.sdf = _NO_SDF
        st.pool = [best]
        st.pack()  # archived: packed for good unless an article joins it again

    def _decay(self, st: _Story, day: int | None) -> float:
        if day is None or st.first is None:
            return 1.0
        gap = st.first - day if day < st.first else (day - st.last if day > st.last else 0)
        extra = gap - self.config.decay_grace_days
        if extra <= 0:
            return 1.0
        return math.exp(-extra / self.config.decay_tau_days)

    def _query_terms(self, doc: dict[str, float]) -> list[str]:
        cfg = self.config
        n = self._ndocs
        cut = cfg.max_df_ratio * n if n >= cfg.min_docs_for_df_cut else float("inf")
        df = self._df
        if cut == float("inf"):
            items = doc.items()
        else:
            items = [kv for kv in doc.items() if df.get(kv[0], 0) <= cut]
        return [t for t, _ in heapq.nlargest(cfg.query_terms, items, key=itemgetter(1))]

    def _score(self, doc: dict[str, float], day: int | None, qterms: list[str]) -> list[tuple[float, _Story]]:
        cfg = self.config
        counts: Counter = Counter()
        post = self._post
        for t in qterms:
            plist = post.get(t)
            if plist:
                counts.update(plist)  # stories sharing more of the rarest terms come first
        if not counts:
            return []
        alias = self._alias
        hits: dict[str, float] = {}
        for sid, k in counts.items():
            if sid in alias:  # posting lists keep merged ids; resolve lazily
                sid = self.resolve(sid)
            hits[sid] = hits.get(sid, 0) + k
        cands = heapq.nlargest(cfg.max_candidates, hits.items(), key=itemgetter(1))
        out = []
        window = cfg.window_days
        for sid, _ in cands:
            st = self._stories.get(sid)
            if st is None:
                continue
            if window and day is not None and st.last is not None and (day - st.last > window or st.first - day > window):
                continue
            s = st.sim(doc) * self._decay(st, day)
            if s > 0.0:
                out.append((s, st))
        out.sort(key=lambda x: (-x[0], x[1].sid))
        if cfg.contrast_docs and out:
            out = self._contrast(doc, out, day)
        return out

    def _contrast(self, doc: dict[str, float], scored: list[tuple[float, _Story]], day: int | None):
        """Re-score candidates with neighbourhood-contrastive term weights."""
        cfg = self.config
        hood: list[_Story] = []
        total = 0
        for _, st in scored[: cfg.contrast_stories]:
            hood.append(st)
            total += st.n
            if total >= cfg.contrast_docs:
                break
        n1 = total + 2.0  # the neighbourhood plus the article itself, plus one
        alpha, eps = cfg.contrast_alpha, cfg.contrast_eps
        cache: dict[str, float] = {}

        def lw(t: str) -> float:
            w = cache.get(t)
            if w is None:
                df = (1 if t in doc else 0) + sum(st.sdf.get(t, 0) for st in hood) + 1.0
                w = cache[t] = math.log(n1 / df) ** alpha + eps if df < n1 else eps
            return w

        dn = math.sqrt(sum((w * lw(t)) ** 2 for t, w in doc.items())) or 1.0
        out = []
        for s, st in scored:
            if st not in hood:
                continue
            self._live[st.sid] = st
            v = st.vec
            dot = 0.0
            for t, w in doc.items():
                x = v.get(t)
                if x is not None:
                    dot += w * x * lw(t) ** 2
            cn = math.sqrt(sum((x * lw(t)) ** 2 for t, x in v.items())) or 1.0
            out.append((dot / (dn * cn) * self._decay(st, day), st))
        out.sort(key=lambda x: (-x[0], x[1].sid))
        return out

    def _index(self, st: _Story, qterms: list[str]) -> None:
        cap = self.config.max_postings
        sid = st.sid
        for t in qterms:
            plist = self._post.get(t)
            if plist is None:
                self._post[t] = [sid]
                continue
            if plist[-1] == sid:
                continue
            try:
                plist.remove(sid)
            except ValueError:
                pass
            plist.append(sid)
            if len(plist) > cap:
                del plist[0]

    def _add(
        self, st: _Story, doc_id: str, doc: dict[str, float], day: int | None, qterms: list[str] | None = None
    ) -> None:
        cfg = self.config
        self._live[st.sid] = st
        v = st.vec
        dot = 0.0
        for t, w in doc.items():
            x = v.get(t)
            if x is None:
                v[t] = w
            else:
                dot += w * x
                v[t] = x + w
        st.norm2 += 2.0 * dot + 1.0
        if cfg.contrast_docs:
            sdf = st.sdf
            if sdf is _NO_SDF:
                sdf = st.sdf = {}
            for t in doc:
                sdf[t] = sdf.get(t, 0) + 1
        if len(v) > 2 * cfg.max_story_terms:
            self._prune(st)
        st.n += 1
        st.members.append(doc_id)
        if day is not None:
            st.first = day if st.first is None else min(st.first, day)
            st.last = day if st.last is None else max(st.last, day)
        self._doc_story[doc_id] = st.sid
        self._index(st, self._query_terms(doc) if qterms is None else qterms)
        self._update_pool(st, doc_id, doc)
        if st.n == 1:
            st.pack()  # most stories keep one article: hold them packed until a second joins

    def _prune(self, st: _Story) -> None:
        keep = sorted(st.vec.items(), key=lambda kv: (-kv[1], kv[0]))[: self.config.max_story_terms]
        st.vec = dict(keep)
        st.norm2 = sum(w * w for _, w in keep)
        if self.config.contrast_docs:  # document frequencies are only read by contrastive scoring
            st.sdf = {t: st.sdf.get(t, 1) for t, _ in keep}

    def _fill_pool(self, st: _Story) -> None:
        """Give pool entries dropped by :meth:`_Story.pack` their terms back: the centroid's
        heaviest terms (exact for a one-article story, whose centroid is that article)."""
        if any(v is None for _, v in st.pool):
            small = dict(heapq.nlargest(self.config.central_terms, st.items(), key=itemgetter(1)))
            st.pool = [(d, small if v is None else v) for d, v in st.pool]

    def _update_pool(self, st: _Story, doc_id: str, doc: dict[str, float]) -> None:
        self._fill_pool(st)
        small = dict(heapq.nlargest(self.config.central_terms, doc.items(), key=itemgetter(1)))
        pool = st.pool + [(doc_id, small)]
        if len(pool) > self.config.central_pool:
            order = {d: i for i, d in enumerate(st.members)}
            pool.sort(key=lambda p: (-st.sim(p[1]), order.get(p[0], 0)))
            pool = pool[: self.config.central_pool]
        st.pool = pool

    def _merge(self, keep: _Story, gone: _Story) -> _Story:
        """Merge two stories; the older id (smaller number) survives."""
        if gone.sid < keep.sid:
            keep, gone = gone, keep
        self._fill_pool(keep)
        self._fill_pool(gone)
        self._live[keep.sid] = keep
        v = keep.vec
        for t, w in gone.vec.items():
            v[t] = v.get(t, 0.0) + w
        keep.norm2 = sum(w * w for w in v.values())
        if gone.sdf and keep.sdf is _NO_SDF:
            keep.sdf = {}
        for t, k in gone.sdf.items():
            keep.sdf[t] = keep.sdf.get(t, 0) + k
        if len(v) > 2 * self.config.max_story_terms:
            self._prune(keep)
        keep.n += gone.n
        keep.members.extend(gone.members)
        for d in gone.members:
            self._doc_story[d] = keep.sid
        if gone.first is not None:
            keep.first = gone.first if keep.first is None else min(keep.first, gone.first)
            keep.last = gone.last if keep.last is None else max(keep.last, gone.last)
        pool = keep.pool + gone.pool
        order = {d: i for i, d in enumerate(keep.members)}
        pool.sort(key=lambda p: (-keep.sim(p[1]), order.get(p[0], 0)))
        keep.pool = pool[: self.config.central_pool]
        del self._stories[gone.sid]
        self._alias[gone.sid] = keep.sid
        self._merges.append((gone.sid, keep.sid))
        return keep
