"""Crash safety: `storylens ingest` killed with SIGKILL at random points never leaves a broken or
half-written database, and running the same ingest again finishes the rest without duplicates.

Also holds :func:`check_store`, the consistency check the concurrency and backup tests reuse.
Figures of the last run are printed with ``-s`` (and quoted in docs/reliability.md).
"""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storylens.store import Store

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "storylens.cli"]
SEED = 20240207
N_DOCS = 4000
N_KILLS = 6


def write_corpus(folder: Path, n: int = N_DOCS, seed: int = SEED, files: int = 4, words: int = 80) -> list[str]:
    """Synthetic articles (with planted copies) as JSON lines split over ``files`` files; returns their ids."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from bench.synth import make_corpus

    corpus = make_corpus(n, seed=seed, words=words)
    folder.mkdir(parents=True, exist_ok=True)
    per = -(-len(corpus.docs) // files)
    for k in range(files):
        with open(folder / f"part{k}.jsonl", "w", encoding="utf-8") as f:
            for d in corpus.docs[k * per : (k + 1) * per]:
                rec = {"id": d.id, "title": d.title, "outlet": d.outlet, "published": d.published, "text": d.text}
                f.write(json.dumps(rec) + "\n")
    return [d.id for d in corpus.docs]


def check_store(path: str | os.PathLike) -> dict:
    """Open a database and check it is whole: SQLite integrity, full-text index, and every stored
    article complete (story row, counts, passages and reuse rows pointing at stored articles, spans
    inside the texts). Returns counts; raises AssertionError naming the first problem."""
    store = Store(str(path))
    try:
        db = store.db
        assert store.integrity_check() == "ok"
        db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")  # raises if out of step

        def none(sql: str, what: str) -> None:
            rows = db.execute(sql).fetchall()
            assert not rows, f"{what}: {[tuple(r) for r in rows[:5]]}"

        none("SELECT id FROM articles WHERE story_id IS NULL", "articles without a story")
        none(
            "SELECT a.id, a.story_id FROM articles a LEFT JOIN stories s ON s.id = a.story_id WHERE s.id IS NULL",
            "articles whose story row is missing",
        )
        none(
            "SELECT s.id, s.n_articles, COUNT(a.id) FROM stories s LEFT JOIN articles a ON a.story_id = s.id "
            "GROUP BY s.id HAVING s.n_articles != COUNT(a.id)",
            "stories whose n_articles differs from their articles",
        )
        for side in ("a", "b"):
            none(
                f"SELECT p.id, p.article_{side} FROM passages p LEFT JOIN articles a ON a.id = p.article_{side} "
                "WHERE a.id IS NULL",
                f"passages pointing at a missing article_{side}",
            )
            none(
                f"SELECT p.id FROM passages p JOIN articles a ON a.id = p.article_{side} "
                f"WHERE p.story_id != a.story_id OR p.start_{side} < 0 OR p.start_{side} >= p.end_{side} "
                f"OR p.end_{side} > length(a.text)",
                f"passages with a span outside article_{side} or in another story",
            )
            none(
                f"SELECT r.article_a, r.article_b FROM reuse r LEFT JOIN articles a ON a.id = r.article_{side} "
                "WHERE a.id IS NULL",
                f"reuse rows pointing at a missing article_{side}",
            )
        none(
            "SELECT a.id, a.duplicate_of FROM articles a LEFT JOIN articles b ON b.id = a.duplicate_of "
            "WHERE a.duplicate_of IS NOT NULL AND b.id IS NULL",
            "copies of a missing article",
        )
        none("SELECT id, COUNT(*) FROM articles GROUP BY id HAVING COUNT(*) > 1", "articles stored twice")
        none("SELECT seq FROM articles WHERE text = '' OR raw_text = ''", "articles without text")
        return {
            "articles": store.count_articles(),
            "stories": store.count_stories(),
            "passages": db.execute("SELECT COUNT(*) FROM passages").fetchone()[0],
        }
    finally:
        store.close()


def count_articles(path: Path) -> int:
    """Articles committed so far, read the way a second process would (0 before the schema exists)."""
    if not path.exists():
        return 0
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def start_ingest(inputs: list[Path], db: Path, log: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "ingest", *map(str, inputs), "--db", str(db), "--no-extract", *extra],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),
    )


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing(tmp_path):
    ids = write_corpus(tmp_path / "in")
    db = tmp_path / "crash.db"
    rng = random.Random(SEED)
    kills = mid_write = 0
    trail = []
    for run in range(N_KILLS):
        before = count_articles(db)
        # kill points follow progress, not the clock alone, so a fast machine cannot finish the whole
        # corpus before the last kill: each run may store at most its share of what is left
        stop_at = before + max(1, (len(ids) - before) // (N_KILLS - run + 2))
        proc = start_ingest([tmp_path / "in"], db, tmp_path / f"run{run}.log")
        if run % 2 == 0:
            # any moment: start-up, schema creation, replay of what the last run stored, or writing
            deadline = time.monotonic() + rng.uniform(0.3, 3.5)
            while time.monotonic() < deadline and proc.poll() is None and count_articles(db) < stop_at:
                time.sleep(0.01)
        else:
            # while writing: after this run's first commit, a random time into the next batches
            limit = time.monotonic() + 30
            while proc.poll() is None and count_articles(db) <= before and time.monotonic() < limit:
                time.sleep(0.01)
            deadline = time.monotonic() + rng.uniform(0.0, 1.0)
            while time.monotonic() < deadline and proc.poll() is None and count_articles(db) < stop_at:
                time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        else:
            assert proc.returncode == 0, (tmp_path / f"run{run}.log").read_text()
        counts = check_store(db)
        mid_write += counts["articles"] > before and counts["articles"] < len(ids)
        trail.append(counts["articles"])
    assert kills >= N_KILLS - 1, "the ingest finished before most kills: the corpus is too small for this machine"
    assert mid_write >= 2, f"too few kills landed while articles were being written: {trail}"

    done = subprocess.run(
        [*CLI, "ingest", str(tmp_path / "in"), "--db", str(db), "--no-extract", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["failed"] == 0 and stats["read"] == len(ids)
    assert stats["already"] == trail[-1]  # everything stored before is recognised, nothing re-added
    counts = check_store(db)
    assert counts["articles"] == len(set(ids)) == len(ids)
    with Store(str(db)) as store:
        stored = {a.id: a.raw_text for a in store.articles()}
    by_id = {}
    for part in sorted((tmp_path / "in").glob("*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            by_id[rec["id"]] = rec["text"]
    assert stored == by_id  # every input stored once, text intact
    again = subprocess.run(
        [*CLI, "ingest", str(tmp_path / "in"), "--db", str(db), "--no-extract", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert json.loads(again.stdout)["already"] == len(ids) and check_store(db)["articles"] == len(ids)
    print(f"\ncrash: {kills} SIGKILLs survived ({mid_write} mid-write), articles after each: {trail}, "
          f"final {counts['articles']}/{len(ids)}, lost 0, duplicated 0, stories {counts['stories']}")


def test_kill_during_replay_and_state_save(tmp_path):
    """A run that dies after storing articles but before saving its dedup/story state: the next run
    replays those articles, so copies of them are still found."""
    ids = write_corpus(tmp_path / "in", n=300, files=1)
    db = tmp_path / "r.db"
    proc = start_ingest([tmp_path / "in"], db, tmp_path / "r.log")
    limit = time.monotonic() + 60
    while proc.poll() is None and count_articles(db) == 0 and time.monotonic() < limit:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = check_store(db)["articles"]
    with Store(str(db)) as store:
        state, last = store.get_state("dedup"), store.max_seq()
    assert 0 < first and (state is None or state[0] < last or first == len(ids))
    done = subprocess.run(
        [*CLI, "ingest", str(tmp_path / "in"), "--db", str(db), "--no-extract", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert check_store(db)["articles"] == len(ids)
    # the same corpus in one clean run finds the same copies
    clean = tmp_path / "clean.db"
    subprocess.run([*CLI, "ingest", str(tmp_path / "in"), "--db", str(clean), "--no-extract", "-q"],
                   capture_output=True, timeout=300, check=True)

    def dups(path):
        with Store(str(path)) as s:
            return {r[0]: r[1] for r in s.db.execute("SELECT id, duplicate_of FROM articles")}

    assert dups(db) == dups(clean)
