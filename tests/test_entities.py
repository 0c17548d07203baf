"""Entity extraction and story-level canonical names (storylens.extract.entities)."""
from __future__ import annotations

import pytest

from storylens.extract.entities import canonicalize, clean_name, extract_entities, skeleton
from storylens.model import Entity


def E(text, label="ORG"):
    return Entity(text=text, label=label, span=(0, len(text)))


def test_transliteration_variants_merge():
    m = canonicalize([[E("Kataib Hezbollah"), E("Kataib Hezbollah")], [E("Kataeb Hezbollah")],
                      [E("Kata'ib Hezbollah")]])
    assert set(m.values()) == {"Kataib Hezbollah"}


def test_person_variants_and_short_form():
    m = canonicalize([[E("Yahya Rasool", "PERSON"), E("Yahya Rasool", "PERSON")],
                      [E("Yehia Rasool", "PERSON"), E("Rasool", "PERSON")]])
    assert m == {"Yahya Rasool": "Yahya Rasool", "Yehia Rasool": "Yahya Rasool", "Rasool": "Yahya Rasool"}


def test_distinct_names_stay_apart():
    m = canonicalize([E("Iran", "GPE"), E("Iraq", "GPE"), E("Mohammed", "PERSON"), E("Mahmoud", "PERSON"),
                      E("Joe Biden", "PERSON"), E("Hunter Biden", "PERSON"), E("Biden", "PERSON")])
    assert m["Iran"] != m["Iraq"]
    assert m["Mohammed"] != m["Mahmoud"]
    assert m["Joe Biden"] != m["Hunter Biden"]
    assert m["Biden"] == "Biden"  # ambiguous short form is left alone


def test_country_aliases():
    m = canonicalize([[E("U.S.", "GPE"), E("US", "GPE"), E("United States", "GPE")]])
    assert set(m.values()) == {"United States"}


def test_canonical_set_on_entities_and_empty_input():
    ents = [E("Kataeb Hezbollah"), E("Kataib Hezbollah"), E("Kataib Hezbollah")]
    canonicalize([ents])
    assert all(e.canonical == "Kataib Hezbollah" for e in ents)
    assert canonicalize([]) == {}


def test_clean_name_and_skeleton():
    assert clean_name("Al Jazeera's") == "Al Jazeera"
    assert clean_name("the Pentagon") == "Pentagon"
    assert clean_name("U.S.") == "U.S."
    assert clean_name("Iraq’s Popular Mobilisation Forces") == "Popular Mobilisation Forces"
    assert skeleton("Hezbollah") == skeleton("Hizbollah")


def test_extract_entities_on_seeds(seed_texts):
    per = [extract_entities(t) for t in seed_texts.values()]
    for text, ents in zip(seed_texts.values(), per):
        assert ents
        for e in ents:
            assert text[e.span[0]:e.span[1]] == e.text
    m = canonicalize(per)
    assert m.get("Rasool") == "Yahya Rasool"
    assert m.get("US") == "United States"
    assert "Kataib Hezbollah" in m


def test_extract_entities_empty():
    assert extract_entities("") == []
