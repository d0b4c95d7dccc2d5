"""Comparison keys of patients and readings, computed once per record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from filmroom.mapping.species import normalize_breed, normalize_species
from filmroom.matching.normalize import (
    id_confusable_key,
    id_key,
    id_without_zeros,
    name_variants,
    phonetic_key,
)
from filmroom.models import Patient, Reading


@dataclass(frozen=True)
class NameKey:
    """A name's normalized variants and the Metaphone key of the first one."""

    variants: tuple[str, ...]
    phonetic: str

    @classmethod
    def of(cls, text: str) -> NameKey:
        variants = name_variants(text)
        return cls(variants, phonetic_key(variants[0]) if variants else "")

    @property
    def key(self) -> str:
        return self.variants[0] if self.variants else ""


@dataclass(frozen=True)
class PatientKeys:
    """A patient's fields as the matcher compares them."""

    patient: Patient
    id_exact: str
    id_confusable: str
    id_no_zeros: str
    owner_last: NameKey
    owner_first: NameKey
    pet_name: NameKey
    species: str | None
    breed: str | None

    @classmethod
    def of(cls, patient: Patient) -> PatientKeys:
        breed = normalize_breed(patient.breed)
        return cls(
            patient=patient,
            id_exact=id_key(patient.patient_id),
            id_confusable=id_confusable_key(patient.patient_id),
            id_no_zeros=id_without_zeros(patient.patient_id),
            owner_last=NameKey.of(patient.owner_last),
            owner_first=NameKey.of(patient.owner_first),
            pet_name=NameKey.of(patient.pet_name),
            species=patient.species or (breed.species if breed else None),
            breed=(breed.name if breed else patient.breed or "").casefold() or None,
        )


@dataclass(frozen=True)
class ReadField:
    """One field of a reading as compared, with the confidence that it is exactly right."""

    text: str
    confidence: float


@dataclass(frozen=True)
class ReadingKeys:
    """A reading's fields as the matcher compares them. Absent fields are None or missing keys."""

    ids: dict[str, ReadField]  # "chart_number", "barcode", "patient_id_legacy"
    names: dict[str, tuple[NameKey, float]]  # "owner_last", "owner_first", "pet_name"
    species: ReadField | None
    breed: ReadField | None
    study_date: dt.date | None

    @classmethod
    def of(cls, reading: Reading, study_date: dt.date | None) -> ReadingKeys:
        ids = {}
        for name in ("barcode", "chart_number", "patient_id_legacy"):
            found = reading.fields.get(name)
            if found and id_key(found.value):
                ids[name] = ReadField(found.value, _clamp(found.confidence))
        names = {}
        for name in ("owner_last", "owner_first", "pet_name"):
            found = reading.fields.get(name)
            if found:
                key = NameKey.of(found.value)
                if key.variants:
                    names[name] = (key, _clamp(found.confidence))

        species = breed = None
        breed_field = reading.fields.get("breed")
        breed_info = normalize_breed(breed_field.value) if breed_field else None
        if breed_field and breed_field.value.strip():
            breed_name = breed_info.name if breed_info else breed_field.value.strip()
            breed = ReadField(breed_name.casefold(), _clamp(breed_field.confidence))
        species_field = reading.fields.get("species")
        species_name = normalize_species(species_field.value) if species_field else None
        if species_name and species_field:
            species = ReadField(species_name, _clamp(species_field.confidence))
        elif breed_info and breed_info.species and breed_field:
            species = ReadField(breed_info.species, _clamp(breed_field.confidence) * 0.9)

        if study_date is None:
            date_field = reading.fields.get("study_date")
            if date_field:
                try:
                    study_date = dt.date.fromisoformat(date_field.value.strip())
                except ValueError:
                    study_date = None
        return cls(ids, names, species, breed, study_date)


def _clamp(confidence: float) -> float:
    return min(1.0, max(0.0, float(confidence)))
