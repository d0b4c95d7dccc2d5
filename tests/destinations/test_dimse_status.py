"""C-STORE status handling against a scripted pynetdicom SCP on a loopback port."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import RLELossless
from status_scp import StatusScp

from filmroom.destinations.dimse import DimseDestination
from filmroom.destinations.dimse_status import StatusKind, classify_store_status
from filmroom.errors import ConfigurationError
from filmroom.settings import ArchiveSettings


def _status(code: int) -> Dataset:
    dataset = Dataset()
    dataset.Status = code
    return dataset


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (0x0000, StatusKind.STORED),
        (0xB000, StatusKind.STORED),
        (0xB006, StatusKind.STORED),
        (0xB007, StatusKind.STORED),
        (0xA700, StatusKind.TRANSIENT),
        (0xA7FF, StatusKind.TRANSIENT),
        (0xA900, StatusKind.REJECTED),
        (0xC000, StatusKind.REJECTED),
        (0x0122, StatusKind.REJECTED),
    ],
)
def test_classify_status_codes(code: int, kind: StatusKind) -> None:
    assert classify_store_status(_status(code)).kind is kind


def test_classify_empty_response_transient() -> None:
    assert classify_store_status(Dataset()).kind is StatusKind.TRANSIENT


def _open(scp: StatusScp, settings: ArchiveSettings) -> DimseDestination:
    return DimseDestination("127.0.0.1", scp.port, "STATUS_SCP", settings)


def test_store_success_status(sc_files: list[Path], fast_settings: ArchiveSettings) -> None:
    with StatusScp([0x0000]) as scp, _open(scp, fast_settings) as destination:
        outcomes = destination.store(sc_files, skip_present=False)
    assert [outcome.state for outcome in outcomes] == ["stored"] * 6
    assert sorted(scp.received) == sorted(outcome.sop_instance_uid for outcome in outcomes)


def test_store_warning_is_stored(sc_files: list[Path], fast_settings: ArchiveSettings) -> None:
    with StatusScp([0xB000]) as scp, _open(scp, fast_settings) as destination:
        [outcome] = destination.store(sc_files[:1], skip_present=False)
    assert outcome.state == "stored"
    assert outcome.status == 0xB000
    assert "warning" in outcome.message


def test_store_out_of_resources_retried(
    sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with StatusScp([0xA700, 0x0000]) as scp, _open(scp, fast_settings) as destination:
        [outcome] = destination.store(sc_files[:1], skip_present=False)
    assert outcome.state == "stored"
    assert len(scp.received) == 2


def test_store_out_of_resources_fails(sc_files: list[Path], fast_settings: ArchiveSettings) -> None:
    with StatusScp([0xA700]) as scp, _open(scp, fast_settings) as destination:
        [outcome] = destination.store(sc_files[:1], skip_present=False)
    assert outcome.state == "failed"
    assert "0xA700" in outcome.message
    assert len(scp.received) == fast_settings.retries + 1


def test_store_cannot_understand_rejected(
    sc_files: list[Path], fast_settings: ArchiveSettings
) -> None:
    with StatusScp([0xC000]) as scp, _open(scp, fast_settings) as destination:
        [outcome] = destination.store(sc_files[:1], skip_present=False)
    assert outcome.state == "rejected"
    assert outcome.status == 0xC000
    assert len(scp.received) == 1


def test_store_timeout_is_not_success(sc_files: list[Path]) -> None:
    settings = ArchiveSettings(
        retries=1, retry_backoff_seconds=0.05, timeout_seconds=0.5, max_concurrency=1
    )
    with (
        StatusScp(["timeout", 0x0000], delay_seconds=1.5) as scp,
        _open(scp, settings) as destination,
    ):
        [outcome] = destination.store(sc_files[:1], skip_present=False)
    assert outcome.state == "stored"
    assert len(scp.received) == 2


def test_store_timeout_every_time_fails(sc_files: list[Path]) -> None:
    settings = ArchiveSettings(
        retries=1, retry_backoff_seconds=0.05, timeout_seconds=0.5, max_concurrency=1
    )
    with StatusScp(["timeout"], delay_seconds=1.0) as scp, _open(scp, settings) as destination:
        [outcome] = destination.store(sc_files[:1], skip_present=False)
    assert outcome.state == "failed"
    assert "no C-STORE response" in outcome.message


def test_store_transcodes_rejected_syntax(
    sc_files: list[Path], tmp_path: Path, fast_settings: ArchiveSettings
) -> None:
    compressed = pydicom.dcmread(sc_files[0])
    compressed.compress(RLELossless, generate_instance_uid=False)
    path = tmp_path / "rle.dcm"
    compressed.save_as(path)
    with StatusScp([0x0000]) as scp, _open(scp, fast_settings) as destination:
        [outcome] = destination.store([path], skip_present=False)
    assert outcome.state == "stored"
    assert "transcoded from RLE Lossless" in outcome.message
    assert scp.received_syntaxes == ["1.2.840.10008.1.2.1"]
    assert scp.received == [str(compressed.SOPInstanceUID)]


def test_store_sends_accepted_compressed_as_is(
    sc_files: list[Path], tmp_path: Path, fast_settings: ArchiveSettings
) -> None:
    compressed = pydicom.dcmread(sc_files[0])
    compressed.compress(RLELossless, generate_instance_uid=False)
    path = tmp_path / "rle.dcm"
    compressed.save_as(path)
    accepted = [RLELossless, "1.2.840.10008.1.2.1"]
    with (
        StatusScp([0x0000], transfer_syntaxes=accepted) as scp,
        _open(scp, fast_settings) as destination,
    ):
        [outcome] = destination.store([path], skip_present=False)
    assert outcome.message == ""
    assert scp.received_syntaxes == [RLELossless]


def test_store_unreachable_fails(sc_files: list[Path], fast_settings: ArchiveSettings) -> None:
    with StatusScp([0x0000]) as scp:
        destination = _open(scp, fast_settings)
    outcomes = destination.store(sc_files, skip_present=False)
    assert [outcome.state for outcome in outcomes] == ["failed"] * 6
    assert "unreachable" in outcomes[-1].message


def test_open_unreachable_raises(fast_settings: ArchiveSettings) -> None:
    with StatusScp([0x0000]) as scp:
        port = scp.port
    with pytest.raises(ConfigurationError, match="DICOM destination check failed"):
        DimseDestination("127.0.0.1", port, "STATUS_SCP", fast_settings)
