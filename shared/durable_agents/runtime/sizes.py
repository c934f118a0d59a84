"""DynamoDB's item size rules, the one place they are written down (the runtime's limits and the
capacity meter in ``devstack/capacity.py`` both use them).

An item's size is the sum, over its attributes, of the attribute name's UTF-8 length and the value's
size: a string or binary by its bytes; a number about 1 byte per two significant digits plus 1; ``NULL``
and ``BOOL`` 1 byte; a list or map 3 bytes plus 1 per element plus its elements (a map's keys count like
attribute names); a set the sum of its members. Values are in DynamoDB's wire format (``{"S": "..."}``).

Billing rounds a write up to 1 KB units (:data:`WRITE_UNIT`) and a strongly consistent read up to
4 KB units (:data:`READ_UNIT`); an item is at most :data:`MAX_ITEM_BYTES`.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

WRITE_UNIT = 1024
READ_UNIT = 4 * 1024
MAX_ITEM_BYTES = 400 * 1024
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024


def number_size(text: str) -> int:
    """Bytes of a DynamoDB number: 1 per two significant digits (rounded up), plus 1 (2 if negative)."""
    value = Decimal(text)
    if value == 0:
        return 1
    significant = "".join(str(d) for d in value.as_tuple().digits).strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1 + (1 if value < 0 else 0)


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's wire format."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return len(_binary(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(item.encode()) for item in data)
    if kind == "NS":
        return sum(number_size(item) for item in data)
    if kind == "BS":
        return sum(len(_binary(item)) for item in data)
    if kind == "L":
        return 3 + sum(1 + value_size(item) for item in data)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(item) for name, item in data.items())
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def item_size(item: Mapping[str, Any] | None) -> int:
    """Bytes of an item, attribute names included (0 for no item)."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(before: int, after: int) -> int:
    """WCU of one write: the larger of the sizes before and after, per started KB, at least 1."""
    return max(1, math.ceil(max(before, after) / WRITE_UNIT))


def read_units(size: int, *, consistent: bool = True) -> float:
    """RCU of reading ``size`` bytes (one item, or a Query's items summed): per started 4 KB, at least 1;
    half for an eventually consistent read."""
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


def _binary(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    return base64.b64decode(data)
