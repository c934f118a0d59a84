"""robots.txt: fetched once per origin, cached in :class:`ScraperState`, consulted before every request.

How an origin's robots.txt turns into a policy:

* 2xx: parsed by :mod:`.robotstxt` (the groups naming our product token, else the ``*`` groups) and
  matched by :mod:`.robotsmatch` (RFC 9309: longest match wins, Allow on a tie, ``*`` and a final
  ``$`` as wildcards, in linear time). ``Crawl-delay`` and ``Request-rate`` of those groups become
  the origin's crawl delay. A body that is compressed (we ask for ``identity``) cannot be read:
  everything disallowed, as for an unreachable file.
* 404 and other 4xx: no robots.txt, everything allowed. 401/403: everything disallowed.
* 429, 5xx, timeouts, network errors, a body over 512 KiB, a redirect to a blocked address: everything
  disallowed (conservative), cached for a shorter time so the origin is asked again soon.

Redirects of robots.txt are followed (up to 5, each hop vetted), as RFC 9309 asks. The fetch shares
the scrape's deadline and goes to the addresses the page's host was just vetted at.
"""

from __future__ import annotations

from .addresses import Vetted
from .clock import Clock, Deadline
from .errors import ErrorCode, ScrapeFailure
from .fetch import Fetcher
from .models import RobotsEntry, RobotsPolicyKind, RobotsRule, ScraperState
from .robotsmatch import allowed
from .robotstxt import parse_robots, product_token
from .urls import ValidUrl, parse_url

ROBOTS_MAX_BYTES = 512 * 1024
MAX_RULES = 500
"""A group with more rules than this is treated as disallowing everything (keeps the state small)."""

_ACCEPT = "text/plain, */*;q=0.1"


def is_allowed(entry: RobotsEntry, url: ValidUrl) -> bool:
    """Whether ``entry`` lets us fetch ``url``."""
    if entry.policy != "rules":
        return entry.policy == "allow_all"
    return allowed(entry.rules, url.target)


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

    def check(self, target: Vetted, state: ScraperState, *, deadline: Deadline) -> RobotsEntry:
        """The origin's policy, which allows ``target``; raise ``robots_disallowed`` otherwise."""
        url = target.url
        entry = self.entry_for(target, state, deadline=deadline)
        if entry.policy == "disallow_all":
            raise ScrapeFailure(ErrorCode.ROBOTS_DISALLOWED, f"robots.txt of {url.origin}: {entry.reason}")
        if not is_allowed(entry, url):
            raise ScrapeFailure(
                ErrorCode.ROBOTS_DISALLOWED,
                f"robots.txt of {url.origin} disallows {url.target} for '{product_token(self._user_agent)}'",
            )
        return entry

    def entry_for(self, target: Vetted, state: ScraperState, *, deadline: Deadline) -> RobotsEntry:
        """The origin's cached policy, or a freshly fetched one (stored in ``state``)."""
        origin = target.url.origin
        cached = state.fresh_robots(origin, self._clock.now())
        if cached is not None:
            return cached
        entry = self._fetch(target.on_same_host(parse_url(f"{origin}/robots.txt")), deadline=deadline)
        state.robots[origin] = entry
        return entry

    def _fetch(self, robots: Vetted, *, deadline: Deadline) -> RobotsEntry:
        try:
            fetched = self._fetcher.get(robots, deadline=deadline, max_bytes=ROBOTS_MAX_BYTES, accept=_ACCEPT)
        except ScrapeFailure as failure:
            return self._entry("disallow_all", f"robots.txt unavailable ({failure.message})", error=True)
        status = fetched.response.status
        encoding = fetched.response.header("content-encoding").strip().lower()
        if fetched.response.ok and encoding not in ("", "identity"):
            return self._entry("disallow_all", f"robots.txt unreadable ({encoding} body)", error=True)
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
