"""Tests of the multi-index Hamming search and of thumbnail confirmation."""

from __future__ import annotations

import numpy as np
import pytest

from filmroom.dedupe.confirm import aspect_change, match_thumbnails
from filmroom.dedupe.fingerprint import fingerprint
from filmroom.dedupe.hamming import hamming_distance, pairs_within


def _planted_hashes(seed: int) -> np.ndarray:
    """Make random hashes, with hash 10k + 1 at distance k from hash 10k for k = 0..15."""
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**63, size=1200, dtype=np.uint64) * np.uint64(2)
    for distance in range(16):
        bits = rng.choice(64, size=distance, replace=False)
        flips = np.uint64(sum(1 << int(bit) for bit in bits))
        hashes[distance * 10 + 1] = hashes[distance * 10] ^ flips
    return hashes


def _brute_force(hashes: np.ndarray, max_distance: int) -> np.ndarray:
    first, second = np.triu_indices(hashes.size, 1)
    keep = hamming_distance(hashes[first], hashes[second]) <= max_distance
    return np.stack([first[keep], second[keep]], axis=1)


@pytest.mark.parametrize("max_distance", [0, 3, 4, 7, 11, 12, 15])
def test_pairs_within_matches_brute_force(max_distance: int) -> None:
    hashes = _planted_hashes(seed=max_distance)
    found = pairs_within(hashes, max_distance)
    expected = _brute_force(hashes, max_distance)
    assert np.array_equal(found, expected)


def test_pairs_within_finds_identical_hashes() -> None:
    hashes = np.array([7, 7, 7, 9], dtype=np.uint64)
    found = pairs_within(hashes, 0)
    assert found.tolist() == [[0, 1], [0, 2], [1, 2]]


def test_pairs_within_uses_all_64_bits() -> None:
    high = np.uint64(1 << 63)
    hashes = np.array([0, high, high | np.uint64(1)], dtype=np.uint64)
    assert pairs_within(hashes, 1).tolist() == [[0, 1], [1, 2]]


def test_pairs_within_rejects_large_distance() -> None:
    with pytest.raises(ValueError, match="0 to 15"):
        pairs_within(np.zeros(3, dtype=np.uint64), 16)


def test_pairs_within_short_input() -> None:
    assert pairs_within(np.zeros(1, dtype=np.uint64), 5).shape == (0, 2)


def test_match_thumbnails_flags_mirror(film) -> None:
    original = fingerprint(film.pixels, film.photometric)
    mirror = fingerprint(np.ascontiguousarray(film.pixels[:, ::-1]), film.photometric)
    match = match_thumbnails(original.thumbnail, mirror.thumbnail)
    assert not match.confirmed
    assert match.mirrored_correlation > match.correlation


def test_match_thumbnails_confirms_copy(film) -> None:
    original = fingerprint(film.pixels, film.photometric)
    copy = fingerprint(film.pixels.copy(), film.photometric)
    match = match_thumbnails(original.thumbnail, copy.thumbnail)
    assert match.confirmed
    assert match.correlation > 0.999


def test_aspect_change_of_crop() -> None:
    assert aspect_change((1000, 800), (1000, 800)) == 0.0
    assert aspect_change((1000, 800), (700, 800)) == pytest.approx(1000 / 700 - 1)
