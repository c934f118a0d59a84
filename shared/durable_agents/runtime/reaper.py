"""The reaper: deletes the items an object left behind once they can no longer be read.

Triggered by the table's stream (template.yaml filters it to these two events):
- ``REMOVE`` of a ``STATE`` item (its TTL expired): the object's history and large values of that
  generation and older go too;
- ``INSERT`` of a ``PURGE#<gen>`` item (written by ``storage.delete_all()``): the items of generation
  ``<= gen`` go.
Items of a newer generation (the object was used again meanwhile) are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .table import StateTable

logger = logging.getLogger(__name__)


@dataclass
class ReapReport:
    deleted: int = 0
    failed: list[str] = field(default_factory=list)

    def batch_response(self) -> dict[str, list[dict[str, str]]]:
        """The partial-batch response Lambda expects (``ReportBatchItemFailures``)."""
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in self.failed]}


def reap(records: Iterable[Mapping[str, Any]], table: StateTable) -> ReapReport:
    """Process stream records; a record that fails is reported (by sequence number) for a retry."""
    report = ReapReport()
    for record in records:
        stream = record.get("dynamodb", {})
        try:
            report.deleted += _reap_one(record.get("eventName"), stream, table)
        except Exception:  # noqa: BLE001 - reported per record; the stream retries just these
            logger.exception("reaping failed for %s", stream.get("Keys"))
            report.failed.append(str(stream.get("SequenceNumber", "")))
    return report


def _reap_one(event_name: str | None, stream: Mapping[str, Any], table: StateTable) -> int:
    keys = stream.get("Keys", {})
    pk, sk = keys.get("pk", {}).get("S"), keys.get("sk", {}).get("S")
    if not pk or not sk:
        return 0
    if event_name == "REMOVE" and sk == "STATE":
        gen = stream.get("OldImage", {}).get("gen", {}).get("N")
        return table.purge(pk, up_to_gen=int(gen)) if gen is not None else 0
    if event_name == "INSERT" and sk.startswith("PURGE#"):
        return table.purge(pk, up_to_gen=int(sk[len("PURGE#") :]))
    return 0
