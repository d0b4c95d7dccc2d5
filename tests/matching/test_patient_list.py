"""Tests of loading patient exports: encodings, delimiters, layouts, dates and issues."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from filmroom.errors import ConfigurationError
from filmroom.matching.patient_list import load_patient_list


def test_load_cp1252_semicolon_nbsp(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    text = (
        "Patient ID;Client Last Name;Client First Name;Pet Name;Species;Sex\r\n"
        "00123;Müller;Anna\u00a0;Bella\u00a0\u00a0Mae;Dog;FS\r\n"
        "123;Jones;Mary;Fluffy;Cat;MN\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    result = load_patient_list(path)
    first = result.by_id["00123"]
    assert first.owner_last == "Müller"
    assert first.owner_first == "Anna"
    assert first.pet_name == "Bella Mae"
    assert first.species == "canine"
    assert (first.sex, first.neutered) == ("F", True)
    assert result.by_id["123"].pet_name == "Fluffy"
    assert result.issues == []


def test_load_utf8_bom_quoted_header(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    text = '"Chart #","Owner","Animal Name","Species"\n"0042","Jones, Mary","Fluffy","Feline"\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = load_patient_list(path)
    patient = result.patients[0]
    assert patient.patient_id == "0042"
    assert patient.owner_last == "Jones"
    assert patient.owner_first == "Mary"
    assert patient.species == "feline"


@pytest.mark.parametrize("delimiter", ["\t", "|", ",", ";"])
def test_load_delimiters(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "patients.txt"
    rows = [
        ["Patient ID", "Last Name", "Pet Name"],
        ["00007", "Okafor", "Nimbus"],
        ["8", "Stone", "Rex"],
    ]
    path.write_text("\n".join(delimiter.join(r) for r in rows) + "\n", encoding="utf-8")
    result = load_patient_list(path)
    assert [p.patient_id for p in result.patients] == ["00007", "8"]
    assert result.patients[1].owner_last == "Stone"


def test_load_xlsx_keeps_text_ids(tmp_path: Path) -> None:
    path = tmp_path / "patients.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Patient ID", "Client Last Name", "Pet Name", "Date of Birth"])
    sheet.append(["00123", "Smith", "Bella", dt.datetime(2015, 4, 13)])
    sheet.append([456, "Brown", "Max", None])
    workbook.save(path)
    result = load_patient_list(path)
    assert [p.patient_id for p in result.patients] == ["00123", "456"]
    assert result.patients[0].birth_date == dt.date(2015, 4, 13)


def test_load_vendor_layout_detected(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        "patientId,patientName,patientSpecies,patientBreed,patientSexSpay,clientId,clientFirstName,"
        "clientLastName,patientDOB,patientStatus\n"
        "P1,Rex,Canine,Lab,MN,C1,Carl,Stone,3/25/2012,Deceased\n",
        encoding="utf-8",
    )
    result = load_patient_list(path)
    patient = result.patients[0]
    assert result.layout == "legacy_pdf_report"
    assert patient.birth_date == dt.date(2012, 3, 25)
    assert patient.breed == "Labrador Retriever"
    assert patient.client_id == "C1"


def test_charts_with_zeros_distinct(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text(
        "Patient ID,Last Name,Pet Name\n00123,Smith,Bella\n123,Brown,Max\n", encoding="utf-8"
    )
    result = load_patient_list(path)
    assert result.by_id["00123"].pet_name == "Bella"
    assert result.by_id["123"].pet_name == "Max"


def test_missing_columns_named(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("Pet Name,Species\nBella,Dog\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_patient_list(path)
    message = str(caught.value)
    assert "'Pet Name', 'Species'" in message
    assert "patient_id" in message
    assert "owner_last" in message


def test_vendor_patient_file_without_owner(tmp_path: Path) -> None:
    path = tmp_path / "Patient.csv"
    path.write_text(
        "ClientAccountId,AccountId,FileNumber,Name,SpeciesCode,Species,GenderVal,DOB\nC1,P1,1,Rex,K9,Canine,M,\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError, match="vetdata_patient"):
        load_patient_list(path)


def test_ambiguous_dates_not_inferred(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text(
        "Patient ID,Last Name,Pet Name,DOB\n1,Smith,Bella,04/05/2015\n2,Brown,Max,06/07/2016\n",
        encoding="utf-8",
    )
    result = load_patient_list(path)
    assert result.patients[0].birth_date is None
    assert len(result.issues) == 1
    assert "--date-format" in result.issues[0]
    assert "'DOB'" in result.issues[0]


def test_dates_inferred_when_decided(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text(
        "Patient ID,Last Name,Pet Name,DOB\n1,Smith,Bella,04/05/2015\n2,Brown,Max,06/27/2016\n",
        encoding="utf-8",
    )
    result = load_patient_list(path)
    assert result.patients[0].birth_date == dt.date(2015, 4, 5)
    assert result.issues == []


def test_bad_date_row_reported(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text(
        "Patient ID,Last Name,Pet Name,DOB\n1,Smith,Bella,04/05/2015\n2,Brown,Max,31/31/2016\n",
        encoding="utf-8",
    )
    result = load_patient_list(path, date_format="%m/%d/%Y")
    assert result.patients[0].birth_date == dt.date(2015, 4, 5)
    assert result.by_id["2"].birth_date is None
    assert result.issues == [
        "patients.csv, row 3, column 'DOB': invalid date '31/31/2016' (expected %m/%d/%Y); row loaded without it"
    ]


def test_duplicate_id_keeps_first(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("Patient ID,Last Name,Pet Name\n5,Smith,Bella\n5,Brown,Max\n", encoding="utf-8")
    result = load_patient_list(path)
    assert result.by_id["5"].pet_name == "Bella"
    assert len(result.patients) == 1
    assert "duplicate patient ID '5'" in result.issues[0]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("M", ("M", None)),
        ("FI", ("F", False)),
        ("MC", ("M", True)),
        ("Neutered Male", ("M", True)),
        ("Spayed Female", ("F", True)),
        ("U", ("O", None)),
    ],
)
def test_sex_codes(code: str, expected: tuple[str, bool | None]) -> None:
    from filmroom.matching.patient_fields import parse_sex

    assert parse_sex(code) == expected


def test_death_date_bounds(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text(
        "Patient ID,Last Name,Pet Name,DOB,DOD\n1,Smith,Bella,2010-01-02,2014-05-06\n",
        encoding="utf-8",
    )
    patient = load_patient_list(path).patients[0]
    assert patient.death_date == dt.date(2014, 5, 6)


def test_owners_joined_from_client_file(tmp_path: Path) -> None:
    patients = tmp_path / "Patient.csv"
    patients.write_text(
        '"ClientAccountId","AccountId","FileNumber","Name","Species","GenderVal","DOB"\n'
        '"C1","P1","1","Rex","Canine","MN","2012-03-25"\n'
        '"C9","P2","2","Tom","Feline","F",""\n',
        encoding="utf-8",
    )
    (tmp_path / "Client.csv").write_text(
        "AccountId,FileNumber,ClientTypeCode,Salutation,LastName,FirstName\nC1,1,,Mr,Stone,Carl\n",
        encoding="utf-8",
    )
    result = load_patient_list(patients)
    assert result.layout == "vetdata_patient"
    assert result.by_id["P1"].owner_last == "Stone"
    assert result.by_id["P1"].owner_first == "Carl"
    assert result.by_id["P2"].owner_last == ""
    assert "client ID 'C9' not found in Client.csv" in result.issues[0]


def test_xlsx_numeric_ids_keep_format_zeros(tmp_path: Path) -> None:
    # Excel keeps a chart number typed as 00457 as the number 457 shown through format "00000".
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Patient ID", "Client Last Name", "Patient Name"])
    sheet.append([457, "Jones", "Fluffy"])
    sheet.cell(row=2, column=1).number_format = "00000"
    sheet.append([123, "Smith", "Max"])
    path = tmp_path / "patients.xlsx"
    workbook.save(path)

    patients = load_patient_list(path).patients

    assert [p.patient_id for p in patients] == ["00457", "123"]
