"""Where from and where to: place mentions in a message and their roles.

A mention is accepted when it is a curated destination or country (any case), an airport code written
in capitals after a travel cue ("from JFK", "JFK to LHR"), or another city with an airport written with
a capital letter either after a travel cue or in mid-sentence. Names that are also ordinary words
("Nice", "Split", "Turkey", "Reading") need a capital letter *and* a cue: "to Nice", not "nice weather".

Roles: "from X", "leaving X", "out of X", "I live in X", "back to X" make X the origin; "to X", "in X",
"visit X" and a bare mention make X the destination; "X to Y" makes X the origin. The first destination
mentioned wins (one destination per trip).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from .gazetteer import Entry, Gazetteer, gazetteer, normalize
from .models import Place
from .text import Scanner

Role = Literal["origin", "destination"]

_ORIGIN_CUES: tuple[tuple[str, ...], ...] = (
    ("from",), ("leaving",), ("leave",), ("departing",), ("depart",), ("out", "of"), ("based", "in"),
    ("live", "in"), ("living", "in"), ("i'm", "in"), ("im", "in"), ("am", "in"), ("currently", "in"),
    ("home", "in"), ("back", "to"), ("return", "to"), ("returning", "to"), ("home", "is"),
)  # fmt: skip
_DESTINATION_CUES: tuple[tuple[str, ...], ...] = tuple(
    (word,)
    for word in (
        "to", "in", "into", "at", "for", "visit", "visiting", "explore", "exploring", "see", "seeing",
        "around", "towards", "toward", "near", "about", "of", "destination", "fly", "go", "reach",
    )
)  # fmt: skip
_TOKEN = re.compile(r"[^\W_]+(?:[.'&-][^\W_]+)*\.?")
_CODE = re.compile(r"(?<![\w$])[A-Z]{3}(?![\w$])")
_ROUTE = re.compile(r"^\s*(?:to|-|–|->|→)\s*$")
_NOT_CODES = set(
    "USD EUR GBP JPY CAD AUD NZD CHF CNY HKD SGD INR MXN BRL ZAR THB AED THE AND FOR YOU ARE NOT ALL ANY "
    "BUT CAN HOW WHO WHY NEW OUT DAY AIR BAR BUS CAR EAT FLY FUN GET HAS HAD HER HIM HIS HOT ITS LET MAY "
    "NOW OFF OLD ONE OUR OWN PUT SAW SAY SEE SHE SUN TEN TOO TOP TWO USE WAY WAS YES YET TRY BIG SPA ZOO "
    "LOL OMG BTW FYI PTO DIY VIP CEO USA UAE NYC TBD ETA".split()
)
_COMMON_WORDS = set(
    "alert alice banana bush candle central chicken circle council crane delta eagle flat globe hope "
    "jackpot lock lonely marks mercury mobile omega orange page price reading ruby save summit temple "
    "trail union ware wells wise willow hit van mesa bath plan trip hotel best long christmas easter "
    "thanksgiving hilton marriott hyatt uber airbnb mary george david adam philip jordan grants florence "
    "victoria liberia laurel hudson cascade phoenix".split()
)


@dataclass(frozen=True)
class Mention:
    place: Place
    start: int
    end: int
    role: Role | None


def read_places(scanner: Scanner) -> tuple[Place | None, Place | None]:
    """Claim place mentions in ``scanner``; return ``(destination, origin)``."""
    index = gazetteer()
    mentions = sorted(_codes(scanner, index) + _names(scanner, index), key=lambda mention: mention.start)
    roles: list[Role | None] = [mention.role for mention in mentions]
    for i, (mention, following) in enumerate(pairwise(mentions)):
        if roles[i] is None and _ROUTE.match(scanner.lower[mention.end : following.start]):
            roles[i] = "origin"
            roles[i + 1] = roles[i + 1] or "destination"
    if "destination" not in roles and None in roles:
        roles[roles.index(None)] = "destination"
    chosen: dict[Role, Mention] = {}
    for mention, role in zip(mentions, roles, strict=True):
        if role is not None and role not in chosen:
            chosen[role] = mention
            scanner.claim(role, mention.start, mention.end)
    destination, origin = chosen.get("destination"), chosen.get("origin")
    return (destination.place if destination else None), (origin.place if origin else None)


def _cue(scanner: Scanner, start: int) -> Role | None:
    words = tuple(scanner.words_before(start, 2))
    if any(words[-len(cue) :] == cue for cue in _ORIGIN_CUES):
        return "origin"
    if any(words[-len(cue) :] == cue for cue in _DESTINATION_CUES):
        return "destination"
    return None


def _codes(scanner: Scanner, index: Gazetteer) -> list[Mention]:
    """Airport codes written in capitals: after a cue, or as a route ("JFK to LHR", "JFK-LHR")."""
    found: list[Mention] = []
    candidates = [m for m in _CODE.finditer(scanner.original) if m.group() not in _NOT_CODES]
    for i, match in enumerate(candidates):
        place = index.airport(match.group())
        if place is None or not scanner.is_free(match.start(), match.end()):
            continue
        cue = _cue(scanner, match.start())
        previous, following = candidates[i - 1 : i], candidates[i + 1 : i + 2]
        in_route = any(_ROUTE.match(scanner.lower[other.end() : match.start()]) for other in previous) or any(
            _ROUTE.match(scanner.lower[match.end() : other.start()]) for other in following
        )
        if cue or in_route:
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
            if not scanner.is_free(start, end):
                continue
            entry = next((e for e in index.entries(key) if _accepts(scanner, e, start, end, key)), None)
            if entry is not None:
                found.append(Mention(entry.place, start, end, _cue(scanner, start)))
                i += size
                break
        else:
            i += 1
    return found


def _accepts(scanner: Scanner, entry: Entry, start: int, end: int, key: str) -> bool:
    if entry.exact is not None:
        return scanner.original[start:end].rstrip(".") == entry.exact.rstrip(".")
    capitalized = scanner.capitalized(start)
    if entry.kind != "city":
        return not entry.guarded or (capitalized and _cue(scanner, start) is not None)
    if not capitalized or len(key) < 3:
        return False
    if _cue(scanner, start) is not None:
        return True
    return not scanner.sentence_initial(start) and key not in _COMMON_WORDS
