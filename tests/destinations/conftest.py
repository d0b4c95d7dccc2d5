"""Fixtures for destination tests: small Secondary Capture files and a real Orthanc."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from orthanc_server import OrthancServer, orthanc_available  # noqa: E402
from sc_files import write_sc_files  # noqa: E402


@pytest.fixture
def sc_files(tmp_path: Path) -> list[Path]:
    """Six 64x64 16-bit Secondary Capture files: two patients, three studies."""
    return write_sc_files(tmp_path / "staged", count=6, studies=3, seed=7)


@pytest.fixture
def orthanc(tmp_path: Path) -> Iterator[OrthancServer]:
    """A fresh Orthanc on loopback ports, stopped after the test."""
    if not orthanc_available():
        pytest.skip("Orthanc is not installed at /usr/sbin/Orthanc")
    server = OrthancServer(tmp_path / "orthanc")
    server.start()
    try:
        yield server
    finally:
        server.stop()
