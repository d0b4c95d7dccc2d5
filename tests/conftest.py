"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """Return the folder of real test files: FILMROOM_SHARED_DATA, or ../shared/data beside the checkout."""
    configured = os.environ.get("FILMROOM_SHARED_DATA")
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-file corpus; tests that use it skip where it is absent, as on a user's machine."""
    root = shared_data_root()
    if not root.is_dir():
        pytest.skip(f"real test data not found at {root}")
    return root


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
