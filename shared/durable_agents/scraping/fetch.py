"""One GET with vetted redirects: every hop's address is checked before any byte is sent to it.

Transports never follow redirects (see :mod:`durable_agents.http`); :class:`Fetcher` does, up to
:data:`MAX_REDIRECTS` hops, checking each hop's URL and addresses first and calling the caller's hook
(robots.txt and rate limit for page fetches) before the hop's request. The request's timeout is one
budget for the whole chain; transport errors become :class:`ScrapeFailure` codes.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from dataclasses import dataclass

from ..http import HttpError, HttpResponse, HttpTimeout, HttpTransport, ResponseTooLarge
from .addresses import AddressGuard
from .clock import Clock
from .errors import ErrorCode, ScrapeFailure
from .urls import ValidUrl, join_url

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

BeforeRedirect = Callable[[ValidUrl, float], None]
"""Called with a redirect target and the seconds left, before the request to it; raises to stop."""


@dataclass(frozen=True)
class Fetched:
    """The final (non-redirect) response and the URL it came from."""

    url: ValidUrl
    response: HttpResponse


class Fetcher:
    """GETs a URL through a transport, following and vetting redirects."""

    def __init__(
        self, transport: HttpTransport, guard: AddressGuard, clock: Clock, *, user_agent: str
    ) -> None:
        self._transport = transport
        self._guard = guard
        self._clock = clock
        self._user_agent = user_agent

    def get(
        self,
        url: ValidUrl,
        *,
        max_bytes: int,
        timeout: float,
        accept: str,
        vetted: bool = False,
        before_redirect: BeforeRedirect | None = None,
    ) -> Fetched:
        """The final response of ``url``'s redirect chain, whatever its status.

        ``vetted`` says the caller has just checked ``url``'s addresses itself; redirect hops are
        always checked here.
        """
        deadline = self._clock.now() + timeout
        for hop in range(MAX_REDIRECTS + 1):
            remaining = deadline - self._clock.now()
            if remaining <= 0:
                raise ScrapeFailure(ErrorCode.TIMEOUT, f"{url} not reached within {timeout:g}s")
            if hop or not vetted:
                self._guard.check(url)
            if hop and before_redirect is not None:
                before_redirect(url, remaining)
                remaining = deadline - self._clock.now()
                if remaining <= 0:
                    raise ScrapeFailure(ErrorCode.TIMEOUT, f"{url} not reached within {timeout:g}s")
            response = self._exchange(url, max_bytes=max_bytes, timeout=remaining, accept=accept)
            if response.status not in REDIRECT_STATUSES:
                return Fetched(url=url, response=response)
            url = self._redirect_target(url, response)
        raise ScrapeFailure(ErrorCode.FETCH_FAILED, f"more than {MAX_REDIRECTS} redirects, last to {url}")

    def _exchange(self, url: ValidUrl, *, max_bytes: int, timeout: float, accept: str) -> HttpResponse:
        headers = {"User-Agent": self._user_agent, "Accept": accept, "Accept-Encoding": "identity"}
        try:
            return self._transport("GET", url.url, headers=headers, timeout=timeout, max_bytes=max_bytes)
        except HttpTimeout:
            raise ScrapeFailure(ErrorCode.TIMEOUT, f"{url} did not answer within {timeout:.3g}s") from None
        except ResponseTooLarge:
            raise ScrapeFailure(ErrorCode.TOO_LARGE, f"{url}: body larger than {max_bytes} bytes") from None
        except (HttpError, OSError, http.client.HTTPException, ValueError) as error:
            raise ScrapeFailure(ErrorCode.FETCH_FAILED, f"{url}: request failed ({error})") from None

    @staticmethod
    def _redirect_target(url: ValidUrl, response: HttpResponse) -> ValidUrl:
        location = response.header("location")
        if not location:
            raise ScrapeFailure(
                ErrorCode.HTTP_ERROR,
                f"{url} answered {response.status} without a Location",
                status=response.status,
            )
        try:
            return join_url(url, location)
        except ScrapeFailure as failure:
            raise ScrapeFailure(
                failure.code, f"{url} redirects to an invalid URL: {failure.message}"
            ) from None
