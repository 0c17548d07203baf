"""Time expressions: find them in text and normalise them against a reference date.

The reference date is the article's publication date, or the date of its dateline
("Baghdad, February 8 (RHC)--") when that is given. Every expression gets an ISO value
at its own granularity: ``2024-02-07`` (day), ``2024-W05`` (week), ``2024-01`` (month)
or ``2024`` (year).

>>> [(t.text, t.value, t.granularity) for t in normalize_dates("On Wednesday night, last month", "2024-02-08")]
[('Wednesday night', '2024-02-07', 'day'), ('last month', '2024-01', 'month')]
>>> parse_date("February 30, 2024")
Traceback (most recent call last):
...
storylens.errors.ValidationError: date 'February 30, 2024': day 30 is out of range for February 2024 (it has 29 days); give a real calendar date.

Rules (documented in docs/events.md):

* a weekday alone ("on Thursday", "Wednesday's") is the most recent such day on or
  before the reference date; "last Thursday" is the one strictly before it, "next
  Thursday" the one strictly after;
* a day and month without a year ("Jan. 28", "7 Feb") takes the year that puts the date
  closest to the reference date; a month alone likewise;
* "last week" / "this week" are ISO weeks; "earlier this year" is the year;
* impossible dates ("February 30, 2024") are never returned: :func:`parse_date` raises
  :class:`~storylens.errors.ValidationError`, and :func:`normalize_dates` records them in
  its ``rejected`` list with the reason.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..errors import ValidationError

__all__ = ["TimeExpr", "Rejected", "normalize_dates", "parse_date", "to_date", "find_dateline"]


@dataclass
class TimeExpr:
    """One normalised time expression. ``span`` is ``[start, end)`` into the text."""

    text: str
    span: tuple[int, int]
    value: str  # ISO at its granularity: 2024-02-07 | 2024-W06 | 2024-02 | 2024
    granularity: str  # day | week | month | year

    def to_dict(self) -> dict:
        return {"text": self.text, "span": list(self.span), "value": self.value, "granularity": self.granularity}


@dataclass
class Rejected:
    """A time expression that looked like a date but cannot be one, and why."""

    text: str
    span: tuple[int, int]
    reason: str


MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}

_MONTH_FULL = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_MONTH = rf"(?P<month>{_MONTH_FULL}|{_MONTH_ABBR})"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d{2})"
_WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PART = r"(?:\s+(?P<part>morning|afternoon|evening|night))?"
_NUM = r"(?P<num>\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(?P<unit>day|week|month|year)s?"

# Order matters: longer, more specific patterns first; overlapping later matches are dropped.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("iso", re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b")),
    ("mdy", re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b")),
    ("dmy", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b")),
    ("ago", re.compile(rf"\b{_NUM}\s+{_UNIT}\s+ago\b", re.I)),
    ("dby", re.compile(r"\b(?:the\s+)?day\s+before\s+yesterday\b", re.I)),
    ("rel_day", re.compile(r"\b(?P<word>today|tonight|yesterday|tomorrow|last\s+night|this\s+(?:morning|afternoon|evening))\b", re.I)),
    ("earlier_this", re.compile(r"\b(?P<mod>earlier|later)\s+this\s+(?P<unit>week|month|year)\b", re.I)),
    ("rel_unit", re.compile(r"\b(?P<mod>last|this|next|past)\s+(?P<unit>week|month|year)\b", re.I)),
    ("rel_weekday", re.compile(rf"\b(?P<mod>last|this|next|[Ee]arlier\s+on|[Ll]ate\s+on)\s+{_WEEKDAY}{_PART}\b", re.I)),
    ("md", re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?!\d|,?\s*(?:1[89]|20)\d\d\b)")),
    ("dm", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?![a-z]|,?\s*(?:1[89]|20)\d\d\b)")),
    ("my", re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b")),
    ("weekday", re.compile(rf"\b{_WEEKDAY}(?:['’]s)?{_PART}\b")),
    ("month_only", re.compile(
        rf"\b(?P<prep>(?i:in|since|until|till|by|during|from|early|late|mid|last|next|this))(?:\s+|-)"
        rf"(?P<month>{_MONTH_FULL})\b(?!\s+\d)")),
    ("year_only", re.compile(
        r"\b(?P<prep>in|since|until|till|by|during|from|of|before|after|early|late|mid)(?:\s+|-)"
        r"(?:the\s+year\s+)?(?P<year>(?:1[89]|20)\d{2})\b(?![,.]?\d|\s*(?:%|percent|people|dollars))", re.I)),
]


def to_date(ref: str | date | datetime) -> date:
    """Turn a reference (ISO string, date or datetime) into a :class:`date`.

    >>> to_date("2024-02-08T10:00:00Z")
    datetime.date(2024, 2, 8)
    """
    if isinstance(ref, datetime):
        return ref.date()
    if isinstance(ref, date):
        return ref
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationError(f"reference date {ref!r} is empty or not a string; give an ISO date like 2024-02-08.")
    return date.fromisoformat(parse_date(ref.strip()[:10]))


def _month_number(word: str) -> int:
    return MONTHS[word.lower().rstrip(".")]


def _check_day(y: int, m: int, d: int, shown: str) -> date:
    if not 1 <= m <= 12:
        raise ValidationError(f"date {shown!r}: month {m} does not exist; give a month from 1 to 12.")
    last = calendar.monthrange(y, m)[1]
    if not 1 <= d <= last:
        raise ValidationError(
            f"date {shown!r}: day {d} is out of range for {calendar.month_name[m]} {y} "
            f"(it has {last} days); give a real calendar date."
        )
    return date(y, m, d)


def parse_date(s: str) -> str:
    """Parse one full calendar date strictly and return it as ISO ``YYYY-MM-DD``.

    Accepts ISO dates, "February 7, 2024", "Feb. 7 2024", "7 February 2024" and other
    forms python-dateutil reads, as long as year, month and day are all given. Raises
    :class:`~storylens.errors.ValidationError` for impossible or incomplete dates.

    >>> parse_date("Feb. 7, 2024")
    '2024-02-07'
    >>> parse_date("2024-02-30")   # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    storylens.errors.ValidationError: date '2024-02-30': day 30 is out of range ...
    """
    if not isinstance(s, str) or not s.strip():
        raise ValidationError(f"date {s!r} is empty; give a date like 2024-02-07.")
    shown = s.strip()
    for kind in ("iso", "mdy", "dmy"):
        m = next(p for k, p in _PATTERNS if k == kind).fullmatch(shown.rstrip("."))
        if m:
            month = int(m["mnum"]) if kind == "iso" else _month_number(m["month"])
            return _check_day(int(m["year"]), month, int(m["day"]), shown).isoformat()
    from dateutil import parser as du

    try:
        a = du.parse(shown, default=datetime(1, 1, 1))
        b = du.parse(shown, default=datetime(2, 2, 2))
    except (du.ParserError, ValueError, OverflowError) as e:
        raise ValidationError(f"date {shown!r} cannot be read as a calendar date ({e}); give a date like 2024-02-07.") from None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        raise ValidationError(f"date {shown!r} lacks a year, month or day; give a full date like 2024-02-07.")
    return a.date().isoformat()


def _closest_year(month: int, day: int | None, ref: date, shown: str) -> date | tuple[int, int]:
    """The year that puts month/day closest to ``ref`` (ties go to the past)."""
    best = None
    for y in (ref.year - 1, ref.year, ref.year + 1):
        if day is None:
            key = abs((y * 12 + month) - (ref.year * 12 + ref.month))
            cand = (y, month)
        else:
            if month == 2 and day == 29 and not calendar.isleap(y):
                continue
            cand = _check_day(y, month, day, shown)
            key = abs((cand - ref).days)
        if best is None or key < best[0]:
            best = (key, cand)
    if best is None:
        raise ValidationError(f"date {shown!r}: February 29 does not exist near {ref.year}; give a real calendar date.")
    return best[1]


def _week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


def _weekday_on_or_before(ref: date, wd: int, strict: bool = False) -> date:
    back = (ref.weekday() - wd) % 7
    if strict and back == 0:
        back = 7
    return ref - timedelta(days=back)


def _resolve(kind: str, m: re.Match, ref: date) -> tuple[str, str] | None:
    """(value, granularity) for one match, or None when it is not a date after all."""
    g = m.groupdict()
    shown = m.group(0)
    if kind == "iso":
        return _check_day(int(g["year"]), int(g["mnum"]), int(g["day"]), shown).isoformat(), "day"
    if kind in ("mdy", "dmy"):
        return _check_day(int(g["year"]), _month_number(g["month"]), int(g["day"]), shown).isoformat(), "day"
    if kind in ("md", "dm"):
        if g["month"].lower() == "may" and kind == "md" and shown[0].islower():
            return None
        d = _closest_year(_month_number(g["month"]), int(g["day"]), ref, shown)
        return d.isoformat(), "day"
    if kind == "my":
        return f"{int(g['year']):04d}-{_month_number(g['month']):02d}", "month"
    if kind == "month_only":
        month = _month_number(g["month"])
        prep = g["prep"].lower()
        if prep == "last":
            y = ref.year if month < ref.month else ref.year - 1
        elif prep == "next":
            y = ref.year if month > ref.month else ref.year + 1
        elif prep == "this":
            y = ref.year
        else:
            y, month = _closest_year(month, None, ref, shown)
        return f"{y:04d}-{month:02d}", "month"
    if kind == "year_only":
        return g["year"], "year"
    if kind == "dby":
        return (ref - timedelta(days=2)).isoformat(), "day"
    if kind == "rel_day":
        w = " ".join(g["word"].lower().split())
        off = {"yesterday": -1, "tomorrow": 1, "last night": -1}.get(w, 0)
        return (ref + timedelta(days=off)).isoformat(), "day"
    if kind in ("rel_unit", "earlier_this"):
        mod, unit = g["mod"].lower(), g["unit"].lower()
        k = {"last": -1, "past": -1, "next": 1}.get(mod, 0)
        if unit == "week":
            return _week(ref + timedelta(weeks=k)), "week"
        if unit == "month":
            y, mo = _add_months(ref.year, ref.month, k)
            return f"{y:04d}-{mo:02d}", "month"
        return f"{ref.year + k:04d}", "year"
    if kind == "ago":
        n = int(g["num"]) if g["num"].isdigit() else NUMBER_WORDS[g["num"].lower()]
        unit = g["unit"].lower()
        if unit == "day":
            return (ref - timedelta(days=n)).isoformat(), "day"
        if unit == "week":
            return _week(ref - timedelta(weeks=n)), "week"
        if unit == "month":
            y, mo = _add_months(ref.year, ref.month, -n)
            return f"{y:04d}-{mo:02d}", "month"
        return f"{ref.year - n:04d}", "year"
    if kind == "rel_weekday":
        mod = " ".join(g["mod"].lower().split())
        wd = WEEKDAYS[g["weekday"].lower()]
        if mod == "next":
            ahead = (wd - ref.weekday()) % 7 or 7
            return (ref + timedelta(days=ahead)).isoformat(), "day"
        if mod == "this":
            # "this Friday": the one in the reference date's week (Mon..Sun)
            return (ref + timedelta(days=wd - ref.weekday())).isoformat(), "day"
        if mod == "last":
            return _weekday_on_or_before(ref, wd, strict=True).isoformat(), "day"
        return _weekday_on_or_before(ref, wd).isoformat(), "day"
    if kind == "weekday":
        return _weekday_on_or_before(ref, WEEKDAYS[g["weekday"].lower()]).isoformat(), "day"
    return None


def normalize_dates(text: str, ref: str | date, *, rejected: list[Rejected] | None = None) -> list[TimeExpr]:
    """Find time expressions in ``text`` and normalise them against ``ref``.

    Expressions that cannot be real dates are skipped; pass a list as ``rejected`` to
    receive them with their reason.

    >>> [(t.text, t.value) for t in normalize_dates("He left on Jan. 28 and came back yesterday.", "2024-02-08")]
    [('Jan. 28', '2024-01-28'), ('yesterday', '2024-02-07')]
    >>> bad = []
    >>> normalize_dates("on February 30, 2024", "2024-03-01", rejected=bad), bad[0].text
    ([], 'February 30, 2024')
    """
    ref_d = to_date(ref)
    taken: list[tuple[int, int]] = []
    out: list[TimeExpr] = []
    for kind, pat in _PATTERNS:
        for m in pat.finditer(text):
            s, e = m.span()
            if kind in ("month_only", "year_only"):
                # keep the preposition out of the span unless it is part of the meaning
                prep = m.group("prep").lower().rstrip("-")
                if prep not in ("last", "next", "this", "early", "late", "mid"):
                    s = m.start("month") if kind == "month_only" else m.start("year")
            if kind == "weekday" and m.group("part") is None and text[s:e].endswith(("'s", "’s")):
                e -= 2
            if any(s < te and ts < e for ts, te in taken):
                continue
            try:
                res = _resolve(kind, m, ref_d)
            except ValidationError as err:
                taken.append((s, e))
                if rejected is not None:
                    rejected.append(Rejected(text[s:e], (s, e), str(err)))
                continue
            if res is None:
                continue
            taken.append((s, e))
            out.append(TimeExpr(text[s:e], (s, e), res[0], res[1]))
    out.sort(key=lambda t: t.span)
    return out


_WD_NAMES = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_DATELINE = re.compile(
    rf"^\s*(?P<place>[A-Z][A-Za-z .'’-]{{1,40}}?),\s+(?:(?:{_WD_NAMES}),?\s+)?"
    rf"(?:(?P<month>{_MONTH_FULL}|{_MONTH_ABBR})\s+(?P<day>\d{{1,2}})|(?P<day2>\d{{1,2}})\s+(?P<month2>{_MONTH_FULL}|{_MONTH_ABBR}))"
    rf"(?:,?\s+{_YEAR})?\s*(?:\((?P<agency>[^)]{{1,30}})\))?\s*(?:--|—|–|-)",
    re.M,
)


def find_dateline(text: str, published: str | date | None = None) -> dict | None:
    """Find a dateline ("Baghdad, February 8 (RHC)--") near the start of ``text``.

    Returns ``{"place", "date", "span", "agency"}``; ``date`` is ISO when a year is given
    or can be taken from ``published`` (closest year), else None.

    >>> find_dateline("Baghdad, February 8 (RHC)-- Iraq has denounced ...", "2024-02-08")["date"]
    '2024-02-08'
    """
    m = _DATELINE.search(text[:3000])
    if not m:
        return None
    month = _month_number(m["month"] or m["month2"])
    day = int(m["day"] or m["day2"])
    iso = None
    try:
        if m["year"]:
            iso = _check_day(int(m["year"]), month, day, m.group(0)).isoformat()
        elif published:
            iso = _closest_year(month, day, to_date(published), m.group(0)).isoformat()
    except ValidationError:
        iso = None
    return {"place": m["place"].strip(), "date": iso, "span": (m.start("place"), m.end()), "agency": m["agency"]}
