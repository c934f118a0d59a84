"""What a message asks for, from its cue words and the slots it states.

In order: a bare greeting or thanks, or an acknowledgement made only of such words ("great, thanks",
"ok cool", "perfect"); the follow-ups about the trip in hand (show the plan again, something cheaper,
does it fit the budget or is it enough, a recap: "what do you have so far?", "what changed?"); an open
request without a destination ("somewhere warm
in December": suggestions); food and getting around; an explicit planning verb ("plan", "itinerary");
a correction ("no, ...", "not X"); the one tool named
(flights, hotels, weather, things to do; two or more named means a whole trip); a general travel
question (visas, currency, safety, "best time to visit"); trip words ("trip", "vacation", "visit");
then a message that only states details (an update when something is already known or a change word
is used, a trip when it names a destination); then any other question: with a trip in hand, a recap
when it refers to the trip ("how does that look?") and unknown otherwise (the agent asks back; the
user's words are never searched), a search when nothing is known; else unknown.
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
_SHOW_PLAN = re.compile(
    r"\b(?:show|see|give|send|print|display|repeat)\b.{0,25}\b(?:plan|itinerary|trip|"
    r"everything|it all)\b|\bwhat(?:'s| is)\s+the\s+(?:full\s+|whole\s+)?(?:plan|itinerary)\b|"
    r"\b(?:full|whole|complete)\s+(?:plan|itinerary)\s+(?:again|please)\b"
)
_CHEAPER = re.compile(
    r"\b(?:cheaper|cheapest|less\s+expensive|too\s+(?:expensive|pricey|much)|lower\s+(?:the\s+)?(?:cost|price)|"
    r"save\s+(?:some\s+)?money|more\s+affordable|budget\s+option|cut\s+(?:the\s+)?costs?)\b"
)
_BUDGET_CHECK = re.compile(
    r"\b(?:within|in|under|over|fit|fits|exceed\w*|blow\w*|stay\w*\s+in)\s+(?:the\s+|our\s+|my\s+)?budget\b|"
    r"\bhow\s+much\b.{0,30}\b(?:cost|total|spend|be|is\s+it|altogether)\b|"
    r"\bwhat(?:'s| is| does)\s+(?:the|it|that)\s+"
    r"(?:total|cost|come\s+to)\b|\bcan\s+(?:we|i)\s+afford\b|\btotal\s+cost\b|\bhow\s+much\s+(?:is\s+)?(?:left|over)\b|"
    r"\b(?:is|will|would|was)\s+(?:that|it|this)\s+(?:be\s+)?enough\b|\benough\s+(?:money|cash|budget)\b"
)
_RECAP = re.compile(
    r"\b(?:recap|summary|summari[sz]e|sum(?:\s+(?:it|that|this|everything))?(?:\s+all)?\s+up|overview|"
    r"so\s+far|where\s+(?:are\s+we|do\s+we\s+stand|did\s+we\s+get)|"
    r"what\s+(?:has\s+|have\s+)?changed|what\s+did\s+you\s+change|what(?:'s|\s+is)\s+(?:different|new))\b"
)
"""A question about the trip in hand, said in so many words: answered with a recap of the trip."""
_ABOUT_TRIP = re.compile(r"\b(?:it|that|this|trip|plan|itinerary|everything|overall|all)\b")
"""A reference to the trip in hand: a question with one, when a trip is known, asks about the trip."""
_ACKNOWLEDGE = frozenset(
    "thanks thank thx ty ta cheers great perfect cool nice lovely awesome brilliant excellent wonderful "
    "fantastic amazing super sweet good fine ok okay k kk alright noted appreciated appreciate helpful "
    "useful splendid gotcha grand".split()
)
"""Words that acknowledge an answer; a message of these and :data:`_ACK_FILLER` only is a thank-you."""
_ACK_FILLER = frozenset(
    "you so much a lot very really that's thats that is it this sounds looks got all right many just oh "
    "ah wow indeed again for the help".split()
)
_WORDS = re.compile(r"[a-z']+")
_SUGGEST = re.compile(
    r"\b(?:somewhere|anywhere|some\s+place|someplace|where\s+(?:should|could|can|shall)\s+(?:i|we)\s+(?:go|travel|head)|"
    r"where(?:'s| is)\s+(?:warm|hot|sunny|cheap|nice|good)|suggest\w*|ideas?\s+for|any\s+ideas|"
    r"recommend\s+(?:a|some)\s+"
    r"(?:place|destination|city|beach)|destination\s+ideas|where\s+to\s+go)\b"
)
_FOOD = re.compile(
    r"\b(?:where\s+(?:should|can|could|do|shall)\s+(?:we|i)\s+(?:eat|dine|have\s+(?:dinner|lunch))|restaurants?|"
    r"places?\s+to\s+eat|local\s+(?:food|dishes|cuisine|specialit(?:y|ies))|what\s+(?:should|to)\s+(?:we\s+|i\s+)?eat|"
    r"(?:good|best)\s+(?:food|tapas|sushi|pizza|pasta)|eat(?:ing)?\s+out|foodie\s+spots?|dinner\s+spots?|street\s+food\s+where)\b"
)
_TRANSPORT = re.compile(
    r"\b(?:get(?:ting)?\s+around|get\s+from\s+the\s+airport|from\s+the\s+airport\s+to|airport\s+transfers?|"
    r"public\s+transport(?:ation)?|metro|subway|underground|tube|trams?|buses|bus\s+pass|taxis?|uber|"
    r"transit|travel\s+pass|how\s+(?:do|can|should|would)\s+(?:we|i)\s+get\s+(?:there|from|into|to\s+the\s+"
    r"(?:city|centre|center|hotel|old\s+town)))\b"
)
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
        r"what\s+(?:is\s+there|can\s+(?:i|we)|should\s+(?:i|we)|could\s+(?:i|we))\s+(?:to\s+)?(?:do|see)|"
        r"what(?:'s|\s+is)\s+there\s+to\s+(?:do|see)|"
        r"tell\s+me\s+about|"
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
    r"head(?:ing)?\s+to|honeymoon|journey|escape|break|thinking\s+(?:of|about)|considering|"
    r"(?:i'd|we'd|i|we)\s+(?:would\s+)?(?:like|love|want)\s+to)\b"
)
_CHANGE = re.compile(
    r"\b(?:make\s+it|change|actually|instead|update|switch|rather|correction|also|now|add|bump|raise|"
    r"increase|lower|reduce|move|not|no|sorry|meant)\b"
)
_QUESTION = re.compile(r"\?\s*$|^\W*(?:what|which|who|where|when|why|how|is|are|do|does|can|should)\b")
_FILLER = re.compile(
    r"^\W*(?:(?:hi|hello|hey)\W+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:search(?:\s+the\s+web)?\s+for|look\s+up|google|find\s+out|tell\s+me)?\s*",
    re.IGNORECASE,
)


def classify(
    text: str, slots: TravelSlots, known: TravelSlots, *, correction: bool = False
) -> tuple[Intent, float]:
    """The intent of lower-cased ``text`` and a confidence, given the slots it states and those known.

    ``correction``: the message corrects an earlier detail ("not Dallas", "no, ..."): it updates the
    trip unless it asks for something else.
    """
    if _GREETING.match(text):
        return Intent.GREETING, 0.95
    if slots.is_empty() and acknowledges(text):
        return Intent.GREETING, 0.9
    body = _GREETING_START.sub("", text)
    if _SHOW_PLAN.search(body):
        return Intent.SHOW_PLAN, 0.9
    if _CHEAPER.search(body) and slots.destination is None:
        return Intent.CHEAPER, 0.85
    if _BUDGET_CHECK.search(body) and (slots.budget is None or _QUESTION.search(body)):
        return Intent.BUDGET_CHECK, 0.85  # "is that within budget? we have 6000 dollars" too
    if _RECAP.search(body) and slots.is_empty():
        return Intent.RECAP, 0.85
    if _SUGGEST.search(body) and slots.destination is None and not slots.stops:
        return Intent.SUGGEST, 0.85
    if _FOOD.search(body):
        return Intent.FOOD, 0.85
    if _TRANSPORT.search(body):
        return Intent.TRANSPORT, 0.85
    if _PLAN_VERB.search(body):
        return Intent.PLAN_TRIP, 0.9
    if (correction or _CORRECTION_START.match(body)) and not slots.is_empty():
        return Intent.UPDATE_DETAILS, 0.85
    named = [intent for intent, pattern in _TOOLS.items() if pattern.search(body)]
    if slots.stops and named in ([], [Intent.FIND_FLIGHTS]):
        return Intent.PLAN_TRIP, 0.85  # "fly from Boston to Paris then on to Rome": a multi-city trip
    if named == [Intent.ATTRACTIONS] and _trip_details(slots) and not _WHAT_TO_DO.search(body):
        return Intent.PLAN_TRIP, 0.8  # "museums and food in Vienna for 3 days": a trip with interests
    if len(named) == 1:
        return named[0], 0.9
    if named:
        return Intent.PLAN_TRIP, 0.8
    if _SEARCH.search(body):
        return Intent.SEARCH, 0.75
    if _TRIP.search(body):
        return Intent.PLAN_TRIP, 0.8
    if _is_route(slots) and _CODE_ROUTE.search(body) and not _CHANGE.search(body):
        return Intent.FIND_FLIGHTS, 0.75  # "lax to ord", "JFK to LHR next friday"
    if (
        slots.interests
        and slots.destination is not None
        and not _trip_details(slots)
        and not _CHANGE.search(body)
    ):
        return Intent.ATTRACTIONS, 0.75  # "art galleries in Florence"
    if not slots.is_empty():
        if _CHANGE.search(body) or not known.is_empty():
            return Intent.UPDATE_DETAILS, 0.8
        if slots.destination is not None:
            return Intent.PLAN_TRIP, 0.7
        return Intent.UPDATE_DETAILS, 0.6
    if _QUESTION.search(body):
        if known.is_empty():
            return Intent.SEARCH, 0.5
        if _ABOUT_TRIP.search(body):
            return Intent.RECAP, 0.6  # "how does that look?" with a trip in hand
        return Intent.UNKNOWN, 0.3  # with a trip in hand the agent asks back rather than search the words
    return Intent.UNKNOWN, 0.2


def acknowledges(text: str) -> bool:
    """``text`` (lower case) only thanks or acknowledges ("great, thanks", "ok cool", "perfect")."""
    if any(char.isdigit() for char in text):
        return False
    words = _WORDS.findall(text[:200].replace("\u2019", "'"))
    return (
        0 < len(words) <= 8
        and all(word in _ACKNOWLEDGE or word in _ACK_FILLER for word in words)
        and any(word in _ACKNOWLEDGE for word in words)
    )


_WHAT_TO_DO = re.compile(r"\b(?:things\s+to\s+do|what\s+to\s+(?:do|see)|attractions?|sights|must[- ]sees?)\b")


_CODE_ROUTE = re.compile(r"\b[a-z]{3}\s*(?:to|-|->)\s*[a-z]{3}\b")
_CORRECTION_START = re.compile(r"^\W*(?:no|nope|actually|sorry|correction|wait|oops)\b")


def _is_route(slots: TravelSlots) -> bool:
    """Only an origin, a destination and perhaps a date: a question about flights."""
    return (
        slots.origin is not None
        and slots.destination is not None
        and slots.budget is None
        and slots.duration_days is None
        and slots.travellers is None
        and not slots.interests
        and slots.return_date is None
    )


def _trip_details(slots: TravelSlots) -> bool:
    """Dates, a length, travellers or a budget: a trip, not only a question about a place."""
    return slots.has_dates() or slots.travellers is not None or slots.budget is not None


def search_query(message: str) -> str:
    """``message`` without polite filler ("can you search for ..."), for a web search."""
    stripped = _FILLER.sub("", message.strip(), count=1).strip()
    return stripped or message.strip()
