"""Fingerprints of decoded pixels: an exact digest, perceptual hashes and a thumbnail.

A fingerprint contains everything duplicate detection needs, so the flow can drop the
pixels after fingerprinting and the ledger can store fingerprints as JSON.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import cv2
import imagehash
import numpy as np
from PIL import Image

THUMBNAIL_SIZE = 32
# Percentiles of the value window of render_8bit: 0.5 % of pixels at each end
# (burned-in markers, dead pixels, collimator edges) may saturate.
WINDOW_PERCENTILES = (0.5, 99.5)
# The window is never narrower than this fraction of the image's full scale, so
# the faint noise of a blank film is not stretched into full-contrast texture.
MIN_WINDOW_FRACTION = 1 / 8
FLAT_TILE_STD = 3.0  # 8-bit levels; a tile of the 64x64 rendering below this is flat
# Films with at least this fraction of flat tiles, or a rendering std below
# UNIFORM_RENDER_STD, are near-blank, so their hashes carry no information about content.
UNIFORM_FLAT_FRACTION = 0.9
UNIFORM_RENDER_STD = 8.0
_SAMPLE_PIXELS = 1 << 20  # percentiles are estimated from at most this many pixels
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as Pillow's "L"
# fingerprint() renders an area-reduced copy no longer than this on either side,
# because its hashes and thumbnails are 64x64 or smaller. The digest uses all pixels.
FINGERPRINT_MAX_SIDE = 1024


@dataclass(frozen=True, eq=False)  # eq=False: the ndarray field has no truth value
class Fingerprint:
    """Content summary of one decoded image.

    ``phash`` and ``dhash`` are 64-bit perceptual hashes (imagehash's ``phash`` and
    ``dhash``, row-major bits, first bit most significant) of the 8-bit rendering.
    ``thumbnail`` is the rendering area-resized to 32x32 and histogram-equalized, so
    monotonic brightness, contrast and gamma changes barely alter it. ``render_std``
    and ``flat_fraction`` measure uniformity. ``shape`` is (rows, columns) of the
    decoded pixels and ``bit_depth`` the number of bits their values span (8 for
    8-bit data, 32 for floating point).
    """

    pixel_digest: str
    phash: int
    dhash: int
    thumbnail: np.ndarray  # uint8, THUMBNAIL_SIZE x THUMBNAIL_SIZE
    render_std: float
    flat_fraction: float
    shape: tuple[int, int]
    bit_depth: int
    constant: bool = False  # every pixel has the same value

    @property
    def uniform(self) -> bool:
        """Whether the image is near-blank, so perceptual matches must go to review."""
        return (
            self.constant
            or self.flat_fraction >= UNIFORM_FLAT_FRACTION
            or self.render_std < UNIFORM_RENDER_STD
        )

    def to_dict(self) -> dict[str, object]:
        """Convert to a JSON-serializable dict; hashes become 16-digit hex strings."""
        return {
            "pixel_digest": self.pixel_digest,
            "phash": f"{self.phash:016x}",
            "dhash": f"{self.dhash:016x}",
            "thumbnail": base64.b64encode(self.thumbnail.tobytes()).decode("ascii"),
            "render_std": self.render_std,
            "flat_fraction": self.flat_fraction,
            "shape": list(self.shape),
            "bit_depth": self.bit_depth,
            "constant": self.constant,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Fingerprint:
        """Rebuild a fingerprint from the output of ``to_dict``."""
        raw = base64.b64decode(str(data["thumbnail"]))
        thumbnail = np.frombuffer(raw, dtype=np.uint8).reshape(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        rows, columns = data["shape"]  # type: ignore[misc]
        return cls(
            pixel_digest=str(data["pixel_digest"]),
            phash=int(str(data["phash"]), 16),
            dhash=int(str(data["dhash"]), 16),
            thumbnail=thumbnail.copy(),
            render_std=float(data["render_std"]),  # type: ignore[arg-type]
            flat_fraction=float(data["flat_fraction"]),  # type: ignore[arg-type]
            shape=(int(rows), int(columns)),
            bit_depth=int(data["bit_depth"]),  # type: ignore[call-overload]
            constant=bool(data.get("constant", False)),
        )


def pixel_digest(pixels: np.ndarray) -> str:
    """Hash dtype, shape and C-contiguous bytes of decoded pixels with SHA-256.

    Values are hashed in little-endian byte order, so a big-endian TIFF and a
    little-endian DICOM with the same values get the same digest. The dtype stays
    part of the digest: the same values as uint8 and as uint16 differ.
    """
    little = pixels.astype(pixels.dtype.newbyteorder("<"), copy=False)
    digest = hashlib.sha256()
    digest.update(little.dtype.str.encode("ascii"))
    digest.update(repr(tuple(pixels.shape)).encode("ascii"))
    digest.update(np.ascontiguousarray(little).tobytes())
    return digest.hexdigest()


def _luminance(pixels: np.ndarray, photometric: str) -> np.ndarray:
    """Return a 2-D float array of grey values from monochrome, RGB(A) or YBR pixels."""
    if pixels.ndim == 2:
        return pixels.astype(np.float32)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        return pixels[:, :, 0].astype(np.float32)
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        if photometric.upper().startswith("YBR"):
            return pixels[:, :, 0].astype(np.float32)
        return pixels[:, :, :3].astype(np.float32) @ _LUMA_WEIGHTS
    raise ValueError(
        f"pixels of shape {pixels.shape} are not one greyscale or RGB frame; "
        "pass a single frame as (rows, columns) or (rows, columns, 3)"
    )


def _full_scale(pixels: np.ndarray, grey: np.ndarray) -> tuple[float, int]:
    """Return the full-scale value range and bit depth that the pixel values span.

    Integer data wider than 8 bits often uses fewer bits (a 10-bit CR in uint16),
    so the depth is the smallest of 8, 10, 12, 14 or 16 bits that contains the maximum.
    """
    if pixels.dtype == np.uint8 or pixels.dtype == np.int8:
        return 255.0, 8
    if np.issubdtype(pixels.dtype, np.integer):
        span = float(grey.max() - min(0.0, float(grey.min())))
        for bits in (8, 10, 12, 14, 16):
            if span <= 2**bits - 1:
                return float(2**bits - 1), bits
        bits = int(np.ceil(np.log2(span + 1)))
        return float(2**bits - 1), bits
    span = float(grey.max() - grey.min())
    return (span if span > 0 else 1.0), 32


def render_8bit(pixels: np.ndarray, photometric: str) -> np.ndarray:
    """Render pixels as windowed 8-bit greyscale in MONOCHROME2 polarity.

    The window runs from the 0.5th to the 99.5th percentile of the real values, so
    16-bit data is scaled into 8 bits, not truncated at 255, and only those 0.5 %
    tails saturate. The window is at least 1/8 of the
    full scale wide, so near-blank films stay near-flat. MONOCHROME1 is inverted,
    so every rendering has the same polarity. RGB becomes BT.601 luminance.
    """
    grey = _luminance(pixels, photometric)
    full_scale, _ = _full_scale(pixels, grey)
    return _window(grey, full_scale, photometric)


def _window(grey: np.ndarray, full_scale: float, photometric: str) -> np.ndarray:
    flat = grey.ravel()
    step = max(1, flat.size // _SAMPLE_PIXELS)
    low, high = np.percentile(flat[::step], WINDOW_PERCENTILES)
    min_width = full_scale * MIN_WINDOW_FRACTION
    if high - low < min_width:
        middle = (high + low) / 2
        low, high = middle - min_width / 2, middle + min_width / 2
    scaled = (grey - low) * (255.0 / (high - low))
    rendered = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    if photometric.upper() == "MONOCHROME1":
        rendered = 255 - rendered
    return rendered


def _equalized_thumbnail(rendered: np.ndarray) -> np.ndarray:
    """Area-resize to 32x32 and equalize by rank, so only the order of values counts.

    Equal values share their average rank. Breaking ties by position would paint a
    ramp over flat borders, and two unrelated films with flat borders would then
    correlate.
    """
    small = cv2.resize(
        rendered.astype(np.float32), (THUMBNAIL_SIZE, THUMBNAIL_SIZE), interpolation=cv2.INTER_AREA
    )
    _, inverse, counts = np.unique(small.ravel(), return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts
    average_rank = first_rank + (counts - 1) / 2.0
    ranks = average_rank[inverse]
    equalized = np.rint(ranks * (255.0 / max(ranks.size - 1, 1))).astype(np.uint8)
    return equalized.reshape(small.shape)


def _flat_fraction(rendered: np.ndarray) -> float:
    """Return the fraction of 8x8 tiles of the 64x64 rendering with std below FLAT_TILE_STD."""
    small = cv2.resize(rendered.astype(np.float32), (64, 64), interpolation=cv2.INTER_AREA)
    tiles = small.reshape(8, 8, 8, 8).swapaxes(1, 2).reshape(64, 64)
    return float(np.mean(tiles.std(axis=1) < FLAT_TILE_STD))


def _hash_to_int(value: imagehash.ImageHash) -> int:
    return int("".join("1" if bit else "0" for bit in value.hash.ravel()), 2)


def fingerprint(pixels: np.ndarray, photometric: str) -> Fingerprint:
    """Compute the pixel digest, perceptual hashes, thumbnail and uniformity of one frame.

    Raises
    ------
    ValueError
        If ``pixels`` is not one frame of shape (rows, columns) or (rows, columns, 1, 3 or 4).
    """
    grey = _luminance(pixels, photometric)
    full_scale, bit_depth = _full_scale(pixels, grey)
    rows, columns = grey.shape
    reduction = max(rows, columns) / FINGERPRINT_MAX_SIDE
    if reduction > 1:
        size = (max(1, round(columns / reduction)), max(1, round(rows / reduction)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    rendered = _window(grey, full_scale, photometric)
    image = Image.fromarray(rendered)
    row_step = max(1, rendered.shape[0] // 512)
    column_step = max(1, rendered.shape[1] // 512)
    sample = rendered[::row_step, ::column_step]
    return Fingerprint(
        pixel_digest=pixel_digest(pixels),
        phash=_hash_to_int(imagehash.phash(image)),
        dhash=_hash_to_int(imagehash.dhash(image)),
        thumbnail=_equalized_thumbnail(rendered),
        render_std=float(sample.std()),
        flat_fraction=_flat_fraction(rendered),
        shape=(int(rows), int(columns)),
        bit_depth=bit_depth,
        constant=bool(pixels.min() == pixels.max()),
    )
