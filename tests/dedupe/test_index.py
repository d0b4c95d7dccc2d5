"""Tests of find_duplicates on real and synthetic radiographs written to and read from files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from filmroom.dedupe.index import DedupeItem, find_duplicates, quality_rank


def _blank_16bit(level: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(level + rng.normal(0, 1.0, size=(480, 400)), 0, None).astype(np.uint16)


def test_uniform_films_not_duplicates(kit) -> None:
    plain = _blank_16bit(30, seed=1)
    marked = _blank_16bit(35, seed=2)
    marked[40:100, 40:50] = 40000  # the upright stroke of an "L" marker
    marked[90:100, 40:80] = 40000  # its foot
    verdicts = find_duplicates(
        [kit.item("plain", plain, "MONOCHROME2"), kit.item("marked", marked, "MONOCHROME2")]
    )
    assert verdicts["plain"].duplicate_of is None
    assert verdicts["marked"].duplicate_of is None


def test_uniform_look_alikes_not_duplicates(kit) -> None:
    first = _blank_16bit(30, seed=3)
    second = _blank_16bit(30, seed=4)
    verdicts = find_duplicates(
        [kit.item("first", first, "MONOCHROME2"), kit.item("second", second, "MONOCHROME2")]
    )
    assert verdicts["second"].duplicate_of is None
    assert verdicts["first"].duplicate_of is None


def test_uniform_hash_match_goes_to_review(kit) -> None:
    # Blank films rarely share a pHash because noise decides its low-energy bits,
    # so the second fingerprint gets the first one's hashes to force a candidate.
    first = kit.item("first", _blank_16bit(30, seed=6), "MONOCHROME2")
    second = kit.item("second", _blank_16bit(30, seed=7), "MONOCHROME2")
    same_hashes = replace(
        second.fingerprint, phash=first.fingerprint.phash, dhash=first.fingerprint.dhash
    )
    second = replace(second, fingerprint=same_hashes)
    verdicts = find_duplicates([first, second])
    assert verdicts["second"].duplicate_of is None
    assert verdicts["second"].needs_review
    assert verdicts["first"].needs_review
    assert "near-uniform" in verdicts["second"].evidence


def test_exact_copy_of_noisy_blank_is_exact(kit) -> None:
    blank = _blank_16bit(30, seed=5)
    verdicts = find_duplicates(
        [kit.item("a", blank, "MONOCHROME2"), kit.item("b", blank.copy(), "MONOCHROME2")]
    )
    assert verdicts["b"].duplicate_of == "a"
    assert verdicts["b"].kind == "exact"


def test_constant_images_go_to_review(kit) -> None:
    black = np.zeros((64, 64), dtype=np.uint8)
    verdicts = find_duplicates(
        [kit.item("a", black, "MONOCHROME2"), kit.item("b", black.copy(), "MONOCHROME2")]
    )
    assert verdicts["b"].duplicate_of is None
    assert verdicts["b"].needs_review
    assert verdicts["a"].needs_review


def test_mirror_not_duplicate(kit, film) -> None:
    mirror = np.ascontiguousarray(film.pixels[:, ::-1])
    verdicts = find_duplicates(
        [
            kit.item("film", film.pixels, film.photometric),
            kit.item("mirror", mirror, film.photometric),
        ]
    )
    assert verdicts["mirror"].duplicate_of is None
    assert verdicts["film"].duplicate_of is None


def test_mirror_of_rescan_not_duplicate(kit, film) -> None:
    copy = kit.rescan(film.pixels, scale=0.8, degrees=2.0, gain=0.9, offset=0.05)
    mirror = np.ascontiguousarray(copy[:, ::-1])
    verdicts = find_duplicates(
        [
            kit.item("film", film.pixels, film.photometric),
            kit.item("mirror", mirror, film.photometric),
        ]
    )
    assert verdicts["mirror"].duplicate_of is None


def _tiff_roundtrip(path: Path, pixels: np.ndarray, photometric: str) -> tuple[np.ndarray, str]:
    tiff_photometric = "miniswhite" if photometric == "MONOCHROME1" else "minisblack"
    tifffile.imwrite(path, pixels, photometric=tiff_photometric)
    with tifffile.TiffFile(path) as tiff:
        page = tiff.pages[0]
        white_is_zero = page.photometric == tifffile.PHOTOMETRIC.MINISWHITE
        return page.asarray(), "MONOCHROME1" if white_is_zero else "MONOCHROME2"


def test_tiff_and_jpeg_duplicates_tiff_kept(kit, film_16bit, tmp_path: Path) -> None:
    tiff_pixels, tiff_photometric = _tiff_roundtrip(
        tmp_path / "scan.tif", film_16bit.pixels, film_16bit.photometric
    )
    export = kit.export_8bit(film_16bit.pixels, film_16bit.photometric)
    Image.fromarray(export).save(tmp_path / "export.jpg", quality=80)
    jpeg_pixels = np.asarray(Image.open(tmp_path / "export.jpg"))
    items = [
        kit.item("export.jpg", jpeg_pixels, "MONOCHROME2", bits_stored=8, lossless=False),
        kit.item("scan.tif", tiff_pixels, tiff_photometric, bits_stored=16, lossless=True),
    ]
    verdicts = find_duplicates(items)
    assert tiff_pixels.dtype == np.uint16
    assert verdicts["export.jpg"].duplicate_of == "scan.tif"
    assert verdicts["export.jpg"].kind == "near"
    assert verdicts["scan.tif"].duplicate_of is None


def test_exact_across_containers(kit, film, tmp_path: Path) -> None:
    tiff_pixels, tiff_photometric = _tiff_roundtrip(
        tmp_path / "a.tif", film.pixels, film.photometric
    )
    assert cv2.imwrite(str(tmp_path / "b.png"), film.pixels)
    png_pixels = cv2.imread(str(tmp_path / "b.png"), cv2.IMREAD_UNCHANGED)
    verdicts = find_duplicates(
        [
            kit.item("a.tif", tiff_pixels, tiff_photometric),
            kit.item("b.png", png_pixels, film.photometric),
        ]
    )
    assert verdicts["b.png"].duplicate_of == "a.tif"
    assert verdicts["b.png"].kind == "exact"
    assert verdicts["b.png"].evidence == "pixel digest equal"


def test_rescan_is_near_duplicate(kit, film) -> None:
    copy = kit.rescan(film.pixels, scale=0.8, degrees=2.0, gain=0.85, offset=0.08)
    verdicts = find_duplicates(
        [
            kit.item("scan", film.pixels, film.photometric),
            kit.item("rescan", copy, film.photometric),
        ]
    )
    assert verdicts["rescan"].duplicate_of == "scan"
    assert verdicts["rescan"].kind == "near"
    assert "thumbnail correlation" in verdicts["rescan"].evidence


LOOK_ALIKES = {
    "lateral_thoraxes": (
        "veterinary/radiographqc_example_1.png",
        "veterinary/radiographqc_example_2.png",
        "veterinary/radiographqc_example_3.png",
    ),
    "chests": ("chest/00000001_000.png", "chest/00027426_000.png", "chest/h0001.png"),
    "pelves": ("pelvis/331_DDH_1.jpg", "pelvis/331_DDH_115.jpg", "pelvis/331_DDH_138.jpg"),
}


@pytest.mark.parametrize("group", sorted(LOOK_ALIKES))
def test_different_films_not_merged(kit, real, group: str) -> None:
    films = [real(name) for name in LOOK_ALIKES[group]]
    items = [kit.item(film.name, film.pixels, film.photometric) for film in films]
    items += [
        kit.item(
            f"{film.name}/rescan", kit.rescan(film.pixels, 0.8, 2.0, 0.9, 0.05), film.photometric
        )
        for film in films
    ]
    verdicts = find_duplicates(items)
    for film in films:
        kept = verdicts[f"{film.name}/rescan"].duplicate_of
        assert kept in (None, film.name), f"{film.name} rescan merged into {kept}"
        assert verdicts[film.name].duplicate_of is None


def _view(pixels: np.ndarray, quarter_turns: int) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(pixels, quarter_turns))


def test_other_view_not_duplicate(kit, film) -> None:
    # A second view of one animal shares texture and exposure but not layout.
    # A quarter turn of the same film is the nearest stand-in with real pixels.
    turned = _view(film.pixels, 1)
    squeezed = cv2.resize(
        turned, (film.pixels.shape[1], film.pixels.shape[0]), interpolation=cv2.INTER_AREA
    )
    verdicts = find_duplicates(
        [
            kit.item("lateral", film.pixels, film.photometric),
            kit.item("other", squeezed, film.photometric),
        ]
    )
    assert verdicts["other"].duplicate_of is None


def test_synthetic_different_fields_not_merged(kit) -> None:
    films = [kit.synthetic_film(seed) for seed in range(10, 16)]
    verdicts = find_duplicates(
        [kit.item(film.name, film.pixels, film.photometric) for film in films]
    )
    assert all(verdict.duplicate_of is None for verdict in verdicts.values())


def test_archived_item_kept_over_better_copy(kit) -> None:
    film = kit.synthetic_film(seed=21)
    archived = kit.item("archived", film.pixels, film.photometric, bits_stored=8, archived=True)
    better = kit.item("better", film.pixels.copy(), film.photometric, original_dicom=True)
    verdicts = find_duplicates([better, archived])
    assert verdicts["better"].duplicate_of == "archived"
    assert verdicts["archived"].duplicate_of is None


def test_best_copy_kept_by_quality(kit) -> None:
    film = kit.synthetic_film(seed=22)
    small = cv2.resize(film.pixels, (250, 300), interpolation=cv2.INTER_AREA)
    items = [
        kit.item("export-small", small, film.photometric),
        kit.item("export-full", film.pixels, film.photometric),
        kit.item("dicom", small.copy(), film.photometric, original_dicom=True),
    ]
    verdicts = find_duplicates(items)
    assert verdicts["dicom"].duplicate_of is None
    assert verdicts["export-full"].duplicate_of == "dicom"
    assert verdicts["export-small"].duplicate_of == "dicom"
    assert verdicts["export-small"].kind == "exact"


def test_tie_broken_by_key(kit) -> None:
    film = kit.synthetic_film(seed=23)
    verdicts = find_duplicates(
        [
            kit.item("b", film.pixels, film.photometric),
            kit.item("a", film.pixels.copy(), film.photometric),
        ]
    )
    assert verdicts["b"].duplicate_of == "a"


def test_every_item_gets_verdict(kit) -> None:
    films = [kit.synthetic_film(seed, rows=200, columns=160) for seed in range(30, 34)]
    items = [
        kit.item(f"item-{index}", film.pixels, film.photometric) for index, film in enumerate(films)
    ]
    items.append(kit.item("copy", films[0].pixels.copy(), films[0].photometric))
    verdicts = find_duplicates(items)
    assert sorted(verdicts) == sorted(item.key for item in items)


def test_repeated_keys_raise(kit) -> None:
    film = kit.synthetic_film(seed=40, rows=100, columns=100)
    first = kit.item("same", film.pixels, film.photometric)
    with pytest.raises(ValueError, match="repeated"):
        find_duplicates([first, first])


def test_quality_rank_order() -> None:
    dicom = quality_rank(original_dicom=True, bits_stored=8, pixel_count=10, lossless=False)
    deep = quality_rank(original_dicom=False, bits_stored=16, pixel_count=10, lossless=False)
    large = quality_rank(original_dicom=False, bits_stored=8, pixel_count=99, lossless=False)
    lossless = quality_rank(original_dicom=False, bits_stored=8, pixel_count=10, lossless=True)
    assert dicom > deep
    assert deep > large
    assert large > lossless


def test_empty_input_returns_empty() -> None:
    items: list[DedupeItem] = []
    assert find_duplicates(items) == {}
