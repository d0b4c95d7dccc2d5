"""Tesseract calls: availability check, word-level OCR and orientation detection."""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract
from pytesseract import Output

from filmroom.errors import ConfigurationError
from filmroom.labels.parse import Word
from filmroom.settings import LabelSettings

logger = logging.getLogger(__name__)

INSTALL_HINT = "Install it with: apt-get install tesseract-ocr tesseract-ocr-eng"


@dataclass(frozen=True)
class OcrResult:
    """Words of one Tesseract run grouped into text lines, top to bottom."""

    lines: list[list[Word]]

    @property
    def words(self) -> list[Word]:
        return [word for line in self.lines for word in line]

    @property
    def text(self) -> str:
        return "\n".join(" ".join(word.text for word in line) for line in self.lines)

    @property
    def mean_confidence(self) -> float:
        words = self.words
        return sum(word.confidence for word in words) / len(words) if words else 0.0


def _use_command(settings: LabelSettings) -> None:
    # pytesseract reads the binary path from a module attribute.
    pytesseract.pytesseract.tesseract_cmd = settings.tesseract_cmd or "tesseract"
    # Tesseract's OpenMP threads oversubscribe the CPU when several labels are read in
    # parallel, so each Tesseract process gets one thread unless OMP_THREAD_LIMIT is set.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@functools.cache
def _check(command: str, language: str) -> None:
    try:
        version = pytesseract.get_tesseract_version()
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, FileNotFoundError, PermissionError):
        raise ConfigurationError(
            f"Tesseract OCR not found (command {command!r}). {INSTALL_HINT}, "
            "or set labels.tesseract_cmd to the binary's path."
        ) from None
    except pytesseract.TesseractError as exc:
        raise ConfigurationError(
            f"Tesseract OCR at {command!r} failed to start: {exc}. {INSTALL_HINT}"
        ) from None
    missing = [code for code in language.split("+") if code not in languages]
    if missing:
        raise ConfigurationError(
            f"Tesseract language data {', '.join(missing)} not installed (found: {', '.join(languages)}). "
            f"Install it with: apt-get install {' '.join('tesseract-ocr-' + code for code in missing)}"
        )
    logger.info("Tesseract %s found with languages %s", version, language)


def check_ocr_available(settings: LabelSettings) -> None:
    """Check that the Tesseract binary and the configured language data are installed.

    A successful check is cached per command and language, so the flow can call this
    once per run and each label read can call it again cheaply.

    Raises
    ------
    ConfigurationError
        Saying which package to install when Tesseract or its language data is missing.
    """
    _use_command(settings)
    _check(settings.tesseract_cmd or "tesseract", settings.language)


def run_ocr(image: np.ndarray, settings: LabelSettings, page_segmentation: int = 6) -> OcrResult:
    """Run one Tesseract recognition and return its words with confidences in [0, 1]."""
    _use_command(settings)
    # An uncompressed BMP is much faster to write than the PNG that pytesseract makes.
    with tempfile.TemporaryDirectory(prefix="filmroom-ocr-") as folder:
        image_path = os.path.join(folder, "label.bmp")
        if not cv2.imwrite(image_path, image):
            raise OSError(f"failed to write a temporary image to {folder}")
        try:
            data = pytesseract.image_to_data(
                image_path,
                lang=settings.language,
                config=f"--psm {page_segmentation}",
                output_type=Output.DICT,
            )
        except pytesseract.TesseractError as exc:
            # An image Tesseract cannot process reads as no text, so the label goes to review.
            logger.warning(
                "Tesseract failed on a %dx%d label image: %s", image.shape[1], image.shape[0], exc
            )
            return OcrResult(lines=[])

    grouped: dict[tuple[int, int, int], list[tuple[int, Word]]] = {}
    for index, text in enumerate(data["text"]):
        confidence = float(data["conf"][index])
        if not text or not text.strip() or confidence < 0:
            continue
        key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        grouped.setdefault(key, []).append(
            (data["left"][index], Word(text.strip(), confidence / 100.0))
        )
    lines = [
        [word for _, word in sorted(words, key=lambda item: item[0])]
        for _, words in sorted(grouped.items())
    ]
    return OcrResult(lines=lines)


_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_ORIENTATION_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")


def detect_orientation(image: np.ndarray, settings: LabelSettings) -> tuple[int, float] | None:
    """Return (clockwise degrees to turn the image upright, OSD confidence), or None.

    Tesseract's orientation detection needs enough characters. On short labels it fails
    with "Too few characters", and this returns None so the caller can try each turn.
    """
    _use_command(settings)
    try:
        output = pytesseract.image_to_osd(image, config="--psm 0 -c min_characters_to_try=10")
    except pytesseract.TesseractError as exc:
        logger.debug("Orientation detection failed: %s", str(exc).strip()[:120])
        return None
    rotate = _ROTATE.search(output)
    confidence = _ORIENTATION_CONFIDENCE.search(output)
    if not rotate or not confidence:
        return None
    return int(rotate.group(1)) % 360, float(confidence.group(1))
