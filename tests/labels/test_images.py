"""Loading pages: bit depth, EXIF orientation and 8-bit windowing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from filmroom.errors import BadInputError
from filmroom.labels.images import EXIF_ORIENTATION_TAG, load_image, window_to_8bit


def test_load_keeps_16_bits(film_16bit: Path) -> None:
    loaded = load_image(film_16bit)
    assert loaded.bit_depth == 16
    assert loaded.pixels.dtype == np.uint16
    assert int(loaded.pixels.min()) > 255


def test_window_spreads_high_values() -> None:
    pixels = np.linspace(20000, 30000, 10000, dtype=np.float64).reshape(100, 100).astype(np.uint16)
    windowed = window_to_8bit(pixels)
    assert windowed.dtype == np.uint8
    assert int(windowed.max()) - int(windowed.min()) > 200


def test_load_applies_exif_orientation(tmp_path: Path) -> None:
    # Stored 40 wide and 20 tall with a dark left edge; Orientation 6 shows it turned
    # 90 degrees clockwise, so the dark edge ends on top.
    stored = np.full((20, 40, 3), 240, np.uint8)
    stored[:, :5] = 0
    exif = Image.Exif()
    exif[EXIF_ORIENTATION_TAG] = 6
    path = tmp_path / "photo.jpg"
    Image.fromarray(stored).save(path, exif=exif.tobytes(), quality=95)
    loaded = load_image(path)
    assert loaded.pixels.shape[:2] == (40, 20)
    assert loaded.exif_rotation == 90
    assert loaded.pixels[:3].mean() < 60
    assert loaded.pixels[-3:].mean() > 200


def test_load_rejects_non_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image", encoding="utf-8")
    with pytest.raises(BadInputError, match="not a readable image"):
        load_image(path)


def test_load_rejects_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not found"):
        load_image(tmp_path / "absent.png")
