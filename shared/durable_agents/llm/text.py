"""A message being read: a lower-cased working copy in which recognised phrases are blanked out.

Each recogniser finds its phrases in :attr:`Scanner.work` and claims them (:meth:`Scanner.claim`), so later
recognisers cannot read "June 3" as a traveller count or "$3000" as a year. Offsets always refer to the
original message (the working copy keeps its length).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .models import Span

_WORD = re.compile(r"[\w'’.&-]+")
_SENTENCE_END = re.compile(r"[.!?;:\n]\s*$")


def _lower_keeping_length(text: str) -> str:
    chars = []
    for char in text.replace("’", "'"):
        lowered = char.lower()
        chars.append(lowered if len(lowered) == 1 else char)
    return "".join(chars)


class Scanner:
    """The message plus a working copy with claimed phrases replaced by spaces."""

    def __init__(self, message: str) -> None:
        self.original = message
        self.lower = _lower_keeping_length(message)
        self._work = list(self.lower)
        self.spans: list[Span] = []

    @property
    def work(self) -> str:
        return "".join(self._work)

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches of ``pattern`` in the working copy that are still unclaimed when reached."""
        for match in pattern.finditer(self.work):
            if self.is_free(match.start(), match.end()):
                yield match

    def is_free(self, start: int, end: int) -> bool:
        return all(char == self.lower[start + i] for i, char in enumerate(self._work[start:end]))

    def claim(self, slot: str, start: int, end: int) -> None:
        """Record ``[start, end)`` as the evidence for ``slot`` and blank it out of the working copy."""
        self.spans.append(Span(slot=slot, text=self.original[start:end], start=start, end=end))
        self._work[start:end] = " " * (end - start)

    def words_before(self, start: int, count: int) -> list[str]:
        """Up to ``count`` working-copy words just before ``start``, stopping at a sentence boundary."""
        before = self.work[:start]
        boundary = max(before.rfind(mark) for mark in ".!?;\n")
        words = [word.strip(".'-") for word in _WORD.findall(before[boundary + 1 :])]
        return [word for word in words if word][-count:]

    def capitalized(self, start: int) -> bool:
        return self.original[start : start + 1].isupper()

    def sentence_initial(self, start: int) -> bool:
        before = self.original[:start]
        return not before.strip() or bool(_SENTENCE_END.search(before))
