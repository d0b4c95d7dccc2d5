"""The whole migrate flow on sample_data/, checked against sample_data/EXPECTED.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pydicom
import pytest

from filmroom.flows.migrate import migrate

pytestmark = pytest.mark.slow


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sample_run(copy_sample, tmp_path_factory, prefect_harness):
    """Run the sample migration twice into a fresh workspace and archive."""
    work = tmp_path_factory.mktemp("sample-run")
    sample, arguments = copy_sample(work)

    first = migrate(**arguments)
    first_report = (work / "migration" / "reconciliation.csv").read_bytes()
    archive_files_first = sorted(p.relative_to(work / "archive") for p in (work / "archive").rglob("*.dcm"))
    second = migrate(**arguments)
    return {
        "work": work,
        "sample": sample,
        "first": first,
        "second": second,
        "first_report": first_report,
        "archive_files_first": archive_files_first,
    }


def _rows_by_path(sample_run) -> dict[str, dict[str, str]]:
    rows = _read_csv(sample_run["work"] / "migration" / "reconciliation.csv")
    return {row["source_path"]: row for row in rows}


def _expected(sample_run) -> list[dict[str, str]]:
    return _read_csv(sample_run["sample"] / "EXPECTED.csv")


def test_sample_every_file_reported_once(sample_run):
    rows = _read_csv(sample_run["work"] / "migration" / "reconciliation.csv")
    paths = [row["source_path"] for row in rows]

    assert len(paths) == len(set(paths))
    assert len(rows) == len(_expected(sample_run))
    assert sample_run["first"]["balanced"]


def test_sample_statuses_match_expected(sample_run):
    rows = _rows_by_path(sample_run)
    wrong = []
    for expected in _expected(sample_run):
        row = rows.get(expected["source_path"])
        if row is None:
            wrong.append(f"{expected['source_path']}: missing from the report")
        elif row["status"] != expected["expected_status"]:
            wrong.append(
                f"{expected['source_path']}: {row['status']} ({row['reason']}), "
                f"expected {expected['expected_status']}"
            )

    assert wrong == []


def test_sample_archived_under_expected_patient(sample_run):
    rows = _rows_by_path(sample_run)
    wrong = []
    for expected in _expected(sample_run):
        row = rows.get(expected["source_path"])
        if row and row["status"] == "archived" and expected["expected_patient_id"]:
            if row["patient_id"] != expected["expected_patient_id"]:
                wrong.append(f"{expected['source_path']}: {row['patient_id']}, expected {expected['expected_patient_id']}")

    assert wrong == []


def test_sample_archive_files_readable(sample_run):
    archive = sample_run["work"] / "archive"
    files = sorted(archive.rglob("*.dcm"))

    assert files
    for path in files:
        dataset = pydicom.dcmread(path)
        assert dataset.PatientID
        assert dataset.SOPInstanceUID == path.stem


def test_sample_second_run_stores_nothing_new(sample_run):
    archive = sample_run["work"] / "archive"
    files_now = sorted(p.relative_to(archive) for p in archive.rglob("*.dcm"))

    assert files_now == sample_run["archive_files_first"]
    assert sample_run["second"]["by_status"] == sample_run["first"]["by_status"]


def test_sample_second_run_same_report(sample_run):
    report_now = (sample_run["work"] / "migration" / "reconciliation.csv").read_bytes()

    assert report_now == sample_run["first_report"]


def test_sample_review_workbook_written(sample_run):
    assert (sample_run["work"] / "migration" / "review.xlsx").is_file()
    assert (sample_run["work"] / "migration" / "reconciliation.xlsx").is_file()


def test_sample_sources_unmodified(sample_run, repo_root):
    for path in (repo_root / "sample_data").rglob("*"):
        if path.is_file():
            copy = sample_run["sample"] / path.relative_to(repo_root / "sample_data")
            assert copy.read_bytes() == path.read_bytes(), path
