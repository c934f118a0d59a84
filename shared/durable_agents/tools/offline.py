"""What every offline provider shares: its source label, a seeded random source, rough currency rates.

Offline providers are deterministic: the same arguments give the same answer, because every random
choice comes from :func:`seeded`, a generator seeded by a hash of the arguments.
"""

from __future__ import annotations

import hashlib
import random

from .models import Source

OFFLINE_NOTE = "offline estimate, not live data"

EUR_RATES: dict[str, float] = {
    "EUR": 1.0,
    "USD": 1.08,
    "GBP": 0.85,
    "CHF": 0.95,
    "JPY": 160.0,
    "CNY": 7.8,
    "HKD": 8.45,
    "SGD": 1.45,
    "AUD": 1.65,
    "NZD": 1.8,
    "CAD": 1.47,
    "MXN": 19.0,
    "BRL": 5.9,
    "ARS": 1000.0,
    "ZAR": 20.0,
    "AED": 4.0,
    "TRY": 35.0,
    "EGP": 52.0,
    "MAD": 10.8,
    "INR": 90.0,
    "THB": 38.0,
    "KRW": 1450.0,
    "SEK": 11.4,
    "NOK": 11.6,
    "DKK": 7.46,
    "ISK": 150.0,
    "PLN": 4.3,
    "CZK": 25.0,
    "HUF": 395.0,
}
"""Approximate units of each currency per euro, for offline price estimates only."""


def offline_source() -> Source:
    return Source(name="offline-estimate", url=None, offline=True, note=OFFLINE_NOTE)


def seeded(*parts: object) -> random.Random:
    """A random generator seeded by the SHA-256 of ``parts`` (stable across processes and runs)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def price_in(amount_eur: float, currency: str) -> tuple[float, str]:
    """``amount_eur`` converted to ``currency`` (rounded), or kept in EUR when the rate is unknown."""
    rate = EUR_RATES.get(currency)
    if rate is None:
        return round(amount_eur, 2), "EUR"
    return round(amount_eur * rate, 2), currency
