"""Requests to act later, read from a message: reminders, price watches, and listing or cancelling them.

The embedded engine asks :func:`read_alert_request` before any slot reader. When the message is one of
these requests, the recogniser claims what it understood (its cue words, a reminder's timing, a watch's
threshold), so that the readers after it cannot take "a week before we leave" for a trip length or
"under 800" for a budget. Checked in this order:

- **cancel_alerts**: a verb that ends something and a reminder or watch word ("cancel the reminder",
  "delete all alerts"), "stop watching / tracking", "don't remind me", or "cancel / delete" first with
  what a list answers to ("cancel the second one", "delete it", "cancel all"). ``every`` for "all",
  "both" or a plural ("stop watching prices", "cancel my reminders"); ``number`` for "reminder 2", "the
  second one".
- **list_alerts**: a question word and a reminder or watch word ("what reminders do I have?", "show my
  alerts"), "what am I watching?".
- **watch_price**: "tell me / let me know if|when ...", "watch / track / monitor / keep an eye on ..."
  or "price alert", about flights, fares, hotels, rooms or prices, with a threshold or a price word
  ("tell me if flights are delayed" is not a watch). The threshold is "under|below|less than|at
  most|drops to|hits <amount>" with a currency (symbol, code or word; none: the trip's budget currency,
  else USD); "a night" / "per night", or hotel words, make it a hotel watch.
- **remind**: "remind me / us", "set a reminder", "nudge me", "don't let me forget". When: "in 10
  minutes / 2 hours" (a delay); "a week / 3 days / the day before we leave" (before the departure, or
  before the return: "the day before we fly home"); "the morning we fly", "on the day we leave" (the
  departure day itself); "on the 14th" (the last 14th on or before the departure, the next one without
  dates); any date the date reader knows ("on June 14", "tomorrow", "next Friday"); "at 8am", "at
  18:00", "noon", "in the evening" (UTC). What for: the words from "to / about / of / that" on, that
  no timing phrase claimed ("remind me to pack on the 14th" -> "to pack"; not a place: "... before we
  fly to Rome" has none), or what is not to be forgotten ("don't let me forget the passports").
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from .dates import MONTHS, read_dates
from .gazetteer import gazetteer
from .models import (
    MAX_NAME,
    AlertKind,
    AlertSelection,
    Intent,
    Money,
    PriceWatchRequest,
    ReminderRequest,
    TravelSlots,
)
from .money import AMOUNT, CODES, SYMBOLS, WORDS
from .numbers import COUNT_OR_ARTICLE, DAY_OF_MONTH, parse_amount, parse_count, parse_day
from .text import Scanner


@dataclass(frozen=True)
class AlertRequest:
    """What :func:`read_alert_request` found: the intent and the request that goes with it."""

    intent: Intent
    confidence: float
    reminder: ReminderRequest | None = None
    watch: PriceWatchRequest | None = None
    selection: AlertSelection | None = None


# --- cues ------------------------------------------------------------------------------------------------

_ALERT_NOUN = r"(?:reminders?|alerts?|alarms?|notifications?|nudges?|price\s+watch(?:es)?|watch(?:es|list)?)"
_LIST_NOUN = (
    r"(?:reminders?|alerts?|alarms?|notifications?|price\s+watch(?:es)?|watches|watchlist|watching|tracking)"
)
_CANCEL = re.compile(
    r"\b(?:cancel|delete|remove|clear|turn\s+off|switch\s+off|drop|forget\s+(?:about\s+)?|disable|unset|"
    rf"get\s+rid\s+of|no\s+more|stop)\b[^.?!]{{0,30}}?\b{_ALERT_NOUN}\b"
    r"|\bstop\s+(?:watching|tracking|monitoring|checking)\b|\bdon'?t\s+(?:remind|notify|alert)\s+(?:me|us)\b"
    rf"|\b(?:don'?t|do\s+not|no\s+longer)\s+(?:need|want)\b[^.?!]{{0,20}}?\b{_ALERT_NOUN}\b"
    r"|^\W*(?:please\s+)?(?:cancel|delete)\s+(?:it|that|them|both|all|everything|(?:number|no\.?|#)\s*\d{1,2}|"
    r"(?:the\s+)?(?:first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)(?:\s+one)?)\b"
)
_LIST = re.compile(
    r"\b(?:what|which|list|show|see|view|any|check|tell\s+me|read|how\s+many)\b"
    rf"[^.?!]{{0,30}}?\b{_LIST_NOUN}\b"
    r"|\b(?:my|our)\s+(?:reminders|alerts|price\s+watch(?:es)?|watches|watchlist)\b"
    r"|\bwhat\s+(?:am\s+i|are\s+we|are\s+you|is\s+being)\s+(?:watching|tracking|monitoring)\b"
)
_WATCH = re.compile(
    r"\b(?:tell|let|notify|alert|ping|message|text|email|warn|inform)\s+(?:me|us)(?:\s+know)?\s+"
    r"(?:if|when|once|whenever|as\s+soon\s+as)\b"
    r"|\b(?:watch(?:ing)?|track(?:ing)?|monitor(?:ing)?|keep\s+(?:an\s+)?eye\s+on|keep\s+tabs\s+on)\b"
    r"|\bprice\s+(?:alerts?|watch(?:es)?|drops?)\b|\b(?:set|create|add)\s+(?:up\s+)?(?:an?\s+)?(?:price\s+)?alert\b"
)
_PRICE_SUBJECT = re.compile(
    r"\b(?:flights?|fares?|airfares?|tickets?|hotels?|rooms?|accomm?odations?|lodging|prices?|rates?)\b"
)
_PRICE_WORD = re.compile(r"\b(?:prices?|pricing|fares?|airfares?|rates?|cheap\w*|costs?|deals?)\b")
_HOTEL_WORDS = re.compile(r"\b(?:hotels?|rooms?|accomm?odations?|lodging|nightly)\b")
_REMIND = re.compile(
    r"\b(?:remind\s+(?:me|us)|(?:set|add|create|make|schedule|send\s+(?:me|us))\s+(?:up\s+)?(?:a|an|another)\s+"
    r"reminder|reminder\s+(?:to|for|about|on)|nudge\s+(?:me|us)|don'?t\s+let\s+(?:me|us)\s+forget)\b"
)

# --- a watch's threshold -----------------------------------------------------------------------------------

_SYMBOL = "|".join(re.escape(symbol) for symbol in sorted(SYMBOLS, key=len, reverse=True))
_UNIT = "|".join([*CODES, *sorted(WORDS, key=len, reverse=True)])
_THRESHOLD = re.compile(
    r"\b(?:under|below|beneath|less\s+than|lower\s+than|cheaper\s+than|at\s+most|no\s+more\s+than|max(?:imum)?|"
    r"(?:drops?|falls?|goes|go|gets?|come|comes|are|is)\s+(?:down\s+)?to|hits?|reach(?:es)?)\s*+:?\s*+"
    rf"(?:(?P<code>{'|'.join(CODES)})\s?)?(?P<symbol>{_SYMBOL})?\s?{AMOUNT}(?P<scale>\s*+k\b)?"
    rf"(?:\s*+(?P<unit>{_UNIT})(?![a-z]))?"
    r"(?P<night>\s*+(?:a|per|each|/)\s*+night\b|\s*+nightly\b)?"
)
_PER_NIGHT = re.compile(r"\b(?:a|per|each)\s+night\b")

# --- a reminder's time ---------------------------------------------------------------------------------

_DEPARTS = (
    r"(?:(?:we|i|you|they)\s+(?:leave|go|fly(?:\s+out)?|depart|travel|set\s+off|head\s+off|head\s+out|take\s+off)"
    r"|(?:the|our|my)\s+(?:trip|flight|departure|holiday|vacation|journey)(?:\s+(?:starts|begins|leaves))?"
    r"|departure|leaving|take-?off)"
)
_RETURNS = (
    r"(?:(?:we|i|you|they)\s+(?:come|fly|head|get|go|travel)\s+(?:back|home)|(?:we|i|you|they)\s+return"
    r"|(?:the|our|my)\s+(?:return(?:\s+flight)?|flight\s+(?:home|back)|trip\s+home)|check(?:ing)?[- ]?out"
    r"|coming\s+(?:back|home)|going\s+home)"
)
_DELAY = re.compile(
    rf"\bin\s+(?:(?P<half>half\s+an\s+hour)|(?P<n>{COUNT_OR_ARTICLE})\s+"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?))\b"
)
_BEFORE = re.compile(
    rf"\b(?:(?P<n>{COUNT_OR_ARTICLE})\s+(?P<unit>days?|weeks?|months?)|(?P<fortnight>a\s+fortnight)"
    rf"|the\s+(?P<the>day|night|evening|week))\s+(?:before|ahead\s+of|prior\s+to)"
    rf"(?:\s+(?:(?P<ret>{_RETURNS})|(?P<dep>{_DEPARTS})))?"
)
_DAY_OF = re.compile(
    rf"\b(?:on\s+)?(?:the\s+)?(?P<part>morning|day)\s+(?:that\s+)?(?:(?P<ret>{_RETURNS})|{_DEPARTS}"
    r"|of\s+(?:the\s+|our\s+|my\s+)?(?:(?P<ret2>return(?:\s+flight)?|flight\s+home)|trip|flight|departure))"
    r"|\bon\s+(?:departure|travel)\s+day\b|\bwhen\s+(?:we|i)\s+(?:leave|fly|depart|set\s+off)\b"
)
_MONTH_WORDS = "|".join(MONTHS)
_NTH = re.compile(
    rf"\b(?:on\s+|for\s+)?the\s+(?P<day>{DAY_OF_MONTH})\b(?!\s*(?:of\s+)?(?:{_MONTH_WORDS})\b)"
    r"(?!\s+(?:day|night|week|month|time|of|one|reminder))"
)
_CLOCK = re.compile(
    r"\bat\s+(?P<h>\d{1,2})(?::(?P<m>[0-5]\d))?\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*(?:utc|gmt))?(?![\w:])"
    r"|\b(?P<h2>\d{1,2})(?::(?P<m2>[0-5]\d))?\s*(?P<ampm2>[ap]\.?m\.?)(?:\s*(?:utc|gmt))?(?!\w)"
    r"|\b(?:at\s+)?(?P<word>noon|midday|midnight)\b"
    r"|\b(?:in\s+the\s+)?(?P<part>morning|afternoon|evening)\b"
)
_PARTS = {"morning": 9, "afternoon": 14, "evening": 18, "noon": 12, "midday": 12, "midnight": 0}
_ABOUT = re.compile(
    r"\b(?:remind(?:er)?|nudge)\b(?:\s+(?:me|us))?(?:\s+(?:for|on|at))*\s+"
    r"(?P<about>(?:to|about|of|that)\s+[^.?!\n]+)|\bforget\s+(?P<thing>[^.?!\n]+)"
)
_POLITE_REVERSED = re.compile(r"\A\W*+(?:(?:esaelp|slp|sknaht|uoy\s+knaht|xht|yako|ko)\s++)+", re.IGNORECASE)
"""Polite words ending a text ("... please", "thanks!"), read backwards from its end (a match from the
end is tried once; searched forwards, every start tried again the run of polite words after it)."""

# --- list and cancel -----------------------------------------------------------------------------------

_MENTIONS_REMINDER = re.compile(r"\bremind")
_MENTIONS_WATCH = re.compile(r"\b(?:watch|track|monitor|price|fare|flight|hotel)")
_EVERY = re.compile(r"\b(?:all|every|everything|both|any)\b")
_PLURAL = re.compile(r"\b(?:reminders|alerts|alarms|watches|prices|fares|notifications)\b")
_NUMBER = re.compile(
    r"\b(?:reminder|watch|alert|number|no\.?)\s*#?(?P<n>\d{1,2})\b|#(?P<hash>\d{1,2})\b"
    r"|\bthe\s+(?P<ordinal>first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)\s+(?:one|reminder|watch|alert)\b"
)
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5}  # fmt: skip


def read_alert_request(scanner: Scanner, known: TravelSlots, today: date) -> AlertRequest | None:
    """The alert request in ``scanner`` (claiming what it read), or ``None`` for any other message."""
    text = scanner.lower
    if _CANCEL.search(text):
        _claim_all(scanner, _CANCEL, "alerts")
        return AlertRequest(Intent.CANCEL_ALERTS, 0.9, selection=_selection(text, cancel=True))
    if _LIST.search(text):
        _claim_all(scanner, _LIST, "alerts")
        return AlertRequest(Intent.LIST_ALERTS, 0.9, selection=_selection(text, cancel=False))
    priced = _THRESHOLD.search(text) is not None or _PRICE_WORD.search(text) is not None
    if _WATCH.search(text) and _PRICE_SUBJECT.search(text) and priced:
        return AlertRequest(Intent.WATCH_PRICE, 0.9, watch=_watch(scanner, known))
    if _REMIND.search(text):
        return AlertRequest(Intent.REMIND, 0.9, reminder=_reminder(scanner, known, today))
    return None


def _claim_all(scanner: Scanner, pattern: re.Pattern[str], slot: str) -> None:
    for match in list(scanner.finditer(pattern)):
        scanner.claim(slot, match.start(), match.end())


# --- watches -----------------------------------------------------------------------------------------------


def _watch(scanner: Scanner, known: TravelSlots) -> PriceWatchRequest:
    """The watch's tool and threshold (claimed; the route and dates are left to the slot readers)."""
    below: Money | None = None
    per_night = False
    for match in scanner.finditer(_THRESHOLD):
        amount = parse_amount(match["amount"])
        if not amount or below is not None:
            continue
        amount *= 1000 if match["scale"] else 1
        currency = _currency(match) or (known.budget.currency if known.budget else "USD")
        below = Money(amount=amount, currency=currency)
        per_night = bool(match["night"])
        scanner.claim("watch", match.start(), match.end())
    for match in list(scanner.finditer(_PER_NIGHT)):
        per_night = True
        scanner.claim("watch", match.start(), match.end())
    _claim_all(scanner, _WATCH, "watch")
    hotels = per_night or _HOTEL_WORDS.search(scanner.lower) is not None
    return PriceWatchRequest(tool="hotels" if hotels else "flights", below=below)


def _currency(match: re.Match[str]) -> str | None:
    if match["code"]:
        return match["code"].upper()
    if match["symbol"]:
        return SYMBOLS[match["symbol"]]
    unit = match["unit"]
    if unit:
        return WORDS.get(unit) or unit.upper()
    return None


# --- reminders -----------------------------------------------------------------------------------------


def _reminder(scanner: Scanner, known: TravelSlots, today: date) -> ReminderRequest:
    """When the reminder is due and what it is for (the timing phrases are claimed)."""
    fields: dict[str, object] = {}
    for match in scanner.finditer(_DELAY):
        if match["half"]:
            fields["in_seconds"] = 1800
        else:
            unit = match["unit"].rstrip("s")
            seconds = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600}[unit]
            fields["in_seconds"] = (parse_count(match["n"]) or 1) * seconds
        scanner.claim("reminder", match.start(), match.end())
        break
    for match in scanner.finditer(_BEFORE):
        if match["the"]:
            days = 7 if match["the"] == "week" else 1
        elif match["fortnight"]:
            days = 14
        else:
            days = (parse_count(match["n"]) or 1) * {"day": 1, "week": 7, "month": 30}[
                match["unit"].rstrip("s")
            ]
        fields.update(days_before=min(days, 365), before_return=bool(match["ret"]))
        scanner.claim("reminder", match.start(), match.end())
        break
    for match in scanner.finditer(_DAY_OF):
        if "days_before" not in fields:
            fields.update(days_before=0, before_return=bool(match["ret"] or match["ret2"]))
        scanner.claim("reminder", match.start(), match.end())
        break
    for match in scanner.finditer(_NTH):
        day = match["day"]
        if day.isdigit() or "days_before" in fields:
            continue
        on = _nth_day(parse_day(day) or 0, known.departure_date, today)
        if on is not None:
            fields["on_date"] = on
            scanner.claim("reminder", match.start(), match.end())
            break
    for match in scanner.finditer(_CLOCK):
        hour = _hour(match)
        if hour is not None:
            fields["hour"], fields["minute"] = hour
            scanner.claim("reminder", match.start(), match.end())
            break
    if not ({"in_seconds", "days_before", "on_date"} & fields.keys()):
        departure = read_dates(scanner, today).departure
        if departure is not None:
            fields["on_date"] = departure
    fields["about"] = _about(scanner)
    return ReminderRequest.model_validate(fields)


def _nth_day(day: int, departure: date | None, today: date) -> date | None:
    """ "The 14th": the last 14th on or before ``departure`` (not before ``today``), else the next one."""
    if not 1 <= day <= 31:
        return None
    if departure is not None and departure >= today:
        year, month = departure.year, departure.month
        for _ in range(3):
            if day <= monthrange(year, month)[1] and today <= date(year, month, day) <= departure:
                return date(year, month, day)
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    year, month = today.year, today.month
    for _ in range(13):
        if day <= monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return None


def _hour(match: re.Match[str]) -> tuple[int, int] | None:
    """(hour, minute) of a clock time ("at 8am", "18:30", "noon", "in the evening"), or ``None``."""
    if match["word"] or match["part"]:
        return _PARTS[match["word"] or match["part"]], 0
    hour = int(match["h"] or match["h2"])
    minute = int(match["m"] or match["m2"] or 0)
    meridiem = (match["ampm"] or match["ampm2"] or "").replace(".", "")
    if meridiem and not 1 <= hour <= 12:
        return None
    if meridiem == "pm" and hour != 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    return (hour, minute) if hour <= 23 else None


def _about(scanner: Scanner) -> str | None:
    """The words after "remind me to / about ..." that no timing phrase claimed ("pack")."""
    match = _ABOUT.search(scanner.work)
    if match is None:
        return None
    start, end = match.span("about" if match["about"] else "thing")
    kept = "".join(
        original if working != " " or original == " " else " "
        for original, working in zip(scanner.original[start:end], scanner.work[start:end], strict=True)
    )
    about = _without_polite_end(" ".join(kept.split())).strip(" ,;:-")
    task = about.partition(" ")[2] if match["about"] else about
    if not task.strip(" ,;:-") or gazetteer().lookup(task) is not None:  # "... we fly to Rome": no task
        return None
    scanner.claim("reminder", start, end)
    return about[:MAX_NAME].strip()


def _without_polite_end(text: str) -> str:
    """``text`` without the polite words (and punctuation) it ends with: "pack, thanks!" -> "pack,"."""
    polite = _POLITE_REVERSED.match(text[::-1])
    return text[: len(text) - polite.end()] if polite else text


# --- list and cancel -----------------------------------------------------------------------------------


def _selection(text: str, *, cancel: bool) -> AlertSelection:
    reminder, watch = _MENTIONS_REMINDER.search(text), _MENTIONS_WATCH.search(text)
    kind: AlertKind = "reminder" if reminder and not watch else "watch" if watch and not reminder else "any"
    every = cancel and (_EVERY.search(text) is not None or _PLURAL.search(text) is not None)
    number: int | None = None
    found = _NUMBER.search(text)
    if found is not None:
        number = int(found["n"] or found["hash"] or 0) or _ORDINALS.get(found["ordinal"] or "")
    return AlertSelection(kind=kind, every=every and number is None, number=number)
