"""Tests of pixel digests, 8-bit rendering and fingerprint serialization."""

from __future__ import annotations

import io
import json

import numpy as np
import tifffile

from filmroom.dedupe.fingerprint import Fingerprint, fingerprint, pixel_digest, render_8bit


def test_pixel_digest_ignores_byte_order() -> None:
    pixels = np.arange(12, dtype="<u2").reshape(3, 4) * 1000
    big_endian = pixels.astype(">u2")
    assert pixel_digest(big_endian) == pixel_digest(pixels)


def test_pixel_digest_same_after_tiff_roundtrip() -> None:
    pixels = np.arange(12, dtype=np.uint16).reshape(3, 4) * 1000
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, pixels, byteorder=">")
    decoded = tifffile.imread(io.BytesIO(buffer.getvalue()))
    assert pixel_digest(decoded) == pixel_digest(pixels)


def test_pixel_digest_includes_dtype_and_shape() -> None:
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert pixel_digest(pixels) != pixel_digest(pixels.astype(np.uint16))
    assert pixel_digest(pixels) != pixel_digest(pixels.reshape(4, 3))


def test_pixel_digest_ignores_memory_layout() -> None:
    pixels = np.arange(20, dtype=np.uint16).reshape(4, 5)
    assert pixel_digest(np.asfortranarray(pixels)) == pixel_digest(pixels)


def test_render_8bit_scales_16bit_without_clipping() -> None:
    ramp = np.tile(np.linspace(0, 60000, 512).astype(np.uint16), (64, 1))
    rendered = render_8bit(ramp, "MONOCHROME2")
    assert rendered.dtype == np.uint8
    assert len(np.unique(rendered)) > 200
    assert np.mean(rendered == 255) < 0.02


def test_render_8bit_windows_10bit_in_uint16() -> None:
    ramp = np.tile(np.linspace(0, 1023, 512).astype(np.uint16), (64, 1))
    rendered = render_8bit(ramp, "MONOCHROME2")
    assert rendered.max() == 255
    assert rendered.min() == 0


def test_render_8bit_inverts_monochrome1() -> None:
    ramp = np.tile(np.linspace(0, 4000, 256).astype(np.uint16), (16, 1))
    normal = render_8bit(ramp, "MONOCHROME2").astype(int)
    inverted = render_8bit(ramp, "MONOCHROME1").astype(int)
    assert np.array_equal(normal + inverted, np.full_like(normal, 255))


def test_render_8bit_rgb_matches_grey() -> None:
    grey = np.tile(np.arange(256, dtype=np.uint8), (8, 1))
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    assert np.array_equal(render_8bit(rgb, "RGB"), render_8bit(grey, "MONOCHROME2"))


def test_render_8bit_keeps_blank_film_flat() -> None:
    rng = np.random.default_rng(1)
    blank = (30000 + rng.normal(0, 20, size=(256, 256))).astype(np.uint16)
    assert render_8bit(blank, "MONOCHROME2").std() < 2.0


def test_fingerprint_json_roundtrip(kit) -> None:
    film = kit.synthetic_film(seed=1)
    original = fingerprint(film.pixels, film.photometric)
    restored = Fingerprint.from_dict(json.loads(json.dumps(original.to_dict())))
    assert restored.pixel_digest == original.pixel_digest
    assert restored.phash == original.phash
    assert restored.dhash == original.dhash
    assert np.array_equal(restored.thumbnail, original.thumbnail)
    assert restored.shape == original.shape
    assert restored.bit_depth == original.bit_depth
    assert restored.uniform == original.uniform


def test_fingerprint_marks_blank_uniform() -> None:
    rng = np.random.default_rng(2)
    blank = (30 + rng.normal(0, 1.0, size=(400, 300))).astype(np.uint16)
    assert fingerprint(blank, "MONOCHROME2").uniform


def test_fingerprint_real_films_not_uniform(film) -> None:
    assert not fingerprint(film.pixels, film.photometric).uniform


def test_fingerprint_bit_depth_of_10bit_cr(real) -> None:
    cr = real("RG3_J2KR.dcm")
    assert fingerprint(cr.pixels, cr.photometric).bit_depth == 10
