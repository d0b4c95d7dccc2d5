"""Decide whether a greyscale scan shows a radiograph in negative (MONOCHROME1).

The pixel values are never changed: an inverted-looking scan is stored as
MONOCHROME1 so that viewers display it with bone bright and air dark.
"""

from __future__ import annotations

import numpy as np

# A frame around the image, from 2 % to 10 % of each side inward. The outermost 2 %
# often holds the scanner bed or film edge rather than the radiograph.
_FRAME_OUTER = 0.02
_FRAME_INNER = 0.10


def looks_inverted(grey: np.ndarray) -> bool:
    """Return True when a greyscale radiograph scan shows air bright and bone dark.

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
    if grey.ndim != 2 or min(grey.shape) < 20:
        return False

    # Subsample large scans: the decision uses percentiles only.
    step = max(1, min(grey.shape) // 512)
    sample = grey[::step, ::step].astype(np.float64)
    low, high = np.percentile(sample, [0.5, 99.5])
    span = high - low
    if span <= 0:
        return False
    scaled = (sample - low) / span

    rows, columns = scaled.shape
    top, bottom = int(rows * _FRAME_OUTER), int(rows * _FRAME_INNER)
    left, right = int(columns * _FRAME_OUTER), int(columns * _FRAME_INNER)
    frame = np.concatenate(
        [
            scaled[top:bottom, left : columns - left].ravel(),
            scaled[rows - bottom : rows - top, left : columns - left].ravel(),
            scaled[bottom : rows - bottom, left:right].ravel(),
            scaled[bottom : rows - bottom, columns - right : columns - left].ravel(),
        ]
    )
    if frame.size == 0:
        return False

    frame_bright = float(np.median(frame)) >= 0.80
    bright_share = float(np.mean(scaled >= 0.90))
    dark_share = float(np.mean(scaled <= 0.05))
    return frame_bright and bright_share >= 0.25 and dark_share < 0.05
