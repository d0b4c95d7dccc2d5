"""Plain data passed between the steps of a migration.

Every step takes and returns these objects, so each step can be tested alone and
the ledger can store their fields without knowing which step made them.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from pathlib import Path


class SourceKind(str, enum.Enum):
    """Kind of a source file, as in the ``source_kind`` column of the report."""

    FILM_SCAN = "film_scan"
    JACKET_LABEL = "jacket_label"
    SHARE_IMAGE = "share_image"
    SHARE_DICOM = "share_dicom"
    OTHER = "other"


class Status(str, enum.Enum):
    """Final state of a source file. Every file found ends in exactly one of these."""

    ARCHIVED = "archived"
    DUPLICATE = "duplicate"
    NEEDS_REVIEW = "needs_review"
    UNMATCHED = "unmatched"
    SKIPPED = "skipped"
    REJECTED = "rejected"
    PENDING = "pending"  # not final: a step has not finished for this file yet


class Decision(str, enum.Enum):
    """Outcome of patient matching for one jacket or share folder."""

    AUTO = "auto"
    NEEDS_REVIEW = "needs_review"
    UNMATCHED = "unmatched"


# Field names of a Reading. Parsers, matchers and the review workbook use these keys.
READING_FIELDS = (
    "owner_last",
    "owner_first",
    "pet_name",
    "chart_number",
    "barcode",
    "species",
    "breed",
    "study_date",  # ISO 8601 date, YYYY-MM-DD
    "rad_number",
    "region",
    "view",
    "patient_id_legacy",  # PatientID found in an existing DICOM file
)


@dataclass(frozen=True)
class FieldValue:
    """One field read from a label, folder name or DICOM header.

    ``confidence`` is in [0, 1]: the probability that ``value`` is exactly right, as
    well as the reader can estimate it. ``source`` is ``ocr``, ``barcode``,
    ``folder_name``, ``dicom`` or ``review``.
    """

    value: str
    confidence: float
    source: str


@dataclass
class Reading:
    """Patient fields read from one label scan, share folder name or DICOM header."""

    fields: dict[str, FieldValue] = field(default_factory=dict)
    text: str = ""
    mean_confidence: float = 0.0
    orientation: int = 0  # degrees clockwise that the image was turned to read it
    crop_path: Path | None = None  # PNG crop of the label, for the review workbook
    evidence: dict[str, object] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        found = self.fields.get(name)
        return found.value if found else None


@dataclass(frozen=True)
class Patient:
    """One animal from the practice-management patient list."""

    patient_id: str
    pet_name: str
    owner_last: str
    owner_first: str = ""
    species: str | None = None  # normalised name from mapping/species.yaml, e.g. "canine"
    breed: str | None = None
    sex: str | None = None  # "M", "F" or "O" as DICOM PatientSex
    neutered: bool | None = None
    birth_date: dt.date | None = None
    death_date: dt.date | None = None  # death or inactivation, whichever is earlier
    client_id: str | None = None
    row: int = 0  # 1-based data row in the patient list, for messages


@dataclass(frozen=True)
class Candidate:
    """One patient considered for a jacket, with the score and the reasons behind it."""

    patient_id: str
    score: float  # in [0, 1]
    reasons: tuple[str, ...] = ()


@dataclass
class MatchResult:
    """The matching decision for one jacket, share folder or DICOM patient."""

    decision: Decision
    candidates: list[Candidate] = field(default_factory=list)  # best first, at most three
    method: str = ""  # e.g. "chart_number", "chart_number_ocr_confusable", "owner_pet", "review"

    @property
    def patient_id(self) -> str | None:
        if self.decision is Decision.AUTO and self.candidates:
            return self.candidates[0].patient_id
        return None

    @property
    def score(self) -> float | None:
        return self.candidates[0].score if self.candidates else None


@dataclass(frozen=True)
class ScanClass:
    """The content-based class of a scanned page: ``label``, ``film``, ``blank`` or ``separator``."""

    kind: str
    confidence: float
    evidence: dict[str, float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoreOutcome:
    """Result of storing one object at a destination.

    ``state`` is ``stored``, ``already_stored`` (the destination already has the same
    SOP Instance UID), ``rejected`` (permanent, with ``status``) or ``failed``
    (transient, worth a later retry).
    """

    sop_instance_uid: str
    state: str
    status: int | None = None
    message: str = ""
