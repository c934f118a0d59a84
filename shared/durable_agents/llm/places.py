"""Where from and where to: place mentions in a message, their roles, and the stops of a multi-city trip.

A mention is accepted when it is a curated destination, region or country (any case), an airport code
after a travel cue or in a route ("from JFK", "JFK to LHR", and "lax to ord" in lower case), or
another city with an airport: written with a capital letter (after a travel cue or in mid-sentence),
or in lower case right after a travel cue. Names that are also ordinary words ("Nice", "Split",
"Turkey", "Reading") need a travel cue and either a capital letter or nothing after them that they
could describe: "weather in nice" and "to Nice" are the city, "nice weather" is not.

A qualifier right after a name ("Birmingham, Alabama", "London Ontario", "Paris TX", "Birmingham UK")
chooses among the places of that name, and is part of the mention.

Roles: "from X", "leaving X", "out of X", "I live in X", "back to X" make X the origin; "to X", "in X",
"visit X" and a bare mention make X the destination; "X to Y" makes X the origin. "not X", "instead of
X", "rather than X" set nothing: they say which earlier value a correction replaces (a bare mention
replacing the known origin becomes the origin). Several destinations joined by "then", "and", commas
or arrows ("Paris then Rome", "Lisbon, Porto and Madrid") are the stops of one trip, each with the
nights the message gives it ("3 days in Rome then 4 in Florence").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from .gazetteer import Entry, Gazetteer, gazetteer, normalize
from .models import Place, Stop, TravelSlots
from .numbers import COUNT, parse_count
from .text import Scanner

Role = Literal["origin", "destination", "negated"]

_ORIGIN_CUES: tuple[tuple[str, ...], ...] = (
    ("from",), ("leaving",), ("leave",), ("departing",), ("depart",), ("out", "of"), ("based", "in"),
    ("live", "in"), ("living", "in"), ("i'm", "in"), ("im", "in"), ("am", "in"), ("currently", "in"),
    ("home", "in"), ("back", "to"), ("return", "to"), ("returning", "to"), ("home", "is"),
)  # fmt: skip
_DESTINATION_CUES: tuple[tuple[str, ...], ...] = tuple(
    (word,)
    for word in (
        "to", "in", "into", "at", "for", "visit", "visiting", "explore", "exploring", "see", "seeing",
        "around", "towards", "toward", "near", "about", "of", "destination", "fly", "go", "reach", "on",
        "through", "do", "try", "it", "then",
    )
)  # fmt: skip
_NEGATION_CUES: tuple[tuple[str, ...], ...] = (
    ("not",),
    ("instead", "of"),
    ("rather", "than"),
    ("than",),
    ("except",),
    ("but", "not"),
    ("no", "longer"),
)
_CUES: tuple[tuple[Role, frozenset[tuple[str, ...]]], ...] = (
    ("negated", frozenset(_NEGATION_CUES)),
    ("origin", frozenset(_ORIGIN_CUES)),
    ("destination", frozenset(_DESTINATION_CUES)),
)
"""The cues in the order they are looked for, as sets (a cue is looked up, not compared with each)."""
_LOWERCASE_CUES = {"to", "in", "from", "visit", "visiting", "of", "out", "about", "near", "around", "explore"}
_TOKEN = re.compile(r"[^\W_]+(?:[.'&-][^\W_]+)*\.?")
_CODE = re.compile(r"(?<![\w$])[A-Za-z]{3}(?![\w$])")
_ROUTE = re.compile(r"^\s*(?:to|-|–|->|→)\s*$")
_STOP_JOIN = re.compile(
    r"^\s*+(?:,|;|->|→|-|–|and|&|\+|then|,?\s*(?:and\s+)?then(?:\s+on)?(?:\s+to)?|,?\s*and\s+(?:then\s+)?(?:on\s+)?to|"
    r",?\s*followed\s+by|,?\s*before|,?\s*after\s+that)\s*$"
)
_NIGHTS_BEFORE = re.compile(
    rf"(?P<n>\d{{1,2}}|{COUNT})(?:\s*+-)?(?:\s*+(?:days?|nights?))?\s++(?:in|at)\s*+$"
)
_NIGHTS_AFTER = re.compile(
    rf"^\s*+(?:for\s++)?(?P<n>\d{{1,2}}|{COUNT})\s*+(?P<unit>days?|nights?|weeks?)?"
    r"(?=\s*+(?:,|;|\.|!|->|→|–|\bthen\b|\band\b|&|\bfollowed\b|\bbefore\b|\bfrom\b|\bin\b|\bon\b|$))"
)
_EACH = re.compile(
    rf"\b(?P<n>\d{{1,2}}|{COUNT})\s*(?P<unit>days?|nights?|weeks?)\s+(?:each|apiece|in\s+each|per\s+(?:city|stop|place))\b"
)
_AFTER_GUARDED = re.compile(  # matched right after a name, never after a blank
    r"(?<!\s)\s*+(?:$|[,.!?;:)]|(?:in|on|for|from|to|with|and|or|next|this|in|during|by|then)\b)"
)
_NOT_CODES = set(
    "USD EUR GBP JPY CAD AUD NZD CHF CNY HKD SGD INR MXN BRL ZAR THB AED THE AND FOR YOU ARE NOT ALL ANY "
    "BUT CAN HOW WHO WHY NEW OUT DAY AIR BAR BUS CAR EAT FLY FUN GET HAS HAD HER HIM HIS HOT ITS LET MAY "
    "NOW OFF OLD ONE OUR OWN PUT SAW SAY SEE SHE SUN TEN TOO TOP TWO USE WAY WAS YES YET TRY BIG SPA ZOO "
    "LOL OMG BTW FYI PTO DIY VIP CEO USA UAE NYC TBD ETA BED BOX END FEW FAR LOW RUN SET SIT WET ART "
    "MET ASK BOY MAN MEN TEA FOG ICE JOB KEY LEG LIE MAP MIX PAY PET RED SKI SPY TAX TOY VAN WAR WIN".split()
)
_COMMON_WORDS = set(
    "alert alice banana bush candle central chicken circle council crane delta eagle flat globe hope "
    "jackpot lock lonely marks mercury mobile omega orange page price reading ruby save summit temple "
    "trail union ware wells wise willow hit van mesa bath plan trip hotel best long christmas easter "
    "thanksgiving hilton marriott hyatt uber airbnb mary george david adam philip jordan grants florence "
    "victoria liberia laurel hudson cascade phoenix nice split turkey split general beach city town "
    "island spring summer winter fall autumn golden sunny friendly paradise independence liberty "
    "welcome opportunity normal mission enterprise success fortune harmony eureka ideal hot sale".split()
)


@dataclass(frozen=True)
class Mention:
    place: Place
    start: int
    end: int
    role: Role | None


@dataclass
class PlaceFacts:
    """What a message says about places."""

    destination: Place | None = None
    origin: Place | None = None
    stops: list[Stop] = field(default_factory=list)
    negated: list[Place] = field(default_factory=list)


def read_places(
    scanner: Scanner, known: TravelSlots | None = None, asked: tuple[str, ...] = ()
) -> PlaceFacts:
    """Claim place mentions in ``scanner``; return the destination, origin, stops and negated places.

    ``known`` (the conversation's slots) and ``asked`` (what the agent last asked for) settle the role
    of a bare mention that corrects or answers.
    """
    index = gazetteer()
    mentions = _without_overlaps(_codes(scanner, index) + _names(scanner, index))
    roles: list[Role | None] = [mention.role for mention in mentions]
    for i, (mention, following) in enumerate(pairwise(mentions)):
        if roles[i] is None and _ROUTE.match(scanner.lower[mention.end : following.start]):
            roles[i] = "origin"
            roles[i + 1] = roles[i + 1] or "destination"
    negated = [m.place for m, role in zip(mentions, roles, strict=True) if role == "negated"]
    bare = [i for i, role in enumerate(roles) if role is None]
    if bare and "destination" not in roles:
        roles[bare[0]] = _bare_role(known, negated, asked)
    for i in bare:
        roles[i] = roles[i] or "destination"
    facts = PlaceFacts(negated=negated)
    destinations = [m for m, role in zip(mentions, roles, strict=True) if role == "destination"]
    stops = _stops(scanner, destinations)
    for mention, role in zip(mentions, roles, strict=True):
        if role == "origin" and facts.origin is None:
            facts.origin = mention.place
            scanner.claim("origin", mention.start, mention.end)
        elif role == "negated":
            scanner.claim("negated", mention.start, mention.end)
    if len(stops) > 1:
        facts.stops = stops
        facts.destination = Place.model_validate(stops[0].model_dump(exclude={"nights"}))
        for mention in destinations:
            scanner.claim("destination", mention.start, mention.end)
    elif destinations:
        facts.destination = destinations[0].place
        scanner.claim("destination", destinations[0].start, destinations[0].end)
    if known is not None and known.stops and facts.destination is not None and not facts.stops and negated:
        facts.stops = _replace_stop(known.stops, negated, facts.destination)
    return facts


def _without_overlaps(mentions: list[Mention]) -> list[Mention]:
    kept: list[Mention] = []
    for mention in sorted(mentions, key=lambda m: (m.start, -(m.end - m.start))):
        if not kept or mention.start >= kept[-1].end:
            kept.append(mention)
    return kept


def _bare_role(known: TravelSlots | None, negated: list[Place], asked: tuple[str, ...]) -> Role:
    """The role of a lone mention without a cue: a correction or an answer keeps the role it fills."""
    if known is not None and known.origin is not None and any(_same(p, known.origin) for p in negated):
        return "origin"
    if asked and asked[0] == "origin" and known is not None and known.destination is not None:
        return "origin"
    return "destination"


def _same(a: Place, b: Place) -> bool:
    return normalize(a.name) == normalize(b.name) or (a.iata is not None and a.iata == b.iata)


def _replace_stop(stops: list[Stop], negated: list[Place], new: Place) -> list[Stop]:
    """The known stops with the negated one replaced by ``new`` ("Florence instead of Rome")."""
    replaced = [
        Stop.model_validate({**new.model_dump(), "nights": stop.nights})
        if any(_same(stop, place) for place in negated)
        else stop
        for stop in stops
    ]
    return replaced if replaced != stops else []


def _stops(scanner: Scanner, destinations: list[Mention]) -> list[Stop]:
    """The destinations as the stops of one trip, when they are joined as a list ("A then B").

    A stop's nights come from "3 days in Rome", "Paris for 3 nights then ..." or "3 nights each"; a
    "for 6 nights" after the last stop is the whole trip's length unless earlier stops have their own.
    """
    if len(destinations) < 2:
        return []
    chain = [destinations[0]]
    for previous, mention in pairwise(destinations):
        between = scanner.lower[previous.end : mention.start]
        after = _NIGHTS_AFTER.match(between)
        rest = between[after.end() :] if after else between
        if not _STOP_JOIN.match(_NIGHTS_BEFORE.sub("", rest)):
            break
        chain.append(mention)
    if len(chain) < 2:
        return []
    nights: list[int | None] = []
    for index, mention in enumerate(chain):
        following = chain[index + 1].start if index + 1 < len(chain) else mention.end + 40
        after = _NIGHTS_AFTER.match(scanner.lower[mention.end : following])
        before = _NIGHTS_BEFORE.search(scanner.lower[max(0, mention.start - 30) : mention.start])
        nights.append(_nights(after) if after else _nights(before) if before else None)
    last_after = _NIGHTS_AFTER.match(scanner.lower[chain[-1].end : chain[-1].end + 40])
    if last_after and not any(nights[:-1]):
        nights[-1] = None  # "Vienna and Budapest for 6 nights": the whole trip
    each = _EACH.search(scanner.lower)
    if each:
        nights = [n or _nights(each) for n in nights]
    return [
        Stop.model_validate({**mention.place.model_dump(), "nights": stop_nights})
        for mention, stop_nights in zip(chain, nights, strict=True)
    ]


def _nights(match: re.Match[str]) -> int | None:
    count = parse_count(match["n"])
    if not count:
        return None
    return count * 7 if (match.groupdict().get("unit") or "").startswith("week") else count


def _cue(scanner: Scanner, start: int) -> Role | None:
    words = tuple(scanner.words_before(start, 2))
    for role, cues in _CUES:
        if words[-1:] in cues or words[-2:] in cues:  # every cue is one or two words
            return role
    return None


def _codes(scanner: Scanner, index: Gazetteer) -> list[Mention]:
    """Airport codes: in capitals after a cue or in a route ("JFK to LHR"); in lower case only in a route."""
    found: list[Mention] = []
    candidates = [m for m in _CODE.finditer(scanner.original) if m.group().upper() not in _NOT_CODES]
    for i, match in enumerate(candidates):
        code = match.group()
        place = index.airport(code)
        if place is None or not scanner.is_free(match.start(), match.end()):
            continue
        cue = _cue(scanner, match.start())
        previous, following = candidates[i - 1 : i], candidates[i + 1 : i + 2]
        in_route = any(
            _ROUTE.match(scanner.lower[other.end() : match.start()]) and index.airport(other.group())
            for other in previous
        ) or any(
            _ROUTE.match(scanner.lower[match.end() : other.start()]) and index.airport(other.group())
            for other in following
        )
        if in_route and (code.isupper() or code.islower()):
            found.append(Mention(place, match.start(), match.end(), cue))
        elif cue and (code.isupper() or (code.islower() and cue == "origin" and index.is_major(code))):
            found.append(Mention(place, match.start(), match.end(), cue))
    return found


def _names(scanner: Scanner, index: Gazetteer) -> list[Mention]:
    tokens = [
        (match.start(), match.end(), normalize(match.group())) for match in _TOKEN.finditer(scanner.work)
    ]
    found: list[Mention] = []
    i = 0
    while i < len(tokens):
        for size in range(min(index.max_words, len(tokens) - i), 0, -1):
            start, end = tokens[i][0], tokens[i + size - 1][1]
            key = " ".join(token[2] for token in tokens[i : i + size])
            entries = index.entries(key)
            if not entries or not scanner.is_free(start, end):
                continue
            entry = next((e for e in entries if _accepts(scanner, e, start, end, key)), None)
            if entry is not None:
                place, end, used = _qualified(scanner, index, entry.place, key, tokens, i + size, end)
            elif scanner.capitalized(start):
                place, end, used = _qualified(scanner, index, entries[0].place, key, tokens, i + size, end)
                if not used:
                    continue  # "Birmingham UK for 3 days": only a qualifier makes it a place
            else:
                continue
            found.append(Mention(place, start, end, _cue(scanner, start)))
            i += size + used
            break
        else:
            i += 1
    return found


def _qualified(
    scanner: Scanner,
    index: Gazetteer,
    place: Place,
    key: str,
    tokens: list[tuple[int, int, str]],
    after: int,
    end: int,
) -> tuple[Place, int, int]:
    """The place a following state, province or country picks ("Portland, Maine"), its end, tokens used."""
    if place.kind != "city":
        return place, end, 0
    for size in (3, 2, 1):
        if after + size > len(tokens):
            continue
        gap = scanner.lower[end : tokens[after][0]]
        if gap.strip() not in ("", ","):
            return place, end, 0
        words = tokens[after : after + size]
        qualifier = " ".join(token[2] for token in words)
        if len(qualifier) < 2 or (
            len(qualifier) == 2 and not scanner.original[words[0][0] : words[-1][1]].isupper()
        ):
            if qualifier not in ("uk", "us"):
                continue
        chosen = index.qualified(key, qualifier)
        if chosen is not None:
            return chosen, words[-1][1], size
    return place, end, 0


def _accepts(scanner: Scanner, entry: Entry, start: int, end: int, key: str) -> bool:
    if entry.exact is not None:
        return scanner.original[start:end].rstrip(".") == entry.exact.rstrip(".")
    capitalized = scanner.capitalized(start)
    cue = _cue(scanner, start)
    lowercase_cue = bool(set(scanner.words_before(start, 1)) & _LOWERCASE_CUES)
    if entry.guarded:
        if cue is None:
            return False
        return capitalized or bool(_AFTER_GUARDED.match(scanner.original, end))
    if entry.kind != "city":
        return True
    if len(key) < 3:
        return False
    if not capitalized:
        return lowercase_cue and len(key) >= 4 and key not in _COMMON_WORDS
    if cue is not None:
        return True
    return not scanner.sentence_initial(start) and key not in _COMMON_WORDS
