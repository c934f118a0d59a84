"""robots.txt, the format (RFC 9309): what one file says to one product token.

The file (UTF-8, read with replacement characters) is lines ended by CR, LF or CRLF. ``#`` starts a
comment; what is left is ``key: value``, the key case-insensitive, spaces and tabs around both
ignored. Lines that are not ``key: value`` and unknown keys (``sitemap``, misspellings) change nothing.

Groups: one or more ``user-agent`` lines, then rules (``allow: <path>`` / ``disallow: <path>``). A
``user-agent`` line after a rule starts a new group; blank lines do not end one. Rules before the first
``user-agent`` line belong to no group and are ignored; a rule with an empty path matches nothing and
is dropped. A user-agent value's product token is its leading run of letters, ``_`` and ``-``
(``Googlebot/2.1`` -> ``googlebot``), compared case-insensitively.

Which groups apply: every group naming our product token, combined; if none does, every ``*``
group, combined; if there is none either, no rule applies.

Two common extensions of those groups become a crawl delay (the largest, capped at
:data:`~.models.MAX_REQUEST_INTERVAL`): ``crawl-delay: <seconds>`` (a decimal number) and
``request-rate: <requests>/<period>`` with an optional ``s``, ``m`` or ``h`` unit (seconds by
default). Like ``sitemap``, they never start or end a group. Malformed values are ignored.

Rule paths come back as normalised patterns (:func:`~.robotsmatch.pattern_of`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import MAX_REQUEST_INTERVAL, RobotsRule
from .robotsmatch import pattern_of

_NEWLINE = re.compile(r"\r\n|\r|\n")
_AGENT_TOKEN = re.compile(r"[A-Za-z_-]+")
_SECONDS = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")
_RATE = re.compile(r"([0-9]{1,9})[ \t]*/[ \t]*([0-9]{1,9})[ \t]*([smhSMH]?)")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def product_token(user_agent: str) -> str:
    """The name robots.txt groups match: ``durable-agents/0.1 (+...)`` -> ``durable-agents``."""
    value = user_agent.strip(" \t")
    if value.startswith("*"):
        return "*"
    match = _AGENT_TOKEN.match(value)
    return match.group(0).lower() if match else ""


def parse_robots(text: str, user_agent: str) -> tuple[list[RobotsRule], float | None]:
    """The rules and crawl delay (seconds, capped) that a robots.txt body sets for ``user_agent``."""
    groups = _groups(text)
    token = product_token(user_agent)
    applying = [group for group in groups if token in group.agents]
    if not applying:
        applying = [group for group in groups if "*" in group.agents]
    rules = [rule for group in applying for rule in group.rules]
    delays = [delay for group in applying for delay in group.delays]
    return rules, min(max(delays), MAX_REQUEST_INTERVAL) if delays else None


@dataclass
class _Group:
    agents: set[str] = field(default_factory=set)
    rules: list[RobotsRule] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)


def _groups(text: str) -> list[_Group]:
    groups: list[_Group] = []
    current: _Group | None = None
    in_rules = False
    for line in _NEWLINE.split(text):
        key, colon, value = line.split("#", 1)[0].partition(":")
        if not colon:
            continue
        key, value = key.strip(" \t").lower(), value.strip(" \t")
        if key == "user-agent":
            if current is None or in_rules:
                current = _Group()
                groups.append(current)
                in_rules = False
            current.agents.add(product_token(value))
        elif current is None:
            continue
        elif key in ("allow", "disallow"):
            in_rules = True
            if value:
                current.rules.append(RobotsRule(allow=key == "allow", pattern=pattern_of(value)))
        elif key in ("crawl-delay", "request-rate"):
            delay = _delay(key, value)
            if delay is not None:
                current.delays.append(delay)
    return groups


def _delay(key: str, value: str) -> float | None:
    if key == "crawl-delay":
        return float(value) if _SECONDS.fullmatch(value) else None
    rate = _RATE.fullmatch(value)
    if rate is None or int(rate.group(1)) == 0:
        return None
    return int(rate.group(2)) * _UNITS[rate.group(3).lower()] / int(rate.group(1))
