"""DimseDestination against a real Orthanc on loopback ports."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pydicom
import pytest
from orthanc_server import OrthancServer
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless
from sc_files import make_sc_dataset, write_sc_files

from filmroom.destinations import open_destination, verify_sample
from filmroom.destinations.dimse import DimseDestination
from filmroom.settings import ArchiveSettings

pytestmark = pytest.mark.orthanc


def _uids(paths: list[Path]) -> list[str]:
    return [str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID) for path in paths]


def test_store_count_matches(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        outcomes = destination.store(sc_files)
    assert [outcome.state for outcome in outcomes] == ["stored"] * 6
    assert orthanc.instance_count() == 6
    assert orthanc.sop_instance_uids() == sorted(_uids(sc_files))


def test_store_again_already_stored(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store(sc_files)
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        outcomes = destination.store(sc_files)
    assert [outcome.state for outcome in outcomes] == ["already_stored"] * 6
    assert orthanc.instance_count() == 6


def test_find_queries_orthanc(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    uids = _uids(sc_files)
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store(sc_files[:4], skip_present=False)
    with open_destination(orthanc.dicom_spec, fast_settings) as fresh:
        found = fresh.find([*uids, "1.2.3.4"])
    assert found == set(uids[:4])


def test_fetch_same_pixels(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    staged = pydicom.dcmread(sc_files[1])
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store(sc_files)
        fetched = destination.fetch(str(staged.SOPInstanceUID))
    assert np.array_equal(fetched.pixel_array, staged.pixel_array)


def test_fetch_from_fresh_destination(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    staged = pydicom.dcmread(sc_files[3])
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store(sc_files)
    with open_destination(orthanc.dicom_spec, fast_settings) as fresh:
        fetched = fresh.fetch(str(staged.SOPInstanceUID))
    assert fetched.SOPInstanceUID == staged.SOPInstanceUID
    assert np.array_equal(fetched.pixel_array, staged.pixel_array)


def test_fetch_missing_raises(orthanc: OrthancServer, fast_settings: ArchiveSettings) -> None:
    with (
        open_destination(orthanc.dicom_spec, fast_settings) as destination,
        pytest.raises(KeyError),
    ):
        destination.fetch("1.2.3.4")


def test_patient_identity_from_pacs(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store(sc_files)
        assert destination.patient_identity("VP/20 02") == ("Quill^Pepper", "FELINE")
        assert destination.patient_identity("VP-1001") == ("Hollis^Biscuit", "CANINE")
        assert destination.patient_identity("VP-10") is None


def test_verify_sample_matches(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    expected = dict(zip(_uids(sc_files), sc_files))
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store(sc_files)
        results = verify_sample(destination, expected, 0.0, seed=3)
    assert len(results) == 3
    assert all(result.ok for result in results)


def test_verify_sample_detects_mismatch(
    orthanc: OrthancServer, sc_files: list[Path], tmp_path: Path, fast_settings: ArchiveSettings
) -> None:
    tampered = pydicom.dcmread(sc_files[0])
    pixels = tampered.pixel_array.copy()
    pixels[0, 0] ^= 1
    tampered.PixelData = pixels.tobytes()
    tampered_path = tmp_path / "tampered.dcm"
    tampered.save_as(tampered_path)
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store(sc_files)
        [result] = verify_sample(
            destination, {str(tampered.SOPInstanceUID): tampered_path}, 1.0, seed=1
        )
    assert not result.ok
    assert result.reason == "1 decoded pixel values differ"


def test_store_transcodes_for_orthanc(
    private_orthanc: OrthancServer,
    sc_files: list[Path],
    tmp_path: Path,
    fast_settings: ArchiveSettings,
) -> None:
    private_orthanc.accepted_transfer_syntaxes = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    private_orthanc.start()
    staged = pydicom.dcmread(sc_files[0])
    compressed = pydicom.dcmread(sc_files[0])
    compressed.compress(RLELossless, generate_instance_uid=False)
    path = tmp_path / "rle.dcm"
    compressed.save_as(path)
    with open_destination(private_orthanc.dicom_spec, fast_settings) as destination:
        [outcome] = destination.store([path])
        fetched = destination.fetch(str(staged.SOPInstanceUID))
    assert outcome.state == "stored"
    assert "transcoded from RLE Lossless to Explicit VR Little Endian" in outcome.message
    assert fetched.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert np.array_equal(fetched.pixel_array, staged.pixel_array)


@pytest.mark.slow
def test_store_survives_outage(private_orthanc: OrthancServer, tmp_path: Path) -> None:
    files = write_sc_files(tmp_path / "many", count=30, studies=3, seed=11)
    uids = _uids(files)
    settings = ArchiveSettings(
        max_concurrency=2, retries=1, retry_backoff_seconds=0.05, timeout_seconds=5.0
    )
    private_orthanc.start()
    destination = DimseDestination("127.0.0.1", private_orthanc.dicom_port, "ORTHANC", settings)

    # Stop Orthanc from another thread once eight files have been sent, and wait for it
    # to exit, so that the remaining files meet a stopped server.
    send = destination._send
    sent = 0
    lock = threading.Lock()

    def send_then_stop(association, header):  # type: ignore[no-untyped-def]
        nonlocal sent
        result = send(association, header)
        with lock:
            sent += 1
            if sent == 8:
                stopper = threading.Thread(target=private_orthanc.stop)
                stopper.start()
                stopper.join()
        return result

    destination._send = send_then_stop  # type: ignore[method-assign]
    first = destination.store(files)
    destination._send = send  # type: ignore[method-assign]
    stored_first = {outcome.sop_instance_uid for outcome in first if outcome.state == "stored"}
    failed_first = [outcome for outcome in first if outcome.state == "failed"]

    private_orthanc.start()
    held_after_outage = set(private_orthanc.sop_instance_uids())
    second = destination.store(files)

    assert len(first) == 30
    assert failed_first, "some files must fail while Orthanc is down"
    assert len(stored_first) + len(failed_first) == 30
    assert stored_first <= held_after_outage, "every file reported stored is in Orthanc"
    assert {outcome.state for outcome in second} <= {"stored", "already_stored"}
    assert private_orthanc.instance_count() == 30
    assert private_orthanc.sop_instance_uids() == sorted(uids)


def test_open_wrong_called_aet(orthanc: OrthancServer, fast_settings: ArchiveSettings) -> None:
    from filmroom.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="AE titles"):
        open_destination(f"dicom://WRONG@127.0.0.1:{orthanc.dicom_port}", fast_settings)


def test_commit_reports_stored_and_missing(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    uids = _uids(sc_files)
    listen_address = ("127.0.0.1", orthanc.modality_ports["FILMROOM"])
    with DimseDestination("127.0.0.1", orthanc.dicom_port, "ORTHANC", fast_settings) as destination:
        destination.store(sc_files)
        orthanc.delete_instance(uids[5])
        result = destination.commit(uids, listen_address=listen_address)
    assert result.committed == set(uids[:5])
    assert result.failed == {uids[5]: 0x0112}
    assert result.unanswered == set()


def test_commit_from_fresh_destination(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    uids = _uids(sc_files)
    listen_address = ("127.0.0.1", orthanc.modality_ports["FILMROOM"])
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store(sc_files)
    with DimseDestination("127.0.0.1", orthanc.dicom_port, "ORTHANC", fast_settings) as fresh:
        result = fresh.commit(uids, listen_address=listen_address)
    assert result.committed == set(uids)
    assert result.failed == {}


def test_commit_without_report_unanswered(
    orthanc: OrthancServer, sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    from orthanc_server import free_port

    uids = _uids(sc_files)
    with DimseDestination("127.0.0.1", orthanc.dicom_port, "ORTHANC", fast_settings) as destination:
        destination.store(sc_files)
        result = destination.commit(uids, listen_address=("127.0.0.1", free_port()), timeout=1.0)
    assert result.committed == set()
    assert result.unanswered == set(uids)


@pytest.fixture
def tls_orthanc(private_orthanc: OrthancServer, tmp_path: Path) -> tuple[OrthancServer, Path]:
    """Start an Orthanc whose DICOM port expects TLS; return it and the CA certificate path."""
    pytest.importorskip("cryptography")
    from tls_certs import write_loopback_certificates

    certificates = write_loopback_certificates(tmp_path / "certificates")
    private_orthanc.extra_config.update(
        {
            "DicomTlsEnabled": True,
            "DicomTlsCertificate": str(certificates["certificate"]),
            "DicomTlsPrivateKey": str(certificates["key"]),
            "DicomTlsTrustedCertificates": str(certificates["ca"]),
            "DicomTlsRemoteCertificateRequired": False,
        }
    )
    private_orthanc.start()
    return private_orthanc, certificates["ca"]


def test_store_over_tls(tls_orthanc: tuple[OrthancServer, Path], sc_files: list[Path]) -> None:
    server, ca_file = tls_orthanc
    staged = pydicom.dcmread(sc_files[0])
    settings = ArchiveSettings(tls_ca_file=str(ca_file), retries=0)
    with open_destination(server.dicom_spec, settings) as destination:
        outcomes = destination.store(sc_files)
        fetched = destination.fetch(str(staged.SOPInstanceUID))
    assert [outcome.state for outcome in outcomes] == ["stored"] * 6
    assert server.instance_count() == 6
    assert np.array_equal(fetched.pixel_array, staged.pixel_array)


def test_plain_to_tls_port_raises(tls_orthanc: tuple[OrthancServer, Path]) -> None:
    from filmroom.errors import ConfigurationError

    server, _ = tls_orthanc
    with pytest.raises(ConfigurationError, match="tls_ca_file"):
        open_destination(server.dicom_spec, ArchiveSettings(retries=0, timeout_seconds=5))


def _jpeg_baseline_file(folder: Path) -> Path:
    """Write an 8-bit Secondary Capture whose Pixel Data is a Pillow-encoded baseline JPEG."""
    from io import BytesIO

    from PIL import Image
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    dataset = make_sc_dataset(0, seed=21)
    rng = np.random.default_rng(21)
    pixels = rng.integers(0, 256, size=(64, 64), dtype=np.uint8)
    buffer = BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=80)
    dataset.BitsAllocated = 8
    dataset.BitsStored = 8
    dataset.HighBit = 7
    dataset.PixelData = encapsulate([buffer.getvalue()])
    dataset["PixelData"].VR = "OB"
    dataset.LossyImageCompression = "01"
    dataset.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    path = folder / "jpeg-baseline.dcm"
    dataset.save_as(path, enforce_file_format=True)
    return path


def _jpeg2000_lossless_file(folder: Path) -> Path:
    from pydicom.uid import JPEG2000Lossless

    dataset = make_sc_dataset(1, seed=21)
    dataset.compress(JPEG2000Lossless, generate_instance_uid=False)
    path = folder / "jpeg2000-lossless.dcm"
    dataset.save_as(path, enforce_file_format=True)
    return path


def test_verify_sample_compressed_objects(
    orthanc: OrthancServer, tmp_path: Path, fast_settings: ArchiveSettings
) -> None:
    paths = [_jpeg_baseline_file(tmp_path), _jpeg2000_lossless_file(tmp_path)]
    expected = dict(zip(_uids(paths), paths))
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        outcomes = destination.store(paths)
        results = verify_sample(destination, expected, 1.0, seed=1)
    assert [outcome.state for outcome in outcomes] == ["stored", "stored"]
    assert [(result.sop_instance_uid, result.reason) for result in results] == [
        (uid, "") for uid in expected
    ]


def test_fetch_fresh_keeps_jpeg2000_bytes(
    orthanc: OrthancServer, tmp_path: Path, fast_settings: ArchiveSettings
) -> None:
    path = _jpeg2000_lossless_file(tmp_path)
    staged = pydicom.dcmread(path)
    with open_destination(orthanc.dicom_spec, fast_settings) as destination:
        destination.store([path])
    # A new destination has neither the SOP Class nor the transfer syntax of the object.
    with open_destination(orthanc.dicom_spec, fast_settings) as fresh:
        fetched = fresh.fetch(str(staged.SOPInstanceUID))
    assert fetched.file_meta.TransferSyntaxUID == staged.file_meta.TransferSyntaxUID
    assert fetched.PixelData == staged.PixelData
