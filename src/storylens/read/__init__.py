"""Readers: files and folders in, :class:`~storylens.model.RawDoc` out.

One reader per input format (``txt``, ``html``, ``jsonl``, ``warc``). Every problem
with the input becomes a :class:`ReadFailure` naming the file (and line or record)
and the reason; reading goes on with the next file or line.

>>> docs = list(read_paths(["../shared/seeds"]))          # doctest: +SKIP
>>> [type(d).__name__ for d in docs]                      # doctest: +SKIP
['RawDoc', 'RawDoc']
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..model import RawDoc
from .decode import MAX_TEXT_BYTES

SUFFIXES = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".warc": "warc",
    ".warc.gz": "warc",
}


@dataclass
class ReadFailure:
    """One input that could not be read: where (file, file:line, file#record) and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def format_of(path: Path) -> str | None:
    """The reader a file name calls for, or None.

    >>> format_of(Path("a/crawl.warc.gz")), format_of(Path("x.TXT")), format_of(Path("y.pdf"))
    ('warc', 'txt', None)
    """
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path | ReadFailure]:
    """Expand files and folders (recursively, sorted, symlink loops cut) into files."""
    for p in paths:
        path = Path(p)
        if not path.exists():
            yield ReadFailure(str(p), "no such file or folder; check the path")
            continue
        if path.is_dir():
            seen: set[tuple[int, int]] = set()
            yield from _walk(path, seen)
        else:
            yield path


def _walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[Path | ReadFailure]:
    try:
        st = folder.stat()
    except OSError as e:
        yield ReadFailure(str(folder), f"cannot open folder ({e.strerror})")
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        yield ReadFailure(str(folder), "symlink loop: this folder was already read; skipped")
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        yield ReadFailure(str(folder), f"cannot list folder ({e.strerror})")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=True):
                yield from _walk(path, seen)
            elif entry.is_file(follow_symlinks=True):
                yield path
            else:
                yield ReadFailure(str(path), "not a regular file (broken link or device); skipped")
        except OSError as e:
            yield ReadFailure(str(path), f"cannot read ({e.strerror}); skipped")


def read_file(path: Path) -> Iterator[RawDoc | ReadFailure]:
    """Read one file with the reader its name calls for."""
    fmt = format_of(path)
    if fmt is None:
        yield ReadFailure(
            str(path),
            "unsupported file type; give .txt, .html/.htm, .jsonl/.ndjson or .warc/.warc.gz",
        )
        return
    try:
        if fmt == "txt":
            from .text import read_txt

            yield from read_txt(path)
        elif fmt == "html":
            from .html import read_html

            yield from read_html(path)
        elif fmt == "jsonl":
            from .jsonl import read_jsonl

            yield from read_jsonl(path)
        else:
            from .warc import read_warc

            yield from read_warc(path)
    except OSError as e:
        yield ReadFailure(str(path), f"cannot read file ({e.strerror or e}); check permissions")


def read_paths(paths: Iterable[str | os.PathLike]) -> Iterator[RawDoc | ReadFailure]:
    """Every document (or failure) under the given files and folders, in a stable order."""
    for item in iter_files(paths):
        if isinstance(item, ReadFailure):
            yield item
        else:
            yield from read_file(item)


__all__ = ["ReadFailure", "read_paths", "read_file", "iter_files", "format_of", "MAX_TEXT_BYTES"]
