"""WARC reader: one article per HTML response record (``.warc`` or ``.warc.gz``).

Decompression is bounded: a record or file that inflates past the limits is refused
(a gzip bomb cannot exhaust memory).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..errors import InputError
from .decode import decode_bytes
from .html import extract_html

MAX_RECORD_BYTES = 20 * 1024 * 1024
MAX_FILE_INFLATED = 2 * 1024 * 1024 * 1024


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
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
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
