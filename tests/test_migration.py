"""Upgrades: a database written with the v1 schema opens, upgrades in place to the current schema
without losing anything, and full-text search finds the old articles. Newer or foreign files are
refused with a clear message, never damaged."""
from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest

from storylens.errors import StoreError
from storylens.model import RawDoc
from storylens.pipeline import Pipeline
from storylens.store import MIGRATIONS, SCHEMA_VERSION, Store, _split_sql

OLD = [
    ("v1a", "Harbour bridge to reopen after storm repairs",
     "The harbour bridge will reopen on Monday after engineers finished repairing the storm damage to its "
     "northern span, the city council said on Friday.\n\nTraffic had been diverted for six weeks."),
    ("v1b", "Zürich café owners protest rent rises",
     "Café owners in Zürich marched on Thursday against rent rises that they say will close dozens of "
     "small businesses before the winter."),
]


def make_v1(path) -> None:
    """A database as storylens wrote it at schema 1: the v1 tables only, two articles in two stories."""
    con = sqlite3.connect(path, isolation_level=None)
    for stmt in _split_sql(MIGRATIONS[1]):
        con.execute(stmt)
    con.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '1')")
    for n, (aid, title, text) in enumerate(OLD, 1):
        con.execute(
            "INSERT INTO articles (id, source, format, outlet, title, published, raw_text, text, removed, "
            "content_hash, story_id, story_similarity, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (aid, f"old/{aid}.txt", "txt", "Old Ledger", title, f"2023-0{n}-01", f"# {title}\n\n{text}", text,
             json.dumps([{"line": 0, "text": f"# {title}", "reason": "title"}]), f"h{n}", f"s00000{n}", 1.0,
             1_700_000_000.0),
        )
        con.execute(
            "INSERT INTO stories (id, label, label_article, first_date, last_date, n_articles, outlets, "
            "updated_seq) VALUES (?,?,?,?,?,1,?,?)",
            (f"s00000{n}", title, aid, f"2023-0{n}-01", f"2023-0{n}-01", json.dumps(["Old Ledger"]), n),
        )
    con.execute("INSERT INTO chrome_lines(outlet, line, n) VALUES ('Old Ledger', 'share this', 2)")
    con.close()


def dump(path, table: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return [tuple(r) for r in con.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]
    finally:
        con.close()


def test_v1_database_upgrades_in_place_without_loss(tmp_path):
    db = tmp_path / "old.db"
    make_v1(db)
    before = {t: dump(db, t) for t in ("articles", "stories", "chrome_lines")}
    with Store(str(db)) as store:
        assert store.schema_version() == SCHEMA_VERSION == 3
        assert store.integrity_check() == "ok"
        tables = {r[0] for r in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index')")}
        assert {"quotes", "analysed", "events", "articles_fts", "articles_fts_ai", "articles_fts_ad",
                "chrome_lines_n"} <= tables
        # the learned chrome lines are read through the (outlet, n) index, not by scanning the outlet's rows
        plan = " ".join(str(tuple(r)) for r in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT line FROM chrome_lines WHERE outlet=? AND n >= ?", ("Old Ledger", 3)))
        assert "chrome_lines_n" in plan
        # full-text search finds the old articles, by title and by body, accents folded
        assert [r["id"] for r in store.search("harbour bridge")] == ["v1a"]
        assert [r["id"] for r in store.search("zurich cafe")] == ["v1b"]
        assert [r["id"] for r in store.search("engineers repairing")] == ["v1a"]
        a = store.article("v1a")
        assert a.raw_text.startswith("# Harbour bridge") and a.removed[0].reason == "title"
        assert [s["id"] for s in store.stories()] == ["s000002", "s000001"]
        store.db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
    after = {t: dump(db, t) for t in before}
    assert after == before  # nothing rewritten or lost
    # opening again changes nothing
    with Store(str(db)) as store:
        assert store.schema_version() == SCHEMA_VERSION and store.count_articles() == 2


def test_upgraded_database_takes_new_articles(tmp_path):
    db = tmp_path / "old.db"
    make_v1(db)
    store = Store(str(db))
    pipe = Pipeline(store, extract=False)
    stats = pipe.ingest_docs([
        RawDoc("new/copy.txt", OLD[0][2] + " Officials thanked drivers for their patience.", "txt",
               {"id": "new1", "title": "Bridge reopens Monday", "published": "2023-01-02"}),
        RawDoc("new/other.txt", "A school in the valley will get a new roof before the rainy season, "
               "the education office said on Tuesday after months of complaints from parents.", "txt", {"id": "new2"}),
    ])
    assert stats.new + stats.duplicate == 2 and stats.failed == 0
    new1 = store.article("new1")
    assert new1.duplicate_of == "v1a" and new1.story_id == "s000001"  # the old articles were replayed
    assert store.story("s000001")["n_articles"] == 2
    assert {r["id"] for r in store.search("bridge")} == {"v1a", "new1"}
    store.close()
    from test_reliability_crash import check_store

    assert check_store(db)["articles"] == 4


def test_two_processes_opening_an_old_database_at_once(tmp_path):
    db = tmp_path / "old.db"
    make_v1(db)
    errors, versions = [], []

    def open_it():
        try:
            with Store(str(db)) as s:
                versions.append(s.schema_version())
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and versions == [SCHEMA_VERSION] * 4
    with Store(str(db)) as s:
        assert [r["id"] for r in s.search("harbour")] == ["v1a"]  # indexed once, not twice
        assert s.db.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'harbour'").fetchone()[0] == 1


def test_newer_schema_is_refused_untouched(tmp_path):
    db = tmp_path / "future.db"
    with Store(str(db)):
        pass
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    con.close()
    data = db.read_bytes()
    with pytest.raises(StoreError, match="newer storylens"):
        Store(str(db))
    assert db.read_bytes() == data


@pytest.mark.parametrize("content", [b"", b"this is a text file, not a database\n" * 50, bytes(range(256)) * 64])
def test_foreign_files_are_refused_with_a_message(tmp_path, content):
    db = tmp_path / "notes.db"
    db.write_bytes(content)
    if not content:  # an empty file is a valid empty SQLite database: it becomes a storylens one
        with Store(str(db)) as s:
            assert s.schema_version() == SCHEMA_VERSION
        return
    with pytest.raises(StoreError, match="not a usable storylens database"):
        Store(str(db))
    assert db.read_bytes() == content


def test_backup_of_an_upgraded_database_opens(tmp_path):
    db = tmp_path / "old.db"
    make_v1(db)
    with Store(str(db)) as s:
        t0 = time.monotonic()
        s.backup(str(tmp_path / "copy.db"))
        assert time.monotonic() - t0 < 30
    with Store(str(tmp_path / "copy.db"), readonly=True) as c:
        assert c.schema_version() == SCHEMA_VERSION and c.integrity_check() == "ok"
        assert [r["id"] for r in c.search("zurich")] == ["v1b"]
