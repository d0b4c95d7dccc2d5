"""Decide what each found file is: a label or film page, a share image, DICOM, or neither.

Results depend only on file content, so they are cached in the ledger by SHA-256.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filmroom.errors import BadInputError
from filmroom.ledger import Ledger
from filmroom.models import SourceKind, Status
from filmroom.tasks.discover import DICOM_SUFFIXES, IMAGE_SUFFIXES, FoundFile
from filmroom.tasks.serialize import reading_to_dict

logger = logging.getLogger(__name__)

PAGE_CLASS_VERSION = "4"
DICOM_INSPECTION_VERSION = "1"


@dataclass
class Identified:
    """The identified kind of one file, and its final status when that is already known."""

    source_id: int
    found: FoundFile
    source_kind: SourceKind
    page_class: str = ""  # label | film | blank | separator, for pages under --films
    evidence: dict[str, Any] = field(default_factory=dict)
    status: Status = Status.PENDING
    reason: str = ""
    dicom: dict[str, Any] | None = None  # cached DICOM inspection, for DICOM files


def identify_file(ledger: Ledger, source_id: int, found: FoundFile) -> Identified:
    """Identify one file, using the content cache when it has a result for the file's hash."""
    fmt = found.file_format
    suffix = found.path.suffix.lower()

    if fmt == "broken_link":
        target = os.readlink(found.path)
        return _rejected(source_id, found, f"symbolic link to {target}, which does not exist; fix or remove the link")
    if fmt == "empty":
        return _rejected(source_id, found, "empty file (0 bytes): copy the file again from its origin")
    if fmt == "gzip" or (fmt == "other" and suffix in DICOM_SUFFIXES):
        # The DICOM reader unpacks gzip and finds data sets behind a few stray bytes.
        identified = _identify_dicom(ledger, source_id, found)
        if identified.status is Status.REJECTED and fmt == "gzip":
            identified.reason = f"gzip-compressed file that does not hold DICOM ({identified.reason}); unpack it and check"
        return identified
    if fmt == "other":
        if suffix in IMAGE_SUFFIXES:
            return _rejected(
                source_id, found, f"named {suffix} but is not a readable image; check the file"
            )
        return Identified(
            source_id, found, SourceKind.OTHER, status=Status.SKIPPED, reason="not an image or DICOM file"
        )
    if fmt == "dicom":
        return _identify_dicom(ledger, source_id, found)
    if found.root_kind == "share":
        return Identified(source_id, found, SourceKind.SHARE_IMAGE)
    return _identify_page(ledger, source_id, found)


def _rejected(source_id: int, found: FoundFile, reason: str) -> Identified:
    return Identified(source_id, found, SourceKind.OTHER, status=Status.REJECTED, reason=reason)


def _identify_page(ledger: Ledger, source_id: int, found: FoundFile) -> Identified:
    from filmroom.labels.classify import classify_page

    cached = ledger.cached(found.sha256, "page_class", PAGE_CLASS_VERSION)
    if cached is None:
        try:
            scan_class = classify_page(found.path)
        except BadInputError as exc:
            return _rejected(source_id, found, exc.reason)
        cached = {"kind": scan_class.kind, "confidence": scan_class.confidence, "evidence": scan_class.evidence}
        ledger.cache(found.sha256, "page_class", PAGE_CLASS_VERSION, cached)

    kind = cached["kind"]
    evidence = {"confidence": cached["confidence"], **cached["evidence"]}
    if kind == "label":
        return Identified(source_id, found, SourceKind.JACKET_LABEL, "label", evidence)
    if kind == "film":
        return Identified(source_id, found, SourceKind.FILM_SCAN, "film", evidence)
    reason = "blank page" if kind == "blank" else "batch separator sheet"
    return Identified(source_id, found, SourceKind.OTHER, kind, evidence, status=Status.SKIPPED, reason=reason)


def _identify_dicom(ledger: Ledger, source_id: int, found: FoundFile) -> Identified:
    cached = ledger.cached(found.sha256, "dicom_inspection", DICOM_INSPECTION_VERSION)
    if cached is None:
        cached = inspect_for_cache(found.path)
        ledger.cache(found.sha256, "dicom_inspection", DICOM_INSPECTION_VERSION, cached)

    if cached.get("rejected"):
        return Identified(source_id, found, SourceKind.SHARE_DICOM, status=Status.REJECTED,
                          reason=cached["rejected"], dicom=cached)
    if not cached["is_image"]:
        return Identified(source_id, found, SourceKind.SHARE_DICOM, status=Status.SKIPPED,
                          reason=cached["skip_reason"], dicom=cached)
    return Identified(source_id, found, SourceKind.SHARE_DICOM, dicom=cached)


def inspect_for_cache(path: Path) -> dict[str, Any]:
    """Inspect a DICOM file and return the JSON-able facts the later steps need."""
    from filmroom.dicom.legacy import inspect_dicom
    from filmroom.matching.dicom_identity import reading_from_dicom

    try:
        inspection = inspect_dicom(path)
    except BadInputError as exc:
        return {"rejected": exc.reason}

    return {
        "is_image": inspection.is_image,
        "skip_reason": inspection.skip_reason,
        "sop_class_uid": inspection.sop_class_uid,
        "sop_instance_uid": inspection.sop_instance_uid,
        "study_instance_uid": inspection.study_instance_uid,
        "transfer_syntax_uid": inspection.transfer_syntax_uid,
        "patient_id": str(inspection.dataset.get("PatientID", "") or ""),
        "reading": reading_to_dict(reading_from_dicom(inspection.dataset)),
    }
