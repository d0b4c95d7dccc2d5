"""Classify C-STORE response statuses (PS3.4 Annex B.2.3, PS3.7 Annex C)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydicom.dataset import Dataset

# Warnings that still mean the SCP stored the object (PS3.4 Table B.2-1):
# 0xB000 coercion of data elements, 0xB007 data set does not match SOP Class,
# 0xB006 elements discarded.
STORED_WARNINGS = frozenset({0xB000, 0xB006, 0xB007})


class StatusKind(enum.Enum):
    """Meaning of a C-STORE status for the caller."""

    STORED = "stored"
    TRANSIENT = "transient"
    REJECTED = "rejected"


@dataclass(frozen=True)
class StatusVerdict:
    """The meaning of one C-STORE response."""

    kind: StatusKind
    status: int | None
    message: str


def classify_store_status(response: Dataset | None) -> StatusVerdict:
    """Classify a C-STORE response dataset returned by pynetdicom.

    pynetdicom returns an empty Dataset when the association was aborted, the DIMSE
    timeout expired or the response was invalid. That is a transient failure, never
    success. 0xA7xx (out of resources) is transient. 0x0000 and the warnings in
    ``STORED_WARNINGS`` mean stored. Every other status, including 0xA9xx (data set
    does not match SOP Class) and 0xCxxx (cannot understand), is a permanent rejection.
    """
    if response is None or "Status" not in response:
        return StatusVerdict(
            StatusKind.TRANSIENT, None, "no C-STORE response (association aborted or DIMSE timeout)"
        )

    status = int(response.Status)
    comment = str(response.get("ErrorComment", "") or "").strip()
    detail = f"status 0x{status:04X}" + (f": {comment}" if comment else "")
    if status == 0x0000:
        return StatusVerdict(StatusKind.STORED, status, "")
    if status in STORED_WARNINGS or (status & 0xF000) == 0xB000:
        return StatusVerdict(StatusKind.STORED, status, f"stored with warning {detail}")
    if (status & 0xFF00) == 0xA700:
        return StatusVerdict(StatusKind.TRANSIENT, status, f"out of resources, {detail}")
    return StatusVerdict(StatusKind.REJECTED, status, f"rejected by the SCP, {detail}")
