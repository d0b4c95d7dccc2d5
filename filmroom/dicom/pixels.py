"""Load the pages of a source image file with their pixels at full bit depth.

Pixel values are passed through as the file stores them, with three exceptions
that DICOM viewers need. Palette images are expanded to RGB. An alpha channel is
flattened onto white. An EXIF or TIFF orientation is applied by lossless
transposition. 16-bit data is never reduced to 8 bits.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import warnings
from collections.abc import Callable
from struct import error as StructError
from pathlib import Path

import cv2
import numpy as np
import pydicom
import tifffile
from PIL import Image, UnidentifiedImageError

from filmroom.dicom.jpeg import JpegHeader, read_jpeg_header
from filmroom.dicom.photometric import looks_inverted
from filmroom.errors import BadInputError

logger = logging.getLogger(__name__)

# EXIF and TIFF tag numbers (EXIF 2.32 / TIFF 6.0).
_TAG_ORIENTATION = 274
_TAG_DATETIME = 306
_TAG_DATETIME_ORIGINAL = 36867
_EXIF_IFD = 34665

# Classic and BigTIFF headers, little and big endian.
_TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

# Decoding more pixels than this is refused, so a corrupt header cannot exhaust memory.
Image.MAX_IMAGE_PIXELS = 400_000_000


class ImagePage:
    """One image of a source file, ready to be written as a DICOM object.

    ``pixels`` is (rows, columns) for grayscale or (rows, columns, 3) for RGB, uint8
    or uint16. For a JPEG kept as is, ``jpeg_bytes`` is the original stream and
    ``pixels`` is decoded only when first read.
    """

    def __init__(
        self,
        pixels: np.ndarray | None = None,
        *,
        photometric: str,
        bits_stored: int,
        jpeg_bytes: bytes | None = None,
        dpi: tuple[float, float] | None = None,
        exif_datetime: dt.datetime | None = None,
        page_index: int = 0,
        source_format: str = "",
        jpeg_header: JpegHeader | None = None,
        warnings: list[str] | None = None,
        decoder: Callable[[], np.ndarray] | None = None,
    ) -> None:
        if pixels is None and decoder is None:
            raise ValueError("ImagePage needs pixels or a decoder")
        self._pixels = pixels
        self._decoder = decoder
        self.photometric = photometric
        self.photometric_inferred = False  # True when MONOCHROME1 was read from the histogram
        self.bits_stored = bits_stored
        self.jpeg_bytes = jpeg_bytes
        self.dpi = dpi
        self.exif_datetime = exif_datetime
        self.page_index = page_index
        self.source_format = source_format
        self.jpeg_header = jpeg_header  # header of jpeg_bytes, or of the decoded source JPEG
        self.warnings = list(warnings or [])  # facts for the report, e.g. a decoded JPEG

    @property
    def pixels(self) -> np.ndarray:
        """Pixel array, decoded on first use when the page wraps an original JPEG stream."""
        if self._pixels is None:
            assert self._decoder is not None
            self._pixels = self._decoder()
        return self._pixels

    @property
    def shape(self) -> tuple[int, ...]:
        """Array shape of ``pixels``, read from the JPEG header when the page is not decoded."""
        if self._pixels is None and self.jpeg_header is not None:
            header = self.jpeg_header
            if header.components == 1:
                return (header.rows, header.columns)
            return (header.rows, header.columns, header.components)
        return tuple(self.pixels.shape)

    def __repr__(self) -> str:
        return (
            f"ImagePage(shape={self.shape}, photometric={self.photometric!r}, "
            f"bits_stored={self.bits_stored}, source_format={self.source_format!r}, "
            f"page_index={self.page_index}, jpeg={self.jpeg_bytes is not None})"
        )


def load_image_pages(path: Path) -> list[ImagePage]:
    """Read every page of an image file (TIFF, PNG, JPEG, BMP or another format Pillow reads).

    Raises
    ------
    BadInputError
        If the file is missing, empty, truncated, not an image, or contains samples
        that DICOM cannot store losslessly (floating point, negative integers).
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            signature = handle.read(8)
            # tifffile reads TIFF from the path itself, which saves a copy of a large scan.
            data = b"" if signature[:4] in _TIFF_SIGNATURES else signature + handle.read()
    except OSError as exc:
        raise BadInputError(path, f"cannot read the file ({exc.strerror}); check that it exists and is readable") from None
    if not signature:
        raise BadInputError(path, "file is empty (0 bytes); copy it again from the source")

    if signature[:4] in _TIFF_SIGNATURES:
        pages = _load_tiff(path)
    elif data.startswith(b"\xff\xd8\xff"):
        pages = [_load_jpeg(path, data)]
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        pages = [_load_with_opencv(path, data, "png")]
    elif data.startswith(b"BM"):
        pages = [_load_with_opencv(path, data, "bmp")]
    else:
        pages = _load_with_pillow(path, data)

    logger.debug("loaded %d page(s) from %s", len(pages), path)
    return pages


def decoded_pixels(ds: pydicom.Dataset) -> np.ndarray:
    """Decode the Pixel Data of ``ds`` into an array, with color converted to RGB.

    Raises
    ------
    BadInputError
        If the pixel data cannot be decoded (missing, truncated or an unsupported codec).
    """
    source = getattr(ds, "filename", None) or str(ds.get("SOPInstanceUID", "dataset"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ds.pixel_array
    except (AttributeError, ValueError, RuntimeError, NotImplementedError, KeyError, TypeError) as exc:
        raise BadInputError(source, f"cannot decode Pixel Data: {exc}") from exc


# ---------------------------------------------------------------- JPEG


def _load_jpeg(path: Path, data: bytes) -> ImagePage:
    try:
        header = read_jpeg_header(data)
    except ValueError as exc:
        raise BadInputError(path, f"invalid JPEG file: {exc}") from None
    if not header.end_of_image:
        raise BadInputError(path, "JPEG file is truncated (no end-of-image marker); copy it again from the source")
    if header.components not in (1, 3):
        raise BadInputError(
            path, f"JPEG with {header.components} components (CMYK?) is not supported; export it as RGB"
        )

    if header.precision <= 8:
        orientation, exif_datetime, dpi = _pillow_metadata(path, data)
    else:
        # Pillow 13 does not open 12-bit JPEG; such files come from medical systems without EXIF.
        orientation, exif_datetime, dpi = None, None, None
    page_warnings: list[str] = []
    reason = ""
    if header.process not in ("baseline", "extended"):
        reason = f"{header.process} JPEG cannot be encapsulated in DICOM"
    elif orientation not in (None, 1):
        reason = f"EXIF orientation {orientation} needs rotation"

    if not reason:
        return ImagePage(
            photometric="MONOCHROME2" if header.components == 1 else "RGB",
            bits_stored=header.precision,
            jpeg_bytes=data,
            dpi=dpi,
            exif_datetime=exif_datetime,
            source_format="jpeg",
            jpeg_header=header,
            decoder=lambda: _decode_jpeg(path, data, header),
        )

    page_warnings.append(f"{reason}: decoded and stored lossless")
    pixels = _apply_orientation(_decode_jpeg(path, data, header), orientation)
    return _page_from_array(
        path,
        pixels,
        source_format="jpeg",
        dpi=dpi,
        exif_datetime=exif_datetime,
        warnings=page_warnings,
        jpeg_header=header,
    )


def _decode_jpeg(path: Path, data: bytes, header: JpegHeader) -> np.ndarray:
    if header.precision <= 8 and not header.process.endswith("arithmetic"):
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if decoded is not None:
            return decoded if decoded.ndim == 2 else np.ascontiguousarray(decoded[:, :, ::-1])

    # 12-bit, lossless and arithmetic-coded JPEG: libjpeg from pylibjpeg-libjpeg.
    from libjpeg import decode as libjpeg_decode

    try:
        return np.asarray(libjpeg_decode(data))
    except (RuntimeError, ValueError) as exc:
        raise BadInputError(path, f"cannot decode JPEG: {exc}") from None


# ---------------------------------------------------------------- PNG, BMP


def _load_with_opencv(path: Path, data: bytes, source_format: str) -> ImagePage:
    # Pillow reads the metadata and checks the file is complete; OpenCV decodes,
    # because Pillow reduces 16-bit RGB PNG to 8 bits.
    orientation, exif_datetime, dpi = _pillow_metadata(path, data, verify=True)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise BadInputError(path, f"cannot decode the {source_format.upper()} file; it may be truncated or corrupt")
    if decoded.ndim == 3:
        # OpenCV orders color channels BGR(A).
        channel_order = [2, 1, 0, 3][: decoded.shape[2]]
        decoded = decoded[:, :, channel_order]
    pixels = _apply_orientation(decoded, orientation)
    return _page_from_array(path, pixels, source_format=source_format, dpi=dpi, exif_datetime=exif_datetime)


def _load_with_pillow(path: Path, data: bytes) -> list[ImagePage]:
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError) as exc:
        raise BadInputError(path, f"not an image file Pillow can read ({exc})") from None

    if image.mode in ("CMYK", "F", "YCbCr", "LAB", "HSV"):
        raise BadInputError(path, f"{image.format} image in mode {image.mode} is not supported; export it as RGB or grayscale")
    orientation, exif_datetime, dpi = _pillow_metadata(path, data)
    pages = []
    for index in range(getattr(image, "n_frames", 1)):
        try:
            image.seek(index)
            frame = image.convert("RGBA") if image.mode in ("P", "PA", "LA") else image
            pixels = np.asarray(frame)
        except (OSError, ValueError) as exc:
            raise BadInputError(path, f"cannot decode page {index + 1}: {exc}") from None
        if pixels.dtype == bool:
            # Bilevel: DICOM viewers need 8-bit gray, so 0/1 become 0/255.
            pixels = pixels.astype(np.uint8) * 255
        page = _page_from_array(
            path,
            _apply_orientation(pixels, orientation),
            source_format=(image.format or "unknown").lower(),
            dpi=dpi,
            exif_datetime=exif_datetime,
            page_index=index,
        )
        pages.append(page)
    return pages


def _pillow_metadata(
    path: Path, data: bytes, *, verify: bool = False
) -> tuple[int | None, dt.datetime | None, tuple[float, float] | None]:
    """Return the EXIF orientation, EXIF date and resolution in dpi, read by Pillow."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if verify:
                image.load()  # raises OSError on a truncated file
            exif = image.getexif()
            raw_dpi = image.info.get("dpi")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadInputError(path, f"cannot read the image ({exc}); the file may be truncated or corrupt") from None

    orientation = exif.get(_TAG_ORIENTATION)
    date_text = exif.get_ifd(_EXIF_IFD).get(_TAG_DATETIME_ORIGINAL) or exif.get(_TAG_DATETIME)
    dpi = None
    if raw_dpi and float(raw_dpi[0]) > 1 and float(raw_dpi[1]) > 1:
        dpi = (float(raw_dpi[0]), float(raw_dpi[1]))
    return (int(orientation) if orientation else None), _parse_exif_datetime(date_text), dpi


def _parse_exif_datetime(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


# ---------------------------------------------------------------- TIFF


def _load_tiff(path: Path) -> list[ImagePage]:
    pages = []
    try:
        with tifffile.TiffFile(path) as tiff:
            images = [page for page in tiff.pages if not page.is_reduced]  # skip thumbnails
            for index, page in enumerate(images):
                pages.append(_tiff_page(path, page, index))
    except BadInputError:
        raise
    except (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError, StructError) as exc:
        raise BadInputError(path, f"cannot read the TIFF file ({exc}); it may be truncated or corrupt") from None
    if not pages:
        raise BadInputError(path, "TIFF file contains no image pages; check that the scan was saved completely")
    return pages


def _tiff_page(path: Path, page: tifffile.TiffPage, index: int) -> ImagePage:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tifffile warns, not raises, on missing strips
        try:
            pixels = page.asarray()
        except Warning as exc:
            raise BadInputError(path, f"page {index + 1} is incomplete ({exc}); the file may be truncated") from None

    photometric = page.photometric
    if photometric == tifffile.PHOTOMETRIC.PALETTE:
        colormap = page.colormap  # (3, 2**bits) uint16
        if colormap is None:
            raise BadInputError(path, f"page {index + 1} is a palette image without a color map")
        pixels = np.moveaxis(colormap[:, pixels], 0, -1)
        # TIFF color maps are 16-bit; an 8-bit palette is the high byte repeated.
        if np.all(colormap % 257 == 0):
            pixels = (pixels // 257).astype(np.uint8)
    elif photometric == tifffile.PHOTOMETRIC.SEPARATED:
        raise BadInputError(path, f"page {index + 1} is CMYK; export it as RGB or grayscale")
    elif pixels.ndim == 3 and page.planarconfig == tifffile.PLANARCONFIG.SEPARATE and pixels.shape[0] <= 4:
        pixels = np.moveaxis(pixels, 0, -1)

    resolution = _tiff_dpi(page)
    date_tag = page.tags.get(_TAG_DATETIME)
    orientation_tag = page.tags.get(_TAG_ORIENTATION)
    orientation = int(orientation_tag.value) if orientation_tag else None
    pixels = _apply_orientation(pixels, orientation)

    return _page_from_array(
        path,
        pixels,
        source_format="tiff",
        dpi=resolution,
        exif_datetime=_parse_exif_datetime(date_tag.value if date_tag else None),
        page_index=index,
        declared_negative=photometric == tifffile.PHOTOMETRIC.MINISWHITE,
    )


def _tiff_dpi(page: tifffile.TiffPage) -> tuple[float, float] | None:
    unit = page.tags.get(296)  # ResolutionUnit: 1 none, 2 inch, 3 centimeter
    x_tag, y_tag = page.tags.get(282), page.tags.get(283)
    if not x_tag or not y_tag:
        return None
    try:
        x = x_tag.value[0] / x_tag.value[1]
        y = y_tag.value[0] / y_tag.value[1]
    except (TypeError, IndexError, ZeroDivisionError):
        return None
    unit_value = int(unit.value) if unit else 2
    if unit_value == 3:
        x, y = x * 2.54, y * 2.54
    elif unit_value != 2:
        return None
    return (float(x), float(y)) if x > 1 and y > 1 else None


# ---------------------------------------------------------------- common


def _apply_orientation(pixels: np.ndarray, orientation: int | None) -> np.ndarray:
    """Transpose ``pixels`` so that EXIF/TIFF orientation ``orientation`` becomes 1 (top-left)."""
    if orientation in (None, 1):
        return pixels
    transforms: dict[int, Callable[[np.ndarray], np.ndarray]] = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: np.rot90(a, k=-1),
        7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
        8: lambda a: np.rot90(a, k=1),
    }
    transform = transforms.get(int(orientation))
    if transform is None:
        return pixels
    return np.ascontiguousarray(transform(pixels))


def _flatten_alpha(color: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite ``color`` over white using ``alpha``; opaque pixels keep their exact values."""
    maximum = np.iinfo(color.dtype).max
    weight = alpha.astype(np.uint64)[..., np.newaxis] if color.ndim == 3 else alpha.astype(np.uint64)
    blended = (color.astype(np.uint64) * weight + maximum * (maximum - weight) + maximum // 2) // maximum
    return blended.astype(color.dtype)


def _to_unsigned(path: Path, pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype in (np.uint8, np.uint16):
        return pixels
    if pixels.dtype == bool:
        return pixels.astype(np.uint8) * 255
    if np.issubdtype(pixels.dtype, np.integer):
        low, high = int(pixels.min()), int(pixels.max())
        if low >= 0 and high <= 0xFFFF:
            return pixels.astype(np.uint8 if high <= 0xFF and pixels.itemsize == 1 else np.uint16)
        raise BadInputError(
            path, f"{pixels.dtype} samples from {low} to {high} do not fit 16-bit unsigned; export as 8 or 16-bit"
        )
    raise BadInputError(path, f"{pixels.dtype} samples are not supported; export the image as 8 or 16-bit integers")


def _page_from_array(
    path: Path,
    pixels: np.ndarray,
    *,
    source_format: str,
    dpi: tuple[float, float] | None,
    exif_datetime: dt.datetime | None,
    page_index: int = 0,
    warnings: list[str] | None = None,
    jpeg_header: JpegHeader | None = None,
    declared_negative: bool = False,
) -> ImagePage:
    """Normalize a decoded array to gray or RGB and choose its photometric interpretation."""
    pixels = _to_unsigned(path, pixels)
    if pixels.size == 0:
        raise BadInputError(path, "image has no pixels (zero rows or columns)")

    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 3 and pixels.shape[2] == 2:  # gray + alpha
        pixels = _flatten_alpha(pixels[:, :, 0], pixels[:, :, 1])
    elif pixels.ndim == 3 and pixels.shape[2] == 4:  # RGBA
        pixels = _flatten_alpha(pixels[:, :, :3], pixels[:, :, 3])
    elif pixels.ndim != 2 and not (pixels.ndim == 3 and pixels.shape[2] == 3):
        raise BadInputError(path, f"unsupported pixel array shape {pixels.shape}; expected gray, RGB or RGBA")

    # RGB with three equal channels is gray: storing one channel loses nothing.
    if pixels.ndim == 3 and np.array_equal(pixels[:, :, 0], pixels[:, :, 1]) and np.array_equal(
        pixels[:, :, 0], pixels[:, :, 2]
    ):
        pixels = np.ascontiguousarray(pixels[:, :, 0])
    pixels = np.ascontiguousarray(pixels)

    inferred_negative = False
    if pixels.ndim == 3:
        photometric = "RGB"
    elif declared_negative:
        photometric = "MONOCHROME1"
    elif looks_inverted(pixels):
        photometric, inferred_negative = "MONOCHROME1", True
    else:
        photometric = "MONOCHROME2"

    page = ImagePage(
        pixels,
        photometric=photometric,
        bits_stored=_bits_stored(pixels),
        dpi=dpi,
        exif_datetime=exif_datetime,
        page_index=page_index,
        source_format=source_format,
        jpeg_header=jpeg_header,
        warnings=warnings,
    )
    # MONOCHROME1 read from the histogram, not declared by the file: only right for a film scan.
    page.photometric_inferred = inferred_negative
    return page


def _bits_stored(pixels: np.ndarray) -> int:
    """Return 8 for uint8, else the number of bits the maximum value needs, at least 8."""
    if pixels.dtype == np.uint8:
        return 8
    return max(8, int(pixels.max()).bit_length())
