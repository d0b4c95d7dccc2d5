"""Real radiograph pixels for the sample practice, cropped and written as film scans or exports.

Every film pixel comes from a real radiograph. Film scans map the source to a
film-scanner range, with 12 or 14 significant bits inside a 16-bit container. Share
exports are 8-bit JPEG, TIFF, BMP or PNG files as an old viewer would write them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pydicom
import tifffile
from PIL import Image

from .layout import ScanSettings

FILM_DPI = 40  # a 14 x 17 inch film downsampled to about 560 pixels on its long side
SHARE_LONG_SIDE = 560
DICOM_LONG_SIDE = 400
BMP_LONG_SIDE = 400
PNG_COMPRESS_LEVEL = 6
JPEG_QUALITY_FILM = 92
JPEG_QUALITY_SHARE = 85

# Source file (relative to the shared data folder), and how to read it.
SOURCE_FILES = {
    "rg1": "dicom/pydicom_data/RG1_J2KR.dcm",
    "rg3": "dicom/pydicom_data/RG3_J2KR.dcm",
    "cxr1": "radiographs/chest/00000001_000.png",
    "cxr2": "radiographs/chest/00027426_000.png",
    "ddh1": "radiographs/pelvis/331_DDH_1.jpg",
    "ddh2": "radiographs/pelvis/331_DDH_115.jpg",
    "ddh3": "radiographs/pelvis/331_DDH_138.jpg",
}

# Mapped linearly, the raw CR chest RG1 looks washed out next to a real film. A gamma
# of 1.6 darkens its mid-tones so lungs and soft tissue get a film's contrast.
SOURCE_GAMMA = {"rg1": 1.6}


def _grid_crops() -> dict[str, tuple[str, tuple[float, float, float, float]]]:
    """Return 16 crops of RG1 on a 4 x 4 grid; neighbors are shifted by 54% of a crop's width."""
    size = 0.38
    starts = (0.0, 0.207, 0.413, 0.62)
    crops = {}
    for row, top in enumerate(starts):
        for col, left in enumerate(starts):
            crops[f"rg1-r{row}c{col}"] = ("rg1", (left, top, left + size, top + size))
    return crops


# Crop key -> (source, (left, top, right, bottom) as fractions of the source size).
CROPS: dict[str, tuple[str, tuple[float, float, float, float]]] = {
    **_grid_crops(),
    "rg1-full": ("rg1", (0.0, 0.0, 1.0, 1.0)),
    "rg3-full": ("rg3", (0.0, 0.0, 1.0, 1.0)),
    "rg3-seg1": ("rg3", (0.22, 0.0, 0.76, 0.27)),
    "rg3-seg2": ("rg3", (0.22, 0.25, 0.76, 0.52)),
    "rg3-seg3": ("rg3", (0.22, 0.50, 0.76, 0.77)),
    "rg3-seg4": ("rg3", (0.22, 0.73, 0.76, 1.0)),
    "cxr1-full": ("cxr1", (0.0, 0.0, 1.0, 1.0)),
    "cxr1-upper": ("cxr1", (0.0, 0.0, 1.0, 0.58)),
    "cxr1-lower": ("cxr1", (0.0, 0.42, 1.0, 1.0)),
    "cxr2-full": ("cxr2", (0.0, 0.0, 1.0, 1.0)),
    "cxr2-upper": ("cxr2", (0.0, 0.0, 1.0, 0.58)),
    "cxr2-lower": ("cxr2", (0.0, 0.42, 1.0, 1.0)),
    "ddh1-full": ("ddh1", (0.0, 0.0, 1.0, 1.0)),
    "ddh1-left": ("ddh1", (0.0, 0.0, 0.56, 1.0)),
    "ddh1-right": ("ddh1", (0.44, 0.0, 1.0, 1.0)),
    "ddh2-full": ("ddh2", (0.0, 0.0, 1.0, 1.0)),
    "ddh2-left": ("ddh2", (0.0, 0.0, 0.56, 1.0)),
    "ddh2-right": ("ddh2", (0.44, 0.0, 1.0, 1.0)),
    "ddh3-full": ("ddh3", (0.0, 0.0, 1.0, 1.0)),
    "ddh3-left": ("ddh3", (0.0, 0.0, 0.56, 1.0)),
    "ddh3-right": ("ddh3", (0.44, 0.0, 1.0, 1.0)),
}


def _read_dicom_source(path: Path, gamma: float = 1.0) -> np.ndarray:
    """Read a CR image as floats in [0, 1] with bone bright, as film looks on a light box."""
    dataset = pydicom.dcmread(path)
    raw = dataset.pixel_array.astype(np.float32)
    if dataset.PhotometricInterpretation == "MONOCHROME1":
        raw = raw.max() - raw
    low, high = np.percentile(raw, (0.05, 99.95))
    return np.clip((raw - low) / (high - low), 0.0, 1.0) ** gamma


def _read_image_source(path: Path) -> np.ndarray:
    """Read an 8-bit radiograph as floats in [0, 1]."""
    with Image.open(path) as image:
        gray = np.asarray(image.convert("L"), dtype=np.float32)
    return gray / 255.0


@dataclass
class SourceImages:
    """The real radiographs, decoded once, keyed as in SOURCE_FILES."""

    images: dict[str, np.ndarray]
    levels: dict[str, int]  # gray levels of the source: 0 for the CR images, 256 for 8-bit files

    @classmethod
    def load(cls, shared_data: Path) -> SourceImages:
        missing = [rel for rel in SOURCE_FILES.values() if not (shared_data / rel).is_file()]
        if missing:
            raise FileNotFoundError(
                f"source radiographs not found under {shared_data}: {', '.join(missing)}; "
                "pass --shared-data or set FILMROOM_SHARED_DATA"
            )
        images = {}
        levels = {}
        for key, relative in SOURCE_FILES.items():
            path = shared_data / relative
            is_dicom = path.suffix == ".dcm"
            if is_dicom:
                images[key] = _read_dicom_source(path, SOURCE_GAMMA.get(key, 1.0))
            else:
                images[key] = _read_image_source(path)
            levels[key] = 0 if is_dicom else 256
        return cls(images, levels)

    def source_levels(self, crop_key: str) -> int:
        """Return the gray levels of the source behind ``crop_key`` (0: more than 8 bits)."""
        return self.levels[CROPS[crop_key][0]]

    def crop(self, crop_key: str) -> np.ndarray:
        """Return the crop ``crop_key`` of CROPS as floats in [0, 1] at the source's resolution."""
        source, fractions = CROPS[crop_key]
        image = self.images[source]
        height, width = image.shape
        left, top, right, bottom = fractions
        rows = slice(round(top * height), round(bottom * height))
        cols = slice(round(left * width), round(right * width))
        return image[rows, cols]


def resize_long_side(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """Resize so the longer side has ``long_side`` pixels (area averaging down, cubic up)."""
    height, width = pixels.shape
    factor = long_side / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return np.clip(cv2.resize(pixels, size, interpolation=interpolation), 0.0, 1.0)


def to_scanner_values(pixels: np.ndarray, bits: int, brightness: float = 1.0, levels: int = 0) -> np.ndarray:
    """Map [0, 1] to a film scanner's range: ``bits`` significant bits, 3% margin at each end.

    With ``levels`` (256 for an 8-bit source) the output keeps only that many gray
    levels, so an 8-bit source does not gain invented in-between values.
    """
    full_scale = (1 << bits) - 1
    low, high = 0.03 * full_scale, 0.97 * full_scale
    exposed = np.clip(pixels * brightness, 0.0, 1.0)
    if levels:
        exposed = np.rint(exposed * (levels - 1)) / (levels - 1)
    dtype = np.uint16 if bits > 8 else np.uint8
    return np.rint(low + (high - low) * exposed).astype(dtype)


def write_tiff(path: Path, pixels: np.ndarray, dpi: int) -> None:
    """Write a TIFF with zlib and horizontal predictor, which tifffile and Pillow decode."""
    tifffile.imwrite(
        path,
        pixels,
        photometric="rgb" if pixels.ndim == 3 else "minisblack",
        compression="zlib",
        compressionargs={"level": 6},
        predictor=True,
        resolution=(dpi, dpi),
        resolutionunit="INCH",
        metadata=None,
        software=None,
    )


def write_film_scan(
    pixels: np.ndarray, path: Path, scan: ScanSettings, rng: np.random.Generator, *, levels: int = 0
) -> None:
    """Write one scanned film in the encoding that ``scan`` names."""
    long_side = round(scan.long_side * scan.scale) + int(rng.integers(-16, 17))
    resized = resize_long_side(pixels, long_side)
    if scan.encoding == "tiff16":
        write_tiff(path, to_scanner_values(resized, scan.bits, scan.brightness, levels), FILM_DPI)
    elif scan.encoding == "tiff8":
        write_tiff(path, to_scanner_values(resized, 8, scan.brightness), FILM_DPI)
    elif scan.encoding == "png8":
        image = Image.fromarray(to_scanner_values(resized, 8, scan.brightness))
        image.save(path, format="PNG", compress_level=PNG_COMPRESS_LEVEL, dpi=(FILM_DPI, FILM_DPI))
    elif scan.encoding == "jpeg8":
        image = Image.fromarray(to_scanner_values(resized, 8, scan.brightness))
        image.save(path, format="JPEG", quality=JPEG_QUALITY_FILM, dpi=(FILM_DPI, FILM_DPI))
    else:
        raise ValueError(f"unknown film encoding {scan.encoding!r}")


def export_pixels(pixels: np.ndarray, long_side: int = SHARE_LONG_SIDE) -> np.ndarray:
    """Return the 12-bit image of one crop, as both share exports and legacy DICOM files store it."""
    return to_scanner_values(resize_long_side(pixels, long_side), 12)


def write_share_export(pixels: np.ndarray, path: Path, rng: np.random.Generator, *, from_dicom: bool = False) -> None:
    """Write an 8-bit export as an old viewer would, in the format of ``path``'s extension.

    With ``from_dicom`` the export shows exactly the pixels that ``dicom_files`` writes
    for the same crop, windowed to 8 bits.
    """
    suffix = path.suffix.lower()
    long_side = BMP_LONG_SIDE if suffix == ".bmp" else SHARE_LONG_SIDE
    if from_dicom:
        long_side = DICOM_LONG_SIDE
    else:
        long_side += int(rng.integers(-24, 25))
    twelve_bit = export_pixels(pixels, long_side)
    image = Image.fromarray((twelve_bit >> 4).astype(np.uint8))
    if suffix in (".jpg", ".jpeg"):
        image.save(path, format="JPEG", quality=JPEG_QUALITY_SHARE)
    elif suffix in (".tif", ".tiff"):
        write_tiff(path, np.asarray(image), 72)
    elif suffix == ".bmp":
        image.save(path, format="BMP")
    elif suffix == ".png":
        image.save(path, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        raise ValueError(f"no export format for {path.name}")


def write_truncated_jpeg(pixels: np.ndarray, path: Path, keep: float = 0.4) -> None:
    """Write a JPEG export cut off after ``keep`` of its bytes, as an interrupted copy leaves it."""
    buffer = io.BytesIO()
    Image.fromarray((export_pixels(pixels) >> 4).astype(np.uint8)).save(buffer, format="JPEG", quality=JPEG_QUALITY_SHARE)
    data = buffer.getvalue()
    path.write_bytes(data[: int(len(data) * keep)])
