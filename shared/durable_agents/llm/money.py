"""Budgets: "$3000", "3000 USD", "€2,500", "under 1500 euros", "budget of 2k GBP", "3 grand".

An amount counts as the budget when it carries a currency (symbol, ISO code or word), is in "grand",
or follows a budget cue ("budget", "spend", "up to", "budget to"). Without a currency the budget is in
the conversation's currency so far, else US dollars.
When several amounts appear, the one after "budget" wins, else the largest (a total beats a per-item
cap).
"""

from __future__ import annotations

import re

from .models import Money
from .numbers import COUNT, parse_amount, parse_count
from .text import Scanner

SYMBOLS: dict[str, str] = {
    "us$": "USD", "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD", "nz$": "NZD", "hk$": "HKD",
    "s$": "SGD", "r$": "BRL", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW",
    "₺": "TRY", "₽": "RUB", "₱": "PHP", "฿": "THB", "₫": "VND", "₪": "ILS",
}  # fmt: skip
CODES = (
    "usd eur gbp jpy cad aud nzd chf cny hkd sgd inr krw mxn brl zar sek nok dkk pln czk huf try thb idr "
    "myr php vnd aed ils egp mad"
).split()
WORDS: dict[str, str] = {
    "dollars": "USD", "dollar": "USD", "bucks": "USD", "euros": "EUR", "euro": "EUR", "pounds": "GBP",
    "pound": "GBP", "quid": "GBP", "yen": "JPY", "yuan": "CNY", "rmb": "CNY", "rupees": "INR",
    "rupee": "INR", "francs": "CHF", "pesos": "MXN", "baht": "THB", "reais": "BRL", "dirhams": "AED",
    "rand": "ZAR", "won": "KRW",
}  # fmt: skip

AMOUNT = r"(?<!\d)(?<!\d[,.])(?P<amount>\d{1,3}(?:,\d{3})++(?:\.\d++)?|\d++(?:\.\d++)?)(?![,.]*+\d)"
"""A regex for a written amount ("3000", "3,000", "2,500.50"), the whole of a number: it neither starts
nor stops inside one ("1,2345" has none). Every repetition is possessive or anchored by the
look-behinds, so matching it is linear in the length of the text (issue 17: "1,111,...,111,1" made the
old pattern backtrack for seconds)."""
_WORD_AMOUNT = rf"(?P<words>{COUNT})"
_SCALE = r"(?:\s*+(?P<scale>k|thousand|grand|m|million)\b)?"
_SYMBOL = (
    "(?P<symbol>" + "|".join(re.escape(symbol) for symbol in sorted(SYMBOLS, key=len, reverse=True)) + ")"
)
_UNIT = (
    r"(?P<unit>"
    + "|".join(CODES)
    + "|"
    + "|".join(sorted(WORDS, key=len, reverse=True))
    + r"|[€£$¥₹])"
    + r"(?![a-z])"
)
_CUE = (
    r"(?P<cue>budget(?:\s++(?:is\s+now|is|of|at|around|about|to|now))?|spend(?:ing)?|up\s+to|under|below|"
    r"max(?:imum)?|"
    r"no\s+more\s+than|less\s+than|at\s+most|around|about|total\s+of)"
)
_COLON = r"\s*+:?\s*+"
"""Blanks and a colon between a cue and its amount ("budget: 3000"); possessive: what follows is no blank."""

_PATTERNS = (
    re.compile(rf"(?:{_CUE}{_COLON})?(?<![\w$]){_SYMBOL}\s?{AMOUNT}{_SCALE}"),
    re.compile(
        rf"(?:{_CUE}{_COLON})?\b(?:{AMOUNT}|{_WORD_AMOUNT}(?=\s*(?:k|thousand|grand)\b)){_SCALE}\s*{_UNIT}"
    ),
    re.compile(rf"(?:{_CUE}{_COLON})?\b(?P<code>{'|'.join(CODES)})\s?{AMOUNT}{_SCALE}"),
    re.compile(rf"(?:{_CUE}{_COLON})?\b{AMOUNT}\s*+(?P<scale>grand)\b"),
    re.compile(
        rf"{_CUE}{_COLON}{AMOUNT}{_SCALE}(?!\s*(?:days?|nights?|weeks?|months?|people|persons|adults|kids|"
        r"children|travell?ers|guests|stops|hours?|minutes?|km|miles|%|°|degrees))"
    ),
)
_SCALES = {"k": 1_000, "thousand": 1_000, "grand": 1_000, "m": 1_000_000, "million": 1_000_000}


def read_budget(scanner: Scanner, default_currency: str = "USD") -> Money | None:
    """Claim every money amount in ``scanner`` and return the budget among them.

    An amount without a currency is in ``default_currency`` (the known budget's, in a conversation).
    """
    found: list[tuple[bool, float, str]] = []
    for pattern in _PATTERNS:
        for match in scanner.finditer(pattern):
            groups = match.groupdict()
            amount = (
                parse_amount(groups["amount"]) if groups.get("amount") else parse_count(groups["words"] or "")
            )
            if not amount:
                continue
            amount *= _SCALES.get(groups.get("scale") or "", 1)
            currency = _currency(groups)
            if groups.get("cue") is None and currency is None and groups.get("scale") != "grand":
                continue
            is_budget_cue = (groups.get("cue") or "").startswith(("budget", "spend"))
            found.append((is_budget_cue, amount, currency or default_currency))
            scanner.claim("budget", match.start(), match.end())
    if not found:
        return None
    _, amount, currency = max(found)
    return Money(amount=amount, currency=currency)


def _currency(groups: dict[str, str | None]) -> str | None:
    if groups.get("symbol"):
        return SYMBOLS[str(groups["symbol"])]
    if groups.get("code"):
        return str(groups["code"]).upper()
    unit = groups.get("unit")
    if unit:
        return SYMBOLS.get(unit) or WORDS.get(unit) or unit.upper()
    return None
