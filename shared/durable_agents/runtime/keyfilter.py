"""Which keys may have a value item of their own: a small Bloom filter kept in the STATE item.

A key that is not in the hot set either has a value item or does not exist, and telling which would
cost a read. The filter answers "certainly not" for most keys of an object that has few value items,
so a ``get`` of a key that was never stored reads nothing, and a new small value written without a
read first can still go to the hot set (its commit stays one ``UpdateItem``). It can only say "maybe"
(then the runtime reads), never wrongly "no": keys are added when their value item is written and
never removed (a deleted key stays a "maybe" until ``delete_all`` clears the filter).

:data:`BITS` bits (:data:`FILTER_BYTES` = 64 bytes in the ``own`` attribute), :data:`HASHES` positions
per key from SHA-256: about 2% false "maybe" at 50 keys with items, 25% at 200; past a few hundred it
says "maybe" for nearly every key, which is what an object that large needs anyway.

The runtime writes a filter only as exactly :data:`FILTER_BYTES` bytes with at least one bit set (an
empty filter is no ``own`` attribute at all). A stored filter of any other form (another length, such
as its own base64 text; present but empty; no bit set) was not written by the runtime: a wrong "no"
from it would hide a value that exists, so :meth:`KeyFilter.stored` reads it as *unknown*: a full
filter, "maybe" for every key (each key is read), logged as a warning naming the object. The next
commit writes that full filter back, which is right (if slow) for every key that has an item.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

BITS = 512
HASHES = 3
FILTER_BYTES = BITS // 8
"""The size of every filter the runtime writes."""

logger = logging.getLogger(__name__)


def _positions(key: str) -> list[int]:
    digest = hashlib.sha256(key.encode()).digest()
    return [int.from_bytes(digest[4 * i : 4 * i + 4], "big") % BITS for i in range(HASHES)]


def not_written_here(data: bytes) -> str | None:
    """Why ``data`` (a stored ``own`` attribute) is not a filter the runtime writes; ``None`` if it is one.

    Args:
        data: the bytes of the ``own`` attribute as read.

    Returns:
        A short reason (for the log), or ``None`` for a well-formed filter.
    """
    if len(data) != FILTER_BYTES:
        return f"{len(data)} bytes, not {FILTER_BYTES}"
    if not any(data):
        return "no bit set (an empty filter is written as no attribute)"
    return None


class KeyFilter:
    """The filter as bytes (``b""`` is the empty filter).

    Raises:
        ValueError: ``data`` is neither empty nor :data:`FILTER_BYTES` long (use :meth:`stored` for
            bytes read from a table).
    """

    def __init__(self, data: bytes = b""):
        if data and len(data) != FILTER_BYTES:
            raise ValueError(f"a key filter is {FILTER_BYTES} bytes, not {len(data)}")
        self._bits = bytearray(data) if data else bytearray(FILTER_BYTES)

    @classmethod
    def full(cls) -> KeyFilter:
        """The filter that says "maybe" for every key (what an unknown filter is taken for)."""
        return cls(b"\xff" * FILTER_BYTES)

    @classmethod
    def stored(cls, data: bytes | None, *, owner: str) -> KeyFilter:
        """The filter of ``owner``'s STATE item as read from the table, trusted only if the runtime can
        have written it.

        Args:
            data: the ``own`` attribute's bytes, ``None`` when the item has no ``own`` attribute.
            owner: the object's partition key, named in the warning.

        Returns:
            The empty filter for ``None``; the stored one when well formed; otherwise (logged as a
            warning) the full filter, so that every key is read rather than taken as absent.
        """
        if data is None:
            return cls()
        problem = not_written_here(data)
        if problem is None:
            return cls(data)
        logger.warning(
            "the key filter of %s is not one this runtime writes (%s): every key not in the hot set is "
            "read from its item; the next commit writes a full filter",
            owner,
            problem,
        )
        return cls.full()

    def copy(self) -> KeyFilter:
        return KeyFilter(self.to_bytes())

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
