"""Fixtures for the DICOM tests: an invented patient, settings and writers of small images."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pydicom
import pytest

from filmroom.dicom.pixels import ImagePage
from filmroom.dicom.secondary_capture import SeriesInfo, StudyInfo, build_secondary_capture
from filmroom.dicom.uids import derive_uid
from filmroom.models import Patient
from filmroom.settings import Compression, DicomSettings


@pytest.fixture
def patient() -> Patient:
    return Patient(
        patient_id="C1042",
        pet_name="Biscuit",
        owner_last="Harlow",
        owner_first="Dana",
        species="canine",
        breed="Beagle",
        sex="F",
        neutered=True,
        birth_date=dt.date(2014, 5, 17),
    )


@pytest.fixture
def settings() -> DicomSettings:
    return DicomSettings(responsible_organization="Maple Street Animal Clinic", institution_name="Maple Street")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261204)


@pytest.fixture
def write_sc(tmp_path: Path, patient: Patient, settings: DicomSettings):
    """Build, save and re-read a Secondary Capture object; return (path, read-back dataset, warnings)."""

    def write(
        page: ImagePage,
        *,
        name: str = "out.dcm",
        compression: Compression = Compression.NONE,
        conversion_type: str = "DF",
        body_part: str = "",
        patient_override: Patient | None = None,
    ) -> tuple[Path, pydicom.Dataset, list[str]]:
        chosen = settings.model_copy(update={"compression": compression})
        study = StudyInfo(
            study_instance_uid=derive_uid("2.25", "study", name),
            study_date=dt.date(2003, 6, 9),
            study_date_source="label",
            study_description="Radiographs",
        )
        series = SeriesInfo(derive_uid("2.25", "series", name), 1, "Film scans", body_part)
        ds, warnings = build_secondary_capture(
            page,
            patient=patient_override or patient,
            study=study,
            series=series,
            instance_number=1,
            sop_instance_uid=derive_uid("2.25", "instance", name),
            conversion_type=conversion_type,
            settings=chosen,
        )
        path = tmp_path / name
        ds.save_as(path, enforce_file_format=True)
        return path, pydicom.dcmread(path), warnings

    return write
