"""Search for all pairs of 64-bit hashes within a Hamming distance, below quadratic time.

Multi-index hashing (Norouzi, Punjani and Fleet, "Fast Search in Hamming Space with
Multi-Index Hashing", CVPR 2012): the 64 bits are split into four 16-bit chunks.
Two hashes at distance d <= 4r + 3 agree within r bits on at least one chunk
(pigeonhole), so probing each chunk's sorted table with every flip of at most
r bits finds every such pair. Each probe is a vectorized join over a table of
all 2**16 chunk values, and only pairs that pass the full-distance check stay in
memory. Distance 12 needs 4 x 697 probes: 26 s to 52 s for 100,000 random
hashes on a loaded 2-core machine (docs/benchmarks.md).

NOTE: a probe costs O(n + n**2 / 2**16) for uniformly spread hashes. Hashes that
cluster, such as thousands of blank films with one pHash, make buckets and time
grow towards quadratic.
"""

from __future__ import annotations

import itertools

import numpy as np

CHUNKS = 4
CHUNK_BITS = 16
_CHUNK_MASK = np.uint64((1 << CHUNK_BITS) - 1)


def _flip_masks(radius: int) -> np.ndarray:
    """Return every 16-bit mask with at most ``radius`` bits set."""
    masks = [0]
    for count in range(1, radius + 1):
        for bits in itertools.combinations(range(CHUNK_BITS), count):
            masks.append(sum(1 << bit for bit in bits))
    return np.array(masks, dtype=np.int64)


def hamming_distance(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Return the elementwise number of differing bits of two uint64 arrays."""
    return np.bitwise_count(np.bitwise_xor(first, second)).astype(np.int64)


def _expand_matches(
    order: np.ndarray, starts: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Turn per-query ranges of the sorted table into (query, match) index pairs."""
    queries = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    # Position k of the output belongs to query q and reads order[starts[q] + k - first[q]].
    first_output = np.cumsum(counts) - counts
    shift = np.repeat(starts - first_output, counts)
    return queries, order[np.arange(shift.size, dtype=np.int64) + shift]


def pairs_within(hashes: np.ndarray, max_distance: int) -> np.ndarray:
    """Find all index pairs (i < j) whose hashes differ in at most ``max_distance`` bits.

    Parameters
    ----------
    hashes
        One-dimensional array of 64-bit hashes (anything castable to uint64).
    max_distance
        Largest Hamming distance reported, 0 to 15.

    Returns
    -------
    numpy.ndarray
        Array of shape (pairs, 2), sorted, each row ``(i, j)`` with ``i < j``.
    """
    if not 0 <= max_distance <= 15:
        raise ValueError(f"max_distance must be 0 to 15, not {max_distance}")
    values = np.asarray(hashes, dtype=np.uint64).ravel()
    if values.size < 2:
        return np.empty((0, 2), dtype=np.int64)
    radius = max_distance // CHUNKS  # smallest r with CHUNKS * r + 3 >= max_distance
    masks = _flip_masks(radius)
    found: list[np.ndarray] = []
    for chunk in range(CHUNKS):
        keys = ((values >> np.uint64(chunk * CHUNK_BITS)) & _CHUNK_MASK).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        # Direct-address table over all 2**16 chunk values: bucket v is
        # order[table_starts[v] : table_starts[v] + table_counts[v]].
        table_counts = np.bincount(keys, minlength=1 << CHUNK_BITS)
        table_starts = np.cumsum(table_counts) - table_counts
        for mask in masks:
            probes = keys ^ mask
            counts = table_counts[probes]
            first, second = _expand_matches(order, table_starts[probes], counts)
            keep = first < second
            first, second = first[keep], second[keep]
            keep = hamming_distance(values[first], values[second]) <= max_distance
            if keep.any():
                found.append(np.stack([first[keep], second[keep]], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found), axis=0).astype(np.int64)
