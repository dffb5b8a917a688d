"""Dates, times and zones as openfootball files spell them, and the season they belong to.

Football.TXT dates come in several spellings: ``Thu Sep/21 2023``, ``[Tue Sep/19]``, ``Apr/4``,
``Fri Aug 11``, ``Sa 24.8.``, ``14-6-24``, ``2023-08-18``. Most omit the year; it is taken from
the last date that gave one, else from the season (``2023/24``: a weekday picks the year when it
fits only one, otherwise July-December is the first year). Kick-off times are ``21.00`` or
``20:45``, sometimes with a zone (``UTC+3``).

    >>> d = read_date("Thu Oct/5", YearContext(season=(2023, 2024)))
    >>> d.date, d.length
    (datetime.date(2023, 10, 5), 9)
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import attrs

_MONTH_NAMES = {
    "january": 1, "januar": 1, "february": 2, "februar": 2, "march": 3, "märz": 3, "maerz": 3,
    "april": 4, "may": 5, "mai": 5, "june": 6, "juni": 6, "july": 7, "juli": 7, "august": 8,
    "september": 9, "october": 10, "oktober": 10, "november": 11, "december": 12,
    "dezember": 12,
}
WEEKDAYS = {
    "mon": 0, "mo": 0, "tue": 1, "tu": 1, "di": 1, "wed": 2, "we": 2, "mi": 2, "thu": 3,
    "th": 3, "do": 3, "fri": 4, "fr": 4, "sat": 5, "sa": 5, "sun": 6, "su": 6, "so": 6,
}

_WD = r"(?:(?P<wd>[A-Za-z]{2,3})\.?,?\s+)?"
_END = r"(?=$|\s|\])"
_DATES = [
    # Sep/21, Thu Sep/21 2023, Jun/30
    re.compile(rf"{_WD}(?P<mon>[A-Za-zä]{{3,4}})\.?/(?P<day>\d{{1,2}})(?:\s+(?P<year>\d{{4}}))?"
               + _END),
    # Aug 11, Fri Aug 11, Sun Aug 23 2020
    re.compile(rf"{_WD}(?P<mon>[A-Za-zä]{{3,4}})\.?\s+(?P<day>\d{{1,2}})(?:,?\s+(?P<year>\d{{4}}))?"
               + _END),
    # 24.8., Sa 24.8., 24.8.1963
    re.compile(rf"{_WD}(?P<day>\d{{1,2}})\.\s?(?P<mon>\d{{1,2}})\.(?:\s?(?P<year>\d{{4}}))?"
               + _END),
    # 2023-08-18
    re.compile(r"(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})" + _END),
    # 14-6-24, 14/6/2024
    re.compile(r"(?P<day>\d{1,2})[-/](?P<mon>\d{1,2})[-/](?P<year>\d{2}|\d{4})" + _END),
    # 17 May 2014, Sat 17 May
    re.compile(rf"{_WD}(?P<day>\d{{1,2}})\.?\s+(?P<mon>[A-Za-zä]{{3,9}})\.?(?:\s+(?P<year>\d{{4}}))?"
               + _END),
]
_OFFSET = r"(?:UTC|GMT)\s*(?P<sign>[+-−])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?"
_TIME = re.compile(rf"(?P<h>\d{{1,2}})[.:h](?P<m>\d{{2}})(?:\s*\(?\s*{_OFFSET}\s*\)?)?"
                   + _END)
OFFSET = re.compile(rf"\(?\s*{_OFFSET}\s*\)?")
MAX_OFFSET = dt.timedelta(hours=24)  # exclusive, as for datetime.timezone
_SEASON = re.compile(r"(?<!\d)(?P<y1>(?:18|19|20)\d{2})(?:\s*[-/_]\s*(?P<y2>\d{4}|\d{2}))?(?!\d)")
_SEASON_PATH = re.compile(r"(?<!\d)((?:18|19|20)\d{2})(?:[-_](\d{2}|\d{4})(?!\d)|--)")


@attrs.define
class YearContext:
    """What a date without a year is read against: the season's years and the last year given."""

    season: tuple[int, int] | None = None
    sticky: int | None = None


@attrs.frozen
class DateRead:
    date: dt.date
    length: int  # characters of the text the date took
    guessed: bool  # the year was not written
    weekday_mismatch: bool = False


def read_date(text: str, ctx: YearContext) -> DateRead | None:
    """The date at the start of ``text``, or None if it does not start with one."""
    for pattern in _DATES:
        m = pattern.match(text)
        if m is None:
            continue
        found = _date_of(m, ctx)
        if found is not None:
            return found
    return None


def _date_of(m: re.Match[str], ctx: YearContext) -> DateRead | None:
    month = _month(m.group("mon"))
    weekday = None
    if "wd" in m.groupdict() and m.group("wd"):
        weekday = WEEKDAYS.get(m.group("wd").lower())
        if weekday is None:
            return None  # "Mar 5" is a date; "Foo Mar 5" is not one
    if month is None or not 1 <= month <= 12:
        return None
    day = int(m.group("day"))
    if m.group("year"):
        year = int(m.group("year"))
        year += 2000 if year < 100 else 0
        ctx.sticky = year
        date = _safe_date(year, month, day)
        if date is None:
            return None
        mismatch = weekday is not None and date.weekday() != weekday
        return DateRead(date, m.end(), False, mismatch)
    return _guess_year(month, day, weekday, ctx, m.end())


def _month(text: str) -> int | None:
    """1-12 for "9", "Sep", "Sept", "September", "Dez"; None for anything else ("Marseille")."""
    if text.isdigit():
        return int(text)
    word = text.lower().rstrip(".")
    for full, number in _MONTH_NAMES.items():
        if len(word) >= 3 and full.startswith(word):
            return number
    return None


def _guess_year(month: int, day: int, weekday: int | None, ctx: YearContext,
                length: int) -> DateRead | None:
    candidates = list(dict.fromkeys(y for y in (ctx.sticky, *(ctx.season or ())) if y))
    dates = [d for d in (_safe_date(y, month, day) for y in candidates) if d is not None]
    if not dates:
        return None
    if weekday is not None:
        fitting = [d for d in dates if d.weekday() == weekday]
        if len(fitting) == 1:
            return DateRead(fitting[0], length, True)
    if ctx.sticky is not None:
        chosen = _safe_date(ctx.sticky, month, day)
    elif ctx.season is not None:
        chosen = _safe_date(ctx.season[0] if month >= 7 else ctx.season[1], month, day)
    else:
        chosen = None
    if chosen is None:
        return None
    mismatch = weekday is not None and chosen.weekday() != weekday
    return DateRead(chosen, length, True, mismatch)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@attrs.frozen
class TimeRead:
    time: dt.time
    offset: dt.timedelta | None
    length: int


def read_time(text: str) -> TimeRead | None:
    """A kick-off time at the start of ``text``: ``21.00``, ``20:45``, ``18:00 UTC+3``."""
    m = _TIME.match(text)
    if m is None:
        return None
    hour, minute = int(m.group("h")), int(m.group("m"))
    if hour > 23 or minute > 59:
        return None
    return TimeRead(dt.time(hour, minute), _offset_of(m), m.end())


def read_offset(text: str) -> dt.timedelta | None:
    """The ``UTC+3`` (or ``(UTC-4)``) anywhere in ``text``, as an offset."""
    m = OFFSET.search(text)
    return _offset_of(m) if m else None


def _offset_of(m: re.Match[str]) -> dt.timedelta | None:
    if not m.groupdict().get("sign"):
        return None
    sign = -1 if m.group("sign") in "-−" else 1
    return sign * dt.timedelta(hours=int(m.group("oh")), minutes=int(m.group("om") or 0))


def offset_problem(offset: dt.timedelta | None) -> str | None:
    """Why ``offset`` (``UTC+25``) cannot be a zone's, or None when it can (or there is none)."""
    if offset is not None and abs(offset) >= MAX_OFFSET:
        return "a UTC offset must be less than 24 hours"
    return None


def parse_zone(value: str) -> dt.tzinfo:
    """A zone option: ``UTC+1``, ``+01:00``, ``Z`` or an IANA name such as ``Europe/Berlin``."""
    text = value.strip()
    if text in ("Z", "UTC", "GMT"):
        return dt.UTC
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if m:
        delta = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        problem = offset_problem(delta)
        if problem:
            raise ValueError(f"time zone {value!r}: {problem}")
        return dt.timezone(-delta if m.group(1) == "-" else delta)
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {value!r} (use UTC+1, +01:00 or a name like "
                         "Europe/Berlin)") from e


def fixed_offset(zone: dt.tzinfo, date: dt.date, time: dt.time) -> dt.timezone:
    """The fixed UTC offset ``zone`` has at that local date and time (daylight saving known)."""
    offset = dt.datetime.combine(date, time).replace(tzinfo=zone).utcoffset()
    return dt.timezone(offset or dt.timedelta(0))


def split_title(title: str) -> tuple[str, str | None]:
    """("UEFA Champions League", "2023/24") from "UEFA Champions League 2023/24"."""
    found = list(_SEASON.finditer(title))
    if not found:
        return title.strip(), None
    m = found[-1]
    name = (title[: m.start()] + title[m.end():]).strip(" -,·|")
    return re.sub(r"\s{2,}", " ", name) or title.strip(), season_text(m.group("y1"),
                                                                         m.group("y2"))


def season_from_path(path: str) -> str | None:
    """The season a path names: ``2023-24/cl.txt`` -> "2023/24", ``2022--qatar`` -> "2022"."""
    found = list(_SEASON_PATH.finditer(path))
    if not found:
        return None
    return season_text(found[-1].group(1), found[-1].group(2))


def season_text(first: str, second: str | None) -> str:
    if not second:
        return first
    return f"{first}/{second[-2:]}"


def season_years(season: str | None) -> tuple[int, int] | None:
    """(2023, 2024) for "2023/24"; (2022, 2022) for "2022"; None when there is no year."""
    if not season:
        return None
    m = _SEASON.search(season)
    if m is None:
        return None
    first = int(m.group("y1"))
    if not m.group("y2"):
        return first, first
    second = int(m.group("y2"))
    if second < 100:
        second += first - first % 100
        if second < first:
            second += 100
    return first, second


__all__ = [
    "DateRead",
    "TimeRead",
    "YearContext",
    "fixed_offset",
    "offset_problem",
    "parse_zone",
    "read_date",
    "read_offset",
    "read_time",
    "season_from_path",
    "season_text",
    "season_years",
    "split_title",
]
