"""Which keys may have a value item of their own: a small Bloom filter kept in the STATE item.

A key that is not in the hot set either has a value item or does not exist, and telling which would
cost a read. The filter answers "certainly not" for most keys of an object that has few value items,
so a ``get`` of a key that was never stored reads nothing, and a new small value written without a
read first can still go to the hot set (its commit stays one ``UpdateItem``). It can only say "maybe"
(then the runtime reads), never wrongly "no": keys are added when their value item is written and
never removed (a deleted key stays a "maybe" until ``delete_all`` clears the filter).

:data:`BITS` bits (64 bytes in the ``own`` attribute), :data:`HASHES` positions per key from SHA-256:
about 2% false "maybe" at 50 keys with items, 25% at 200; past a few hundred it says "maybe" for
nearly every key, which is what an object that large needs anyway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

BITS = 512
HASHES = 3


def _positions(key: str) -> list[int]:
    digest = hashlib.sha256(key.encode()).digest()
    return [int.from_bytes(digest[4 * i : 4 * i + 4], "big") % BITS for i in range(HASHES)]


class KeyFilter:
    """The filter as bytes (``b""`` is the empty filter)."""

    def __init__(self, data: bytes = b""):
        self._bits = bytearray(data) if data else bytearray(BITS // 8)

    def may_contain(self, key: str) -> bool:
        return all(self._bits[p // 8] & (1 << (p % 8)) for p in _positions(key))

    def add(self, keys: Iterable[str]) -> None:
        for key in keys:
            for p in _positions(key):
                self._bits[p // 8] |= 1 << (p % 8)

    @property
    def empty(self) -> bool:
        return not any(self._bits)

    def to_bytes(self) -> bytes:
        return bytes(self._bits)
