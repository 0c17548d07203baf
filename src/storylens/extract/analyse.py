"""One call for everything the extract stage finds in a text (used by `storylens extract`).

>>> res = analyse_text("Hamas said the strikes were a violation.")   # doctest: +SKIP
>>> sorted(res)                                                        # doctest: +SKIP
['entities', 'events', 'quotes']
"""
from __future__ import annotations

from dataclasses import asdict

from ..errors import ValidationError


def analyse_text(text: str, published: str | None = None, dateline: str | None = None) -> dict:
    """Quotes, entities and events of one text, as JSON-ready dicts (offsets into ``text``)."""
    from .entities import extract_entities
    from .events import extract_events
    from .quotes import extract_quotes

    if published is not None:
        from .dates import parse_date

        published = parse_date(published)  # ValidationError with a reason on a bad date
    quotes = [q.to_dict() for q in extract_quotes(text)]
    entities = []
    for e in extract_entities(text):
        d = asdict(e)
        d["span"] = list(d["span"])
        entities.append(d)
    events = extract_events(text, published, dateline)
    return {"quotes": quotes, "entities": entities, "events": events}


__all__ = ["analyse_text", "ValidationError"]
