"""Run a migration without Prefect, as a separate process that a test can kill.

Usage: python run_migration.py PATIENTS SHARE OUT DESTINATION
"""

from __future__ import annotations

import sys
from pathlib import Path

from filmroom.flows.migration import Migration, run_stages
from filmroom.settings import ArchiveSettings, Settings


def main() -> None:
    patients, share, out, destination = sys.argv[1:5]
    settings = Settings(archive=ArchiveSettings(destinations=[destination], retries=1,
                                                retry_backoff_seconds=0.05, timeout_seconds=5.0))
    migration = Migration(films=[], share=[Path(share)], patients=Path(patients), out=Path(out), settings=settings)
    summary = run_stages(migration)
    print(summary.by_status)


if __name__ == "__main__":
    main()
