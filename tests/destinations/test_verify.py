"""Sample choice and comparison of verify_sample, against a local archive."""

from __future__ import annotations

from pathlib import Path

import pydicom

from filmroom.destinations import LocalArchive, verify_sample
from filmroom.destinations.verify import choose_sample


def test_choose_sample_one_per_study() -> None:
    studies = {f"1.{index}": f"9.{index % 4}" for index in range(40)}
    sample = choose_sample(studies, 0.0, min_per_study=True, seed=1)
    assert len(sample) == 4
    assert {studies[uid] for uid in sample} == {"9.0", "9.1", "9.2", "9.3"}


def test_choose_sample_fraction_rounds_up() -> None:
    studies = {f"1.{index}": "9.1" for index in range(40)}
    assert len(choose_sample(studies, 0.01, min_per_study=False, seed=1)) == 1
    assert len(choose_sample(studies, 0.26, min_per_study=False, seed=1)) == 11


def test_choose_sample_seeded() -> None:
    studies = {f"1.{index}": f"9.{index % 3}" for index in range(30)}
    first = choose_sample(studies, 0.2, min_per_study=True, seed=5)
    second = choose_sample(studies, 0.2, min_per_study=True, seed=5)
    assert first == second


def test_verify_reports_missing(tmp_path: Path, sc_files: list[Path]) -> None:
    uids = [str(pydicom.dcmread(path).SOPInstanceUID) for path in sc_files]
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files[:5])
        results = verify_sample(archive, dict(zip(uids, sc_files)), 1.0, seed=0)
    missing = [result for result in results if not result.ok]
    assert len(results) == 6
    assert [result.sop_instance_uid for result in missing] == [uids[5]]
    assert "not found" in missing[0].reason


def test_verify_reports_patient_id_change(tmp_path: Path, sc_files: list[Path]) -> None:
    staged = pydicom.dcmread(sc_files[0])
    staged.PatientID = "VP-7777"
    changed = tmp_path / "changed.dcm"
    staged.save_as(changed)
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files[:1])
        [result] = verify_sample(archive, {str(staged.SOPInstanceUID): changed}, 1.0, seed=0)
    assert not result.ok
    assert result.reason.startswith("PatientID differs")
