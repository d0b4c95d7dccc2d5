"""Radiographs for the duplicate-detection tests: real films where present, else synthetic."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest
from PIL import Image

from filmroom.dedupe.fingerprint import Fingerprint, fingerprint
from filmroom.dedupe.index import DedupeItem, quality_rank


@dataclass(frozen=True)
class Film:
    """Decoded pixels of one radiograph and their DICOM photometric interpretation."""

    name: str
    pixels: np.ndarray
    photometric: str


def synthetic_film(seed: int, rows: int = 600, columns: int = 500, bits: int = 16) -> Film:
    """Make a smooth random field with bright blobs; a fallback, not evidence of real behavior."""
    rng = np.random.default_rng(seed)
    field = cv2.resize(rng.random((12, 10)), (columns, rows), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:rows, 0:columns]
    for _ in range(8):
        cy, cx = rng.uniform(0, rows), rng.uniform(0, columns)
        radius = rng.uniform(20, 90)
        field += 0.8 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
    field = (field - field.min()) / (field.max() - field.min())
    top = 2**bits - 1
    dtype = np.uint16 if bits > 8 else np.uint8
    return Film(
        f"synthetic-{seed}", np.rint(field * top * 0.9 + top * 0.05).astype(dtype), "MONOCHROME2"
    )


def _read_png_grey(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def _read_dicom(path: Path) -> tuple[np.ndarray, str]:
    dataset = pydicom.dcmread(path)
    return dataset.pixel_array, str(dataset.PhotometricInterpretation)


_CACHE: dict[str, Film] = {}


def real_film(shared_data: Path, name: str) -> Film:
    """Decode one real radiograph once per session."""
    if name not in _CACHE:
        if name.endswith(".dcm"):
            pixels, photometric = _read_dicom(shared_data / "dicom" / "pydicom_data" / name)
        else:
            pixels, photometric = _read_png_grey(shared_data / "radiographs" / name), "MONOCHROME2"
        _CACHE[name] = Film(name, pixels, photometric)
    return _CACHE[name]


LATERAL_THORAX = "veterinary/radiographqc_example_1.png"
OTHER_LATERALS = ("veterinary/radiographqc_example_2.png", "veterinary/radiographqc_example_3.png")
CHESTS = ("chest/00000001_000.png", "chest/00027426_000.png", "chest/h0001.png")
PELVES = ("pelvis/331_DDH_1.jpg", "pelvis/331_DDH_115.jpg")
CR_16BIT = "RG1_J2KR.dcm"
CR_10BIT = "RG3_J2KR.dcm"


@pytest.fixture(params=["lateral_thorax", "cr_chest", "synthetic"])
def film(request: pytest.FixtureRequest) -> Film:
    """One radiograph per parameter: a real veterinary film, a real 16-bit CR, a synthetic field."""
    if request.param == "synthetic":
        return synthetic_film(seed=3)
    shared_data = request.getfixturevalue("shared_data")
    name = LATERAL_THORAX if request.param == "lateral_thorax" else CR_16BIT
    return real_film(shared_data, name)


@pytest.fixture(params=["cr_16bit", "synthetic"])
def film_16bit(request: pytest.FixtureRequest) -> Film:
    """A 16-bit radiograph: the real RG1 CR chest (MONOCHROME1), or a synthetic field."""
    if request.param == "synthetic":
        return synthetic_film(seed=5)
    return real_film(request.getfixturevalue("shared_data"), CR_16BIT)


def item(key: str, pixels: np.ndarray, photometric: str, **quality: object) -> DedupeItem:
    """Fingerprint pixels into a DedupeItem; quality defaults to a lossless 8-bit export."""
    settings = {
        "original_dicom": False,
        "bits_stored": 16 if pixels.dtype == np.uint16 else 8,
        "pixel_count": int(pixels.shape[0] * pixels.shape[1]),
        "lossless": True,
    }
    settings.update(quality)
    archived = bool(settings.pop("archived", False))
    print_: Fingerprint = fingerprint(pixels, photometric)
    return DedupeItem(
        key=key, fingerprint=print_, quality=quality_rank(**settings), archived=archived
    )  # type: ignore[arg-type]


def jpeg_roundtrip(pixels8: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels8).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))


def export_8bit(pixels: np.ndarray, photometric: str) -> np.ndarray:
    """Window to the full value range and invert MONOCHROME1, as a viewer's 8-bit export does."""
    values = pixels.astype(np.float64)
    scaled = np.rint((values - values.min()) * (255.0 / (values.max() - values.min())))
    result = scaled.astype(np.uint8)
    return 255 - result if photometric == "MONOCHROME1" else result


def rescan(
    pixels: np.ndarray, scale: float, degrees: float, gain: float, offset: float
) -> np.ndarray:
    """Resize, rotate, change brightness and crop about 3 % per side, like a second scan."""
    rows, columns = pixels.shape[:2]
    size = (round(columns * scale), round(rows * scale))
    smaller = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    center = ((size[0] - 1) / 2, (size[1] - 1) / 2)
    matrix = cv2.getRotationMatrix2D(center, degrees, 1.0)
    rotated = cv2.warpAffine(
        smaller, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    top = 255.0 if pixels.dtype == np.uint8 else float(np.iinfo(pixels.dtype).max)
    brighter = np.clip(rotated.astype(np.float64) * gain + offset * top, 0, top).astype(
        pixels.dtype
    )
    cut_rows, cut_columns = round(size[1] * 0.03), round(size[0] * 0.03)
    return brighter[
        cut_rows : size[1] - cut_rows // 2, cut_columns // 2 : size[0] - cut_columns
    ].copy()


@dataclass(frozen=True)
class Toolkit:
    """Helpers for test modules, which cannot import conftest under --import-mode=importlib."""

    item = staticmethod(item)
    synthetic_film = staticmethod(synthetic_film)
    jpeg_roundtrip = staticmethod(jpeg_roundtrip)
    export_8bit = staticmethod(export_8bit)
    rescan = staticmethod(rescan)


@pytest.fixture(scope="session")
def kit() -> Toolkit:
    return Toolkit()


@pytest.fixture
def real(request: pytest.FixtureRequest):
    """Return a loader of real radiographs by name; the test skips where the corpus is absent."""
    shared_data = request.getfixturevalue("shared_data")
    return lambda name: real_film(shared_data, name)
