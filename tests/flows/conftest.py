"""Fixtures for flow tests: a Prefect test harness shared by the session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session")
def prefect_harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def copy_sample(repo_root: Path):
    """Return a function that copies sample_data/ into a folder and gives the flow's arguments."""
    return lambda work: _copy_sample(repo_root, work)


def _copy_sample(repo_root: Path, work: Path) -> tuple[Path, dict]:
    sample = work / "sample_data"
    shutil.copytree(repo_root / "sample_data", sample)
    arguments = dict(
        patients=str(sample / "patients.csv"),
        films=[str(sample / "films")],
        share=[str(sample / "share")],
        archive=[str(work / "archive")],
        out=str(work / "migration"),
    )
    return sample, arguments
