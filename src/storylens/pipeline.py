"""Wires the stages: read → clean → fingerprint/dedup → cluster → align → store,
then (optionally) extract quotes. Batch ingest and one-article-at-a-time use share
the same code path (:meth:`Pipeline.add_docs`).

The dedup index and the story clusterer live in memory; their state is saved
into the store (``state`` table) with the sequence number of the last article it
covers, and on opening, articles stored after that (by a crashed run or another
writer) are replayed, so the in-memory state always matches the database.

>>> from storylens.store import Store
>>> p = Pipeline(Store(":memory:"), extract=False)
>>> stats = p.ingest(["../shared/seeds"])                     # doctest: +SKIP
>>> stats.new, p.store.count_stories()                         # doctest: +SKIP
(2, 1)
"""
from __future__ import annotations

import fcntl
import gc
import hashlib
import itertools
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import align as _align
from .clean import chrome_keys, clean_text, reclean
from .cluster import StoryClusterer
from .dedup import DedupIndex
from .errors import StoreError
from .fingerprint import content_hash
from .model import Article, RawDoc, Reuse
from .read import ReadFailure, read_paths
from .store import Store

SNAPSHOT_EVERY = 250_000  # a snapshot of a large state costs seconds and memory; replay covers the gap
FREEZE_EVERY = 16_384  # articles between gc.freeze() calls when Pipeline(freeze_gc=True)


@dataclass
class IngestStats:
    read: int = 0
    new: int = 0
    duplicate: int = 0  # stored, and marked as a copy of an earlier article
    already: int = 0  # skipped: this very input was stored before
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    stories_new: int = 0  # net change in the number of stories (new ones less merged ones)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"read {self.read}, new {self.new}, duplicate {self.duplicate}, already stored {self.already}, "
            f"failed {self.failed}; stories {self.stories_new:+d}"
        )


def article_id(doc: RawDoc) -> str:
    """The input's own id when it gives one, else a stable id from where and what it is.

    >>> article_id(RawDoc(source="a/b.txt", text="Hello", format="txt"))
    'a92a0551b4a4cc432'
    """
    if doc.meta.get("id"):
        return str(doc.meta["id"])
    where = doc.meta.get("url") or Path(doc.source.split(":", 1)[0].split("#", 1)[0]).name
    h = hashlib.sha1(f"{doc.format}\0{where}\0{doc.text}".encode("utf-8", "surrogatepass")).hexdigest()
    return "a" + h[:16]


#: articles read per transaction of :meth:`Pipeline.ingest_docs`; chrome lines are learned a
#: batch at a time (a batch sees its own lines), so Spark cuts its arrivals the same way
INGEST_BATCH = 256


class Pipeline:
    """The ingest machinery over one :class:`Store`."""

    def __init__(
        self,
        store: Store,
        extract: bool = True,
        align_limit: int = 8,
        learn_chrome: bool = True,
        batch_size: int = INGEST_BATCH,
        refine: bool = True,
        freeze_gc: bool = False,
    ):
        self.store = store
        self.extract = extract
        self.align_limit = align_limit
        self.learn_chrome = learn_chrome
        self.batch_size = batch_size
        self.refine = refine
        #: long ingests only (the CLI sets it): every FREEZE_EVERY articles, collect the young
        #: generations and move every surviving object out of the cyclic collector's reach
        #: (``gc.freeze``), so its full collections stop walking the millions of long-lived
        #: index and story objects (at 1M articles they took 161 s, the longest 7 s). Objects
        #: frozen are still freed by reference counting; only cyclic garbage older than the last
        #: young collection would stay. Off by default: a library must not freeze its host's heap.
        self.freeze_gc = freeze_gc
        self._since_freeze = 0
        self.dedup: DedupIndex | None = None
        self.clusterer: StoryClusterer | None = None
        self.state_seq = 0
        self._since_snapshot = 0
        self._lock_file = None
        #: when a dict, :meth:`add_docs` adds the seconds spent in each stage to it
        #: (``clean``, ``dedup``, ``story``, ``align``; benchmarks read it, see bench/scale.py)
        self.timings: dict[str, float] | None = None

    # ------------------------------------------------------------------ state
    def sync(self) -> int:
        """Load saved state (first call) and replay articles stored after it; returns how many were replayed."""
        st = self.store
        if self.dedup is None:
            where = os.path.dirname(os.path.abspath(st.path)) if st.path != ":memory:" else None
            d = st.get_state_file("dedup", where)
            c = st.get_state_file("cluster", where)
            restored = False
            try:
                if d and c and d[0] == c[0]:
                    try:
                        self.dedup = DedupIndex.read_from(d[1])
                        c[1].seek(0)
                        head = c[1].read(2)
                        c[1].seek(0)
                        self.clusterer = (StoryClusterer.read_from(c[1]) if head == b"PK"
                                          else StoryClusterer.from_bytes(c[1].read()))
                        self.state_seq = d[0]
                        restored = True
                    except Exception:  # noqa: BLE001 - a snapshot from another version: rebuild from the articles
                        restored = False
            finally:
                for x in (d, c):
                    if x:
                        x[1].close()
            if not restored:
                self.dedup = DedupIndex()
                self.clusterer = StoryClusterer()
                self.state_seq = 0
        n = 0
        pending = st.articles(after_seq=self.state_seq)
        while True:
            # the dedup index takes a batch at once (same results as one by one, many times faster)
            batch = list(itertools.islice(pending, 1024))
            if not batch:
                break
            self.dedup.add_many([a.id for a in batch], [a.text for a in batch], [a.published for a in batch])
            for a in batch:
                if a.story_id:
                    self.clusterer.assign(
                        a.id, a.title, a.text, a.published, force_story=a.story_id, create_story=True
                    )
                self.state_seq = a.seq
            n += len(batch)
        self._since_snapshot += n
        return n

    def save_state(self) -> None:
        """Snapshot the dedup index and clusterer into the store."""
        if self.dedup is None:
            return
        seq = self.state_seq
        where = os.path.dirname(os.path.abspath(self.store.path)) if self.store.path != ":memory:" else None
        with self.store.transaction():
            for key, obj in (("dedup", self.dedup), ("cluster", self.clusterer)):
                # written to a scratch file beside the database and stored in parts: a snapshot
                # of a million articles (~1 GB) is never held in memory whole
                with tempfile.TemporaryFile(dir=where) as f:
                    obj.write_to(f)
                    f.seek(0)
                    self.store.set_state_file(key, seq, f)
        self._since_snapshot = 0

    @contextmanager
    def writing(self, wait_message: Callable[[str], None] | None = None) -> Iterator["Pipeline"]:
        """Hold the database's writer lock (one writer process at a time) and sync state."""
        if self.store.path != ":memory:" and self._lock_file is None:
            lock_path = self.store.path + ".lock"
            f = open(lock_path, "a+")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if wait_message:
                    wait_message(f"another storylens process is writing to {self.store.path}; waiting for it to finish")
                fcntl.flock(f, fcntl.LOCK_EX)
            self._lock_file = f
            owned = True
        else:
            owned = False
        try:
            self.sync()
            yield self
        finally:
            if owned:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()
                self._lock_file = None

    # ----------------------------------------------------------------- ingest
    def ingest(
        self,
        paths: Iterable[str | os.PathLike],
        on_failure: Callable[[str], None] | None = None,
        progress: Callable[[int], None] | None = None,
        wait_message: Callable[[str], None] | None = None,
    ) -> IngestStats:
        """Read files and folders and add every article; failures are reported, never fatal."""
        return self.ingest_docs(read_paths(paths), on_failure, progress, wait_message)

    def ingest_docs(
        self,
        docs: Iterable[RawDoc | ReadFailure],
        on_failure: Callable[[str], None] | None = None,
        progress: Callable[[int], None] | None = None,
        wait_message: Callable[[str], None] | None = None,
    ) -> IngestStats:
        stats = IngestStats()
        t0 = time.perf_counter()
        with self.writing(wait_message):
            stories_before = self.store.count_stories()
            batch: list[RawDoc] = []
            for item in docs:
                if isinstance(item, ReadFailure):
                    stats.failed += 1
                    stats.failures.append(str(item))
                    if on_failure:
                        on_failure(str(item))
                    if progress:
                        progress(1)
                    continue
                stats.read += 1
                batch.append(item)
                if len(batch) >= self.batch_size:
                    self.add_docs(batch, stats, on_failure)
                    if progress:
                        progress(len(batch))
                    self._maybe_freeze(len(batch))
                    batch = []
            if batch:
                self.add_docs(batch, stats, on_failure)
                if progress:
                    progress(len(batch))
            if self.refine:
                self.apply_refine()
            stats.stories_new = self.store.count_stories() - stories_before
            if self.extract:
                self.analyse_pending()
            self.save_state()
        stats.seconds = time.perf_counter() - t0
        return stats

    def _maybe_freeze(self, n: int) -> None:
        if not self.freeze_gc:
            return
        self._since_freeze += n
        if self._since_freeze >= FREEZE_EVERY:
            self._since_freeze = 0
            gc.collect(1)
            gc.freeze()

    def add_docs(
        self, docs: list[RawDoc], stats: IngestStats | None = None, on_failure: Callable[[str], None] | None = None
    ) -> list[Article]:
        """Clean, dedup, cluster, align and store a batch (one transaction; each article complete or absent).

        The caller holds :meth:`writing` (``ingest_docs`` does)."""
        stats = stats or IngestStats()
        if self.dedup is None:
            self.sync()
        st = self.store
        out: list[Article] = []
        with st.transaction():
            fresh: list[tuple[str, RawDoc]] = []
            seen: set[str] = set()
            for doc in docs:
                aid = article_id(doc)
                if aid in seen:
                    stats.already += 1
                    continue
                old = st.db.execute("SELECT raw_text FROM articles WHERE id=?", (aid,)).fetchone()
                if old is not None:
                    if old[0] != doc.text and doc.meta.get("id"):
                        stats.failed += 1
                        msg = (
                            f"{doc.source}: id {aid!r} is already stored with a different text; "
                            "give each article a unique id"
                        )
                        stats.failures.append(msg)
                        if on_failure:
                            on_failure(msg)
                    else:
                        stats.already += 1
                    continue
                seen.add(aid)
                fresh.append((aid, doc))
            if not fresh:
                return out
            tm = self.timings
            t0 = time.perf_counter() if tm is not None else 0.0
            arts = []
            for (aid, doc), c in zip(fresh, self._clean_batch([d for _, d in fresh])):
                arts.append(
                    Article(
                        id=aid, source=doc.source, raw_text=doc.text, text=c.text, title=c.title, outlet=c.outlet,
                        url=c.url, published=c.published, dateline=c.dateline, format=doc.format,
                        removed=c.removed, content_hash=content_hash(c.text),
                    )
                )
            if tm is not None:
                t1 = time.perf_counter()
                tm["clean"] = tm.get("clean", 0.0) + (t1 - t0)
            matches = self.dedup.add_many([a.id for a in arts], [a.text for a in arts], [a.published for a in arts])
            if tm is not None:
                tm["dedup"] = tm.get("dedup", 0.0) + (time.perf_counter() - t1)
            for art, (aid, doc), m in zip(arts, fresh, matches):
                self._add_one(art, doc, m, stats)
                out.append(art)
                if art.duplicate_of:
                    stats.duplicate += 1
                else:
                    stats.new += 1
        self._since_snapshot += len(out)
        if self._since_snapshot >= SNAPSHOT_EVERY:
            self.save_state()
        return out

    def _clean_batch(self, docs: list[RawDoc]):
        """Clean a batch; lines repeated across an outlet's articles (this batch included) count as chrome."""
        first = [clean_text(d.text, d.meta) for d in docs]
        out = list(first)
        if self.learn_chrome:
            keys_by_doc: list[set[str]] = []
            by_outlet: dict[str, list[set[str]]] = {}
            for d, c in zip(docs, first):
                keys = chrome_keys(d.text) if c.outlet else set()
                keys_by_doc.append(keys)
                if c.outlet:
                    by_outlet.setdefault(c.outlet, []).append(keys)
            for outlet, key_sets in by_outlet.items():
                self.store.learn_chrome_many(outlet, key_sets)
            known = {o: self.store.chrome_for(o) for o in by_outlet}
            for i, (d, c) in enumerate(zip(docs, first)):
                if c.outlet and known[c.outlet] & keys_by_doc[i]:
                    out[i] = reclean(d.text, d.meta, c, known[c.outlet])
        for c, d in zip(out, docs):
            if not c.text.strip():
                # everything looked like chrome: keep the raw text rather than lose the article
                c.text = d.text.strip()
        return out

    def _add_one(self, art: Article, doc: RawDoc, m, stats: IngestStats) -> None:
        st = self.store
        tm = self.timings
        t0 = time.perf_counter() if tm is not None else 0.0
        force = None
        if m is not None:
            art.duplicate_of, art.duplicate_kind, art.duplicate_similarity = m.of, m.kind, round(float(m.similarity), 4)
            row = st.db.execute("SELECT story_id FROM articles WHERE id=?", (m.of,)).fetchone()
            if row and row[0]:
                force = self.clusterer.resolve(row[0])
        sid, sim = self.clusterer.assign(art.id, art.title, art.text, art.published, force_story=force)
        art.story_id, art.story_similarity = sid, round(float(sim), 4)
        if tm is not None:
            t1 = time.perf_counter()
            tm["story"] = tm.get("story", 0.0) + (t1 - t0)
        seq = st.insert_article(art, html=doc.html)
        self.state_seq = seq
        merged = False
        for gone, kept in self.clusterer.pop_merges():
            self._merge_stories(gone, kept, seq)
            merged = True
        sid = self.clusterer.resolve(sid)
        art.story_id = sid
        if tm is not None:
            t2 = time.perf_counter()
            self._align_new(art)
            tm["align"] = tm.get("align", 0.0) + (time.perf_counter() - t2)
        else:
            self._align_new(art)
        if merged:
            self._touch_story(sid, seq)
        else:
            self._touch_story(sid, seq, art)

    def apply_refine(self) -> int:
        """Run the clusterer's second pass over recent articles and move stored articles to match.

        Articles that change story lose their passages with articles of the old story and are
        aligned with articles of the new one; emptied stories go. Returns how many moved."""
        moves = self.clusterer.refine()
        merges = self.clusterer.pop_merges()
        if not moves and not merges:
            return 0
        st = self.store
        db = st.db
        seq = self.state_seq
        with st.transaction():
            touched: set[str] = set()
            for doc_id, old, new in moves:
                db.execute("UPDATE articles SET story_id=? WHERE id=?", (new, doc_id))
                touched.update((old, new))
            for gone, kept in merges:
                self._merge_stories(gone, kept, seq)
                touched.update((gone, kept))
            for doc_id, _, new in moves:
                new = self.clusterer.resolve(new)
                # drop reuse and passages with articles that are no longer in the same story
                for table in ("passages", "reuse"):
                    db.execute(
                        f"DELETE FROM {table} WHERE (article_a=? AND article_b NOT IN "
                        f"(SELECT id FROM articles WHERE story_id=?)) OR (article_b=? AND article_a NOT IN "
                        f"(SELECT id FROM articles WHERE story_id=?))",
                        (doc_id, new, doc_id, new),
                    )
                db.execute("UPDATE passages SET story_id=? WHERE article_a=? OR article_b=?", (new, doc_id, doc_id))
                db.execute("UPDATE reuse SET story_id=? WHERE article_a=? OR article_b=?", (new, doc_id, doc_id))
                row = db.execute(
                    "SELECT id, text, published, duplicate_of, duplicate_kind FROM articles WHERE id=?", (doc_id,)
                ).fetchone()
                art = Article(id=row[0], source="", raw_text="", text=row[1], published=row[2],
                              duplicate_of=row[3], duplicate_kind=row[4], story_id=new)
                self._align_new(art, skip=st.aligned_pairs(doc_id))
            for sid in touched:
                sid = self.clusterer.resolve(sid)
                n = db.execute("SELECT COUNT(*) FROM articles WHERE story_id=?", (sid,)).fetchone()[0]
                if n == 0:
                    db.execute("DELETE FROM stories WHERE id=?", (sid,))
                    db.execute("DELETE FROM events WHERE story_id=?", (sid,))
                else:
                    self._touch_story(sid, seq)
            # the moves and the state that knows them commit together
            self.save_state()
        return len(moves)

    def _merge_stories(self, gone: str, kept: str, seq: int) -> None:
        db = self.store.db
        db.execute("UPDATE articles SET story_id=? WHERE story_id=?", (kept, gone))
        db.execute("UPDATE passages SET story_id=? WHERE story_id=?", (kept, gone))
        db.execute("UPDATE reuse SET story_id=? WHERE story_id=?", (kept, gone))
        db.execute("DELETE FROM stories WHERE id=?", (gone,))
        db.execute("DELETE FROM events WHERE story_id=?", (gone,))
        self._touch_story(kept, seq)

    def _touch_story(self, sid: str, seq: int, added: Article | None = None) -> None:
        """Refresh a story's label, dates, outlets and count (incrementally when one article was added)."""
        central = self.clusterer.central_article(sid)
        if added is not None and central == added.id:
            label = added.title or _first_words(added.text)
        else:
            row = self.store.db.execute("SELECT title, text FROM articles WHERE id=?", (central,)).fetchone()
            label = (row[0] or _first_words(row[1])) if row else None
        if added is not None:
            self.store.story_add_article(sid, label, central, seq, added.published, added.outlet)
        else:
            self.store.upsert_story(sid, label, central, seq)

    def _align_new(self, art: Article, skip: set[str] = frozenset()) -> None:
        """Align a new article with the most relevant articles already in its story."""
        db = self.store.db
        rows = db.execute(
            "SELECT id, text, published, seq FROM articles WHERE story_id=? AND id != ? ORDER BY seq DESC LIMIT ?",
            (art.story_id, art.id, self.align_limit),
        ).fetchall()
        partners = {r[0]: r for r in rows}
        if art.duplicate_of and art.duplicate_of not in partners:
            r = db.execute(
                "SELECT id, text, published, seq FROM articles WHERE id=? AND story_id=?",
                (art.duplicate_of, art.story_id),
            ).fetchone()
            if r:
                partners[r[0]] = r
        for pid, ptext, ppub, _ in partners.values():
            if pid in skip:
                continue
            spans = _align.align_pair(ptext, art.text)
            share_a = _align.shared_share(ptext, [(s, e) for s, e, _, _, _ in spans])
            share_b = _align.shared_share(art.text, [(s, e) for _, _, s, e, _ in spans])
            orig, reason = _align.likely_original(
                {"id": pid, "published": ppub}, {"id": art.id, "published": art.published}, share_a, share_b
            )
            if orig is None and art.duplicate_of == pid and art.duplicate_kind in ("exact", "near", "contained"):
                orig, reason = pid, "arrived first"
            self.store.add_passages(
                art.story_id,
                pid,
                art.id,
                spans,
                Reuse(art.story_id, pid, art.id, round(share_a, 4), round(share_b, 4), orig, reason),
            )

    # --------------------------------------------------------------- extract
    def analyse_pending(self, progress: Callable[[int], None] | None = None) -> int:
        """Extract quotes for stored articles not analysed yet (in batches, own transactions)."""
        from .extract.quotes import extract_quotes_many

        db = self.store.db
        n = 0
        while True:
            rows = db.execute(
                "SELECT a.id, a.text FROM articles a LEFT JOIN analysed q ON q.article_id = a.id "
                "WHERE q.article_id IS NULL ORDER BY a.seq LIMIT 256"
            ).fetchall()
            if not rows:
                return n
            # spaCy is the cost here: split a large batch over the cores (forked workers parse, we write)
            workers = min(os.cpu_count() or 1, 4) if len(rows) >= 64 else 1
            results = extract_quotes_many([r[1] for r in rows], n_process=workers)
            with self.store.transaction():
                for (aid, _), quotes in zip(rows, results):
                    self.store.set_quotes(aid, [q.to_dict() for q in quotes])
            n += len(rows)
            if progress:
                progress(len(rows))


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


__all__ = ["Pipeline", "IngestStats", "article_id", "StoreError"]
