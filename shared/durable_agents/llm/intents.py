"""What a message asks for, from its cue words and the slots it states.

In order: a bare greeting or thanks; an explicit planning verb ("plan", "itinerary"); the one tool named
(flights, hotels, weather, things to do; two or more named means a whole trip); a general travel
question (visas, currency, safety, "best time to visit"); trip words ("trip", "vacation", "visit");
then a message that only states details (an update when something is already known or a change word
is used, a trip when it names a destination); then any other question (a search); else unknown.
"""

from __future__ import annotations

import re

from .models import Intent, TravelSlots

_GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|howdy|greetings|yo|hola|bonjour|good\s+(?:morning|afternoon|evening)|"
    r"thanks?(?:\s+you)?|thank\s+you(?:\s+so\s+much)?|thx|cheers|bye|goodbye|see\s+you)"
    r"(?:\s+(?:there|again|everyone|so\s+much|a\s+lot))?\W*$"
    r"|^\W*(?:what\s+can\s+you\s+do|who\s+are\s+you|help)\W*$"
)
_GREETING_START = re.compile(r"^\W*(?:hi|hello|hey|hiya|howdy|good\s+(?:morning|afternoon|evening))\b\W*")
_PLAN_VERB = re.compile(r"\b(?:plan|planning|itinerary|itineraries|organi[sz]e)\b")
_TOOLS: dict[Intent, re.Pattern[str]] = {
    Intent.WEATHER: re.compile(
        r"\b(?:weather|forecast|temperatures?|rain(?:ing|y)?|snow(?:ing)?|sunny|humid(?:ity)?|climate|"
        r"how\s+(?:hot|cold|warm)|degrees)\b"
    ),
    Intent.FIND_FLIGHTS: re.compile(
        r"\b(?:flights?|fly|flying|airfares?|fares?|plane\s+tickets?|air\s+tickets?|airlines?|non-?stop|"
        r"layovers?|round[- ]trip|one[- ]way)\b"
    ),
    Intent.FIND_HOTELS: re.compile(
        r"\b(?:hotels?|accomm?odations?|lodging|hostels?|airbnbs?|places?\s+to\s+stay|where\s+to\s+stay|"
        r"somewhere\s+to\s+stay|where\s+(?:should|can|could|shall)\s+(?:i|we)\s+stay|resorts?|b&b|bed\s+and\s+breakfast|guest\s?houses?|motels?|rooms?)\b"
    ),
    Intent.ATTRACTIONS: re.compile(
        r"\b(?:things\s+to\s+do|what\s+to\s+(?:do|see)|attractions?|sights|sightseeing|must[- ]sees?|"
        r"landmarks?|activities|tours?|places\s+to\s+(?:visit|see|go)|worth\s+(?:visiting|seeing)|"
        r"what\s+(?:is\s+there|can\s+(?:i|we))\s+(?:to\s+)?(?:do|see)|"
        r"(?:best|good|top|recommend\w*)\s+(?:\w+\s+)?(?:museums|restaurants|beaches|bars|galleries|parks|spots))\b"
    ),
}
_SEARCH = re.compile(
    r"\b(?:search|look\s+up|google|visas?|passports?|currency|exchange\s+rates?|safe|safety|vaccin\w*|"
    r"tipping|tip|plugs?|adapters?|languages?|entry\s+requirements|customs|time\s*zone|best\s+time|"
    r"cost\s+of\s+living|public\s+transport|insurance|sim\s+card|esim)\b"
)
_TRIP = re.compile(
    r"\b(?:trip|trips|vacation|vacay|holidays?|getaway|travel(?:l?ing)?|visit(?:ing)?|go\s+to|going\s+to|"
    r"head(?:ing)?\s+to|honeymoon|journey|escape|break)\b"
)
_CHANGE = re.compile(
    r"\b(?:make\s+it|change|actually|instead|update|switch|rather|correction|also|now|add)\b"
)
_QUESTION = re.compile(r"\?\s*$|^\W*(?:what|which|who|where|when|why|how|is|are|do|does|can|should)\b")
_FILLER = re.compile(
    r"^\W*(?:(?:hi|hello|hey)\W+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:search(?:\s+the\s+web)?\s+for|look\s+up|google|find\s+out|tell\s+me)?\s*",
    re.IGNORECASE,
)


def classify(text: str, slots: TravelSlots, known: TravelSlots) -> tuple[Intent, float]:
    """The intent of lower-cased ``text`` and a confidence, given the slots it states and those known."""
    if _GREETING.match(text):
        return Intent.GREETING, 0.95
    body = _GREETING_START.sub("", text)
    if _PLAN_VERB.search(body):
        return Intent.PLAN_TRIP, 0.9
    named = [intent for intent, pattern in _TOOLS.items() if pattern.search(body)]
    if len(named) == 1:
        return named[0], 0.9
    if named:
        return Intent.PLAN_TRIP, 0.8
    if _SEARCH.search(body):
        return Intent.SEARCH, 0.75
    if _TRIP.search(body):
        return Intent.PLAN_TRIP, 0.8
    if not slots.is_empty():
        if _CHANGE.search(body) or not known.is_empty():
            return Intent.UPDATE_DETAILS, 0.8
        if slots.destination is not None:
            return Intent.PLAN_TRIP, 0.7
        return Intent.UPDATE_DETAILS, 0.6
    if _QUESTION.search(body):
        return Intent.SEARCH, 0.5
    return Intent.UNKNOWN, 0.2


def search_query(message: str) -> str:
    """``message`` without polite filler ("can you search for ..."), for a web search."""
    stripped = _FILLER.sub("", message.strip(), count=1).strip()
    return stripped or message.strip()
