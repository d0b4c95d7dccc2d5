"""OpenCV preparation of a label image for Tesseract.

Steps: pick the gray channel with the most text contrast (dropping red stamp ink),
find the label's quadrilateral and correct its perspective, deskew small angles,
flatten the background and scale text to the height Tesseract reads best.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import cv2
import numpy as np

logger = logging.getLogger(__name__)

# Text height, in pixels, that labels are scaled to before OCR. NOTE: chosen to match
# 10-12 pt text scanned at 300 dpi, and not tuned further.
TARGET_TEXT_HEIGHT = 32.0
MAX_UPSCALE = 4.0
MAX_SKEW_DEGREES = 10.0
MIN_LABEL_AREA = 0.08  # smallest label quadrilateral, as a fraction of the image
MAX_LABEL_AREA = 0.92  # larger quadrilaterals are the scan border, not a label


@dataclass
class Prepared:
    """A label image ready for OCR and how it was made."""

    gray: np.ndarray  # 8-bit, text dark on light
    color: np.ndarray  # the same crop in color (or gray), for the review crop
    steps: list[str] = field(default_factory=list)
    skew_degrees: float = 0.0
    scale: float = 1.0


def remove_red_ink(bgr: np.ndarray) -> tuple[np.ndarray, bool]:
    """Paint strongly red pixels (stamp ink) with the paper color.

    Returns the cleaned image and whether any red ink was found.
    """
    blue, green, red = (channel.astype(np.int16) for channel in cv2.split(bgr))
    mask = ((red - np.maximum(green, blue)) > 60).astype(np.uint8)
    if mask.mean() < 0.002:
        return bgr, False
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    background = cv2.medianBlur(bgr, 21)
    cleaned = bgr.copy()
    cleaned[mask > 0] = background[mask > 0]
    # Where the stamp covered text, the median is still reddish, but its red channel is as
    # bright as paper.
    paper = cv2.merge([bgr[:, :, 2]] * 3)
    cleaned[mask > 0] = np.maximum(cleaned[mask > 0], paper[mask > 0])
    return cleaned, True


def _otsu_separation(gray: np.ndarray) -> float:
    """Return Otsu's between-class variance divided by total variance (0..1)."""
    small = cv2.resize(
        gray, (max(1, gray.shape[1] // 4), max(1, gray.shape[0] // 4)), interpolation=cv2.INTER_AREA
    )
    threshold, _ = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    values = small.astype(np.float32).ravel()
    total = values.var()
    if total < 1e-6:
        return 0.0
    dark = values[values <= threshold]
    light = values[values > threshold]
    if dark.size == 0 or light.size == 0:
        return 0.0
    weight = dark.size / values.size
    return float(weight * (1 - weight) * (dark.mean() - light.mean()) ** 2 / total)


def best_text_channel(bgr: np.ndarray) -> tuple[np.ndarray, str]:
    """Return the gray channel (luma, red, green or blue) with the clearest text contrast."""
    candidates = {"luma": cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)}
    saturation = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[:, :, 1].mean()
    if saturation < 25:
        return candidates["luma"], "luma"
    blue, green, red = cv2.split(bgr)
    candidates.update({"red": red, "green": green, "blue": blue})
    name = max(candidates, key=lambda key: _otsu_separation(candidates[key]))
    return candidates[name], name


def _order_corners(points: np.ndarray) -> np.ndarray:
    points = points.reshape(4, 2).astype(np.float32)
    total = points.sum(axis=1)
    diff = np.diff(points, axis=1).ravel()
    return np.array(
        [
            points[np.argmin(total)],
            points[np.argmin(diff)],
            points[np.argmax(total)],
            points[np.argmax(diff)],
        ],
        dtype=np.float32,
    )


def find_label_quad(gray: np.ndarray) -> np.ndarray | None:
    """Return the four corners of a bright label or sheet on a darker background, or None."""
    height, width = gray.shape
    scale = 800.0 / max(height, width)
    small = (
        cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if scale < 1
        else gray
    )
    scale = min(scale, 1.0)
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Close the text holes so the label is one solid region.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area_total = float(small.shape[0] * small.shape[1])
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        fraction = cv2.contourArea(contour) / area_total
        if not MIN_LABEL_AREA <= fraction <= MAX_LABEL_AREA:
            continue
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
        if len(approx) != 4:
            rect = cv2.minAreaRect(contour)
            if cv2.contourArea(contour) / max(rect[1][0] * rect[1][1], 1.0) < 0.85:
                continue
            approx = cv2.boxPoints(rect)
        return _order_corners(np.asarray(approx)) / scale
    return None


def warp_quad(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Map a quadrilateral onto an upright rectangle (perspective correction)."""
    top_left, top_right, bottom_right, bottom_left = corners
    width = int(
        max(np.linalg.norm(top_right - top_left), np.linalg.norm(bottom_right - bottom_left))
    )
    height = int(
        max(np.linalg.norm(bottom_left - top_left), np.linalg.norm(bottom_right - top_right))
    )
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(
        image,
        matrix,
        (max(width, 1), max(height, 1)),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _ink_mask(gray: np.ndarray) -> np.ndarray:
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )


def estimate_skew(gray: np.ndarray) -> float:
    """Return the small rotation (degrees, counter-clockwise positive) that levels the text lines.

    Searches angles within +-10 degrees for the sharpest horizontal projection profile.
    """
    scale = 600.0 / max(gray.shape)
    small = (
        cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if scale < 1
        else gray
    )
    ink = _ink_mask(small)
    if np.count_nonzero(ink) < 50:
        return 0.0
    center = (small.shape[1] / 2.0, small.shape[0] / 2.0)

    def sharpness(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(center, angle, 1.0)
        turned = cv2.warpAffine(
            ink, matrix, (small.shape[1], small.shape[0]), flags=cv2.INTER_NEAREST
        )
        profile = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    coarse = max(np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.1, 1.0), key=sharpness)
    fine = max(np.arange(coarse - 0.8, coarse + 0.81, 0.2), key=sharpness)
    return float(round(fine, 2))


def rotate_small(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate by a small angle (counter-clockwise positive), filling corners with the edge color."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), degrees, 1.0)
    return cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def flatten_background(gray: np.ndarray) -> np.ndarray:
    """Divide by a blurred background estimate, removing stains, shading and paper color."""
    size = max(31, (min(gray.shape) // 8) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size // 2 | 1, size // 2 | 1))
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel)
    background = cv2.medianBlur(background, 5)
    flat = cv2.divide(gray, background, scale=255)
    return cv2.normalize(flat, None, 0, 255, cv2.NORM_MINMAX)


def text_height(gray: np.ndarray) -> float:
    """Return the 75th-percentile height of character-sized ink blobs, or 0 when there are fewer than 3."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = [
        stats[i, cv2.CC_STAT_HEIGHT]
        for i in range(1, count)
        if 4 <= stats[i, cv2.CC_STAT_HEIGHT] <= gray.shape[0] * 0.4
        and stats[i, cv2.CC_STAT_AREA] >= 8
        and 0.1 <= stats[i, cv2.CC_STAT_WIDTH] / stats[i, cv2.CC_STAT_HEIGHT] <= 3.0
    ]
    return float(np.percentile(heights, 75)) if len(heights) >= 3 else 0.0


def binarize(gray: np.ndarray) -> np.ndarray:
    """Threshold adaptively (Gaussian-weighted local mean) for uneven or faded labels."""
    block = max(15, (int(text_height(gray) * 1.5) | 1))
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 12
    )


def prepare_label(pixels8: np.ndarray) -> Prepared:
    """Crop, level and clean a label photo or scan for OCR.

    ``pixels8`` is an 8-bit gray or BGR image. The result keeps the input's
    orientation, because the reader handles 90/180/270-degree turns.
    """
    steps: list[str] = []
    color = pixels8
    if pixels8.ndim == 3:
        color, had_red = remove_red_ink(pixels8)
        if had_red:
            steps.append("red_ink_removed")
        gray, channel = best_text_channel(color)
        steps.append(f"channel_{channel}")
    else:
        gray = pixels8

    corners = find_label_quad(gray)
    if corners is not None:
        gray = warp_quad(gray, corners)
        color = warp_quad(color, corners)
        steps.append("label_quad")

    skew = estimate_skew(gray)
    if abs(skew) >= 0.3:
        gray = rotate_small(gray, skew)
        color = rotate_small(color, skew)
        steps.append("deskew")

    gray = flatten_background(gray)
    steps.append("background_flattened")

    scale = 1.0
    height = text_height(gray)
    if 0 < height < TARGET_TEXT_HEIGHT * 0.75:
        scale = min(MAX_UPSCALE, TARGET_TEXT_HEIGHT / height)
    elif height > TARGET_TEXT_HEIGHT * 2.5:
        scale = TARGET_TEXT_HEIGHT * 1.5 / height
    if abs(scale - 1.0) > 0.1:
        interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation)
        steps.append(f"scaled_{scale:.2f}")
    return Prepared(gray=gray, color=color, steps=steps, skew_degrees=skew, scale=scale)
