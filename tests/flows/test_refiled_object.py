"""An object filed under one patient and later under another gets a new UID; the old one is listed."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from filmroom.flows.migration import Migration, run_stages
from filmroom.settings import Settings

HEADER = "Patient ID,Client Last Name,Client First Name,Patient Name,Species\n"
# Other patients of the practice: name frequencies come from the list, so a list of one
# would make every name "common".
OTHERS = "".join(f"{1000 + i:05d},Owner{i},First{i},Pet{i},Feline\n" for i in range(40))


def _migrate(share: Path, patients: Path, out: Path, archive: Path):
    settings = Settings()
    settings.archive.destinations = [str(archive)]
    return run_stages(Migration(films=[], share=[share], patients=patients, out=out, settings=settings))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _practice(tmp_path: Path, seed: int) -> tuple[Path, Path, Path, Path]:
    """Write one export in a "Doe, Rex" share folder and a list where Rex is 00042.

    Returns the share, the patient list, the --out folder and the archive folder.
    """
    folder = tmp_path / "share" / "Doe, Rex 2015-03-02"
    folder.mkdir(parents=True)
    pixels = np.kron(np.random.default_rng(seed).integers(0, 4096, (16, 16)), np.ones((8, 8))).astype(np.uint16)
    Image.fromarray(pixels).save(folder / "export.png")
    patients = tmp_path / "patients.csv"
    _write_patients(patients, "00042")
    return tmp_path / "share", patients, tmp_path / "migration", tmp_path / "archive"


def _write_patients(path: Path, rex_id: str) -> None:
    path.write_text(HEADER + OTHERS + f"{rex_id},Doe,Jane,Rex,Canine\n", encoding="utf-8")


def test_refiled_object_removed_from_local_archive(tmp_path: Path) -> None:
    share, patients, out, archive = _practice(tmp_path, seed=3)

    first = _migrate(share, patients, out, archive)
    old_uid = _rows(out / "reconciliation.csv")[0]["sop_instance_uid"]
    _write_patients(patients, "00099")
    second = _migrate(share, patients, out, archive)
    row = _rows(out / "reconciliation.csv")[0]
    replaced = _rows(out / "replaced.csv")

    assert first.by_status == {"archived": 1}
    assert second.by_status == {"archived": 1}
    assert row["patient_id"] == "00099"
    assert row["sop_instance_uid"] != old_uid
    assert second.replaced == 0  # the local archive is the only destination, and it removed the old object
    assert replaced == []
    assert not list(archive.rglob(f"{old_uid}.dcm"))
    assert [p.stem for p in archive.rglob("*.dcm")] == [row["sop_instance_uid"]]


def test_deleted_archive_file_sent_again(tmp_path: Path) -> None:
    share, patients, out, archive = _practice(tmp_path, seed=4)
    _migrate(share, patients, out, archive)
    stored = next(archive.rglob("*.dcm"))
    content = stored.read_bytes()
    stored.unlink()

    summary = _migrate(share, patients, out, archive)

    assert summary.by_status == {"archived": 1}
    assert stored.read_bytes() == content


def test_refiled_object_listed_when_archive_keeps_it(tmp_path: Path, monkeypatch) -> None:
    # A PACS cannot delete over DIMSE or DICOMweb: an archive without remove() keeps the old object.
    from filmroom.destinations.local import LocalArchive

    monkeypatch.delattr(LocalArchive, "remove")
    share, patients, out, archive = _practice(tmp_path, seed=5)
    _migrate(share, patients, out, archive)
    old_uid = _rows(out / "reconciliation.csv")[0]["sop_instance_uid"]
    _write_patients(patients, "00099")

    summary = _migrate(share, patients, out, archive)
    replaced = _rows(out / "replaced.csv")

    assert summary.replaced == 1
    assert len(replaced) == 1
    assert replaced[0]["old_sop_instance_uid"] == old_uid
    assert replaced[0]["old_patient_id"] == "00042"
    assert replaced[0]["new_patient_id"] == "00099"


def test_damaged_archive_copy_replaced(tmp_path: Path) -> None:
    share, patients, out, archive = _practice(tmp_path, seed=6)
    _migrate(share, patients, out, archive)
    stored = next(archive.rglob("*.dcm"))
    content = bytearray(stored.read_bytes())
    content[-10] ^= 0xFF  # one pixel byte flipped; the size stays the same
    stored.write_bytes(bytes(content))

    summary = _migrate(share, patients, out, archive)

    assert summary.by_status == {"archived": 1}
    assert stored.read_bytes() != bytes(content)
