"""Every command, as a user runs it: real subprocesses for errors (no tracebacks), in-process for the rest."""
import csv
import json
import subprocess
import sys

import pytest

from storylens.cli import main


def run(args, capsys):
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = e.code or 0
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def sl(*args, **kw):
    return subprocess.run([sys.executable, "-m", "storylens.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, **kw)


@pytest.fixture()
def seeds_db(tmp_path, seeds_dir, capsys):
    db = tmp_path / "s.db"
    code, out, err = run(["ingest", str(seeds_dir), "--db", str(db), "--no-extract"], capsys)
    assert code == 0, err
    assert "read 2" in err and "failed 0" in err
    return db


def test_stories_show_compare_json(seeds_db, capsys):
    code, out, _ = run(["stories", "--db", str(seeds_db), "--json"], capsys)
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(rows) == 1 and rows[0]["n_articles"] == 2
    sid = rows[0]["id"]
    code, out, _ = run(["show", sid, "--db", str(seeds_db), "--json"], capsys)
    v = json.loads(out)
    assert {a["outlet"] for a in v["articles"]} == {"Radio Habana Cuba", "Qatar Tribune"}
    ids = [a["id"] for a in v["articles"]]
    code, out, _ = run(["compare", ids[0], ids[1], "--db", str(seeds_db), "--json"], capsys)
    c = json.loads(out)
    assert code == 0 and c["passages"] and max(c["shared_a"], c["shared_b"]) >= 0.7
    code, out, _ = run(["compare", ids[0], ids[1], "--db", str(seeds_db), "--width", "160"], capsys)
    assert code == 0 and "shared" in out
    code, out, _ = run(["show", sid, "--db", str(seeds_db)], capsys)
    assert code == 0 and "only in one article" in out and "Kanaani" in out


def test_export_formats(seeds_db, tmp_path, capsys):
    for what in ("articles", "stories", "passages"):
        for fmt in ("jsonl", "csv", "parquet"):
            path = tmp_path / f"{what}.{fmt}"
            code, _, err = run(["export", what, "--format", fmt, "-o", str(path), "--db", str(seeds_db)], capsys)
            assert code == 0, err
            assert path.stat().st_size > 0
    arts = [json.loads(x) for x in (tmp_path / "articles.jsonl").read_text().splitlines()]
    need = {"id", "source", "url", "outlet", "title", "published", "language", "text", "story_id", "duplicate_of"}
    assert all(need <= set(a) for a in arts)
    assert all(a["source"].endswith(".txt") for a in arts)
    passages = [json.loads(x) for x in (tmp_path / "passages.jsonl").read_text().splitlines()]
    texts = {a["id"]: a["text"] for a in arts}
    for p in passages:
        assert p["kind"] in ("shared", "unique")
        assert 0 <= p["start_a"] < p["end_a"] <= len(texts[p["article_a"]])
        if p["kind"] == "shared":
            assert p["end_b"] <= len(texts[p["article_b"]]) and p["similarity"] > 0
    rows = list(csv.DictReader(open(tmp_path / "passages.csv", encoding="utf-8")))
    assert len(rows) == len(passages)
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "articles.parquet").num_rows == 2


def test_report_writes_html(seeds_db, tmp_path, capsys):
    out_html = tmp_path / "r.html"
    code, _, err = run(["report", "--db", str(seeds_db), "-o", str(out_html)], capsys)
    assert code == 0, err
    html = out_html.read_text()
    assert "Radio Habana Cuba" in html and "Qatar Tribune" in html


def test_user_errors_are_one_line_no_traceback(tmp_path, seeds_db):
    cases = [
        (["show", "nope", "--db", seeds_db], "no story"),
        (["compare", "x", "y", "--db", seeds_db], "no article"),
        (["stories", "--db", tmp_path / "missing.db"], "no database"),
        (["stories", "--db", tmp_path / "nodir" / "x.db"], "does not exist"),
        (["export", "stories", "--format", "geojson", "-o", tmp_path / "x.json", "--db", seeds_db], "GeoJSON"),
        (["backup", "-o", seeds_db, "--db", seeds_db], "exists"),
        (["nosuchcommand"], "No such command"),
        (["ingest"], "Missing argument"),
        (["export", "stories", "--format", "xml", "-o", tmp_path / "x", "--db", seeds_db], "xml"),
        (["spark", "run", "--input", tmp_path / "nothing-here", "--output", tmp_path / "o"], "nothing-here"),
    ]
    for args, needle in cases:
        r = sl(*args)
        assert r.returncode != 0, args
        assert "Traceback" not in r.stderr, r.stderr
        assert needle in r.stderr, (args, r.stderr)


def test_ingest_bad_input_reports_and_goes_on(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text("A perfectly good article about the harbour market closing next summer.")
    (d / "empty.txt").write_text("")
    (d / "feed.jsonl").write_text('{"text": "Line one article."}\n{broken\n')
    (d / "image.png").write_bytes(b"\x89PNG")
    r = sl("ingest", d, "--db", tmp_path / "x.db", "--no-extract")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert "empty.txt" in r.stderr and "feed.jsonl:2" in r.stderr and "image.png" in r.stderr
    assert "read 2, new 2, duplicate 0, already stored 0, failed 3" in r.stderr
    r = sl("ingest", d, "--db", tmp_path / "x.db", "--no-extract", "--json")
    stats = json.loads(r.stdout)
    assert (stats["new"], stats["already"], stats["failed"]) == (0, 2, 3)


def test_backup_is_a_working_database(seeds_db, tmp_path, capsys):
    dest = tmp_path / "b.db"
    code, _, _ = run(["backup", "-o", str(dest), "--db", str(seeds_db)], capsys)
    assert code == 0
    code, out, _ = run(["stories", "--db", str(dest), "--json"], capsys)
    assert len(out.splitlines()) == 1


def test_help_explains_every_command():
    r = sl("--help")
    assert r.returncode == 0
    for cmd in ("ingest", "stories", "show", "compare", "export", "demo", "report", "quotes", "extract", "serve",
                "backup", "spark"):
        assert cmd in r.stdout


@pytest.fixture(scope="module")
def seeds_db_full(tmp_path_factory, seeds_dir):
    db = tmp_path_factory.mktemp("full") / "s.db"
    r = sl("ingest", seeds_dir, "--db", db)
    assert r.returncode == 0, r.stderr
    return db


def test_quotes_command_records(seeds_db_full, capsys):
    code, out, _ = run(["quotes", "--db", str(seeds_db_full), "--json"], capsys)
    recs = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and recs
    need = {"speaker", "speaker_span", "canonical_speaker", "cue", "cue_span", "quote", "quote_span", "kind",
            "story_id", "article_id", "outlets"}
    assert all(need <= set(r) for r in recs)
    blinken = [r for r in recs if "Blinken" in (r["canonical_speaker"] or "")]
    assert len(blinken) == 1 and len(blinken[0]["outlets"]) == 2
    rasool = [r for r in recs if r["canonical_speaker"] == "Yahya Rasool"]
    assert len(rasool) >= 4
    code, out, _ = run(["quotes", "--db", str(seeds_db_full), "--speaker", "kanaani", "--json"], capsys)
    kan = [json.loads(x) for x in out.splitlines()]
    assert len(kan) == 1 and kan[0]["outlets"] == ["Qatar Tribune"] and kan[0]["single_outlet"] is True


def test_events_export_and_geojson(seeds_db_full, tmp_path, capsys):
    code, _, err = run(["export", "events", "-o", str(tmp_path / "e.jsonl"), "--db", str(seeds_db_full)], capsys)
    assert code == 0, err
    events = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert len(events) == 1
    ev = events[0]
    for k in ("story_id", "type", "actor", "target", "place", "date", "fatalities", "injured", "reactions", "sources"):
        assert k in ev
    assert ev["place"]["name"] == "Baghdad" and ev["date"] == "2024-02-07"
    code, _, _ = run(["export", "events", "--format", "geojson", "-o", str(tmp_path / "e.geojson"),
                      "--db", str(seeds_db_full)], capsys)
    gj = json.loads((tmp_path / "e.geojson").read_text())
    lon, lat = gj["features"][0]["geometry"]["coordinates"]
    assert abs(lat - 33.34) < 0.2 and abs(lon - 44.40) < 0.2
    code, _, _ = run(["export", "quotes", "--format", "csv", "-o", str(tmp_path / "q.csv"), "--db", str(seeds_db_full)],
                     capsys)
    assert code == 0 and len(list(csv.DictReader(open(tmp_path / "q.csv")))) >= 8


def test_extract_prints_per_file(seeds_dir, tmp_path):
    files = sorted(seeds_dir.glob("*.txt"))
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    r = sl("extract", *files, bad, "--json")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["file"] for x in lines] == [str(f) for f in files]
    for rec in lines:
        assert {"quotes", "entities", "events"} <= set(rec)
        text = open(rec["file"], encoding="utf-8").read()
        for q in rec["quotes"]:
            s, e = q["quote_span"]
            assert 0 <= s < e <= len(text)
    assert "empty.txt" in r.stderr and "Traceback" not in r.stderr and r.returncode == 1
    r = sl("extract", files[0], "--published", "2024-02-30")
    assert r.returncode != 0 and "Traceback" not in r.stderr
