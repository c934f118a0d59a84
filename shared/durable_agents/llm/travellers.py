"""Who is travelling: "2 adults", "me and my wife", "family of four", "4 people", "solo", "with 2 kids".

Adults come from an explicit adult count, else a total ("4 people", "party of 6", "for two", "we are 3"),
else the speaker plus named companions ("me and my wife", "with 2 friends"). Children come from a child
count ("with 2 kids", "our three children"). "Family of N" is two adults and N-2 children. A total that
includes counted children ("4 of us including 2 kids") leaves the rest as adults.
"""

from __future__ import annotations

import re

from .models import MAX_PARTY, Travellers
from .numbers import COUNT, COUNT_OR_ARTICLE, parse_count
from .text import Scanner

_N = rf"(?P<n>{COUNT_OR_ARTICLE})"
_COMPANION = (
    r"(?:wife|husband|partner|spouse|girlfriend|boyfriend|fianc[eé]e?|friend|mom|mum|mother|dad|father|"
    r"sister|brother|colleague|coworker|buddy|mate|grandma|grandpa|grandmother|grandfather)"
)
_ADULTS = re.compile(rf"\b{_N}\s+(?:adults?|grown[- ]?ups?)\b")
_CHILDREN = re.compile(
    rf"\b{_N}\s+(?:(?:young|little|small)\s+)?(?:kids?|children|child|toddlers?|babies|baby|infants?|"
    r"teens|teenagers?|sons?|daughters?|little ones)\b"
)
_CHILDREN_OF_TOTAL = re.compile(rf"\b{_N}\s+of\s+(?:them|us|whom)\s+(?:are\s+|being\s+)?(?:kids|children)\b")
_SOLO = re.compile(r"\b(?:solo|alone|by myself|just me|on my own|single traveller|single traveler)\b")
_COUPLE = re.compile(
    r"\b(?:honeymoon|we(?:'re| are) a couple|as a couple|for a couple|couples? (?:trip|getaway))\b"
)
_FAMILY = re.compile(rf"\bfamily\s+of\s+(?P<n>{COUNT})\b")
_TOTALS = (
    re.compile(
        rf"\b{_N}\s+(?:people|persons?|travell?ers|guests|pax|passengers|tickets|seats|of us|in total)\b"
    ),
    re.compile(rf"\b(?:party|group)\s+of\s+(?P<n>{COUNT})\b"),
    re.compile(rf"\bwe(?:'re| are)\s+(?P<n>{COUNT})\b"),
    re.compile(
        rf"\bfor\s+(?P<n>{COUNT})\b(?!\s*(?:days?|nights?|weeks?|months?|years?|hours?|adults?|kids?|"
        r"children|child|[%$€£]|usd|eur|gbp|k\b))"
    ),
)
_WITH_FRIENDS = re.compile(
    rf"\b(?:me|i|myself)?\s*(?:and|with|&|\+)\s+(?:my\s+)?{_N}\s+(?:friends|colleagues|buddies|mates)\b"
)
_WITH_COMPANION = re.compile(
    rf"\b(?:(?:me|myself|i)\s*(?:and|&|\+|,)\s*(?:my\s+)?{_COMPANION}|my\s+{_COMPANION}\s+and\s+(?:i|me)\b|"
    rf"with\s+my\s+{_COMPANION})s?\b"
)
_WITH_CHILD = re.compile(r"\b(?:me|i|myself)\s*(?:and|&|\+)\s*my\s+(?:son|daughter|kid|child|baby)\b")


def read_travellers(scanner: Scanner) -> tuple[Travellers | None, bool]:
    """Claim every traveller phrase in ``scanner``; return who travels (or ``None``) and whether a count
    was over :data:`~.models.MAX_PARTY` (and so clamped to it)."""
    travellers = _read(scanner)
    if travellers is None:
        return None, False
    adults, children = travellers
    clamped = max(adults or 0, children or 0) > MAX_PARTY
    return Travellers(adults=adults, children=children), clamped


def _read(scanner: Scanner) -> tuple[int | None, int | None] | None:
    adults = _count(scanner, _ADULTS, "travellers")
    children = _count(scanner, _CHILDREN, "travellers")
    if children is None:
        children = _count(scanner, _CHILDREN_OF_TOTAL, "travellers")
    for match in scanner.finditer(_FAMILY):
        size = parse_count(match["n"]) or 0
        if size >= 2:
            scanner.claim("travellers", match.start(), match.end())
            return min(size, 2), max(size - 2, 0)
    total = None
    for pattern in _TOTALS:
        total = total or _count(scanner, pattern, "travellers")
    if total is not None and adults is None:
        adults = max(total - (children or 0), 1)
        children = children if children is not None else 0
    if adults is None:
        adults, party_children = _companions(scanner)
        children = children if children is not None else party_children
    if adults is None and children is None:
        return None
    return adults, children


def _count(scanner: Scanner, pattern: re.Pattern[str], slot: str) -> int | None:
    found: int | None = None
    for match in scanner.finditer(pattern):
        value = parse_count(match["n"])
        if value is not None and 0 < value <= 999:
            found = (found or 0) + value
            scanner.claim(slot, match.start(), match.end())
    return found


def _companions(scanner: Scanner) -> tuple[int | None, int | None]:
    """Adults (and children) implied by the speaker's company: "solo", "me and my wife", "me and my son"."""
    adults: int | None = None
    children: int | None = None
    for pattern, party in ((_SOLO, (1, 0)), (_COUPLE, (2, 0)), (_WITH_CHILD, (1, 1))):
        for match in scanner.finditer(pattern):
            scanner.claim("travellers", match.start(), match.end())
            adults, children = party
    for match in scanner.finditer(_WITH_FRIENDS):
        scanner.claim("travellers", match.start(), match.end())
        adults = (adults or 1) + (parse_count(match["n"]) or 1)
    for match in scanner.finditer(_WITH_COMPANION):
        scanner.claim("travellers", match.start(), match.end())
        adults = max(adults or 1, 2)
    return adults, children
