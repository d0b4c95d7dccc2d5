"""The review loop on sample_data/: run, fill in review.xlsx, run again with --review."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest

from filmroom.flows.migrate import migrate

pytestmark = pytest.mark.slow

UNREADABLE_JACKET = "films/jackets/box2-jacket-002/img001"  # the smeared label; the patient is 01421
MISSING_PATIENT_JACKET = "films/jackets/box2-jacket-003/img001"  # legible, but not in the list


def _report(out: Path) -> dict[str, dict[str, str]]:
    with (out / "reconciliation.csv").open(newline="", encoding="utf-8") as handle:
        return {row["source_path"]: row for row in csv.DictReader(handle)}


def _archive_files(archive: Path) -> dict[Path, int]:
    return {path.relative_to(archive): path.stat().st_mtime_ns for path in archive.rglob("*.dcm")}


def _fill_review(workbook_path: Path, decisions: dict[str, str]) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    sheet = workbook["Review"]
    header = {cell.value: cell.column for cell in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        jacket = sheet.cell(row, header["Jacket ID"]).value
        if jacket in decisions:
            sheet.cell(row, header["Other patient ID"]).value = decisions[jacket]
    workbook.save(workbook_path)


@pytest.fixture(scope="module")
def review_run(copy_sample, tmp_path_factory, prefect_harness):
    work = tmp_path_factory.mktemp("review-run")
    sample, arguments = copy_sample(work)
    migrate(**arguments)
    before = _report(work / "migration")
    archive_before = _archive_files(work / "archive")

    workbook = work / "decisions.xlsx"
    shutil.copy(work / "migration" / "review.xlsx", workbook)
    _fill_review(workbook, {UNREADABLE_JACKET: "01421", MISSING_PATIENT_JACKET: "99999"})
    applied = migrate(**arguments, review=str(workbook))
    after = _report(work / "migration")
    archive_after = _archive_files(work / "archive")
    report_bytes = (work / "migration" / "reconciliation.csv").read_bytes()

    again = migrate(**arguments, review=str(workbook))
    return {
        "work": work, "before": before, "after": after, "applied": applied, "again": again,
        "archive_before": archive_before, "archive_after": archive_after, "report_bytes": report_bytes,
    }


def test_review_decision_archives_jacket(review_run):
    rows = [row for row in review_run["after"].values() if row["jacket"] == UNREADABLE_JACKET]

    assert rows
    assert {row["status"] for row in rows} == {"archived"}
    assert {row["patient_id"] for row in rows} == {"01421"}
    assert {row["match_method"] for row in rows} == {"review"}


def test_review_invalid_entry_reported(review_run):
    errors = review_run["applied"]["review_errors"]

    assert len(errors) == 1
    assert "99999" in errors[0]
    assert "row" in errors[0]


def test_review_other_files_unchanged(review_run):
    changed = [
        path for path, row in review_run["after"].items()
        if row["jacket"] != UNREADABLE_JACKET and row != review_run["before"][path]
    ]

    assert changed == []


def test_review_adds_only_new_objects(review_run):
    before, after = review_run["archive_before"], review_run["archive_after"]

    assert set(before) < set(after)
    assert {path: after[path] for path in before} == before


def test_review_applied_twice_changes_nothing(review_run):
    work = review_run["work"]

    assert _archive_files(work / "archive") == review_run["archive_after"]
    assert (work / "migration" / "reconciliation.csv").read_bytes() == review_run["report_bytes"]
    assert review_run["again"]["by_status"] == review_run["applied"]["by_status"]


def test_review_rows_all_have_pictures(review_run):
    # Label crops for jackets, a thumbnail of the first image for share folders and DICOM patients.
    sheet = openpyxl.load_workbook(review_run["work"] / "migration" / "review.xlsx")["Review"]
    kinds = {sheet.cell(row, 2).value for row in range(2, sheet.max_row + 1)}

    assert sheet.max_row > 1
    assert {"film_jacket", "dicom_patient"} <= kinds
    assert len(sheet._images) == sheet.max_row - 1
