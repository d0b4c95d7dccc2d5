"""Decide whether a grayscale scan shows a radiograph in negative (MONOCHROME1).

The pixel values are never changed: an inverted-looking scan is stored as
MONOCHROME1 so that viewers display it with bone bright and air dark.
"""

from __future__ import annotations

import numpy as np

# A frame around the image, from 2 % to 10 % of each side inward. The outermost 2 %
# often shows the scanner bed or film edge rather than the radiograph.
_FRAME_OUTER = 0.02
_FRAME_INNER = 0.10


def looks_inverted(gray: np.ndarray) -> bool:
    """Return True when a grayscale radiograph scan shows air bright and bone dark.

    Rule: on a positive radiograph the air around the animal is exposed film, so a
    large area sits at the dark end of the range. On a negative (a reflective scan
    or an inverted export) the same area sits at the bright end. The image counts
    as negative only when all three hold, measured on the 0.5-99.5 percentile range:

    * the median of the frame (2-10 % in from each edge) is in the top 20 % of the range,
    * at least 25 % of all pixels are in the top 10 % of the range,
    * fewer than 5 % of all pixels are in the bottom 5 % of the range.

    The last condition keeps a collimated positive film (bright unexposed margins
    but black air inside the field) as MONOCHROME2. Images that meet only part of
    the rule stay MONOCHROME2, because a wrong MONOCHROME1 inverts the display.
    """
    if gray.ndim != 2 or min(gray.shape) < 20:
        return False

    # Subsample large scans to about 256 pixels on the short side: the rule uses
    # shares and percentiles only. Thresholds are compared in raw pixel values.
    step = max(1, min(gray.shape) // 256)
    sample = gray[::step, ::step]
    counts = np.bincount(sample.ravel(), minlength=1)
    cumulative = np.cumsum(counts)
    total = int(cumulative[-1])
    low = int(np.searchsorted(cumulative, total * 0.005, side="right"))
    high = int(np.searchsorted(cumulative, total * 0.995, side="left"))
    span = high - low
    if span <= 0:
        return False

    rows, columns = sample.shape
    top, bottom = int(rows * _FRAME_OUTER), int(rows * _FRAME_INNER)
    left, right = int(columns * _FRAME_OUTER), int(columns * _FRAME_INNER)
    frame = np.concatenate(
        [
            sample[top:bottom, left : columns - left].ravel(),
            sample[rows - bottom : rows - top, left : columns - left].ravel(),
            sample[bottom : rows - bottom, left:right].ravel(),
            sample[bottom : rows - bottom, columns - right : columns - left].ravel(),
        ]
    )
    if frame.size == 0:
        return False

    frame_bright = float(np.median(frame)) >= low + 0.80 * span
    bright_share = float(counts[int(np.ceil(low + 0.90 * span)) :].sum()) / total
    dark_share = float(counts[: int(low + 0.05 * span) + 1].sum()) / total
    return frame_bright and bright_share >= 0.25 and dark_share < 0.05
