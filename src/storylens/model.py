"""The nouns of storylens, in one place.

Every span is ``[start, end)`` in *character* offsets into an article's clean
``text`` (Python ``str`` indices), unless a field says otherwise.

>>> a = Article(id="a1", source="x.txt", raw_text="Hi", text="Hi")
>>> a.id, a.story_id
('a1', None)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RawDoc:
    """What a reader yields: one article as found in the input, before cleaning.

    ``source`` names where it came from (``file``, ``file:line`` or ``file#record``).
    ``meta`` holds fields the input gave explicitly (id, title, url, outlet, published).
    ``html`` is set when the input was a web page; ``text`` is then the extracted text.
    """

    source: str
    text: str
    format: str  # txt | html | jsonl | warc | api
    meta: dict[str, Any] = field(default_factory=dict)
    html: str | None = None


@dataclass
class RemovedLine:
    """A line of the raw text that cleaning took out, and why (nothing is lost)."""

    line: int  # 0-based line number in the raw text
    text: str
    reason: str  # e.g. "share widget", "repeated outlet line", "title", "url"


@dataclass
class Article:
    id: str
    source: str
    raw_text: str
    text: str  # clean text; all spans index into this
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None  # ISO date YYYY-MM-DD
    dateline: str | None = None  # dateline place, e.g. "Baghdad"
    language: str | None = "en"
    format: str = "txt"
    removed: list[RemovedLine] = field(default_factory=list)
    content_hash: str | None = None  # hash of the normalised clean text (exact copies)
    duplicate_of: str | None = None  # earliest copy this article duplicates
    duplicate_kind: str | None = None  # exact | near | contained | contains
    duplicate_similarity: float | None = None
    story_id: str | None = None
    story_similarity: float | None = None
    seq: int | None = None  # order of arrival in the store

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DupMatch:
    """Result of duplicate detection for one article against what came before."""

    of: str  # id of the earliest copy
    kind: str  # exact | near | contained (this article lies inside ``of``) | contains
    similarity: float  # Jaccard for exact/near, containment for contained/contains


@dataclass
class Story:
    id: str
    label: str
    first_date: str | None
    last_date: str | None
    outlets: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)


@dataclass
class Passage:
    """A shared passage (in both articles) or a unique one (``article_b`` is None)."""

    story_id: str
    kind: str  # shared | unique
    article_a: str
    start_a: int
    end_a: int
    article_b: str | None = None
    start_b: int | None = None
    end_b: int | None = None
    similarity: float | None = None


@dataclass
class Reuse:
    """How much of two articles' text is shared, and which one is the likely original."""

    story_id: str
    article_a: str
    article_b: str
    shared_a: float  # share of a's clean characters inside passages shared with b
    shared_b: float
    original: str | None  # article id of the likely original, or None when undecidable
    reason: str | None = None  # "earlier date", "contained in", ...


@dataclass
class Quote:
    speaker: str | None
    speaker_span: tuple[int, int] | None
    canonical_speaker: str | None
    cue: str | None
    cue_span: tuple[int, int] | None
    quote: str
    quote_span: tuple[int, int]
    kind: str  # direct | indirect | mixed
    role: str | None = None  # title/role of the speaker when given ("Army spokesperson")
    article_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("speaker_span", "cue_span", "quote_span"):
            if d[k] is not None:
                d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Quote":
        """The inverse of :meth:`to_dict` (spans back to tuples; unknown keys ignored).

        >>> q = Quote("He", (0, 2), None, "said", (3, 7), "yes", (9, 12), "direct")
        >>> Quote.from_dict(q.to_dict()) == q
        True
        """
        d = {k: d.get(k) for k in cls.__dataclass_fields__}
        for k in ("speaker_span", "cue_span", "quote_span"):
            if d[k] is not None:
                d[k] = tuple(d[k])
        return cls(**d)


@dataclass
class Entity:
    text: str
    label: str  # PERSON | ORG | GPE | LOC | NORP ...
    span: tuple[int, int]
    canonical: str | None = None


@dataclass
class Place:
    name: str
    qualifier: str | None = None  # "eastern", "northern", "outskirts of" ...
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    precision: str | None = None  # city | region | country | None (unresolved)


@dataclass
class Event:
    story_id: str | None
    type: str | None
    actor: str | None
    target: str | None
    place: Place | None
    date: str | None
    fatalities: int | None
    injured: int | None
    reactions: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)  # field -> [{outlet, article_id, span, text}]
    claims: dict[str, Any] = field(default_factory=dict)  # field -> [{outlet, value}] where outlets differ

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
