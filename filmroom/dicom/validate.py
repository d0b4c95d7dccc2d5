"""Check written objects against the IOD definitions with dciodvfy from dicom3tools."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from filmroom.errors import ConfigurationError

logger = logging.getLogger(__name__)


def run_dciodvfy(path: Path) -> list[str]:
    """Run ``dciodvfy`` on ``path`` and return its ``Error`` lines; an empty list means valid.

    dciodvfy prints its findings on stderr, one per line, starting with ``Error -``
    or ``Warning -``. Warnings are not returned.

    Raises
    ------
    ConfigurationError
        If dciodvfy is not installed (Debian package ``dicom3tools``).
    """
    executable = shutil.which("dciodvfy")
    if executable is None:
        raise ConfigurationError("dciodvfy not found on PATH: install the Debian package dicom3tools")

    completed = subprocess.run(
        [executable, str(path)], capture_output=True, text=True, errors="replace", check=False
    )
    lines = (completed.stdout + completed.stderr).splitlines()
    errors = [line.strip() for line in lines if line.strip().startswith("Error")]
    logger.debug("dciodvfy found %d errors in %s", len(errors), path)
    return errors
