"""Read models: what a reader sees of a story, assembled from the store.

The CLI, the HTML report and the web app all render these dicts; nothing here
writes except the per-story caches (event records), which are recomputed when a
story has changed since they were built.

>>> from storylens.store import Store
>>> story_views(Store(":memory:"))
[]
"""
from __future__ import annotations

from typing import Iterator

from . import align as _align
from .store import Store
from .unionfind import DisjointSets


def _group_passages(passages: list[dict]) -> None:
    """Give passages that cover the same text of some article one ``group`` (one colour)."""
    ds = DisjointSets(len(passages))
    by_article: dict[str, list[tuple[int, int, int]]] = {}
    for i, p in enumerate(passages):
        by_article.setdefault(p["article_a"], []).append((p["start_a"], p["end_a"], i))
        by_article.setdefault(p["article_b"], []).append((p["start_b"], p["end_b"], i))
    for spans in by_article.values():
        spans.sort()
        end, owner = -1, None
        for s, e, i in spans:
            if owner is not None and s < end and min(e, end) - s >= 0.5 * min(e - s, end - s):
                ds.union(i, owner)
            if e > end:
                end, owner = e, i
    roots: dict[int, int] = {}
    for i, p in enumerate(passages):
        p["group"] = roots.setdefault(ds.find(i), len(roots))


def unique_passages(texts: dict[str, str], passages: list[dict]) -> list[dict]:
    """For each article, the runs of its text that no shared passage covers."""
    spans: dict[str, list[tuple[int, int]]] = {aid: [] for aid in texts}
    for p in passages:
        spans.setdefault(p["article_a"], []).append((p["start_a"], p["end_a"]))
        spans.setdefault(p["article_b"], []).append((p["start_b"], p["end_b"]))
    out = []
    for aid, text in texts.items():
        for s, e in _align.unique_spans(text, spans.get(aid, [])):
            out.append({"article": aid, "start": s, "end": e})
    return out


def story_passages(store: Store, story_id: str, texts: dict[str, str] | None = None) -> tuple[list[dict], list[dict]]:
    """Shared passages (with colour groups) and unique passages of one story."""
    shared = [
        {
            "kind": "shared", "story_id": p.story_id, "article_a": p.article_a, "start_a": p.start_a,
            "end_a": p.end_a, "article_b": p.article_b, "start_b": p.start_b, "end_b": p.end_b,
            "similarity": p.similarity,
        }
        for p in store.passages(story_id)
    ]
    _group_passages(shared)
    if texts is None:
        texts = {a.id: a.text for a in store.articles(story_id=story_id)}
    return shared, unique_passages(texts, shared)


def stored_quotes(store: Store, article_id: str) -> list:
    """The quotes stored for one article, as :class:`~storylens.model.Quote` objects."""
    from .model import Quote

    return [Quote.from_dict(d) for d in store.quotes_of(article_id)]


def story_quotes(store: Store, story_id: str, articles: list[dict] | None = None) -> list[dict]:
    """Quotes of a story merged across outlets (one record per distinct quote)."""
    from .extract.quotes import merge_story_quotes

    if articles is None:
        articles = [a.__dict__ for a in store.articles(story_id=story_id)]
    items = []
    for a in articles:
        qs = stored_quotes(store, a["id"])
        items.append((a["id"], a.get("outlet") or a["id"], a["text"], qs))
    return merge_story_quotes(items)


def story_event(
    store: Store, story_id: str, articles: list[dict] | None = None, quotes=None, cache: bool = True
) -> dict | None:
    """The event record of a story, from the cache when the story has not changed since
    (``cache=False``: never write the cache, for read-only callers)."""
    story = store.story(story_id)
    cached = store.event(story_id)
    if cached and cached[0] == story["updated_seq"]:
        return cached[1]
    try:
        from .extract.events import build_event
    except ImportError:  # events stage not installed
        return None

    if articles is None:
        articles = [a.__dict__ for a in store.articles(story_id=story_id)]
    items = []
    for a in articles:
        qs = stored_quotes(store, a["id"])
        items.append(
            {
                "article_id": a["id"], "outlet": a.get("outlet"), "text": a["text"],
                "published": a.get("published"), "dateline": a.get("dateline"), "quotes": qs,
            }
        )
    ev = build_event(story_id, items)
    data = ev.to_dict() if hasattr(ev, "to_dict") else ev
    if data is not None and cache:
        with store.transaction():
            store.set_event(story_id, story["updated_seq"], data)
    return data


def story_view(store: Store, story_id: str, with_quotes: bool = True, with_event: bool = True) -> dict:
    """Everything the report and the web desk show for one story."""
    with store.transaction(immediate=False):  # one consistent snapshot while writers commit
        story = store.story(story_id)
        sid = story["id"]
        arts = list(store.articles(story_id=sid))
        arts.sort(key=lambda a: (a.published or "9999", a.seq or 0))
        texts = {a.id: a.text for a in arts}
        shared, unique = story_passages(store, sid, texts)
        reuse = store.reuse(sid)
        timeline = store.story_timeline(sid)
    art_dicts = [
        {
            "id": a.id, "outlet": a.outlet, "title": a.title, "published": a.published, "url": a.url,
            "dateline": a.dateline, "text": a.text, "source": a.source, "duplicate_of": a.duplicate_of,
            "duplicate_kind": a.duplicate_kind, "duplicate_similarity": a.duplicate_similarity,
            "story_similarity": a.story_similarity,
        }
        for a in arts
    ]
    view = {
        "story": {
            "id": sid, "label": story["label"], "first_date": story["first_date"], "last_date": story["last_date"],
            "outlets": story["outlets"], "n_articles": story["n_articles"],
        },
        "articles": art_dicts,
        "passages": shared,
        "unique": unique,
        "reuse": reuse,
        "timeline": timeline,
        "quotes": [],
        "event": None,
    }
    if with_quotes:
        view["quotes"] = story_quotes(store, sid, art_dicts)
    if with_event:
        view["event"] = story_event(store, sid, art_dicts)
    return view


def story_views(store: Store, limit: int | None = None, **kw) -> list[dict]:
    return [story_view(store, s["id"], **kw) for s in store.stories(limit=limit)]


def iter_passages(store: Store) -> Iterator[dict]:
    """Every passage of every story, shared then unique (for export)."""
    for sid in store.story_ids():
        shared, unique = story_passages(store, sid)
        for p in shared:
            yield p
        for u in unique:
            yield {
                "story_id": sid, "kind": "unique", "article_a": u["article"], "start_a": u["start"],
                "end_a": u["end"], "article_b": None, "start_b": None, "end_b": None, "similarity": None,
            }
