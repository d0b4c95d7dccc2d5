"""Generate the sample practice under sample_data/ from real radiographs and invented identities.

Run ``python scripts/make_sample_data.py`` from the repository root. The output is
deterministic: every random choice comes from a seeded generator, no file stores a
timestamp, and the PNG, TIFF and JPEG encoders run with fixed settings, so two runs
with the same package versions write identical bytes.

Film pixels come only from real radiographs whose licences allow redistribution
(see sample_data/README.md): the pydicom-data CR images RG1 and RG3 (MIT), two NIH
ChestX-ray14 images from the torchxrayvision repository (Apache-2.0) and three
pelvis images of the Fraiwan et al. 2022 DDH data set (CC BY 4.0). All names,
chart numbers and dates are invented.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_practice import dicom_files, labels, patients, radiographs  # noqa: E402
from sample_practice.layout import (  # noqa: E402
    BATCH_FOLDER,
    JACKETS,
    LABEL_STATUS_WHEN_MATCHED,
    SHARE_FOLDERS,
    ExpectedRow,
    Film,
    Jacket,
)

SEED = 20240514


def default_shared_data() -> Path:
    """Return the folder of real source files: FILMROOM_SHARED_DATA, or ../shared/data."""
    configured = os.environ.get("FILMROOM_SHARED_DATA")
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "data"


@dataclass
class Generator:
    """Writer of one sample practice into ``out``, collecting its EXPECTED.csv rows."""

    out: Path
    sources: radiographs.SourceImages
    rows: list[ExpectedRow] = field(default_factory=list)

    def rng(self, key: str) -> np.random.Generator:
        """Return a generator seeded from SEED and ``key`` alone, so reruns repeat every choice."""
        return np.random.default_rng([SEED, zlib.crc32(key.encode("utf-8"))])

    def add_row(self, relative: str, kind: str, jacket: str, status: str, patient_id: str, note: str) -> None:
        self.rows.append(ExpectedRow(relative, kind, jacket, status, patient_id, note))

    def write_jacket_files(self, jacket: Jacket, folder: Path, names: list[str]) -> None:
        """Write the label scan and the films of one jacket under the given file names."""
        folder.mkdir(parents=True, exist_ok=True)
        label_path = folder / names[0]
        label_image = labels.render_label(jacket.label, self.rng(f"label:{jacket.jacket_id}"))
        labels.save_label(label_image, label_path, jacket.label.style, self.rng(f"photo:{jacket.jacket_id}"))
        matched = jacket.status == "archived"
        self.add_row(
            self.relative(label_path),
            "jacket_label",
            jacket.jacket_id,
            LABEL_STATUS_WHEN_MATCHED if matched else jacket.status,
            jacket.patient_id if matched else "",
            jacket.label_note,
        )
        for film, name in zip(jacket.films, names[1:], strict=True):
            film_path = folder / name
            self.write_film(film, film_path)
            status = film.status or jacket.status
            patient_id = jacket.patient_id if status == "archived" else ""
            self.add_row(self.relative(film_path), "film_scan", jacket.jacket_id, status, patient_id, film.note or jacket.film_note)

    def write_film(self, film: Film, path: Path) -> None:
        pixels = self.sources.crop(film.source)
        rng = self.rng(f"film:{path.name}:{film.source}")
        radiographs.write_film_scan(pixels, path, film.scan, rng, levels=self.sources.source_levels(film.source))

    def relative(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    def write_films(self) -> None:
        """Write the per-jacket folders and the flat scanner batch."""
        for jacket in JACKETS:
            if jacket.folder is not None:
                folder = self.out / "films" / "jackets" / jacket.folder
                names = [jacket.label.file_name] + [film.file_name for film in jacket.films]
                self.write_jacket_files(jacket, folder, names)
        counter = 1
        batch = self.out / "films" / BATCH_FOLDER
        for jacket in JACKETS:
            if jacket.folder is None:
                count = 1 + len(jacket.films)
                names = [f"scan{number:04d}.tif" for number in range(counter, counter + count)]
                counter += count
                self.write_jacket_files(jacket, batch, names)

    def write_share(self) -> None:
        """Write the old file share: folder-named exports, DICOM files and broken files."""
        share = self.out / "share"
        for item in SHARE_FOLDERS:
            path = share / item.path
            path.parent.mkdir(parents=True, exist_ok=True)
            rng = self.rng(f"share:{item.path}")
            if item.maker == "export":
                pixels = self.sources.crop(item.source)
                radiographs.write_share_export(pixels, path, rng)
            elif item.maker == "dicom":
                pixels = self.sources.crop(item.source)
                dicom_files.write_legacy_dicom(pixels, path, item.dicom)
            elif item.maker == "export_of_dicom":
                pixels = self.sources.crop(item.source)
                radiographs.write_share_export(pixels, path, rng, from_dicom=True)
            elif item.maker == "pydicom_test_file":
                shutil.copyfile(dicom_files.pydicom_test_file(item.source), path)
            elif item.maker == "truncated_jpeg":
                pixels = self.sources.crop(item.source)
                radiographs.write_truncated_jpeg(pixels, path)
            elif item.maker == "truncated_dicom":
                pixels = self.sources.crop(item.source)
                dicom_files.write_truncated_dicom(pixels, path, item.dicom)
            elif item.maker == "empty":
                path.write_bytes(b"")
            elif item.maker == "text":
                path.write_bytes(item.text.encode("ascii").replace(b"\n", b"\r\n"))
            elif item.maker == "thumbs_db":
                path.write_bytes(dicom_files.thumbs_db_bytes(rng))
            else:
                raise ValueError(f"unknown share item maker {item.maker!r} for {item.path}")
            self.add_row(self.relative(path), item.kind, item.folder_id, item.status, item.patient_id, item.note)

    def write_expected(self) -> None:
        rows = sorted(self.rows, key=lambda row: row.source_path)
        with (self.out / "EXPECTED.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(ExpectedRow.COLUMNS)
            for row in rows:
                writer.writerow(row.as_tuple())


def clear_generated(out: Path) -> None:
    """Remove what a previous run wrote, keeping hand-written files such as README.md."""
    for name in ("films", "share"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("patients.csv", "EXPECTED.csv"):
        (out / name).unlink(missing_ok=True)


def generate(out: Path, shared_data: Path) -> None:
    """Write the whole sample practice into ``out``."""
    # Load the sources first, so a missing source leaves the previous sample in place.
    sources = radiographs.SourceImages.load(shared_data)
    out.mkdir(parents=True, exist_ok=True)
    clear_generated(out)
    patients.write_patient_list(out / "patients.csv")
    generator = Generator(out, sources)
    generator.write_films()
    generator.write_share()
    generator.write_expected()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "sample_data", help="output folder (default: sample_data/)")
    parser.add_argument(
        "--shared-data",
        type=Path,
        default=None,
        help="folder with the real source radiographs (default: $FILMROOM_SHARED_DATA or ../shared/data)",
    )
    args = parser.parse_args(argv)
    shared = args.shared_data or default_shared_data()
    try:
        generate(args.out, shared)
    except FileNotFoundError as error:
        print(f"make_sample_data: {error}", file=sys.stderr)
        return 2
    print(f"wrote sample practice to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
