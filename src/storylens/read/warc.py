"""WARC reader: one article per HTML response record (``.warc`` or ``.warc.gz``).

Decompression is bounded: a record or file that inflates past the limits is refused
(a gzip bomb cannot exhaust memory).
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from .decode import decode_bytes
from .html import extract_html

MAX_RECORD_BYTES = 20 * 1024 * 1024
MAX_FILE_INFLATED = 2 * 1024 * 1024 * 1024
MAX_LINE_RUN = 32 * 1024 * 1024  # WARC and HTTP headers are lines; a longer run without a line break is not a WARC


class _Bounded:
    """The inflated bytes of a WARC file, read with two bounds that keep memory and time in check:
    the whole file (``MAX_FILE_INFLATED``) and any run of bytes without a line break (``MAX_LINE_RUN``;
    warcio reads header lines whole, so a bomb of zeros would otherwise become one huge line in memory).

    >>> import io
    >>> b = _Bounded(io.BytesIO(b"WARC/1.0\\r\\n"), "x.warc")
    >>> b.read(4), b.tell()
    (b'WARC', 4)
    """

    def __init__(self, f, name: str):
        self._f = f
        self._name = name
        self._total = 0
        self._run = 0

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n if n is not None and 0 <= n <= 1 << 20 else 1 << 20)
        self._total += len(data)
        if self._total > MAX_FILE_INFLATED:
            raise InputError(self._name, "inflates past 2 GB; refused as a possible gzip bomb")
        nl = data.rfind(b"\n")
        self._run = len(data) - nl - 1 if nl >= 0 else self._run + len(data)
        if self._run > MAX_LINE_RUN:
            raise InputError(
                self._name,
                f"holds over {MAX_LINE_RUN // 2**20} MB without a line break once inflated; "
                "refused as corrupt or a possible gzip bomb",
            )
        return data

    def tell(self) -> int:
        return self._total


def read_warc(path: Path) -> Iterator:
    from warcio.archiveiterator import ArchiveIterator

    from . import ReadFailure

    name = str(path)
    if path.stat().st_size == 0:
        yield ReadFailure(name, "is empty; nothing to read")
        return
    inflated = 0
    n_html = 0
    n_record = 0
    try:
        with open(path, "rb") as raw:
            gz = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            f = _Bounded(gzip.GzipFile(fileobj=raw) if gz else raw, name)
            for record in ArchiveIterator(f, block_size=1 << 20):
                n_record += 1
                if record.rec_type != "response":
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI")
                where = f"{name}#{n_record}"
                ctype = (record.http_headers.get_header("Content-Type") if record.http_headers else "") or ""
                if "html" not in ctype.lower():
                    continue
                stream = record.content_stream()
                body = stream.read(MAX_RECORD_BYTES + 1)
                inflated += len(body)
                if len(body) > MAX_RECORD_BYTES:
                    yield ReadFailure(where, f"response is larger than {MAX_RECORD_BYTES // 1_000_000} MB; skipped")
                    # drain the rest without keeping it, with a bound
                    while True:
                        chunk = stream.read(1024 * 1024)
                        if not chunk:
                            break
                        inflated += len(chunk)
                        if inflated > MAX_FILE_INFLATED:
                            raise InputError(name, "inflates past 2 GB; refused as a possible gzip bomb")
                    continue
                if inflated > MAX_FILE_INFLATED:
                    raise InputError(name, "inflates past 2 GB; refused as a possible gzip bomb")
                n_html += 1
                try:
                    html = decode_bytes(body, where)
                    doc = extract_html(html, where, url=uri)
                    doc.format = "warc"
                    date = record.rec_headers.get_header("WARC-Date")
                    if date and "published" not in doc.meta:
                        doc.meta["crawled"] = date[:10]
                    yield doc
                except InputError as e:
                    yield ReadFailure(e.where, e.reason)
    except InputError as e:
        yield ReadFailure(e.where, e.reason)
        return
    except Exception as e:  # noqa: BLE001 - warcio raises many kinds on corrupt input
        yield ReadFailure(name, f"not a readable WARC file after record {n_record} ({type(e).__name__}: {e}); check it")
        return
    if n_html == 0:
        yield ReadFailure(name, "holds no HTML response records; nothing to read")
