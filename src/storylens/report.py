"""Static HTML report: one self-contained file, stories side by side.

The renderer works on *story views*, the plain dicts the store produces (see
``render_report``). Article text is untrusted: the Jinja2 environment escapes
everything (autoescape on), and links are only made for ``http(s)`` URLs.

>>> html = render_report([])
>>> "No stories" in html and "<style>" in html
True
>>> segments("abcdef", [(1, 3, 0, False)])
[(0, 1, None, False), (1, 3, 0, False), (3, 6, None, False)]
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

Segment = tuple[int, int, "int | None", bool]

_PARA_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)

# Eight hand-picked pastel hues for the first groups (readable with dark text),
# then golden-angle hues so any number of groups gets distinct colours.
_PALETTE = [
    "hsl(48, 96%, 78%)",   # yellow
    "hsl(198, 80%, 84%)",  # sky
    "hsl(140, 55%, 82%)",  # green
    "hsl(22, 95%, 84%)",   # peach
    "hsl(268, 70%, 88%)",  # lavender
    "hsl(340, 80%, 88%)",  # pink
    "hsl(172, 55%, 80%)",  # teal
    "hsl(80, 60%, 80%)",   # lime
]


def group_colour(group: int) -> str:
    """CSS colour for a shared-passage group; the same group always gets the same colour.

    >>> group_colour(0)
    'hsl(48, 96%, 78%)'
    >>> group_colour(3) == group_colour(3)
    True
    """
    g = int(group)
    if 0 <= g < len(_PALETTE):
        return _PALETTE[g]
    hue = (g * 137.508) % 360
    return f"hsl({hue:.0f}, 70%, 85%)"


def segments(text: str, spans: Iterable[Sequence[Any]]) -> list[Segment]:
    """Split ``text`` into consecutive, non-overlapping segments.

    ``spans`` are ``(start, end, group, is_unique)`` tuples (a 2-tuple means
    ``group=None, is_unique=False``); they may overlap and may run past the text
    (they are clipped). Where spans overlap, the *first* span in the list wins.
    Characters covered by no span come back as ``(start, end, None, False)``.
    Adjacent characters with the same ``(group, is_unique)`` are merged, so the
    result covers ``[0, len(text))`` exactly once, in order.

    >>> segments("Hello world", [(0, 5, 2, False), (3, 8, None, True)])
    [(0, 5, 2, False), (5, 8, None, True), (8, 11, None, False)]
    >>> segments("", [(0, 4, 1, False)])
    []
    """
    n = len(text)
    if n == 0:
        return []
    owner = [-1] * n
    labels: list[tuple[int | None, bool]] = []
    # nxt[i]: smallest unpainted index >= i (path-compressed "skip" pointers).
    nxt = list(range(n + 1))

    def find(i: int) -> int:
        root = i
        while nxt[root] != root:
            root = nxt[root]
        while nxt[i] != root:
            nxt[i], i = root, nxt[i]
        return root

    for span in spans:
        start, end = span[0], span[1]
        group = span[2] if len(span) > 2 else None
        unique = bool(span[3]) if len(span) > 3 else False
        if start is None or end is None:
            continue
        start, end = max(0, int(start)), min(n, int(end))
        if start >= end:
            continue
        idx = len(labels)
        labels.append((None if group is None else int(group), unique))
        i = find(start)
        while i < end:
            owner[i] = idx
            nxt[i] = i + 1
            i = find(i + 1)

    out: list[Segment] = []
    seg_start = 0
    cur = labels[owner[0]] if owner[0] >= 0 else (None, False)
    for i in range(1, n):
        lab = labels[owner[i]] if owner[i] >= 0 else (None, False)
        if lab != cur:
            out.append((seg_start, i, cur[0], cur[1]))
            seg_start, cur = i, lab
    out.append((seg_start, n, cur[0], cur[1]))
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """[start, end) of each paragraph (blank-line separated) of ``text``."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _PARA_BREAK.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def _as_list(value: Any) -> list:
    return list(value) if value else []


def _pct(x: Any) -> str:
    try:
        return f"{float(x) * 100:.0f}%"
    except (TypeError, ValueError):
        return "–"


def _safe_url(url: Any) -> str | None:
    if isinstance(url, str) and _SAFE_URL.match(url.strip()):
        return url.strip()
    return None


def _article_name(art: dict | None, fallback: str) -> str:
    if not art:
        return fallback
    return art.get("outlet") or art.get("title") or str(art.get("id") or fallback)


def _build_article(art: dict, spans: list[tuple], group_outlets: dict[int, list[str]]) -> dict:
    text = art.get("text") or ""
    outlet = art.get("outlet") or "unknown outlet"
    segs = segments(text, spans)
    paras = []
    unique_chars = 0
    shared_chars = 0
    prev_unique = False  # the tag is shown once per run of consecutive unique text
    for p_start, p_end in _paragraphs(text):
        pieces = []
        for s, e, group, unique in segs:
            if e <= p_start or s >= p_end:
                continue
            a, b = max(s, p_start), min(e, p_end)
            piece = {"text": text[a:b], "start": a, "end": b, "group": group, "unique": unique,
                     "tag": None, "colour": None, "title": None}
            if group is not None:
                piece["colour"] = group_colour(group)
                others = [o for o in group_outlets.get(group, []) if o != outlet]
                piece["title"] = f"shared passage {group}" + (
                    f" — also in {', '.join(others)}" if others else "")
            elif unique:
                piece["title"] = f"only in {outlet}"
                if not prev_unique:
                    piece["tag"] = f"only in {outlet}"
            prev_unique = unique
            pieces.append(piece)
        paras.append(pieces)
    for s, e, group, unique in segs:
        if group is not None:
            shared_chars += e - s
        elif unique:
            unique_chars += e - s
    n = max(len(text), 1)
    return {
        "id": art.get("id"),
        "outlet": outlet,
        "title": art.get("title"),
        "published": art.get("published"),
        "url": art.get("url"),
        "safe_url": _safe_url(art.get("url")),
        "dateline": art.get("dateline"),
        "source": art.get("source"),
        "duplicate_of": art.get("duplicate_of"),
        "duplicate_kind": art.get("duplicate_kind"),
        "duplicate_similarity": art.get("duplicate_similarity"),
        "paragraphs": paras,
        "n_words": len(text.split()),
        "shared_pct": _pct(shared_chars / n) if text else "–",
        "unique_pct": _pct(unique_chars / n) if text else "–",
    }


def _claim_text(value: Any) -> str:
    """One readable line for an event claim (``[{outlet, value}]`` or anything else)."""
    if isinstance(value, list):
        parts = []
        for v in value:
            if isinstance(v, dict) and "value" in v:
                who = v.get("outlet") or v.get("article_id") or "?"
                parts.append(f"{v.get('value')} ({who})")
            else:
                parts.append(str(v))
        return "; ".join(parts)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


def _build_event(event: dict | None) -> dict | None:
    if not event:
        return None
    place = event.get("place") or None
    place_text = None
    coords = None
    if isinstance(place, dict) and place.get("name"):
        bits = [place.get("qualifier"), place.get("name")]
        place_text = " ".join(b for b in bits if b)
        if place.get("country"):
            place_text += f", {place['country']}"
        if place.get("lat") is not None and place.get("lon") is not None:
            try:
                coords = f"{float(place['lat']):.4f}, {float(place['lon']):.4f}"
            except (TypeError, ValueError):
                coords = None
        if place.get("precision"):
            place_text += f" (precision: {place['precision']})"
        elif coords is None:
            place_text += " (unresolved)"
    rows = []
    for key, label in (("type", "Type"), ("actor", "Actor"), ("target", "Target")):
        if event.get(key):
            rows.append((label, str(event[key])))
    if place_text:
        rows.append(("Place", place_text))
    if coords:
        rows.append(("Coordinates", coords))
    if event.get("date"):
        rows.append(("Date", str(event["date"])))
    for key, label in (("fatalities", "Fatalities"), ("injured", "Injured")):
        if event.get(key) is not None:
            rows.append((label, str(event[key])))
    reactions = []
    for r in _as_list(event.get("reactions")):
        if isinstance(r, dict):
            reactions.append({"actor": r.get("actor") or "?", "stance": r.get("stance") or ""})
    claims = []
    raw_claims = event.get("claims") or {}
    if isinstance(raw_claims, dict):
        for field_name, value in raw_claims.items():
            text = _claim_text(value)
            if text:
                claims.append((str(field_name), text))
    if not (rows or reactions or claims):
        return None
    return {"rows": rows, "reactions": reactions, "claims": claims}


def _build_story(view: dict, index: int) -> dict:
    story = view.get("story") or {}
    articles = [a for a in _as_list(view.get("articles")) if isinstance(a, dict)]
    by_id = {a.get("id"): a for a in articles}
    spans: dict[Any, list[tuple]] = {a.get("id"): [] for a in articles}
    group_outlets: dict[int, list[str]] = {}

    def note(group: int, art_id: Any) -> None:
        outlet = _article_name(by_id.get(art_id), str(art_id))
        lst = group_outlets.setdefault(group, [])
        if outlet not in lst:
            lst.append(outlet)

    for i, p in enumerate(_as_list(view.get("passages"))):
        if not isinstance(p, dict):
            continue
        group = p.get("group")
        group = i if group is None else int(group)
        if p.get("article_a") in spans:
            spans[p["article_a"]].append((p.get("start_a"), p.get("end_a"), group, False))
            note(group, p["article_a"])
        if p.get("article_b") in spans and p.get("start_b") is not None:
            spans[p["article_b"]].append((p.get("start_b"), p.get("end_b"), group, False))
            note(group, p["article_b"])
    for u in _as_list(view.get("unique")):
        if isinstance(u, dict) and u.get("article") in spans:
            spans[u["article"]].append((u.get("start"), u.get("end"), None, True))

    cols = [_build_article(a, spans[a.get("id")], group_outlets) for a in articles]
    for c in cols:
        if c["duplicate_of"]:
            c["duplicate_of_name"] = _article_name(by_id.get(c["duplicate_of"]), str(c["duplicate_of"]))
        c["duplicate_similarity_pct"] = _pct(c["duplicate_similarity"]) if c["duplicate_similarity"] is not None else None

    def name(art_id: Any) -> str:
        art = by_id.get(art_id)
        if art is None:
            return str(art_id)
        title = art.get("title")
        outlet = _article_name(art, str(art_id))
        return f"{outlet}: {title}" if title and art.get("outlet") else outlet

    reuse = []
    for r in _as_list(view.get("reuse")):
        if not isinstance(r, dict):
            continue
        orig = r.get("original")
        reuse.append({
            "a": name(r.get("article_a")), "b": name(r.get("article_b")),
            "shared_a": _pct(r.get("shared_a")), "shared_b": _pct(r.get("shared_b")),
            "bar_a": _bar(r.get("shared_a")), "bar_b": _bar(r.get("shared_b")),
            "original": name(orig) if orig else "undecided",
            "undecided": not orig,
            "reason": r.get("reason") or "",
        })
    quotes = []
    for q in _as_list(view.get("quotes")):
        if not isinstance(q, dict) or not q.get("quote"):
            continue
        quotes.append({
            "speaker": q.get("canonical_speaker") or "unattributed",
            "quote": q.get("quote"),
            "kind": q.get("kind") or "",
            "outlets": [str(o) for o in _as_list(q.get("outlets"))],
            "single": bool(q.get("single_outlet")),
        })
    outlets = [str(o) for o in _as_list(story.get("outlets"))] or sorted(
        {c["outlet"] for c in cols})
    sid = story.get("id")
    anchor = "story-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(sid if sid is not None else index))
    used_groups = sorted(group_outlets)
    return {
        "anchor": anchor,
        "id": sid,
        "label": story.get("label") or (f"Story {sid}" if sid is not None else f"Story {index + 1}"),
        "first_date": story.get("first_date"),
        "last_date": story.get("last_date"),
        "outlets": outlets,
        "n_articles": story.get("n_articles") if story.get("n_articles") is not None else len(cols),
        "articles": cols,
        "many": len(cols) > 3,
        "legend": [{"group": g, "colour": group_colour(g), "outlets": group_outlets[g]} for g in used_groups],
        "reuse": reuse,
        "quotes": quotes,
        "event": _build_event(view.get("event")),
    }


def _bar(x: Any) -> int:
    try:
        return max(0, min(100, round(float(x) * 100)))
    except (TypeError, ValueError):
        return 0


def _environment() -> Environment:
    # autoescape=True for every template regardless of extension: article text is untrusted.
    return Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True)


def render_report(views: list[dict], title: str = "storylens report") -> str:
    """Render story views as one self-contained HTML page (CSS inlined, no JavaScript).

    Each view is the store's dict: ``story``, ``articles``, ``passages``,
    ``unique``, ``reuse``, ``quotes``, ``event`` (any may be missing or empty).

    >>> view = {"story": {"id": "s1", "label": "Fire"},
    ...         "articles": [{"id": "a", "outlet": "A", "text": "Smoke <rose>."}]}
    >>> html = render_report([view], title="Demo")
    >>> "Smoke &lt;rose&gt;." in html and "<title>Demo</title>" in html
    True
    """
    stories = [_build_story(v, i) for i, v in enumerate(views or []) if isinstance(v, dict)]
    css = (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8")
    template = _environment().get_template("report.html.j2")
    return template.render(title=title, stories=stories, css=css,
                           n_articles=sum(len(s["articles"]) for s in stories))


def write_report(views: list[dict], path: str | Path, title: str = "storylens report") -> Path:
    """Write :func:`render_report` output to ``path`` (UTF-8) and return the path.

    >>> write_report([], "/tmp/empty-report.html")  # doctest: +SKIP
    PosixPath('/tmp/empty-report.html')
    """
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(views, title=title), encoding="utf-8")
    return path
