"""LocalArchive against real files in tmp_path: layout, index, re-runs, conflicts, export."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.fileset import FileSet

from filmroom.destinations.local import LocalArchive
from filmroom.destinations.local_paths import decode_component, encode_component


def test_store_writes_layout(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        outcomes = archive.store(sc_files)
    first = pydicom.dcmread(sc_files[0])
    expected = (
        tmp_path
        / "archive"
        / "VP-1001"
        / first.StudyInstanceUID
        / first.SeriesInstanceUID
        / f"{first.SOPInstanceUID}.dcm"
    )
    assert [outcome.state for outcome in outcomes] == ["stored"] * 6
    assert expected.read_bytes() == sc_files[0].read_bytes()


def test_store_encodes_unsafe_patient_id(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
    folders = sorted(path.name for path in (tmp_path / "archive").iterdir() if path.is_dir())
    assert folders == ["VP%2F20%2002", "VP-1001"]


def test_encode_component_round_trips() -> None:
    for value in ("VP/20 02", "..", "a%b", "Müller\\1", "CON", "-x_"):
        assert decode_component(encode_component(value)) == value


def test_encode_component_hashes_long_values() -> None:
    name = encode_component("é" * 64)
    assert name.startswith("#")
    assert len(name) == 33
    assert decode_component(name) is None


def test_store_again_already_stored(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        outcomes = archive.store(sc_files)
        unskipped = archive.store(sc_files, skip_present=False)
    assert [outcome.state for outcome in outcomes] == ["already_stored"] * 6
    assert [outcome.state for outcome in unskipped] == ["already_stored"] * 6


def test_store_conflict_rejected(tmp_path: Path, sc_files: list[Path]) -> None:
    changed = pydicom.dcmread(sc_files[0])
    changed.PatientName = "Other^Name"
    changed_path = tmp_path / "changed.dcm"
    changed.save_as(changed_path)
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files[:1])
        [outcome] = archive.store([changed_path])
        archived = archive.fetch(changed.SOPInstanceUID)
    assert outcome.state == "rejected"
    assert outcome.status == 0xA900
    assert str(archived.PatientName) == "Hollis^Biscuit"


def test_store_same_dataset_new_meta(tmp_path: Path, sc_files: list[Path]) -> None:
    rewritten = pydicom.dcmread(sc_files[0])
    rewritten.file_meta.ImplementationVersionName = "OTHER_WRITER"
    rewritten_path = tmp_path / "rewritten.dcm"
    rewritten.save_as(rewritten_path)
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files[:1])
        [outcome] = archive.store([rewritten_path])
    assert outcome.state == "already_stored"
    assert "file meta" in outcome.message


def test_store_keeps_unindexed_file(tmp_path: Path, sc_files: list[Path]) -> None:
    root = tmp_path / "archive"
    with LocalArchive(root) as archive:
        archive.store(sc_files[:1])
    (root / "index.sqlite").unlink()
    changed = pydicom.dcmread(sc_files[0])
    changed.PatientName = "Other^Name"
    changed_path = tmp_path / "changed.dcm"
    changed.save_as(changed_path)
    with LocalArchive(root) as archive:
        [outcome] = archive.store([changed_path])
        archived = archive.fetch(changed.SOPInstanceUID)
    assert outcome.state == "rejected"
    assert str(archived.PatientName) == "Hollis^Biscuit"


def test_store_unreadable_file_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "not-dicom.dcm"
    bad.write_bytes(b"plain text")
    with LocalArchive(tmp_path / "archive") as archive:
        [outcome] = archive.store([bad])
    assert outcome.state == "rejected"
    assert "not-dicom.dcm" in outcome.message


def test_store_leaves_no_partial_files(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
    assert list((tmp_path / "archive").rglob(".partial-*")) == []


def test_find_uses_index(tmp_path: Path, sc_files: list[Path]) -> None:
    uids = [pydicom.dcmread(path).SOPInstanceUID for path in sc_files]
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files[:4])
        found = archive.find([*uids, "1.2.3"])
    assert found == set(uids[:4])


def test_find_patients_by_owner_and_pet(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        by_owner = archive.find_patients(owner="hol")
        by_pet = archive.find_patients(pet="PEPPER")
        by_both = archive.find_patients(owner="Hollis", pet="Pepper")
    assert [row["patient_id"] for row in by_owner] == ["VP-1001"]
    assert by_owner[0]["owner_first"] == "Maren"
    assert by_owner[0]["instance_count"] == 4
    assert [row["patient_id"] for row in by_pet] == ["VP/20 02"]
    assert by_both == []


def test_find_patients_escapes_wildcards(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        assert archive.find_patients(owner="%") == []
        assert archive.find_patients(owner="_ollis") == []


def test_instances_for_patient(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        rows = archive.instances_for("VP/20 02")
    assert len(rows) == 2
    assert {row["modality"] for row in rows} == {"OT"}
    assert all(str(row["path"]).startswith("VP%2F20%2002/") for row in rows)


def test_patient_identity_from_index(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        assert archive.patient_identity("VP-1001") == ("Hollis^Biscuit", "CANINE")
        assert archive.patient_identity("VP-9999") is None


def test_fetch_returns_same_pixels(tmp_path: Path, sc_files: list[Path]) -> None:
    staged = pydicom.dcmread(sc_files[2])
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        fetched = archive.fetch(staged.SOPInstanceUID)
    assert np.array_equal(fetched.pixel_array, staged.pixel_array)


def test_rebuild_index_from_files(tmp_path: Path, sc_files: list[Path]) -> None:
    root = tmp_path / "archive"
    with LocalArchive(root) as archive:
        archive.store(sc_files)
        before = archive.instances_for("VP-1001")
    (root / "index.sqlite").unlink()
    with LocalArchive(root) as archive:
        assert archive.find_patients(patient_id="VP-1001") == []
        count = archive.rebuild_index()
        after = archive.instances_for("VP-1001")
    assert count == 6
    assert after == before


def test_index_schema_tables(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
    connection = sqlite3.connect(tmp_path / "archive" / "index.sqlite")
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    studies = connection.execute("SELECT COUNT(*) FROM studies").fetchone()[0]
    connection.close()
    assert tables == {"patients", "studies", "instances"}
    assert studies == 3


def test_export_patient_dicomdir(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        dicomdir = archive.export_patient("VP-1001", tmp_path / "usb")
    file_set = FileSet(pydicom.dcmread(dicomdir))
    exported = {str(instance.SOPInstanceUID) for instance in file_set}
    expected = {
        str(pydicom.dcmread(path).SOPInstanceUID)
        for path in sc_files
        if pydicom.dcmread(path).PatientID == "VP-1001"
    }
    assert dicomdir.name == "DICOMDIR"
    assert exported == expected
    assert {str(instance.PatientID) for instance in file_set} == {"VP-1001"}


def test_export_unknown_patient_raises(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        with pytest.raises(KeyError, match="VP-9999"):
            archive.export_patient("VP-9999", tmp_path / "usb")
