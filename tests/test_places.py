"""Gazetteer resolution (storylens.extract.places)."""
from __future__ import annotations

import pytest

from storylens.extract.places import country_code, country_of, resolve_place


def test_eastern_baghdad():
    p = resolve_place("eastern Baghdad")
    assert (p.name, p.qualifier, p.country, p.precision) == ("Baghdad", "eastern", "Iraq", "city")
    assert abs(p.lat - 33.34) < 0.05 and abs(p.lon - 44.40) < 0.05


@pytest.mark.parametrize("name,qual", [("the outskirts of Mosul", "outskirts of"), ("northern Iraq", "northern"),
                                       ("Baghdad", None)])
def test_qualifiers_kept(name, qual):
    assert resolve_place(name).qualifier == qual


def test_proper_names_with_direction_words_are_not_split():
    assert resolve_place("West Virginia").precision == "region"
    assert resolve_place("South Sudan").precision == "country"
    wb = resolve_place("the West Bank")
    assert wb.qualifier is None and wb.name == "West Bank"


def test_country_precision_and_aliases():
    for n in ("U.S.", "the United States", "US", "America"):
        p = resolve_place(n)
        assert (p.name, p.precision) == ("United States", "country"), n


def test_unknown_stays_unresolved():
    p = resolve_place("Xyzzyville")
    assert p.precision is None and p.lat is None and p.lon is None and p.name == "Xyzzyville"
    assert resolve_place("").precision is None


def test_ambiguous_prefers_population_then_context():
    assert resolve_place("Washington").country == "United States"
    assert resolve_place("Washington", ["United Kingdom"]).country == "United Kingdom"
    assert resolve_place("Damascus").country == "Syria"
    assert resolve_place("Damascus", ["US"]).country == "United States"
    assert resolve_place("Rafah", ["Egyptian"]).country == "Egypt"


def test_comma_country_constrains():
    assert resolve_place("Damascus, United States").country == "United States"
    p = resolve_place("Baghdad, Iraq")
    assert p.name == "Baghdad" and p.precision == "city"


def test_alternate_and_accented_names():
    assert resolve_place("Kiev").name == "Kyiv"
    assert resolve_place("Khan Younis").precision in (None, "city")
    assert resolve_place("Khan Yunis").precision == "city"


def test_us_state_region():
    p = resolve_place("Texas")
    assert p.precision == "region" and p.country == "United States" and 25 < p.lat < 37


def test_country_of_demonyms():
    assert country_of("Iranian") == "Iran"
    assert country_of("Iraqi") == "Iraq"
    assert country_of("American") == "United States"
    assert country_code("Israeli") == "IL"
    assert country_of("Hamas") is None
    assert country_of(None) is None
