"""HTML reader: one page per file, main text extracted with trafilatura."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..model import RawDoc
from .decode import decode_bytes, read_text_file

MAX_HTML_CHARS = 10_000_000


def extract_html(html: str, where: str, url: str | None = None) -> RawDoc:
    """Main text and metadata of one HTML page (raises InputError when there is no text).

    >>> d = extract_html("<html><head><title>T</title></head><body><article><p>" + "Word " * 60
    ...                  + "</p></article></body></html>", "x.html")
    >>> d.text.startswith("Word Word")
    True
    """
    import trafilatura

    if len(html) > MAX_HTML_CHARS:
        raise InputError(where, f"page is larger than {MAX_HTML_CHARS // 1_000_000} M characters; refused")
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_recall=True,
        )
    except Exception as e:  # noqa: BLE001 - the extractor can fail on hostile markup
        raise InputError(where, f"HTML could not be parsed ({type(e).__name__}); check the file is a web page")
    if doc is None:
        raise InputError(where, "no article text found in this page")
    if not isinstance(doc, dict):
        doc = doc.as_dict()
    text = (doc.get("text") or "").strip()
    if not text:
        raise InputError(where, "no article text found in this page")
    meta = {}
    for key, field in (("title", "title"), ("url", "url"), ("outlet", "sitename"), ("published", "date")):
        value = doc.get(field)
        if value:
            meta[key] = str(value).strip()
    if url:
        meta["url"] = url
    return RawDoc(source=where, text=text, format="html", meta=meta, html=html)


def read_html(path: Path) -> Iterator:
    from . import ReadFailure

    try:
        html = read_text_file(path)
        yield extract_html(html, str(path))
    except InputError as e:
        yield ReadFailure(e.where, e.reason)


__all__ = ["read_html", "extract_html", "decode_bytes"]
