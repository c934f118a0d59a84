"""The reaper: deletes the items an object left behind once they can no longer be read.

Triggered by the table's stream (template.yaml filters it to these two events):
- ``REMOVE`` of a ``STATE`` item (its TTL expired): the object's history and large values of that
  generation and older go too;
- ``INSERT`` of a ``PURGE#<gen>`` item (written by ``storage.delete_all()``): the items of generation
  ``<= gen`` go.
Items of a newer generation (the object was used again meanwhile) are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .table import StateTable


def reap(records: Iterable[Mapping[str, Any]], table: StateTable) -> int:
    """Process stream records; return how many items were deleted."""
    deleted = 0
    for record in records:
        stream = record.get("dynamodb", {})
        keys = stream.get("Keys", {})
        pk, sk = keys.get("pk", {}).get("S"), keys.get("sk", {}).get("S")
        if not pk or not sk:
            continue
        if record.get("eventName") == "REMOVE" and sk == "STATE":
            gen = stream.get("OldImage", {}).get("gen", {}).get("N")
            if gen is not None:
                deleted += table.purge(pk, up_to_gen=int(gen))
        elif record.get("eventName") == "INSERT" and sk.startswith("PURGE#"):
            deleted += table.purge(pk, up_to_gen=int(sk[len("PURGE#") :]))
    return deleted
