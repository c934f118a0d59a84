"""robots.txt: fetched once per origin, cached in :class:`ScraperState`, consulted before every request.

How an origin's robots.txt turns into a policy:

* 2xx: parsed with ``urllib.robotparser``; the group naming our product token (the user agent up to
  its first ``/``, case-insensitively) applies, else the ``*`` group, else nothing is disallowed.
  Paths are matched the RFC 9309 way (longest matching rule wins, Allow on a tie, ``*`` and a final
  ``$`` as wildcards), not with ``RobotFileParser.can_fetch``, which takes the first match and knows no
  wildcards. ``Crawl-delay`` and ``Request-rate`` of that group become the origin's crawl delay.
* 404 and other 4xx: no robots.txt, everything allowed. 401/403: everything disallowed.
* 429, 5xx, timeouts, network errors, a body over 512 KiB, a redirect to a blocked address: everything
  disallowed (conservative), cached for a shorter time so the origin is asked again soon.

Redirects of robots.txt are followed (up to 5, each hop vetted), as RFC 9309 asks.
"""

from __future__ import annotations

import re
import urllib.robotparser
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

from .clock import Clock
from .errors import ErrorCode, ScrapeFailure
from .fetch import Fetcher
from .models import MAX_REQUEST_INTERVAL, RobotsEntry, RobotsPolicyKind, RobotsRule, ScraperState
from .urls import ValidUrl, parse_url

ROBOTS_MAX_BYTES = 512 * 1024
MAX_RULES = 500
"""A group with more rules than this is treated as disallowing everything (keeps the state small)."""

_ACCEPT = "text/plain, */*;q=0.1"


def product_token(user_agent: str) -> str:
    """The name robots.txt groups match: ``durable-agents/0.1 (+...)`` -> ``durable-agents``."""
    return user_agent.split("/", 1)[0].strip().lower()


def parse_robots(text: str, user_agent: str) -> tuple[list[RobotsRule], float | None]:
    """The rules and crawl delay (seconds, capped) that a robots.txt body sets for ``user_agent``."""
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(text.splitlines())
    # The parsed groups: ``entries`` and ``default_entry`` (the ``*`` group) are not in the documented
    # API, nor in typeshed, but have been RobotFileParser's data model since Python 2.
    entries: list[Any] = parser.entries  # type: ignore[attr-defined]
    default_entry: Any = parser.default_entry  # type: ignore[attr-defined]
    token = product_token(user_agent)
    groups = [entry for entry in entries if token in {product_token(a) for a in entry.useragents}]
    if not groups and default_entry is not None:
        groups = [default_entry]
    rules = [RobotsRule(allow=line.allowance, path=line.path) for group in groups for line in group.rulelines]
    delays = [float(group.delay) for group in groups if group.delay is not None]
    delays += [
        group.req_rate.seconds / group.req_rate.requests
        for group in groups
        if group.req_rate is not None and group.req_rate.requests > 0
    ]
    crawl_delay = min(max(delays), MAX_REQUEST_INTERVAL) if delays else None
    return rules, crawl_delay


def is_allowed(entry: RobotsEntry, url: ValidUrl) -> bool:
    """Whether ``entry`` lets us fetch ``url`` (longest match wins; Allow wins a tie)."""
    if entry.policy != "rules":
        return entry.policy == "allow_all"
    path = quote(unquote(url.target))
    best: tuple[int, bool] | None = None
    for rule in entry.rules:
        candidate = (len(rule.path), rule.allow)  # longer wins; on a tie True > False, so Allow wins
        if (best is None or candidate > best) and _pattern(rule.path).match(path):
            best = candidate
    return True if best is None else best[1]


class RobotsPolicy:
    """Answers "may we fetch this URL?" from the state's cache, fetching robots.txt when needed."""

    def __init__(
        self, fetcher: Fetcher, clock: Clock, *, user_agent: str, ttl: float, error_ttl: float
    ) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._user_agent = user_agent
        self._ttl = ttl
        self._error_ttl = error_ttl

    def check(self, url: ValidUrl, state: ScraperState, *, timeout: float) -> RobotsEntry:
        """The origin's policy, which allows ``url``; raise ``robots_disallowed`` otherwise.

        ``url``'s host must just have passed the address guard: its robots.txt is on the same host.
        """
        entry = self.entry_for(url, state, timeout=timeout)
        if entry.policy == "disallow_all":
            raise ScrapeFailure(ErrorCode.ROBOTS_DISALLOWED, f"robots.txt of {url.origin}: {entry.reason}")
        if not is_allowed(entry, url):
            raise ScrapeFailure(
                ErrorCode.ROBOTS_DISALLOWED,
                f"robots.txt of {url.origin} disallows {url.target} for '{product_token(self._user_agent)}'",
            )
        return entry

    def entry_for(self, url: ValidUrl, state: ScraperState, *, timeout: float) -> RobotsEntry:
        """The origin's cached policy, or a freshly fetched one (stored in ``state``)."""
        cached = state.fresh_robots(url.origin, self._clock.now())
        if cached is not None:
            return cached
        entry = self._fetch(url, timeout=timeout)
        state.robots[url.origin] = entry
        return entry

    def _fetch(self, url: ValidUrl, *, timeout: float) -> RobotsEntry:
        robots_url = parse_url(f"{url.origin}/robots.txt")
        try:
            fetched = self._fetcher.get(
                robots_url, max_bytes=ROBOTS_MAX_BYTES, timeout=timeout, accept=_ACCEPT, vetted=True
            )
        except ScrapeFailure as failure:
            return self._entry("disallow_all", f"robots.txt unavailable ({failure.message})", error=True)
        status = fetched.response.status
        if fetched.response.ok:
            text = fetched.response.body.decode("utf-8", errors="replace")  # RFC 9309: always UTF-8
            rules, crawl_delay = parse_robots(text, self._user_agent)
            if len(rules) > MAX_RULES:
                return self._entry("disallow_all", f"robots.txt has more than {MAX_RULES} rules for us")
            if not any(not rule.allow for rule in rules):
                return self._entry("allow_all", f"HTTP {status}: nothing disallowed", crawl_delay=crawl_delay)
            return self._entry("rules", f"HTTP {status}", rules=rules, crawl_delay=crawl_delay)
        if status in (401, 403):
            return self._entry("disallow_all", f"HTTP {status}: robots.txt access denied")
        if 400 <= status < 500 and status != 429:
            return self._entry("allow_all", f"HTTP {status}: no robots.txt")
        return self._entry("disallow_all", f"robots.txt unavailable (HTTP {status})", error=True)

    def _entry(
        self,
        policy: RobotsPolicyKind,
        reason: str,
        *,
        rules: list[RobotsRule] | None = None,
        crawl_delay: float | None = None,
        error: bool = False,
    ) -> RobotsEntry:
        now = self._clock.now()
        ttl = self._error_ttl if error else self._ttl
        return RobotsEntry(
            policy=policy,
            rules=rules or [],
            crawl_delay=crawl_delay,
            reason=reason,
            fetched_at=now,
            expires_at=now + ttl,
        )


@lru_cache(maxsize=1024)
def _pattern(path: str) -> re.Pattern[str]:
    """A rule path (percent-encoded by robotparser: ``*`` is ``%2A``, ``$`` is ``%24``) as a regex."""
    anchored = path.endswith("%24")
    body = path[: -len("%24")] if anchored else path
    regex = ".*".join(re.escape(part) for part in body.split("%2A"))
    return re.compile(regex + ("$" if anchored else ""))
