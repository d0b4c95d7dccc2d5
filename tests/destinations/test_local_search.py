"""Owner and pet search in the local archive, ignoring accents and letter case."""

from __future__ import annotations

from pathlib import Path

import pytest
from sc_files import make_sc_dataset
from typer.testing import CliRunner

from filmroom.destinations.local import LocalArchive
from filmroom.destinations.local_index import search_keys
from filmroom.flows.cli import app

# PatientID, PatientName (OwnerSurname^PetName), ResponsiblePerson
PATIENTS = (
    ("VP-3001", "Müller^Bello", "Müller^Jürgen"),
    ("VP-3002", "Peña^Señor", "Peña^Lucía"),
    ("VP-3003", "Muster^Paw", "Muster^Anna"),
)


@pytest.fixture
def accented_archive(tmp_path: Path) -> Path:
    staged = tmp_path / "staged"
    staged.mkdir()
    paths = []
    for index, (patient_id, patient_name, owner) in enumerate(PATIENTS):
        dataset = make_sc_dataset(index, studies=len(PATIENTS), seed=11)
        dataset.SpecificCharacterSet = "ISO_IR 192"
        dataset.PatientID = patient_id
        dataset.PatientName = patient_name
        dataset.ResponsiblePerson = owner
        path = staged / f"{patient_id}.dcm"
        dataset.save_as(path, enforce_file_format=True)
        paths.append(path)
    root = tmp_path / "archive"
    with LocalArchive(root) as archive:
        archive.store(paths)
    return root


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("muller", ["VP-3001"]),
        ("MÜLLER", ["VP-3001"]),
        ("mueller", ["VP-3001"]),
        ("mu", ["VP-3001", "VP-3003"]),
        ("pena", ["VP-3002"]),
        ("Peña", ["VP-3002"]),
        ("PEN", ["VP-3002"]),
        ("mulerr", []),
    ],
)
def test_find_owner_ignores_accents(accented_archive: Path, owner: str, expected: list[str]) -> None:
    with LocalArchive(accented_archive) as archive:
        rows = archive.find_patients(owner=owner)
    assert sorted(str(row["patient_id"]) for row in rows) == expected


def test_find_pet_ignores_accents(accented_archive: Path) -> None:
    with LocalArchive(accented_archive) as archive:
        by_pet = archive.find_patients(pet="senor")
        by_both = archive.find_patients(owner="pena", pet="SEÑ")
    assert [row["patient_id"] for row in by_pet] == ["VP-3002"]
    assert [row["patient_id"] for row in by_both] == ["VP-3002"]


def test_search_keys_fold_names() -> None:
    assert search_keys("Müller") == {"muller", "mueller"}
    assert search_keys(" Peña ") == {"pena"}
    assert search_keys("Strauß") == {"strauss"}


def test_cli_find_owner_without_accent(accented_archive: Path) -> None:
    result = CliRunner().invoke(app, ["find", "--archive", str(accented_archive), "--owner", "muller"])
    assert result.exit_code == 0
    assert "VP-3001" in result.output
    assert "VP-3002" not in result.output
