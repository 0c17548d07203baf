"""Shared fixtures. Tests that need ../shared skip with a stated reason when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STORYLENS_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): the seeds and datasets live there")
    return SHARED


@pytest.fixture(scope="session")
def seeds_dir(shared_dir) -> Path:
    d = shared_dir / "seeds"
    if not d.is_dir():
        pytest.skip(f"{d} is absent: the two seed articles live there")
    return d


@pytest.fixture(scope="session")
def seed_texts(seeds_dir) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))}


@pytest.fixture()
def db_path(tmp_path) -> Path:
    return tmp_path / "test.db"
