"""The embedded language model: deterministic, rule-based, offline, and fast.

Extraction first puts common misspellings right (:mod:`.spelling`), then reads the message in a fixed
order, each recogniser claiming the words it understands so the next cannot misread them: a request to
act later (:mod:`.alert_requests`: a reminder, a price watch, listing or cancelling them), then budget
(money), dates and months, trip length, travellers, places (with their roles and a multi-city trip's
stops), interests; the intent comes from cue words and what was found. A request to act later reads
only what it needs besides: a watch its route and dates, a cancellation the place it names. Values out
of range are clamped and reported in :attr:`~.models.Extraction.warnings`. Planning and wording are
the deterministic :mod:`.planner` and :mod:`.composer`.
"""

from __future__ import annotations

from datetime import date

from .alert_requests import AlertRequest, read_alert_request
from .composer import compose_answer
from .dates import read_dates
from .intents import classify, search_query
from .interests import read_interests
from .models import MAX_PARTY, ComposeRequest, Extraction, Intent, PlannedCall, TravelSlots
from .money import read_budget
from .places import read_places
from .planner import plan_calls
from .spelling import correct
from .text import Scanner
from .travellers import read_travellers


class EmbeddedLanguageModel:
    """A :class:`~.base.LanguageModel` that needs no network; the default provider."""

    def extract(
        self, message: str, *, known: TravelSlots, today: date, asked: tuple[str, ...] = ()
    ) -> Extraction:
        scanner = Scanner(correct(message))
        later = read_alert_request(scanner, known, today)
        if later is not None:
            return _alert_extraction(scanner, later, known, today, asked)
        budget = read_budget(scanner, known.budget.currency if known.budget else "USD")
        when = read_dates(scanner, today)
        travellers, clamped = read_travellers(scanner)
        warnings = [
            f"I plan for at most {MAX_PARTY} adults and {MAX_PARTY} children, so I used that."
        ] * clamped
        places = read_places(scanner, known, asked)
        interests = read_interests(scanner)
        duration = when.duration_days
        slots = TravelSlots(
            destination=places.destination,
            origin=places.origin,
            departure_date=when.departure,
            return_date=when.return_,
            month=when.month,
            duration_days=duration,
            travellers=travellers,
            budget=budget,
            interests=interests,
            stops=places.stops,
        ).normalized()
        intent, confidence = classify(scanner.lower, slots, known, correction=bool(places.negated))
        return Extraction(
            intent=intent,
            confidence=confidence,
            slots=slots,
            query=search_query(message) if intent is Intent.SEARCH else None,
            spans=sorted(scanner.spans, key=lambda span: span.start),
            warnings=warnings,
        )

    def plan(self, extraction: Extraction, slots: TravelSlots) -> list[PlannedCall]:
        return plan_calls(extraction, slots)

    def compose(self, request: ComposeRequest) -> str:
        return compose_answer(request)


def _alert_extraction(
    scanner: Scanner, later: AlertRequest, known: TravelSlots, today: date, asked: tuple[str, ...]
) -> Extraction:
    """A reminder, price watch, list or cancel request: a watch's route and dates, or the place a
    cancellation names, are its slots; a reminder and a list have none."""
    slots = TravelSlots()
    if later.intent in (Intent.WATCH_PRICE, Intent.CANCEL_ALERTS):
        when = read_dates(scanner, today) if later.intent is Intent.WATCH_PRICE else None
        places = read_places(scanner, known, asked)
        slots = TravelSlots(
            destination=places.destination,
            origin=places.origin,
            departure_date=when.departure if when else None,
            return_date=when.return_ if when else None,
            month=when.month if when else None,
            duration_days=when.duration_days if when else None,
        ).normalized()
    return Extraction(
        intent=later.intent,
        confidence=later.confidence,
        slots=slots,
        reminder=later.reminder,
        watch=later.watch,
        alerts=later.selection,
        spans=sorted(scanner.spans, key=lambda span: span.start),
    )
