"""Date normalisation and strict date parsing (storylens.extract.dates)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from storylens.errors import ValidationError
from storylens.extract.dates import find_dateline, normalize_dates, parse_date, to_date

LABELED = Path(__file__).parent / "data" / "dates_labeled.tsv"


def _rows():
    return [line.rstrip("\n").split("\t") for line in LABELED.open(encoding="utf-8")
            if line.strip() and not line.startswith("#")]


def test_labeled_set_is_large_enough():
    assert len(_rows()) >= 60


def test_labeled_set_accuracy():
    rows = _rows()
    ok = 0
    for ref, sent, expr, val, gran in rows:
        s = sent.index(expr)
        got = [t for t in normalize_dates(sent, ref) if t.span[0] < s + len(expr) and s < t.span[1]]
        ok += bool(got) and (got[0].value, got[0].granularity) == (val, gran)
    # holidays and seasons are known misses; everything else must hold
    assert ok / len(rows) >= 0.9, ok


@pytest.mark.parametrize("text,ref,value,gran", [
    ("On Wednesday night, he died.", "2024-02-08", "2024-02-07", "day"),
    ("last month", "2024-02-08", "2024-01", "month"),
    ("on Jan. 28", "2024-02-08", "2024-01-28", "day"),
    ("yesterday", date(2024, 2, 8), "2024-02-07", "day"),
    ("on Thursday", "2024-02-08", "2024-02-08", "day"),  # same weekday as the reference: that very day
    ("February 7, 2024", "2030-01-01", "2024-02-07", "day"),
    ("7 Feb", "2024-02-08", "2024-02-07", "day"),
    ("last week", "2024-02-08", "2024-W05", "week"),
    ("earlier this year", "2024-02-08", "2024", "year"),
    ("on Dec. 30", "2024-01-03", "2023-12-30", "day"),  # year rolls back across new year
    ("last month", "2024-01-03", "2023-12", "month"),
    ("Wednesday's strike", "2024-02-08", "2024-02-07", "day"),
])
def test_normalize_examples(text, ref, value, gran):
    got = normalize_dates(text, ref)
    assert got, text
    assert (got[0].value, got[0].granularity) == (value, gran)
    s, e = got[0].span
    assert text[s:e] == got[0].text


def test_spans_index_the_text():
    text = "Baghdad, February 8 (RHC)-- On Wednesday night a strike hit; talks were held last month."
    for t in normalize_dates(text, "2024-02-08"):
        assert text[t.span[0]:t.span[1]] == t.text


def test_modal_may_is_not_a_month():
    assert normalize_dates("He may go home.", "2024-02-08") == []


def test_impossible_date_is_rejected_with_reason():
    rejected = []
    got = normalize_dates("The report of February 30, 2024 was false.", "2024-03-01", rejected=rejected)
    assert got == []
    assert rejected and rejected[0].text == "February 30, 2024"
    assert "out of range" in rejected[0].reason


@pytest.mark.parametrize("s,iso", [
    ("2024-02-07", "2024-02-07"), ("February 7, 2024", "2024-02-07"), ("Feb. 7, 2024", "2024-02-07"),
    ("7 February 2024", "2024-02-07"), ("2024-02-29", "2024-02-29"), ("Wed, 07 Feb 2024 10:00:00 GMT", "2024-02-07"),
])
def test_parse_date_valid(s, iso):
    assert parse_date(s) == iso


@pytest.mark.parametrize("s,fragment", [
    ("February 30, 2024", "out of range"), ("2023-02-29", "out of range"), ("2024-13-01", "month 13"),
    ("", "empty"), ("not a date", "cannot be read"), ("February 2024", "lacks"),
])
def test_parse_date_invalid(s, fragment):
    with pytest.raises(ValidationError) as ei:
        parse_date(s)
    assert fragment in str(ei.value)


def test_bad_reference_date():
    with pytest.raises(ValidationError):
        normalize_dates("yesterday", "2024-02-31")
    with pytest.raises(ValidationError):
        to_date("")


def test_dateline():
    d = find_dateline("Baghdad, February 8 (RHC)-- Iraq has denounced a strike.", "2024-02-08")
    assert d["place"] == "Baghdad" and d["date"] == "2024-02-08" and d["agency"] == "RHC"
    assert find_dateline("No dateline here. Just text.") is None
    d = find_dateline("GAZA CITY, Jan 3 - Shelling went on.", "2024-01-05")
    assert d is None or d["date"] == "2024-01-03"
