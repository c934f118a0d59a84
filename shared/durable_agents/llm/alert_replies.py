"""The wording of reminders and price watches: set, already set, not possible, fired, listed, cancelled.

Every function takes what the agent has (a :class:`~.alerts.Reminder` or payload, a schedule record as
``list_schedules()`` gives it, a price) and returns plain text in the style of :mod:`.replies`. Times
are always said in UTC, and offline sample prices are always said to be so.

A schedule record (``durable_agents.runtime.schedules``) is ``{id, method, payload, kind, due (epoch
ms), every?, status: "pending" | "failed", retries, error?}``; :class:`Listed` is one as the agent
lists it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .alerts import WATCH_DAYS, Missing, Price, Reminder, ReminderPayload, WatchPayload, day_text
from .composer import clean
from .models import AlertKind, ReminderRequest

OFFLINE_PRICES = "Offline sample prices, not live quotes"


@dataclass(frozen=True)
class Listed:
    """One reminder or price watch as the agent lists it (numbered within its kind)."""

    schedule_id: str
    kind: AlertKind
    number: int
    due: datetime
    failed: bool
    reminder: ReminderPayload | None = None
    watch: WatchPayload | None = None

    def mentions(self, place: str) -> bool:
        """Whether it is about ``place`` (a watch's route, a reminder's trip)."""
        about = (
            self.watch.route if self.watch is not None else (self.reminder.place if self.reminder else None)
        )
        return bool(about) and place.casefold() in str(about).casefold()

    def describe(self, now: datetime) -> str:
        if self.watch is not None:
            threshold = self.watch.threshold.describe() + _unit(self.watch)
            text = f"{clean(self.watch.route, 120)}, at or under {threshold}"
            until = f" until {day_text(self.watch.until, now.date())}" if self.watch.until else ""
            when = f"checked daily{until}, next {moment(self.due, now)}"
        else:
            assert self.reminder is not None
            text = reminder_label(self.reminder) or "a reminder"
            when = moment(self.due, now)
        if self.failed:
            name = "watch" if self.kind == "watch" else "reminder"
            return (
                f"{text} — failed: it could not be delivered (say “cancel {name} {self.number}” to remove it)"
            )
        return f"{when}: {text}" if self.reminder is not None else f"{text} ({when})"


def moment(when: datetime, now: datetime) -> str:
    """'Tue, Jun 9 at 09:00 UTC' (with its seconds, when it has some and is less than an hour away)."""
    when = when.astimezone(UTC)
    clock = f"{when:%H:%M:%S}" if when.second and (when - now).total_seconds() < 3600 else f"{when:%H:%M}"
    return f"{day_text(when.date(), now.date())} at {clock} UTC"


def _span(days: int) -> str:
    if days % 7 == 0 and days:
        weeks = days // 7
        return "a week" if weeks == 1 else f"{weeks} weeks"
    return "a day" if days == 1 else f"{days} days"


def _unit(watch: WatchPayload) -> str:
    return " per person" if watch.tool == "flights" else " a night"


def _task(about: str | None) -> str:
    """'to pack' as a reminder says it: 'pack'."""
    if not about:
        return ""
    word, _, rest = about.partition(" ")
    return clean(rest if word.lower() in ("to", "that") and rest else about, 80)


def reminder_label(payload: ReminderPayload) -> str:
    """What a reminder is for, as a list shows it: 'to pack, a week before your trip to Rome (Tue, Jun 16)'
    (what a reminder set for a time of its own is for: its words only)."""
    parts = [clean(payload.about, 80)] if payload.about else []
    if payload.anchor is not None and payload.before is not None:
        trip = f"your trip to {clean(payload.place, 60)}" if payload.place else "your trip"
        day = day_text(payload.trip_date)
        if payload.anchor == "departure":
            relation = (
                f"the day {trip} starts" if payload.before == 0 else f"{_span(payload.before)} before {trip}"
            )
        else:
            back = f"you come back from {clean(payload.place, 60)}" if payload.place else "you come back"
            relation = f"the day {back}" if payload.before == 0 else f"{_span(payload.before)} before {back}"
        parts.append(f"{relation} ({day})")
    elif payload.place and payload.trip_date is not None:
        parts.append(f"before your trip to {clean(payload.place, 60)} ({day_text(payload.trip_date)})")
    return ", ".join(parts)


# --- reminders -----------------------------------------------------------------------------------------


def _what(about: str | None) -> str:
    """' to pack' / ' about the visa', as "I'll remind you ..." goes on."""
    if not about:
        return ""
    first = about.split(" ")[0].lower()
    return f" {clean(about, 80)}" if first in ("to", "about", "of", "that") else f" about {clean(about, 80)}"


def reminder_set_text(reminder: Reminder, now: datetime, *, existed: bool) -> str:
    label = reminder_label(reminder.payload.model_copy(update={"about": None}))
    when = moment(reminder.due, now) + (f", {label}" if label else "")
    if existed:
        return f"You already have that reminder: {when}."
    return (
        f"Done: I'll remind you{_what(reminder.payload.about)} here on {when}. "
        "Ask “what reminders do I have?” to see them all."
    )


def reminder_past_text(reminder: Reminder, now: datetime) -> str:
    label = reminder_label(reminder.payload.model_copy(update={"about": None}))
    return (
        f"That would be {moment(reminder.due, now)}{', ' + label if label else ''}, which has already "
        "passed, so I didn't set a reminder. Try another time, e.g. “remind me tomorrow at 9am”."
    )


def reminder_needs_text(missing: Missing, request: ReminderRequest) -> str:
    if missing == "when":
        return (
            "When should I remind you? For example “a week before we leave”, “on the morning we fly”, "
            "“on June 14” or “in 2 hours”."
        )
    if missing == "return":
        return "When do you come back? Tell me your return date and I'll set the reminder."
    days = request.days_before or 0
    when = "on the day you leave" if days == 0 else f"{_span(days)} before you leave"
    return (
        f"To remind you {when} I need your trip's dates: when do you leave (for example “June 3 to 10”)? "
        "I'll set the reminder as soon as I know."
    )


def reminder_message(payload: ReminderPayload, due: datetime) -> str:
    """What a fired reminder says in the conversation: "Reminder: pack. Your trip to Rome starts in 2
    days (Tue, Jun 16)." """
    task = _task(payload.about)
    trip = ""
    if payload.anchor is not None and payload.before is not None and payload.trip_date is not None:
        place = clean(payload.place, 60) if payload.place else None
        when = {0: "today", 1: "tomorrow"}.get(payload.before, f"in {_span(payload.before)}")
        day = day_text(payload.trip_date, due.date())
        if payload.anchor == "departure":
            trip = f"your trip{' to ' + place if place else ''} starts {when} ({day})."
        else:
            trip = f"you come back{' from ' + place if place else ''} {when} ({day})."
    elif payload.place and payload.trip_date is not None:
        trip = f"your trip to {clean(payload.place, 60)} starts on {day_text(payload.trip_date, due.date())}."
    if task:
        return f"Reminder: {task}." + (f" {trip[0].upper()}{trip[1:]}" if trip else "")
    return f"Reminder: {trip}" if trip else "Reminder, as you asked."


# --- watches -------------------------------------------------------------------------------------------


def watch_needs_text(missing: Missing) -> str:
    example = "“tell me if flights from Boston to Rome drop under 800”"
    if missing == "destination":
        return f"Which prices should I watch? Tell me where to, for example {example}."
    if missing == "origin":
        return f"Where would you fly from? For example {example}."
    return "Below what price should I tell you? For example “under 800” or “below €120 a night”."


def _offline(offline: bool) -> str:
    return f" ({OFFLINE_PRICES}.)" if offline else ""


def watch_started_text(watch: WatchPayload, price: Price, offline: bool, *, existed: bool) -> str:
    fixed = offline and watch.dated
    steady = " (Offline sample prices, not live quotes: for fixed dates they stay the same from day to day.)"
    now = f"The cheapest right now is {price.money.describe()}{_unit(watch)}." + (
        steady if fixed else _offline(offline)
    )
    target = f"at or under {watch.threshold.describe()}{_unit(watch)}"
    if existed:
        return f"I'm already watching {clean(watch.route, 120)} for you ({target}). {now}"
    return (
        f"I'll check {clean(watch.route, 120)} once a day and tell you here when the cheapest is {target}. "
        f"{now} Say “stop watching prices” to end it."
    )


def watch_met_text(watch: WatchPayload, price: Price, offline: bool) -> str:
    return (
        f"Good news: {clean(watch.route, 120)} are already at {price.money.describe()}{_unit(watch)}, at or "
        f"under your {watch.threshold.describe()}, so there's nothing to watch.{_offline(offline)}"
    )


def watch_unchecked_text(watch: WatchPayload, error: str | None) -> str:
    why = f" ({clean(error, 120)})" if error else ""
    return (
        f"I couldn't check {clean(watch.route, 120)} right now{why}, so I haven't set the watch. "
        "Please try again in a little while."
    )


def price_alert_text(watch: WatchPayload, price: Price, offline: bool) -> str:
    """What a triggered watch says in the conversation."""
    return (
        f"Price alert: {clean(watch.route, 120)} are now {price.money.describe()}{_unit(watch)}, at or under "
        f"your {watch.threshold.describe()}. I've stopped watching them.{_offline(offline)}"
    )


def watch_ended_text(watch: WatchPayload) -> str:
    if watch.dated:
        return f"I've stopped watching {clean(watch.route, 120)}: that date has passed."
    return (
        f"I've stopped watching {clean(watch.route, 120)} after {WATCH_DAYS} days without it reaching "
        f"{watch.threshold.describe()}{_unit(watch)}. Ask again to keep watching."
    )


# --- lists and cancelling ------------------------------------------------------------------------------


_TRY_REMINDER = "“remind me a week before we leave”"
_TRY_WATCH = "“tell me if flights to Rome drop under 800”"


def list_text(listed: Sequence[Listed], kind: AlertKind, now: datetime) -> str:
    """The reminders and/or price watches, numbered as "cancel reminder 2" names them."""
    reminders = [item for item in listed if item.kind == "reminder"]
    watches = [item for item in listed if item.kind == "watch"]
    if not listed and kind == "any":
        return f"You have no reminders or price watches. Try {_TRY_REMINDER} or {_TRY_WATCH}."
    lines: list[str] = []
    if kind != "watch":
        lines += (
            _section("Reminders", reminders, now)
            if reminders
            else [f"You have no reminders. Try {_TRY_REMINDER}."]
        )
    if kind != "reminder":
        if lines:
            lines.append("")
        lines += (
            _section("Price watches", watches, now)
            if watches
            else [f"You aren't watching any prices. Try {_TRY_WATCH}."]
        )
    if kind == "reminder" and watches:
        lines += ["", f"(You are also watching {len(watches)} price{'s' if len(watches) != 1 else ''}.)"]
    if kind == "watch" and reminders:
        lines += ["", f"(You also have {len(reminders)} reminder{'s' if len(reminders) != 1 else ''}.)"]
    return "\n".join(lines)


def _section(title: str, items: Sequence[Listed], now: datetime) -> list[str]:
    return [f"**{title}**", *(f"- {item.number}. {item.describe(now)}" for item in items)]


def cancelled_text(cancelled: Sequence[Listed], now: datetime) -> str:
    if len(cancelled) == 1:
        item = cancelled[0]
        what = "price watch" if item.kind == "watch" else "reminder"
        return f"Cancelled the {what}: {item.describe(now)}."
    lines = [f"Cancelled {len(cancelled)}:"] + [f"- {item.describe(now)}" for item in cancelled]
    return "\n".join(lines)


def too_many_text(most: int) -> str:
    return (
        f"You already have {most} reminders and price watches, as many as I keep for one trip. "
        "Cancel one first (“what reminders do I have?” lists them)."
    )


def nothing_to_cancel_text(kind: AlertKind) -> str:
    what = {"reminder": "reminders", "watch": "price watches", "any": "reminders or price watches"}[kind]
    return f"You have no {what} to cancel."


def which_one_text(candidates: Sequence[Listed], now: datetime) -> str:
    kinds = {item.kind for item in candidates}
    only = next(iter(kinds)) if len(kinds) == 1 else None
    noun = "watch" if only == "watch" else "reminder"
    every = {"reminder": "all reminders", "watch": "all price watches"}.get(
        only or "", "all reminders and watches"
    )
    example = next((item.number for item in candidates if item.kind == noun and item.number > 1), 1)
    lines = ["Which one should I cancel?"] + [
        f"- {'watch' if item.kind == 'watch' else 'reminder'} {item.number}: {item.describe(now)}"
        for item in candidates
    ]
    lines.append(f"Say “cancel {noun} {example}”, or “cancel {every}”.")
    return "\n".join(lines)
