"""Event records (storylens.extract.events) on the seeds and on written examples."""
from __future__ import annotations

import re

import pytest

from storylens.extract.events import EVENT_TYPES, build_event, extract_events, plover_category

CHROME = re.compile(r"^\s*(copy short url|\+ A\s*$|A -\s*$|Qatar tribune\s*$|-{3,}|\*Image not found|<https?://|"
                    r"\*\*Radio Habana)", re.I)


def strip_chrome(text: str) -> str:
    """Drop obvious page-chrome lines (the real cleaner lives in storylens.clean)."""
    return "\n".join(line for line in text.splitlines() if not CHROME.match(line)).strip()


@pytest.fixture(scope="module")
def seed_event(seed_texts):
    names = sorted(seed_texts)
    outlets = {names[0]: "Radio Habana Cuba", names[1]: "Qatar Tribune"}
    arts = [{"article_id": n[:3], "outlet": outlets[n], "text": strip_chrome(seed_texts[n]),
             "published": "2024-02-08", "dateline": None, "quotes": []} for n in names]
    return build_event("story-1", arts), arts


def _reaction(ev, actor, stance):
    return [r for r in ev.reactions if r["actor"] == actor and r["stance"] == stance]


def test_seed_event_what_where_when(seed_event):
    ev, _ = seed_event
    assert ev.type == "air_strike"
    assert ev.actor == "United States"
    assert "commander" in ev.target and "Kataib Hezbollah" in ev.target
    assert "Popular Mobilisation Forces" in ev.target
    assert ev.place.name == "Baghdad" and ev.place.country == "Iraq" and ev.place.qualifier == "eastern"
    assert ev.place.precision == "city"
    assert abs(ev.place.lat - 33.34) < 0.05 and abs(ev.place.lon - 44.40) < 0.05
    assert ev.date == "2024-02-07"
    assert ev.fatalities == 1  # the commander; the three soldiers died in another attack


def test_seed_event_reactions(seed_event):
    ev, _ = seed_event
    assert _reaction(ev, "Iraq", "condemned")
    iran = _reaction(ev, "Iran", "condemned")
    assert iran and iran[0]["outlets"] == ["Qatar Tribune"] and "Nasser Kanaani" in iran[0]["speakers"]
    assert _reaction(ev, "Hamas", "condemned")
    assert _reaction(ev, "Harakat al-Nujaba", "threatened")
    us = _reaction(ev, "United States", "justified")
    assert us and "Antony Blinken" in us[0]["speakers"] and "prevent escalation" in us[0]["quote"]
    assert not [r for r in ev.reactions if "Rattansi" in (r["actor"] or "")]  # the reporter is no party


def test_seed_event_sources_point_into_texts(seed_event):
    ev, arts = seed_event
    texts = {a["article_id"]: a["text"] for a in arts}
    for fld in ("type", "actor", "place", "date", "target", "fatalities"):
        assert ev.sources.get(fld), fld
        for s in ev.sources[fld]:
            a, b = s["span"]
            assert texts[s["article_id"]][a:b].strip() == s["text"]
    assert {s["outlet"] for s in ev.sources["date"]} == {"Radio Habana Cuba", "Qatar Tribune"}
    for r in ev.reactions:
        if r["quote"]:
            assert any(r["quote"] in texts[s["article_id"]] for s in r["sources"])


def test_fatality_claims_differ_by_outlet():
    arts = [
        {"article_id": "a", "outlet": "One", "published": "2024-05-02", "dateline": None, "quotes": [],
         "text": "An air strike on a market in Aleppo killed one civilian on Tuesday, residents said."},
        {"article_id": "b", "outlet": "Two", "published": "2024-05-02", "dateline": None, "quotes": [],
         "text": "An air strike on a market in Aleppo killed three civilians on Tuesday, a monitor said."},
    ]
    ev = build_event("s", arts)
    assert ev.type == "air_strike"
    assert ev.place.name == "Aleppo" and ev.place.country == "Syria"
    assert ev.date == "2024-04-30"
    assert ev.fatalities == 1
    assert sorted(c["value"] for c in ev.claims["fatalities"]) == [1, 3]


def test_extract_events_single_text():
    evs = extract_events("Police arrested two protesters in Paris on Monday, officials said.", "2024-02-08")
    assert evs and evs[0]["type"] == "arrest"
    assert evs[0]["actor"] == "Police"
    assert evs[0]["place"]["name"] == "Paris"
    assert evs[0]["date"] == "2024-02-05"


def test_extract_events_wounded_and_protest():
    evs = extract_events("Gunmen attacked a checkpoint near Kirkuk on Friday, wounding four soldiers.", "2024-03-04")
    assert evs[0]["type"] == "attack" and evs[0]["injured"] == 4
    assert evs[0]["place"]["name"] == "Kirkuk"
    evs = extract_events("Thousands of students protested against the new law in Nairobi.", None)
    assert evs[0]["type"] == "protest" and evs[0]["date"] is None


def test_no_event_and_empty_text():
    assert extract_events("The weather was pleasant.", "2024-02-08") == []
    assert extract_events("", None) == []
    ev = build_event("s", [{"article_id": "a", "outlet": "X", "text": "Nothing happened.", "published": None,
                            "dateline": None, "quotes": []}])
    assert ev.type is None and ev.place is None and ev.reactions == []


def test_scheme_maps_to_plover():
    assert plover_category("air_strike") == "FIGHT"
    assert plover_category("bombing") == "ASSAULT"
    assert plover_category("protest") == "PROTEST"
    assert all("plover" in v and "acled" in v for v in EVENT_TYPES.values())
