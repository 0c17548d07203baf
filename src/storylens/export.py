"""Export tables from the store as JSON lines, CSV, Parquet or GeoJSON.

>>> from storylens.store import Store
>>> export_table(Store(":memory:"), "stories", "jsonl", "/dev/null")
0
"""
from __future__ import annotations

import csv
import json
import sys
from typing import Iterator

from .errors import StorylensError
from .store import Store

ARTICLE_FIELDS = [
    "id", "source", "url", "outlet", "title", "published", "language", "text", "story_id", "duplicate_of",
    "duplicate_kind", "duplicate_similarity", "dateline", "story_similarity", "format",
]
PASSAGE_FIELDS = ["story_id", "kind", "article_a", "start_a", "end_a", "article_b", "start_b", "end_b", "similarity", "group"]
STORY_FIELDS = ["id", "label", "first_date", "last_date", "n_articles", "outlets", "label_article"]
QUOTE_FIELDS = [
    "story_id", "article_id", "speaker", "speaker_span", "canonical_speaker", "role", "cue", "cue_span", "quote",
    "quote_span", "kind", "outlets", "single_outlet", "variants",
]
EVENT_FIELDS = ["story_id", "type", "actor", "target", "place", "date", "fatalities", "injured", "reactions",
                "claims", "sources"]


def article_records(store: Store) -> Iterator[dict]:
    for a in store.articles():
        d = a.to_dict()
        yield {k: d.get(k) for k in ARTICLE_FIELDS}


def story_records(store: Store) -> Iterator[dict]:
    for s in store.stories():
        yield {k: s.get(k) for k in STORY_FIELDS}


def passage_records(store: Store) -> Iterator[dict]:
    from .views import iter_passages

    for p in iter_passages(store):
        yield {k: p.get(k) for k in PASSAGE_FIELDS}


def quote_records(store: Store, story: str | None = None, speaker: str | None = None) -> Iterator[dict]:
    """One record per distinct quote of each story, with the outlets that carried it."""
    from .views import story_quotes

    sids = [store.story(story)["id"]] if story else store.story_ids()
    needle = speaker.lower() if speaker else None
    for sid in sids:
        for q in story_quotes(store, sid):
            names = " ".join(str(x) for x in (q.get("canonical_speaker"), q.get("speaker")) if x).lower()
            if needle and needle not in names:
                continue
            variants = q.get("variants") or []
            first = variants[0] if variants else {}
            rec = {"story_id": sid, "article_id": first.get("article_id")}
            # the fields of the article-level record this quote was first found as (spans into that article)
            for stored in store.quotes_of(first["article_id"]) if first else []:
                if list(stored.get("quote_span") or []) == list(first.get("span") or []):
                    rec.update({k: stored.get(k) for k in (
                        "speaker", "speaker_span", "canonical_speaker", "cue", "cue_span", "quote", "quote_span",
                        "kind", "role")})
                    break
            for k, v in q.items():
                rec.setdefault(k, v)
            rec["canonical_speaker"] = q.get("speaker") or rec.get("canonical_speaker")
            yield rec


def event_records(store: Store) -> Iterator[dict]:
    from .views import story_event

    for sid in store.story_ids():
        ev = story_event(store, sid)
        if ev:
            rec = dict(ev)
            rec["story_id"] = sid
            yield rec


def _geojson(records) -> dict:
    feats = []
    for ev in records:
        place = ev.get("place") or {}
        if place.get("lat") is None or place.get("lon") is None:
            continue
        props = {k: v for k, v in ev.items() if k not in ("sources",)}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [place["lon"], place["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def export_table(store: Store, what: str, fmt: str, path: str) -> int:
    """Write one table to ``path`` in ``fmt``; returns the number of records written."""
    sources = {
        "articles": (article_records, ARTICLE_FIELDS),
        "stories": (story_records, STORY_FIELDS),
        "passages": (passage_records, PASSAGE_FIELDS),
        "quotes": (quote_records, QUOTE_FIELDS),
        "events": (event_records, EVENT_FIELDS),
    }
    if what not in sources:
        raise StorylensError(f"cannot export {what!r}; choose one of {', '.join(sources)}")
    gen, fields = sources[what]
    if fmt == "geojson" and what != "events":
        raise StorylensError("GeoJSON export is for events only; use --format jsonl, csv or parquet")
    if path == "-" and fmt not in ("jsonl", "geojson"):
        raise StorylensError(f"{fmt} cannot be written to standard output; give a file with -o")
    records = gen(store)
    try:
        if fmt == "jsonl":
            f = sys.stdout if path == "-" else open(path, "w", encoding="utf-8")
            n = 0
            try:
                for r in records:
                    f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
                    n += 1
            finally:
                if f is not sys.stdout:
                    f.close()
            return n
        if fmt == "geojson":
            recs = list(records)
            doc = _geojson(recs)
            text = json.dumps(doc, ensure_ascii=False, default=str)
            if path == "-":
                sys.stdout.write(text + "\n")
            else:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            return len(doc["features"])
        if fmt == "csv":
            n = 0
            with open(path, "w", encoding="utf-8", newline="") as f:
                w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
                w.writeheader()
                for r in records:
                    w.writerow({k: _flat(r.get(k)) for k in fields})
                    n += 1
            return n
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            rows = [{k: _flat(r.get(k)) if isinstance(r.get(k), (dict, list)) else r.get(k) for k in fields}
                    for r in records]
            table = pa.Table.from_pylist(rows) if rows else pa.table({k: pa.array([], pa.string()) for k in fields})
            pq.write_table(table, path)
            return len(rows)
    except OSError as e:
        raise StorylensError(f"cannot write {path} ({e.strerror}); check the folder exists and is writable")
    raise StorylensError(f"unknown format {fmt!r}; choose jsonl, csv, parquet or geojson")


def _flat(v):
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v
