"""QR codes and 1D barcodes on labels, decoded with OpenCV's detectors."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from filmroom.labels.images import shrink_to

logger = logging.getLogger(__name__)

MAX_SIDE = 1200  # pixels; decoding runs on a copy no larger than this to keep it fast


@dataclass(frozen=True)
class DecodedCode:
    """One decoded QR code or barcode."""

    kind: str  # "qr" or a 1D symbology such as "EAN_13" or "CODE_128"
    payload: str


def decode_codes(pixels8: np.ndarray) -> list[DecodedCode]:
    """Decode every QR code and 1D barcode that OpenCV finds in an 8-bit image."""
    image = shrink_to(pixels8, MAX_SIDE)
    found: list[DecodedCode] = []

    qr = cv2.QRCodeDetector()
    try:
        ok, payloads, _, _ = qr.detectAndDecodeMulti(image)
    except cv2.error as exc:
        logger.debug("QR detection failed: %s", exc)
        ok, payloads = False, ()
    if ok:
        found.extend(DecodedCode("qr", text) for text in payloads if text)

    if hasattr(cv2, "barcode"):
        detector = cv2.barcode.BarcodeDetector()
        try:
            ok, payloads, kinds, _ = detector.detectAndDecodeWithType(image)
        except cv2.error as exc:
            logger.debug("Barcode detection failed: %s", exc)
            ok, payloads, kinds = False, (), ()
        if ok:
            found.extend(
                DecodedCode(str(kind), text) for text, kind in zip(payloads, kinds) if text
            )
    return found
