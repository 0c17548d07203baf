"""Bytes to text: UTF-8 first, legacy encodings when detectable, binary refused.

>>> decode_bytes("café".encode("cp1252"), "x.txt")
'café'
"""
from __future__ import annotations

import codecs
import re

from ..errors import InputError

MAX_TEXT_BYTES = 20 * 1024 * 1024  # one article larger than this is refused, not read
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13}


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text: NUL bytes or many control characters.

    >>> looks_binary(b"hello\\x00world"), looks_binary(b"plain text\\n")
    (True, False)
    """
    head = data[:65536]
    if not head:
        return False
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head if b in _CONTROL)
    return ctrl / len(head) > 0.05


def decode_bytes(data: bytes, where: str) -> str:
    """Decode a file's bytes, or raise InputError saying why it cannot be text."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(where, "has a UTF-16 byte-order mark but is not valid UTF-16; re-save it as UTF-8")
    if looks_binary(data):
        raise InputError(where, "looks like a binary file, not text; remove it from the input")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        bad_at = err.start
    text = _utf8_with_strays(data)
    if text is None:
        text = _western(data)
    if text is not None:
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 2 * 1024 * 1024]).best()
    latin = {"cp1252", "cp1250", "latin_1", "iso8859_15", "iso8859_2", "mac_roman", "cp850", "cp1254", "iso8859_9"}
    if best is not None and best.encoding and best.encoding.lower() not in latin | {"utf_8", "utf-8"}:
        try:
            return data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    # Legacy Western text is by far the most common non-UTF-8 news encoding, and detectors
    # confuse its code pages on short texts: take cp1252 for the whole Latin family.
    try:
        text = data.decode("cp1252")
        if sum(ch.isprintable() or ch in "\n\r\t" for ch in text) / max(1, len(text)) > 0.98:
            return text
    except UnicodeDecodeError:
        pass
    raise InputError(
        where,
        f"is not valid UTF-8 (bad byte at offset {bad_at}) and its encoding could not be detected; "
        "re-save it as UTF-8",
    )


_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _cp1252_byte(err: UnicodeDecodeError) -> tuple[str, int]:
    return err.object[err.start : err.end].decode("cp1252", errors="replace"), err.end


codecs.register_error("storylens-cp1252", _cp1252_byte)


def _utf8_with_strays(data: bytes) -> str | None:
    """UTF-8 text with a few stray legacy bytes (mixed encodings): the strays are read as cp1252.

    >>> _utf8_with_strays("café ".encode() + b"l\\x92eau")
    'café l’eau'
    """
    seqs = _UTF8_MULTI.findall(data)
    n_bad = sum(1 for b in data if b >= 0x80) - sum(len(x) for x in seqs)
    if len(seqs) < max(1, n_bad):  # fewer valid UTF-8 characters than stray bytes: not UTF-8
        return None
    return data.decode("utf-8", errors="storylens-cp1252")


def _western(data: bytes) -> str | None:
    """cp1252 text when decoding as cp1252 gives Western words (accented letters among Latin ones),
    not the runs of accented letters that another script's bytes turn into.

    >>> _western("Le café « noir » à Genève".encode("cp1252"))
    'Le café « noir » à Genève'
    >>> _western("Мэр заявил во вторник".encode("cp1251")) is None
    True
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if sum(ch.isprintable() or ch in "\n\r\t" for ch in text) / max(1, len(text)) <= 0.98:
        return None
    idx = [i for i, ch in enumerate(text) if ord(ch) > 127 and ch.isalpha()]
    if not idx:
        return text
    hi = set(idx)
    paired = sum(1 for i in idx if i - 1 in hi or i + 1 in hi)
    return text if paired <= 0.3 * len(idx) else None


def read_text_file(path, where: str | None = None, limit: int = MAX_TEXT_BYTES) -> str:
    """Read a whole text file with a size limit, or raise InputError."""
    where = where or str(path)
    size = path.stat().st_size
    if size == 0:
        raise InputError(where, "is empty; nothing to read")
    if size > limit:
        raise InputError(
            where,
            f"is {size / 2**20:.0f} MB, larger than the {limit / 2**20:.0f} MB limit for one article; "
            "split it or give it as JSON lines",
        )
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    text = decode_bytes(data, where)
    if not text.strip():
        raise InputError(where, "holds only whitespace; nothing to read")
    return text
