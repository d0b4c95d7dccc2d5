"""Tests of the review workbook: layout, embedded crops and a round trip of decisions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest
from PIL import Image

from filmroom.errors import ConfigurationError
from filmroom.matching.review_workbook import (
    ReviewItem,
    read_review_workbook,
    write_review_workbook,
)
from filmroom.models import Candidate, FieldValue, Patient, Reading


@pytest.fixture
def crop(tmp_path: Path) -> Path:
    path = tmp_path / "label.png"
    pixels = np.random.default_rng(7).integers(0, 255, size=(120, 400), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def workbook_path(tmp_path: Path, crop: Path, patients: list[Patient]) -> Path:
    reading = Reading(
        fields={
            "owner_last": FieldValue("MULLER", 0.7, "ocr"),
            "pet_name": FieldValue("Bella", 0.9, "ocr"),
        }
    )
    candidates = [
        Candidate("M1", 0.33, ("owner surname exact",)),
        Candidate("M3", 0.33),
        Candidate("M2", 0.2),
    ]
    items = [
        ReviewItem(
            "J-0001", "film_jacket", ["scans/0001.tif"], crop, "MULLER Bella", reading, candidates
        ),
        ReviewItem(
            "J-0002", "film_jacket", ["scans/0002.tif"], None, "??", Reading(), [], "unmatched"
        ),
        ReviewItem(
            "J-0003", "share_folder", ["share/Smith"], None, "Smith", reading, candidates[:1]
        ),
        ReviewItem("J-0004", "dicom_patient", ["a.dcm"], None, "", reading, candidates[:2]),
        ReviewItem("J-0005", "film_jacket", ["b.tif"], None, "", reading, candidates),
        ReviewItem("J-0006", "film_jacket", ["c.tif"], None, "", reading, candidates),
    ]
    path = tmp_path / "review.xlsx"
    write_review_workbook(path, items, {p.patient_id: p for p in patients})
    return path


def _fill(path: Path, entries: dict[int, tuple[str | None, str | None]]) -> None:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Review"]
    headers = [c.value for c in sheet[1]]
    decision = headers.index("Decision") + 1
    other = headers.index("Other patient ID") + 1
    for row, (choice, other_id) in entries.items():
        sheet.cell(row=row, column=decision, value=choice)
        sheet.cell(row=row, column=other, value=other_id)
    workbook.save(path)


def test_workbook_layout(workbook_path: Path) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    sheet = workbook["Review"]
    assert workbook.sheetnames == ["Review", "Instructions"]
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:O7"
    assert len(sheet._images) == 1
    assert (
        sheet.data_validations.dataValidation[0].formula1
        == '"candidate 1,candidate 2,candidate 3,not a patient,skip"'
    )
    assert sheet["H2"].value.startswith("pet: Bella")
    assert sheet.row_dimensions[2].height >= 40


def test_embedded_crop_scaled(workbook_path: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_path)["Review"]
    extent = sheet._images[0].anchor.ext  # in EMU, 9525 per pixel at 96 dpi
    assert extent.width == 200 * 9525
    assert extent.height == 60 * 9525


def test_round_trip_decisions(workbook_path: Path, patients: list[Patient]) -> None:
    _fill(
        workbook_path,
        {
            2: ("candidate 2", None),
            3: (None, "K1"),
            4: ("candidate 3", None),
            5: ("maybe", None),
            6: ("not a patient", None),
        },
    )
    known = {p.patient_id for p in patients}
    decisions, errors = read_review_workbook(workbook_path, known_patient_ids=known)
    assert decisions["J-0001"].patient_id == "M3"
    assert decisions["J-0001"].action == "patient"
    assert decisions["J-0002"].patient_id == "K1"
    assert decisions["J-0005"].action == "not_patient"
    assert "J-0003" not in decisions
    assert "J-0004" not in decisions
    assert "J-0006" not in decisions
    assert len(errors) == 2
    assert "row 4" in errors[0]
    assert "'candidate 3'" in errors[0]
    assert "row 5" in errors[1]
    assert "'maybe'" in errors[1]


def test_read_twice_same(workbook_path: Path, patients: list[Patient]) -> None:
    _fill(workbook_path, {2: ("skip", None), 3: (None, "NOPE")})
    known = {p.patient_id for p in patients}
    first = read_review_workbook(workbook_path, known_patient_ids=known)
    second = read_review_workbook(workbook_path, known_patient_ids=known)
    assert first == second
    assert first[0]["J-0001"].action == "skip"
    assert "'NOPE'" in first[1][0]


def test_both_decision_and_other_id(workbook_path: Path, patients: list[Patient]) -> None:
    _fill(workbook_path, {2: ("candidate 1", "K1")})
    decisions, errors = read_review_workbook(
        workbook_path, known_patient_ids={p.patient_id for p in patients}
    )
    assert decisions == {}
    assert "row 2" in errors[0]


def test_missing_headers_rejected(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Review"
    workbook.active.append(["Jacket", "Choice"])
    workbook.save(path)
    with pytest.raises(ConfigurationError, match="missing columns"):
        read_review_workbook(path, known_patient_ids=set())
