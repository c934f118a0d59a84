"""Numbers as people write them: digits, number words ("twenty-one"), ordinals ("3rd", "third")."""

from __future__ import annotations

import re

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ORDINAL_UNITS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}

NUMBER_WORDS: dict[str, int] = {word: value for value, word in enumerate(_UNITS)}
NUMBER_WORDS.update(_TENS)
NUMBER_WORDS.update(
    {"a": 1, "an": 1, "single": 1, "a couple of": 2, "a couple": 2, "couple of": 2, "a dozen": 12}
)
for _tens_word, _tens in _TENS.items():
    for _unit in range(1, 10):
        NUMBER_WORDS[f"{_tens_word}-{_UNITS[_unit]}"] = _tens + _unit
        NUMBER_WORDS[f"{_tens_word} {_UNITS[_unit]}"] = _tens + _unit

ORDINAL_WORDS: dict[str, int] = {word: value for value, word in enumerate(_ORDINAL_UNITS) if value}
ORDINAL_WORDS.update(_ORDINAL_TENS)
for _unit in range(1, 10):
    ORDINAL_WORDS[f"twenty-{_ORDINAL_UNITS[_unit]}"] = 20 + _unit
    ORDINAL_WORDS[f"twenty {_ORDINAL_UNITS[_unit]}"] = 20 + _unit
ORDINAL_WORDS["thirty-first"] = ORDINAL_WORDS["thirty first"] = 31


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


COUNT = rf"(?:\d{{1,3}}|{_alternation([w for w in NUMBER_WORDS if w not in ('a', 'an', 'single')])})"
"""A regex for a small count written in digits or words ("3", "three", "twenty-one", "a couple of")."""

COUNT_OR_ARTICLE = rf"(?:{COUNT}|an?|one|single)"
"""Like :data:`COUNT`, also accepting "a"/"an" for one ("a week", "an adult")."""

DAY_OF_MONTH = rf"(?:(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?|{_alternation(list(ORDINAL_WORDS))})"
"""A regex for a day of the month: "3", "03", "3rd", "third", "twenty-first"."""


def parse_count(text: str) -> int | None:
    """The value of a :data:`COUNT` or :data:`COUNT_OR_ARTICLE` match."""
    cleaned = " ".join(text.lower().split())
    if cleaned.isdigit():
        return int(cleaned)
    return NUMBER_WORDS.get(cleaned)


def parse_day(text: str) -> int | None:
    """The value of a :data:`DAY_OF_MONTH` match (1-31)."""
    cleaned = " ".join(text.lower().split())
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", cleaned)
    value = int(digits.group(1)) if digits else ORDINAL_WORDS.get(cleaned)
    return value if value is not None and 1 <= value <= 31 else None


def parse_amount(text: str) -> float | None:
    """A written amount: "3000", "3,000", "2.5", "2,500.50" (no unit handling; see the budget module)."""
    cleaned = text.replace(",", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        return None
