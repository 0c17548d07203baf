"""Hostile and broken input: every bad file, line or record gets one clear message naming it, the rest
of the run is unaffected, memory stays bounded, and Unicode tricks do not break alignment offsets.

The CLI runs as a user runs it (a subprocess); peak memory is the child's own ``ru_maxrss``.
"""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from storylens.align import align_pair, tokenize, unique_spans
from storylens.model import RawDoc
from storylens.pipeline import Pipeline
from storylens.store import Store

MB = 1024 * 1024
RUNNER = """
import atexit, os, resource, sys
atexit.register(lambda: open(os.environ["PEAK_RSS_FILE"], "w").write(
    str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
from storylens.cli import main
main(sys.argv[1:])
"""


def ingest(tmp: Path, *args: str, cwd: Path | None = None, timeout: int = 300) -> tuple[dict, str, int, float]:
    """Run `storylens ingest ARGS --no-extract --json`; returns (stats, stderr, peak RSS in MB, seconds)."""
    peak = tmp / f"peak-{time.monotonic_ns()}.txt"
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-c", RUNNER, "ingest", "--no-extract", "--json", *args],
        capture_output=True, text=True, timeout=timeout, cwd=cwd, env={**os.environ, "PEAK_RSS_FILE": str(peak)},
    )
    seconds = time.monotonic() - t0
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
    assert p.stdout.strip(), f"no JSON summary (exit {p.returncode}): {p.stderr[-2000:]}"
    return json.loads(p.stdout), p.stderr, int(peak.read_text()) // 1024, seconds


def article(seed: int, n_words: int = 120) -> str:
    rng = random.Random(seed)
    vocab = ("council harbour bridge storm engineers mayor river road vote budget school police fire "
             "minister week report town station rain winter repair plan people city").split()
    sents = []
    for _ in range(n_words // 12):
        sents.append(" ".join(rng.choice(vocab) for _ in range(12)).capitalize() + ".")
    return f"Headline number {seed} about the town\n\n" + " ".join(sents[: len(sents) // 2]) + "\n\n" + " ".join(
        sents[len(sents) // 2 :]
    )


def stored(db: Path) -> dict[str, str]:
    with Store(str(db)) as s:
        return {a.source: a.raw_text for a in s.articles()}


def file_name(where: str) -> str:
    """The file name in a place a message or source names (``file``, ``file:line``, ``file#record``)."""
    return Path(re.sub(r"(:\d+|#\d+)$", "", where)).name


def failures_by_file(stats: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in stats["failures"]:
        where, _, why = f.partition(": ")
        out.setdefault(file_name(where), []).append(why)
    return out


# ------------------------------------------------------------------ a folder of small broken files
def test_broken_files_each_get_a_message_and_the_rest_is_read(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    good = {f"good{i}.txt": article(i) for i in range(3)}
    for name, text in good.items():
        (d / name).write_text(text, encoding="utf-8")
    for name in ("empty.txt", "empty.html", "empty.jsonl", "empty.warc.gz"):
        (d / name).write_bytes(b"")
    (d / "blank.txt").write_text("   \n\n\t  \n")
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(20000))
    (d / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + noise)
    (d / "program.html").write_bytes(b"\x7fELF\x02\x01\x01\x00" + noise)
    (d / "blob.jsonl").write_bytes(b"\x00\x01\x02" * 100 + b"\n" + b"\xff\x00" * 50 + b"\n")
    (d / "notes.pdf").write_bytes(b"%PDF-1.4 not an input type")
    west = "The mayor said \u201cwe will rebuild the caf\u00e9 on the Rh\u00f4ne quay\u201d \u2014 na\u00efve or not. "
    (d / "cp1252.txt").write_bytes((west * 4).encode("cp1252"))
    latin = "Le maire a d\u00e9clar\u00e9 \u00ab nous reconstruirons le caf\u00e9 \u00bb mardi, \u00e0 Gen\u00e8ve. "
    (d / "latin1.txt").write_bytes((latin * 4).encode("latin-1"))
    cyr = "\u041c\u044d\u0440 \u0437\u0430\u044f\u0432\u0438\u043b \u0432\u043e \u0432\u0442\u043e\u0440\u043d\u0438\u043a, \u0447\u0442\u043e \u0433\u043e\u0440\u043e\u0434 \u0432\u043e\u0441\u0441\u0442\u0430\u043d\u043e\u0432\u0438\u0442 \u043c\u043e\u0441\u0442 \u0438 \u0448\u043a\u043e\u043b\u0443. "
    (d / "cp1251.txt").write_bytes((cyr * 6).encode("cp1251"))
    # UTF-8 with one stray cp1252 apostrophe (mixed encodings, common in scraped text)
    (d / "mixed.txt").write_bytes(("Caf\u00e9 owners in Z\u00fcrich say " * 5).encode() + b"it\x92s over.\n")
    (d / "bom16.txt").write_bytes("A UTF-16 article with a byte-order mark, read as text.".encode("utf-16"))
    (d / "deep.html").write_text(
        "<html><body>" + "<div>" * 100_000 + "<p>Deep text. </p>" * 40 + "</div>" * 100_000 + "</body></html>"
    )
    (d / "tags.html").write_text(
        "<html><head><title>Broken page</title><body><p>Unclosed <b>tags <i>everywhere<table><tr><td>cell<p>"
        + "The council met on Monday and agreed to repair the harbour wall before winter storms arrive. " * 8
        + "<script>while(1){}</script><p>More text <a href='x'>link</div></span></html></html><<<>>>"
    )
    lines = [
        json.dumps({"id": "j1", "text": article(11)}),
        '{"id": "j2", "text": 5}',
        '{"id": "j3", "title": "no text field"}',
        "this is not json",
        "[1, 2, 3]",
        '{"id": "j6", "text": "   "}',
        '{"id": "j7", "text": "fine", "published": {"y": 2024}}',
        "[" * 100_000 + "]" * 100_000,
        '{"id": "j9", "text": "x", "n": ' + "9" * 5000 + "}",
        json.dumps({"id": "j10", "text": "Half an emoji HALF here, and a whole one \U0001F600 here. " + article(12)})
        .replace("HALF", "\\ud83d"),
        "",
        '{"id": "j12", "text": "tab\\tand NUL \\u0000 inside"}',
        json.dumps({"id": "j13", "text": article(13)})[:-5],  # cut off mid-line
        json.dumps({"id": "j14", "text": article(14)}),
    ]
    (d / "mixed lines.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / "truncated.warc.gz").write_bytes(zlib.compress(b"WARC/1.0\r\nWARC-Type: response\r\n")[:20])

    db = tmp_path / "h.db"
    stats, err, _, _ = ingest(tmp_path, str(d), "--db", str(db))
    fails = failures_by_file(stats)
    texts = stored(db)
    names = {file_name(src) for src in texts}

    # the good files and the decodable ones are all stored, whole
    for name, text in good.items():
        assert texts[str(d / name)] == text
    assert texts[str(d / "cp1252.txt")] == west * 4
    assert texts[str(d / "latin1.txt")] == latin * 4
    assert texts[str(d / "cp1251.txt")] == cyr * 6
    assert texts[str(d / "mixed.txt")].endswith("it\u2019s over.\n") and "Z\u00fcrich" in texts[str(d / "mixed.txt")]
    assert texts[str(d / "bom16.txt")].startswith("A UTF-16 article")
    assert "harbour wall" in texts[str(d / "tags.html")]
    j10 = texts[f"{d / 'mixed lines.jsonl'}:10"]
    assert "Half an emoji \ufffd here" in j10 and "\U0001F600" in j10

    # every broken file has its own message, saying why
    expect = {
        "empty.txt": "empty", "empty.html": "empty", "empty.jsonl": "empty", "empty.warc.gz": "empty",
        "blank.txt": "whitespace", "photo.txt": "binary", "program.html": "binary", "blob.jsonl": "binary",
        "notes.pdf": "unsupported file type", "truncated.warc.gz": "warc",
    }
    for name, word in expect.items():
        assert name in fails, f"no message for {name}: {stats['failures']}"
        assert any(word in why.lower() for why in fails[name]), (name, fails[name])
        assert name not in names
    assert "deep.html" in fails or "deep.html" in names  # refused with a reason, or read; never a crash
    jl = [f for f in stats["failures"] if "mixed lines.jsonl:" in f]
    by_line = {int(f.split(".jsonl:")[1].split(":")[0]): f for f in jl}
    assert "'text' must be a string" in by_line[2]
    assert "'text' is missing" in by_line[3]
    assert "not valid JSON" in by_line[4] and "not valid JSON" in by_line[13]
    assert "expected a JSON object" in by_line[5]
    assert "empty" in by_line[6]
    assert "'published' must be a string" in by_line[7]
    assert "nested too deeply" in by_line[8]
    assert "not readable JSON" in by_line[9]
    assert "NUL" in by_line[12]
    assert set(by_line) == {2, 3, 4, 5, 6, 7, 8, 9, 12, 13}
    assert {f"{d / 'mixed lines.jsonl'}:{n}" for n in (1, 10, 14)} <= set(texts)
    # the summary adds up: nothing read was dropped silently
    assert stats["read"] == stats["new"] + stats["duplicate"] + stats["already"] == len(texts)
    assert stats["failed"] == len(stats["failures"])


# --------------------------------------------------------------------------- big files, bounded memory
@pytest.mark.slow
def test_huge_files_are_refused_or_streamed_with_bounded_memory(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    (small / "ok.txt").write_text(article(1), encoding="utf-8")
    _, _, base_rss, _ = ingest(tmp_path, str(small), "--db", str(tmp_path / "base.db"))

    big = tmp_path / "big"
    big.mkdir()
    (big / "ok.txt").write_text(article(1), encoding="utf-8")
    with open(big / "huge.txt", "wb") as f:  # 200 MB, sparse after a line of text
        f.write(b"A very long article begins here.\n")
        f.truncate(200 * MB)
    with open(big / "oneline.txt", "wb") as f:  # 50 MB on one line
        f.write(b"word " * (10 * MB))
    with open(big / "oneline.jsonl", "wb") as f:  # a 50 MB JSON line between two good ones
        f.write(json.dumps({"id": "before", "text": article(2)}).encode() + b"\n")
        f.write(b'{"id": "huge", "text": "' + b"word " * (10 * MB) + b'"}\n')
        f.write(json.dumps({"id": "after", "text": article(3)}).encode() + b"\n")
    with open(big / "page.html", "wb") as f:
        f.write(b"<html><body><p>" + b"word " * (5 * MB) + b"</p></body></html>")
    db = tmp_path / "big.db"
    stats, _, rss, seconds = ingest(tmp_path, str(big), "--db", str(db))
    for p in big.iterdir():
        p.unlink()
    fails = failures_by_file(stats)
    assert "larger than the 20 MB limit" in fails["huge.txt"][0]
    assert "larger than the 20 MB limit" in fails["oneline.txt"][0]
    assert "longer than 10 MB" in fails["oneline.jsonl"][0]
    assert "page.html" in fails
    texts = stored(db)
    assert len(texts) == 3 and sum(src.endswith(("jsonl:1", "jsonl:3")) for src in texts) == 2
    # the 200 MB and 50 MB inputs never come into memory whole
    assert rss < base_rss + 120, f"peak RSS {rss} MB against {base_rss} MB for a one-article run"
    print(f"\nbig files: peak RSS {rss} MB (one small article: {base_rss} MB), {seconds:.1f} s")


def _gzip_member(n_zero_mb: int, head: bytes = b"") -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    zero = bytes(MB)
    return c.compress(head) + b"".join(c.compress(zero) for _ in range(n_zero_mb)) + c.flush()


@pytest.mark.slow
def test_gzip_bomb_disguised_as_warc_is_refused_quickly(tmp_path):
    d = tmp_path / "bombs"
    d.mkdir()
    member = _gzip_member(64)  # 64 MB of zeros in ~65 kB; repeated members inflate to 5 GB
    with open(d / "zeros.warc.gz", "wb") as f:
        for _ in range(80):
            f.write(member)
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    body = 80 * 64 * MB
    head = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://bomb.test/\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
        b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n" % (len(http) + body)
    ) + http
    with open(d / "response.warc.gz", "wb") as f:  # a well-formed record whose HTML body is 5 GB of zeros
        f.write(_gzip_member(0, head))
        for _ in range(80):
            f.write(member)
    assert sum(p.stat().st_size for p in d.iterdir()) < 20 * MB
    (d / "ok.txt").write_text(article(5), encoding="utf-8")
    db = tmp_path / "bomb.db"
    stats, _, rss, seconds = ingest(tmp_path, str(d), "--db", str(db))
    fails = failures_by_file(stats)
    assert any("gzip bomb" in why for why in fails["zeros.warc.gz"]), fails
    assert any("gzip bomb" in why or "larger than 20 MB" in why for why in fails["response.warc.gz"]), fails
    assert len(stored(db)) == 1
    # 5 GB inflated must never be held: the bound leaves room for a first run that JIT-compiles the numba
    # kernels (a fresh checkout has no compile cache; that alone can take a few hundred MB)
    assert rss < 1500, f"peak RSS {rss} MB"
    assert seconds < 120
    print(f"\ngzip bombs (2 x 5 GB inflated): refused in {seconds:.1f} s, peak RSS {rss} MB")


# ------------------------------------------------------------------------------ names and folders
def test_awkward_file_names_as_a_user_gives_them(tmp_path):
    d = tmp_path / "names"
    d.mkdir()
    names = ["-dash.txt", "--double.txt", "with space.txt", "\u00fcn\u00efc\u00f8d\u00e9 \u540d\u524d.txt", "'quote\".txt"]
    for i, n in enumerate(names):
        (d / n).write_text(article(100 + i), encoding="utf-8")
    db = tmp_path / "n.db"
    stats, _, _, _ = ingest(tmp_path, "--db", str(db), "--", *names[:3], cwd=d)
    assert stats["read"] == 3 and stats["failed"] == 0, stats
    stats, _, _, _ = ingest(tmp_path, "--db", str(db), "./-dash.txt", *names[3:], cwd=d)
    assert stats["read"] == 3 and stats["already"] == 1 and stats["failed"] == 0, stats
    assert {Path(s).name for s in stored(db)} == set(names)


def test_symlink_loops_and_broken_links_are_cut(tmp_path):
    d = tmp_path / "tree"
    (d / "sub").mkdir(parents=True)
    (d / "top.txt").write_text(article(21), encoding="utf-8")
    (d / "sub" / "inner.txt").write_text(article(22), encoding="utf-8")
    os.symlink("..", d / "sub" / "up")  # a loop back to the top
    os.symlink("loop", d / "loop")  # a link to itself
    os.symlink("nowhere.txt", d / "broken.txt")
    os.symlink(d / "sub", d / "again")  # the same folder twice
    db = tmp_path / "l.db"
    stats, _, _, seconds = ingest(tmp_path, str(d), "--db", str(db))
    assert stats["read"] == 2 and stats["new"] + stats["duplicate"] == 2, stats
    fails = failures_by_file(stats)
    assert any("symlink loop" in f for f in stats["failures"]), stats["failures"]
    assert "loop" in fails and "broken.txt" in fails
    assert sorted(Path(s).name for s in stored(db)) == ["inner.txt", "top.txt"]


# ----------------------------------------------------------------------------- Unicode tricks
INVISIBLE = ["\u200b", "\u00ad", "\u200e", "\u200f", "\u2060", "\ufeff", "\u200d", "\u202a", "\u202c"]


def _tricked(text: str, rng: random.Random) -> str:
    """The same text with invisible characters inside words, bidi marks and homoglyph quotes."""
    out = []
    for tok in text.split(" "):
        if len(tok) > 3 and rng.random() < 0.3:
            k = rng.randrange(1, len(tok))
            tok = tok[:k] + rng.choice(INVISIBLE) + tok[k:]
        out.append(tok)
    t = " ".join(out)
    t = t.replace(' "', " \u201c").replace('," ', ",\u201d ").replace("'s", "\u2019s")
    return "\u202b" + t + "\u202c"


def test_unicode_tricks_keep_offsets_and_matches(tmp_path):
    rng = random.Random(3)
    a = article(31, 200).replace(". ", '. "We will not wait," the mayor\'s aide said. ', 2)
    b = _tricked(a, rng)
    c = article(32, 120) + "\n\n" + "\u05e9\u05dc\u05d5\u05dd \u0627\u0644\u0633\u0644\u0627\u0645 " * 10
    store = Store(str(tmp_path / "u.db"))
    pipe = Pipeline(store, extract=False)
    pipe.add_docs([RawDoc("a.txt", a, "txt", {"id": "A"}), RawDoc("b.txt", b, "txt", {"id": "B"}),
                   RawDoc("c.txt", c, "txt", {"id": "C"})])
    arts = {x.id: x for x in store.articles()}
    assert arts["A"].story_id == arts["B"].story_id
    ps = list(store.passages(arts["A"].story_id))
    assert ps
    for p in ps:
        ta, tb = arts[p.article_a].text, arts[p.article_b].text
        assert 0 <= p.start_a < p.end_a <= len(ta) and 0 <= p.start_b < p.end_b <= len(tb)
        # the shared passages really are the same words once invisible characters are set aside
        if p.similarity == 1.0:
            assert tokenize(ta[p.start_a:p.end_a]).words == tokenize(tb[p.start_b:p.end_b]).words
    reuse = store.reuse(arts["A"].story_id)[0]
    assert reuse["shared_a"] >= 0.95 and reuse["shared_b"] >= 0.95, reuse
    # direct alignment: the whole text is one passage, spans inside both texts
    spans = align_pair(arts["A"].text, arts["B"].text)
    covered = sum(e - s for s, e, _, _, _ in spans)
    assert covered >= 0.95 * len(arts["A"].text.strip())
    for s0, e0, s1, e1, _ in spans:
        assert 0 <= s0 < e0 <= len(arts["A"].text) and 0 <= s1 < e1 <= len(arts["B"].text)
        assert not unique_spans(arts["B"].text[s1:e1], [(0, e1 - s1)])
    store.close()
