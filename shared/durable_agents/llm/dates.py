"""Dates, months and trip lengths in a message, resolved against ``today`` and never in the past.

Understood: ISO (2026-06-03), US numeric (06/03, 6/3/2027; day first when the first number is over 12),
dotted European (03.06.2027), "June 3", "3rd of June", "June 3rd, 2027"; ranges ("June 3-10",
"3-10 June", "from June 3 to June 10", "Dec 28 - Jan 4"); relative dates ("today", "tomorrow", "the day
after tomorrow", "Friday"/"this Friday" = the coming one, "next Friday" = Friday of next week, "this /
next weekend" = that Saturday, "next week" = its Monday, "in two weeks", "3 days from now"); months
("in May", "next month", "early July"); and durations ("5 days", "a week", "two weeks", "3 nights",
"10-day", "a fortnight", "a long weekend" = 3, "a weekend" = 2, "a few days" = 3).

Parts of a month are a start and a length: "the first two weeks of August" (August 1, 14 days), "the
second week of July" (July 8, 7 days), "the last week of May" (May 25, 7 days), "the first half of
September" (September 1, 15 days), "the first 10 days of October".

A date without a year is its next occurrence (today counts); a date with a year in the past is ignored,
and so is one more than :data:`MAX_YEARS_AHEAD` years ahead ("31/12/9999"): no trip is planned that far
out, and no date arithmetic downstream (a return date, a stop's nights) can overflow.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from .numbers import COUNT_OR_ARTICLE, DAY_OF_MONTH, parse_count, parse_day
from .text import Scanner

MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
MAX_YEARS_AHEAD = 4
"""How far ahead a stated date may be (in years from today); further is ignored, as a past date is."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AMBIGUOUS_MONTHS = {
    "may",
    "march",
    "mar",
    "jan",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "apr",
}

_MONTH = r"(?P<{name}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?(?![a-z])"
_DAY = r"(?P<{name}>" + DAY_OF_MONTH + r")(?![\d/]|\.\d|[a-z])"
_YEAR = r"(?:\s*+,?\s*+(?P<{name}>20\d\d)\b)?"
_TO = r"\s*+(?:-|–|to|until|till|through|thru|and)\s*+(?:the\s+)?"
_NOT_A_COUNT = (
    r"(?!\s*(?:days?|nights?|weeks?|months?|people|persons?|adults?|kids?|child|children|travell?ers?|"
    r"guests?|pax)\b)"
)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(
        template.format(
            month=_MONTH.format(name="month"),
            month2=_MONTH.format(name="month2"),
            day=_DAY.format(name="day"),
            day2=_DAY.format(name="day2"),
            year=_YEAR.format(name="year"),
        )
    )


_SAME_MONTH_RANGES = (
    _pattern(
        r"\b(?:from\s+|between\s+)?(?:the\s+)?{month}\s+(?:the\s+)?{day}"
        + _TO
        + r"{day2}"
        + _NOT_A_COUNT
        + r"(?!\s*(?:of\s+)?(?:"
        + "|".join(MONTHS)
        + r")\b){year}"
    ),
    _pattern(r"\b(?:from\s+|between\s+)?(?:the\s+)?{day}" + _TO + r"{day2}\s+(?:of\s+)?{month}{year}"),
)
_SINGLE_DATES = (
    re.compile(r"\b(?P<year>20\d\d)-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
    _pattern(r"\b{month}\s+(?:the\s+)?{day}" + _NOT_A_COUNT + r"{year}"),
    _pattern(r"\b(?:the\s+)?{day}\s+(?:of\s+)?{month}{year}"),
    re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<year>\d{4}|\d{2}))?(?![\d/])"),
    re.compile(r"\b(?P<b>\d{1,2})\.(?P<a>\d{1,2})\.(?P<year>\d{4})\b"),
)
_RELATIVE_DAY = re.compile(r"\b(?P<word>(?:the\s+)?day\s+after\s+tomorrow|tomorrow|today|tonight)\b")
_WEEKDAY = re.compile(
    r"\b(?:(?P<which>this\s+coming|this|next|coming|on)\s+)?(?P<weekday>" + "|".join(WEEKDAYS) + r")\b"
)
_WEEKEND = re.compile(r"\b(?P<which>this|next)\s+weekend\b")
_NEXT_WEEK = re.compile(r"\bnext\s+week\b")
_IN_PERIOD = re.compile(
    rf"\b(?:in\s+(?P<n>{COUNT_OR_ARTICLE})[\s-]+(?P<unit>days?|weeks?|months?)\b"
    rf"|(?P<n2>{COUNT_OR_ARTICLE})[\s-]+(?P<unit2>days?|weeks?|months?)\s+from\s+(?:now|today)\b)"
)
_PART_OF_MONTH = re.compile(
    r"\b(?:the\s+)?(?P<which>first|1st|second|2nd|third|3rd|fourth|4th|last|final|latter)\s+"
    rf"(?:(?P<n>{COUNT_OR_ARTICLE})\s+)?(?P<unit>weeks?|days?|half|fortnight)\s+(?:of|in)\s+"
    + _MONTH.format(name="month")
    + _YEAR.format(name="year")
)
_ORDINAL_WEEK = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3}
_RELATIVE_MONTH = re.compile(r"\b(?P<which>this|next)\s+month\b")
_MONTH_CUE = (
    r"(?P<cue>in|during|for|until|till|by|this|next|of|early|mid|late|around|throughout|through|to|"
    r"(?:the\s+)?(?:end|beginning|middle)\s+of)"
)
_MONTH_ONLY = _pattern(r"\b(?:" + _MONTH_CUE + r"[\s-]+)?{month}{year}")
_DURATIONS = (
    (re.compile(r"\blong[\s-]weekends?\b"), 3),
    (re.compile(r"\b(?:a|the|one)\s+(?:\w+\s+)?weekend\b|\bweekend\s+(?:trip|getaway|break|away|in)\b"), 2),
    (re.compile(r"\bweek[\s-]long\b"), 7),
    (re.compile(r"\b(?:a\s+)?few\s+days\b"), 3),
)
_DURATION = re.compile(
    rf"\b(?P<n>{COUNT_OR_ARTICLE})[\s-]+(?P<unit>days?|nights?|weeks?|months?|fortnights?)\b(?:[\s-]long\b)?"
    r"|\b(?:a\s+)?(?P<fortnight>fortnight)\b"
)
_UNIT_DAYS = {"day": 1, "night": 1, "week": 7, "month": 30, "fortnight": 14}
_CONNECTOR = re.compile(r"^\s*(?:-|–|to|until|till|through|thru|and)\s*(?:the\s+)?$")
_RETURN_CUES = {"back", "return", "returning", "until", "till", "home", "return:"}


@dataclass(frozen=True)
class DateFacts:
    """What a message says about when and how long."""

    departure: date | None = None
    return_: date | None = None
    month: int | None = None
    duration_days: int | None = None


def next_occurrence(month: int, day: int, today: date, year: int | None = None) -> date | None:
    """``month``/``day`` in ``year``, or the first such date from ``today`` on; ``None`` if past/invalid."""
    years = [year] if year is not None else [today.year, today.year + 1, today.year + 4]
    for candidate_year in years:
        if candidate_year > today.year + MAX_YEARS_AHEAD:
            return None
        if day <= monthrange(candidate_year, month)[1]:
            candidate = date(candidate_year, month, day)
            if candidate >= today:
                return candidate
    return None


def not_before(value: date, earliest: date) -> date:
    """``value`` moved forward by whole years until it is not before ``earliest``."""
    while value < earliest:
        try:
            value = value.replace(year=value.year + 1)
        except ValueError:  # 29 February
            value = value.replace(year=value.year + 1, day=28)
    return value


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def _year(text: str | None) -> int | None:
    if not text:
        return None
    return int(text) + 2000 if len(text) == 2 else int(text)


def _month_day(match: re.Match[str], today: date) -> date | None:
    groups = match.groupdict()
    year = _year(groups.get("year"))
    if "a" in groups:
        first, second = int(groups["a"]), int(groups["b"])
        month, day = (first, second) if first <= 12 else (second, first)
    else:
        month_text, day_text = groups["month"], groups["day"]
        month = int(month_text) if month_text.isdigit() else MONTHS[month_text]
        day = int(day_text) if day_text.isdigit() else parse_day(day_text) or 0
    if not 1 <= month <= 12 or not 1 <= day <= 31 or match.group() == "24/7":
        return None
    return next_occurrence(month, day, today, year)


def _weekday(match: re.Match[str], today: date) -> date:
    target = WEEKDAYS.index(match["weekday"])
    which = " ".join((match["which"] or "").split())
    if which == "this" and today.weekday() == target:
        return today
    coming = today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)
    if which == "next" and coming.isocalendar()[:2] == today.isocalendar()[:2]:
        coming += timedelta(days=7)
    return coming


def _relative(scanner: Scanner, today: date) -> list[tuple[int, int, date]]:
    found: list[tuple[int, int, date]] = []
    for match in scanner.finditer(_RELATIVE_DAY):
        word = match["word"]
        offset = 2 if "after" in word else 1 if word == "tomorrow" else 0
        found.append((match.start(), match.end(), today + timedelta(days=offset)))
    for match in scanner.finditer(_WEEKEND):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7) if today.weekday() != 6 else today
        found.append(
            (match.start(), match.end(), saturday + timedelta(days=7 if match["which"] == "next" else 0))
        )
    for match in scanner.finditer(_NEXT_WEEK):
        found.append((match.start(), match.end(), today + timedelta(days=7 - today.weekday())))
    for match in scanner.finditer(_IN_PERIOD):
        count = parse_count(match["n"] or match["n2"]) or 1
        unit = (match["unit"] or match["unit2"]).rstrip("s")
        when = (
            add_months(today, count) if unit == "month" else today + timedelta(days=count * _UNIT_DAYS[unit])
        )
        found.append((match.start(), match.end(), when))
    for match in scanner.finditer(_WEEKDAY):
        found.append((match.start(), match.end(), _weekday(match, today)))
    return found


def read_dates(scanner: Scanner, today: date) -> DateFacts:
    """Claim every date, month and duration phrase in ``scanner`` and resolve them."""
    departure, duration = _part_of_month(scanner, today)
    return_: date | None = None
    for pattern in _SAME_MONTH_RANGES:
        for match in scanner.finditer(pattern):
            month = MONTHS[match["month"]]
            year = _year(match["year"])
            first = next_occurrence(month, parse_day(match["day"]) or 0, today, year)
            last_day = parse_day(match["day2"]) or 0
            last = next_occurrence(month, last_day, first, year) if first else None
            if first and last and departure is None:
                departure, return_ = first, last
                scanner.claim("dates", match.start(), match.end())

    mentions: list[tuple[int, int, date]] = []
    for pattern in _SINGLE_DATES:
        for match in scanner.finditer(pattern):
            resolved = _month_day(match, today)
            if resolved is not None:
                mentions.append((match.start(), match.end(), resolved))
                scanner.claim("dates", match.start(), match.end())
    for start, end, resolved in _relative(scanner, today):
        if scanner.is_free(start, end):
            mentions.append((start, end, resolved))
            scanner.claim("dates", start, end)
    mentions.sort()
    if departure is None and mentions:
        departure = mentions[0][2]
        if len(mentions) > 1:
            (_, first_end, _), (second_start, _, second) = mentions[0], mentions[1]
            between = scanner.lower[first_end:second_start]
            cue = set(scanner.words_before(second_start, 3)) & _RETURN_CUES
            if _CONNECTOR.match(between) or cue:
                return_ = not_before(second, departure) if second != departure else None

    travel_month = _read_month(scanner, today) if departure is None else None
    return DateFacts(
        departure=departure,
        return_=return_,
        month=travel_month,
        duration_days=duration or _read_duration(scanner),
    )


def _part_of_month(scanner: Scanner, today: date) -> tuple[date | None, int | None]:
    """The start and length of "the first two weeks of August" and the like (claimed as dates)."""
    for match in scanner.finditer(_PART_OF_MONTH):
        month, given_year = MONTHS[match["month"]], _year(match["year"])
        for year in [given_year] if given_year else [today.year, today.year + 1]:
            if year > today.year + MAX_YEARS_AHEAD:
                break
            start, days = _part(year, month, match)
            if start >= today:
                scanner.claim("dates", match.start(), match.end())
                return start, days
    return None, None


def _part(year: int, month: int, match: re.Match[str]) -> tuple[date, int]:
    length = monthrange(year, month)[1]
    unit, which = match["unit"].rstrip("s"), match["which"]
    count = (parse_count(match["n"]) if match["n"] else None) or 1
    last = which in ("last", "final", "latter")
    if unit == "half":
        start_day, days = (16, length - 15) if last or which in ("second", "2nd") else (1, 15)
    else:
        days = count * {"day": 1, "week": 7, "fortnight": 14}[unit]
        start_day = max(1, length - days + 1) if last else 1 + 7 * _ORDINAL_WEEK.get(which, 0)
    return date(year, month, min(start_day, length)), min(days, 366)


def _read_month(scanner: Scanner, today: date) -> int | None:
    month: int | None = None
    for match in scanner.finditer(_RELATIVE_MONTH):
        month = month or (today.month if match["which"] == "this" else today.month % 12 + 1)
        scanner.claim("month", match.start(), match.end())
    for match in scanner.finditer(_MONTH_ONLY):
        word = match["month"]
        if word in _AMBIGUOUS_MONTHS and not match["cue"]:
            continue
        year = _year(match["year"])
        if year is not None and (year, MONTHS[word]) < (today.year, today.month):
            continue
        month = month or MONTHS[word]
        scanner.claim("month", match.start(), match.end())
    return month


def _read_duration(scanner: Scanner) -> int | None:
    days: int | None = None
    for pattern, value in _DURATIONS:
        for match in scanner.finditer(pattern):
            days = days or value
            scanner.claim("duration_days", match.start(), match.end())
    for match in scanner.finditer(_DURATION):
        if match["fortnight"]:
            value = 14
        else:
            count = parse_count(match["n"])
            value = count * _UNIT_DAYS[match["unit"].rstrip("s")] if count else 0
        if 0 < value <= 366:
            days = days or value
            scanner.claim("duration_days", match.start(), match.end())
    return days
