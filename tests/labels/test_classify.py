"""Page classification by content: label, film, blank and separator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from filmroom.labels.classify import classify_page

BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def test_classify_16bit_film_is_film(film_16bit: Path) -> None:
    page = classify_page(film_16bit)
    assert page.kind == "film"
    assert page.evidence["bit_depth"] == 16.0


def test_classify_16bit_film_not_clipped_white(film_16bit: Path) -> None:
    # Clipping values above 255 would make this page uniformly white.
    page = classify_page(film_16bit)
    assert float(page.evidence["mean"]) < 200
    assert float(page.evidence["native_spread"]) > 0.1


def test_classify_12bit_film_in_16bit_samples(tmp_path: Path) -> None:
    # Film scanners store 12 bits in 16-bit samples: the spread is measured against 4095.
    rng = np.random.default_rng(8)
    y, x = np.mgrid[0:500, 0:400]
    pixels = 300 + 3000 * np.exp(-(((x - 200) / 120.0) ** 2 + ((y - 250) / 170.0) ** 2))
    pixels = np.clip(pixels + rng.normal(0, 40, pixels.shape), 0, 4095).astype(np.uint16)
    path = tmp_path / "film12.png"
    Image.fromarray(pixels).save(path)

    page = classify_page(path)

    assert page.kind == "film"
    assert float(page.evidence["native_spread"]) > 0.3


def test_classify_nearly_black_film_kept(tmp_path: Path) -> None:
    # An underexposed film is nearly uniform, but it is an image: never a blank page.
    rng = np.random.default_rng(9)
    pixels = np.clip(rng.normal(30, 2, (500, 400)), 0, 255).astype(np.uint16)
    path = tmp_path / "black16.png"
    Image.fromarray(pixels).save(path)
    dark8 = tmp_path / "black8.png"
    Image.fromarray(np.clip(rng.normal(20, 2, (500, 400)), 0, 255).astype(np.uint8)).save(dark8)

    assert classify_page(path).kind == "film"
    assert classify_page(dark8).kind == "film"


def test_classify_16bit_label_is_label(write_label: Callable[..., Path], tmp_path: Path) -> None:
    # A label scanned in a 16-bit batch must not be taken for a film, or the films
    # after it would join the previous jacket.
    label8 = write_label(["Owner: WILLIAMS, Ann", "Pet: Daisy", "Chart #: 01377"])
    pixels = np.asarray(Image.open(label8).convert("L"), dtype=np.uint16) * 257
    label16 = tmp_path / "label16.png"
    Image.fromarray(pixels).save(label16)

    page = classify_page(label16)

    assert page.evidence["bit_depth"] == 16.0
    assert page.kind == "label"


def test_classify_16bit_film_with_burned_in_text(tmp_path: Path) -> None:
    # Films carry side markers and burned-in text; sharp edges alone must not make them labels.
    rng = np.random.default_rng(12)
    y, x = np.mgrid[0:600, 0:500]
    pixels = 500 + 2800 * np.exp(-(((x - 250) / 150.0) ** 2 + ((y - 300) / 200.0) ** 2))
    pixels = np.clip(pixels + rng.normal(0, 30, pixels.shape), 0, 4095).astype(np.uint16)
    marker = Image.new("L", (500, 600), 0)
    draw = ImageDraw.Draw(marker)
    font = ImageFont.truetype(BOLD, 28)
    for row, text in enumerate(["R", "MAPLE GROVE AH", "2014-06-21", "LAT THORAX", "kVp 70 mAs 8"]):
        draw.text((20, 20 + row * 40), text, fill=255, font=font)
    pixels[np.asarray(marker) > 128] = 4095
    path = tmp_path / "film_with_text.png"
    Image.fromarray(pixels).save(path)

    page = classify_page(path)

    assert float(page.evidence["sharp_edge_fraction"]) > 0
    assert page.kind == "film"


def test_classify_8bit_label_in_same_batch(
    write_label: Callable[..., Path], film_16bit: Path
) -> None:
    label = write_label(["Owner: JONES, Mary", "Pet: Fluffy", "Chart #: 004512"])
    assert classify_page(label).kind == "label"
    assert classify_page(film_16bit).kind == "film"


def test_classify_8bit_film_is_film(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:500, 0:400]
    pixels = 40 + 150 * np.exp(-(((x - 200) / 120.0) ** 2 + ((y - 250) / 170.0) ** 2))
    pixels = np.clip(pixels + rng.normal(0, 6, pixels.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "film.png"
    Image.fromarray(pixels).save(path)
    assert classify_page(path).kind == "film"


def test_classify_blank_page(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    pixels = np.clip(rng.normal(243, 2, (700, 500)), 0, 255).astype(np.uint8)
    path = tmp_path / "blank.png"
    Image.fromarray(pixels).save(path)
    assert classify_page(path).kind == "blank"


def test_classify_colored_sheet_is_separator(tmp_path: Path) -> None:
    pixels = np.zeros((700, 500, 3), np.uint8)
    pixels[:] = (250, 200, 40)
    path = tmp_path / "yellow.png"
    Image.fromarray(pixels).save(path)
    assert classify_page(path).kind == "separator"


def test_classify_big_word_is_separator(render: Callable[..., Image.Image], tmp_path: Path) -> None:
    image = render(["SEPARATOR"], font_path=BOLD, size=150)
    page = Image.new("RGB", (1250, 1600), (250, 250, 246))
    page.paste(image, (0, 600))
    path = tmp_path / "separator.png"
    page.save(path)
    assert classify_page(path).kind == "separator"


def test_classify_patch_code_is_separator(tmp_path: Path) -> None:
    pixels = np.full((1100, 850), 250, np.uint8)
    for left in (200, 320, 520, 640):
        pixels[250:850, left : left + 50] = 0
    path = tmp_path / "patch.png"
    Image.fromarray(pixels).save(path)
    assert classify_page(path).kind == "separator"


def test_classify_ignores_file_name(write_label: Callable[..., Path]) -> None:
    label = write_label(["Pet: Rosie", "Chart #: 7781"], name="film_scan_0001.png")
    assert classify_page(label).kind == "label"


@pytest.mark.shared_data
def test_classify_real_radiographs_as_film(shared_data: Path) -> None:
    paths = sorted(
        p for p in (shared_data / "radiographs").rglob("*") if p.suffix.lower() in {".png", ".jpg"}
    )
    assert paths
    kinds = {path.name: classify_page(path).kind for path in paths}
    assert {name for name, kind in kinds.items() if kind != "film"} == set()


@pytest.mark.shared_data
def test_classify_vaccine_stickers_as_label(shared_data: Path) -> None:
    paths = sorted((shared_data / "documents" / "pet_vaccine_stickers").glob("*.png"))
    assert paths
    kinds = {path.name: classify_page(path).kind for path in paths}
    assert {name for name, kind in kinds.items() if kind != "label"} == set()


@pytest.mark.shared_data
def test_classify_tesseract_pages_as_label(shared_data: Path) -> None:
    paths = sorted((shared_data / "documents" / "tesseract").glob("phototest*.[pt][ni][gf]"))
    assert paths
    assert {classify_page(path).kind for path in paths} == {"label"}
