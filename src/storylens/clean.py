"""Page chrome out, metadata in.

Cleaning keeps or drops whole lines: every line of the clean text is a line of the
raw text (stripped), so nothing is rewritten and every removed line is kept with the
reason it went. Chrome is found two ways:

* by rules: share/print/email widgets, font-size buttons, image placeholders,
  separators, markdown headings, bare URL lines, bare outlet-name lines, cookie and
  subscription notices;
* by learning: short lines that repeat across many articles of the same outlet
  (``known_chrome``, counted by the pipeline, see :func:`chrome_keys`).

>>> c = clean_text("# *Big news today*\\n\\nLAKEPORT, March 3 (Northwire) -- The mayor said yes.\\n\\nprintemail\\n")
>>> c.title, c.dateline, c.text
('Big news today', 'Lakeport', 'LAKEPORT, March 3 (Northwire) -- The mayor said yes.')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlparse

from .model import RemovedLine

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_RE = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"

# Words that make up share / print / social widgets, possibly glued together ("urlprintemail").
_WIDGET_WORDS = [
    "copy short url", "short url", "copy link", "copy", "copied", "print", "email", "e-mail", "mail", "share",
    "shares", "tweet", "facebook", "twitter", "whatsapp", "linkedin", "telegram", "pinterest", "reddit",
    "messenger", "flipboard", "url", "link", "save", "bookmark", "comments", "comment", "follow us", "follow",
    "subscribe", "newsletter", "sign up", "login", "log in", "listen", "read more", "related", "advertisement",
    "sponsored", "font size", "text size", "close", "menu", "search", "home", "x", "on", "us", "this", "article",
    "story", "page", "via", "with", "your", "friends", "more", "to",
]
_WIDGET_RE = re.compile(
    r"^(?:" + "|".join(re.escape(w) for w in sorted(_WIDGET_WORDS, key=len, reverse=True)) + r"|[\s|·•,:/\-+()\[\]0-9])+$",
    re.I,
)
_FONT_BUTTON_RE = re.compile(r"^(?:\s*(?:text|font)\s*size\s*:?)?(?:\s*[|·]?\s*(?:\+\s*A|A\s*[-+–−]|[-–−]\s*A|A\s*A\s*A?|reset))+\s*$", re.I)
_SEPARATOR_RE = re.compile(r"^\s*(?:[-*_=~#•·]\s*){3,}$")
_IMAGE_RE = re.compile(
    r"^\s*[*_\[(]*\s*(?:image not found or type unknown|image(?: unavailable| not available)?|photo|"
    r"\(?photo credit[^)]*\)?|click to enlarge|enlarge this image|view gallery|play video|watch:? video)\s*[*_\])]*\s*$",
    re.I,
)
_URL_LINE_RE = re.compile(r"^\s*<?\s*(https?://[^\s<>]+)\s*>?\s*$", re.I)
_HEADING_RE = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
_BOLD_RE = re.compile(r"\*\*([^*]{2,80})\*\*")
_NOTICE_RE = re.compile(
    r"^\s*(?:we use cookies|this (?:web)?site uses cookies|accept (?:all )?cookies|by continuing to (?:use|browse)|"
    r"all rights reserved|©|\(c\) ?\d{4}|copyright ©?\s*\d{4}|subscribe to |sign up (?:for|to) |"
    r"related (?:articles|stories|news|posts|topics|coverage)\s*:?|read (?:also|more)\b|also read\b|"
    r"you may also like|recommended for you|more from |most (?:read|popular)\s*$|skip to (?:main )?content|"
    r"suggested topics|our standards\s*:|cookie (?:settings|policy|preferences)|manage cookies|"
    r"listen to this article|[▶►]\s*(?:listen|play|watch)|advertisement\s*$|loading\.\.\.\s*$|tags?\s*:|"
    r"topics?\s*:|filed under\s*:)",
    re.I,
)
_LINK_LIST_RE = re.compile(
    r"^\s*(?:related (?:articles|stories|news|posts|topics|coverage)|read (?:also|more)|also read|more from|"
    r"suggested topics|you may also like|recommended for you|most (?:read|popular)|trending)\s*:?\s*$",
    re.I,
)
_FIELD_RE = re.compile(
    r"^\s*(title|headline|published|date|updated|url|link|source|outlet|publication|author|byline)\s*:\s*(.+?)\s*$",
    re.I,
)
_BYLINE_RE = re.compile(r"^\s*(?:[Bb]y|[Ww]ritten by|[Ww]ords by|[Rr]eporting by)\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}"
                        r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'’ -]+)*\s*$")
_BREADCRUMB_RE = re.compile(r"^\s*\w[\w ]{0,25}(?:\s*[›»>/|]\s*\w[\w ]{0,25}){1,6}\s*$")
_MENU_RE = re.compile(r"^\s*(?:[A-Z][\w&]*(?:\s[A-Z&][\w&]*)?)(?:\s{2,}[A-Z][\w&]*(?:\s[A-Z&][\w&]*)?){2,}\s*$")
_DATE_LINE_RE = re.compile(
    r"^\s*(?:(?:first )?published|posted|updated|last updated|date)\s*(?:on|:)?\s*:?\s*(.{6,60})$", re.I
)
_DATELINE_RE = re.compile(
    r"^\s*(?P<place>[A-Z][A-Za-z.'’\- ]{1,40}?(?:,\s*[A-Z][A-Za-z.'’\- ]{1,30}?)?)"
    r"(?:,\s*(?P<month>" + _MONTH_RE + r")\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?)?"
    r"\s*(?:\((?P<agency>[^)]{1,40})\))?\s*(?:--|—|–|-|:)\s*\S",
)
_FULL_DATE_RE = re.compile(
    r"\b(?P<month>" + _MONTH_RE + r")\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{2})\b"
    r"|\b(?P<day2>\d{1,2})\s+(?P<month2>" + _MONTH_RE + r")\s+(?P<year2>(?:19|20)\d{2})\b"
)
_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})(?:[/-](\d{1,2})[/-](\d{1,2})|(\d{2})(\d{2}))(?:/|$|-|_)")
_COPYRIGHT_RE = re.compile(r"^\s*(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:\d{4}\s*)?(?:[-–]\s*\d{4}\s*)?(.+?)[.,]?\s*(?:all rights reserved\.?)?\s*$", re.I)
_SENTENCE_END = (".", "!", "?", '"', "”", "’", "'", ")", ":")


@dataclass
class Cleaned:
    """The result of cleaning one raw text."""

    text: str
    removed: list[RemovedLine] = field(default_factory=list)
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    dateline: str | None = None


def norm_line(line: str) -> str:
    """The key a line is counted under when learning an outlet's chrome.

    >>> norm_line("  Copy   Short URL ")
    'copy short url'
    """
    return " ".join(line.lower().split())


def _strip_md(s: str) -> str:
    s = s.strip()
    s = re.sub(r"^[#>\s]+", "", s)
    s = s.strip("*_ \t")
    return s.strip()


def _is_widget(s: str) -> bool:
    s = s.strip()
    return bool(s) and bool(_WIDGET_RE.match(s)) and any(ch.isalpha() for ch in s)


def _is_name_line(s: str) -> bool:
    """A short bare name such as an outlet line ("Qatar tribune")."""
    s = _strip_md(s)
    words = s.split()
    if not 1 <= len(words) <= 5 or len(s) > 60:
        return False
    if any(ch in s for ch in ".,;:!?\"“”()[]{}<>|/\\") or any(ch.isdigit() for ch in s):
        return False
    if sum(ch.isalpha() for ch in s) < 3 or any(w[-1] in "+-–" for w in words):
        return False
    return all(w[0].isalpha() or w == "&" for w in words) and words[0][0].isupper()


def _is_body(s: str) -> bool:
    words = s.split()
    return len(words) >= 25 or (len(words) >= 4 and s.rstrip().endswith(_SENTENCE_END))


def outlet_name(s: str) -> str:
    """Tidy an outlet name found in page text ("Qatar tribune" -> "Qatar Tribune").

    >>> outlet_name("qatar tribune"), outlet_name("BBC News"), outlet_name("the Daily Star")
    ('Qatar Tribune', 'BBC News', 'The Daily Star')
    """
    words = _strip_md(s).split()
    out = []
    shout = len(words) > 1 and all(w.isupper() for w in words if any(c.isalpha() for c in w))
    for w in words:
        if w.isupper() and len(w) > 1 and not (shout or len(w) >= 5):
            out.append(w)  # acronyms stay
        elif w.isupper():
            out.append(w[:1] + w[1:].lower())
        elif any(c.isupper() for c in w[1:]):
            out.append(w[0].upper() + w[1:])
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


def parse_loose_date(s: str) -> str | None:
    """A date in free text to ISO (YYYY-MM-DD), or None when there is no full date.

    >>> parse_loose_date("2024-02-08T10:00:00Z"), parse_loose_date("June 13, 2013 4:59 PM EDT")
    ('2024-02-08', '2013-06-13')
    >>> parse_loose_date("yesterday") is None
    True
    """
    s = s.strip()
    m = re.match(r"^((?:19|20)\d{2})-(\d{2})-(\d{2})", s)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    m = _FULL_DATE_RE.search(s)
    if m:
        mon = m["month"] or m["month2"]
        day = m["day"] or m["day2"]
        year = m["year"] or m["year2"]
        try:
            return date(int(year), _month(mon), int(day)).isoformat()
        except (ValueError, KeyError):
            return None
    try:
        from dateutil import parser as dparser

        if not re.search(r"\d{4}", s):
            return None
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown time-zone names are irrelevant for a date
            return dparser.parse(s, fuzzy=True, default=None).date().isoformat()  # type: ignore[arg-type]
    except (ValueError, OverflowError, TypeError):
        return None


def _month(name: str) -> int:
    key = name.lower().rstrip(".")
    if key in MONTHS:
        return MONTHS[key]
    return MONTHS[key[:3]]


def _url_date(url: str) -> date | None:
    m = _URL_DATE_RE.search(url)
    if not m:
        return None
    month, day = (m[2], m[3]) if m[2] else (m[4], m[5])
    try:
        return date(int(m[1]), int(month), int(day))
    except ValueError:
        return None


def _infer_year(month: int, day: int, text: str, url: str | None) -> int | None:
    """Year for a dateline that gives only month and day: from full dates in the text or the URL."""
    years: list[date] = []
    for m in _FULL_DATE_RE.finditer(text):
        iso = parse_loose_date(m.group(0))
        if iso:
            years.append(date.fromisoformat(iso))
    if url and _url_date(url):
        years.append(_url_date(url))
    if not years:
        return None
    latest = max(years)
    for y in (latest.year, latest.year + 1):
        try:
            d = date(y, month, day)
        except ValueError:
            continue
        if d >= latest - _days(31):
            return y
    return latest.year


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)


def chrome_keys(raw_text: str) -> set[str]:
    """Short lines of a raw text that could be an outlet's repeated chrome (for learning).

    >>> sorted(chrome_keys("Share this\\n\\nA body line that is clearly a sentence of an article: " + "words " * 20))
    ['share this']
    """
    keys = set()
    for line in raw_text.splitlines():
        s = line.strip()
        if s and len(s) <= 100 and len(s.split()) <= 15:
            keys.add(norm_line(s))
    return keys


def clean_text(
    raw: str,
    meta: dict | None = None,
    known_chrome: set[str] | frozenset[str] = frozenset(),
) -> Cleaned:
    """Clean one raw text; ``meta`` holds fields the input gave (they win over guesses)."""
    meta = meta or {}
    lines = raw.splitlines()
    removed: list[RemovedLine] = []
    keep: list[int] = []
    title = meta.get("title")
    outlet = meta.get("outlet")
    url = meta.get("url")
    published_line: str | None = None
    reasons: dict[int, str] = {}

    nonempty = [i for i, ln in enumerate(lines) if ln.strip()]
    body_idx = [
        i for i in nonempty
        if _is_body(lines[i]) and not _NOTICE_RE.match(lines[i].strip()) and not _FIELD_RE.match(lines[i])
    ]
    first_body = body_idx[0] if body_idx else (nonempty[0] if nonempty else 0)
    last_body = body_idx[-1] if body_idx else (nonempty[-1] if nonempty else 0)

    link_list = False
    for i in nonempty:
        s = lines[i].strip()
        reason = None
        head = i < first_body
        tail = i > last_body
        edge = head or tail
        if tail and link_list:
            m = _URL_LINE_RE.match(s)
            if m and url is None:
                url = m.group(1)
            elif outlet is None and _is_name_line(s) and i == nonempty[-1]:
                outlet = outlet_name(s)
            reasons[i] = "related links"
            continue
        heading = _HEADING_RE.match(s)
        if heading:
            text = _strip_md(heading.group(1))
            if title is None and i < first_body + 1 and text:
                title = text
                reason = "title"
            elif not text or _is_widget(text):
                reason = "markdown decoration"
        if reason is None and edge:
            f = _FIELD_RE.match(s)
            if f:
                key, value = f.group(1).lower(), f.group(2)
                if key in ("title", "headline"):
                    title = title or _strip_md(value)
                    reason = "title"
                elif key in ("published", "date", "updated"):
                    if parse_loose_date(value):
                        published_line = published_line or value
                        reason = "date line"
                elif key in ("url", "link"):
                    if _URL_LINE_RE.match(value):
                        url = url or _URL_LINE_RE.match(value).group(1)
                        reason = "url"
                elif key in ("source", "outlet", "publication"):
                    if _is_name_line(value):
                        outlet = outlet or outlet_name(value)
                        reason = "outlet name"
                else:
                    reason = "byline"
        if reason is None and _SEPARATOR_RE.match(s):
            reason = "separator"
        if reason is None and _IMAGE_RE.match(s):
            reason = "image placeholder"
        if reason is None and _FONT_BUTTON_RE.match(s):
            reason = "font-size buttons"
        if reason is None:
            m = _URL_LINE_RE.match(s)
            if m:
                reason = "url"
                if url is None:
                    url = m.group(1).rstrip(">").rstrip(").,")
        if reason is None:
            bold = _BOLD_RE.search(s)
            rest = _BOLD_RE.sub(" ", s) if bold else s
            if bold and (not rest.strip() or _is_widget(rest)) and edge:
                if outlet is None and _is_name_line(bold.group(1)):
                    outlet = outlet_name(bold.group(1))
                reason = "outlet line and share widget" if rest.strip() else "outlet line"
            elif _is_widget(s) and (len(s) <= 60):
                reason = "share widget"
        if reason is None and _NOTICE_RE.match(s) and len(s) <= 200:
            reason = "site notice"
            cm = _COPYRIGHT_RE.match(s)
            if cm and outlet is None and _is_name_line(cm.group(1)):
                outlet = outlet_name(cm.group(1))
            if tail and _LINK_LIST_RE.match(s):
                link_list = True
        if reason is None and edge:
            if _BYLINE_RE.match(s):
                reason = "byline"
            elif head and _BREADCRUMB_RE.match(s) and any(c in s for c in "›»>/") and len(s.split()) <= 12:
                reason = "breadcrumb"
            elif head and _MENU_RE.match(s):
                reason = "menu"
        if reason is None and edge and " | " in s:
            parts = [x.strip() for x in s.split("|") if x.strip()]
            dates = [x for x in parts if parse_loose_date(x)]
            names = [x for x in parts if _is_name_line(x)]
            if len(parts) >= 2 and len(dates) + len(names) == len(parts):
                if dates:
                    published_line = published_line or dates[0]
                if names and outlet is None:
                    outlet = outlet_name(names[0])
                reason = "masthead"
        if reason is None and edge:
            m = _DATE_LINE_RE.match(s)
            if m and parse_loose_date(m.group(1)):
                published_line = published_line or m.group(1)
                reason = "date line"
            elif len(s.split()) <= 8 and parse_loose_date(s) and not _is_body(s):
                published_line = published_line or s
                reason = "date line"
        if reason is None and edge and norm_line(s) in known_chrome:
            reason = "repeated outlet line"
        if reason is None and edge and _is_name_line(s) and not (head and title is None and len(s.split()) >= 4):
            if outlet is None:
                outlet = outlet_name(s)
            reason = "outlet name"
        if reason is None and head and title is None and s.startswith(("*", "_")) and s.endswith(("*", "_")):
            t = _strip_md(s)
            if 3 <= len(t.split()) <= 30:
                title = t
                reason = "title"
        if reason is None and norm_line(s) in known_chrome and not _is_body(s):
            reason = "repeated outlet line"
        if reason is None and title is not None and norm_line(_strip_md(s)) == norm_line(title) and i <= first_body:
            reason = "title"
        if reason:
            reasons[i] = reason
        else:
            keep.append(i)
    # A headline-like first line before the body (no title found yet) becomes the title.
    if title is None and keep:
        first = keep[0]
        s = lines[first].strip()
        words = s.split()
        if (
            first < first_body
            and 4 <= len(words) <= 25
            and not s.endswith((".", ",", ";"))
            and len(keep) > 1
        ):
            title = _strip_md(s)
            reasons[first] = "title"
            keep = keep[1:]

    for i, r in sorted(reasons.items()):
        removed.append(RemovedLine(line=i, text=lines[i], reason=r))

    # Rebuild the clean text keeping the raw paragraph structure.
    parts: list[str] = []
    prev = None
    for i in keep:
        if prev is not None:
            parts.append("\n" if i == prev + 1 else "\n\n")
        parts.append(lines[i].strip())
        prev = i
    text = "".join(parts)

    dateline = None
    published = None
    if meta.get("published"):
        published = parse_loose_date(str(meta["published"]))
    m = None
    for para in [p for p in text.split("\n") if p.strip()][:3]:
        m = _DATELINE_RE.match(para[:200])
        if m and (m.group("month") or m.group("agency") or m.group("place").replace(" ", "").isupper()):
            break
        m = None
    if m:
        place = m.group("place").strip()
        if len(place.split()) <= 4 and not place.lower().startswith(("the ", "a ", "an ")):
            place = place.split(",")[0].strip()
            dateline = place.title() if place.isupper() else place
            if published is None and m.group("month") and m.group("day"):
                try:
                    mon, day = _month(m.group("month")), int(m.group("day"))
                    year = int(m.group("year")) if m.group("year") else _infer_year(mon, day, raw, url)
                    if year:
                        published = date(year, mon, day).isoformat()
                except (ValueError, KeyError):
                    pass
        else:
            dateline = None
    if published is None and published_line:
        published = parse_loose_date(published_line)
    if published is None and url and _url_date(url):
        published = _url_date(url).isoformat()
    if published is None and meta.get("crawled"):
        published = parse_loose_date(meta["crawled"])
    if outlet is None and url:
        host = urlparse(url).hostname or ""
        outlet = host[4:] if host.startswith("www.") else (host or None)
    if title is not None:
        title = " ".join(title.split())
    return Cleaned(
        text=text, removed=removed, title=title, outlet=outlet, url=url, published=published, dateline=dateline
    )


def reclean(raw: str, meta: dict | None, first: Cleaned, known_chrome: set[str] | frozenset[str]) -> Cleaned:
    """Clean ``raw`` again with the lines learned as its outlet's chrome; the metadata the first
    pass (``first``, without learned lines) found wins, because a learned line may be the very
    line it came from (the outlet's masthead names the outlet).  One machine and Spark both
    call this, so they keep the same fields.
    """
    again = clean_text(raw, meta, known_chrome)
    for name in ("outlet", "title", "url", "published", "dateline"):
        setattr(again, name, getattr(first, name) or getattr(again, name))
    return again
