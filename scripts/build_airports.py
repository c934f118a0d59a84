"""Build ``shared/durable_agents/llm/airports.tsv``, the gazetteer's airport table (dev only).

The layer ships the table instead of the ``airportsdata`` package: reading it costs a few
milliseconds, where loading and indexing ``airportsdata`` cost most of a second on the first turn.
Run after upgrading airportsdata (pinned in requirements-dev.txt); a test checks that the committed
table is what this script builds::

    .venv/bin/python scripts/build_airports.py

Kept: airports with an IATA code that look commercial (no heliports, seaplane bases, air bases,
stations), each scored for how likely it is its city's main airport (see :func:`score`), and every
airport the curated tables name (whatever its score).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parents[1] / "shared" / "durable_agents" / "llm" / "airports.tsv"
HEADER = """\
# The gazetteer's airports, built by scripts/build_airports.py from airportsdata {version} (MIT).
# One airport a line: IATA, city, subdivision (state/province/region), ISO country, lat, lon, score
# (4 international + 2 real ICAO code + 1 named after its city: the higher, the likelier the main one),
# elevation in metres.
"""
_NOT_A_COMMERCIAL_AIRPORT = re.compile(
    r"heliport|seaplane|air ?base|\bafb\b|\bnas\b|\bmcas\b|air force|army|naval|military|station|railway|"
    r"\brail\b|\bbus\b|ferry|harbou?r|ranch|airstrip|\bstrip\b|private",
    re.IGNORECASE,
)
_INTERNATIONAL = re.compile(r"international|intl|intcntl", re.IGNORECASE)
_ICAO = re.compile(r"[A-Z]{4}")
_CLEAN = re.compile(r"[\t\n\r]+")


def score(airport: Mapping[str, Any]) -> int:
    """How likely this is a city's main commercial airport (negative: not a commercial airport)."""
    name = str(airport["name"])
    if _NOT_A_COMMERCIAL_AIRPORT.search(name):
        return -10
    value = 4 if _INTERNATIONAL.search(name) else 0
    if _ICAO.fullmatch(str(airport["icao"])):
        value += 2
    if str(airport["city"]).lower() in name.lower():
        value += 1
    return value


def curated_codes() -> set[str]:
    """The airports the curated destination, region and country tables name."""
    sys.path.insert(0, str(OUTPUT.parents[2]))
    from durable_agents.llm.countries import COUNTRIES
    from durable_agents.llm.destinations import DESTINATIONS
    from durable_agents.llm.regions import REGIONS

    codes = {line.split("|")[1] for line in DESTINATIONS.strip().splitlines()}
    codes |= {line.split("|")[2] for line in (COUNTRIES + REGIONS).splitlines() if line}
    return codes


def build() -> str:
    """The table's text from the installed airportsdata."""
    from importlib.metadata import version

    import airportsdata

    curated = curated_codes()
    lines = [HEADER.format(version=version("airportsdata"))]
    for iata, airport in sorted(airportsdata.load("IATA").items()):
        value = score(airport)
        if (value < 0 and iata not in curated) or not airport["city"]:
            continue
        fields = (
            iata,
            airport["city"],
            airport["subd"],
            airport["country"],
            f"{float(airport['lat']):.3f}",
            f"{float(airport['lon']):.3f}",
            str(value),
            str(round(float(airport["elevation"] or 0) * 0.3048)),
        )
        lines.append("\t".join(_CLEAN.sub(" ", str(field)).strip() for field in fields) + "\n")
    return "".join(lines)


if __name__ == "__main__":
    OUTPUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size:,} bytes)", file=sys.stderr)
