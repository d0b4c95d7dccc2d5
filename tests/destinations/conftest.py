"""Fixtures for destination tests: small Secondary Capture files and a real Orthanc."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from orthanc_server import OrthancServer, orthanc_available
from sc_files import write_sc_files

from filmroom.settings import ArchiveSettings

ORTHANC_USER = ("filmroom-test", "invented-password-7")


def require_orthanc() -> None:
    """Skip the calling test when Orthanc or a C compiler for the loopback shim is missing."""
    if not orthanc_available():
        pytest.skip("Orthanc with the DICOMweb plugin, or cc, is not installed")


@pytest.fixture
def sc_files(tmp_path: Path) -> list[Path]:
    """Six 64x64 16-bit Secondary Capture files: two patients, three studies."""
    return write_sc_files(tmp_path / "staged", count=6, studies=3, seed=7)


@pytest.fixture
def fast_settings() -> ArchiveSettings:
    """Archive settings with short back-off and timeouts, so failure tests finish quickly."""
    return ArchiveSettings(
        retries=2, retry_backoff_seconds=0.05, timeout_seconds=5.0, stow_batch_size=4
    )


@pytest.fixture(scope="session")
def shared_orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """One Orthanc for the session, with HTTP basic authentication for one invented user."""
    require_orthanc()
    server = OrthancServer(tmp_path_factory.mktemp("orthanc"), users=dict([ORTHANC_USER]))
    server.start()
    try:
        yield server
    finally:
        server.stop(kill=True)


@pytest.fixture
def orthanc(shared_orthanc: OrthancServer) -> OrthancServer:
    """The session Orthanc, emptied before the test."""
    shared_orthanc.delete_all()
    return shared_orthanc


@pytest.fixture
def dicomweb_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the Orthanc test user in the environment variables the DICOMweb destination reads."""
    monkeypatch.delenv("FILMROOM_DICOMWEB_TOKEN", raising=False)
    monkeypatch.setenv("FILMROOM_DICOMWEB_USER", ORTHANC_USER[0])
    monkeypatch.setenv("FILMROOM_DICOMWEB_PASSWORD", ORTHANC_USER[1])


@pytest.fixture
def private_orthanc(tmp_path: Path) -> Iterator[OrthancServer]:
    """A fresh Orthanc for tests that stop it or change its configuration; not yet started."""
    require_orthanc()
    server = OrthancServer(tmp_path / "orthanc")
    try:
        yield server
    finally:
        server.stop(kill=True)
