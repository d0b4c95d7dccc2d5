"""Read a jacket label image into a Reading: OCR, orientation, barcodes and field parsing.

The cheap path is one Tesseract run on the prepared image in the orientation that
the text-line direction suggests. Only an implausible reading triggers orientation
detection and reads in other orientations.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from filmroom.labels.barcodes import decode_codes
from filmroom.labels.images import load_image, rotate_clockwise, window_to_8bit
from filmroom.labels.ocr import OcrResult, check_ocr_available, detect_orientation, run_ocr
from filmroom.labels.parse import parse_label_text, parse_label_words
from filmroom.labels.preprocess import binarize, prepare_label
from filmroom.mapping.label_patterns import default_patterns
from filmroom.models import FieldValue, Reading
from filmroom.settings import LabelSettings

__all__ = ["check_ocr_available", "parse_label_text", "read_label"]

logger = logging.getLogger(__name__)

KEY_FIELDS = ("owner_last", "pet_name", "chart_number", "study_date")
PLAUSIBLE_CONFIDENCE = 0.70  # mean word confidence of a reading that needs no other attempt
OSD_MIN_CONFIDENCE = 1.5  # Tesseract "Orientation confidence" below this is a guess
LINE_DIRECTION_CLEAR = 1.5  # word-blob vote ratio above which the text direction is taken as known
BINARIZE_BELOW = 0.5  # mean word confidence below which an adaptively binarized copy is also read
BARCODE_CONFIDENCE = 0.99
WORDLIKE = re.compile(r"^(?:[A-Za-z][a-z]+|[A-Z]{2,}|[A-Za-z]?[\d][\d./:#-]*|[A-Za-z]+[:#.,]?)$")


@dataclass
class Attempt:
    """One OCR run in one orientation and preprocessing, with its parsed fields."""

    rotation: int
    preprocessing: str
    ocr: OcrResult
    fields: dict[str, FieldValue]

    @property
    def score(self) -> float:
        """Plausibility from word confidences, parsed key fields and word-like tokens."""
        words = self.ocr.words
        if not words:
            return 0.0
        wordlike = sum(bool(WORDLIKE.match(word.text)) for word in words) / len(words)
        found = sum(name in self.fields for name in KEY_FIELDS)
        return 0.6 * self.ocr.mean_confidence + 0.2 * wordlike + 0.2 * found / len(KEY_FIELDS)

    @property
    def plausible(self) -> bool:
        """Whether the reading looks right enough to skip other orientations."""
        words = self.ocr.words
        if self.ocr.mean_confidence < PLAUSIBLE_CONFIDENCE or not words:
            return False
        found = sum(name in self.fields for name in KEY_FIELDS)
        wordlike = sum(bool(WORDLIKE.match(word.text)) for word in words) / len(words)
        return found >= 2 or (len(words) >= 5 and wordlike >= 0.85)


def _attempt(
    gray: np.ndarray, rotation: int, preprocessing: str, settings: LabelSettings
) -> Attempt:
    ocr = run_ocr(rotate_clockwise(gray, rotation), settings)
    return Attempt(rotation, preprocessing, ocr, parse_label_words(ocr.lines))


def _line_direction(gray: np.ndarray) -> tuple[str, float]:
    """Return ("horizontal" or "vertical", vote ratio) for the direction of the text lines.

    Characters are smeared into word blobs with a square closing about half a
    character wide. Word blobs are elongated along the line direction.
    """
    scale = 700.0 / max(gray.shape)
    small = (
        cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if scale < 1
        else gray
    )
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    sizes = [
        max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT])
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= 6
        and max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) < max(small.shape) * 0.2
    ]
    if len(sizes) < 3:
        return "horizontal", 1.0
    glyph = float(np.median(sizes))
    size = max(3, int(glyph * 0.6))
    blobs = cv2.morphologyEx(
        ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    )
    count, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    horizontal = vertical = 0.0
    for i in range(1, count):
        width, height, area = (
            stats[i, cv2.CC_STAT_WIDTH],
            stats[i, cv2.CC_STAT_HEIGHT],
            stats[i, cv2.CC_STAT_AREA],
        )
        if max(width, height) < glyph * 1.5 or max(width, height) > max(small.shape) * 0.9:
            continue
        if width >= height * 1.5:
            horizontal += area
        elif height >= width * 1.5:
            vertical += area
    if horizontal >= vertical:
        return "horizontal", float(horizontal / max(vertical, 1.0))
    return "vertical", float(vertical / max(horizontal, 1.0))


def _calibrate(
    fields: dict[str, FieldValue], attempt: Attempt, margin: float
) -> dict[str, FieldValue]:
    """Lower field confidences when the whole reading is doubtful.

    A field is only as trustworthy as the reading it came from. When Tesseract's mean
    word confidence is low (hand lettering, heavy blur), every field is capped just
    below that mean. An orientation chosen by a small score margin caps them at 0.7.
    """
    mean = attempt.ocr.mean_confidence
    cap = 1.0
    if mean < 0.85:
        cap = max(0.0, mean - 0.1)
    if margin < 0.1:
        cap = min(cap, 0.7)
    calibrated = {}
    for name, value in fields.items():
        confidence = min(value.confidence, cap)
        calibrated[name] = FieldValue(value.value, round(confidence, 3), value.source)
    return calibrated


def _apply_codes(fields: dict[str, FieldValue], codes: list, evidence: dict[str, object]) -> None:
    patterns = default_patterns()
    for code in codes:
        match = patterns.barcode_chart_regex.match(code.payload.strip().upper())
        if not match:
            continue
        number = match.group(1)
        ocr_chart = fields.get("chart_number")
        if ocr_chart and ocr_chart.value != number:
            evidence["ocr_chart_number"] = ocr_chart.value
        fields["barcode"] = FieldValue(code.payload.strip(), BARCODE_CONFIDENCE, "barcode")
        fields["chart_number"] = FieldValue(number, BARCODE_CONFIDENCE, "barcode")
        evidence["barcode_kind"] = code.kind
        return


def _write_crop(path: Path, color: np.ndarray, crop_dir: Path) -> Path:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    crop_dir.mkdir(parents=True, exist_ok=True)
    crop_path = crop_dir / f"{digest.hexdigest()}.png"
    if not cv2.imwrite(str(crop_path), color):
        raise OSError(f"failed to write label crop {crop_path}")
    return crop_path


def _choose(
    prepared_gray: np.ndarray, settings: LabelSettings, evidence: dict[str, object]
) -> tuple[Attempt, float]:
    """Read in the likeliest orientation first and try others only when the reading is implausible."""
    direction, strength = _line_direction(prepared_gray)
    evidence["line_direction"] = direction
    order = [0, 180, 90, 270] if direction == "horizontal" else [90, 270, 0, 180]
    attempts: dict[int, Attempt] = {}

    first = _attempt(prepared_gray, order[0], "flattened", settings)
    attempts[first.rotation] = first
    evidence["orientation_method"] = "upright_read" if order[0] == 0 else "line_direction"

    if not first.plausible:
        if strength < LINE_DIRECTION_CLEAR:
            # The line direction is unclear, so ask Tesseract's orientation detection,
            # which needs more characters than a short label has ("Too few characters").
            osd = detect_orientation(rotate_clockwise(prepared_gray, order[0]), settings)
            evidence["osd"] = (
                "failed" if osd is None else f"rotate {osd[0]} confidence {osd[1]:.2f}"
            )
            if osd is not None and osd[1] >= OSD_MIN_CONFIDENCE:
                rotation = (order[0] + osd[0]) % 360
                if rotation not in attempts:
                    attempts[rotation] = _attempt(prepared_gray, rotation, "flattened", settings)
                evidence["orientation_method"] = "tesseract_osd"
        best = max(attempts.values(), key=lambda attempt: attempt.score)
        if not best.plausible:
            # Read the opposite turn, and all turns when the line direction is unclear.
            candidates = order[1:2] if strength >= LINE_DIRECTION_CLEAR else order[1:]
            for rotation in candidates:
                if rotation not in attempts:
                    attempts[rotation] = _attempt(prepared_gray, rotation, "flattened", settings)
            evidence["orientation_method"] = "best_of_reads"

    ranked = sorted(attempts.values(), key=lambda attempt: attempt.score, reverse=True)
    best = ranked[0]
    margin = best.score - ranked[1].score if len(ranked) > 1 else 1.0

    ocr_runs = len(attempts)
    if best.ocr.mean_confidence < BINARIZE_BELOW:
        binary = _attempt(binarize(prepared_gray), best.rotation, "adaptive_binarized", settings)
        ocr_runs += 1
        if binary.score > best.score:
            best = binary
    evidence["ocr_runs"] = ocr_runs
    evidence["orientation_scores"] = {str(a.rotation): round(a.score, 3) for a in ranked}
    return best, margin


def read_label(path: Path, *, settings: LabelSettings, crop_dir: Path | None = None) -> Reading:
    """Read the owner, pet, chart number and study details from a jacket label image.

    An unreadable label gives empty or low-confidence fields instead of an exception.

    Raises
    ------
    BadInputError
        When the file is not a readable image.
    ConfigurationError
        When Tesseract or its language data is missing.
    OSError
        When the crop or the temporary image for Tesseract cannot be written.
    """
    path = Path(path)
    check_ocr_available(settings)
    loaded = load_image(path)
    pixels8 = window_to_8bit(loaded.pixels)
    evidence: dict[str, object] = {
        "bit_depth": loaded.bit_depth,
        "exif_rotation": loaded.exif_rotation,
    }

    codes = decode_codes(pixels8)
    evidence["barcode_found"] = bool(codes)

    prepared = prepare_label(pixels8)
    evidence["preprocessing"] = prepared.steps
    evidence["skew_degrees"] = prepared.skew_degrees

    best, margin = _choose(prepared.gray, settings, evidence)
    evidence["preprocessing"] = [*prepared.steps, best.preprocessing]
    evidence["orientation_margin"] = round(margin, 3)

    fields = _calibrate(best.fields, best, margin)
    _apply_codes(fields, codes, evidence)

    crop_path = None
    if crop_dir is not None:
        crop_path = _write_crop(
            path, rotate_clockwise(prepared.color, best.rotation), Path(crop_dir)
        )

    # File names can contain owner or pet names, so the log line leaves them out.
    logger.debug(
        "Read a label: %d fields, mean confidence %.2f, turned %d degrees, %s OCR runs",
        len(fields),
        best.ocr.mean_confidence,
        best.rotation,
        evidence["ocr_runs"],
    )
    return Reading(
        fields=fields,
        text=best.ocr.text,
        mean_confidence=round(best.ocr.mean_confidence, 3),
        orientation=(loaded.exif_rotation + best.rotation) % 360,
        crop_path=crop_path,
        evidence=evidence,
    )
