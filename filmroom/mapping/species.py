"""Species and breed synonyms from ``species.yaml``, normalised for matching and for DICOM."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SPECIES_FILE = Path(__file__).with_name("species.yaml")

# Short codes such as "F" or "D" are species codes only in a species column. In free
# text they are too ambiguous, because an "F" is usually the sex. Words for the sex or
# age of an animal are also surnames (Doe, Lamb, Bull, Kidd), so they count only there too.
_NAME_LIKE = {
    "doe", "kid", "ram", "ewe", "lamb", "hen", "bull", "calf", "steer", "heifer", "cow", "sow",
    "boar", "hog", "mare", "colt", "filly", "foal", "stallion", "gelding", "pony", "rat", "mouse",
}
_AMBIGUOUS_IN_TEXT = {"d", "f", "fe", "can", "cap", "rep", "rab", "av", "gp", "fer", "por", "ov", "bov", "lag"} | _NAME_LIKE


def is_name_like(text: str) -> bool:
    """Return whether a species word is also a common name or surname ("Doe", "Lamb", "Bull")."""
    return _key(text) in _NAME_LIKE


@dataclass(frozen=True)
class SpeciesInfo:
    """A normalised species with its DICOM description and SNOMED CT code."""

    name: str
    dicom_description: str
    snomed_code: str
    snomed_meaning: str


@dataclass(frozen=True)
class BreedInfo:
    """A breed name and the species it implies, if any."""

    name: str
    species: str | None


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(".", "").strip().lower())


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, SpeciesInfo], dict[str, BreedInfo]]:
    data = yaml.safe_load(SPECIES_FILE.read_text(encoding="utf-8"))
    synonyms: dict[str, str] = {}
    species: dict[str, SpeciesInfo] = {}
    for name, entry in data["species"].items():
        code, meaning = entry["snomed"]
        species[name] = SpeciesInfo(name, entry["dicom"], str(code), meaning)
        synonyms[_key(name)] = name
        for synonym in entry["synonyms"]:
            synonyms[_key(str(synonym))] = name
    breeds = {_key(k): BreedInfo(v[0], v[1]) for k, v in data["breeds"].items()}
    return synonyms, species, breeds


def normalize_species(text: str | None, *, strict: bool = True) -> str | None:
    """Return the normalised species name for ``text``, or None when it names none.

    With ``strict`` False (free text such as an OCR line), short codes that are
    usually something else ("F" for female) are not taken as a species.
    """
    if not text:
        return None
    synonyms, _, breeds = _tables()
    key = _key(text)
    if not strict and key in _AMBIGUOUS_IN_TEXT:
        return None
    if key in synonyms:
        return synonyms[key]
    if key in breeds and breeds[key].species:
        return breeds[key].species
    return None


def species_info(name: str) -> SpeciesInfo | None:
    """Return the DICOM description and SNOMED code of a normalised species name."""
    return _tables()[1].get(name)


def normalize_breed(text: str | None) -> BreedInfo | None:
    """Return the breed that an abbreviation or name stands for, or None if unknown."""
    if not text:
        return None
    return _tables()[2].get(_key(text))


def species_compatible(first: str | None, second: str | None) -> bool | None:
    """Return whether two normalised species agree; None when either is unknown."""
    if not first or not second:
        return None
    return first == second
