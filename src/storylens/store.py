"""The only module that speaks SQL: a SQLite store in WAL mode.

Schema versions are numbered; opening an older database upgrades it in place
(see ``MIGRATIONS``). Each article is written with its derived data in one
transaction, so a crash leaves either all of it or none.

>>> s = Store(":memory:")
>>> s.schema_version() == SCHEMA_VERSION
True
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .errors import NotFoundError, StoreError
from .model import Article, Passage, RemovedLine, Reuse

SCHEMA_VERSION = 3
CACHE_KIB = 64 * 1024  # SQLite page cache per connection (filled only as pages are used)
DEFAULT_DB = "storylens.db"

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS articles (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  source TEXT, format TEXT, url TEXT, outlet TEXT, title TEXT, published TEXT, dateline TEXT, language TEXT,
  raw_text TEXT NOT NULL, text TEXT NOT NULL, removed TEXT, html TEXT,
  content_hash TEXT,
  duplicate_of TEXT, duplicate_kind TEXT, duplicate_similarity REAL,
  story_id TEXT, story_similarity REAL,
  added_at REAL
);
CREATE INDEX IF NOT EXISTS articles_story ON articles(story_id);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_dup ON articles(duplicate_of);
CREATE TABLE IF NOT EXISTS stories (
  id TEXT PRIMARY KEY, label TEXT, label_article TEXT, first_date TEXT, last_date TEXT,
  n_articles INTEGER DEFAULT 0, outlets TEXT, updated_seq INTEGER
);
CREATE TABLE IF NOT EXISTS passages (
  id INTEGER PRIMARY KEY, story_id TEXT NOT NULL,
  article_a TEXT NOT NULL, start_a INTEGER, end_a INTEGER,
  article_b TEXT NOT NULL, start_b INTEGER, end_b INTEGER, similarity REAL
);
CREATE INDEX IF NOT EXISTS passages_story ON passages(story_id);
CREATE INDEX IF NOT EXISTS passages_a ON passages(article_a);
CREATE INDEX IF NOT EXISTS passages_b ON passages(article_b);
CREATE TABLE IF NOT EXISTS reuse (
  story_id TEXT NOT NULL, article_a TEXT NOT NULL, article_b TEXT NOT NULL,
  shared_a REAL, shared_b REAL, original TEXT, reason TEXT,
  PRIMARY KEY (article_a, article_b)
);
CREATE INDEX IF NOT EXISTS reuse_story ON reuse(story_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, seq INTEGER, blob BLOB);
CREATE TABLE IF NOT EXISTS chrome_lines (
  outlet TEXT NOT NULL, line TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (outlet, line)
);
CREATE TABLE IF NOT EXISTS outlet_counts (outlet TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

# v2: quotes, entities, events, full-text search.
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS quotes (
  id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, speaker TEXT, canonical_speaker TEXT, kind TEXT, data TEXT
);
CREATE INDEX IF NOT EXISTS quotes_article ON quotes(article_id);
CREATE TABLE IF NOT EXISTS analysed (article_id TEXT PRIMARY KEY, quotes INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS events (story_id TEXT PRIMARY KEY, seq INTEGER, data TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
  title, text, content='articles', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.seq, old.title, old.text);
END;
"""

# v3: learned chrome lines are read by count (Store.chrome_for); without this index that read scanned every
# candidate line an outlet ever had (hundreds of thousands at a million articles: the add-one tail).
_SCHEMA_V3 = """
CREATE INDEX IF NOT EXISTS chrome_lines_n ON chrome_lines(outlet, n);
"""

MIGRATIONS = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3}

ARTICLE_COLS = (
    "seq, id, source, format, url, outlet, title, published, dateline, language, raw_text, text, removed, "
    "content_hash, duplicate_of, duplicate_kind, duplicate_similarity, story_id, story_similarity"
)


def default_db_path() -> str:
    return os.environ.get("STORYLENS_DB") or DEFAULT_DB


class Store:
    """A storylens database. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike | None = None, readonly: bool = False, timeout: float = 60.0):
        self.path = str(path or default_db_path())
        if self.path != ":memory:":
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.is_dir():
                raise StoreError(f"cannot create database {self.path}: folder {parent} does not exist; create it first")
            if readonly and not Path(self.path).exists():
                raise StoreError(
                    f"no database at {self.path}; run `storylens ingest PATH` first or pass --db to point at one"
                )
        try:
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = %d" % int(timeout * 1000))
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            # a larger page cache than SQLite's 2 MB default: at a million articles the indexes one
            # added article looks up (ids, stories, full text) no longer fit in 2 MB
            self.db.execute("PRAGMA cache_size = %d" % -CACHE_KIB)
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path} is not a usable storylens database ({e}); check the path") from e

    # ------------------------------------------------------------------ setup
    def schema_version(self) -> int:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer storylens (schema {current} > {SCHEMA_VERSION}); upgrade storylens"
            )
        if current == SCHEMA_VERSION:
            return
        with self.transaction():
            current = self.schema_version()  # another process may have migrated meanwhile
            for v in range(current + 1, SCHEMA_VERSION + 1):
                self._script(MIGRATIONS[v])
                if v == 2 and current >= 1:
                    # index text that older versions stored
                    self.db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
            self.db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def _script(self, script: str) -> None:
        # executescript() would COMMIT our transaction; run statements one by one instead.
        for stmt in _split_sql(script):
            self.db.execute(stmt)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[None]:
        """One atomic unit of work (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error)."""
        if self.db.in_transaction:
            yield
            return
        for attempt in range(100):
            try:
                self.db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
                break
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or attempt == 99:
                    raise StoreError(f"the database {self.path} is busy ({e}); try again when the other writer ends")
                time.sleep(0.1)
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # --------------------------------------------------------------- articles
    def has_article(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone() is not None

    def insert_article(self, a: Article, html: str | None = None) -> int:
        cur = self.db.execute(
            "INSERT INTO articles (id, source, format, url, outlet, title, published, dateline, language, raw_text, "
            "text, removed, html, content_hash, duplicate_of, duplicate_kind, duplicate_similarity, story_id, "
            "story_similarity, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                a.id, a.source, a.format, a.url, a.outlet, a.title, a.published, a.dateline, a.language,
                a.raw_text, a.text, json.dumps([r.__dict__ for r in a.removed]) if a.removed else None, html,
                a.content_hash, a.duplicate_of, a.duplicate_kind, a.duplicate_similarity, a.story_id,
                a.story_similarity, time.time(),
            ),
        )
        a.seq = cur.lastrowid
        return a.seq

    def _row_article(self, r: sqlite3.Row) -> Article:
        removed = [RemovedLine(**d) for d in json.loads(r["removed"])] if r["removed"] else []
        return Article(
            id=r["id"], source=r["source"], raw_text=r["raw_text"], text=r["text"], title=r["title"],
            outlet=r["outlet"], url=r["url"], published=r["published"], dateline=r["dateline"],
            language=r["language"], format=r["format"], removed=removed, content_hash=r["content_hash"],
            duplicate_of=r["duplicate_of"], duplicate_kind=r["duplicate_kind"],
            duplicate_similarity=r["duplicate_similarity"], story_id=r["story_id"],
            story_similarity=r["story_similarity"], seq=r["seq"],
        )

    def article(self, article_id: str) -> Article:
        r = self.db.execute(f"SELECT {ARTICLE_COLS} FROM articles WHERE id=?", (article_id,)).fetchone()
        if r is None:
            # allow a unique prefix, as git does for commits
            rows = self.db.execute(
                f"SELECT {ARTICLE_COLS} FROM articles WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                (_like_prefix(article_id),),
            ).fetchall()
            if len(rows) == 1:
                r = rows[0]
            else:
                raise NotFoundError(
                    f"no article {article_id!r} in {self.path}; list ids with `storylens export articles` "
                    "or `storylens show STORY_ID`"
                )
        return self._row_article(r)

    def articles(self, story_id: str | None = None, after_seq: int = 0, limit: int | None = None) -> Iterator[Article]:
        q = f"SELECT {ARTICLE_COLS} FROM articles WHERE seq > ?"
        args: list[Any] = [after_seq]
        if story_id is not None:
            q += " AND story_id = ?"
            args.append(story_id)
        q += " ORDER BY seq"
        if limit:
            q += " LIMIT ?"
            args.append(limit)
        for r in self.db.execute(q, args):
            yield self._row_article(r)

    def article_meta(self, story_id: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT id, outlet, title, published, url, dateline, source, duplicate_of, duplicate_kind, "
            "duplicate_similarity, story_similarity, length(text) AS n_chars, seq FROM articles WHERE story_id=? "
            "ORDER BY COALESCE(published, '9999'), seq",
            (story_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def count_articles(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def max_seq(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0]

    def duplicates_of(self, article_id: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT id, outlet, title, published, duplicate_kind, duplicate_similarity FROM articles "
            "WHERE duplicate_of=? ORDER BY seq",
            (article_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def search(self, query: str, limit: int = 20, offset: int = 0) -> list[dict]:
        """Full-text search over titles and texts; the query is taken as plain words, never as FTS syntax."""
        words = [w for w in _fts_words(query)]
        if not words:
            return []
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = self.db.execute(
            "SELECT a.id, a.title, a.outlet, a.published, a.story_id, "
            "snippet(articles_fts, 1, '\x02', '\x03', '…', 12) AS snippet "
            "FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid "
            "WHERE articles_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?",
            (match, limit, offset),
        ).fetchall()
        return [dict(r) for r in rows]

    # ---------------------------------------------------------------- stories
    def upsert_story(self, story_id: str, label: str | None, label_article: str | None, seq: int) -> None:
        """Create the story or refresh its dates, outlets and counts from its articles."""
        row = self.db.execute(
            "SELECT MIN(published), MAX(published), COUNT(*) FROM articles WHERE story_id=?", (story_id,)
        ).fetchone()
        outlets = [
            r[0]
            for r in self.db.execute(
                "SELECT outlet FROM articles WHERE story_id=? AND outlet IS NOT NULL GROUP BY outlet "
                "ORDER BY MIN(seq)",
                (story_id,),
            )
        ]
        self.db.execute(
            "INSERT INTO stories(id, label, label_article, first_date, last_date, n_articles, outlets, updated_seq) "
            "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET label=excluded.label, "
            "label_article=excluded.label_article, first_date=excluded.first_date, last_date=excluded.last_date, "
            "n_articles=excluded.n_articles, outlets=excluded.outlets, updated_seq=excluded.updated_seq",
            (story_id, label, label_article, row[0], row[1], row[2], json.dumps(outlets), seq),
        )

    def story_add_article(
        self, story_id: str, label: str | None, label_article: str | None, seq: int,
        published: str | None, outlet: str | None,
    ) -> None:
        """Count one more article into a story without rescanning the story's articles."""
        r = self.db.execute(
            "SELECT first_date, last_date, n_articles, outlets FROM stories WHERE id=?", (story_id,)
        ).fetchone()
        if r is None:
            self.db.execute(
                "INSERT INTO stories(id, label, label_article, first_date, last_date, n_articles, outlets, "
                "updated_seq) VALUES (?,?,?,?,?,1,?,?)",
                (story_id, label, label_article, published, published, json.dumps([outlet] if outlet else []), seq),
            )
            return
        first, last, n, outlets = r
        outlets = json.loads(outlets) if outlets else []
        if outlet and outlet not in outlets:
            outlets.append(outlet)
        if published:
            first = min(first, published) if first else published
            last = max(last, published) if last else published
        self.db.execute(
            "UPDATE stories SET label=?, label_article=?, first_date=?, last_date=?, n_articles=?, outlets=?, "
            "updated_seq=? WHERE id=?",
            (label, label_article, first, last, n + 1, json.dumps(outlets), seq, story_id),
        )

    def story(self, story_id: str) -> dict:
        r = self.db.execute("SELECT * FROM stories WHERE id=?", (story_id,)).fetchone()
        if r is None:
            rows = self.db.execute(
                "SELECT * FROM stories WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (_like_prefix(story_id),)
            ).fetchall()
            if len(rows) != 1:
                raise NotFoundError(f"no story {story_id!r} in {self.path}; list them with `storylens stories`")
            r = rows[0]
        return _story_dict(r)

    def stories(
        self,
        limit: int | None = None,
        offset: int = 0,
        outlet: str | None = None,
        since: str | None = None,
        until: str | None = None,
        entity: str | None = None,
        query: str | None = None,
    ) -> list[dict]:
        """Stories, newest first, with optional filters (all parameters are bound, never spliced)."""
        where, args = ["1=1"], []
        if outlet:
            where.append("EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id AND a.outlet = ?)")
            args.append(outlet)
        if since:
            where.append("COALESCE(s.last_date, '9999') >= ?")
            args.append(since)
        if until:
            where.append("COALESCE(s.first_date, '0000') <= ?")
            args.append(until)
        if entity:
            where.append(
                "EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id AND a.text LIKE ? ESCAPE '\\')"
            )
            args.append("%" + _like_escape(entity) + "%")
        if query:
            ids = {r["story_id"] for r in self.search(query, limit=500)}
            if not ids:
                return []
            where.append("s.id IN (%s)" % ",".join("?" * len(ids)))
            args.extend(sorted(ids))
        q = (
            "SELECT s.* FROM stories s WHERE " + " AND ".join(where) +
            " ORDER BY COALESCE(s.last_date, '') DESC, s.updated_seq DESC"
        )
        if limit is not None:
            q += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return [_story_dict(r) for r in self.db.execute(q, args)]

    def count_stories(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM stories").fetchone()[0]

    def story_timeline(self, story_id: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT published, COUNT(*) AS n FROM articles WHERE story_id=? AND published IS NOT NULL "
            "GROUP BY published ORDER BY published",
            (story_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    # --------------------------------------------------------------- passages
    def add_passages(self, story_id: str, a: str, b: str, spans, reuse: Reuse) -> None:
        self.db.execute("DELETE FROM passages WHERE article_a=? AND article_b=?", (a, b))
        self.db.executemany(
            "INSERT INTO passages(story_id, article_a, start_a, end_a, article_b, start_b, end_b, similarity) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [(story_id, a, s0, e0, b, s1, e1, sim) for s0, e0, s1, e1, sim in spans],
        )
        self.db.execute(
            "INSERT OR REPLACE INTO reuse(story_id, article_a, article_b, shared_a, shared_b, original, reason) "
            "VALUES (?,?,?,?,?,?,?)",
            (story_id, a, b, reuse.shared_a, reuse.shared_b, reuse.original, reuse.reason),
        )

    def aligned_pairs(self, article_id: str) -> set[str]:
        rows = self.db.execute(
            "SELECT article_b FROM reuse WHERE article_a=? UNION SELECT article_a FROM reuse WHERE article_b=?",
            (article_id, article_id),
        ).fetchall()
        return {r[0] for r in rows}

    def passages(self, story_id: str | None = None) -> Iterator[Passage]:
        q = "SELECT * FROM passages"
        args: tuple = ()
        if story_id is not None:
            q += " WHERE story_id=?"
            args = (story_id,)
        q += " ORDER BY story_id, id"
        for r in self.db.execute(q, args):
            yield Passage(
                story_id=r["story_id"], kind="shared", article_a=r["article_a"], start_a=r["start_a"],
                end_a=r["end_a"], article_b=r["article_b"], start_b=r["start_b"], end_b=r["end_b"],
                similarity=r["similarity"],
            )

    def reuse(self, story_id: str) -> list[dict]:
        rows = self.db.execute("SELECT * FROM reuse WHERE story_id=? ORDER BY article_a, article_b", (story_id,))
        return [dict(r) for r in rows]

    def story_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM stories ORDER BY id")]

    # ----------------------------------------------------------------- quotes
    def set_quotes(self, article_id: str, quotes: list[dict]) -> None:
        self.db.execute("DELETE FROM quotes WHERE article_id=?", (article_id,))
        self.db.executemany(
            "INSERT INTO quotes(article_id, speaker, canonical_speaker, kind, data) VALUES (?,?,?,?,?)",
            [
                (article_id, q.get("speaker"), q.get("canonical_speaker"), q.get("kind"), json.dumps(q))
                for q in quotes
            ],
        )
        self.db.execute(
            "INSERT OR REPLACE INTO analysed(article_id, quotes) VALUES (?, ?)", (article_id, len(quotes))
        )

    def quotes_of(self, article_id: str) -> list[dict]:
        rows = self.db.execute("SELECT data FROM quotes WHERE article_id=? ORDER BY id", (article_id,))
        return [json.loads(r[0]) for r in rows]

    # ----------------------------------------------------------------- events
    def event(self, story_id: str) -> tuple[int, dict] | None:
        r = self.db.execute("SELECT seq, data FROM events WHERE story_id=?", (story_id,)).fetchone()
        return (r[0], json.loads(r[1])) if r else None

    def set_event(self, story_id: str, seq: int, data: dict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO events(story_id, seq, data) VALUES (?,?,?)", (story_id, seq, json.dumps(data))
        )

    # ------------------------------------------------------------------ state
    #: a state blob is stored in parts of at most this many bytes (SQLite caps one value at 1 GB;
    #: each part is held about three times while it is written: read, bound, and as a record)
    STATE_PART = 32 * 1024 * 1024

    def get_state(self, key: str) -> tuple[int, bytes] | None:
        """The snapshot stored under ``key`` as ``(seq, bytes)``, or None (parts joined)."""
        r = self.get_state_file(key)
        if r is None:
            return None
        with r[1] as f:
            return r[0], f.read()

    def get_state_file(self, key: str, dir: str | None = None):
        """The snapshot under ``key`` as ``(seq, file)``: a scratch file holding its parts one
        after another, positioned at the start (close it when done), or None."""
        import tempfile

        r = self.db.execute("SELECT seq FROM state WHERE key=?", (key,)).fetchone()
        if r is None:
            return None
        f = tempfile.TemporaryFile(dir=dir)
        for (blob,) in self.db.execute(
            "SELECT blob FROM state WHERE key = ? OR (key > ? AND key < ?) ORDER BY length(key), key",
            (key, key + "\x00", key + "\x01"),
        ):
            f.write(blob)
        f.seek(0)
        return r[0], f

    def set_state(self, key: str, seq: int, blob) -> None:
        """Store a snapshot (any bytes-like object) under ``key``, split in parts of
        :attr:`STATE_PART` bytes; replaces what was there."""
        view = memoryview(blob).cast("B")
        part = self.STATE_PART
        self._put_state_parts(key, seq, (view[i: i + part] for i in range(0, max(len(view), 1), part)))

    def set_state_file(self, key: str, seq: int, f) -> None:
        """Like :meth:`set_state`, reading the snapshot from a binary file object part by part."""
        part = self.STATE_PART

        def parts():
            first = True
            while True:
                chunk = f.read(part)
                if not chunk and not first:
                    return
                first = False
                yield chunk

        self._put_state_parts(key, seq, parts())

    def _put_state_parts(self, key: str, seq: int, parts) -> None:
        self.db.execute("DELETE FROM state WHERE key > ? AND key < ?", (key + "\x00", key + "\x01"))
        for i, p in enumerate(parts):
            if i == 0:
                self.db.execute("INSERT OR REPLACE INTO state(key, seq, blob) VALUES (?,?,?)", (key, seq, p))
            else:
                self.db.execute("INSERT INTO state(key, seq, blob) VALUES (?,?,?)", (f"{key}\x00{i:06d}", seq, p))

    # ----------------------------------------------------------------- chrome
    def learn_chrome_many(self, outlet: str, key_sets: list[set[str]]) -> None:
        """Count a batch of articles of one outlet and the candidate chrome lines each contains."""
        from collections import Counter

        counts = Counter(k for keys in key_sets for k in keys)
        self.db.execute(
            "INSERT INTO outlet_counts(outlet, n) VALUES (?, ?) ON CONFLICT(outlet) DO UPDATE SET n = n + excluded.n",
            (outlet, len(key_sets)),
        )
        self.db.executemany(
            "INSERT INTO chrome_lines(outlet, line, n) VALUES (?, ?, ?) "
            "ON CONFLICT(outlet, line) DO UPDATE SET n = n + excluded.n",
            [(outlet, ln, n) for ln, n in counts.items()],
        )

    def chrome_for(self, outlet: str, min_count: int = 3, min_share: float = 0.5) -> frozenset[str]:
        r = self.db.execute("SELECT n FROM outlet_counts WHERE outlet=?", (outlet,)).fetchone()
        if not r:
            return frozenset()
        need = max(min_count, int(r[0] * min_share))
        rows = self.db.execute("SELECT line FROM chrome_lines WHERE outlet=? AND n >= ?", (outlet, need))
        return frozenset(x[0] for x in rows)

    # ------------------------------------------------------------- web desk
    def outlets(self, limit: int = 500) -> list[dict]:
        """Outlets with their article counts, most articles first (for filter menus).

        >>> Store(":memory:").outlets()
        []
        """
        rows = self.db.execute(
            "SELECT outlet, COUNT(*) AS n FROM articles WHERE outlet IS NOT NULL AND outlet != '' "
            "GROUP BY outlet ORDER BY n DESC, outlet LIMIT ?",
            (limit,),
        ).fetchall()
        return [dict(r) for r in rows]

    def story_stamp(self, story_id: str) -> tuple[int, int]:
        """(updated_seq, analysed articles) of a story: changes whenever its quotes or event may change.

        >>> Store(":memory:").story_stamp("s1")
        (0, 0)
        """
        r = self.db.execute("SELECT updated_seq FROM stories WHERE id=?", (story_id,)).fetchone()
        n = self.db.execute(
            "SELECT COUNT(*) FROM analysed q JOIN articles a ON a.id = q.article_id WHERE a.story_id=?", (story_id,)
        ).fetchone()[0]
        return (int(r[0] or 0) if r else 0, int(n))

    # ----------------------------------------------------------------- backup
    def backup(self, target: str) -> None:
        """An online, consistent copy of the database (SQLite's backup API)."""
        dest = sqlite3.connect(target)
        try:
            self.db.backup(dest)
        finally:
            dest.close()

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]


def _story_dict(r: sqlite3.Row) -> dict:
    d = dict(r)
    d["outlets"] = json.loads(d["outlets"]) if d.get("outlets") else []
    return d


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_prefix(s: str) -> str:
    return _like_escape(s) + "%"


def _fts_words(query: str) -> list[str]:
    import re

    return re.findall(r"[^\W_]+", query)[:32]


def _split_sql(script: str) -> list[str]:
    """Split a schema script into statements (triggers keep their inner semicolons)."""
    out, buf, in_trigger = [], [], False
    for line in script.splitlines():
        if not line.strip():
            continue
        buf.append(line)
        if line.strip().upper().startswith("CREATE TRIGGER"):
            in_trigger = True
        if in_trigger:
            if line.strip().upper() == "END;":
                out.append("\n".join(buf))
                buf, in_trigger = [], False
        elif line.rstrip().endswith(";"):
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out
