"""DicomWebDestination against a real Orthanc DICOMweb plugin with HTTP basic authentication."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pydicom
import pytest
from orthanc_server import OrthancServer
from sc_files import write_sc_files

from filmroom.destinations import open_destination, verify_sample
from filmroom.destinations.dicomweb import DicomWebDestination
from filmroom.errors import ConfigurationError
from filmroom.settings import ArchiveSettings

pytestmark = [pytest.mark.orthanc, pytest.mark.usefixtures("dicomweb_credentials")]


def _uids(paths: list[Path]) -> list[str]:
    return [str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID) for path in paths]


def test_stow_count_matches(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        outcomes = destination.store(sc_files)
    assert [outcome.state for outcome in outcomes] == ["stored"] * 6
    assert [outcome.sop_instance_uid for outcome in outcomes] == _uids(sc_files)
    assert orthanc.instance_count() == 6


def test_stow_again_already_stored(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        destination.store(sc_files)
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        outcomes = destination.store(sc_files)
    assert [outcome.state for outcome in outcomes] == ["already_stored"] * 6
    assert orthanc.instance_count() == 6


def test_stow_unreadable_file_rejected(
    orthanc: OrthancServer, sc_files: list[Path], tmp_path: Path, fast_settings: ArchiveSettings
) -> None:
    bad = tmp_path / "truncated.dcm"
    bad.write_bytes(b"DICM")
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        outcomes = destination.store([sc_files[0], bad])
    assert [outcome.state for outcome in outcomes] == ["stored", "rejected"]
    assert orthanc.instance_count() == 1


def test_name_has_no_credentials(orthanc: OrthancServer, fast_settings: ArchiveSettings) -> None:
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        assert destination.name == orthanc.dicomweb_url
        assert "invented-password" not in repr(destination.__dict__)


def test_find_by_qido(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    uids = _uids(sc_files)
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        destination.store(sc_files[:3], skip_present=False)
        found_known_studies = destination.find([*uids, "1.2.3.4"])
    with open_destination(orthanc.dicomweb_url, fast_settings) as fresh:
        found_unknown_studies = fresh.find([*uids, "1.2.3.4"])
    assert found_known_studies == set(uids[:3])
    assert found_unknown_studies == set(uids[:3])


def test_fetch_by_wado(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    staged = pydicom.dcmread(sc_files[4])
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        destination.store(sc_files)
        fetched = destination.fetch(str(staged.SOPInstanceUID))
    assert np.array_equal(fetched.pixel_array, staged.pixel_array)
    assert fetched.PatientID == staged.PatientID


def test_patient_identity_unsafe_id(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        destination.store(sc_files)
        assert destination.patient_identity("VP/20 02") == ("Quill^Pepper", "FELINE")
        assert destination.patient_identity("VP/20?02") is None
        assert destination.patient_identity("VP-9999") is None


def test_verify_sample_over_dicomweb(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with open_destination(orthanc.dicomweb_url, fast_settings) as destination:
        destination.store(sc_files)
        results = verify_sample(destination, dict(zip(_uids(sc_files), sc_files)), 0.5, seed=2)
    assert len(results) == 3
    assert all(result.ok for result in results)


def test_wrong_password_raises(
    orthanc: OrthancServer, fast_settings: ArchiveSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILMROOM_DICOMWEB_PASSWORD", "wrong")
    with pytest.raises(ConfigurationError, match="HTTP 401") as raised:
        open_destination(orthanc.dicomweb_url, fast_settings)
    assert "wrong" not in str(raised.value)


def test_no_credentials_raises(
    orthanc: OrthancServer, fast_settings: ArchiveSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FILMROOM_DICOMWEB_USER")
    monkeypatch.delenv("FILMROOM_DICOMWEB_PASSWORD")
    with pytest.raises(ConfigurationError, match="rejected the credentials"):
        open_destination(orthanc.dicomweb_url, fast_settings)


@pytest.mark.slow
def test_stow_survives_outage(private_orthanc: OrthancServer, tmp_path: Path) -> None:
    files = write_sc_files(tmp_path / "many", count=24, studies=3, seed=5)
    settings = ArchiveSettings(
        max_concurrency=1, stow_batch_size=4, retries=1, retry_backoff_seconds=0.05
    )
    private_orthanc.start()
    destination = DicomWebDestination(private_orthanc.dicomweb_url, settings)

    # Stop Orthanc from another thread after the second batch, and wait until it exits.
    batch = destination._stow_batch
    batches = 0

    def stow_then_stop(items):  # type: ignore[no-untyped-def]
        nonlocal batches
        result = batch(items)
        batches += 1
        if batches == 2:
            stopper = threading.Thread(target=private_orthanc.stop)
            stopper.start()
            stopper.join()
        return result

    destination._stow_batch = stow_then_stop  # type: ignore[method-assign]
    first = destination.store(files)
    destination._stow_batch = batch  # type: ignore[method-assign]
    private_orthanc.start()
    second = destination.store(files)
    destination.close()

    assert [outcome.state for outcome in first].count("stored") == 8
    assert [outcome.state for outcome in first].count("failed") == 16
    assert [outcome.state for outcome in second].count("already_stored") == 8
    assert [outcome.state for outcome in second].count("stored") == 16
    assert private_orthanc.instance_count() == 24
