"""Verify a sample of stored instances by retrieving them and comparing pixels with the staged files."""

from __future__ import annotations

import logging
import math
import random
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom

from filmroom.destinations.base import Destination
from filmroom.errors import DestinationError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyResult:
    """The comparison of one retrieved instance with its staged file."""

    sop_instance_uid: str
    ok: bool
    reason: str = ""  # empty when ok


def choose_sample(
    studies: Mapping[str, str], fraction: float, *, min_per_study: bool, seed: int | None
) -> list[str]:
    """Pick at least ``ceil(fraction * n)`` UIDs and, with ``min_per_study``, one per study.

    ``studies`` maps each SOP Instance UID to its Study Instance UID. The result is in
    input order, and the same seed gives the same sample.
    """
    if not studies:
        return []
    rng = random.Random(seed)
    chosen: set[str] = set()
    if min_per_study:
        by_study: dict[str, list[str]] = defaultdict(list)
        for uid, study in studies.items():
            by_study[study].append(uid)
        for study in sorted(by_study):
            chosen.add(rng.choice(by_study[study]))

    target = math.ceil(fraction * len(studies))
    remaining = [uid for uid in studies if uid not in chosen]
    if target > len(chosen):
        chosen.update(rng.sample(remaining, min(target - len(chosen), len(remaining))))
    return [uid for uid in studies if uid in chosen]


def _transfer_syntax(dataset: pydicom.Dataset) -> str:
    meta = getattr(dataset, "file_meta", None)
    return str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""


def compare_instances(retrieved: pydicom.Dataset, staged: pydicom.Dataset) -> str:
    """Return '' when identity and pixels match, else the first difference found.

    Pixel Data in the same transfer syntax is compared byte for byte; otherwise, as
    after a transcoding archive, the decoded pixel values are compared.
    """
    for keyword in ("SOPInstanceUID", "PatientID", "StudyInstanceUID"):
        actual = str(retrieved.get(keyword, ""))
        expected = str(staged.get(keyword, ""))
        if actual != expected:
            return f"{keyword} differs: destination has {actual!r}, staged file has {expected!r}"

    has_retrieved = "PixelData" in retrieved
    has_staged = "PixelData" in staged
    if has_retrieved != has_staged:
        return "Pixel Data is present in only one of the two"
    if not has_staged:
        return ""
    if _transfer_syntax(retrieved) == _transfer_syntax(staged) and retrieved.PixelData == staged.PixelData:
        return ""
    try:
        actual_pixels = retrieved.pixel_array
        expected_pixels = staged.pixel_array
    except (ValueError, RuntimeError, NotImplementedError, AttributeError) as exc:
        # pydicom and its decoder plugins raise these for pixel data they cannot decode.
        return f"encoded pixel data differs and cannot be decoded to compare: {exc}"
    if actual_pixels.shape != expected_pixels.shape:
        return f"pixel array shape differs: {actual_pixels.shape} != {expected_pixels.shape}"
    if not np.array_equal(actual_pixels, expected_pixels):
        differing = int(np.count_nonzero(actual_pixels != expected_pixels))
        return f"{differing} decoded pixel values differ"
    return ""


def verify_sample(
    destination: Destination,
    sop_uids_with_expected: Mapping[str, Path],
    fraction: float,
    *,
    min_per_study: bool = True,
    seed: int | None = None,
    workers: int = 4,
) -> list[VerifyResult]:
    """Retrieve a sample of instances and compare each with its staged file.

    Chooses at least ``fraction`` of the UIDs and, with ``min_per_study``, at least one
    per study. ``workers`` threads call ``destination.fetch`` in parallel, so the
    destination must allow concurrent calls (all filmroom destinations do). A retrieval
    error counts as a mismatch with the error as the reason. Returns one result per
    sampled UID, in the order of ``sop_uids_with_expected``.
    """
    staged_studies: dict[str, str] = {}
    staged_syntaxes: dict[str, str] = {}
    for uid, path in sop_uids_with_expected.items():
        header = pydicom.dcmread(path, stop_before_pixels=True)
        staged_studies[uid] = str(header.get("StudyInstanceUID", ""))
        staged_syntaxes[uid] = _transfer_syntax(header)

    sample = choose_sample(staged_studies, fraction, min_per_study=min_per_study, seed=seed)

    def verify_one(uid: str) -> VerifyResult:
        try:
            retrieved = destination.fetch(
                uid, transfer_syntax_uid=staged_syntaxes[uid] or None
            )
        except KeyError:
            return VerifyResult(uid, False, f"instance not found at {destination.name}")
        except DestinationError as exc:
            return VerifyResult(uid, False, f"retrieval failed: {exc}")
        reason = compare_instances(retrieved, pydicom.dcmread(sop_uids_with_expected[uid]))
        return VerifyResult(uid, not reason, reason)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="verify") as pool:
        results = list(pool.map(verify_one, sample))

    failed = sum(1 for result in results if not result.ok)
    logger.info(
        "Verified %d of %d instances at %s: %d mismatches",
        len(results),
        len(staged_studies),
        destination.name,
        failed,
    )
    return results
