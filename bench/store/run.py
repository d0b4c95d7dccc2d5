"""Benchmark DimseDestination against DCMTK storescu, storing the same files into Orthanc.

Each round starts a fresh Orthanc (new storage folder, loopback ports, the same
configuration for both sides) and stores the same Secondary Capture files once with
each side, alternating which side goes first. filmroom's time includes its C-FIND
check before sending, a C-FIND of every stored UID afterwards and a C-GET pixel
comparison of a sample (``verify_sample``). storescu's time is one process that
sends all files over one association.

Run from the repository root:

    .venv/bin/python -m bench.store.run [--images 500] [--size 512] [--rounds 3] [--nodelay]

``--nodelay`` sets the environment variable TCP_NODELAY=1 for Orthanc and storescu,
which makes DCMTK (used by both) disable Nagle's algorithm on its sockets.
Without it, the Debian 12 builds of Orthanc 1.10 and DCMTK 3.6.7 wait about 40 ms
for a delayed ACK on each DIMSE response.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pydicom

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "support"))

from orthanc_server import OrthancServer, orthanc_available
from sc_files import write_sc_files

from filmroom.destinations.dimse import DimseDestination
from filmroom.destinations.verify import verify_sample
from filmroom.settings import ArchiveSettings

# Orthanc options for both sides; the rest are the OrthancServer defaults.
ORTHANC_TUNING = {"StorageCompression": False, "DicomThreadsCount": 4, "ConcurrentJobs": 2}


def run_filmroom(
    server: OrthancServer, files: list[Path], settings: ArchiveSettings
) -> dict[str, object]:
    """Store, check every UID with C-FIND and verify a sample with C-GET; return counts."""
    uids = [str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID) for path in files]
    with DimseDestination("127.0.0.1", server.dicom_port, server.aet, settings) as destination:
        outcomes = destination.store(files)
        found = destination.find(uids)
        results = verify_sample(
            destination,
            dict(zip(uids, files)),
            settings.verify_sample_fraction,
            seed=1,
            workers=settings.max_concurrency,
        )
    return {
        "stored": sum(1 for outcome in outcomes if outcome.state == "stored"),
        "found": len(found),
        "verified": sum(1 for result in results if result.ok),
        "sampled": len(results),
    }


def run_storescu(
    server: OrthancServer, files: list[Path], environment: dict[str, str]
) -> dict[str, object]:
    """Send all files with one storescu process."""
    command = [
        "storescu",
        "-aec",
        server.aet,
        "127.0.0.1",
        str(server.dicom_port),
        *map(str, files),
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, env=dict(os.environ, **environment)
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"storescu exited with {completed.returncode}: {completed.stderr[-500:]}"
        )
    return {}


def timed_round(
    workdir: Path,
    name: str,
    action: Callable[[OrthancServer], dict[str, object]],
    expected: int,
    environment: dict[str, str],
) -> tuple[float, dict[str, object]]:
    """Run ``action`` against a fresh Orthanc; return seconds and the action's counts."""
    server = OrthancServer(
        workdir / name,
        calling_aets=("FILMROOM", "STORESCU"),
        extra_config=ORTHANC_TUNING,
        environment=environment,
    )
    server.start()
    try:
        started = time.perf_counter()
        counts = action(server)
        seconds = time.perf_counter() - started
        instance_count = server.instance_count()
    finally:
        server.stop(kill=True)
        shutil.rmtree(workdir / name, ignore_errors=True)
    if instance_count != expected:
        raise RuntimeError(
            f"{name}: Orthanc stores {instance_count} instances, expected {expected}"
        )
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500, help="number of Secondary Capture files")
    parser.add_argument(
        "--size", type=int, default=512, help="rows and columns of each 16-bit image"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each runs both sides once")
    parser.add_argument(
        "--concurrency", type=int, default=4, help="filmroom's parallel associations"
    )
    parser.add_argument(
        "--verify-fraction", type=float, default=0.01, help="share of images fetched and compared"
    )
    parser.add_argument(
        "--nodelay", action="store_true", help="set TCP_NODELAY=1 for Orthanc and storescu (DCMTK)"
    )
    arguments = parser.parse_args()
    environment = {"TCP_NODELAY": "1"} if arguments.nodelay else {}

    if not orthanc_available() or shutil.which("storescu") is None:
        sys.exit("Needs /usr/sbin/Orthanc with the DICOMweb plugin, cc and DCMTK storescu")

    settings = ArchiveSettings(
        max_concurrency=arguments.concurrency, verify_sample_fraction=arguments.verify_fraction
    )
    with tempfile.TemporaryDirectory(prefix="filmroom-bench-store-") as temporary:
        workdir = Path(temporary)
        files = write_sc_files(
            workdir / "staged", count=arguments.images, studies=10, seed=42, size=arguments.size
        )
        megabytes = sum(path.stat().st_size for path in files) / 1e6

        rows = []
        for round_number in range(arguments.rounds):
            sides: list[tuple[str, Callable[[OrthancServer], dict[str, object]]]] = [
                ("filmroom", lambda server: run_filmroom(server, files, settings)),
                ("storescu", lambda server: run_storescu(server, files, environment)),
            ]
            if round_number % 2:
                sides.reverse()
            timings: dict[str, float] = {}
            for name, action in sides:
                seconds, counts = timed_round(
                    workdir, f"{name}-{round_number}", action, len(files), environment
                )
                timings[name] = seconds
                if counts:
                    print(f"round {round_number + 1} filmroom counts: {counts}", file=sys.stderr)
            rows.append(timings)

    print(
        f"{arguments.images} images of {arguments.size}x{arguments.size} 16-bit ({megabytes:.0f} MB), "
        f"{arguments.rounds} rounds, {os.cpu_count()} CPUs, {platform.platform()}"
    )
    print(
        f"filmroom: {arguments.concurrency} associations, verify fraction {arguments.verify_fraction}"
    )
    print(
        f"Orthanc options: {ORTHANC_TUNING}; DCMTK TCP_NODELAY: {'1' if arguments.nodelay else 'unset'}"
    )
    print()
    print("| round | first | filmroom img/s | storescu img/s | ratio |")
    print("|---|---|---|---|---|")
    ratios = []
    for round_number, timings in enumerate(rows):
        filmroom_rate = arguments.images / timings["filmroom"]
        storescu_rate = arguments.images / timings["storescu"]
        ratio = filmroom_rate / storescu_rate
        ratios.append(ratio)
        first = "storescu" if round_number % 2 else "filmroom"
        print(
            f"| {round_number + 1} | {first} | {filmroom_rate:.0f} | {storescu_rate:.0f} | {ratio:.2f} |"
        )
    print()
    print(f"median ratio (filmroom / storescu images per second): {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
