"""Exporting a patient from the local archive when objects leave DICOMDIR keys empty."""

from __future__ import annotations

import sys
from pathlib import Path

import pydicom
from pydicom.fileset import FileSet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from sc_files import make_sc_dataset  # noqa: E402

from filmroom.destinations.local import LocalArchive  # noqa: E402


def test_export_with_empty_study_keys(tmp_path: Path) -> None:
    dataset = make_sc_dataset(0)
    dataset.StudyTime = ""
    dataset.StudyID = ""
    dataset.SeriesNumber = None
    source = tmp_path / "sc.dcm"
    dataset.save_as(source, enforce_file_format=True)
    with LocalArchive(tmp_path / "archive") as archive:
        outcome = archive.store([source])[0]
        stored = archive.path_of(str(dataset.SOPInstanceUID))

        dicomdir = archive.export_patient(str(dataset.PatientID), tmp_path / "usb")

    file_set = FileSet(pydicom.dcmread(dicomdir))
    instances = list(file_set)
    assert outcome.state == "stored"
    assert len(instances) == 1
    assert Path(instances[0].path).read_bytes() == stored.read_bytes()
    assert instances[0].SOPInstanceUID == dataset.SOPInstanceUID
