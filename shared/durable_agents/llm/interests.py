"""Interests: the fixed vocabulary of :data:`~.models.INTERESTS`, recognised through common synonyms."""

from __future__ import annotations

import re
from functools import lru_cache

from .models import Interest
from .text import Scanner

SYNONYMS: dict[Interest, tuple[str, ...]] = {
    "museums": ("museums?", "exhibitions?", "exhibits?"),
    "food": (
        "food", "foodies?", "eat(?:ing)?", "restaurants?", "cuisine", "culinary", "dining", "gastronomy",
        "street food", "cooking class(?:es)?", "tapas", "sushi", "pasta", "pizza",
    ),
    "nightlife": ("nightlife", "night life", "bars", "pubs?", "clubs", "clubbing", "partying", "cocktails?"),
    "beaches": ("beach(?:es)?", "seaside", "snorkel(?:l?ing)?", "surf(?:ing)?", "swimming", "sunbathing"),
    "hiking": ("hik(?:e|es|ing)", "trek(?:s|king)?", "trails?", "backpacking"),
    "history": ("history", "historic(?:al)?", "ancient", "ruins", "castles?", "monuments?", "heritage"),
    "art": ("art", "arts", "galler(?:y|ies)", "paintings?", "street art", "sculptures?"),
    "shopping": ("shopping", "shops?", "markets?", "boutiques?", "souvenirs?", "malls?", "flea markets?"),
    "nature": (
        "nature", "national parks?", "parks", "wildlife", "mountains?", "lakes?", "scenery", "outdoors?",
        "forests?", "waterfalls?", "safari",
    ),
    "architecture": ("architecture", "architectural", "cathedrals?", "churches", "palaces?", "skyscrapers?"),
    "family": (
        "family[- ]friendly", "kid[- ]friendly", "kids'? activities", "theme parks?", "zoos?", "aquariums?",
    ),
    "culture": ("culture", "cultural", "traditions?", "festivals?", "temples?", "local life"),
    "adventure": (
        "adventure", "adventurous", "rafting", "climbing", "skydiving", "scuba", "diving", "zip[- ]?lining",
    ),
    "wellness": ("wellness", "spas?", "relax(?:ing|ation)?", "yoga", "hot springs?", "onsen"),
    "wine": ("wines?", "winer(?:y|ies)", "vineyards?", "wine tasting", "breweries", "craft beer"),
    "sports": (
        "sports?", "football", "soccer", "baseball", "basketball", "ski(?:ing)?", "snowboarding", "golf",
    ),
    "music": ("music", "concerts?", "live music", "jazz", "opera", "gigs?"),
}  # fmt: skip


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[Interest, re.Pattern[str]], ...]:
    return tuple(
        (interest, re.compile(r"\b(?:" + "|".join(words) + r")\b(?!\s+of\s+\d)"))
        for interest, words in SYNONYMS.items()
    )


def read_interests(scanner: Scanner) -> list[Interest]:
    """Claim interest words in ``scanner`` (longest phrase first); return them in vocabulary order."""
    matches = [
        (match.start(), -len(match.group()), interest)
        for interest, pattern in _patterns()
        for match in scanner.finditer(pattern)
    ]
    found: set[Interest] = set()
    for start, negative_length, interest in sorted(matches):
        if scanner.is_free(start, start - negative_length):
            scanner.claim("interests", start, start - negative_length)
            found.add(interest)
    return [interest for interest in SYNONYMS if interest in found]
