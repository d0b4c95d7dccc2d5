"""Grouping of fingerprinted images into kept copies and their duplicates.

Rules, in order:

1. Equal pixel digests are exact duplicates. A constant image (every pixel one
   value, such as an all-black export) is the exception: equal constant frames
   from two sources are more likely two empty exports than one copied image, so
   they go to review. A byte-exact copy of a noisy blank film is an exact
   duplicate, because its noise pattern matches to the last bit.
2. Pairs whose pHashes differ in at most MAX_PHASH_DISTANCE bits are candidates.
   A candidate is a near duplicate only when all of these hold:
   - the width/height ratios differ by at most ``confirm.MAX_ASPECT_CHANGE``;
   - the pHash and dHash distances add up to at most MAX_COMBINED_HASH_DISTANCE;
   - the aligned thumbnails correlate by at least ``confirm.MIN_CORRELATION``;
   - that correlation beats the mirrored thumbnails by ``confirm.MIN_MIRROR_MARGIN``. A candidate pair with a
   near-uniform image is never merged, and both items go to review, as do
   possible mirrors.
3. Groups are not transitive. Items are visited best first (see ``quality_rank``).
   Each item not yet claimed becomes a kept item and claims every candidate that
   it confirms directly, so every duplicate was compared with its own kept item.
4. An archived item is always kept, even when it matches another archived item.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from filmroom.dedupe.confirm import (
    MAX_ASPECT_CHANGE,
    ThumbnailMatch,
    aspect_change,
    match_thumbnails,
)
from filmroom.dedupe.fingerprint import Fingerprint
from filmroom.dedupe.hamming import pairs_within

logger = logging.getLogger(__name__)

MAX_PHASH_DISTANCE = 12
# Sum of the pHash and dHash distances (of 128 bits) allowed for a near duplicate.
# On the labelled set of bench/dedupe/run.py, different films that passed the pHash
# search had sums of 22 or more and 99 % of copies had 20 or less.
MAX_COMBINED_HASH_DISTANCE = 20
MAX_LISTED_PAIRS = 3  # evidence names at most this many look-alikes per reason


@dataclass(frozen=True)
class DedupeItem:
    """One image to deduplicate, named by the caller's ``key``."""

    key: str
    fingerprint: Fingerprint
    quality: tuple  # larger is better; build it with quality_rank
    archived: bool = False  # stored by an earlier run, so always kept


@dataclass(frozen=True)
class DuplicateVerdict:
    """Outcome for one item: kept (``duplicate_of`` is None) or a duplicate of a kept item."""

    key: str
    duplicate_of: str | None = None
    kind: str | None = None  # "exact", "near" or None
    needs_review: bool = False
    evidence: str = ""


def quality_rank(
    *, original_dicom: bool, bits_stored: int, pixel_count: int, lossless: bool
) -> tuple:
    """Build the quality tuple of an item: original DICOM, bit depth, pixel count, lossless.

    Tuples compare in that order, so an original DICOM beats an export, then more
    bits stored, then more pixels, then lossless over lossy.
    """
    return (bool(original_dicom), int(bits_stored), int(pixel_count), bool(lossless))


def _rank_order(items: Sequence[DedupeItem]) -> list[int]:
    """Return item indexes best first: archived, then quality, then the smallest key."""
    by_key = sorted(range(len(items)), key=lambda index: items[index].key)
    return sorted(
        by_key, key=lambda index: (items[index].archived, items[index].quality), reverse=True
    )


class _Grouping:
    """Verdicts under construction; every item ends with exactly one verdict."""

    def __init__(self, items: Sequence[DedupeItem]) -> None:
        self.items = items
        self.claimed: dict[int, tuple[int, str, str]] = {}  # index -> (kept, kind, evidence)
        self.review: dict[int, list[str]] = defaultdict(list)
        self._pair_notes: dict[tuple[int, str], list[str]] = defaultdict(list)

    def note_pair(self, first: int, second: int, reason: str, detail: str) -> None:
        """Send both items of a pair that must not be merged to review, with the reason."""
        self._pair_notes[first, reason].append(f"{self.items[second].key} ({detail})")
        self._pair_notes[second, reason].append(f"{self.items[first].key} ({detail})")

    def _flush_pair_notes(self) -> None:
        for (index, reason), others in self._pair_notes.items():
            listed = "; ".join(others[:MAX_LISTED_PAIRS])
            more = len(others) - MAX_LISTED_PAIRS
            suffix = f" and {more} more" if more > 0 else ""
            self.review[index].append(f"not merged: {reason} {listed}{suffix}")
        self._pair_notes.clear()

    def verdicts(self) -> dict[str, DuplicateVerdict]:
        self._flush_pair_notes()
        result: dict[str, DuplicateVerdict] = {}
        for index, item in enumerate(self.items):
            notes = self.review.get(index, [])
            if index in self.claimed:
                kept, kind, evidence = self.claimed[index]
                result[item.key] = DuplicateVerdict(
                    key=item.key,
                    duplicate_of=self.items[kept].key,
                    kind=kind,
                    needs_review=bool(notes),
                    evidence="; ".join([evidence, *notes]),
                )
            else:
                result[item.key] = DuplicateVerdict(
                    key=item.key, needs_review=bool(notes), evidence="; ".join(notes)
                )
        return result


def _group_exact(grouping: _Grouping, order: list[int]) -> list[int]:
    """Claim exact duplicates by pixel digest; return one representative per digest."""
    items = grouping.items
    members: dict[str, list[int]] = defaultdict(list)
    for index in order:
        members[items[index].fingerprint.pixel_digest].append(index)
    representatives: list[int] = []
    for group in members.values():
        kept = group[0]
        representatives.append(kept)
        for other in group[1:]:
            if items[other].archived:
                representatives.append(other)
                grouping.review[other].append(
                    f"pixel digest equal to archived {items[kept].key}; both stay archived"
                )
            elif items[other].fingerprint.constant:
                representatives.append(other)
                grouping.note_pair(
                    kept, other, "constant image with pixel digest equal to", "exact"
                )
            else:
                grouping.claimed[other] = (kept, "exact", "pixel digest equal")
    return representatives


def _group_near(grouping: _Grouping, representatives: list[int], order: list[int]) -> None:
    """Claim confirmed near duplicates among the exact-group representatives."""
    items = grouping.items
    hashes = np.array(
        [items[index].fingerprint.phash for index in representatives], dtype=np.uint64
    )
    neighbours: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for first, second in pairs_within(hashes, MAX_PHASH_DISTANCE):
        distance = (int(hashes[first]) ^ int(hashes[second])).bit_count()
        left, right = representatives[first], representatives[second]
        neighbours[left].append((right, distance))
        neighbours[right].append((left, distance))
    logger.info(
        "dedupe: %s representatives, %s candidate pairs within pHash distance %s",
        len(representatives),
        sum(len(found) for found in neighbours.values()) // 2,
        MAX_PHASH_DISTANCE,
    )
    position = {index: rank for rank, index in enumerate(order)}
    kept_items: set[int] = set()
    for index in sorted(neighbours, key=position.__getitem__):
        if index in grouping.claimed:
            continue
        kept_items.add(index)
        for other, distance in sorted(neighbours[index], key=lambda pair: position[pair[0]]):
            if other in grouping.claimed or other in kept_items or items[other].archived:
                continue
            _judge_pair(grouping, index, other, distance)
    _claim_exact_copies_of_near(grouping)


def _judge_pair(grouping: _Grouping, kept: int, other: int, distance: int) -> None:
    """Compare one candidate with a kept item, then claim it or note why not."""
    items = grouping.items
    kept_print, other_print = items[kept].fingerprint, items[other].fingerprint
    hash_note = f"pHash distance {distance}"
    if kept_print.uniform or other_print.uniform:
        grouping.note_pair(kept, other, "near-uniform image similar to", hash_note)
        return
    change = aspect_change(kept_print.shape, other_print.shape)
    if change > MAX_ASPECT_CHANGE:
        return
    dhash_distance = (kept_print.dhash ^ other_print.dhash).bit_count()
    if distance + dhash_distance > MAX_COMBINED_HASH_DISTANCE:
        return
    hash_note = f"{hash_note}, dHash distance {dhash_distance}"
    match: ThumbnailMatch = match_thumbnails(kept_print.thumbnail, other_print.thumbnail)
    if match.confirmed:
        evidence = f"{hash_note}, {match.describe()}, aspect change {change:.1%}"
        grouping.claimed[other] = (kept, "near", evidence)
    elif match.possible_mirror:
        grouping.note_pair(
            kept, other, "possible mirror image of", f"{hash_note}, {match.describe()}"
        )


def _claim_exact_copies_of_near(grouping: _Grouping) -> None:
    """Point exact copies of a near duplicate at that near duplicate's kept item."""
    for index, (kept, kind, evidence) in list(grouping.claimed.items()):
        if kind != "exact" or kept not in grouping.claimed:
            continue
        final, _, near_evidence = grouping.claimed[kept]
        copy_key = grouping.items[kept].key
        grouping.claimed[index] = (
            final,
            "near",
            f"pixel digest equal to {copy_key}, which matches: {near_evidence}",
        )


def find_duplicates(items: Sequence[DedupeItem]) -> dict[str, DuplicateVerdict]:
    """Decide for every item whether it is kept or a duplicate of a kept item.

    Raises
    ------
    ValueError
        If two items share a key.
    """
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys):
        duplicated = sorted(key for key, count in Counter(keys).items() if count > 1)
        raise ValueError(f"item keys must be unique; repeated: {duplicated[:5]}")
    grouping = _Grouping(items)
    order = _rank_order(items)
    representatives = _group_exact(grouping, order)
    _group_near(grouping, representatives, order)
    verdicts = grouping.verdicts()
    logger.info(
        "dedupe: %s items, %s duplicates, %s need review",
        len(items),
        sum(verdict.duplicate_of is not None for verdict in verdicts.values()),
        sum(verdict.needs_review for verdict in verdicts.values()),
    )
    return verdicts
