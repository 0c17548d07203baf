"""Readers: every format, and every kind of bad input gives one clear failure while the rest is read."""
import gzip
import io
import json

from storylens.read import ReadFailure, format_of, read_paths
from storylens.read.decode import decode_bytes, looks_binary

PAGE = """<html><head><title>Bridge reopens in Lakeport</title><meta property="og:site_name" content="Lakeport Daily"></head>
<body><nav>Home | World | Sport</nav><article><h1>Bridge reopens in Lakeport</h1>
<p>LAKEPORT, March 3 -- The old bridge over the Kessel river reopened on Monday after two years of repairs,
the city's transport office said, ending long detours for thousands of commuters.</p>
<p>Mayor Ana Ruiz said the work came in under budget and thanked the crews who worked through the winter.</p>
</article><footer>Copyright 2025 Lakeport Daily. All rights reserved.</footer></body></html>"""


def _docs(items):
    return [d for d in items if not isinstance(d, ReadFailure)], [d for d in items if isinstance(d, ReadFailure)]


def test_format_of_names(tmp_path):
    assert format_of(tmp_path / "a.WARC.GZ") == "warc"
    assert format_of(tmp_path / "a.ndjson") == "jsonl"
    assert format_of(tmp_path / "a.htm") == "html"
    assert format_of(tmp_path / "a.pdf") is None


def test_txt_and_folder_recursion(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("First article text here.", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("Second article text here.", encoding="utf-8")
    docs, fails = _docs(list(read_paths([tmp_path])))
    assert [d.text for d in docs] == ["First article text here.", "Second article text here."]
    assert not fails


def test_html_main_text_without_chrome(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(PAGE, encoding="utf-8")
    docs, fails = _docs(list(read_paths([p])))
    assert not fails and len(docs) == 1
    d = docs[0]
    assert "old bridge over the Kessel river" in d.text
    assert "Home | World" not in d.text and "All rights reserved" not in d.text
    assert d.meta.get("title") == "Bridge reopens in Lakeport"
    assert d.html == PAGE


def test_jsonl_good_and_bad_lines(tmp_path):
    p = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "x1", "text": "An article.", "outlet": "Wire", "published": "2025-03-01"}),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": 42}),
        json.dumps({"text": "ok", "outlet": ["list"]}),
        "",
        json.dumps(["an", "array"]),
        json.dumps({"text": "Another article."}),
    ]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, fails = _docs(list(read_paths([p])))
    assert [d.text for d in docs] == ["An article.", "Another article."]
    assert docs[0].meta == {"id": "x1", "outlet": "Wire", "published": "2025-03-01"}
    where = [f.where for f in fails]
    assert where == [f"{p}:2", f"{p}:3", f"{p}:4", f"{p}:5", f"{p}:7"]
    reasons = " | ".join(f.reason for f in fails)
    assert "not valid JSON" in reasons and "'text' is missing" in reasons
    assert "'text' must be a string" in reasons and "'outlet' must be a string" in reasons


def _warc_bytes(records):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for uri, ctype, body in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        rec = w.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=headers)
        w.write_record(rec)
    return buf.getvalue()


def test_warc_html_responses(tmp_path):
    p = tmp_path / "crawl.warc.gz"
    p.write_bytes(
        _warc_bytes(
            [
                ("https://lakeport.example/bridge", "text/html; charset=utf-8", PAGE.encode()),
                ("https://lakeport.example/logo.png", "image/png", b"\x89PNG\r\n"),
            ]
        )
    )
    docs, fails = _docs(list(read_paths([p])))
    assert len(docs) == 1 and not fails
    assert docs[0].meta["url"] == "https://lakeport.example/bridge"
    assert docs[0].format == "warc"


def test_bad_files_each_get_one_clear_line(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("   \n\n  ")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "broken.warc.gz").write_bytes(gzip.compress(b"this is not a warc file at all"))
    (tmp_path / "good.txt").write_text("A good article survives the bad ones.")
    items = list(read_paths([tmp_path, tmp_path / "missing.txt"]))
    docs, fails = _docs(items)
    assert [d.text for d in docs] == ["A good article survives the bad ones."]
    by_file = {f.where.rsplit("/", 1)[-1]: f.reason for f in fails}
    assert "empty" in by_file["empty.txt"]
    assert "whitespace" in by_file["blank.txt"]
    assert "binary" in by_file["binary.txt"]
    assert "unsupported file type" in by_file["notes.pdf"]
    assert "broken.warc.gz" in by_file
    assert "no such file" in by_file["missing.txt"]
    for f in fails:
        assert "\n" not in str(f)


def test_legacy_encodings_decoded():
    assert decode_bytes("Café crème à côté".encode("cp1252"), "x.txt") == "Café crème à côté"
    assert decode_bytes("naïve “quotes”".encode("utf-8"), "x.txt") == "naïve “quotes”"
    assert decode_bytes("\ufeffBOM text".encode("utf-8"), "x.txt") == "BOM text"
    assert looks_binary(b"\x00\x01\x02abc")


def test_symlink_loop_is_cut(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("Loop-safe article.")
    (d / "loop").symlink_to(d)
    items = list(read_paths([d]))
    docs, fails = _docs(items)
    assert [x.text for x in docs] == ["Loop-safe article."]
    assert any("symlink loop" in f.reason for f in fails)
