"""robots.txt path patterns (RFC 9309, sections 2.2.2 and 2.2.3), matched without regular expressions.

A pattern, as :class:`~.models.RobotsRule` stores it, is a rule's path in a normal form where ``*``
stands for any run of characters, a final ``$`` for the end of the path, and everything else is
literal. The normal form, applied alike to a rule's literal text and to the URL's path and query:

* characters outside printable ASCII, space, ``"<>\\^`{|}`` and a literal ``*`` or ``$`` are
  percent-encoded (UTF-8); a ``%`` that starts no escape becomes ``%25``;
* escapes of unreserved characters (letters, digits, ``-._~``) are decoded, the others kept with
  upper-case hex digits (RFC 3986 normalisation).

So a rule ``/%62%61%7A`` matches ``/baz``, ``/path/file-with-a-%2A.html`` matches a literal ``*`` and
``/foo-%24`` a literal ``$``, and ``%2F`` stays distinct from ``/``.

Matching starts at the path's first character: the pattern's first literal piece must begin the path,
and each further piece is looked for (``str.find``) at its leftmost place after the previous one.
Leftmost placement leaves the most room for the rest, so a failed search means no placement exists:
nothing is ever retried, and a pattern costs O(len(path) x len(pattern)) at worst, linear in practice
(a regular expression with one ``.*`` per wildcard backtracks exponentially: ``/*a*a*a*a*b`` against a
200-character path took seconds). With ``$``, the last piece must end the path.

Precedence: the longest matching pattern (in characters of its normal form, wildcards included)
decides; Allow wins a tie; no match allows. ``/robots.txt`` itself is always allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from .models import RobotsRule

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_KEPT = "!#%&'()+,/:;=?@[]"
"""Printable ASCII kept as it is besides the unreserved characters (``*`` and ``$`` are not: literal)."""
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def normalise(text: str) -> str:
    """``text`` (literal: no wildcards) in the normal form of the module documentation."""
    encoded = quote(_LONE_PERCENT.sub("%25", text), safe=_KEPT)
    return _ESCAPE.sub(_canonical_escape, encoded)


def pattern_of(path: str) -> str:
    """A rule's path as written in robots.txt, as a normalised pattern (``*`` and a final ``$`` special)."""
    anchored = path.endswith("$")
    body = path[:-1] if anchored else path
    return "*".join(normalise(piece) for piece in body.split("*")) + ("$" if anchored else "")


def matches(pattern: str, path: str) -> bool:
    """Whether normalised ``pattern`` matches normalised ``path`` (leftmost placement; see above)."""
    anchored = pattern.endswith("$")
    first, *rest = (pattern[:-1] if anchored else pattern).split("*")
    if not path.startswith(first):
        return False
    if not rest:
        return path == first if anchored else True
    *middle, last = rest
    position = len(first)
    for piece in middle:
        found = path.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    if anchored:
        return len(path) - len(last) >= position and path.endswith(last)
    return path.find(last, position) >= 0


def allowed(rules: Iterable[RobotsRule], target: str) -> bool:
    """Whether ``rules`` let us fetch ``target`` (a URL's path and query): longest match, Allow on a tie."""
    path = normalise(target)
    if path == "/robots.txt":
        return True
    best: tuple[int, bool] | None = None
    for rule in rules:
        candidate = (len(rule.pattern), rule.allow)  # longer wins; on a tie True > False, so Allow wins
        if (best is None or candidate > best) and matches(rule.pattern, path):
            best = candidate
    return True if best is None else best[1]


def _canonical_escape(match: re.Match[str]) -> str:
    character = chr(int(match.group(1), 16))
    return character if character in _UNRESERVED else "%" + match.group(1).upper()
