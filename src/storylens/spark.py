"""The storylens pipeline on Apache Spark: the same stage functions, run over partitions.

``pip install 'storylens[spark]'`` adds PySpark (4.x, with pandas and pyarrow for Arrow UDFs).
:func:`run` reads articles, and writes Parquet tables under ``output``:

* ``articles``  — one row per article: clean text and metadata, ``duplicate_of`` /
  ``duplicate_kind`` / ``duplicate_similarity``, ``duplicate_group`` and ``story_id``;
* ``stories``   — one row per story: label, central article, dates, outlets, size;
* ``passages``  — shared passages between aligned articles of a story (``kind='shared'``)
  and each article's unique runs (``kind='unique'``);
* ``reuse``     — per aligned pair: shares of each text that are shared, likely original;
* ``quotes``    — (with ``quotes=True`` or ``events=True``) one row per quote, from
  :func:`storylens.extract.quotes.extract_quotes_many` run per partition;
* ``events``    — (with ``events=True``) one row per story: the event record of
  :func:`storylens.extract.events.build_event` over the story's articles and their quotes, in
  arrival order (what ``storylens export events`` gives on one machine), as flat columns
  (type, actor, target, place, lat/lon, date, fatalities, injured) and the whole record as JSON.

How each stage scales (see docs/scaling.md for the arithmetic):

1. **read** — Parquet with Spark's reader; ``.txt``/``.html``/``.jsonl``/``.warc`` files one
   task per file through :func:`storylens.read.read_file`.  Arrival order = (input order,
   sorted file order, record order), the order the single-machine ``Pipeline`` sees.
2. **clean** — :func:`storylens.clean.clean_text`; the per-outlet chrome learning of the
   pipeline (a line is chrome once it was seen in ≥ max(3, half) of the outlet's articles so
   far) becomes running counts over ``(outlet, line)`` windows, so it needs no state.
3. **dedup** — :func:`storylens.fingerprint.fingerprints` per partition; exact-text, LSH
   band and sampled-shingle keys are shuffled by key; each key's first ``max_postings``
   arrivals are its postings (as in :class:`~storylens.dedup.DedupIndex`); a pair is a
   candidate when it shares the exact key or a band, or enough rare sampled shingles;
   candidate components are found by large-star/small-star connected components; each
   component (usually 2-10 articles) is run through a :class:`~storylens.dedup.DedupIndex`
   in arrival order, which verifies and picks the earliest copy exactly as on one machine.
4. **stories** — articles are blocked by date (consecutive days up to ``block_articles``
   articles a block); each block runs :class:`~storylens.cluster.StoryClusterer` in arrival
   order (copies forced into their original's story, as the pipeline does); stories of
   adjacent blocks are merged when their centroids' decayed cosine reaches the clusterer's
   ``merge_threshold``, and a copy whose original fell in another block merges the two
   stories; merges are connected components again.  A corpus of at most
   ``block_articles`` articles is one block: the same partition as the pipeline.
5. **align** — per story, each article is aligned (:func:`storylens.align.align_pair`) with
   the ``align_limit`` story members that arrived just before it and with its original.
6. **quotes, events** (optional) — quotes per partition (one spaCy pipe per Arrow batch); the
   quotes are grouped back to their articles and the articles to their stories, and each story
   builds its event record in one task.

Nothing that grows with the corpus is collected to the driver (only per-day article counts,
to cut date blocks, and scalar counts).

>>> spark = spark_session()                                          # doctest: +SKIP
>>> stats = run(spark, ["../shared/seeds"], "/tmp/seeds.parquet")   # doctest: +SKIP
>>> stats.articles, stats.stories                                    # doctest: +SKIP
(2, 1)
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from .errors import InputError, StorylensError

__all__ = [
    "SparkUnavailable",
    "RunStats",
    "spark_session",
    "run",
    "connected_components",
    "bcubed_f1",
    "check_inputs",
]

#: JVM heap of a local-mode session (see :func:`spark_session`)
LOCAL_DRIVER_MEMORY = "2g"

#: files Spark reads with its own Parquet reader
PARQUET_SUFFIXES = (".parquet", ".parq")


class SparkUnavailable(StorylensError):
    """PySpark (or Java) is not installed."""


def _require_pyspark():
    try:
        import pyspark  # noqa: F401
        import pyarrow  # noqa: F401
        import pandas  # noqa: F401
    except ImportError as e:
        raise SparkUnavailable(
            f"the Spark runner needs PySpark with pandas and pyarrow ({e.name} is missing); "
            "install it with: pip install 'storylens[spark]'"
        ) from None
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise SparkUnavailable("the Spark runner needs Java 17 or newer on PATH (or JAVA_HOME set); install a JDK")


@dataclass
class RunStats:
    """Counts of one :func:`run` (all computed on the cluster; only the numbers come back)."""

    articles: int = 0
    failed: int = 0
    duplicates: int = 0
    stories: int = 0
    blocks: int = 0
    passages: int = 0
    quotes: int = 0
    events: int = 0  # stories whose event record has a type
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.articles} articles ({self.duplicates} copies, {self.failed} failed to read), "
            f"{self.stories} stories in {self.blocks} date block(s), {self.passages} passages"
            + (f", {self.quotes} quotes" if self.quotes else "")
            + (f", {self.events} typed events" if self.events else "")
            + f" in {self.seconds:.1f} s"
        )


def spark_session(master: str | None = "auto", app_name: str = "storylens", shuffle_partitions: int | None = None,
                  conf: dict | None = None):
    """A SparkSession for storylens (local mode binds the driver to 127.0.0.1).

    ``master="auto"``: what ``spark-submit`` set when launched by it, else ``local[2]``;
    ``None`` always keeps the configured master.  In local mode the Python workers run
    this very interpreter, so they see the same packages.

    >>> spark = spark_session("local[2]", shuffle_partitions=4)   # doctest: +SKIP
    >>> spark.conf.get("spark.sql.shuffle.partitions")             # doctest: +SKIP
    '4'
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    b = SparkSession.builder.appName(app_name)
    if master == "auto":
        master = None if os.environ.get("PYSPARK_GATEWAY_PORT") else "local[2]"
    if master:
        b = b.master(master)
        if master.startswith("local"):
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
            b = (b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 # local mode runs everything in the driver JVM; cached and checkpointed blocks
                 # spill to local disk, so the heap need not hold the corpus (Python workers,
                 # which do the work, live outside it); ``conf`` may override it
                 .config("spark.driver.memory", LOCAL_DRIVER_MEMORY))
    if shuffle_partitions:
        b = b.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    b = b.config("spark.sql.execution.arrow.maxRecordsPerBatch", "2048")
    # Spark runs one task per core, so numba's thread pool in each Python worker only adds
    # wake-up costs (~5 ms a call on a busy machine: a DedupIndex per candidate component
    # paid it twice) and oversubscribes the cores
    b = b.config("spark.executorEnv.NUMBA_NUM_THREADS", "1")
    for k, v in (conf or {}).items():
        b = b.config(k, str(v))
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    ckpt = spark.sparkContext.getConf().get("spark.checkpoint.dir", None)
    if ckpt and not spark.sparkContext.getCheckpointDir():
        spark.sparkContext.setCheckpointDir(ckpt)  # reliable lineage cuts (see _cut)
    return spark


# =========================================================================== helpers (pure)

def bcubed_f1(a: dict[str, str], b: dict[str, str]) -> float:
    """BCubed F1 of partition ``b`` against partition ``a`` (item -> cluster label), over
    the items both have; 1.0 means the same partition.

    >>> bcubed_f1({"x": "1", "y": "1", "z": "2"}, {"x": "a", "y": "a", "z": "b"})
    1.0
    >>> round(bcubed_f1({"x": "1", "y": "1"}, {"x": "a", "y": "b"}), 3)
    0.667
    """
    items = [k for k in a if k in b]
    if not items:
        return 1.0
    ca: dict[str, set] = {}
    cb: dict[str, set] = {}
    for k in items:
        ca.setdefault(a[k], set()).add(k)
        cb.setdefault(b[k], set()).add(k)
    p = r = 0.0
    for k in items:
        sa, sb = ca[a[k]], cb[b[k]]
        inter = len(sa & sb)
        p += inter / len(sb)
        r += inter / len(sa)
    p /= len(items)
    r /= len(items)
    return 2 * p * r / (p + r) if p + r else 0.0


def _i64(x: int) -> int:
    """An unsigned 64-bit value as a signed Spark long."""
    x &= 0xFFFFFFFFFFFFFFFF
    return x - (1 << 64) if x >= (1 << 63) else x


def _partition_of(ids, keys=None) -> list[frozenset]:
    groups: dict = {}
    for i, k in zip(ids, keys if keys is not None else ids):
        groups.setdefault(k, set()).add(i)
    return sorted((frozenset(g) for g in groups.values()), key=lambda s: min(s))


# =========================================================================== connected components

def connected_components(edges, src: str = "src", dst: str = "dst", max_rounds: int = 40, log=None):
    """Connected components of an undirected graph given as a DataFrame of ``long`` edges,
    by alternating large-star and small-star (Kiveris et al., 2014): each round is two
    shuffles of the edge list; nothing is collected.  Returns ``(node, comp)`` for every
    node on an edge, ``comp`` being the smallest node of its component.

    >>> cc = connected_components(spark.createDataFrame([(1, 2), (2, 3), (7, 8)], "src long, dst long"))  # doctest: +SKIP
    >>> sorted(map(tuple, cc.collect()))                                                                    # doctest: +SKIP
    [(1, 1), (2, 1), (3, 1), (7, 7), (8, 7)]
    """
    from pyspark.sql import functions as F

    e = (edges.select(F.col(src).alias("a"), F.col(dst).alias("b")).where("a != b")
         .select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v")))
    # seed: union-find inside each partition turns its edges into stars on their smallest
    # node (same components, far fewer rounds below: often none is left to do)
    e = e.mapInArrow(_union_find_fn, "u long, v long").distinct()
    for _ in range(max_rounds):
        # large-star: every neighbour larger than u links to min(N(u) ∪ {u})
        sym = e.select("u", "v").union(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
        m = sym.groupBy("u").agg(F.min("v").alias("m")).select("u", F.least("u", "m").alias("m"))
        large = (sym.where("v > u").join(m, "u").select(F.col("v").alias("u"), "m")
                 .where("u != m").select("u", F.col("m").alias("v")).distinct())
        # small-star: u and every neighbour smaller than u link to min(N(u) ∪ {u})
        m2 = large.groupBy("u").agg(F.min("v").alias("m"))
        small = (large.join(m2, "u").select(F.col("v").alias("u"), "m")
                 .union(m2.select("u", "m")).where("u != m")
                 .select(F.greatest("u", "m").alias("u"), F.least("u", "m").alias("v")).distinct())
        small = small.localCheckpoint(eager=True)
        # converged when it is a forest of stars: no node is both a leaf and a centre, and
        # every leaf has one centre (one job: roles of every node, aggregated)
        roles = (small.select(F.col("u").alias("x"), F.lit(1).alias("leaf"), F.col("v").alias("c"))
                 .union(small.select(F.col("v").alias("x"), F.lit(0).alias("leaf"), F.lit(None).cast("long"))))
        bad = (roles.groupBy("x").agg(F.max("leaf").alias("is_leaf"), F.min("leaf").alias("not_only_leaf"),
                                      F.countDistinct("c").alias("k"))
               .where("(is_leaf = 1 AND not_only_leaf = 0) OR k > 1").limit(1).count())
        e = small
        if bad == 0:
            if log:
                log(f"connected components: {_ + 1} round(s)")
            break
    else:  # pragma: no cover - needs a pathological graph
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    leaves = e.select(F.col("u").alias("node"), F.col("v").alias("comp"))
    roots = e.select(F.col("v").alias("node"), F.col("v").alias("comp")).distinct()
    return leaves.union(roots)


def _union_find_fn(batches):
    """mapInArrow over (u, v) edges: one edge (node, smallest node of its component within
    this partition) per node that is not that smallest node."""
    import pyarrow as pa

    parent: dict[int, int] = {}

    def root(x: int) -> int:
        r = x
        while parent[r] != r:
            r = parent[r]
        while parent[x] != r:  # path compression
            parent[x], x = r, parent[x]
        return r

    for batch in batches:
        d = batch.to_pydict()
        for a, b in zip(d["u"], d["v"]):
            parent.setdefault(a, a)
            parent.setdefault(b, b)
            ra, rb = root(a), root(b)
            if ra != rb:
                if ra < rb:
                    parent[rb] = ra
                else:
                    parent[ra] = rb
    us = [x for x in parent if parent[x] != x]
    vs = [root(x) for x in us]
    yield pa.RecordBatch.from_pydict({"u": us, "v": vs}, schema=pa.schema([("u", pa.int64()), ("v", pa.int64())]))


# =========================================================================== stage functions (workers)

_RAW_SCHEMA = ("arrival long, id string, source string, raw_text string, format string, meta string, "
               "failure string")


def _raw_rows(items, arrival0: int):
    """Turn RawDocs/ReadFailures into column lists (arrival = arrival0 + index)."""
    from .pipeline import article_id
    from .read import ReadFailure

    cols: dict[str, list] = {k: [] for k in ("arrival", "id", "source", "raw_text", "format", "meta", "failure")}
    for j, item in enumerate(items):
        cols["arrival"].append(arrival0 + j)
        if isinstance(item, ReadFailure):
            for k in ("id", "source", "raw_text", "format", "meta"):
                cols[k].append(None)
            cols["failure"].append(str(item))
            continue
        cols["id"].append(article_id(item))
        cols["source"].append(item.source)
        cols["raw_text"].append(item.text)
        cols["format"].append(item.format)
        cols["meta"].append(json.dumps(item.meta, ensure_ascii=False))
        cols["failure"].append(None)
    return cols


#: Rows and text bytes per Arrow batch that a file reader hands to Spark: a whole 200 MB JSONL
#: file in one batch would have to fit in the JVM heap at once (it did not, in 2 GB, at 1M articles).
READ_BATCH_ROWS = 4096
READ_BATCH_BYTES = 32 << 20


def _chunks(items, arrival0: int):
    """_raw_rows over ``items`` in pieces of at most READ_BATCH_ROWS rows / READ_BATCH_BYTES of text."""
    buf, size, at = [], 0, arrival0
    for item in items:
        buf.append(item)
        size += len(getattr(item, "text", "") or "")
        if len(buf) >= READ_BATCH_ROWS or size >= READ_BATCH_BYTES:
            yield _raw_rows(buf, at)
            at += len(buf)
            buf, size = [], 0
    if buf or at == arrival0:
        yield _raw_rows(buf, at)


def _read_files_fn(batches):
    """mapInArrow: (file_no, path[, content]) -> raw documents via storylens.read.read_file, streamed
    in bounded batches (see READ_BATCH_ROWS)."""
    import tempfile

    import pyarrow as pa

    from .read import read_file

    schema = pa.schema([("arrival", pa.int64())] + [(k, pa.string()) for k in (
        "id", "source", "raw_text", "format", "meta", "failure")])
    for batch in batches:
        d = batch.to_pydict()
        for i, path in enumerate(d["path"]):
            content = d.get("content", [None] * len(d["path"]))[i]
            arrival0 = int(d["file_no"][i]) << 32
            if content is None:
                for cols in _chunks(read_file(Path(path)), arrival0):
                    yield pa.RecordBatch.from_pydict(cols, schema=schema)
            else:  # a remote file: spill to a local temp file named like the original
                name = path.rstrip("/").rsplit("/", 1)[-1]
                with tempfile.TemporaryDirectory() as tmp:
                    local = Path(tmp) / name
                    local.write_bytes(content)
                    for cols in _chunks(read_file(local), arrival0):
                        cols["source"] = [s.replace(str(local), path) if s else s for s in cols["source"]]
                        cols["failure"] = [s.replace(str(local), path) if s else s for s in cols["failure"]]
                        yield pa.RecordBatch.from_pydict(cols, schema=schema)


def _parquet_rows_fn(batches):
    """mapInArrow: Parquet article rows -> raw documents (fields checked like JSONL)."""
    import pyarrow as pa

    from .errors import InputError as _IE
    from .read import ReadFailure
    from .read.jsonl import OPTIONAL, parse_record

    for batch in batches:
        d = batch.to_pydict()
        items = []
        arrivals = d["_arrival"]
        for i in range(len(arrivals)):
            obj = {k: d[k][i] for k in ("text", *OPTIONAL) if k in d}
            if obj.get("published") is not None and not isinstance(obj["published"], str):
                obj["published"] = str(obj["published"])[:10]
            where = f"{d['_file'][i]}#{i}"
            try:
                items.append(parse_record(obj, where, fmt="parquet"))
            except _IE as e:
                items.append(ReadFailure(e.where, e.reason))
        cols = _raw_rows(items, 0)
        cols["arrival"] = [int(a) for a in arrivals]
        yield pa.RecordBatch.from_pydict(cols)


def _chrome_keys_fn(batches):
    """mapInArrow: per article, its first-pass outlet and every line key (is it learnable?)."""
    import pyarrow as pa

    from .clean import chrome_keys, clean_text, norm_line

    for batch in batches:
        d = batch.to_pydict()
        out = {"arrival": [], "outlet0": [], "key": [], "learn": []}
        for arrival, raw, meta in zip(d["arrival"], d["raw_text"], d["meta"]):
            c = clean_text(raw, json.loads(meta))
            if not c.outlet:
                continue
            learn = chrome_keys(raw)
            look = {norm_line(ln) for ln in raw.splitlines() if ln.strip()} | learn
            for k in look:
                out["arrival"].append(arrival)
                out["outlet0"].append(c.outlet)
                out["key"].append(k)
                out["learn"].append(k in learn)
        yield pa.RecordBatch.from_pydict(out, schema=pa.schema(
            [("arrival", pa.int64()), ("outlet0", pa.string()), ("key", pa.string()), ("learn", pa.bool_())]))


_CLEAN_SCHEMA = ("arrival long, id string, source string, raw_text string, format string, text string, "
                 "title string, outlet string, url string, published string, dateline string, removed string, "
                 "content_hash string")


def _clean_fn(batches):
    """mapInArrow: clean each article with the outlet chrome known at its arrival."""
    import pyarrow as pa

    from .clean import clean_text, reclean
    from .fingerprint import content_hash

    for batch in batches:
        d = batch.to_pydict()
        out: dict[str, list] = {k: [] for k in ("arrival", "id", "source", "raw_text", "format", "text", "title",
                                                "outlet", "url", "published", "dateline", "removed", "content_hash")}
        for i in range(len(d["arrival"])):
            raw, meta = d["raw_text"][i], json.loads(d["meta"][i])
            known = d["known"][i]
            c = clean_text(raw, meta)
            if known and d["learned_hit"][i]:
                c = reclean(raw, meta, c, frozenset(known))
            if not c.text.strip():
                c.text = raw.strip()
            for k in ("arrival", "id", "source", "raw_text", "format"):
                out[k].append(d[k][i])
            out["text"].append(c.text)
            out["title"].append(c.title)
            out["outlet"].append(c.outlet)
            out["url"].append(c.url)
            out["published"].append(c.published)
            out["dateline"].append(c.dateline)
            out["removed"].append(json.dumps([asdict(r) for r in c.removed], ensure_ascii=False))
            out["content_hash"].append(content_hash(c.text))
        yield pa.RecordBatch.from_pydict(out)


def _dedup_params() -> dict:
    from .dedup import DedupIndex

    idx = DedupIndex()
    return {"bands": idx.bands, "rows": idx.rows, "max_postings": idx.max_postings, "num_perm": idx.num_perm,
            "shingle": idx.shingle, "sample_mod": idx.sample_mod}


def _keys_fn(batches):
    """mapInArrow: per article its dedup keys: exact text (kind 0), LSH bands (kind 0) and
    sampled shingles (kind 1)."""
    import numpy as np
    import pyarrow as pa
    import xxhash

    from .fingerprint import fingerprints

    p = _dedup_params()
    bands, rows = p["bands"], p["rows"]
    for batch in batches:
        d = batch.to_pydict()
        fp = fingerprints(d["text"], p["num_perm"], p["shingle"], p["sample_mod"])
        arr, key, kind = [], [], []
        for i, a in enumerate(d["arrival"]):
            arr.append(a)
            key.append(_i64(int(fp.digest[i, 0]) ^ 0x5A5A5A5A5A5A5A5A))
            kind.append(0)
            if fp.nshingles[i] > 0:
                sig = np.ascontiguousarray(fp.sigs[i])
                for b in range(bands):
                    arr.append(a)
                    key.append(_i64(xxhash.xxh64_intdigest(sig[b * rows:(b + 1) * rows].tobytes(), seed=b + 1)))
                    kind.append(0)
            samp = fp.samples[fp.sample_offsets[i]:fp.sample_offsets[i + 1]]
            for s in samp.tolist():
                arr.append(a)
                key.append(_i64(s))
                kind.append(1)
        yield pa.RecordBatch.from_pydict({"arrival": arr, "key": key, "kind": kind}, schema=pa.schema(
            [("arrival", pa.int64()), ("key", pa.int64()), ("kind", pa.int8())]))


def _dup_groups(ids: list[str], dup_of: list[str | None]) -> list[str | None]:
    """Duplicate group of each article (``ids`` in arrival order): the id of the earliest
    article connected to it by ``duplicate_of`` links, None for an article on no link.

    >>> _dup_groups(["a", "b", "c", "d"], [None, "a", None, "b"])
    ['a', 'a', None, 'a']
    """
    from .unionfind import DisjointSets

    pos = {a: i for i, a in enumerate(ids)}
    ds = DisjointSets(len(ids))  # a root is its group's earliest member
    linked = [False] * len(ids)
    for j, of in enumerate(dup_of):
        if of is None:
            continue
        i = pos[of]
        linked[i] = linked[j] = True
        ds.union(i, j)
    return [ids[ds.find(i)] if linked[i] else None for i in range(len(ids))]


_MATCH_SCHEMA = ("id string, duplicate_of string, duplicate_kind string, duplicate_similarity double, "
                 "duplicate_group string")


def _dedup_group_fn(table):
    """applyInArrow per candidate component: a DedupIndex in arrival order (the pipeline's).
    Every copy's original is in its component, so the duplicate groups (connected by
    ``duplicate_of``) are found here too."""
    import pyarrow as pa

    from .dedup import DedupIndex

    t = table.sort_by("arrival")
    ids = t.column("id").to_pylist()
    idx = DedupIndex()
    matches = idx.add_many(ids, t.column("text").to_pylist(), t.column("published").to_pylist())
    dup_of = [m.of if m else None for m in matches]
    return pa.table({
        "id": ids,
        "duplicate_of": dup_of,
        "duplicate_kind": [m.kind if m else None for m in matches],
        "duplicate_similarity": [float(round(float(m.similarity), 4)) if m else None for m in matches],
        "duplicate_group": _dup_groups(ids, dup_of),
    }, schema=_arrow_schema(_MATCH_SCHEMA))


_CLUSTER_SCHEMA = ("id string, block long, local_story string, story_similarity double, central string, "
                   "n long, label string, terms array<string>, weights array<double>, norm2 double, "
                   "first long, last long, dterm string, dcount long")


def _cluster_block(table, profiles_on: bool = True, refine_from: int | None = None,
                   refine_vocab: frozenset | None = None):
    """applyInArrow per date block: the pipeline's StoryClusterer, in arrival order, copies
    forced into their original's story; returns each article's block-local story and, on
    the first member of each story, the story's central article, size, label and profile
    (centroid terms and weights, squared norm, first and last day, for the cross-block
    merge; only when ``profiles_on``).

    With ``refine_from`` None (one block) the clusterer's second pass (``refine``) runs
    here, as in the pipeline. Otherwise the block is not refined: the run's one second pass
    (``_refine_fn``) covers the articles that arrived at or after ``refine_from`` (the run's
    last ``refine_docs``), and rebuilds their vectors as the single machine's one clusterer
    weighed them. For that the block adds rows with no ``id``: for each term of
    ``refine_vocab`` (the features of those articles), in how many of the block's articles
    that arrived before ``refine_from`` it occurs (``dterm``, ``dcount``)."""
    import gc

    import pyarrow as pa

    from .cluster import StoryClusterer
    from .pipeline import _first_words

    t = table.sort_by("arrival")
    block = int(t.column("block")[0].as_py())
    ids = t.column("id").to_pylist()
    titles, texts = t.column("title").to_pylist(), t.column("text").to_pylist()
    pubs, dups = t.column("published").to_pylist(), t.column("duplicate_of").to_pylist()
    c = StoryClusterer()
    sims = []
    # the clusterer's long-lived objects are frozen out of the garbage collector's full
    # passes as they pile up (as Pipeline(freeze_gc=True) does); unfrozen at the end, since
    # the Python worker is reused by later tasks
    gc.freeze()
    try:
        arrivals = t.column("arrival").to_pylist()
        before = None
        for i, aid in enumerate(ids):
            if before is None and refine_from is not None and arrivals[i] >= refine_from:
                before = c.document_frequencies(refine_vocab or ())
            if i % 4096 == 4095:
                gc.collect(1)
                gc.freeze()
            force = None
            if dups[i] is not None:
                try:
                    force = c.story_of(dups[i])
                except StorylensError:
                    force = None  # the original is in another block: merged later
            sid, sim = c.assign(aid, titles[i], texts[i], pubs[i], force_story=force)
            c.pop_merges()
            sims.append(round(float(sim), 4))
        if refine_from is None:  # the pipeline's second pass, as `Pipeline.ingest` runs it
            c.refine()
            c.pop_merges()
    finally:
        gc.unfreeze()
    local = [c.story_of(a) for a in ids]
    first_member: dict[str, int] = {}
    for i, s in enumerate(local):
        first_member.setdefault(s, i)
    n = len(ids)
    centrals, sizes, labels = [None] * n, [None] * n, [None] * n
    terms, weights, norm2, first, last = [None] * n, [None] * n, [None] * n, [None] * n, [None] * n
    stories = c._stories  # read-only: centroid and date range of each live story
    row = {a: i for i, a in enumerate(ids)}
    for s, i in first_member.items():
        st = stories[s]
        centrals[i] = cen = c.central_article(s)
        k = row[cen]
        labels[i] = titles[k] or _first_words(texts[k])
        sizes[i] = st.n
        if profiles_on:
            vec = st.vec
            terms[i], weights[i] = list(vec), list(vec.values())
            norm2[i], first[i], last[i] = st.norm2, st.first, st.last
    dterm, dcount = [None] * n, [None] * n
    if refine_from is not None:
        if before is None:  # every article of the block arrived before the second pass's
            before = c.document_frequencies(refine_vocab or ())
        pad = [None] * len(before)
        ids, local, sims = ids + pad, local + pad, sims + pad
        for col in (centrals, sizes, labels, terms, weights, norm2, first, last):
            col.extend(pad)
        dterm.extend(before)
        dcount.extend(before.values())
        n += len(before)
    return pa.table({"id": ids, "block": [block] * n,
                     "local_story": [None if s is None else f"b{block:05d}.{s}" for s in local],
                     "story_similarity": sims, "central": centrals, "n": sizes, "label": labels,
                     "terms": terms, "weights": weights, "norm2": norm2, "first": first, "last": last,
                     "dterm": dterm, "dcount": dcount},
                    schema=_arrow_schema(_CLUSTER_SCHEMA))


def _refine(table, n_before: int):
    """applyInArrow on the run's last ``refine_docs`` articles (one group): the clusterer's
    second pass on their final stories (:func:`storylens.cluster.refine_groups`); returns
    the articles that move, with their new story (an existing one, or ``r:`` + the first
    member's id for a new one).

    The articles' vectors are rebuilt as the single machine's one clusterer weighed them
    on arrival (:func:`storylens.cluster.replay_vectors`): from the counts over the ``n_before``
    earlier articles (rows with a ``dterm``, summed over the blocks) plus the counts
    among these articles up to each one. The blocks' own vectors use only their block's
    counts, and the Louvain pass of the second pass turned that small difference into a
    partition ~7 % apart from the single machine's at 1 M density."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .cluster import refine_groups, replay_vectors

    is_df = pc.is_valid(table.column("dterm"))
    base = table.filter(is_df)
    df = dict(zip(base.column("dterm").to_pylist(), base.column("dcount").to_pylist()))
    del base
    d = table.filter(pc.invert(is_df)).sort_by("arrival").to_pydict()
    ids, old = d["id"], d["story_id"]
    terms, weights, days = replay_vectors(ids, d["title"], d["text"], d["published"], df, n_before)
    out_id, out_story = [], []
    for cm, sid in refine_groups(terms, weights, days, old):
        sid = sid if sid is not None else "r:" + ids[cm[0]]
        for i in cm:
            if old[i] != sid:
                out_id.append(ids[i])
                out_story.append(sid)
    return pa.table({"id": out_id, "story_id": out_story}, schema=pa.schema([("id", pa.string()),
                                                                            ("story_id", pa.string())]))


def _refine_fn(n_before: int):
    """The applyInArrow function of the run's one second pass (see :func:`_refine`)."""

    def f(table):
        return _refine(table, n_before)

    return f


def _features_fn(batches):
    """mapInArrow over (title, text): the distinct clusterer features of each batch."""
    import pyarrow as pa

    from .cluster import ClusterConfig, featurize

    cfg = ClusterConfig()
    for batch in batches:
        d = batch.to_pydict()
        seen: set[str] = set()
        for title, text in zip(d["title"], d["text"]):
            seen.update(featurize(title, text or "", cfg))
        yield pa.RecordBatch.from_pydict({"term": list(seen)}, schema=pa.schema([("term", pa.string())]))


def _cluster_block_fn(profiles_on: bool, refine_from: int | None = None, refine_vocab: frozenset | None = None):
    """The applyInArrow function of the story stage (profiles only for a cross-block merge)."""

    def f(table):
        return _cluster_block(table, profiles_on, refine_from, refine_vocab)

    return f


def _boundary_merge_fn(table):
    """applyInArrow per block boundary: each later-block story joins the earlier-block story
    with the highest decayed centroid cosine, when that reaches the clusterer's merge
    threshold (candidates from an inverted index over each story's rarest heavy terms)."""
    import pyarrow as pa

    from .cluster import ClusterConfig

    cfg = ClusterConfig()
    d = table.to_pydict()
    side = d["side"]
    profs = [{"vec": dict(zip(t, w)), "norm2": n2, "first": f, "last": la}
             for t, w, n2, f, la in zip(d["terms"], d["weights"], d["norm2"], d["first"], d["last"])]
    names = d["local_story"]
    early = [i for i in range(len(side)) if side[i] == 0]
    late = [i for i in range(len(side)) if side[i] == 1]
    out_a, out_b = [], []
    if early and late:
        sdf: dict[str, int] = {}
        for i in range(len(side)):
            for t in profs[i]["vec"]:
                sdf[t] = sdf.get(t, 0) + 1
        cut = max(2, int(cfg.max_df_ratio * len(side)))

        def qterms(vec):
            ts = [t for t in vec if sdf[t] <= cut]
            ts.sort(key=lambda t: (-vec[t], t))
            return ts[: cfg.query_terms]

        # each term keeps the clusterer's ``max_postings`` early stories that ended last (the
        # ones a time-decayed cosine favours; undated first), as StoryClusterer's own index
        # does: without the bound, a term in a few % of 80 k stories made this quadratic
        post: dict[str, list[int]] = {}
        cap = cfg.max_postings
        for i in sorted(early, key=lambda i: (profs[i]["last"] is not None, -(profs[i]["last"] or 0), names[i])):
            for t in qterms(profs[i]["vec"]):
                lst = post.setdefault(t, [])
                if len(lst) < cap:
                    lst.append(i)
        for j in late:
            vj = profs[j]["vec"]
            hits: dict[int, float] = {}
            for t in qterms(vj):
                for i in post.get(t, ()):
                    hits[i] = hits.get(i, 0.0) + vj[t]
            best, best_i = cfg.merge_threshold, -1
            for i, _ in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[: cfg.max_candidates]:
                vi = profs[i]["vec"]
                small, big = (vi, vj) if len(vi) < len(vj) else (vj, vi)
                dot = sum(w * big.get(t, 0.0) for t, w in small.items())
                den = math.sqrt(profs[i]["norm2"] * profs[j]["norm2"])
                cos = dot / den if den > 0 else 0.0
                fi, li, fj, lj = profs[i]["first"], profs[i]["last"], profs[j]["first"], profs[j]["last"]
                decay = 1.0
                if None not in (fi, li, fj, lj):
                    gap = max(0, fj - li, fi - lj)
                    extra = gap - cfg.decay_grace_days
                    if extra > 0:
                        decay = math.exp(-extra / cfg.decay_tau_days)
                score = cos * decay
                if score > best or (score == best and (best_i < 0 or names[i] < names[best_i])):
                    best, best_i = score, i  # ties: the smaller name, whatever the row order
            # one edge per later story, to its closest earlier story: an edge to every earlier
            # story over the bar chained broad centroids into components of thousands of
            # articles at 1M density (a late story, like an article, continues one story)
            if best_i >= 0:
                out_a.append(names[best_i])
                out_b.append(names[j])
    return pa.table({"a": out_a, "b": out_b}, schema=pa.schema([("a", pa.string()), ("b", pa.string())]))


_PASSAGE_SCHEMA = ("story_id string, kind string, article_a string, start_a long, end_a long, article_b string, "
                   "start_b long, end_b long, similarity double")
_REUSE_SCHEMA = ("story_id string, article_a string, article_b string, shared_a double, shared_b double, "
                 "original string, reason string")


def _align_story(table, align_limit: int):
    """Per story: align each article with the members that arrived just before it (and its
    original), as Pipeline._align_new does; unique runs from all its shared spans."""
    from . import align as _align

    t = table.sort_by("arrival")
    d = t.to_pydict()
    sid = d["story_id"][0]
    n = len(d["id"])
    pos = {a: i for i, a in enumerate(d["id"])}
    passages = {k: [] for k in ("story_id", "kind", "article_a", "start_a", "end_a", "article_b", "start_b",
                                "end_b", "similarity")}
    reuse = {k: [] for k in ("story_id", "article_a", "article_b", "shared_a", "shared_b", "original", "reason")}
    shared_spans: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for j in range(n):
        partners = list(range(max(0, j - align_limit), j))[::-1]
        dup = d["duplicate_of"][j]
        if dup in pos and pos[dup] < j and pos[dup] not in partners:
            partners.append(pos[dup])
        tb, bid, bpub = d["text"][j], d["id"][j], d["published"][j]
        for i in partners:
            ta, aid, apub = d["text"][i], d["id"][i], d["published"][i]
            spans = _align.align_pair(ta, tb)
            sa = _align.shared_share(ta, [(s, e) for s, e, _, _, _ in spans])
            sb = _align.shared_share(tb, [(s, e) for _, _, s, e, _ in spans])
            orig, reason = _align.likely_original({"id": aid, "published": apub}, {"id": bid, "published": bpub},
                                                  sa, sb)
            if orig is None and dup == aid and d["duplicate_kind"][j] in ("exact", "near", "contained"):
                orig, reason = aid, "arrived first"
            for s0, e0, s1, e1, sim in spans:
                for k, v in zip(passages, (sid, "shared", aid, s0, e0, bid, s1, e1, float(sim))):
                    passages[k].append(v)
                shared_spans[i].append((s0, e0))
                shared_spans[j].append((s1, e1))
            for k, v in zip(reuse, (sid, aid, bid, round(sa, 4), round(sb, 4), orig, reason)):
                reuse[k].append(v)
    if n > 1:
        for i in range(n):
            for s0, e0 in _align.unique_spans(d["text"][i], sorted(shared_spans[i])):
                for k, v in zip(passages, (sid, "unique", d["id"][i], s0, e0, None, None, None, None)):
                    passages[k].append(v)
    return passages, reuse


_ALIGNED_SCHEMA = ("tbl string, story_id string, kind string, article_a string, start_a long, end_a long, "
                   "article_b string, start_b long, end_b long, similarity double, shared_a double, "
                   "shared_b double, original string, reason string")


def _align_fn(align_limit: int):
    """applyInArrow per story: passages and reuse rows in one table (``tbl`` tells which)."""

    def f(table):
        import pyarrow as pa

        p, r = _align_story(table, align_limit)
        cols = {k: [] for k in ("tbl", "story_id", "kind", "article_a", "start_a", "end_a", "article_b", "start_b",
                                "end_b", "similarity", "shared_a", "shared_b", "original", "reason")}
        n_p, n_r = len(p["story_id"]), len(r["story_id"])
        for k in cols:
            if k == "tbl":
                cols[k] = ["passages"] * n_p + ["reuse"] * n_r
            else:
                cols[k] = p.get(k, [None] * n_p) + r.get(k, [None] * n_r)
        return pa.table(cols, schema=_arrow_schema(_ALIGNED_SCHEMA))

    return f


def _arrow_schema(ddl: str):
    import pyarrow as pa

    types = {"string": pa.string(), "long": pa.int64(), "double": pa.float64(), "tinyint": pa.int8(),
             "array<string>": pa.list_(pa.string()), "array<double>": pa.list_(pa.float64())}
    return pa.schema([(name, types[typ]) for name, typ in (f.strip().split() for f in ddl.split(","))])


_QUOTE_SCHEMA = ("article_id string, quote_index long, speaker string, canonical_speaker string, kind string, "
                 "quote string, quote_start long, quote_end long, data string")

_EVENT_SCHEMA = ("story_id string, type string, plover string, actor string, target string, place string, "
                 "country string, lat double, lon double, date string, fatalities long, injured long, "
                 "n_articles long, record string")


def _quotes_fn(batches):
    """mapInArrow: quotes of every article of a batch (one spaCy pipe per batch)."""
    import pyarrow as pa

    from .extract.quotes import extract_quotes_many

    for batch in batches:
        d = batch.to_pydict()
        res = extract_quotes_many(d["text"])
        out = {k: [] for k in ("article_id", "quote_index", "speaker", "canonical_speaker", "kind", "quote",
                               "quote_start", "quote_end", "data")}
        for aid, qs in zip(d["id"], res):
            for i, q in enumerate(qs):
                qd = q.to_dict()
                qd["article_id"] = aid
                for k, v in zip(out, (aid, i, q.speaker, q.canonical_speaker, q.kind, q.quote, q.quote_span[0],
                                      q.quote_span[1], json.dumps(qd, ensure_ascii=False))):
                    out[k].append(v)
        yield pa.RecordBatch.from_pydict(out, schema=_arrow_schema(_QUOTE_SCHEMA))


def _event_row(story_id: str, rows: list[dict]) -> dict:
    """The events-table row of one story from its articles (dicts in arrival order, each with
    ``id``, ``outlet``, ``text``, ``published``, ``dateline`` and ``quotes``: a list of
    ``{"quote_index", "data"}`` dicts, or None) — the items :func:`storylens.views.story_event` builds from the
    database on one machine."""
    from .extract.events import build_event, plover_category
    from .model import Quote

    items = [{"article_id": r["id"], "outlet": r.get("outlet"), "text": r.get("text") or "",
              "published": r.get("published"), "dateline": r.get("dateline"),
              "quotes": [Quote.from_dict(json.loads(q["data"])) for q in sorted(r.get("quotes") or [], key=lambda q: q["quote_index"])]}
             for r in rows]
    rec = build_event(story_id, items).to_dict()
    place = rec.get("place") or {}
    return {"story_id": story_id, "type": rec.get("type"), "plover": plover_category(rec.get("type")),
            "actor": rec.get("actor"), "target": rec.get("target"), "place": place.get("name"),
            "country": place.get("country"), "lat": place.get("lat"), "lon": place.get("lon"),
            "date": rec.get("date"), "fatalities": rec.get("fatalities"), "injured": rec.get("injured"),
            "n_articles": len(rows), "record": json.dumps(rec, ensure_ascii=False, default=str)}


def _events_fn(table):
    """applyInArrow per story: its event record (articles arrive with their quotes attached)."""
    import pyarrow as pa

    rows = sorted(table.to_pylist(), key=lambda r: r["arrival"])
    out = _event_row(rows[0]["story_id"], rows)
    return pa.Table.from_pylist([out], schema=_arrow_schema(_EVENT_SCHEMA))


# =========================================================================== driver

def _cut(df):
    """Materialise a DataFrame and cut its lineage (plans of the later stages stay small):
    a reliable checkpoint when a checkpoint dir is set (clusters), else a local one.

    Local checkpoints and the persisted intermediates of :func:`run` are kept on local disk
    only: a memory-and-disk block is first unrolled in the heap, and with a few large
    partitions (1M articles, a 2 GB local-mode heap) the column builders of the cache ran the
    JVM out of memory. Later reads mostly hit the page cache."""
    from pyspark import StorageLevel

    if df.sparkSession.sparkContext.getCheckpointDir():
        return df.checkpoint(eager=True)
    try:
        return df.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)
    except TypeError:  # pyspark < 4 has no storageLevel here
        return df.localCheckpoint(eager=True)


def _is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def _local(uri: str) -> Path:
    return Path(uri[len("file://"):] if uri.startswith("file://") else uri)


def _input_kind(uri: str, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    if _is_remote(uri):
        return "parquet" if uri.rstrip("/").lower().endswith(PARQUET_SUFFIXES) else "files"
    p = _local(uri)
    if p.is_file():
        return "parquet" if p.name.lower().endswith(PARQUET_SUFFIXES) else "files"
    if any(q.name.lower().endswith(PARQUET_SUFFIXES) for q in p.rglob("*")):
        return "parquet"
    return "files"


def _read(spark, inputs: Sequence[str], fmt: str):
    """Raw documents (and read failures) with their arrival order."""
    from pyspark.sql import functions as F

    from .read import ReadFailure, iter_files

    parts = []
    file_no = 0
    for n_input, uri in enumerate(inputs):
        kind = _input_kind(uri, fmt)
        if kind not in ("parquet", "files"):
            raise InputError(uri, f"unknown input format {fmt!r}; use auto, parquet or files")
        if kind == "parquet":
            df = spark.read.parquet(uri if _is_remote(uri) else str(_local(uri)))
            if "text" not in df.columns:
                raise InputError(uri, "Parquet input has no 'text' column; give a column 'text' with the article text")
            df = (df.withColumn("_file", F.input_file_name())
                  .withColumn("_arrival", F.lit(n_input + 1).cast("long") * F.lit(1 << 52)
                              + F.monotonically_increasing_id()))
            parts.append(df.mapInArrow(_parquet_rows_fn, _RAW_SCHEMA))
            continue
        if _is_remote(uri):
            bf = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(uri)
                  .select("path", "content"))
            bf = bf.orderBy("path").withColumn(
                "file_no", (F.lit(n_input + 1).cast("long") << 20) + F.monotonically_increasing_id())
            parts.append(bf.repartition(max(1, spark.sparkContext.defaultParallelism * 2))
                         .mapInArrow(_read_files_fn, _RAW_SCHEMA))
            continue
        rows, failures = [], []
        for item in iter_files([_local(uri)]):
            if isinstance(item, ReadFailure):
                failures.append(str(item))
            else:
                file_no += 1
                rows.append((file_no, str(item)))
        if not rows and failures and not _local(uri).exists():
            raise InputError(uri, "no such file or folder; check the path")
        if not rows:
            raise InputError(uri, "holds no readable article files (.txt .html .jsonl .warc or .parquet); check the path")
        n_parts = max(1, min(len(rows), 4096))  # one task per file (read in bounded batches)
        files = spark.createDataFrame(rows, "file_no long, path string").repartition(n_parts, "file_no")
        parts.append(files.mapInArrow(_read_files_fn, _RAW_SCHEMA))
    raw = parts[0]
    for p in parts[1:]:
        raw = raw.unionByName(p)
    return raw


def _ingest_batches(docs):
    """``arrival, batch``: each readable record's ingest batch on one machine (its rank in
    arrival order, repeated ids included, divided by the pipeline's batch size); the chrome
    lines of a batch are learned before any of its articles is cleaned.  The rank comes from
    a sort and ``zipWithIndex`` (per-partition counts, then offsets: no single-task window)."""
    from .pipeline import INGEST_BATCH

    size = INGEST_BATCH
    ranked = docs.select("arrival").orderBy("arrival").rdd.zipWithIndex()
    return ranked.map(lambda t: (t[0][0], t[1] // size)).toDF("arrival long, batch long")


def _clean(spark, raw, learn_chrome: bool, keep: list | None = None, batches=None):
    """Cleaned articles (lazy); what it persists is appended to ``keep`` (unpersist it
    once the result is materialised).  ``batches`` (from :func:`_ingest_batches`): lines count
    as the pipeline counts them, a whole ingest batch at once; without it, strictly by arrival."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if learn_chrome:
        # persisted: both the running line counts and the outlet counts read it, and each
        # row costs a clean_text call
        keys = raw.mapInArrow(_chrome_keys_fn, "arrival long, outlet0 string, key string, learn boolean")
        if batches is None:
            keys = keys.withColumn("batch", F.col("arrival"))
        else:
            keys = keys.join(batches, "arrival")
        keys = keys.persist(StorageLevel.DISK_ONLY)  # see _cut
        if keep is not None:
            keep.append(keys)
        # running counts, exactly as Store.learn_chrome_many / Store.chrome_for (min_count 3,
        # min_share 0.5) see them when each article's batch is cleaned: everything up to the end
        # of its batch (a range frame takes the whole batch)
        w_line = Window.partitionBy("outlet0", "key").orderBy("batch").rangeBetween(Window.unboundedPreceding, 0)
        outlet_n = (keys.select("outlet0", "arrival", "batch").distinct()
                    .withColumn("n_outlet", F.count("*").over(Window.partitionBy("outlet0").orderBy("batch")
                                                              .rangeBetween(Window.unboundedPreceding, 0)))
                    .drop("batch"))
        # a line seen fewer than 3 times is never chrome: drop those rows (most of them)
        # before the join with the outlet counts
        counted = (keys.withColumn("n_line", F.sum(F.col("learn").cast("int")).over(w_line))
                   .where(F.col("n_line") >= 3)
                   .join(outlet_n, ["outlet0", "arrival"])
                   .where(F.col("n_line") >= F.greatest(F.lit(3), F.floor(F.col("n_outlet") * 0.5))))
        known = counted.groupBy("arrival").agg(F.collect_list("key").alias("known"),
                                               F.max(F.col("learn").cast("int")).alias("learned_hit"))
        raw = raw.join(known, "arrival", "left")
    else:
        raw = raw.withColumn("known", F.lit(None).cast("array<string>")).withColumn("learned_hit", F.lit(None))
    raw = raw.withColumn("learned_hit", F.coalesce(F.col("learned_hit").cast("boolean"), F.lit(False)))
    return raw.mapInArrow(_clean_fn, _CLEAN_SCHEMA)


def _dedup(spark, arts, rare_postings: int, min_shared: int, log=None):
    """Duplicate matches (id, duplicate_of, kind, similarity, group) for every article in a
    candidate component (lazy)."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cap = _dedup_params()["max_postings"]
    keys = arts.select("arrival", "text").mapInArrow(_keys_fn, "arrival long, key long, kind tinyint")
    # one window pass over (kind, key) sorted by arrival: a key's size and each arrival's rank
    w = Window.partitionBy("kind", "key").orderBy("arrival")
    keys = (keys.withColumn("n_key", F.count("*").over(w.rowsBetween(Window.unboundedPreceding,
                                                                       Window.unboundedFollowing)))
            .withColumn("rank", F.row_number().over(w)))
    # the postings of a key: its first `cap` arrivals (DedupIndex keeps no more); rare sampled
    # shingles only (a sampled shingle in many articles is boilerplate, not evidence); keys
    # held by one article make no pair
    keys = (keys.where(((F.col("kind") == 0) | (F.col("n_key") <= rare_postings)) & (F.col("n_key") > 1))
            .select("kind", "key", "arrival", "rank").persist(StorageLevel.DISK_ONLY))  # see _cut
    posted = keys.where(F.col("rank") <= cap).select("kind", "key", F.col("arrival").alias("c"))
    pairs = (keys.select("kind", "key", F.col("arrival").alias("q")).join(posted, ["kind", "key"])
             .where("c < q").groupBy("q", "c")
             .agg(F.max(F.when(F.col("kind") == 0, 1).otherwise(0)).alias("band"),
                  F.sum(F.col("kind").cast("int")).alias("shared")))
    edges = _cut(pairs.where((F.col("band") == 1) | (F.col("shared") >= min_shared)).select(
        F.col("q").alias("src"), F.col("c").alias("dst")))
    keys.unpersist()
    if log:
        log("dedup: candidate pairs")
    comp = _cut(connected_components(edges, log=log).withColumnRenamed("node", "arrival"))
    if log:
        log("dedup: components")
    grouped = arts.select("arrival", "id", "text", "published").join(comp, "arrival")
    return grouped.groupBy("comp").applyInArrow(_dedup_group_fn, _MATCH_SCHEMA)


def _day_blocks(spark, arts, block_articles: int):
    """Cut the date range into blocks of consecutive days holding at most ``block_articles``
    articles (a day is never split); undated articles form their own block (-1) unless the
    whole corpus fits in one block."""
    from pyspark.sql import functions as F

    counts = arts.groupBy(F.substring("published", 1, 10).alias("day")).count().collect()  # one row a day
    total = sum(r["count"] for r in counts)
    if total <= block_articles:
        return spark.createDataFrame([(None, 0)], "day string, block long"), 1, True
    rows, block, size = [], 0, 0
    for r in sorted((r for r in counts if r["day"] is not None), key=lambda r: r["day"]):
        if size and size + r["count"] > block_articles:
            block, size = block + 1, 0
        rows.append((r["day"], block))
        size += r["count"]
    return spark.createDataFrame(rows, "day string, block long"), block + 1, False


def check_inputs(inputs: Sequence[str] | str, fmt: str = "auto") -> list[str]:
    """Check what a user gave before any Spark work starts (raises InputError).

    >>> check_inputs(["/no/such/dir"])
    Traceback (most recent call last):
    ...
    storylens.errors.InputError: /no/such/dir: no such file or folder; check the path
    """
    if isinstance(inputs, str):
        inputs = [inputs]
    inputs = list(inputs)
    if not inputs:
        raise InputError("storylens spark run", "no input given; pass --input with a folder, file or URI")
    if fmt not in ("auto", "parquet", "files"):
        raise InputError(", ".join(inputs), f"unknown input format {fmt!r}; use auto, parquet or files")
    for uri in inputs:
        if not _is_remote(uri) and not _local(uri).exists():
            raise InputError(uri, "no such file or folder; check the path")
    return inputs


def run(
    spark,
    inputs: Sequence[str] | str,
    output: str,
    *,
    fmt: str = "auto",
    quotes: bool = False,
    events: bool = False,
    align_limit: int = 8,
    learn_chrome: bool = True,
    block_articles: int = 50_000,
    rare_postings: int = 64,
    min_shared: int = 2,
    cross_block_merge: bool = True,
    log=None,
) -> RunStats:
    """Run the whole pipeline on Spark and write Parquet tables under ``output``.

    ``inputs``: paths or URIs (folders of .txt/.html/.jsonl/.warc files, or Parquet with a
    ``text`` column and optional ``id``, ``title``, ``url``, ``outlet``, ``published``).
    ``block_articles``: at most this many articles are clustered together in one date block.
    ``rare_postings`` / ``min_shared``: a sampled shingle held by at most ``rare_postings``
    articles is evidence; two articles sharing ``min_shared`` of them (or any LSH band, or
    the exact text) are checked for copying.  ``quotes``: also write the ``quotes`` table;
    ``events``: also write the ``events`` table (one event record per story; needs the quotes,
    so it writes both).  ``log``: called with a line per finished stage.

    >>> stats = run(spark_session(), ["../shared/seeds"], "/tmp/out")   # doctest: +SKIP
    >>> stats.stories                                                     # doctest: +SKIP
    1
    """
    t0 = time.perf_counter()
    inputs = check_inputs(inputs, fmt)
    _require_pyspark()
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    stats = RunStats()
    out = output.rstrip("/")
    mark = [time.perf_counter()]

    def done(stage: str) -> None:
        now = time.perf_counter()
        if log:
            log(f"{stage}: {now - mark[0]:.1f} s")
        mark[0] = now

    # 1. read; drop repeated ids (the pipeline stores the first and skips the rest)
    # kept on disk only: a memory-and-disk cache unrolls whole partitions in the heap first, and
    # one task per input file makes partitions as large as the files (1M articles in 16 JSONL
    # files ran a 2 GB heap out of memory here)
    raw = _read(spark, inputs, fmt).persist(StorageLevel.DISK_ONLY)
    stats.failed = raw.where("failure IS NOT NULL").count()
    docs = raw.where("failure IS NULL").drop("failure")
    batches = _ingest_batches(docs) if learn_chrome else None
    # the first arrival of each id, found on (id, arrival) alone; the semi join leaves the
    # texts partitioned by arrival, which the chrome join of the clean step wants as well
    firsts = docs.groupBy("id").agg(F.min("arrival").alias("arrival")).select("arrival")
    docs = docs.join(firsts, "arrival", "left_semi")

    # 2. clean
    keep: list = []
    arts = _cut(_clean(spark, docs, learn_chrome, keep, batches))
    stats.articles = arts.count()
    for df in keep:
        df.unpersist()
    raw.unpersist()
    done("read+clean")
    if stats.articles == 0:
        raise InputError(", ".join(inputs), "no article could be read; see the read failures")

    # 3. dedup (duplicate groups come with the matches: a copy's original is in its component)
    matches = _dedup(spark, arts, rare_postings, min_shared, log=done)
    arts = _cut(arts.join(matches, "id", "left"))
    stats.duplicates = arts.where("duplicate_of IS NOT NULL").count()
    done("dedup")

    # 4. stories: date blocks, clusterer per block, merges across blocks
    blocks, stats.blocks, single = _day_blocks(spark, arts, block_articles)
    if single:
        barts = arts.withColumn("block", F.lit(0).cast("long"))
    else:
        barts = arts.withColumn("day", F.substring("published", 1, 10)).join(
            F.broadcast(blocks), "day", "left").withColumn("block", F.coalesce("block", F.lit(-1))).drop("day")
        stats.blocks += barts.where("block = -1").limit(1).count()
        # one task per block (hash partitioning would put several blocks in one task and
        # leave cores idle): a block is a few tens of thousands of articles, one task's work
        barts = barts.repartitionByRange(stats.blocks, "block")
    refine_from, refine_vocab, n_refine = None, None, 0
    if not single:
        # the single-machine run's second pass covers its last `refine_docs` arrivals, in one
        # graph; refining each block's own last 20 k instead turned 1 M articles into 675 k
        # stories where the single machine has 842 k. One scalar comes back, and the
        # features of those articles (bounded by refine_docs), for their document counts
        from .cluster import ClusterConfig

        n_refine = min(ClusterConfig().refine_docs, stats.articles)
        refine_from = (arts.select("arrival").orderBy(F.desc("arrival")).limit(n_refine)
                       .agg(F.min("arrival")).first()[0])
        refine_vocab = frozenset(r[0] for r in arts.where(F.col("arrival") >= refine_from)
                                 .select("title", "text").mapInArrow(_features_fn, "term string")
                                 .distinct().collect())
    clustered = (barts.select("arrival", "id", "title", "text", "published", "duplicate_of", "block")
                 .groupBy("block").applyInArrow(
                     _cluster_block_fn(not single and cross_block_merge, refine_from, refine_vocab), _CLUSTER_SCHEMA))
    clustered = _cut(clustered)
    refine_df = clustered.where("id IS NULL").select("dterm", "dcount")
    clustered = clustered.where("id IS NOT NULL")
    done("stories: clustering")
    local = clustered.select("id", "local_story", "story_similarity")
    if single:
        story_of = local.select("id", F.col("local_story").alias("story_id"), "story_similarity")
    else:
        names = clustered.select("local_story").distinct().withColumn(
            "node", F.xxhash64("local_story"))
        ls = local.select("id", "local_story")
        # a copy and its original in different blocks: same story (the pipeline forces it)
        e_dup = (arts.where("duplicate_of IS NOT NULL").select("id", "duplicate_of")
                 .join(ls, "id").join(ls.select(F.col("id").alias("duplicate_of"),
                                                F.col("local_story").alias("orig_story")), "duplicate_of")
                 .where("local_story != orig_story").select(F.col("local_story").alias("a"),
                                                            F.col("orig_story").alias("b")))
        story_edges = e_dup
        if cross_block_merge:
            pcols = ["local_story", "terms", "weights", "norm2", "first", "last"]
            prof = clustered.where("terms IS NOT NULL AND block >= 0").select("block", *pcols)
            sides = (prof.select(F.col("block").alias("boundary"), F.lit(0).alias("side"), *pcols)
                     .union(prof.select((F.col("block") - 1).alias("boundary"), F.lit(1).alias("side"), *pcols)))
            e_sim = sides.groupBy("boundary").applyInArrow(_boundary_merge_fn, "a string, b string")
            story_edges = story_edges.union(e_sim)
        se = _cut(story_edges.join(names.select(F.col("local_story").alias("a"), F.col("node").alias("src")), "a")
                  .join(names.select(F.col("local_story").alias("b"), F.col("node").alias("dst")), "b")
                  .select("src", "dst"))
        done("stories: block merges")
        scomp = connected_components(se, log=done).select(F.col("node").alias("snode"), F.col("comp").alias("cnode"))
        rep = scomp.join(names.select(F.col("node").alias("cnode"), F.col("local_story").alias("rep")), "cnode")
        final = (names.join(rep.select(F.col("snode").alias("node"), "rep"), "node", "left")
                 .select("local_story", F.coalesce("rep", "local_story").alias("story_id")))
        story_of = local.join(final, "local_story").select("id", "story_id", "story_similarity")
        # the one second pass over the run's last `refine_docs` articles (a bounded group)
        rin = (arts.where(F.col("arrival") >= refine_from).select("id", "arrival", "title", "text", "published")
               .join(story_of.select("id", "story_id"), "id")
               .unionByName(refine_df.groupBy("dterm").agg(F.sum("dcount").alias("dcount")),
                            allowMissingColumns=True)
               .withColumn("g", F.lit(0)))
        moved = _cut(rin.groupBy("g").applyInArrow(_refine_fn(stats.articles - n_refine),
                                                   "id string, story_id string"))
        story_of = (story_of.join(moved.withColumnRenamed("story_id", "refined"), "id", "left")
                    .select("id", F.coalesce("refined", "story_id").alias("story_id"), "story_similarity"))
        done("stories: refine")
    arts = _cut(arts.join(story_of, "id"))
    done("stories")

    # stories table: label and central article of the story's largest block-story
    centrals = (clustered.where("central IS NOT NULL").select("local_story", "central", "n", "label")
                .join(local.select(F.col("id").alias("central"), "local_story"), ["central", "local_story"])
                .join(arts.select(F.col("id").alias("central"), "story_id"), "central")
                .withColumn("_r", F.row_number().over(Window.partitionBy("story_id").orderBy(F.desc("n"),
                                                                                            "local_story")))
                .where("_r = 1").select("story_id", F.col("central").alias("central_article"), "label"))
    stories = (arts.groupBy("story_id").agg(
        F.count("*").alias("n_articles"), F.min("published").alias("first_date"),
        F.max("published").alias("last_date"), F.sort_array(F.collect_set("outlet")).alias("outlets"),
        F.min("arrival").alias("first_arrival"))
        .join(centrals, "story_id", "left"))
    # a story without a block-story central (one the second pass made, or whose central it moved)
    # takes its first arrival as central and label: at most the pass's articles, so broadcast
    from .pipeline import _first_words

    need = stories.where("central_article IS NULL").select("story_id", F.col("first_arrival").alias("arrival"))
    first_words = F.udf(lambda text: _first_words(text or ""), "string")
    stand_in = (arts.select("arrival", "id", "title", "text").join(F.broadcast(need), "arrival")
                .select("story_id", F.col("id").alias("first_id"),
                        F.coalesce(F.expr("nullif(title, '')"), first_words("text")).alias("first_label")))
    stories = (stories.join(stand_in, "story_id", "left")
               .withColumn("central_article", F.coalesce("central_article", "first_id"))
               .withColumn("label", F.coalesce("label", "first_label")).drop("first_id", "first_label"))

    # 5. align per story
    story_rows = arts.select("story_id", "arrival", "id", "text", "published", "duplicate_of", "duplicate_kind")
    multi = arts.groupBy("story_id").count().where("count > 1").select("story_id")
    story_rows = story_rows.join(multi, "story_id")
    aligned = _cut(story_rows.groupBy("story_id").applyInArrow(_align_fn(align_limit), _ALIGNED_SCHEMA))
    done("align")
    passages = aligned.where("tbl = 'passages'").select(*[c.split()[0] for c in _PASSAGE_SCHEMA.split(", ")])
    reuse = aligned.where("tbl = 'reuse'").select(*[c.split()[0] for c in _REUSE_SCHEMA.split(", ")])

    # write
    cols = ["id", "arrival", "source", "raw_text", "text", "title", "outlet", "url", "published", "dateline",
            "format", "removed", "content_hash", "duplicate_of", "duplicate_kind", "duplicate_similarity",
            "duplicate_group", "story_id", "story_similarity"]
    arts.select(*cols).write.mode("overwrite").parquet(f"{out}/articles")
    done("write articles")
    stats.stories = stories.count()
    stories.write.mode("overwrite").parquet(f"{out}/stories")
    passages.write.mode("overwrite").parquet(f"{out}/passages")
    reuse.write.mode("overwrite").parquet(f"{out}/reuse")
    stats.passages = spark.read.parquet(f"{out}/passages").count()
    done("write stories/passages")
    if quotes or events:
        q = arts.select("id", "text").mapInArrow(_quotes_fn, _QUOTE_SCHEMA)
        q.write.mode("overwrite").parquet(f"{out}/quotes")
        q = spark.read.parquet(f"{out}/quotes")
        stats.quotes = q.count()
        done("quotes")
    if events:
        per_article = q.groupBy(F.col("article_id").alias("id")).agg(
            F.collect_list(F.struct("quote_index", "data")).alias("quotes"))
        ev = (arts.select("story_id", "arrival", "id", "outlet", "text", "published", "dateline")
              .join(per_article, "id", "left")
              .groupBy("story_id").applyInArrow(_events_fn, _EVENT_SCHEMA))
        ev.write.mode("overwrite").parquet(f"{out}/events")
        stats.events = spark.read.parquet(f"{out}/events").where("type IS NOT NULL").count()
        done("events")
    stats.seconds = time.perf_counter() - t0
    return stats


def read_partition(path: str | os.PathLike) -> dict[str, str]:
    """article id -> story id from a run's ``articles`` table (reads Parquet with pyarrow).

    >>> part = read_partition("/tmp/out")   # doctest: +SKIP
    """
    import pyarrow.parquet as pq

    t = pq.read_table(str(Path(path) / "articles"), columns=["id", "story_id"])
    return dict(zip(t.column("id").to_pylist(), t.column("story_id").to_pylist()))


def read_duplicates(path: str | os.PathLike) -> dict[str, str | None]:
    """article id -> duplicate_of from a run's ``articles`` table.

    >>> dups = read_duplicates("/tmp/out")   # doctest: +SKIP
    """
    import pyarrow.parquet as pq

    t = pq.read_table(str(Path(path) / "articles"), columns=["id", "duplicate_of"])
    return dict(zip(t.column("id").to_pylist(), t.column("duplicate_of").to_pylist()))


__all__ += ["read_partition", "read_duplicates"]
