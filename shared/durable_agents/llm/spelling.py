"""Common misspellings put right before a message is read: "febuary", "itinery", "wether", "barcelna".

A word is corrected when it is not a known word but is one edit (two for long words) away from one of
the travel words the recognisers look for (months, tool and trip words, interests) or, after a place
cue ("to", "in", "from", ...) or written with a capital, from a curated destination's name. Short
words (under five letters) and words that are themselves city names are never changed, and the first
letter must match and its case is kept, so the place reader still sees "Barcelona" where the user
wrote "Barcelna".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

_WORD = re.compile(r"[^\W\d_]+")
VOCABULARY = (
    "january february march april june july august september october november december weekend "
    "tomorrow itinerary itineraries weather forecast flights flight hotels hotel hostels hostel "
    "accommodation attractions attraction restaurants restaurant museums museum budget adults "
    "children vacation holiday holidays travelling traveling beaches nightlife architecture "
    "shopping hiking history culture galleries sightseeing temperature cheaper expensive transport "
    "airport suggest somewhere recommend tickets planning families friends husband girlfriend "
    "boyfriend daughter including honeymoon afternoon evening morning fortnight cheapest whole"
).split()
_PLACE_CUES = {
    "to",
    "in",
    "from",
    "visit",
    "visiting",
    "around",
    "about",
    "near",
    "for",
    "of",
    "at",
    "explore",
}
_KEEP = set(
    "create crate dates date trips plans there their where these those things think great state states "
    "place places price prices share stay stays seeing going doing tours parks paris party rates "
    "route miles smile sites months night nights people person italy spain china japan check "
    "cheap under above after again along among avoid below board cabin coast coasts lakes island "
    "islands local north south east west train trains cruise drive rides ferry metro buses".split()
)


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or ``limit + 1`` when beyond ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


_MOST_EDITS = 2
"""The most edits :func:`_allowed` grants."""


def _allowed(word: str, candidate: str) -> int:
    """One edit, or two for a long word that starts like the candidate (typos rarely hit the start)."""
    return 2 if len(word) >= 7 and word[:3] == candidate[:3] else 1


class _Candidates(NamedTuple):
    """Words to correct to, indexed so that a word is measured only against the few that may be near it.

    Two words one edit apart (a substitution, insertion, deletion or swap of neighbours) both become one
    same string by deleting at most one letter of each: the candidates one edit away share one of the
    word's one-letter deletions (:attr:`by_deletion`). Two edits are allowed only for a candidate that
    starts with the word's first three letters (:func:`_allowed`, :attr:`by_start`), and no more than
    four letters can be in one of the two words and not in the other. A few look-ups per word, instead
    of a distance to every candidate.
    """

    by_deletion: dict[str, frozenset[str]]
    by_start: dict[str, tuple[tuple[str, frozenset[str]], ...]]
    longest: int

    @classmethod
    def of(cls, names: Iterable[str]) -> _Candidates:
        by_deletion: dict[str, set[str]] = {}
        by_start: dict[str, list[tuple[str, frozenset[str]]]] = {}
        longest = 0
        for name in set(names):
            longest = max(longest, len(name))
            by_start.setdefault(name[:3], []).append((name, frozenset(name)))
            for deleted in _deletions(name):
                by_deletion.setdefault(deleted, set()).add(name)
        return cls(
            {key: frozenset(found) for key, found in by_deletion.items()},
            {key: tuple(found) for key, found in by_start.items()},
            longest,
        )

    def near(self, word: str) -> set[str]:
        """Every candidate within :func:`_allowed` edits of ``word`` (and perhaps a few more)."""
        if len(word) > self.longest + _MOST_EDITS:
            return set()  # too long to be near any
        found: set[str] = set()
        for deleted in _deletions(word):
            found.update(self.by_deletion.get(deleted, ()))
        if len(word) >= 7:
            letters = set(word)
            found.update(
                name
                for name, its_letters in self.by_start.get(word[:3], ())
                if len(letters ^ its_letters) <= 2 * _MOST_EDITS  # an edit changes at most two
            )
        return found


def _deletions(word: str) -> list[str]:
    """``word`` and every string made by deleting one of its letters."""
    return [word, *(word[:i] + word[i + 1 :] for i in range(len(word)))]


@lru_cache(maxsize=1)
def _places() -> _Candidates:
    from .gazetteer import gazetteer

    return _Candidates.of(name for name in gazetteer().curated_names() if " " not in name and len(name) >= 5)


@lru_cache(maxsize=1)
def _vocabulary() -> _Candidates:
    return _Candidates.of(VOCABULARY)


def _best(word: str, candidates: _Candidates) -> str | None:
    scored = [
        (distance, name)
        for name in candidates.near(word)
        if name[0] == word[0]
        and (distance := _distance(word, name, _allowed(word, name))) <= _allowed(word, name)
    ]
    if not scored:
        return None
    scored.sort()
    if len(scored) > 1 and scored[0][0] == scored[1][0] and scored[0][1] != scored[1][1]:
        return None  # two equally close words: leave it alone
    return scored[0][1]


def correct(message: str) -> str:
    """``message`` with misspelt travel words and destination names put right."""
    from .gazetteer import gazetteer

    index = gazetteer()
    vocabulary = set(VOCABULARY)
    pieces: list[str] = []
    last = 0
    previous = ""
    for match in _WORD.finditer(message):
        word = match.group()
        lower = word.lower()
        fixed = None
        if (
            len(lower) >= 5
            and lower.isascii()
            and lower not in vocabulary
            and lower not in _KEEP
            and not index.is_city_name(lower)
        ):
            fixed = _best(lower, _vocabulary())
            if fixed is None and (previous in _PLACE_CUES or word[0].isupper()):
                fixed = _best(lower, _places())
        pieces.append(message[last : match.start()])
        pieces.append(_same_case(word, fixed) if fixed else word)
        last = match.end()
        previous = lower
    pieces.append(message[last:])
    return "".join(pieces)


def _same_case(original: str, fixed: str) -> str:
    if original.isupper() and len(original) > 1:
        return fixed.upper()
    return fixed.capitalize() if original[0].isupper() else fixed
