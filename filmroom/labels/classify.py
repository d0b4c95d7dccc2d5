"""Content-based classification of scanned pages: label, film, blank or separator.

The decision uses measured numbers only, never the file name, and keeps them in
``ScanClass.evidence`` for the ledger.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import cv2
import numpy as np

from filmroom.labels.images import load_image, shrink_to, to_gray, window_to_8bit
from filmroom.models import ScanClass

logger = logging.getLogger(__name__)

ANALYSIS_SIDE = 1000  # pixels on the longer side of the copy that is measured

# Thresholds on 8-bit analysis values, tuned on synthetic labels and films and on
# public radiographs, sticker photos and Tesseract test pages.
UNIFORM_RANGE = 0.06  # p1..p99 spread, as a fraction of full scale, of an empty page
COLORED_SATURATION = 60.0  # mean HSV saturation of a colored separator sheet
LABEL_PAPER_16BIT = 0.75  # paper fraction above which a 16-bit page with text edges is a label
DARK_PAGE_MEAN = 0.5  # mean level, as a fraction of full scale, below which a uniform page is not paper
PAPER_LEVEL = 170  # gray level above which a pixel counts as paper
DARK_LEVEL = 70
SEPARATOR_GLYPH_HEIGHT = (
    0.045  # glyph height, as a fraction of the page's longer side, of a separator word
)
# Sobel magnitude above which an edge counts as sharp. Printed and written text has
# many sharp edges. On 11 public radiographs 0.0003-0.008 of pixels were sharp edges,
# and on 17 public document scans and sticker photos 0.06-0.25.
SHARP_EDGE_LEVEL = 200.0
SHARP_EDGE_FRACTION = 0.02
FILM_ENTROPY = 5.5  # bits; gray-level histogram entropy of radiographs measured 6.1-7.9
PATCH_BAR_HEIGHT = 0.25  # solid bars this tall (fraction of page height) are a patch code


def _effective_full_scale(gray: np.ndarray) -> float:
    """Return the full scale of the bits actually used: 4095 for 12-bit values in 16-bit samples.

    Film scanners store 12 or 14 bits in 16-bit samples, so measuring against 65535
    would make every such film look uniform. At least 8 bits are assumed.
    """
    if gray.dtype != np.uint16:
        return 255.0
    bits = max(8, int(gray.max()).bit_length())
    return float(2**bits - 1)


def _native_spread(gray: np.ndarray) -> float:
    low, high = np.percentile(gray, [1, 99])
    return float(high - low) / _effective_full_scale(gray)


def _native_mean(gray: np.ndarray) -> float:
    return float(gray.mean()) / _effective_full_scale(gray)


def _histogram_entropy(gray8: np.ndarray) -> float:
    counts = np.bincount(gray8.ravel(), minlength=256).astype(np.float64)
    probabilities = counts[counts > 0] / gray8.size
    return float(-(probabilities * np.log2(probabilities)).sum())


def _sharp_edge_fraction(gray8: np.ndarray) -> float:
    gradient_x = cv2.Sobel(gray8, cv2.CV_32F, 1, 0)
    gradient_y = cv2.Sobel(gray8, cv2.CV_32F, 0, 1)
    magnitude = cv2.magnitude(gradient_x, gradient_y)
    return float(np.count_nonzero(magnitude > SHARP_EDGE_LEVEL)) / magnitude.size


def _glyph_boxes(gray8: np.ndarray) -> tuple[list[tuple[int, int, int, int]], int]:
    """Return boxes of dark character-sized blobs, and the number of tall solid bars."""
    height, width = gray8.shape
    _, binary = cv2.threshold(gray8, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    boxes = []
    bars = 0
    for index in range(1, count):
        x, y, w, h, area = stats[index]
        fill = area / float(w * h)
        if h >= height * PATCH_BAR_HEIGHT and fill >= 0.85 and w < h:
            bars += 1
            continue
        if h < 6 or h > height * 0.3 or w > width * 0.5:
            continue
        if 0.12 <= fill <= 0.95 and 0.1 <= w / h <= 4.0:
            boxes.append((int(x), int(y), int(w), int(h)))
    return boxes, bars


def _text_lines(boxes: list[tuple[int, int, int, int]]) -> tuple[int, float]:
    """Return the number of text rows with 3 or more glyphs, and the median glyph height."""
    if not boxes:
        return 0, 0.0
    heights = np.array([box[3] for box in boxes], dtype=np.float32)
    median_height = float(np.median(heights))
    centers = sorted(box[1] + box[3] / 2.0 for box in boxes)
    lines = 0
    run = 1
    for previous, current in itertools.pairwise(centers):
        if current - previous <= median_height * 0.5:
            run += 1
            continue
        lines += run >= 3
        run = 1
    lines += run >= 3
    return lines, median_height


def measure_page(path: Path) -> dict[str, float | str]:
    """Measure the numbers that ``classify_page`` decides on."""
    loaded = load_image(path)
    pixels = shrink_to(loaded.pixels, ANALYSIS_SIDE)
    gray_native = to_gray(pixels)
    gray8 = window_to_8bit(gray_native) if loaded.bit_depth == 16 else gray_native

    saturation = 0.0
    if pixels.ndim == 3:
        color8 = window_to_8bit(pixels) if loaded.bit_depth == 16 else pixels
        saturation = float(cv2.cvtColor(color8, cv2.COLOR_BGR2HSV)[:, :, 1].mean())

    boxes, bars = _glyph_boxes(gray8)
    line_count, glyph_height = _text_lines(boxes)
    total = float(gray8.size)
    return {
        "bit_depth": float(loaded.bit_depth),
        "native_spread": round(_native_spread(gray_native), 4),
        "native_mean": round(_native_mean(gray_native), 4),
        "mean": round(float(gray8.mean()), 2),
        "dark_fraction": round(float(np.count_nonzero(gray8 < DARK_LEVEL)) / total, 4),
        "paper_fraction": round(float(np.count_nonzero(gray8 >= PAPER_LEVEL)) / total, 4),
        "midtone_fraction": round(
            float(np.count_nonzero((gray8 >= DARK_LEVEL) & (gray8 < PAPER_LEVEL))) / total, 4
        ),
        "saturation": round(saturation, 2),
        "entropy_bits": round(_histogram_entropy(gray8), 3),
        "sharp_edge_fraction": round(_sharp_edge_fraction(gray8), 4),
        "glyph_count": float(len(boxes)),
        "patch_bars": float(bars),
        "text_lines": float(line_count),
        "glyph_height_fraction": round(glyph_height / max(gray8.shape), 4),
    }


def decide_class(evidence: dict[str, float | str]) -> tuple[str, float, str]:
    """Return (kind, confidence, rule) for measured page numbers."""
    spread = float(evidence["native_spread"])
    paper = float(evidence["paper_fraction"])
    sharp = float(evidence["sharp_edge_fraction"])
    lines = float(evidence["text_lines"])
    glyph_height = float(evidence["glyph_height_fraction"])
    saturation = float(evidence["saturation"])

    if spread < UNIFORM_RANGE:
        if saturation >= COLORED_SATURATION:
            return "separator", 0.9, "uniform colored sheet"
        # A nearly uniform dark page, or any 16-bit page (film scanners write 16 bits,
        # document scanners 8), may be an underexposed or blank film: keep it as a film
        # so that it is archived or reviewed, never skipped.
        if evidence["bit_depth"] == 16.0 or float(evidence["native_mean"]) < DARK_PAGE_MEAN:
            return "film", 0.5, "nearly uniform dark or 16-bit page, kept as a film"
        return "blank", 0.95, "uniform page"

    # A 16-bit page is a film unless it is bright paper with text edges: a label scanned in a
    # 16-bit batch is a label, but a film with burned-in markers or text stays a film. Labels
    # measured paper fraction 0.9 and more; films with text markers 0.2-0.6.
    if evidence["bit_depth"] == 16.0 and (sharp < SHARP_EDGE_FRACTION or paper < LABEL_PAPER_16BIT):
        return "film", 0.95, "16-bit page with tonal range"

    if float(evidence["patch_bars"]) >= 2 and lines <= 2:
        return "separator", 0.8, "tall solid bars of a patch code"

    if (
        1 <= lines <= 2
        and glyph_height >= SEPARATOR_GLYPH_HEIGHT
        and paper >= 0.5
        and sharp >= SHARP_EDGE_FRACTION / 4
    ):
        return "separator", 0.75, "few very large glyphs on a light page"

    if sharp >= SHARP_EDGE_FRACTION:
        confidence = 0.95 if sharp >= 2 * SHARP_EDGE_FRACTION else 0.75
        return "label", confidence, "sharp text edges"

    entropy = float(evidence["entropy_bits"])
    if sharp >= SHARP_EDGE_FRACTION / 6 and entropy < FILM_ENTROPY and lines >= 1:
        return "label", 0.6, "sparse text on paper"

    if entropy >= FILM_ENTROPY:
        return (
            "film",
            0.9 if sharp < SHARP_EDGE_FRACTION / 2 else 0.7,
            "broad gray tones without sharp text edges",
        )
    return "blank", 0.6, "few gray levels and no sharp edges"


def classify_page(path: Path) -> ScanClass:
    """Classify a scanned page by its content as ``label``, ``film``, ``blank`` or ``separator``.

    Raises
    ------
    BadInputError
        When the file is not a readable image.
    """
    evidence = measure_page(Path(path))
    kind, confidence, rule = decide_class(evidence)
    evidence["rule"] = rule
    # File names can contain owner or pet names, so the log line leaves them out.
    logger.debug("Classified a page as %s (%s)", kind, rule)
    return ScanClass(kind=kind, confidence=confidence, evidence=evidence)
