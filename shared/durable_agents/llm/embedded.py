"""The embedded language model: deterministic, rule-based, offline, and fast.

Extraction first puts common misspellings right (:mod:`.spelling`), then reads the message in a fixed
order, each recogniser claiming the words it understands so the next cannot misread them: budget
(money), dates and months, trip length, travellers, places (with their roles and a multi-city trip's
stops), interests; the intent comes from cue words and what was found. Values out of range are
clamped and reported in :attr:`~.models.Extraction.warnings`. Planning and wording are the
deterministic :mod:`.planner` and :mod:`.composer`.
"""

from __future__ import annotations

from datetime import date

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
