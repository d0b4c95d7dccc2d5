"""Confirmation of a perceptual-hash match by correlating aligned thumbnails.

Two equalized 32x32 thumbnails are compared by normalized cross-correlation after
a small search over rotation, scale and shift, which covers rescans with a few
degrees of skew and crops of up to about 5 %. The same search against the
mirrored thumbnails separates a copy from a left-right (or top-bottom) flip.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

ROTATIONS_DEGREES = (-4.0, -2.0, 0.0, 2.0, 4.0)
SCALES = (0.94, 1.0, 1.06)
MAX_SHIFT = 3  # thumbnail pixels, about 9 % of the width
# Thresholds measured on the labelled set of bench/dedupe/run.py (see docs/benchmarks.md).
MIN_CORRELATION = 0.95
# A copy beats its own mirror by (1 - symmetry) and a mirror loses by as much, so a
# small margin separates them. Near-symmetric films (a dental panoramic scores 0.987
# against its mirror) fall below it and go to review instead.
MIN_MIRROR_MARGIN = 0.01
# Largest relative change of the width/height ratio between copies: a crop of up to
# 5 % on each side changes it by up to about 11 %.
MAX_ASPECT_CHANGE = 0.12


@dataclass(frozen=True)
class ThumbnailMatch:
    """Best aligned correlations of one thumbnail with another and with its mirrors."""

    correlation: float
    mirrored_correlation: float  # best of the left-right and top-bottom flips

    @property
    def mirror_margin(self) -> float:
        return self.correlation - self.mirrored_correlation

    @property
    def confirmed(self) -> bool:
        """Whether the images are the same film: highly correlated and not a mirror."""
        return self.correlation >= MIN_CORRELATION and self.mirror_margin >= MIN_MIRROR_MARGIN

    @property
    def possible_mirror(self) -> bool:
        """Whether one image may be the other flipped, or the film is too symmetric to tell."""
        return self.correlation >= MIN_CORRELATION and self.mirror_margin < MIN_MIRROR_MARGIN

    def describe(self) -> str:
        return (
            f"thumbnail correlation {self.correlation:.3f}, "
            f"mirrored {self.mirrored_correlation:.3f}"
        )


def aspect_change(first_shape: tuple[int, int], second_shape: tuple[int, int]) -> float:
    """Return the relative difference of two (rows, columns) width/height ratios."""
    first = first_shape[1] / first_shape[0]
    second = second_shape[1] / second_shape[0]
    return max(first, second) / min(first, second) - 1.0


def _best_aligned_correlation(fixed: np.ndarray, moving: np.ndarray) -> float:
    """Return the maximum NCC of the center of ``fixed`` over warps and shifts of ``moving``."""
    size = fixed.shape[0]
    template = fixed[MAX_SHIFT : size - MAX_SHIFT, MAX_SHIFT : size - MAX_SHIFT]
    center = ((size - 1) / 2, (size - 1) / 2)
    best = -1.0
    for angle, scale in itertools.product(ROTATIONS_DEGREES, SCALES):
        matrix = cv2.getRotationMatrix2D(center, angle, scale)
        warped = cv2.warpAffine(
            moving, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        scores = cv2.matchTemplate(warped, template, cv2.TM_CCOEFF_NORMED)
        best = max(best, float(scores.max()))
    return best


def match_thumbnails(first: np.ndarray, second: np.ndarray) -> ThumbnailMatch:
    """Correlate two thumbnails, and the first with the mirrors of the second."""
    fixed = first.astype(np.float32)
    moving = second.astype(np.float32)
    if fixed.std() == 0 or moving.std() == 0:
        return ThumbnailMatch(correlation=0.0, mirrored_correlation=0.0)
    correlation = _best_aligned_correlation(fixed, moving)
    mirrored = max(
        _best_aligned_correlation(fixed, np.ascontiguousarray(moving[:, ::-1])),
        _best_aligned_correlation(fixed, np.ascontiguousarray(moving[::-1, :])),
    )
    return ThumbnailMatch(correlation=correlation, mirrored_correlation=mirrored)
