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
_SENTENCE_MARKS = ".!?;\n"
_LOOK_BACK = 64
"""Characters :meth:`Scanner.words_before` reads back at first (doubled while it needs more)."""


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
        return "".join(self._work[start:end]) == self.lower[start:end]

    def claim(self, slot: str, start: int, end: int) -> None:
        """Record ``[start, end)`` as the evidence for ``slot`` and blank it out of the working copy."""
        self.spans.append(Span(slot=slot, text=self.original[start:end], start=start, end=end))
        self._work[start:end] = " " * (end - start)

    def words_before(self, start: int, count: int) -> list[str]:
        """Up to ``count`` working-copy words just before ``start``, stopping at a sentence boundary.

        Reads back only as far as those words go (not the whole message: a message naming many places
        asks this once per place).
        """
        width = _LOOK_BACK
        while True:
            low = max(0, start - width)
            before = "".join(self._work[low:start])
            boundary = max(before.rfind(mark) for mark in _SENTENCE_MARKS)
            tokens = _WORD.findall(before[boundary + 1 :])
            if boundary < 0 and low > 0:
                tokens = tokens[1:]  # perhaps cut by the window: not one of the words sought
            words = [word for word in (token.strip(".'-") for token in tokens) if word]
            if boundary >= 0 or low == 0 or len(words) >= count:
                return words[-count:]
            width *= 2

    def capitalized(self, start: int) -> bool:
        return self.original[start : start + 1].isupper()

    def sentence_initial(self, start: int) -> bool:
        """Whether only blanks lie between ``start`` and the message's start, a sentence mark
        (``.!?;:``) or a line break."""
        index = start - 1
        while index >= 0 and self.original[index].isspace():
            if self.original[index] == "\n":
                return True
            index -= 1
        return index < 0 or self.original[index] in _SENTENCE_MARKS + ":"
