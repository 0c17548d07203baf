"""Store-level behaviour not covered through the pipeline: snapshots larger than one SQLite value."""
from __future__ import annotations

import os

from storylens.store import Store


def test_state_is_stored_in_parts_and_read_back_whole(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    store.STATE_PART = 1000  # instance override: many parts from a small blob
    big = os.urandom(10_500)
    with store.transaction():
        store.set_state("cluster", 7, memoryview(big))
        store.set_state("clusterx", 1, b"other key, same prefix")
    assert store.get_state("cluster") == (7, big)
    assert store.db.execute("SELECT COUNT(*) FROM state WHERE key LIKE 'cluster%'").fetchone()[0] == 12
    # a smaller snapshot replaces the old one and leaves no stale parts behind
    with store.transaction():
        store.set_state("cluster", 8, big[:2500])
    assert store.get_state("cluster") == (8, big[:2500])
    assert store.get_state("clusterx") == (1, b"other key, same prefix")
    assert store.db.execute("SELECT COUNT(*) FROM state").fetchone()[0] == 4
    store.close()
    # and it survives reopening
    again = Store(str(tmp_path / "s.db"))
    assert again.get_state("cluster") == (8, big[:2500])
    again.close()


def test_state_from_a_file_in_parts(tmp_path):
    import io

    store = Store(str(tmp_path / "f.db"))
    store.STATE_PART = 4096
    data = os.urandom(3 * 4096 + 17)
    with store.transaction():
        store.set_state_file("dedup", 3, io.BytesIO(data))
    assert store.get_state("dedup") == (3, data)
    with store.transaction():
        store.set_state_file("dedup", 4, io.BytesIO(b""))
    assert store.get_state("dedup") == (4, b"")
    store.close()
