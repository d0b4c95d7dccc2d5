"""Migrations into a real Orthanc over DICOM: re-runs, a killed run, and an outage in the middle.

After each scenario the PACS must hold exactly the objects the report lists as archived.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SUPPORT = Path(__file__).resolve().parents[1] / "support"
sys.path.insert(0, str(SUPPORT))

from orthanc_server import OrthancServer, orthanc_available  # noqa: E402

from filmroom.flows.migration import Migration, run_stages  # noqa: E402
from filmroom.settings import ArchiveSettings, Settings  # noqa: E402

pytestmark = [pytest.mark.orthanc, pytest.mark.slow]

IMAGE_COUNT = 120


@pytest.fixture(scope="module")
def practice(tmp_path_factory) -> dict[str, Path]:
    """A share folder of distinct 16-bit PNG exports for one patient, and its patient list."""
    root = tmp_path_factory.mktemp("practice")
    patients = root / "patients.csv"
    patients.write_text(
        "Patient ID,Client Last Name,Client First Name,Patient Name,Species\n"
        "00042,Doe,Jane,Rex,Canine\n"
        "00043,Roe,Sam,Kitty,Feline\n",
        encoding="utf-8",
    )
    folder = root / "share" / "Doe, Rex 2015-03-02"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(11)
    for index in range(IMAGE_COUNT):
        base = rng.integers(0, 4096, size=(24, 24)).astype(np.uint16)
        pixels = np.kron(base, np.ones((16, 16), dtype=np.uint16))  # blocky, so each image is distinct
        Image.fromarray(pixels).save(folder / f"export_{index:03d}.png")
    return {"patients": patients, "share": root / "share"}


@pytest.fixture
def orthanc(tmp_path: Path):
    if not orthanc_available():
        pytest.skip("Orthanc with the DICOMweb plugin, or cc, is not installed")
    server = OrthancServer(tmp_path / "orthanc")
    server.start()
    try:
        yield server
    finally:
        server.stop(kill=True)


def _settings(destination: str) -> Settings:
    return Settings(archive=ArchiveSettings(destinations=[destination], retries=1,
                                            retry_backoff_seconds=0.05, timeout_seconds=5.0))


def _migrate(practice: dict[str, Path], out: Path, destination: str):
    migration = Migration(films=[], share=[practice["share"]], patients=practice["patients"], out=out,
                          settings=_settings(destination))
    return run_stages(migration)


def _archived_uids(out: Path) -> list[str]:
    with (out / "reconciliation.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [uid for row in rows if row["status"] == "archived" for uid in row["sop_instance_uid"].split(";")]


def test_orthanc_same_run_twice(practice, orthanc, tmp_path):
    out = tmp_path / "migration"

    first = _migrate(practice, out, orthanc.dicom_spec)
    second = _migrate(practice, out, orthanc.dicom_spec)

    assert first.by_status == {"archived": IMAGE_COUNT}
    assert second.by_status == {"archived": IMAGE_COUNT}
    assert sorted(orthanc.sop_instance_uids()) == sorted(_archived_uids(out))
    assert orthanc.instance_count() == IMAGE_COUNT


def test_orthanc_killed_run_resumes(practice, orthanc, tmp_path):
    out = tmp_path / "migration"
    command = [sys.executable, str(SUPPORT / "run_migration.py"), str(practice["patients"]),
               str(practice["share"]), str(out), orthanc.dicom_spec]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while orthanc.instance_count() == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    held_after_kill = orthanc.instance_count()

    summary = _migrate(practice, out, orthanc.dicom_spec)

    assert held_after_kill > 0
    assert summary.by_status == {"archived": IMAGE_COUNT}
    assert sorted(orthanc.sop_instance_uids()) == sorted(_archived_uids(out))
    assert orthanc.instance_count() == IMAGE_COUNT


def test_orthanc_outage_then_rerun(practice, orthanc, tmp_path, monkeypatch):
    from filmroom.destinations.dimse import DimseDestination

    out = tmp_path / "migration"
    real_store = DimseDestination.store
    calls = []

    def store_then_stop_orthanc(self, paths, **kwargs):
        outcomes = real_store(self, paths, **kwargs)
        calls.append(len(paths))
        if len(calls) == 1:
            orthanc.stop()
        return outcomes

    monkeypatch.setattr("filmroom.tasks.load.STORE_CHUNK", 20)
    monkeypatch.setattr(DimseDestination, "store", store_then_stop_orthanc)
    first = _migrate(practice, out, orthanc.dicom_spec)
    monkeypatch.setattr(DimseDestination, "store", real_store)
    orthanc.start()
    held_after_outage = set(orthanc.sop_instance_uids())
    archived_after_outage = set(_archived_uids(out))

    second = _migrate(practice, out, orthanc.dicom_spec)

    assert first.balanced
    assert first.by_status.get("pending", 0) == IMAGE_COUNT
    assert len(held_after_outage) == 20
    assert archived_after_outage == set()
    assert second.by_status == {"archived": IMAGE_COUNT}
    assert sorted(orthanc.sop_instance_uids()) == sorted(_archived_uids(out))
    assert orthanc.instance_count() == IMAGE_COUNT
