"""The language layer's data: trip slots, intents, extractions, tool plans and compose requests.

Every model is pydantic v2, snake_case in Python and camelCase in JSON (``model_dump(by_alias=True)``);
both spellings are accepted on input. ``None`` always means "not mentioned / not known".
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

Interest = Literal[
    "museums",
    "food",
    "nightlife",
    "beaches",
    "hiking",
    "history",
    "art",
    "shopping",
    "nature",
    "architecture",
    "family",
    "culture",
    "adventure",
    "wellness",
    "wine",
    "sports",
    "music",
]
"""The fixed interest vocabulary (the attractions tool filters on these)."""

INTERESTS: tuple[Interest, ...] = get_args(Interest)

PlaceKind = Literal["city", "country", "region"]

MAX_NAME = 80
"""Longest place name kept (names go into prompts and answers: no unbounded text)."""
MAX_PARTY = 20
"""Most travellers of each kind a plan is made for (larger counts are clamped, and the user told)."""
MAX_BUDGET = 10_000_000
"""Largest budget amount kept."""
MAX_STOPS = 6
MAX_INTERESTS = 8


def clip_text(value: Any, limit: int) -> Any:
    """A string cut to ``limit`` characters (other values unchanged)."""
    return value[:limit].strip() if isinstance(value, str) and len(value) > limit else value


def clamp(value: Any, low: int, high: int) -> Any:
    """An int-like value clamped to ``[low, high]`` (other values unchanged, for the validator to judge)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return min(max(int(value), low), high)


ToolName = Literal["weather", "flights", "hotels", "attractions", "search"]
"""The tools the travel agent can call."""

MissingSlot = Literal["destination", "origin", "dates"]
"""A slot a request still needs: ``dates`` is satisfied by a departure date, a month or a duration."""


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def place_query(name: str, region: str | None, country: str | None) -> str:
    """The name a tool resolves back to one place: qualified by its state or region, else by its country
    ('Paris, Texas', 'Paris, FR'), never the bare name another place may also have."""
    if region and region not in name:
        return f"{name}, {region}"
    return f"{name}, {country}" if country else name


class Place(_Model):
    """A place resolved against the gazetteer: a city (with its main airport) or a country (its gateway).

    ``lat``/``lon`` are those of the airport in ``iata``, a close-enough point for weather and maps.
    """

    name: str = Field(min_length=1, max_length=MAX_NAME, description="Display name, e.g. 'Paris' or 'Japan'.")
    iata: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="Main airport, e.g. 'CDG'.")
    city: str | None = Field(default=None, max_length=MAX_NAME, description="City name; null for a country.")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    region: str | None = Field(
        default=None, max_length=MAX_NAME, description="State, province or region, e.g. 'Maine'."
    )
    kind: PlaceKind = Field(default="city", description="A city, or a country or region to pick towns in.")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("name", "city", "region", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return clip_text(value, MAX_NAME)

    def label(self) -> str:
        """The name with its state or region when it has one: 'Portland, Maine'."""
        return f"{self.name}, {self.region}" if self.region and self.region not in self.name else self.name

    def query(self) -> str:
        """The name a tool resolves back to this very place (see :func:`place_query`)."""
        return place_query(self.name, self.region, self.country)


class Stop(Place):
    """One place of a multi-stop trip, with the nights spent there when the user said."""

    nights: int | None = Field(default=None, ge=1, le=60)


class Travellers(_Model):
    """Who travels. Each count is ``None`` when not stated, so "with 2 kids" keeps a known adult count.

    "4 people" sets ``adults=4, children=0``: a total with no children mentioned counts everyone as adult.
    """

    adults: int | None = Field(default=None, ge=1, le=MAX_PARTY)
    children: int | None = Field(default=None, ge=0, le=MAX_PARTY)

    @field_validator("adults", mode="before")
    @classmethod
    def _adults(cls, value: Any) -> Any:
        return clamp(value, 1, MAX_PARTY)

    @field_validator("children", mode="before")
    @classmethod
    def _children(cls, value: Any) -> Any:
        return clamp(value, 0, MAX_PARTY)

    @property
    def total(self) -> int:
        """Number of travellers, counting an unstated adult count as one adult."""
        return (self.adults or 1) + (self.children or 0)

    def merge(self, update: Travellers) -> Travellers:
        return Travellers(
            adults=update.adults if update.adults is not None else self.adults,
            children=update.children if update.children is not None else self.children,
        )

    def describe(self) -> str:
        adults = self.adults or 1
        text = f"{adults} adult{'s' if adults != 1 else ''}"
        if self.children:
            text += f", {self.children} child{'ren' if self.children != 1 else ''}"
        return text


class Money(_Model):
    """An amount in an ISO 4217 currency (a budget is the trip's total spend cap)."""

    amount: float = Field(gt=0, le=MAX_BUDGET)
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > MAX_BUDGET:
            return MAX_BUDGET
        return value

    def describe(self) -> str:
        amount = f"{self.amount:,.0f}" if self.amount == int(self.amount) else f"{self.amount:,.2f}"
        symbol = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}.get(self.currency)
        return f"{symbol}{amount}" if symbol else f"{amount} {self.currency}"


class Intent(StrEnum):
    """What the user wants from this message."""

    PLAN_TRIP = "plan_trip"
    FIND_FLIGHTS = "find_flights"
    FIND_HOTELS = "find_hotels"
    WEATHER = "weather"
    ATTRACTIONS = "attractions"
    SEARCH = "search"
    """A general travel question (visas, currency, safety, ...) answered by web search."""
    GREETING = "greeting"
    """Hello, thanks (or another acknowledgement: "great", "ok cool"), goodbye."""
    UPDATE_DETAILS = "update_details"
    """The message only adds or changes trip details ("make it 4 people")."""
    SUGGEST = "suggest"
    """An open request without a destination ("somewhere warm in December"): ranked suggestions."""
    CHEAPER = "cheaper"
    """A follow-up asking for cheaper choices for the trip in hand."""
    BUDGET_CHECK = "budget_check"
    """A follow-up asking whether the plan fits the budget, or what it costs."""
    FOOD = "food"
    """Where and what to eat at the destination."""
    TRANSPORT = "transport"
    """Getting around the destination (and from its airport)."""
    SHOW_PLAN = "show_plan"
    """Show the whole current plan again."""
    RECAP = "recap"
    """A question about the trip in hand ("what do you have so far?", "what changed?"): a short recap
    from the trip (destination, dates, party, budget, total), never a search."""
    REMIND = "remind"
    """A reminder for later: "remind me a week before we leave", "remind me to pack on the 14th"."""
    WATCH_PRICE = "watch_price"
    """Watch flight or hotel prices daily and say when they reach a threshold ("tell me if flights to
    Rome drop under 800")."""
    LIST_ALERTS = "list_alerts"
    """What reminders and price watches are set ("what reminders do I have?", "what am I watching?")."""
    CANCEL_ALERTS = "cancel_alerts"
    """Cancel reminders or price watches ("cancel the reminder", "stop watching prices")."""
    UNKNOWN = "unknown"


ALERT_INTENTS = frozenset({Intent.REMIND, Intent.WATCH_PRICE, Intent.LIST_ALERTS, Intent.CANCEL_ALERTS})
"""The intents about reminders and price watches (alerts): they never change the trip's slots."""


class TravelSlots(_Model):
    """Everything known about the trip. A field is ``None`` (or empty) until the user states it."""

    destination: Place | None = None
    origin: Place | None = None
    departure_date: date | None = None
    return_date: date | None = None
    month: int | None = Field(default=None, ge=1, le=12, description="Travel month when no date is given.")
    duration_days: int | None = Field(
        default=None, ge=1, le=366, description="Length of the trip in days (= nights away)."
    )
    travellers: Travellers | None = None
    budget: Money | None = None
    interests: list[Interest] = Field(default_factory=list, max_length=MAX_INTERESTS)
    stops: list[Stop] = Field(
        default_factory=list,
        max_length=MAX_STOPS,
        description="A multi-city trip's places in order (empty for one destination; else the first).",
    )

    @field_validator("interests", mode="before")
    @classmethod
    def _interests(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in dict.fromkeys(value) if item in INTERESTS][:MAX_INTERESTS]
        return value

    @field_validator("stops", mode="before")
    @classmethod
    def _stops(cls, value: Any) -> Any:
        return value[:MAX_STOPS] if isinstance(value, list) else value

    def is_empty(self) -> bool:
        return self == TravelSlots()

    def has_dates(self) -> bool:
        """A departure date, a month or a duration: enough to price hotels."""
        return self.departure_date is not None or self.month is not None or self.duration_days is not None

    def missing(self, intent: Intent) -> list[MissingSlot]:
        """The slots ``intent`` still needs, most important first.

        A destination is needed by every trip intent; flights also need an origin; hotels (and a full
        trip plan, which includes them) need dates, a month or a duration.
        """
        needs: dict[Intent, tuple[MissingSlot, ...]] = {
            Intent.PLAN_TRIP: ("destination", "origin", "dates"),
            Intent.UPDATE_DETAILS: ("destination", "origin", "dates"),
            Intent.FIND_FLIGHTS: ("destination", "origin"),
            Intent.FIND_HOTELS: ("destination", "dates"),
            Intent.WEATHER: ("destination",),
            Intent.ATTRACTIONS: ("destination",),
            Intent.FOOD: ("destination",),
            Intent.TRANSPORT: ("destination",),
        }
        present: dict[MissingSlot, bool] = {
            "destination": self.destination is not None,
            "origin": self.origin is not None,
            "dates": self.has_dates(),
        }
        return [slot for slot in needs.get(intent, ()) if not present[slot]]

    def trip_end(self) -> date | None:
        """The return date, or departure + duration when only those are known."""
        if self.return_date is not None:
            return self.return_date
        if self.departure_date is not None and self.duration_days is not None:
            return self.departure_date + timedelta(days=self.duration_days)
        return None

    def merge(self, update: TravelSlots) -> TravelSlots:
        """These slots with ``update``'s stated values on top; the result stays coherent.

        Per slot, a value in ``update`` replaces the old one and ``None`` keeps it (travellers merge per
        count; interests accumulate). Dates are kept consistent: new dates drop an old month and vice
        versa, a new duration moves the return date, and a new departure keeps the trip length.
        """
        merged = self.model_copy(deep=True)
        for name in ("destination", "origin", "budget"):
            value = getattr(update, name)
            if value is not None:
                setattr(merged, name, value.model_copy())
        if update.stops:
            merged.stops = [stop.model_copy() for stop in update.stops]
            merged.destination = Place.model_validate(update.stops[0].model_dump(exclude={"nights"}))
        elif update.destination is not None:
            merged.stops = []
        if update.travellers is not None:
            merged.travellers = (self.travellers or Travellers()).merge(update.travellers)
        merged.interests = list(dict.fromkeys([*self.interests, *update.interests]))

        new_dates = update.departure_date is not None or update.return_date is not None
        if update.month is not None and not new_dates:
            merged.month, merged.departure_date, merged.return_date = update.month, None, None
        elif new_dates:
            merged.month = update.month
        if update.duration_days is not None:
            merged.duration_days = update.duration_days
        if update.departure_date is not None:
            merged.departure_date = update.departure_date
            merged.return_date = update.return_date
        elif update.return_date is not None:
            merged.return_date = update.return_date
        return merged.normalized(keep_length=update.duration_days is None)

    def normalized(self, *, keep_length: bool = True) -> TravelSlots:
        """Derive what follows from the dates: duration from a date range (or from the nights of every
        stop of a multi-city trip), return from a duration.

        With ``keep_length`` a known duration wins over a stale return date (a moved departure keeps
        the trip's length); a return date before the departure is dropped.
        """
        slots = self.model_copy()
        if slots.stops and all(stop.nights for stop in slots.stops) and slots.return_date is None:
            slots.duration_days = min(sum(stop.nights or 0 for stop in slots.stops), 366)
        dep, ret = slots.departure_date, slots.return_date
        if dep is not None and ret is not None and ret <= dep:
            slots.return_date = ret = None
        if dep is not None and slots.duration_days is not None and (ret is None or not keep_length):
            slots.return_date = dep + timedelta(days=slots.duration_days)
        elif dep is not None and ret is not None:
            slots.duration_days = (ret - dep).days
        return slots


class ReminderRequest(_Model):
    """When to remind, and of what: ``days_before`` the trip's departure (or its return), a date of its
    own, or a delay. The time of day is UTC; the agent picks one when none is given."""

    days_before: int | None = Field(
        default=None,
        ge=0,
        le=365,
        description="Days before the trip's departure (0 = that day): 'a week before we leave' is 7, "
        "'the morning we fly' is 0.",
    )
    before_return: bool = Field(
        default=False, description="days_before counts from the trip's return ('the day before we fly home')."
    )
    on_date: date | None = Field(
        default=None,
        description="A date of its own ('on June 14', 'tomorrow'); 'the 14th' is the last 14th on or before "
        "the trip's departure (the next one without dates). Never in the past.",
    )
    in_seconds: int | None = Field(
        default=None, ge=1, le=366 * 86_400, description="A delay from now: 'in 2 hours' is 7200."
    )
    hour: int | None = Field(default=None, ge=0, le=23, description="Hour of the day (UTC) when stated.")
    minute: int | None = Field(default=None, ge=0, le=59, description="Minute, with hour.")
    about: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="What it is for, in the user's words from 'to', 'about' or 'that' on: 'to pack', "
        "'about the visa'.",
    )

    @field_validator("about", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return clip_text(value, MAX_NAME)


class PriceWatchRequest(_Model):
    """A price to watch for. The route and dates watched are the extraction's slots (destination,
    origin, dates), falling back to the trip's."""

    tool: Literal["flights", "hotels"] = Field(
        default="flights", description="flights (per person) or hotels (per night)."
    )
    below: Money | None = Field(
        default=None,
        description="Tell the user when the price is at or under this amount (no currency: the trip's "
        "budget currency, else USD).",
    )


AlertKind = Literal["reminder", "watch", "any"]


class AlertSelection(_Model):
    """Which reminders or price watches a list or cancel request means."""

    kind: AlertKind = Field(default="any", description="reminders, price watches, or both.")
    every: bool = Field(
        default=False, description="All of them: 'cancel all reminders', 'stop watching prices'."
    )
    number: int | None = Field(
        default=None, ge=1, le=20, description="The one with this number in the list: 'cancel reminder 2'."
    )


class Span(_Model):
    """Where in the message a slot value was found (embedded engine only)."""

    slot: str
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Extraction(_Model):
    """What one message says: its intent and only the slots it mentions."""

    intent: Intent
    confidence: float = Field(ge=0, le=1, description="How sure the intent is, 0-1.")
    slots: TravelSlots = Field(
        default_factory=TravelSlots,
        description="Only the trip details this message states or changes. For watch_price: the route and "
        "dates watched (not a change to the trip, and no budget); for cancel_alerts: the place of the watch "
        "meant, if named; for remind and list_alerts: nothing.",
    )
    query: str | None = Field(
        default=None, description="For a search intent: the question to look up, without filler words."
    )
    reminder: ReminderRequest | None = Field(default=None, description="For remind: when and what for.")
    watch: PriceWatchRequest | None = Field(default=None, description="For watch_price: what and below what.")
    alerts: AlertSelection | None = Field(
        default=None, description="For list_alerts and cancel_alerts: which ones."
    )
    spans: SkipJsonSchema[list[Span]] = Field(default_factory=list)
    warnings: SkipJsonSchema[list[str]] = Field(
        default_factory=list, description="Values clamped or ignored, to tell the user about."
    )


class PlannedCall(_Model):
    """One tool call the agent should make; arguments are JSON-ready (dates as ISO strings)."""

    tool: ToolName
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolResult(_Model):
    """A tool call's outcome as the composer sees it. ``data`` is untrusted third-party content.

    ``source`` may also be given as the tool layer's source object (``name, url, offline, note``): it
    is flattened into ``source`` (the name), ``offline`` and ``note``. A result is offline sample data
    when flagged so, when ``source`` mentions "offline", or when ``data`` has ``"offline": true``.
    """

    tool: ToolName
    ok: bool
    data: Any = None
    source: str | None = Field(default=None, description="The provider's name.")
    offline: bool = Field(default=False, description="Offline sample or estimated data, not live.")
    note: str | None = Field(default=None, description="The provider's caveat about this data.")
    error: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_source(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("source"), dict):
            source = value["source"]
            value = {
                **value,
                "source": source.get("name"),
                "offline": bool(value.get("offline") or source.get("offline")),
                "note": value.get("note") or source.get("note") or None,
            }
        return value

    @model_validator(mode="after")
    def _detect_offline(self) -> ToolResult:
        flagged = isinstance(self.data, dict) and self.data.get("offline") is True
        if flagged or "offline" in (self.source or "").lower():
            self.offline = True
        return self


class ComposeRequest(_Model):
    """Everything the answer is written from."""

    message: str
    intent: Intent
    slots: TravelSlots = Field(description="The merged slots of the conversation so far.")
    missing: list[MissingSlot] = Field(default_factory=list)
    tool_results: list[ToolResult] = Field(default_factory=list)
