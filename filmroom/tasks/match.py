"""Match every jacket to a patient, honouring decisions taken in the review workbook."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from filmroom.models import Candidate, Decision, MatchResult, Reading
from filmroom.settings import Settings
from filmroom.tasks.jackets import Jacket
from filmroom.tasks.serialize import reading_from_dict

logger = logging.getLogger(__name__)


def folder_reading(folder: Path, stop_at: Path) -> Reading | None:
    """Return the reading of the nearest folder name, from ``folder`` up to below ``stop_at``, that names someone."""
    from filmroom.mapping.folder_names import reading_from_folder_name

    current = folder
    while current != stop_at and stop_at in current.parents:
        reading = reading_from_folder_name(current.name)
        if reading is not None and reading.fields:
            return reading
        current = current.parent
    return None


def reading_is_usable(reading: Reading | None, settings: Settings) -> bool:
    """Return whether any identifying field was read with auto-accept confidence."""
    if reading is None:
        return False
    identifying = ("chart_number", "barcode", "owner_last", "pet_name", "patient_id_legacy")
    threshold = settings.labels.auto_accept_confidence
    return any(
        name in reading.fields and reading.fields[name].confidence >= threshold for name in identifying
    )


def study_date_of(reading: Reading | None) -> dt.date | None:
    value = reading.value("study_date") if reading else None
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def match_jacket(jacket: Jacket, matcher, settings: Settings) -> MatchResult:
    """Decide the patient of one jacket, with the safety rules that sit above the matcher.

    - A jacket whose reading has no confident identifying field goes to review, not
      to ``unmatched``: it could not be read, so it is unknown whether the patient is missing from the list.
    - A DICOM patient whose header and folder name point to different patients goes
      to review; either alone may decide.
    """
    if jacket.kind == "film_jacket" and jacket.label is None:
        return MatchResult(Decision.NEEDS_REVIEW, [], "no_label")

    primary = jacket.reading
    result = matcher.match(primary, study_date=study_date_of(primary)) if primary else None
    if jacket.kind == "dicom_patient" and jacket.folder_reading is not None:
        folder_result = matcher.match(jacket.folder_reading, study_date=study_date_of(jacket.folder_reading))
        result = _combine(result, folder_result, header_names_someone=_names_someone(primary))
    elif jacket.kind == "share_folder":
        result = matcher.match(jacket.folder_reading, study_date=study_date_of(jacket.folder_reading)) \
            if jacket.folder_reading else None

    if result is None:
        method = "folder_name_unparsed" if jacket.kind == "share_folder" else "nothing_read"
        return MatchResult(Decision.UNMATCHED if jacket.kind != "film_jacket" else Decision.NEEDS_REVIEW, [], method)

    readings = [r for r in (primary, jacket.folder_reading) if r is not None]
    if result.decision is Decision.UNMATCHED and jacket.kind == "film_jacket":
        if not any(reading_is_usable(r, settings) for r in readings):
            return MatchResult(Decision.NEEDS_REVIEW, result.candidates, "label_unreadable")
    return result


def _names_someone(reading: Reading | None) -> bool:
    """Return whether a DICOM header carries an owner or pet name.

    Header text is exact, so any name counts, whatever confidence the reader gave
    to which part of PatientName is the owner and which the pet.
    """
    if reading is None:
        return False
    return any(name in reading.fields and reading.fields[name].value.strip() for name in ("owner_last", "pet_name"))


def _combine(header: MatchResult | None, folder: MatchResult, *, header_names_someone: bool) -> MatchResult:
    """Combine the header's and the folder name's decisions for one DICOM patient.

    The folder name alone decides only when the header names nobody: a header that
    names another animal than the folder is a conflict for a person to settle.
    """
    if header is None:
        return folder
    if header.decision is Decision.AUTO and folder.decision is Decision.AUTO:
        if header.patient_id == folder.patient_id:
            return header
        return MatchResult(Decision.NEEDS_REVIEW, _merge(header, folder), "dicom_header_folder_conflict")
    if header.decision is Decision.AUTO:
        if folder.candidates and folder.candidates[0].patient_id != header.patient_id and \
                folder.decision is Decision.NEEDS_REVIEW:
            return MatchResult(Decision.NEEDS_REVIEW, _merge(header, folder), "dicom_header_folder_conflict")
        return header
    if folder.decision is Decision.AUTO:
        header_agrees = bool(header.candidates) and header.candidates[0].patient_id == folder.patient_id
        if header_names_someone and not header_agrees:
            return MatchResult(Decision.NEEDS_REVIEW, _merge(header, folder), "dicom_header_folder_conflict")
        return MatchResult(folder.decision, folder.candidates, f"folder_{folder.method}")
    if header.decision is Decision.NEEDS_REVIEW or folder.decision is Decision.NEEDS_REVIEW:
        return MatchResult(Decision.NEEDS_REVIEW, _merge(header, folder), header.method or folder.method)
    return header


def _merge(first: MatchResult, second: MatchResult) -> list[Candidate]:
    best: dict[str, Candidate] = {}
    for candidate in [*first.candidates, *second.candidates]:
        if candidate.patient_id not in best or candidate.score > best[candidate.patient_id].score:
            best[candidate.patient_id] = candidate
    return sorted(best.values(), key=lambda c: -c.score)[:3]


def apply_review(jacket_row, result: MatchResult) -> MatchResult:
    """Replace the matcher's decision with the one recorded from the review workbook, if any."""
    if jacket_row is None or not jacket_row["review_action"]:
        return result
    action = jacket_row["review_action"]
    if action == "patient":
        reason = f"chosen in review.xlsx row {jacket_row['review_row']}"
        return MatchResult(Decision.AUTO, [Candidate(jacket_row["review_patient_id"], 1.0, (reason,))], "review")
    return result


def restore_reading(data: dict | None) -> Reading | None:
    return reading_from_dict(data) if data else None
