"""Inputs that once stopped a run, lost a file or mixed up patients."""

from __future__ import annotations

import csv
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from filmroom.errors import ConfigurationError
from filmroom.flows.migration import Migration, run_stages
from filmroom.settings import Settings

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
HEADER = "Patient ID,Client Last Name,Client First Name,Patient Name,Species\n"
OTHERS = "".join(f"{2000 + i:05d},Owner{i},First{i},Pet{i},Feline\n" for i in range(40))
PATIENTS = HEADER + OTHERS + "00042,Doe,Jane,Rex,Canine\n00043,Roe,Sam,Kitty,Feline\n"


def _film(path: Path, seed: int) -> None:
    """Write a smooth 12-bit film in 16-bit samples, distinct for each seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:384, 0:320]
    cx, cy, sx, sy = rng.uniform(80, 240), rng.uniform(100, 280), rng.uniform(40, 120), rng.uniform(60, 160)
    pixels = 400 + 3000 * np.exp(-(((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2)) + rng.normal(0, 30, x.shape)
    Image.fromarray(np.clip(pixels, 0, 4095).astype(np.uint16)).save(path)


def _label(path: Path, lines: list[str]) -> None:
    image = Image.new("L", (900, 420), 245)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 44)
    for index, line in enumerate(lines):
        draw.text((40, 40 + index * 80), line, fill=20, font=font)
    image.save(path)


def _run(tmp_path: Path, *, films=(), share=(), patients: str = PATIENTS, out: str = "migration"):
    patients_path = tmp_path / "patients.csv"
    patients_path.write_text(patients, encoding="utf-8")
    settings = Settings()
    settings.archive.destinations = [str(tmp_path / "archive")]
    migration = Migration(films=list(films), share=list(share), patients=patients_path,
                          out=tmp_path / out, settings=settings)
    summary = run_stages(migration)
    with (tmp_path / out / "reconciliation.csv").open(newline="", encoding="utf-8") as handle:
        return summary, {row["source_path"]: row for row in csv.DictReader(handle)}


def test_same_named_roots_kept_apart(tmp_path: Path) -> None:
    for box, (owner, pet, chart) in {"box1": ("DOE, Jane", "Rex", "00042"),
                                     "box2": ("ROE, Sam", "Kitty", "00043")}.items():
        jacket = tmp_path / box / "scans" / "jacket1"
        jacket.mkdir(parents=True)
        _label(jacket / "img001.png", [f"Owner: {owner}", f"Pet: {pet}", f"Chart #: {chart}"])
        _film(jacket / "img002.png", seed=len(box) + int(chart))

    summary, rows = _run(tmp_path, films=[tmp_path / "box1" / "scans", tmp_path / "box2" / "scans"])

    assert summary.found == 4
    assert len(rows) == 4
    assert rows["box1/scans/jacket1/img002.png"]["patient_id"] == "00042"
    assert rows["box2/scans/jacket1/img002.png"]["patient_id"] == "00043"


def test_film_sorted_before_label_in_jacket_folder(tmp_path: Path) -> None:
    jacket = tmp_path / "films" / "jacket1"
    jacket.mkdir(parents=True)
    _film(jacket / "a_film.png", seed=1)
    _label(jacket / "z_label.png", ["Owner: DOE, Jane", "Pet: Rex", "Chart #: 00042"])

    _, rows = _run(tmp_path, films=[tmp_path / "films"])

    assert rows["films/jacket1/a_film.png"]["status"] == "archived"
    assert rows["films/jacket1/a_film.png"]["patient_id"] == "00042"


def test_symlinked_folder_and_broken_link(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "Doe, Rex 2015-03-02"
    real.mkdir(parents=True)
    _film(real / "export.png", seed=5)
    share = tmp_path / "share"
    share.mkdir()
    os.symlink(real, share / "Doe, Rex 2015-03-02")
    os.symlink(tmp_path / "missing.png", share / "gone.png")
    outside = tmp_path / "outside.png"
    _film(outside, seed=6)
    os.symlink(outside, share / "linked.png")

    summary, rows = _run(tmp_path, share=[share])

    assert summary.balanced
    assert rows["share/Doe, Rex 2015-03-02/export.png"]["status"] == "archived"
    assert rows["share/gone.png"]["status"] == "rejected"
    assert "symbolic link" in rows["share/gone.png"]["reason"]
    assert "share/linked.png" in rows


def _png_claiming_size(path: Path, width: int, height: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + chunk(b"IEND", b""))


def test_huge_png_header_rejected_run_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "share" / "Doe, Rex 2015-03-02"
    folder.mkdir(parents=True)
    _png_claiming_size(folder / "bomb.png", 100_000, 100_000)
    _film(folder / "good.png", seed=7)
    films = tmp_path / "films"
    films.mkdir()
    _png_claiming_size(films / "bomb.png", 100_000, 100_000)

    summary, rows = _run(tmp_path, films=[films], share=[tmp_path / "share"])

    assert summary.balanced
    assert rows["share/Doe, Rex 2015-03-02/bomb.png"]["status"] == "rejected"
    assert rows["films/bomb.png"]["status"] == "rejected"
    assert rows["share/Doe, Rex 2015-03-02/good.png"]["status"] == "archived"


def test_out_inside_source_stops_run(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()

    with pytest.raises(ConfigurationError, match="inside the source folder"):
        _run(tmp_path, share=[share], out="share/migration")


def test_empty_patient_list_stops_run(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()

    with pytest.raises(ConfigurationError, match="no patient rows"):
        _run(tmp_path, share=[share], patients=HEADER)


def test_white_label_stored_monochrome2(tmp_path: Path) -> None:
    # A white paper label looks like a film negative to the histogram rule; it must not be inverted.
    import pydicom

    jacket = tmp_path / "films" / "jacket1"
    jacket.mkdir(parents=True)
    _label(jacket / "img001.png", ["Owner: DOE, Jane", "Pet: Rex", "Chart #: 00042"])
    _film(jacket / "img002.png", seed=2)

    _, rows = _run(tmp_path, films=[tmp_path / "films"])
    label_uid = rows["films/jacket1/img001.png"]["sop_instance_uid"]
    label = pydicom.dcmread(next((tmp_path / "archive").rglob(f"{label_uid}.dcm")))

    assert rows["films/jacket1/img001.png"]["status"] == "archived"
    assert label.ConversionType == "SD"
    assert label.PhotometricInterpretation == "MONOCHROME2"
