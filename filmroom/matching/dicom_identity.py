"""Read the patient identity of an existing DICOM file as a Reading for the matcher."""

from __future__ import annotations

import datetime as dt
import re

import pydicom
from pydicom.valuerep import PersonName

from filmroom.mapping.folder_names import ORDER_UNCERTAIN
from filmroom.matching.normalize import name_key
from filmroom.models import FieldValue, Reading

_INITIALS = re.compile(r"^(?:[^\W\d_]\.?){1,3}$")
_NAME_CONFIDENCE = 0.85
_GUESSED_ORDER_CONFIDENCE = 0.70


def _text(ds: pydicom.Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    if value is None or value == "":
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def _split_family(family: str) -> tuple[str, str]:
    """Split "Ivanov I.I." into surname and initials; other family names stay whole."""
    words = family.split()
    if len(words) > 1 and all(_INITIALS.match(w) for w in words[1:]):
        return words[0], " ".join(words[1:])
    return family, ""


def _species(ds: pydicom.Dataset) -> str:
    description = _text(ds, "PatientSpeciesDescription")
    if description:
        return description
    for item in ds.get("PatientSpeciesCodeSequence", []) or []:
        meaning = str(item.get("CodeMeaning", "")).strip()
        if meaning:
            return meaning
    return ""


def reading_from_dicom(ds: pydicom.Dataset) -> Reading:
    """Return what a DICOM header says about the patient.

    PatientName (0010,0010) of an animal is "OwnerFamily^PetName" by the DICOM
    veterinary convention (PS3.3 C.7.1.1), but old systems also wrote "PET^OWNER".
    ResponsiblePerson (0010,2297) settles the order when present. Without it the
    conventional order is assumed at lower confidence, and a flag in ``evidence`` makes the
    matcher to weigh the swapped order too. PatientID becomes ``patient_id_legacy``,
    which the matcher compares with patient IDs as it does chart numbers.
    """
    fields: dict[str, FieldValue] = {}
    evidence: dict[str, object] = {}
    name = PersonName(ds.get("PatientName", "") or "")
    family = re.sub(r"\s+", " ", name.family_name or "").strip()
    given = re.sub(r"\s+", " ", name.given_name or "").strip()
    responsible = PersonName(ds.get("ResponsiblePerson", "") or "")
    responsible_family = (responsible.family_name or "").strip()

    owner, pet, confidence = family, given, _NAME_CONFIDENCE
    if responsible_family:
        fields["owner_last"] = FieldValue(responsible_family, 0.9, "dicom")
        if (responsible.given_name or "").strip():
            fields["owner_first"] = FieldValue(responsible.given_name.strip(), 0.85, "dicom")
    if family and not given:
        # A single component without "^" is most often the pet's name alone.
        owner, pet = "", family
        confidence = _NAME_CONFIDENCE if responsible_family else 0.5
    elif responsible_family:
        if name_key(given) == name_key(responsible_family) and name_key(family) != name_key(given):
            owner, pet = given, family
            evidence["patient_name_order"] = "pet^owner"
    elif family and given:
        confidence = _GUESSED_ORDER_CONFIDENCE
        evidence[ORDER_UNCERTAIN] = True

    surname, initials = _split_family(owner)
    if surname and "owner_last" not in fields:
        fields["owner_last"] = FieldValue(surname, confidence, "dicom")
    if initials and "owner_first" not in fields:
        fields["owner_first"] = FieldValue(initials, confidence, "dicom")
    if pet:
        fields["pet_name"] = FieldValue(pet, confidence, "dicom")

    patient_id = _text(ds, "PatientID")
    if patient_id:
        fields["patient_id_legacy"] = FieldValue(patient_id, 0.9, "dicom")
    species = _species(ds)
    if species:
        fields["species"] = FieldValue(species, 0.9, "dicom")
    breed = _text(ds, "PatientBreedDescription")
    if breed:
        fields["breed"] = FieldValue(breed, 0.85, "dicom")
    study_date = _text(ds, "StudyDate")
    if re.fullmatch(r"\d{8}", study_date):
        try:
            iso_date = dt.date(
                int(study_date[:4]), int(study_date[4:6]), int(study_date[6:8])
            ).isoformat()
        except ValueError:
            iso_date = ""
        if iso_date:
            fields["study_date"] = FieldValue(iso_date, 0.95, "dicom")

    text = " | ".join(f"{k}={v.value}" for k, v in fields.items())
    mean = sum(v.confidence for v in fields.values()) / len(fields) if fields else 0.0
    return Reading(fields=fields, text=text, mean_confidence=mean, evidence=evidence)
