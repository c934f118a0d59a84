"""The embedded language model: deterministic, rule-based, offline, and fast.

Extraction reads the message in a fixed order, each recogniser claiming the words it understands so
the next cannot misread them: budget (money), dates and months, trip length, travellers, places,
interests; the intent comes from cue words and what was found. Planning and wording are the
deterministic :mod:`.planner` and :mod:`.composer`.
"""

from __future__ import annotations

from datetime import date

from .composer import compose_answer
from .dates import read_dates
from .intents import classify, search_query
from .interests import read_interests
from .models import ComposeRequest, Extraction, Intent, PlannedCall, TravelSlots
from .money import read_budget
from .places import read_places
from .planner import plan_calls
from .text import Scanner
from .travellers import read_travellers


class EmbeddedLanguageModel:
    """A :class:`~.base.LanguageModel` that needs no network; the default provider."""

    def extract(self, message: str, *, known: TravelSlots, today: date) -> Extraction:
        scanner = Scanner(message)
        budget = read_budget(scanner)
        when = read_dates(scanner, today)
        travellers = read_travellers(scanner)
        destination, origin = read_places(scanner)
        interests = read_interests(scanner)
        slots = TravelSlots(
            destination=destination,
            origin=origin,
            departure_date=when.departure,
            return_date=when.return_,
            month=when.month,
            duration_days=when.duration_days,
            travellers=travellers,
            budget=budget,
            interests=interests,
        ).normalized()
        intent, confidence = classify(scanner.lower, slots, known)
        return Extraction(
            intent=intent,
            confidence=confidence,
            slots=slots,
            query=search_query(message) if intent is Intent.SEARCH else None,
            spans=sorted(scanner.spans, key=lambda span: span.start),
        )

    def plan(self, extraction: Extraction, slots: TravelSlots) -> list[PlannedCall]:
        return plan_calls(extraction, slots)

    def compose(self, request: ComposeRequest) -> str:
        return compose_answer(request)
