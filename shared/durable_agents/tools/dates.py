"""Calendar helpers shared by the providers: today, travel months, representative dates, year shifts."""

from __future__ import annotations

import calendar
import datetime as dt

from .errors import ToolError

DEFAULT_LEAD_DAYS = 28
"""How far ahead a search looks when the traveller gave no date at all."""


def utc_today() -> dt.date:
    """Today (UTC) by the runtime's clock, the providers' calendar unless they are given another: the
    agents, their leases and alarms and the tools read one clock, so a test that moves it moves them all."""
    from ..runtime import clock

    return dt.datetime.fromtimestamp(clock.source(), dt.UTC).date()


def month_start(month: int, today: dt.date) -> dt.date:
    """The first day of the next occurrence of ``month`` (this month counts)."""
    year = today.year if month >= today.month else today.year + 1
    return dt.date(year, month, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def shift_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years (29 February becomes the 28th in common years)."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def travel_date(exact: dt.date | None, month: int | None, today: dt.date) -> tuple[dt.date, str | None]:
    """The date to search for, and a note when it was chosen rather than given.

    An exact date is used as is (a past one is an error); a month searches its 15th (or today, late in
    the current month); nothing searches :data:`DEFAULT_LEAD_DAYS` ahead.
    """
    if exact is not None:
        if exact < today:
            raise ToolError(f"{exact.isoformat()} is in the past")
        return exact, None
    if month is not None:
        chosen = max(month_start(month, today).replace(day=15), today)
        return chosen, f"no exact date: searched {chosen.isoformat()} as a day in {chosen:%B %Y}"
    chosen = today + dt.timedelta(days=DEFAULT_LEAD_DAYS)
    return chosen, f"no date given: searched {chosen.isoformat()}, four weeks ahead"
