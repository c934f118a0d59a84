"""One GET with vetted redirects: every hop's address is checked before any byte is sent to it.

Transports never follow redirects (see :mod:`.transport`); :class:`Fetcher` does, up to
:data:`MAX_REDIRECTS` hops, vetting each hop's addresses first (the transport connects to exactly
those) and calling the caller's hook (robots.txt and rate limit for page fetches) before the hop's
request. Every exchange gets only what is left of the caller's :class:`~.clock.Deadline`, so the whole
chain ends by it; transport errors become :class:`ScrapeFailure` codes.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from dataclasses import dataclass

from ..http import HttpError, HttpResponse, HttpTimeout, ResponseTooLarge
from .addresses import AddressGuard, Vetted
from .clock import Deadline
from .errors import ErrorCode, ScrapeFailure
from .transport import ScrapeTransport
from .urls import ValidUrl, join_url

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

BeforeRedirect = Callable[[Vetted, Deadline], None]
"""Called with a vetted redirect target and the deadline, before the request to it; raises to stop."""


@dataclass(frozen=True)
class Fetched:
    """The final (non-redirect) response and the URL it came from."""

    url: ValidUrl
    response: HttpResponse


class Fetcher:
    """GETs a URL through a transport, following and vetting redirects."""

    def __init__(self, transport: ScrapeTransport, guard: AddressGuard, *, user_agent: str) -> None:
        self._transport = transport
        self._guard = guard
        self._user_agent = user_agent

    def get(
        self,
        target: Vetted,
        *,
        deadline: Deadline,
        max_bytes: int,
        accept: str,
        before_redirect: BeforeRedirect | None = None,
    ) -> Fetched:
        """The final response of ``target``'s redirect chain, whatever its status, by ``deadline``."""
        redirects = 0
        while True:
            response = self._exchange(target, deadline=deadline, max_bytes=max_bytes, accept=accept)
            if response.status not in REDIRECT_STATUSES:
                return Fetched(url=target.url, response=response)
            location = self._redirect_target(target.url, response)
            redirects += 1
            if redirects > MAX_REDIRECTS:
                raise ScrapeFailure(
                    ErrorCode.FETCH_FAILED, f"more than {MAX_REDIRECTS} redirects, last to {location}"
                )
            target = self._guard.vet(location, within=deadline.remaining())
            if before_redirect is not None:
                before_redirect(target, deadline)

    def _exchange(self, target: Vetted, *, deadline: Deadline, max_bytes: int, accept: str) -> HttpResponse:
        url = target.url
        timeout = deadline.remaining()
        if timeout <= 0:
            raise ScrapeFailure(ErrorCode.TIMEOUT, f"{url} not reached within {deadline.seconds:g}s")
        headers = {"User-Agent": self._user_agent, "Accept": accept, "Accept-Encoding": "identity"}
        try:
            return self._transport(
                url, target.addresses, headers=headers, timeout=timeout, max_bytes=max_bytes
            )
        except HttpTimeout:
            raise ScrapeFailure(ErrorCode.TIMEOUT, f"{url} not done within {deadline.seconds:g}s") from None
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
