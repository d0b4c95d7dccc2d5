"""Labelled duplicate set built from real radiographs: copies, rescans, exports, look-alikes.

Every generated image carries an ``identity``: two images are duplicates exactly
when their identities are equal. Mirrors and regional crops get identities of
their own, so they count as different films.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pydicom
import tifffile
from PIL import Image
from pydicom.uid import ImplicitVRLittleEndian

RADIOGRAPH_GLOBS = (
    "radiographs/veterinary/*.png",
    "radiographs/chest/*",
    "radiographs/pelvis/*.jpg",
)
DICOM_FILES = (
    "dicom/pydicom_data/RG1_J2KR.dcm",
    "dicom/pydicom_data/RG3_J2KR.dcm",
    "dicom/fo_dicom/CR-MONO1-10-chest",
    "dicom/fo_dicom/CR-ModalitySequenceLUT.dcm",
    "dicom/torchxrayvision/1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm",
)


@dataclass(frozen=True)
class Sample:
    """One generated image with its label."""

    key: str
    identity: str
    transform: str
    pixels: np.ndarray
    photometric: str
    original_dicom: bool
    lossless: bool


def load_sources(root: Path) -> Iterator[tuple[str, np.ndarray, str, bool]]:
    """Yield (name, pixels, photometric, is_dicom) for every source radiograph."""
    for pattern in RADIOGRAPH_GLOBS:
        for path in sorted(root.glob(pattern)):
            pixels = np.asarray(Image.open(path))
            photometric = "RGB" if pixels.ndim == 3 else "MONOCHROME2"
            yield path.stem, pixels, photometric, False
    for relative in DICOM_FILES:
        path = root / relative
        dataset = pydicom.dcmread(path, force=True)
        if "TransferSyntaxUID" not in dataset.file_meta:
            dataset.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        pixels = dataset.pixel_array
        photometric = str(dataset.PhotometricInterpretation)
        if photometric.startswith("YBR"):
            photometric = "RGB"  # pydicom 3 converts YBR pixel data to RGB by default
        yield path.stem[:24], pixels, photometric, True


def _max_value(pixels: np.ndarray) -> int:
    return 255 if pixels.dtype == np.uint8 else int(pixels.max())


def to_8bit_export(pixels: np.ndarray, photometric: str) -> np.ndarray:
    """Make the 8-bit greyscale a viewer exports: min-max window, MONOCHROME2 polarity."""
    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels[:, :, :3], cv2.COLOR_RGB2GRAY)
    grey = grey.astype(np.float64)
    low, high = grey.min(), grey.max()
    scaled = np.rint((grey - low) * (255.0 / max(high - low, 1.0))).astype(np.uint8)
    return 255 - scaled if photometric == "MONOCHROME1" else scaled


def jpeg_roundtrip(pixels8: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels8).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))


def tiff_roundtrip(pixels: np.ndarray) -> np.ndarray:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, pixels, byteorder=">")
    return tifffile.imread(io.BytesIO(buffer.getvalue()))


def resize(pixels: np.ndarray, factor: float) -> np.ndarray:
    rows, columns = pixels.shape[:2]
    size = (max(16, round(columns * factor)), max(16, round(rows * factor)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def rotate(pixels: np.ndarray, degrees: float) -> np.ndarray:
    rows, columns = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D(((columns - 1) / 2, (rows - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(
        pixels, matrix, (columns, rows), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def crop(pixels: np.ndarray, top: float, bottom: float, left: float, right: float) -> np.ndarray:
    rows, columns = pixels.shape[:2]
    return pixels[
        round(rows * top) : rows - round(rows * bottom),
        round(columns * left) : columns - round(columns * right),
    ].copy()


def adjust(pixels: np.ndarray, gain: float, offset_fraction: float, gamma: float) -> np.ndarray:
    """Change brightness, contrast and gamma like a rescan with other scanner settings."""
    top = float(_max_value(pixels))
    values = pixels.astype(np.float64) / top
    values = np.clip(values**gamma * gain + offset_fraction, 0.0, 1.0)
    return np.rint(values * top).astype(pixels.dtype)


def _variants(pixels: np.ndarray, photometric: str, rng: np.random.Generator) -> Iterator[tuple]:
    """Yield (transform, pixels, photometric, lossless) copies of one film."""
    export8 = to_8bit_export(pixels, photometric)
    yield "tiff_recontainer", tiff_roundtrip(pixels), photometric, True
    yield "resize_80", resize(pixels, 0.8), photometric, True
    yield "resize_50", resize(pixels, 0.5), photometric, True
    yield "brightness", adjust(pixels, 0.85, 0.1, 1.0), photometric, True
    yield "contrast_gamma", adjust(pixels, 1.2, -0.05, 0.8), photometric, True
    angle = float(rng.choice([-3.0, -2.0, 2.0, 3.0]))
    yield f"skew_{angle:+.0f}", rotate(pixels, angle), photometric, True
    sides = rng.uniform(0.0, 0.05, size=4)
    yield "crop_5", crop(pixels, *sides), photometric, True
    for quality in (60, 75, 95):
        yield f"jpeg_q{quality}", jpeg_roundtrip(export8, quality), "MONOCHROME2", False
    if pixels.dtype != np.uint8:
        yield "to_8bit", export8, "MONOCHROME2", True
    rescan = adjust(pixels, 0.9, 0.05, 1.1)
    rescan = rotate(resize(rescan, 0.8), 2.0)
    rescan = crop(rescan, 0.02, 0.03, 0.03, 0.01)
    yield "rescan_combined", rescan, photometric, True
    yield (
        "rescan_jpeg",
        jpeg_roundtrip(to_8bit_export(rescan, photometric), 85),
        "MONOCHROME2",
        False,
    )


def build_samples(root: Path, seed: int = 7) -> list[Sample]:
    """Make the labelled set: every source, its copies, its mirrors and regional crops."""
    rng = np.random.default_rng(seed)
    samples: list[Sample] = []
    for name, pixels, photometric, is_dicom in load_sources(root):
        samples.append(
            Sample(f"{name}/source", name, "source", pixels, photometric, is_dicom, True)
        )
        for transform, copy, copy_photometric, lossless in _variants(pixels, photometric, rng):
            samples.append(
                Sample(
                    f"{name}/{transform}", name, transform, copy, copy_photometric, False, lossless
                )
            )
        mirror = np.ascontiguousarray(pixels[:, ::-1])
        samples.append(
            Sample(f"{name}/mirror", f"{name}:mirror", "mirror", mirror, photometric, False, True)
        )
        mirror_export = jpeg_roundtrip(to_8bit_export(mirror, photometric), 90)
        samples.append(
            Sample(
                f"{name}/mirror_jpeg",
                f"{name}:mirror",
                "mirror",
                mirror_export,
                "MONOCHROME2",
                False,
                False,
            )
        )
        for region, sides in (("top", (0.0, 0.3, 0.0, 0.0)), ("bottom", (0.3, 0.0, 0.0, 0.0))):
            part = crop(pixels, *sides)
            identity = f"{name}:{region}"
            samples.append(
                Sample(f"{name}/{region}", identity, "region", part, photometric, False, True)
            )
    return samples
