"""A minimal Amadeus Self-Service client: OAuth2 client-credentials tokens, GETs, IATA code lookup.

Tokens are cached per process (keyed by host and client id) until shortly before they expire, so
that the flight and hotel tools, and successive turns in a warm Lambda container, share one token.
A 401 on a cached token drops it and retries once with a fresh one.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel

from ..http import HttpTransport
from . import places
from .errors import ToolError, UpstreamError
from .upstream import parse, request_json, url_with_query

AMADEUS_TEST_URL = "https://test.api.amadeus.com"
TOKEN_PATH = "/v1/security/oauth2/token"
LOCATIONS_PATH = "/v1/reference-data/locations"
TOKEN_MARGIN_SECONDS = 60.0

_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


class _Token(BaseModel):
    access_token: str
    expires_in: float


class _Location(BaseModel):
    iataCode: str
    name: str | None = None


class _Locations(BaseModel):
    data: list[_Location]


class AmadeusClient:
    """Authenticated GETs against one Amadeus host (the test environment unless told otherwise)."""

    service = "amadeus"

    def __init__(
        self,
        transport: HttpTransport,
        *,
        client_id: str,
        client_secret: str,
        timeout: float,
        base_url: str = AMADEUS_TEST_URL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout
        self.base_url = base_url.rstrip("/")
        self._clock = clock

    @property
    def is_test_environment(self) -> bool:
        return self.base_url == AMADEUS_TEST_URL

    def get(self, path: str, query: Sequence[tuple[str, str]]) -> Any:
        """The JSON body of ``GET path?query``, authenticated (a refused cached token is renewed once)."""
        url = url_with_query(self.base_url + path, query)
        token, fresh = self._token()
        try:
            return self._get(url, token)
        except UpstreamError as error:
            if error.status != 401 or fresh:
                raise
            self._forget_token(token)
            return self._get(url, self._token()[0])

    def location_code(self, place: str, sub_types: str) -> str:
        """An IATA code for ``place``: itself if it is one, a gazetteer city code, else Amadeus's lookup.

        ``sub_types`` is Amadeus's ``subType`` filter: ``"CITY"`` for hotels, ``"CITY,AIRPORT"`` for flights.
        """
        text = place.strip()
        if places.IATA_CODE.match(text):
            return text.upper()
        known = places.city(text)
        if known is not None and known.iata:
            return known.iata
        keyword = re.sub(r"[^A-Za-z0-9 .'()-]", "", unicodedata.normalize("NFKD", text.split(",")[0]))
        keyword = " ".join(keyword.split()).upper()
        if not keyword:
            raise ToolError(f"cannot look up {place!r}: use a city name or IATA code")
        query = [("subType", sub_types), ("keyword", keyword), ("page[limit]", "1"), ("view", "LIGHT")]
        found = parse(_Locations, self.get(LOCATIONS_PATH, query), self.service).data
        if not found:
            raise ToolError(f"Amadeus knows no city or airport named {place!r}")
        return found[0].iataCode

    def _get(self, url: str, token: str) -> Any:
        return request_json(
            self._transport,
            self.service,
            "GET",
            url,
            timeout=self._timeout,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            redact=(self._client_secret,),
        )

    def _token(self) -> tuple[str, bool]:
        """(access token, whether it was just issued). Holds the lock while fetching: one fetch at a time."""
        key = (self.base_url, self._client_id)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached is not None and cached[1] > self._clock():
                return cached[0], False
            body = urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                }
            ).encode()
            payload = request_json(
                self._transport,
                self.service,
                "POST",
                self.base_url + TOKEN_PATH,
                timeout=self._timeout,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=body,
                redact=(self._client_secret,),
            )
            token = parse(_Token, payload, self.service)
            _tokens[key] = (token.access_token, self._clock() + token.expires_in - TOKEN_MARGIN_SECONDS)
            return token.access_token, True

    def _forget_token(self, token: str) -> None:
        """Drop ``token`` from the cache, unless another thread has already replaced it."""
        key = (self.base_url, self._client_id)
        with _tokens_lock:
            if _tokens.get(key, ("", 0.0))[0] == token:
                del _tokens[key]
