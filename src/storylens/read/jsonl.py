"""JSON-lines reader: one article per line; ``text`` required.

Optional fields: ``id``, ``title``, ``url``, ``outlet``, ``published`` (strings).
A bad line is reported as ``file:line`` and the rest of the file is still read.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError
from ..model import RawDoc
from .decode import decode_bytes

MAX_LINE_BYTES = 10 * 1024 * 1024
OPTIONAL = ("id", "title", "url", "outlet", "published")


def parse_record(obj: Any, where: str, fmt: str = "jsonl") -> RawDoc:
    """Check one decoded JSON record and turn it into a RawDoc (raises InputError).

    >>> parse_record({"text": "Hello there.", "id": 7}, "f.jsonl:1").meta
    {'id': '7'}
    """
    if not isinstance(obj, dict):
        raise InputError(where, f"expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if text is None:
        raise InputError(where, "field 'text' is missing; every line needs the article text")
    if not isinstance(text, str):
        raise InputError(where, f"field 'text' must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InputError(where, "field 'text' is empty")
    if "\x00" in text:
        raise InputError(where, "field 'text' contains NUL characters; it looks binary")
    text = _no_lone_surrogates(text)
    meta: dict[str, str] = {}
    for key in OPTIONAL:
        value = obj.get(key)
        if value is None or value == "":
            continue
        if key == "id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise InputError(where, f"field '{key}' must be a string, got {type(value).__name__}")
        meta[key] = _no_lone_surrogates(value.strip())
    return RawDoc(source=where, text=text, format=fmt, meta=meta)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_lone_surrogates(s: str) -> str:
    """JSON can escape half an emoji ("\\ud83d"); such a lone surrogate cannot be stored as UTF-8,
    so it becomes U+FFFD (the rest of the text is kept)."""
    return _LONE_SURROGATE.sub("\ufffd", s)


def read_jsonl(path: Path) -> Iterator:
    from . import ReadFailure

    name = str(path)
    if path.stat().st_size == 0:
        yield ReadFailure(name, "is empty; nothing to read")
        return
    any_line = False
    with open(path, "rb") as f:
        lineno = 0
        while True:
            raw = f.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            lineno += 1
            where = f"{name}:{lineno}"
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                # skip the rest of an over-long line without holding it in memory
                while raw and not raw.endswith(b"\n"):
                    raw = f.readline(MAX_LINE_BYTES)
                yield ReadFailure(where, f"line is longer than {MAX_LINE_BYTES // 1_000_000} MB; skipped")
                continue
            if not raw.strip():
                continue
            any_line = True
            try:
                line = decode_bytes(raw, where)
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(where, f"not valid JSON ({e.msg} at column {e.colno}); fix or remove the line")
                except RecursionError:
                    raise InputError(where, "JSON is nested too deeply to read; fix or remove the line")
                except ValueError as e:  # e.g. an integer with thousands of digits
                    raise InputError(where, f"not readable JSON ({e}); fix or remove the line")
                yield parse_record(obj, where)
            except InputError as e:
                yield ReadFailure(e.where, e.reason)
    if not any_line:
        yield ReadFailure(name, "holds no JSON lines; nothing to read")
