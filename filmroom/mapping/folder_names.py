"""Read owner, pet, chart number and study date from a share folder's name."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from filmroom.models import FieldValue, Reading

# Reading.evidence key that makes the matcher also weigh owner and pet swapped.
ORDER_UNCERTAIN = "owner_pet_order_uncertain"

PATTERNS_FILE = Path(__file__).with_name("folder_patterns.yaml")

_WORD = r"[^\W\d_][^\W\d_'’.-]*"
_PLACEHOLDERS = {
    "{name}": rf"{_WORD}(?:[ '’.-]+{_WORD})*?",
    "{word}": _WORD,
    "{date}": r"\d{4}[-.]\d{2}[-.]\d{2}|\d{1,2}[-.]\d{1,2}[-.]\d{4}|\d{8}|(?:19|20)\d{2}",
    "{id}": r"(?=[A-Za-z-]*\d)[A-Za-z0-9-]+",
}
_PLACEHOLDERS["{id_prefix}"] = (
    rf"(?:[#(\[]?(?P<chart_prefix>{_PLACEHOLDERS['{id}']})[)\]]?\s+(?:-\s+)?)?"
)
_PLACEHOLDERS["{tail}"] = (
    rf"(?:\s+(?P<date>{_PLACEHOLDERS['{date}']}))?"
    rf"(?:\s+[#(\[]?(?P<chart_number>{_PLACEHOLDERS['{id}']})[)\]]?)?"
)


@dataclass(frozen=True)
class FolderPattern:
    """One compiled folder-name pattern and the confidence of the fields it reads."""

    name: str
    regex: re.Pattern[str]
    confidence: float
    order_uncertain: bool = False


def _expand(template: str) -> str:
    # {id_prefix} and {tail} contain other placeholders, so they are expanded first.
    for placeholder in ("{id_prefix}", "{tail}", "{name}", "{word}", "{date}", "{id}"):
        template = template.replace(placeholder, _PLACEHOLDERS[placeholder])
    return template


@functools.cache
def _patterns() -> tuple[tuple[FolderPattern, ...], frozenset[str]]:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    patterns = tuple(
        FolderPattern(
            entry["name"],
            re.compile(_expand(entry["regex"]), re.IGNORECASE),
            float(entry["confidence"]),
            bool(entry.get("order_uncertain", False)),
        )
        for entry in data["patterns"]
    )
    return patterns, frozenset(str(w).casefold() for w in data["ignore_words"])


def _is_ignored(text: str, ignore_words: frozenset[str]) -> bool:
    key = re.sub(r"\s+", " ", re.sub(r"\d", "", text.casefold())).strip()
    return key in ignore_words


def _study_date(text: str) -> tuple[str | None, int | None]:
    """Return (ISO date, year) from a folder date; a bare year gives no ISO date.

    Year-first dates are read as Y-M-D. Year-last dates are read the US way, M-D-Y,
    unless the first number is over 12, which makes it D-M-Y.
    """
    us_form = re.fullmatch(r"(\d{1,2})[-.](\d{1,2})[-.](\d{4})", text)
    digits = re.sub(r"\D", "", text)
    if len(digits) == 4:
        return None, int(digits)
    try:
        if us_form:
            first, second, year = (int(part) for part in us_form.groups())
            month, day = (second, first) if first > 12 else (first, second)
            date = dt.date(year, month, day)
        else:
            date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None, None
    return date.isoformat(), date.year


UPPERCASE_SURNAME_CONFIDENCE = 0.85


def _is_surname_style(word: str) -> bool:
    """Return whether a word is written in capitals, as surnames are in many records."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def reading_from_folder_name(name: str) -> Reading | None:
    """Return the patient fields that a share folder's name contains, or None if it names no patient.

    Recognized forms include "Jones, Fluffy", "Jones, Fluffy 2011-04-02", "Jones Fluffy
    20110402", "12345 Jones, Fluffy" and "Jones, Fluffy (12345)". A bare year goes to
    ``evidence["study_year"]`` because it does not fix a study date.
    """
    text = re.sub(r"\s+", " ", name.replace("_", " ")).strip()
    patterns, ignore_words = _patterns()
    if not text or _is_ignored(text, ignore_words):
        return None

    for pattern in patterns:
        match = pattern.regex.match(text)
        if not match:
            continue
        groups = {k: v for k, v in match.groupdict().items() if v}
        owner, pet = groups.get("owner_last", ""), groups.get("pet_name", "")
        if _is_ignored(owner, ignore_words) or _is_ignored(pet, ignore_words):
            continue

        confidence = pattern.confidence
        order_uncertain = pattern.order_uncertain
        if order_uncertain and _is_surname_style(pet) and not _is_surname_style(owner):
            owner, pet = pet, owner
        if order_uncertain and _is_surname_style(owner) != _is_surname_style(pet):
            # Records are written with the surname in capitals ("SMITH Max"), which fixes the order.
            order_uncertain = False
            confidence = max(confidence, UPPERCASE_SURNAME_CONFIDENCE)
        fields = {
            "owner_last": FieldValue(owner.strip(), confidence, "folder_name"),
            "pet_name": FieldValue(pet.strip(), confidence, "folder_name"),
        }
        chart = groups.get("chart_number") or groups.get("chart_prefix")
        if chart:
            fields["chart_number"] = FieldValue(chart, 0.95, "folder_name")
        evidence: dict[str, object] = {"folder_pattern": pattern.name}
        if order_uncertain:
            evidence[ORDER_UNCERTAIN] = True
        if "date" in groups:
            iso_date, year = _study_date(groups["date"])
            if iso_date:
                fields["study_date"] = FieldValue(iso_date, 0.95, "folder_name")
            if year:
                evidence["study_year"] = year
        return Reading(fields=fields, text=name, mean_confidence=confidence, evidence=evidence)
    return None
