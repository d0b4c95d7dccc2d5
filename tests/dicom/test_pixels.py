from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from filmroom.dicom.photometric import looks_inverted
from filmroom.dicom.pixels import load_image_pages
from filmroom.errors import BadInputError


def test_load_png16_twelve_bit_values(tmp_path: Path, rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 4096, size=(40, 30), dtype=np.uint16)
    pixels[0, 0] = 4095
    path = tmp_path / "scan.png"
    cv2.imwrite(str(path), pixels)
    (page,) = load_image_pages(path)
    assert page.pixels.dtype == np.uint16
    assert page.bits_stored == 12
    assert np.array_equal(page.pixels, pixels)


def test_load_rgba_flattened_onto_white(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 255
    rgba[:5, :, 3] = 128  # half-transparent top half
    path = tmp_path / "photo.png"
    Image.fromarray(rgba, "RGBA").save(path)
    (page,) = load_image_pages(path)
    assert page.photometric == "RGB"
    assert page.pixels.shape == (10, 10, 3)
    assert page.pixels[9, 0].tolist() == [200, 0, 0]  # opaque pixels keep their values
    assert page.pixels[0, 0].tolist() == [227, 127, 127]  # 50 % over white: 200 * 128/255 + 255 * 127/255


def test_load_palette_expanded(tmp_path: Path) -> None:
    indices = np.array([[0, 1], [2, 1]], dtype=np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette([10, 20, 30, 40, 50, 60, 70, 80, 90] + [0] * (256 * 3 - 9))
    path = tmp_path / "palette.png"
    image.save(path)
    (page,) = load_image_pages(path)
    assert page.photometric == "RGB"
    assert page.pixels[0, 0].tolist() == [10, 20, 30]
    assert page.pixels[1, 0].tolist() == [70, 80, 90]


def test_load_gray_rgb_stored_as_gray(tmp_path: Path, rng: np.random.Generator) -> None:
    gray = rng.integers(0, 256, size=(20, 20), dtype=np.uint8)
    path = tmp_path / "gray_rgb.png"
    Image.fromarray(np.dstack([gray] * 3), "RGB").save(path)
    (page,) = load_image_pages(path)
    assert page.pixels.ndim == 2
    assert np.array_equal(page.pixels, gray)


def test_load_tiff_multipage(tmp_path: Path, rng: np.random.Generator) -> None:
    first = rng.integers(0, 65536, size=(16, 12), dtype=np.uint16)
    second = rng.integers(0, 256, size=(8, 9), dtype=np.uint16)
    path = tmp_path / "jacket.tif"
    with tifffile.TiffWriter(path) as tiff:
        tiff.write(first, resolution=(300, 300), resolutionunit="INCH")
        tiff.write(second)
    pages = load_image_pages(path)
    assert len(pages) == 2
    assert np.array_equal(pages[0].pixels, first)
    assert np.array_equal(pages[1].pixels, second)
    assert pages[0].dpi == (300.0, 300.0)
    assert [page.page_index for page in pages] == [0, 1]


def test_load_tiff_miniswhite_monochrome1(tmp_path: Path, rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 65536, size=(30, 30), dtype=np.uint16)
    path = tmp_path / "negative.tif"
    tifffile.imwrite(path, pixels, photometric="miniswhite")
    (page,) = load_image_pages(path)
    assert page.photometric == "MONOCHROME1"
    assert np.array_equal(page.pixels, pixels)


def test_load_tiff_orientation_rotates(tmp_path: Path, rng: np.random.Generator) -> None:
    pixels = rng.integers(0, 256, size=(6, 4), dtype=np.uint8)
    path = tmp_path / "rotated.tif"
    tifffile.imwrite(path, pixels, extratags=[(274, "H", 1, 6, True)])  # 6: rotate 90 clockwise to view
    (page,) = load_image_pages(path)
    assert np.array_equal(page.pixels, np.rot90(pixels, k=-1))


def test_load_jpeg_keeps_stream(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "export.jpg"
    Image.fromarray(rng.integers(0, 256, size=(32, 48, 3), dtype=np.uint8), "RGB").save(path, quality=90, dpi=(150, 150))
    (page,) = load_image_pages(path)
    assert page.jpeg_bytes == path.read_bytes()
    assert page.shape == (32, 48, 3)
    assert page.dpi == (150.0, 150.0)


def test_load_jpeg_progressive_decoded(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "progressive.jpg"
    Image.fromarray(rng.integers(0, 256, size=(32, 48), dtype=np.uint8), "L").save(path, progressive=True)
    (page,) = load_image_pages(path)
    assert page.jpeg_bytes is None
    assert any("progressive" in warning for warning in page.warnings)


def test_load_jpeg_exif_orientation_decoded(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[274] = 8
    Image.fromarray(rng.integers(0, 256, size=(20, 30), dtype=np.uint8), "L").save(path, exif=exif)
    (page,) = load_image_pages(path)
    assert page.jpeg_bytes is None
    assert page.pixels.shape == (30, 20)
    assert any("orientation" in warning for warning in page.warnings)


def test_load_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        load_image_pages(path)


def test_load_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image", encoding="utf-8")
    with pytest.raises(BadInputError, match="not an image"):
        load_image_pages(path)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_load_truncated(tmp_path: Path, rng: np.random.Generator, suffix: str) -> None:
    full = tmp_path / f"full{suffix}"
    pixels = rng.integers(0, 256, size=(200, 200), dtype=np.uint8)
    if suffix == ".tif":
        tifffile.imwrite(full, pixels)
    else:
        Image.fromarray(pixels, "L").save(full)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(BadInputError, match="truncated"):
        load_image_pages(cut)


def test_load_float_tiff_rejected(tmp_path: Path) -> None:
    path = tmp_path / "float.tif"
    tifffile.imwrite(path, np.zeros((4, 4), dtype=np.float32))
    with pytest.raises(BadInputError, match="float32"):
        load_image_pages(path)


def _radiograph(background: int, bone: int, tissue: int, size: int = 200) -> np.ndarray:
    image = np.full((size, size), background, dtype=np.uint16)
    yy, xx = np.mgrid[:size, :size]
    body = (yy - size / 2) ** 2 / (size * 0.35) ** 2 + (xx - size / 2) ** 2 / (size * 0.25) ** 2 < 1
    image[body] = tissue
    image[size // 2 - 5 : size // 2 + 5, size // 4 : 3 * size // 4] = bone
    return image


def test_looks_inverted_negative_scan() -> None:
    assert looks_inverted(_radiograph(background=60000, bone=8000, tissue=30000))


def test_looks_inverted_positive_film() -> None:
    assert not looks_inverted(_radiograph(background=500, bone=60000, tissue=30000))


def test_looks_inverted_collimated_positive() -> None:
    image = _radiograph(background=500, bone=60000, tissue=30000)
    image[:30, :] = 65000  # bright unexposed margins outside the collimated field
    image[-30:, :] = 65000
    image[:, :30] = 65000
    image[:, -30:] = 65000
    assert not looks_inverted(image)


def test_looks_inverted_flat_image() -> None:
    assert not looks_inverted(np.full((100, 100), 7, dtype=np.uint8))
