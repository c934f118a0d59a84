"""The attractions tool: OpenTripMap places (live) and an embedded list of well-known sights (offline).

Interests ("museums", "street food", "hiking") map onto one vocabulary of categories shared by both
providers; live, the categories become OpenTripMap ``kinds`` and each place's kinds map back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel, RootModel

from ..http import HttpTransport
from . import places
from .destination import destination_of
from .errors import ToolError, UpstreamError
from .landmarks import GENERIC
from .models import Attraction, AttractionList, AttractionParams, Reply, Source, Tool
from .offline import offline_source, seeded
from .upstream import parse, request_json, url_with_query

NAME = "attractions"
DESCRIPTION = "Suggest sights and things to do in a city, matched to the traveller's interests."
GEONAME_URL = "https://api.opentripmap.com/0.1/en/places/geoname"
RADIUS_URL = "https://api.opentripmap.com/0.1/en/places/radius"
RADIUS_METRES = 10_000

INTEREST_CATEGORIES: dict[str, tuple[str, ...]] = {
    "museum": ("museum", "art"),
    "art": ("art", "museum"),
    "gallery": ("art",),
    "history": ("history",),
    "historic": ("history",),
    "culture": ("museum", "history", "art"),
    "architecture": ("architecture",),
    "religion": ("religion",),
    "church": ("religion",),
    "temple": ("religion",),
    "nature": ("nature",),
    "park": ("nature",),
    "outdoor": ("nature",),
    "hiking": ("nature",),
    "food": ("food",),
    "street food": ("food",),
    "cuisine": ("food",),
    "restaurant": ("food",),
    "market": ("food", "shopping"),
    "shopping": ("shopping",),
    "nightlife": ("entertainment",),
    "entertainment": ("entertainment",),
    "music": ("entertainment",),
    "theatre": ("entertainment",),
    "family": ("entertainment", "nature"),
    "kids": ("entertainment", "nature"),
    "beach": ("beach",),
    "swimming": ("beach",),
    "view": ("viewpoint",),
    "viewpoint": ("viewpoint",),
    "photography": ("viewpoint", "architecture"),
    "neighbourhood": ("neighbourhood",),
    "neighborhood": ("neighbourhood",),
    "local life": ("neighbourhood",),
}
"""Interest (singular, lower case) -> categories, best first."""

_CATEGORY_KINDS: dict[str, str] = {
    "museum": "museums",
    "art": "museums",
    "history": "historic",
    "architecture": "architecture",
    "religion": "religion",
    "nature": "natural",
    "food": "foods",
    "shopping": "shops",
    "entertainment": "amusements,theatres_and_entertainments",
    "beach": "beaches",
    "viewpoint": "view_points",
    "neighbourhood": "urban_environment",
}
_KIND_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("beaches", "beach"),
    ("museums", "museum"),
    ("theatres", "entertainment"),
    ("amusements", "entertainment"),
    ("foods", "food"),
    ("shops", "shopping"),
    ("religion", "religion"),
    ("view_points", "viewpoint"),
    ("natural", "nature"),
    ("gardens_and_parks", "nature"),
    ("architecture", "architecture"),
    ("historic", "history"),
    ("fortifications", "history"),
    ("urban_environment", "neighbourhood"),
    ("cultural", "art"),
)
"""(OpenTripMap kind fragment, category), first match wins."""
_UNRATED_CATEGORIES = {"food", "shopping"}
"""OpenTripMap rarely rates these, so a minimum rating would hide them all."""


def tool(provider: Callable[[AttractionParams], Reply]) -> Tool:
    return Tool(NAME, DESCRIPTION, AttractionParams, AttractionList, provider)


def categories_for(interests: Sequence[str]) -> tuple[list[str], list[str]]:
    """(categories wanted, best first; interests not understood)."""
    wanted: list[str] = []
    unknown: list[str] = []
    for interest in interests:
        key = interest.strip().lower()
        forms = (key, key.removesuffix("s"), key.removesuffix("es"))  # museums, beaches
        found = next((INTEREST_CATEGORIES[form] for form in forms if form in INTEREST_CATEGORIES), None)
        if found is None:
            unknown.append(interest)
        wanted += [category for category in found or () if category not in wanted]
    return wanted, unknown


def _unknown_note(unknown: list[str]) -> list[str]:
    return [f"interests not understood: {', '.join(unknown)}"] if unknown else []


# --- live ---------------------------------------------------------------------------------------------


class _Geoname(BaseModel):
    status: str
    name: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None


class _Point(BaseModel):
    lat: float
    lon: float


class _Place(BaseModel):
    xid: str
    name: str = ""
    kinds: str = ""
    dist: float | None = None
    rate: int | None = None
    wikidata: str | None = None
    point: _Point | None = None


class _Places(RootModel[list[_Place]]):
    pass


class OpenTripMapAttractions:
    """Live places from OpenTripMap: geocode the city, then the best-rated places around it."""

    service = "opentripmap"

    def __init__(self, transport: HttpTransport, *, api_key: str, timeout: float) -> None:
        self._transport = transport
        self._api_key = api_key
        self._timeout = timeout

    def __call__(self, params: AttractionParams) -> Reply:
        name, latitude, longitude = self._locate(params)
        wanted, unknown = categories_for(params.interests)
        kinds = (
            ",".join(dict.fromkeys(_CATEGORY_KINDS[c] for c in wanted)) if wanted else "interesting_places"
        )
        rate = "1" if set(wanted) & _UNRATED_CATEGORIES else "2"
        query = [
            ("radius", str(RADIUS_METRES)),
            ("lon", f"{longitude:.5f}"),
            ("lat", f"{latitude:.5f}"),
            ("kinds", kinds),
            ("rate", rate),
            ("format", "json"),
            ("limit", str(min(500, params.limit * 3))),
        ]
        found = parse(_Places, self._get(RADIUS_URL, query), self.service).root
        seen: set[str] = set()
        attractions: list[Attraction] = []
        for place in sorted(found, key=lambda p: (-(p.rate or 0), p.dist if p.dist is not None else 1e12)):
            key = place.name.strip().casefold()
            if not key or key in seen:
                continue
            seen.add(key)
            attractions.append(
                Attraction(
                    name=place.name.strip(),
                    category=_category(place.kinds),
                    latitude=place.point.lat if place.point else None,
                    longitude=place.point.lon if place.point else None,
                    distance_m=round(place.dist) if place.dist is not None else None,
                    rating=place.rate,
                    url=f"https://www.wikidata.org/wiki/{place.wikidata}"
                    if place.wikidata
                    else f"https://opentripmap.com/en/card/{place.xid}",
                )
            )
        result = AttractionList(
            city=name,
            latitude=latitude,
            longitude=longitude,
            interests=params.interests,
            attractions=attractions[: params.limit],
            notes=_unknown_note(unknown),
        )
        source = Source(
            name=self.service,
            url="https://opentripmap.com/",
            offline=False,
            note="OpenStreetMap and Wikidata places",
        )
        return Reply(data=result, source=source)

    def _get(self, base: str, query: list[tuple[str, str]]) -> object:
        url = url_with_query(base, [*query, ("apikey", self._api_key)])
        return request_json(
            self._transport, self.service, "GET", url, timeout=self._timeout, redact=(self._api_key,)
        )

    def _locate(self, params: AttractionParams) -> tuple[str, float, float]:
        if params.latitude is not None and params.longitude is not None:
            return params.city, params.latitude, params.longitude
        name = params.city.split(",")[0].strip()
        try:
            found = parse(_Geoname, self._get(GEONAME_URL, [("name", name)]), self.service)
        except UpstreamError as error:
            if error.status != 404:
                raise
            found = _Geoname(status="NOT_FOUND")
        if found.status != "OK" or found.lat is None or found.lon is None:
            raise ToolError(f"opentripmap found no place named {name!r}")
        return found.name or name, found.lat, found.lon


def _category(kinds: str) -> str:
    return next((category for fragment, category in _KIND_CATEGORIES if fragment in kinds), "sight")


# --- offline ------------------------------------------------------------------------------------------


class OfflineAttractions:
    """A curated destination's own sights (its record, :mod:`.destination`); generic suggestions
    elsewhere; no network."""

    def __call__(self, params: AttractionParams) -> Reply:
        place = places.locate(params.city)
        name = place.name if place is not None else params.city.split(",")[0].strip().title()
        record = destination_of(place) if place is not None else None
        entries = record.sights if record is not None and record.sights else None
        wanted, unknown = categories_for(params.interests)
        notes = _unknown_note(unknown)
        if entries is None:
            notes.append(f"no curated list for {name}: generic suggestions")
            rng = seeded(NAME, places.normalise(name))
            entries = tuple(rng.sample(GENERIC, len(GENERIC)))
        if wanted and not any(category in wanted for _, category, _ in entries):
            notes.append("nothing matched the interests: the main sights instead")

        def rank(entry: tuple[str, str, str]) -> int:
            return wanted.index(entry[1]) if entry[1] in wanted else len(wanted)

        attractions = [
            Attraction(
                name=title.format(city=name), category=category, description=text.format(city=name) or None
            )
            for title, category, text in sorted(entries, key=rank)[: params.limit]
        ]
        latitude = params.latitude if params.latitude is not None else (place.latitude if place else None)
        longitude = params.longitude if params.longitude is not None else (place.longitude if place else None)
        result = AttractionList(
            city=name,
            latitude=latitude,
            longitude=longitude,
            interests=params.interests,
            attractions=attractions,
            notes=notes,
        )
        return Reply(data=result, source=offline_source())
