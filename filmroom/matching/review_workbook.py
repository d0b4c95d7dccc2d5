"""Write the review workbook for uncertain matches and read the decisions typed into it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from filmroom.errors import ConfigurationError
from filmroom.models import Candidate, Patient, Reading

logger = logging.getLogger(__name__)

REVIEW_SHEET = "Review"
INSTRUCTIONS_SHEET = "Instructions"
DECISION_CHOICES = ("candidate 1", "candidate 2", "candidate 3", "not a patient", "skip")
CROP_WIDTH_PX = 200
PX_TO_POINTS = 0.75  # Excel row heights are in points; a pixel is 0.75 pt at 96 dpi
MAX_ROW_HEIGHT_POINTS = 409  # the largest row height Excel accepts

HEADERS = (
    ("Jacket ID", 18),
    ("Kind", 13),
    ("Status", 13),
    ("Label", 30),
    ("OCR text", 40),
    ("Fields read", 34),
    ("Candidate 1 ID", 14),
    ("Candidate 1", 38),
    ("Candidate 2 ID", 14),
    ("Candidate 2", 38),
    ("Candidate 3 ID", 14),
    ("Candidate 3", 38),
    ("Decision", 16),
    ("Other patient ID", 18),
    ("Source paths", 50),
)
INSTRUCTIONS = (
    (
        "Each row of the Review sheet is one film jacket, share folder or DICOM patient that filmroom could not "
        "file automatically."
    ),
    (
        "Compare the label picture and the text read from it with the candidates, best first. The score is "
        "between 0 and 1, and the reasons list the comparisons behind it."
    ),
    (
        "In Decision, choose 'candidate 1', 'candidate 2' or 'candidate 3' to file the images under that patient, "
        "'not a patient' when the jacket holds no patient images, or 'skip' to leave it for later."
    ),
    (
        "To file under a patient who is not among the candidates, leave Decision blank and type the patient ID "
        "from the practice-management system in 'Other patient ID'."
    ),
    "Rows left blank stay in review. You can fill the workbook in several sessions and import it each time.",
    "Do not rename the sheets or the column headers: the import finds the columns by their headers.",
)


@dataclass
class ReviewItem:
    """One jacket, share folder or DICOM patient that needs a human decision."""

    jacket_id: str
    kind: str  # "film_jacket", "share_folder" or "dicom_patient"
    source_paths: list[str]
    crop_path: Path | None
    text: str
    reading: Reading
    candidates: list[Candidate] = field(default_factory=list)
    status: str = "needs_review"  # or "unmatched"


@dataclass(frozen=True)
class ReviewDecision:
    """A decision read back from the workbook. ``row`` is the worksheet row."""

    jacket_id: str
    action: str  # "patient", "not_patient" or "skip"
    patient_id: str | None
    row: int


def _fields_text(reading: Reading) -> str:
    lines = [
        f"{name}: {value.value} ({value.confidence:.2f})" for name, value in reading.fields.items()
    ]
    return "\n".join(lines)


def _candidate_text(candidate: Candidate, patient: Patient | None) -> str:
    lines = []
    if patient is None:
        lines.append("patient not in the list")
    else:
        owner = ", ".join(p for p in (patient.owner_last, patient.owner_first) if p)
        lines.append(f"pet: {patient.pet_name}")
        lines.append(f"owner: {owner}")
        lines.append(
            f"species: {patient.species or '-'}" + (f", {patient.breed}" if patient.breed else "")
        )
    lines.append(f"score: {candidate.score:.2f}")
    if candidate.reasons:
        lines.append("reasons: " + "; ".join(candidate.reasons))
    return "\n".join(lines)


def _add_crop(sheet: Worksheet, row: int, crop_path: Path | None) -> str:
    """Embed the label crop scaled to CROP_WIDTH_PX wide; return text for the cell instead."""
    if crop_path is None:
        return "no label picture"
    if not Path(crop_path).is_file():
        logger.warning("Label crop not found for review row %d", row)
        return f"label picture not found: {crop_path}"
    picture = SheetImage(str(crop_path))
    scale = CROP_WIDTH_PX / picture.width if picture.width else 1.0
    picture.width = CROP_WIDTH_PX
    picture.height = max(1, round(picture.height * scale))
    sheet.add_image(picture, f"D{row}")
    height = min(picture.height * PX_TO_POINTS + 6, MAX_ROW_HEIGHT_POINTS)
    sheet.row_dimensions[row].height = max(sheet.row_dimensions[row].height or 0, height)
    return ""


def write_review_workbook(
    path: Path, items: Sequence[ReviewItem], patients: Mapping[str, Patient]
) -> None:
    """Write ``review.xlsx``: one row per item with its label crop, text read, candidates and a decision drop-down."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = REVIEW_SHEET
    wrap = Alignment(wrap_text=True, vertical="top")
    for column, (title, width) in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=1, column=column, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
        cell.alignment = wrap
        sheet.column_dimensions[get_column_letter(column)].width = width

    decision_column = get_column_letter(HEADERS.index(("Decision", 16)) + 1)
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(DECISION_CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Invalid decision",
        error="Choose a value from the list, or leave the cell blank.",
    )
    sheet.add_data_validation(choices)

    for row, item in enumerate(items, start=2):
        values: list[object] = [
            item.jacket_id,
            item.kind,
            item.status,
            "",
            item.text,
            _fields_text(item.reading),
        ]
        for position in range(3):
            if position < len(item.candidates):
                candidate = item.candidates[position]
                values += [
                    candidate.patient_id,
                    _candidate_text(candidate, patients.get(candidate.patient_id)),
                ]
            else:
                values += ["", ""]
        values += ["", "", "\n".join(item.source_paths)]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.alignment = wrap
            cell.number_format = "@"  # IDs such as "00123" stay text when typed over
        sheet.cell(row=row, column=4, value=_add_crop(sheet, row, item.crop_path) or None)
        if not sheet.row_dimensions[row].height:
            sheet.row_dimensions[row].height = 90
    last_row = max(2, len(items) + 1)
    choices.add(f"{decision_column}2:{decision_column}{last_row}")
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{last_row}"

    notes = workbook.create_sheet(INSTRUCTIONS_SHEET)
    notes.column_dimensions["A"].width = 110
    notes.cell(row=1, column=1, value="How to review").font = Font(bold=True, size=13)
    for row, line in enumerate(INSTRUCTIONS, start=2):
        notes.cell(row=row, column=1, value=line).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    workbook.save(path)
    logger.info("Wrote review workbook with %d rows", len(items))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def read_review_workbook(
    path: Path, *, known_patient_ids: set[str]
) -> tuple[dict[str, ReviewDecision], list[str]]:
    """Read the decisions typed into a review workbook.

    Rows with a blank decision and no other patient ID give no entry. Invalid entries
    (an unknown choice, a candidate number with no candidate, an unknown patient ID,
    both a decision and another ID) give an error naming the row and the value and no
    entry, so the other rows still count.
    """
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigurationError(f"Review workbook {path} cannot be read: {exc}") from None
    try:
        if REVIEW_SHEET not in workbook.sheetnames:
            raise ConfigurationError(f"Review workbook {path} has no sheet named {REVIEW_SHEET!r}")
        rows = list(workbook[REVIEW_SHEET].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        raise ConfigurationError(f"Review workbook {path} has an empty {REVIEW_SHEET!r} sheet")

    header = {_text(title): index for index, title in enumerate(rows[0]) if title}
    needed = [
        "Jacket ID",
        "Decision",
        "Other patient ID",
        "Candidate 1 ID",
        "Candidate 2 ID",
        "Candidate 3 ID",
    ]
    missing = [title for title in needed if title not in header]
    if missing:
        raise ConfigurationError(
            f"Review workbook {path} is missing columns {missing}; found {sorted(header)}. "
            "Restore the original headers or write a new workbook."
        )

    decisions: dict[str, ReviewDecision] = {}
    errors: list[str] = []
    for row_number, values in enumerate(rows[1:], start=2):

        def cell(title: str, values: tuple[object, ...] = values) -> str:
            position = header[title]
            return _text(values[position]) if position < len(values) else ""

        jacket_id = cell("Jacket ID")
        choice = cell("Decision").casefold()
        other_id = cell("Other patient ID")
        if not choice and not other_id:
            continue
        where = f"{REVIEW_SHEET} row {row_number}"
        if not jacket_id:
            errors.append(f"{where}: Jacket ID is empty; write a new workbook")
            continue
        decision, error = _decide(jacket_id, choice, other_id, row_number, cell, known_patient_ids)
        if error:
            errors.append(f"{where} (jacket {jacket_id}): {error}")
            continue
        if decision is not None:
            if jacket_id in decisions:
                errors.append(
                    f"{where}: jacket {jacket_id} is also on row {decisions[jacket_id].row}; the first row is used"
                )
                continue
            decisions[jacket_id] = decision
    logger.info("Read %d review decisions and %d errors", len(decisions), len(errors))
    return decisions, errors


def _decide(
    jacket_id: str,
    choice: str,
    other_id: str,
    row: int,
    cell: Callable[[str], str],
    known_patient_ids: set[str],
) -> tuple[ReviewDecision | None, str | None]:
    if other_id:
        if choice:
            return (
                None,
                f"both Decision {choice!r} and Other patient ID {other_id!r} are filled; clear one",
            )
        if other_id not in known_patient_ids:
            return None, f"Other patient ID {other_id!r} is not in the patient list; check the ID"
        return ReviewDecision(jacket_id, "patient", other_id, row), None
    if choice == "not a patient":
        return ReviewDecision(jacket_id, "not_patient", None, row), None
    if choice == "skip":
        return ReviewDecision(jacket_id, "skip", None, row), None
    if choice in DECISION_CHOICES[:3]:
        patient_id = cell(f"Candidate {choice[-1]} ID")
        if not patient_id:
            return None, f"Decision {choice!r} names a candidate this row does not have"
        if patient_id not in known_patient_ids:
            return (
                None,
                f"{choice} ID {patient_id!r} is no longer in the patient list; type another ID",
            )
        return ReviewDecision(jacket_id, "patient", patient_id, row), None
    return None, f"Decision {choice!r} is invalid; choose one of {', '.join(DECISION_CHOICES)}"
