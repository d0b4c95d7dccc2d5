"""Fixtures for the tests of the committed sample practice."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sample_root(repo_root: Path) -> Path:
    return repo_root / "sample_data"


@pytest.fixture(scope="session")
def expected_rows(sample_root: Path) -> list[dict[str, str]]:
    with (sample_root / "EXPECTED.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def run_generator(repo_root: Path, out: Path, shared_data: Path) -> None:
    """Run scripts/make_sample_data.py into ``out`` as a user would."""
    command = [
        sys.executable,
        str(repo_root / "scripts" / "make_sample_data.py"),
        "--out",
        str(out),
        "--shared-data",
        str(shared_data),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def generate_sample(repo_root: Path, shared_data: Path) -> Callable[[Path], None]:
    """Return a function that generates the sample practice into a folder."""
    return lambda out: run_generator(repo_root, out, shared_data)


@pytest.fixture(scope="session")
def fresh_sample(repo_root: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generate the sample practice once into a temporary folder."""
    out = tmp_path_factory.mktemp("fresh_sample")
    run_generator(repo_root, out, shared_data)
    return out
