"""Plain-text reader: one article per file (scraped page text like the seeds)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..model import RawDoc
from .decode import read_text_file


def read_txt(path: Path) -> Iterator:
    """Yield one RawDoc for a text file, or a ReadFailure.

    >>> docs = list(read_txt(Path("../shared/seeds/000_e61e13b573ed6dbb.txt")))  # doctest: +SKIP
    >>> docs[0].format                                                            # doctest: +SKIP
    'txt'
    """
    from . import ReadFailure

    try:
        text = read_text_file(path)
    except InputError as e:
        yield ReadFailure(e.where, e.reason)
        return
    yield RawDoc(source=str(path), text=text, format="txt")
