"""LocalArchive with archived files deleted or truncated behind its back, and unusable folders."""

from __future__ import annotations

import os
from pathlib import Path

import pydicom
import pytest
from typer.testing import CliRunner

from filmroom.destinations.local import ArchivedFileError, LocalArchive
from filmroom.errors import ConfigurationError
from filmroom.flows.cli import app


def _uid(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def _archived(archive: LocalArchive, staged: Path) -> Path:
    return archive.path_of(_uid(staged))


def test_find_skips_deleted_file(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        _archived(archive, sc_files[0]).unlink()
        found = archive.find([_uid(path) for path in sc_files])
    assert _uid(sc_files[0]) not in found
    assert found == {_uid(path) for path in sc_files[1:]}


def test_find_skips_truncated_file(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        os.truncate(_archived(archive, sc_files[1]), 500)
        found = archive.find([_uid(sc_files[1])])
    assert found == set()


def test_store_replaces_deleted_file(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        target = _archived(archive, sc_files[0])
        target.unlink()
        [outcome] = archive.store(sc_files[:1])
        found = archive.find([_uid(sc_files[0])])
    assert outcome.state == "stored"
    assert "missing" in outcome.message
    assert target.read_bytes() == sc_files[0].read_bytes()
    assert found == {_uid(sc_files[0])}


def test_store_replaces_truncated_file(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        target = _archived(archive, sc_files[2])
        os.truncate(target, 500)
        [outcome] = archive.store(sc_files[2:3])
        [again] = archive.store(sc_files[2:3])
        problems = archive.verify_files([_uid(sc_files[2])])
    assert outcome.state == "stored"
    assert "500 bytes instead of" in outcome.message
    assert again.state == "already_stored"
    assert target.read_bytes() == sc_files[2].read_bytes()
    assert problems == {}
    assert not list(target.parent.glob(".partial-*"))


def test_store_rejects_damaged_file_elsewhere(tmp_path: Path, sc_files: list[Path]) -> None:
    moved = pydicom.dcmread(sc_files[0])
    moved.PatientID = "VP-7777"
    moved_path = tmp_path / "moved.dcm"
    moved.save_as(moved_path)
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files[:1])
        _archived(archive, sc_files[0]).unlink()
        [outcome] = archive.store([moved_path])
        indexed_path = archive.path_of(_uid(sc_files[0]))
    assert outcome.state == "rejected"
    assert "VP-1001/" in outcome.message
    assert indexed_path.parts[-4] == "VP-1001"
    assert not (tmp_path / "archive" / "VP-7777").exists()


def test_verify_files_reports_problems(tmp_path: Path, sc_files: list[Path]) -> None:
    uids = [_uid(path) for path in sc_files]
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        _archived(archive, sc_files[0]).unlink()
        os.truncate(_archived(archive, sc_files[1]), 500)
        flipped = _archived(archive, sc_files[2])
        content = bytearray(flipped.read_bytes())
        content[-1] ^= 0xFF
        flipped.write_bytes(bytes(content))
        problems = archive.verify_files([*uids, "1.2.3"])
        found = archive.find(uids)
    assert problems == {
        uids[0]: "missing",
        uids[1]: "size differs",
        uids[2]: "SHA-256 differs",
        "1.2.3": "not in the index",
    }
    # find checks sizes only, so the file with a changed byte still counts as present.
    assert found == set(uids[2:])


def test_export_missing_file_raises(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        missing = _archived(archive, sc_files[0])
        missing.unlink()
        with pytest.raises(ArchivedFileError) as raised:
            archive.export_patient("VP-1001", tmp_path / "usb")
    assert str(missing) in str(raised.value)
    assert "filmroom audit" in str(raised.value)
    assert not (tmp_path / "usb" / "DICOMDIR").exists()


def test_cli_export_missing_file(tmp_path: Path, sc_files: list[Path]) -> None:
    with LocalArchive(tmp_path / "archive") as archive:
        archive.store(sc_files)
        missing = _archived(archive, sc_files[0])
    missing.unlink()
    result = CliRunner().invoke(
        app,
        ["export", "VP-1001", "--to", str(tmp_path / "usb"), "--archive", str(tmp_path / "archive")],
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(missing) in result.output
    assert "Traceback" not in result.output


def test_unopenable_index_raises(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    (root / "index.sqlite").mkdir(parents=True)
    with pytest.raises(ConfigurationError, match="check that the folder") as raised:
        LocalArchive(root)
    assert str(root / "index.sqlite") in str(raised.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_folder_raises(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    root.mkdir()
    root.chmod(0o555)
    try:
        with pytest.raises(ConfigurationError, match="writable") as raised:
            LocalArchive(root)
    finally:
        root.chmod(0o755)
    assert str(root) in str(raised.value)


def test_archive_under_file_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigurationError, match="writable folder"):
        LocalArchive(blocker / "archive")
