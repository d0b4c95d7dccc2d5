"""Measure duplicate detection: precision and recall on real radiographs, and scale.

Run from the repository root:

    .venv/bin/python -m bench.dedupe.run [--data ../shared/data] [--scale 100000]

The labelled run compares ``find_duplicates`` with plain imagehash pHash
(``imagehash.phash`` of the PIL image, Hamming distance <= 10) on the same pairs.
The scale run sends synthetic fingerprints (random hashes with planted near
pairs) through the candidate search and through ``find_duplicates``.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from bench.dedupe.corpus import Sample, build_samples
from filmroom.dedupe.confirm import MAX_ASPECT_CHANGE, aspect_change, match_thumbnails
from filmroom.dedupe.fingerprint import THUMBNAIL_SIZE, Fingerprint, fingerprint
from filmroom.dedupe.hamming import pairs_within
from filmroom.dedupe.index import (
    MAX_COMBINED_HASH_DISTANCE,
    MAX_PHASH_DISTANCE,
    DedupeItem,
    find_duplicates,
    quality_rank,
)

BASELINE_DISTANCE = 10


def _baseline_hash(sample: Sample) -> int:
    """Hash as a plain imagehash user would: PIL image straight from the array."""
    image = Image.fromarray(sample.pixels)
    return int(str(imagehash.phash(image)), 16)


def _bits_stored(sample: Sample) -> int:
    return 8 if sample.pixels.dtype == np.uint8 else 16


def _score(predicted: set[tuple[int, int]], samples: list[Sample]) -> dict[str, float]:
    positives = {
        (i, j)
        for i, j in itertools.combinations(range(len(samples)), 2)
        if samples[i].identity == samples[j].identity
    }
    true_positives = len(predicted & positives)
    return {
        "pairs": len(samples) * (len(samples) - 1) // 2,
        "positives": len(positives),
        "predicted": len(predicted),
        "false_positives": len(predicted - positives),
        "precision": true_positives / len(predicted) if predicted else 1.0,
        "recall": true_positives / len(positives) if positives else 1.0,
    }


def _recall_by_transform(predicted: set[tuple[int, int]], samples: list[Sample]) -> Counter:
    """Count, per transform, copies not grouped with their source."""
    index = {sample.key: position for position, sample in enumerate(samples)}
    missed: Counter = Counter()
    for position, sample in enumerate(samples):
        if sample.transform in ("source", "mirror", "region"):
            continue
        source = index[f"{sample.identity}/source"]
        if (min(source, position), max(source, position)) not in predicted:
            missed[sample.transform] += 1
    return missed


def run_labelled(root: Path) -> None:
    samples = build_samples(root)
    started = time.perf_counter()
    prints = [fingerprint(sample.pixels, sample.photometric) for sample in samples]
    fingerprint_seconds = time.perf_counter() - started
    items = [
        DedupeItem(
            key=sample.key,
            fingerprint=print_,
            quality=quality_rank(
                original_dicom=sample.original_dicom,
                bits_stored=_bits_stored(sample),
                pixel_count=int(sample.pixels.shape[0] * sample.pixels.shape[1]),
                lossless=sample.lossless,
            ),
        )
        for sample, print_ in zip(samples, prints, strict=True)
    ]
    started = time.perf_counter()
    verdicts = find_duplicates(items)
    dedupe_seconds = time.perf_counter() - started
    root_of = {key: verdict.duplicate_of or key for key, verdict in verdicts.items()}
    ours = {
        (i, j)
        for i, j in itertools.combinations(range(len(samples)), 2)
        if root_of[samples[i].key] == root_of[samples[j].key]
    }
    baseline_hashes = np.array([_baseline_hash(sample) for sample in samples], dtype=np.uint64)
    baseline = {(int(i), int(j)) for i, j in pairs_within(baseline_hashes, BASELINE_DISTANCE)}
    review = sum(verdict.needs_review for verdict in verdicts.values())
    identity_of = {sample.key: sample.identity for sample in samples}

    print(f"images: {len(samples)} from {len({s.identity.split(':')[0] for s in samples})} sources")
    print(
        f"fingerprint: {fingerprint_seconds:.1f} s total; find_duplicates: {dedupe_seconds:.2f} s"
    )
    print("| method | pairs | positive pairs | predicted | false positives | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, predicted in (
        ("filmroom find_duplicates", ours),
        (f"imagehash pHash <= {BASELINE_DISTANCE}", baseline),
    ):
        score = _score(predicted, samples)
        print(
            f"| {name} | {score['pairs']} | {score['positives']} | {score['predicted']} | "
            f"{score['false_positives']} | {score['precision']:.2%} | {score['recall']:.2%} |"
        )
    print(f"items sent to review: {review}")
    _print_closest_negatives(samples, prints)
    print("copies missed, by transform (ours):", dict(_recall_by_transform(ours, samples)))
    print("copies missed, by transform (baseline):", dict(_recall_by_transform(baseline, samples)))
    for sample in samples:
        verdict = verdicts[sample.key]
        kept_identity = identity_of.get(verdict.duplicate_of or sample.key)
        if kept_identity != sample.identity or verdict.needs_review:
            print(
                f"  {sample.key} -> {verdict.duplicate_of} review={verdict.needs_review}: {verdict.evidence}"
            )


def _print_closest_negatives(samples: list[Sample], prints: list[Fingerprint]) -> None:
    """Print how close different films came to confirmation, among pHash candidates."""
    hashes = np.array([print_.phash for print_ in prints], dtype=np.uint64)
    correlations = []
    for i, j in pairs_within(hashes, MAX_PHASH_DISTANCE):
        if samples[i].identity == samples[j].identity:
            continue
        if aspect_change(prints[i].shape, prints[j].shape) > MAX_ASPECT_CHANGE:
            continue
        combined = (prints[i].phash ^ prints[j].phash).bit_count()
        combined += (prints[i].dhash ^ prints[j].dhash).bit_count()
        match = match_thumbnails(prints[i].thumbnail, prints[j].thumbnail)
        correlations.append((match.correlation, combined, samples[i].key, samples[j].key))
    correlations.sort(reverse=True)
    passing = [row for row in correlations if row[1] <= MAX_COMBINED_HASH_DISTANCE]
    print(
        f"different-film pairs within pHash {MAX_PHASH_DISTANCE} and aspect change "
        f"{MAX_ASPECT_CHANGE:.0%}: {len(correlations)}, of which {len(passing)} within "
        f"pHash + dHash {MAX_COMBINED_HASH_DISTANCE}"
    )
    for correlation, combined, first, second in correlations[:3]:
        print(f"  correlation {correlation:.3f}, pHash + dHash {combined}: {first} vs {second}")


def _synthetic_fingerprints(
    count: int, planted: int, rng: np.random.Generator
) -> list[Fingerprint]:
    """Make random fingerprints; the last ``planted`` copy earlier ones with a few bits flipped."""
    hashes = rng.integers(0, 2**63, size=count, dtype=np.uint64) * np.uint64(2) + rng.integers(
        0, 2, size=count, dtype=np.uint64
    )
    thumbnails = rng.integers(0, 256, size=(count, THUMBNAIL_SIZE, THUMBNAIL_SIZE), dtype=np.uint8)
    for offset in range(planted):
        copy, original = count - planted + offset, offset
        flips = rng.choice(64, size=int(rng.integers(0, MAX_PHASH_DISTANCE + 1)), replace=False)
        hashes[copy] = hashes[original] ^ np.uint64(sum(1 << int(bit) for bit in flips))
        noise = rng.integers(-4, 5, size=(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        thumbnails[copy] = np.clip(thumbnails[original].astype(int) + noise, 0, 255)
    return [
        Fingerprint(
            pixel_digest=f"{index:064x}",
            phash=int(hashes[index]),
            dhash=0,
            thumbnail=thumbnails[index],
            render_std=60.0,
            flat_fraction=0.0,
            shape=(2000, 1600),
            bit_depth=16,
        )
        for index in range(count)
    ]


def _peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_scale(count: int, planted: int = 1000) -> None:
    rng = np.random.default_rng(11)
    memory_before = _peak_memory_mib()
    prints = _synthetic_fingerprints(count, planted, rng)
    hashes = np.array([print_.phash for print_ in prints], dtype=np.uint64)
    memory_fingerprints = _peak_memory_mib()

    started = time.perf_counter()
    pairs = pairs_within(hashes, MAX_PHASH_DISTANCE)
    search_seconds = time.perf_counter() - started
    found = {(int(i), int(j)) for i, j in pairs}
    planted_found = sum((offset, count - planted + offset) in found for offset in range(planted))

    items = [
        DedupeItem(key=f"synthetic-{index:06d}", fingerprint=print_, quality=(False, 16, 0, True))
        for index, print_ in enumerate(prints)
    ]
    started = time.perf_counter()
    verdicts = find_duplicates(items)
    dedupe_seconds = time.perf_counter() - started
    duplicates = sum(verdict.duplicate_of is not None for verdict in verdicts.values())

    print(
        f"synthetic fingerprints: {count}, planted near pairs: {planted} (distance 0-{MAX_PHASH_DISTANCE})"
    )
    print(
        f"candidate search (pHash distance <= {MAX_PHASH_DISTANCE}): {search_seconds:.1f} s, {len(pairs)} pairs, planted found {planted_found}/{planted}"
    )
    print(f"find_duplicates: {dedupe_seconds:.1f} s, duplicates {duplicates}")
    print(
        f"peak RSS: {memory_before:.0f} MiB before, {memory_fingerprints:.0f} MiB with fingerprints, {_peak_memory_mib():.0f} MiB at end"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path("../shared/data"), help="folder of real test files"
    )
    parser.add_argument(
        "--scale", type=int, default=100_000, help="number of synthetic fingerprints; 0 skips"
    )
    parser.add_argument("--skip-labelled", action="store_true", help="run only the scale run")
    arguments = parser.parse_args(argv)
    # The scale run goes first: peak RSS covers the whole process, and the
    # labelled run's decoded images would otherwise dominate it.
    if arguments.scale:
        run_scale(arguments.scale)
    if not arguments.skip_labelled:
        run_labelled(arguments.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
