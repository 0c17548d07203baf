"""The demo: build a database from the bundled corpus and write its report.

>>> stats, n = run_demo("/tmp/demo.db", "/tmp/demo.html")     # doctest: +SKIP
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .pipeline import IngestStats, Pipeline
from .store import Store


def demo_corpus_dir() -> Path:
    """The folder of the bundled demo corpus (fictional outlets and events)."""
    return Path(str(resources.files("storylens") / "data" / "demo"))


def run_demo(db: str, report_path: str, extract: bool = True, log=print) -> tuple[IngestStats, int]:
    from .report import write_report
    from .views import story_views

    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    store = Store(db)
    pipe = Pipeline(store, extract=extract)
    stats = pipe.ingest([demo_corpus_dir()], on_failure=lambda m: log(f"skipped {m}"))
    views = story_views(store, with_quotes=extract, with_event=extract)
    write_report(views, report_path)
    n = store.count_stories()
    store.close()
    return stats, n
