"""Fixtures that render small label, film and page images for the label tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from filmroom.settings import LabelSettings

SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def render_lines(
    lines: list[str],
    font_path: str = SANS,
    size: int = 44,
    paper: tuple[int, int, int] = (250, 250, 246),
    jitter: random.Random | None = None,
) -> Image.Image:
    """Draw text lines on paper, about 300 dpi for 10-12 pt text; ``jitter`` shifts and resizes words."""
    if not Path(font_path).is_file():
        pytest.skip(f"font not installed: {font_path}")
    width = 1250
    height = 100 + int(len(lines) * size * 1.5)
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    y = 50
    for line in lines:
        if jitter is None:
            draw.text((60, y), line, font=ImageFont.truetype(font_path, size), fill=(15, 15, 15))
        else:
            x = 60 + jitter.randint(-10, 10)
            for word in line.split():
                font = ImageFont.truetype(font_path, size + jitter.randint(-5, 5))
                draw.text((x, y + jitter.randint(-5, 5)), word, font=font, fill=(20, 25, 80))
                x += int(draw.textlength(word + " ", font=font)) + jitter.randint(-2, 8)
        y += int(size * 1.5)
    return image


@pytest.fixture
def label_settings() -> LabelSettings:
    return LabelSettings()


@pytest.fixture
def write_label(tmp_path: Path) -> Callable[..., Path]:
    """Render lines to a PNG in tmp_path, turned counter-clockwise by ``rotate`` degrees."""

    def write(lines: list[str], name: str = "label.png", rotate: int = 0, **render: object) -> Path:
        image = render_lines(lines, **render)  # type: ignore[arg-type]
        if rotate:
            image = image.rotate(rotate, expand=True)
        path = tmp_path / name
        image.save(path)
        return path

    return write


@pytest.fixture
def film_16bit(tmp_path: Path) -> Path:
    """A 16-bit grayscale film-like TIFF whose values all lie above 255."""
    import tifffile

    rng = np.random.default_rng(11)
    y, x = np.mgrid[0:600, 0:500]
    body = 9000 + 30000 * np.exp(-(((x - 250) / 140.0) ** 2 + ((y - 300) / 200.0) ** 2))
    ribs = 4000 * (np.sin(y / 18.0) > 0.6) * (np.abs(x - 250) < 180)
    pixels = body + ribs + rng.normal(0, 300, body.shape)
    pixels = np.clip(pixels, 600, 65000).astype(np.uint16)
    path = tmp_path / "film.tif"
    tifffile.imwrite(path, pixels)
    return path


@pytest.fixture
def render() -> Callable[..., Image.Image]:
    """The ``render_lines`` helper, for tests that post-process the image."""
    return render_lines
