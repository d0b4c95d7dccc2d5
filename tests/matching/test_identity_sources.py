"""Tests of readings made from share folder names and DICOM headers, matched end to end."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

from filmroom.mapping.folder_names import reading_from_folder_name
from filmroom.mapping.patient_columns import detect_columns
from filmroom.matching.dicom_identity import reading_from_dicom
from filmroom.matching.matcher import Matcher
from filmroom.models import Decision, Patient
from filmroom.settings import MatchSettings


@pytest.mark.parametrize(
    ("name", "owner", "pet", "date"),
    [
        ("Jones, Fluffy 2011-04-02", "Jones", "Fluffy", "2011-04-02"),
        ("Jones, Fluffy 2011", "Jones", "Fluffy", None),
        ("Jones_Fluffy_20110402", "Jones", "Fluffy", "2011-04-02"),
        ("Van Dyke, Mr Whiskers", "Van Dyke", "Mr Whiskers", None),
        ("SMITH Max 03-15-2012", "SMITH", "Max", "2012-03-15"),
        ("Doe, Rex 15.03.2015", "Doe", "Rex", "2015-03-15"),
        ("Max SMITH", "SMITH", "Max", None),
    ],
)
def test_folder_name_fields(name: str, owner: str, pet: str, date: str | None) -> None:
    reading = reading_from_folder_name(name)
    assert reading is not None
    assert reading.value("owner_last") == owner
    assert reading.value("pet_name") == pet
    assert reading.value("study_date") == date


def test_folder_name_chart_number() -> None:
    reading = reading_from_folder_name("Jones, Fluffy (A12345)")
    assert reading is not None
    assert reading.value("chart_number") == "A12345"


@pytest.mark.parametrize("name", ["New Folder", "2011", "IMG_0001", "DICOM", "Thorax Lateral", ""])
def test_folder_name_nobody(name: str) -> None:
    assert reading_from_folder_name(name) is None


def test_folder_name_year_evidence() -> None:
    reading = reading_from_folder_name("Jones, Fluffy 2011")
    assert reading is not None
    assert reading.evidence["study_year"] == 2011


def test_folder_name_matches(patients: list[Patient], settings: MatchSettings) -> None:
    reading = reading_from_folder_name("Okafor, Nimbus 2011")
    assert reading is not None
    result = Matcher(patients, settings).match(reading)
    assert result.candidates[0].patient_id == "K1"
    assert result.decision is Decision.AUTO


def test_dicom_swapped_name_with_old_id(patients: list[Patient], settings: MatchSettings) -> None:
    ds = pydicom.Dataset()
    ds.PatientName = "FLUFFY^JONES"
    ds.PatientID = "J1"
    ds.StudyDate = "20110402"
    reading = reading_from_dicom(ds)
    assert reading.value("patient_id_legacy") == "J1"
    assert reading.value("study_date") == "2011-04-02"
    result = Matcher(patients, settings).match(reading)
    assert result.decision is Decision.AUTO
    assert result.patient_id == "J1"
    assert result.method == "dicom_patient_id"


def test_dicom_swapped_name_without_id(patients: list[Patient], settings: MatchSettings) -> None:
    ds = pydicom.Dataset()
    ds.PatientName = "NIMBUS^OKAFOR"
    result = Matcher(patients, settings).match(reading_from_dicom(ds))
    assert result.candidates[0].patient_id == "K1"


def test_dicom_responsible_person_orders() -> None:
    ds = pydicom.Dataset()
    ds.PatientName = "FLUFFY^JONES"
    ds.ResponsiblePerson = "JONES^MARY"
    ds.PatientSpeciesDescription = "Feline"
    reading = reading_from_dicom(ds)
    assert reading.value("owner_last") == "JONES"
    assert reading.value("pet_name") == "FLUFFY"
    assert reading.value("owner_first") == "MARY"
    assert reading.value("species") == "Feline"


def test_dicom_owner_initials_split() -> None:
    ds = pydicom.Dataset()
    ds.PatientName = "Ivanov I.I.^Sharik"
    reading = reading_from_dicom(ds)
    assert reading.value("owner_last") == "Ivanov"
    assert reading.value("owner_first") == "I.I."
    assert reading.value("pet_name") == "Sharik"


def test_folder_jones_fluffy_matches(patients: list[Patient], settings: MatchSettings) -> None:
    reading = reading_from_folder_name("Jones, Fluffy 2011")
    assert reading is not None
    result = Matcher(patients, settings).match(reading)
    assert result.candidates[0].patient_id == "J1"
    assert result.decision is not Decision.UNMATCHED


def test_folder_pet_first_words(patients: list[Patient], settings: MatchSettings) -> None:
    reading = reading_from_folder_name("Nimbus Okafor")
    assert reading is not None
    result = Matcher(patients, settings).match(reading)
    assert result.candidates[0].patient_id == "K1"


@pytest.mark.shared_data
def test_vendor_headers_detected(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "pms_layouts"
    expected = {
        "legacy_pdf_report_keys_vetspire-import_header.csv": "legacy_pdf_report",
        "vetdata_Patient_header.csv": "vetdata_patient",
        "vetdata_iPatient_header.csv": "vetdata_ipatient",
        "pattersonvetcloud_Patient_header.csv": "patterson_patient",
        "premvet_animal_header.csv": "premvet_animal",
    }
    for name, layout in expected.items():
        headers = (folder / name).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert detect_columns(headers).layout == layout, name


@pytest.mark.shared_data
def test_dicom_real_worklist_item(shared_data: Path, tmp_path: Path) -> None:
    dump2dcm = shutil.which("dump2dcm")
    if dump2dcm is None:
        pytest.skip("dump2dcm from dcmtk is not installed")
    target = tmp_path / "worklist.dcm"
    source = shared_data / "pms_layouts" / "orthanc_vet-DX-worklist-orig.7705.dump"
    subprocess.run([dump2dcm, str(source), str(target)], check=True, capture_output=True)
    reading = reading_from_dicom(pydicom.dcmread(target, force=True))
    assert reading.value("owner_last") == "ResponsiblePerson"
    assert reading.value("pet_name") == "PatientName"
    assert reading.value("patient_id_legacy") == "01234567"
    assert reading.value("species") == "Dog"
