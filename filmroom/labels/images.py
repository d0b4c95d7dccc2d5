"""Image loading for page classification and label reading.

Pixels keep their stored bit depth. Analysis works on an 8-bit copy made by
windowing between low and high percentiles, never by clipping at 255.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from filmroom.errors import BadInputError

logger = logging.getLogger(__name__)

EXIF_ORIENTATION_TAG = 0x0112

# EXIF Orientation tag value (1-8) -> (clockwise degrees to turn, mirror first).
_EXIF_TRANSFORMS: dict[int, tuple[int, bool]] = {
    1: (0, False),
    2: (0, True),
    3: (180, False),
    4: (180, True),
    5: (90, True),
    6: (90, False),
    7: (270, True),
    8: (270, False),
}


@dataclass(frozen=True)
class LoadedImage:
    """Stored pixels of one page with EXIF orientation applied.

    ``pixels`` is grayscale (H, W) or BGR (H, W, 3) with the file's dtype (uint8 or
    uint16). ``bit_depth`` is 8 or 16. ``exif_rotation`` is the clockwise turn that the
    EXIF Orientation tag asked for.
    """

    pixels: np.ndarray
    bit_depth: int
    exif_rotation: int


def rotate_clockwise(pixels: np.ndarray, degrees: int) -> np.ndarray:
    """Turn an image by a multiple of 90 degrees clockwise without resampling."""
    turns = (degrees // 90) % 4
    if turns == 0:
        return pixels
    return np.ascontiguousarray(np.rot90(pixels, k=-turns))


def _exif_orientation(path: Path) -> int:
    try:
        with Image.open(path) as image:
            return int(image.getexif().get(EXIF_ORIENTATION_TAG, 1))
    except (UnidentifiedImageError, OSError, ValueError):
        return 1


def _read_with_pillow(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            image.seek(0)
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                array = np.asarray(image)
                if array.dtype != np.uint16:
                    array = np.clip(array, 0, 65535).astype(np.uint16)
                return array
            if image.mode in ("1", "L", "P", "LA"):
                return np.asarray(image.convert("L"))
            return cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise BadInputError(
            path,
            f"not a readable image ({exc}); check that the file is a complete TIFF, PNG or JPEG",
        ) from None


def _to_supported_layout(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[:, :, :3]
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.dtype == np.uint8 or pixels.dtype == np.uint16:
        return pixels
    if pixels.dtype == np.bool_:
        return pixels.astype(np.uint8) * 255
    # Float and 32-bit integer pages are scaled into 16 bits by their own range.
    values = pixels.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    span = high - low if high > low else 1.0
    return ((values - low) / span * 65535.0).astype(np.uint16)


def load_image(path: Path) -> LoadedImage:
    """Read a page with its stored bit depth and EXIF orientation applied.

    Raises
    ------
    BadInputError
        When the file is missing or is not an image that OpenCV or Pillow can decode.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "file not found; check the source folder")

    # IMREAD_UNCHANGED keeps 16-bit samples, and IMREAD_IGNORE_ORIENTATION makes the
    # EXIF turn explicit below instead of depending on the OpenCV build.
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    if pixels is None or pixels.size == 0:
        pixels = _read_with_pillow(path)
    pixels = _to_supported_layout(pixels)

    orientation = _exif_orientation(path)
    degrees, mirror = _EXIF_TRANSFORMS.get(orientation, (0, False))
    if mirror:
        pixels = np.ascontiguousarray(pixels[:, ::-1])
    pixels = rotate_clockwise(pixels, degrees)

    bit_depth = 16 if pixels.dtype == np.uint16 else 8
    return LoadedImage(pixels=pixels, bit_depth=bit_depth, exif_rotation=degrees)


def to_gray(pixels: np.ndarray) -> np.ndarray:
    """Return a single-channel view of the image, keeping the dtype."""
    if pixels.ndim == 2:
        return pixels
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)


def window_to_8bit(
    pixels: np.ndarray, low_percentile: float = 0.5, high_percentile: float = 99.5
) -> np.ndarray:
    """Map an image to 8 bits for analysis.

    8-bit images are returned unchanged. Wider images are scaled linearly between the
    given percentiles, so a 16-bit film whose values all sit above 255 keeps its
    contrast instead of saturating to white.
    """
    if pixels.dtype == np.uint8:
        return pixels
    values = pixels.astype(np.float32)
    low, high = np.percentile(values, [low_percentile, high_percentile])
    if high <= low:
        high = low + 1.0
    scaled = (values - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def shrink_to(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale so the longer side is at most ``max_side`` pixels (area interpolation)."""
    height, width = pixels.shape[:2]
    longest = max(height, width)
    if longest <= max_side:
        return pixels
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
