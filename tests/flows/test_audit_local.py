"""The audit flow and command against a local archive with deleted and damaged files."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pydicom
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from sc_files import write_sc_files

from filmroom.destinations.local import LocalArchive
from filmroom.flows.audit import audit_destination
from filmroom.flows.cli import app
from filmroom.ledger import Ledger


@pytest.fixture
def migrated(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    """A ledger in ``out`` listing six staged files, all stored in a local archive."""
    staged = write_sc_files(tmp_path / "staged", count=6, studies=3, seed=5)
    out = tmp_path / "migration"
    ledger = Ledger(out / "ledger.sqlite")
    for page, path in enumerate(staged):
        header = pydicom.dcmread(path, stop_before_pixels=True)
        source_id = ledger.upsert_source(
            {"path": str(path), "display_path": path.name, "root": str(path.parent),
             "root_kind": "share", "size": path.stat().st_size, "mtime_ns": 0,
             "sha256": "", "file_format": "dicom"}
        )
        ledger.record_instance(
            {"sop_instance_uid": str(header.SOPInstanceUID), "source_id": source_id, "page": page,
             "patient_id": str(header.PatientID), "study_instance_uid": str(header.StudyInstanceUID),
             "series_instance_uid": str(header.SeriesInstanceUID), "staged_path": str(path)}
        )
    ledger.close()
    archive = tmp_path / "archive"
    with LocalArchive(archive) as local:
        local.store(staged)
    return out, archive, staged


def _archived_path(archive: Path, staged: Path) -> Path:
    with LocalArchive(archive) as local:
        return local.path_of(str(pydicom.dcmread(staged, stop_before_pixels=True).SOPInstanceUID))


def test_audit_destination_finds_damage(migrated: tuple[Path, Path, list[Path]]) -> None:
    out, archive, staged = migrated
    _archived_path(archive, staged[0]).unlink()
    os.truncate(_archived_path(archive, staged[1]), 500)
    ledger = Ledger(out / "ledger.sqlite")
    with LocalArchive(archive) as local:
        total, missing = audit_destination(ledger, local)
    ledger.close()
    problems = {row["sop_instance_uid"]: row["problem"] for row in missing}
    uids = [str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID) for path in staged]
    assert total == 6
    assert problems == {uids[0]: "missing", uids[1]: "size differs"}


def test_audit_command_reports_damage(
    prefect_harness: None, migrated: tuple[Path, Path, list[Path]]
) -> None:
    out, archive, staged = migrated
    os.truncate(_archived_path(archive, staged[2]), 500)
    result = CliRunner().invoke(app, ["audit", "--out", str(out), "--archive", str(archive)])
    assert result.exit_code == 1
    assert "5 of 6 objects found" in result.output
    assert "Missing objects listed in" in result.output
    [report] = out.glob("audit-*.csv")
    with report.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["problem"] for row in rows] == ["size differs"]


def test_audit_command_nothing_missing(
    prefect_harness: None, migrated: tuple[Path, Path, list[Path]]
) -> None:
    out, archive, _ = migrated
    result = CliRunner().invoke(app, ["audit", "--out", str(out), "--archive", str(archive)])
    assert result.exit_code == 0
    assert "6 of 6 objects found" in result.output
    assert "No objects are missing." in result.output
    assert "Missing objects listed in" not in result.output
