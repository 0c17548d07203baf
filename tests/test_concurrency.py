"""Load: two `ingest` processes on one database, readers polling while they write, backups taken
mid-write. Nothing is lost or duplicated, the waiting writer says why it waits, readers see
consistent data and every backup is a whole database."""
from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storylens.errors import NotFoundError
from storylens.store import Store
from storylens.views import story_view
from test_reliability_crash import CLI, check_store, count_articles, write_corpus


def lock_held(db: Path) -> bool:
    """True while some process holds the database's writer lock."""
    lock = Path(str(db) + ".lock")
    if not lock.exists():
        return False
    with open(lock, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def ingest_proc(paths: list[Path], db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "ingest", *map(str, paths), "--db", str(db), "--no-extract", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(cond, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


class Poller(threading.Thread):
    """A reader polling stories and story views while others write."""

    def __init__(self, db: Path, snapshot: bool):
        super().__init__(daemon=True)
        self.db, self.snapshot = db, snapshot
        self.stop = threading.Event()
        self.polls = self.views = self.vanished = self.torn = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            wait_for(lambda: count_articles(self.db) > 0)
            store = Store(str(self.db), readonly=True)
            while not self.stop.is_set():
                if self.snapshot:
                    with store.transaction(immediate=False):
                        store.db.execute("SELECT COUNT(*) FROM articles").fetchone()  # the snapshot starts here
                        self.check(store)
                else:
                    self.check(store)
                self.polls += 1
                time.sleep(0.05)  # a reader, not a CPU hog: the writers share two cores with it
            store.close()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def check(self, store: Store) -> None:
        rows = store.stories(limit=8)
        n_articles = store.count_articles()
        for s in rows[:4]:
            try:
                v = story_view(store, s["id"], with_quotes=False, with_event=False)
            except NotFoundError:  # merged into another story between the two reads
                assert not self.snapshot
                self.vanished += 1
                continue
            self.views += 1
            texts = {a["id"]: a["text"] for a in v["articles"]}
            for p in v["passages"]:
                for side in ("a", "b"):
                    aid = p[f"article_{side}"]
                    if aid in texts:
                        assert 0 <= p[f"start_{side}"] < p[f"end_{side}"] <= len(texts[aid])
                    else:
                        assert not self.snapshot, f"passage points at {aid}, not in the story's articles"
            for u in v["unique"]:
                assert 0 <= u["start"] < u["end"] <= len(texts[u["article"]])
            self.torn += v["story"]["n_articles"] != len(v["articles"])
            if self.snapshot:
                assert v["story"]["n_articles"] == len(v["articles"]) >= 1
                assert n_articles >= len(v["articles"])
                assert len(v["reuse"]) <= len(v["articles"]) * (len(v["articles"]) - 1) // 2


@pytest.mark.slow
def test_two_writers_and_readers_lose_nothing(tmp_path):
    ids = write_corpus(tmp_path / "in", n=1200, files=3, words=60)
    parts = sorted((tmp_path / "in").glob("*.jsonl"))
    db = tmp_path / "c.db"
    readers = [Poller(db, snapshot=True), Poller(db, snapshot=False)]
    for r in readers:
        r.start()
    first = ingest_proc(parts[:2], db)
    wait_for(lambda: lock_held(db) or first.poll() is not None)
    assert first.poll() is None, "the first writer finished before the second could start"
    second = ingest_proc(parts[1:], db)  # overlaps the first by one file
    out1, err1 = first.communicate(timeout=300)
    out2, err2 = second.communicate(timeout=300)
    for r in readers:
        r.stop.set()
        r.join(60)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert "another storylens process is writing" in err2 and "waiting" in err2
    s1, s2 = json.loads(out1), json.loads(out2)
    assert s1["failed"] == s2["failed"] == 0
    assert s1["new"] + s1["duplicate"] + s2["new"] + s2["duplicate"] == len(ids)
    assert s2["already"] == 400  # the shared file: recognised, not stored twice
    counts = check_store(db)
    assert counts["articles"] == len(ids)
    for r in readers:
        assert r.error is None, repr(r.error)
        assert r.polls >= 3 and r.views >= 1, (r.polls, r.views)
    print(f"\nconcurrency: 2 writers, {len(ids)} articles, 0 lost, 0 duplicated; readers made "
          f"{readers[0].polls} snapshot polls ({readers[0].views} story views) and {readers[1].polls} plain polls "
          f"({readers[1].views} views, {readers[1].vanished} stories merged away mid-read, {readers[1].torn} views "
          f"whose count and article list disagree)")


@pytest.mark.slow
def test_backup_while_ingest_writes(tmp_path):
    write_corpus(tmp_path / "in", n=1000, files=2, words=60)
    db = tmp_path / "w.db"
    proc = ingest_proc([tmp_path / "in"], db)
    backups = []
    wait_for(lambda: count_articles(db) > 0 or proc.poll() is not None)
    while proc.poll() is None and len(backups) < 4:
        out = tmp_path / f"backup{len(backups)}.db"
        r = subprocess.run([*CLI, "backup", "-o", str(out), "--db", str(db)], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert "backup →" in r.stderr
        backups.append(out)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert backups, "the ingest finished before a backup could be taken"
    sizes = []
    for b in backups:
        counts = check_store(b)  # opens, integrity ok, every article complete
        sizes.append(counts["articles"])
        assert not Path(str(b) + "-wal").exists() or Path(str(b) + "-wal").stat().st_size == 0
    assert sizes == sorted(sizes) and sizes[-1] <= check_store(db)["articles"]
    again = subprocess.run([*CLI, "backup", "-o", str(backups[0]), "--db", str(db)], capture_output=True,
                           text=True, timeout=60)
    assert again.returncode != 0 and "exists" in again.stderr and "Traceback" not in again.stderr
    print(f"\nbackups during ingest: {len(backups)} taken, articles in each {sizes}, all whole")
