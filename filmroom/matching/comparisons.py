"""Comparison levels of one reading field against one patient field."""

from __future__ import annotations

import enum

from rapidfuzz.distance import Levenshtein

from filmroom.matching.keys import NameKey, PatientKeys
from filmroom.matching.normalize import id_confusable_key, id_key, id_without_zeros


class Level(str, enum.Enum):
    """Agreement level of two values, from exact to disagreeing."""

    EXACT = "exact"
    CONFUSABLE = "confusable"  # IDs equal once OCR-confusable characters are made equal
    ZEROS = "zeros"  # IDs equal only without leading zeros: different charts as a rule
    INITIAL = "initial"  # a first name against its initial
    CLOSE = "close"
    WEAK = "weak"
    DISAGREE = "disagree"


CLOSE_SIMILARITY = 0.85
WEAK_SIMILARITY = 0.70


def name_similarity(first: NameKey, second: NameKey) -> float:
    """Return the best normalized Levenshtein similarity over the two names' variants."""
    return max(
        Levenshtein.normalized_similarity(a, b, processor=None)
        for a in first.variants
        for b in second.variants
    )


def compare_name(
    read: NameKey, known: NameKey, *, allow_initial: bool = False
) -> tuple[Level, float] | None:
    """Return the level and similarity of two names, or None when either is empty."""
    if not read.variants or not known.variants:
        return None
    if set(read.variants) & set(known.variants):
        return Level.EXACT, 1.0
    if (
        allow_initial
        and (len(read.key) == 1 or len(known.key) == 1)
        and read.key[0] == known.key[0]
    ):
        return Level.INITIAL, 0.0
    similarity = name_similarity(read, known)
    if similarity >= CLOSE_SIMILARITY or (
        read.phonetic == known.phonetic and similarity >= WEAK_SIMILARITY
    ):
        return Level.CLOSE, similarity
    if similarity >= WEAK_SIMILARITY:
        return Level.WEAK, similarity
    return Level.DISAGREE, similarity


def compare_id(read_text: str, known: PatientKeys) -> Level:
    """Return how a chart number, barcode or old PatientID compares with a patient ID.

    A partial ID ("7" inside "X94678") is not a level of its own: it disagrees.
    NOTE: labels are compared with the patient ID only. A separate physical file number
    column (VetData FileNumber) is not loaded, because Patient has no field for it.
    """
    if id_key(read_text) == known.id_exact:
        return Level.EXACT
    if id_confusable_key(read_text) == known.id_confusable:
        return Level.CONFUSABLE
    stripped = id_without_zeros(read_text)
    if stripped and stripped == known.id_no_zeros:
        return Level.ZEROS
    return Level.DISAGREE


def compare_breed(read: str, known: str | None) -> Level | None:
    """Return EXACT when breeds agree (one may extend the other, "Lab" in "Lab mix"), else DISAGREE."""
    if not known:
        return None
    if read == known or read in known or known in read:
        return Level.EXACT
    return Level.DISAGREE
