"""Typed travel tools (weather, flights, hotels, attractions, search) that agents run in parallel.

Each tool has a live provider (Open-Meteo, Amadeus, OpenTripMap, Brave Search, through the package's
:mod:`~durable_agents.http` transport) and an offline provider (the default: deterministic estimates,
labelled ``offline=True``). Build the registry with :func:`default_registry` and call
:meth:`ToolRegistry.run_parallel`.
"""

from .models import (
    AttractionParams,
    FlightParams,
    HotelParams,
    SearchParams,
    Source,
    Tool,
    ToolResult,
    WeatherParams,
)
from .registry import ToolRegistry, default_registry, offline_registry

__all__ = [
    "AttractionParams",
    "FlightParams",
    "HotelParams",
    "SearchParams",
    "Source",
    "Tool",
    "ToolRegistry",
    "ToolResult",
    "WeatherParams",
    "default_registry",
    "offline_registry",
]
