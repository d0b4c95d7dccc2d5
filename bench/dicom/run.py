"""Benchmark DICOM writing against DCMTK img2dcm and a bare pydicom write, in one run.

Inputs are made in a temporary folder from the radiographs of the real-file corpus:
baseline JPEGs at several sizes and qualities, and 16-bit TIFFs at film-scan size.
Each image is converted by both sides back to back, with the order alternating,
so that load changes on a shared machine hit both sides alike.

Run from the repository root:

    .venv/bin/python -m bench.dicom.run [--jpegs 66] [--tiffs 20] [--rounds 3] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import tifffile
from PIL import Image
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from filmroom.dicom.pixels import load_image_pages
from filmroom.dicom.secondary_capture import SeriesInfo, StudyInfo, build_secondary_capture
from filmroom.dicom.uids import derive_uid
from filmroom.models import Patient
from filmroom.settings import DicomSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
PATIENT = Patient("B100", "Juniper", "Okafor", "Sam", species="canine", sex="F")
SETTINGS = DicomSettings()


def make_jpegs(sources: list[Path], folder: Path, count: int) -> list[Path]:
    """Write ``count`` baseline JPEGs made from ``sources`` at several scales and qualities."""
    variants = [(scale, quality) for scale in (1.0, 0.75, 0.5) for quality in (92, 80)]
    paths = []
    for index in range(count):
        source = sources[index % len(sources)]
        scale, quality = variants[(index // len(sources)) % len(variants)]
        with Image.open(source) as image:
            image = image.convert("RGB") if image.mode not in ("L", "RGB") else image.copy()
        if scale != 1.0:
            image = image.resize((max(16, int(image.width * scale)), max(16, int(image.height * scale))))
        path = folder / f"jpeg_{index:03d}.jpg"
        image.save(path, quality=quality)
        paths.append(path)
    return paths


def make_tiffs(sources: list[Path], folder: Path, count: int) -> list[Path]:
    """Write ``count`` 16-bit grayscale TIFFs (12-bit values, about 2000 x 2500) from ``sources``."""
    rng = np.random.default_rng(7)
    paths = []
    for index in range(count):
        with Image.open(sources[index % len(sources)]) as image:
            gray = np.asarray(image.convert("L").resize((2000, 2500)), dtype=np.uint16)
        pixels = gray * 16 + rng.integers(0, 16, size=gray.shape, dtype=np.uint16)
        path = folder / f"film_{index:03d}.tif"
        tifffile.imwrite(path, pixels, resolution=(300, 300), resolutionunit="INCH")
        paths.append(path)
    return paths


def filmroom_convert(source: Path, target: Path) -> None:
    """Convert one file the way the migration flow does: load pages, build SC, save."""
    for page in load_image_pages(source):
        study = StudyInfo(derive_uid("2.25", "study", source.name), dt.date(2004, 1, 2), "label", "Radiographs")
        series = SeriesInfo(derive_uid("2.25", "series", source.name), 1)
        ds, _ = build_secondary_capture(
            page,
            patient=PATIENT,
            study=study,
            series=series,
            instance_number=page.page_index + 1,
            sop_instance_uid=derive_uid("2.25", "instance", source.name, str(page.page_index)),
            conversion_type="DF",
            settings=SETTINGS,
        )
        ds.save_as(target, enforce_file_format=True)


def img2dcm_convert(source: Path, target: Path) -> None:
    """Convert one JPEG with DCMTK img2dcm, one process per file."""
    subprocess.run(
        ["img2dcm", "-q", "-i", "JPEG", "-k", "PatientName=Okafor^Juniper", str(source), str(target)], check=True
    )


def bare_pydicom_convert(source: Path, target: Path) -> None:
    """Write the TIFF pixels with the minimum attributes and no checks: the lower bound."""
    pixels = tifffile.imread(source)
    ds = pydicom.Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Okafor^Juniper"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(target, enforce_file_format=True)


def time_once(convert: Callable[[Path, Path], None], source: Path, target: Path) -> float:
    start = time.perf_counter()
    convert(source, target)
    return time.perf_counter() - start


def interleave(
    sources: list[Path],
    first: Callable[[Path, Path], None],
    second: Callable[[Path, Path], None],
    out: Path,
    rounds: int,
) -> tuple[list[list[float]], list[list[float]]]:
    """Time both converters on every source in every round, alternating which goes first.

    Returns the seconds of each side as ``[round][image]``.
    """
    times_first = [[0.0] * len(sources) for _ in range(rounds)]
    times_second = [[0.0] * len(sources) for _ in range(rounds)]
    for round_index in range(rounds):
        for index, source in enumerate(sources):
            pair = [(first, times_first, "a"), (second, times_second, "b")]
            if (index + round_index) % 2:
                pair.reverse()
            for convert, times, tag in pair:
                times[round_index][index] = time_once(convert, source, out / f"{source.stem}_{tag}.dcm")
    return times_first, times_second


def fastest(times: list[list[float]]) -> list[float]:
    """Return each image's fastest round, which drops pauses caused by other jobs on the machine."""
    return [min(column) for column in zip(*times)]


def pair_ratios(first: list[list[float]], second: list[list[float]]) -> list[float]:
    """Return first / second for every (round, image) pair timed back to back."""
    return [a / b for row_a, row_b in zip(first, second) for a, b in zip(row_a, row_b)]


def batch_process_seconds(sources: list[Path], out: Path) -> float:
    """Wall time of one fresh Python process converting all ``sources`` (imports included)."""
    code = (
        "import sys; from pathlib import Path; from bench.dicom.run import filmroom_convert\n"
        "out = Path(sys.argv[1])\n"
        "for name in sys.argv[2:]: filmroom_convert(Path(name), out / (Path(name).stem + '_batch.dcm'))\n"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(out), *map(str, sources)], check=True, cwd=REPO_ROOT)
    return time.perf_counter() - start


def cold_process_seconds(sources: list[Path], out: Path) -> list[float]:
    """Per-file wall time when every file gets its own fresh Python process, like img2dcm."""
    times = []
    for source in sources:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; from bench.dicom.run import filmroom_convert;"
             "filmroom_convert(Path(sys.argv[1]), Path(sys.argv[2]))", str(source), str(out / "cold.dcm")],
            check=True,
            cwd=REPO_ROOT,
        )
        times.append(time.perf_counter() - start)
    return times


def ms(values: list[float]) -> str:
    """Format the median of ``values`` (seconds) in milliseconds."""
    return f"{statistics.median(values) * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jpegs", type=int, default=66, help="number of JPEG inputs to make")
    parser.add_argument("--tiffs", type=int, default=20, help="number of 16-bit TIFF inputs to make")
    parser.add_argument("--rounds", type=int, default=3, help="times each image is converted; the fastest counts")
    parser.add_argument("--cold", type=int, default=10, help="JPEGs to convert with one Python process each")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("FILMROOM_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")) / "radiographs",
        help="folder of real radiographs (PNG or JPEG) to make the inputs from",
    )
    args = parser.parse_args()
    if shutil.which("img2dcm") is None:
        sys.exit("img2dcm not found: install the Debian package dcmtk")
    sources = sorted(path for path in args.corpus.rglob("*") if path.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not sources:
        sys.exit(f"no radiographs found under {args.corpus}")

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        out = folder / "out"
        out.mkdir()
        jpegs = make_jpegs(sources, folder, args.jpegs)
        tiffs = make_tiffs(sources, folder, args.tiffs)

        filmroom_convert(jpegs[0], out / "warmup.dcm")  # imports and first-call set-up
        img2dcm_convert(jpegs[0], out / "warmup2.dcm")
        film_jpeg, dcmtk_jpeg = interleave(jpegs, filmroom_convert, img2dcm_convert, out, args.rounds)
        batch = batch_process_seconds(jpegs, out)
        cold = cold_process_seconds(jpegs[: args.cold], out)
        film_tiff, bare_tiff = interleave(tiffs, filmroom_convert, bare_pydicom_convert, out, args.rounds)

    jpeg_best, dcmtk_best = fastest(film_jpeg), fastest(dcmtk_jpeg)
    tiff_best, bare_best = fastest(film_tiff), fastest(bare_tiff)
    dcmtk_ms = statistics.median(dcmtk_best)
    rows = [
        ("JPEG: filmroom in-process, per file", len(jpegs), ms(jpeg_best), ms(dcmtk_best),
         f"{statistics.median(jpeg_best) / dcmtk_ms:.2f}", f"{statistics.median(pair_ratios(film_jpeg, dcmtk_jpeg)):.2f}"),
        ("JPEG: filmroom, one batch process incl. start-up and imports (total / files)", len(jpegs),
         f"{batch / len(jpegs) * 1000:.1f}", ms(dcmtk_best), f"{batch / len(jpegs) / dcmtk_ms:.2f}", "-"),
        ("JPEG: filmroom, one new Python process per file", len(cold), ms(cold), ms(dcmtk_best),
         f"{statistics.median(cold) / dcmtk_ms:.2f}", "-"),
        ("16-bit TIFF 2000x2500: filmroom vs bare pydicom write", len(tiffs), ms(tiff_best), ms(bare_best),
         f"{statistics.median(tiff_best) / statistics.median(bare_best):.2f}",
         f"{statistics.median(pair_ratios(film_tiff, bare_tiff)):.2f}"),
    ]
    print("| comparison | files | filmroom ms/image | reference ms/image | ratio of medians | median of paired ratios |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")

if __name__ == "__main__":
    main()
