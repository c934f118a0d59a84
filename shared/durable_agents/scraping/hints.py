"""Selector hints: simple CSS-like selectors naming the part of a page that holds its main text.

A hint is a tag name, ``#id``, ``.class``, or a compound of them (``div#content``, ``article.post.main``);
combinators (descendant, child, attribute selectors) are not supported, so a hint is refused rather
than silently misread. When any hint matches, the extractor keeps only the text of matching elements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SELECTOR = re.compile(r"^(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)?(?P<rest>(?:[#.][A-Za-z0-9_-]+)*)$")
_PART = re.compile(r"([#.])([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Selector:
    """A compound selector: every given part must match."""

    tag: str | None = None
    element_id: str | None = None
    classes: frozenset[str] = frozenset()

    def matches(self, tag: str, element_id: str | None, classes: frozenset[str]) -> bool:
        return (
            (self.tag is None or self.tag == tag)
            and (self.element_id is None or self.element_id == element_id)
            and self.classes <= classes
        )


def parse_selector(hint: str) -> Selector:
    """Parse one hint; raise ``ValueError`` when it is empty or uses unsupported syntax."""
    match = _SELECTOR.match(hint.strip())
    if not match or not hint.strip():
        raise ValueError(f"unsupported selector hint {hint!r}: use tag, #id, .class or a compound of them")
    element_id: str | None = None
    classes: set[str] = set()
    for kind, name in _PART.findall(match.group("rest")):
        if kind == "#":
            if element_id is not None and element_id != name:
                raise ValueError(f"selector hint {hint!r} names two ids")
            element_id = name
        else:
            classes.add(name)
    tag = match.group("tag")
    return Selector(tag=tag.lower() if tag else None, element_id=element_id, classes=frozenset(classes))
