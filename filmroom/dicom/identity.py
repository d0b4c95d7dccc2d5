"""Patient module attributes of an animal patient (DICOM PS3.3 section C.7.1.1)."""

from __future__ import annotations

from pydicom import Dataset
from pydicom.sequence import Sequence

from filmroom.dicom.text import fit_text, person_name
from filmroom.mapping.species import species_info
from filmroom.models import Patient
from filmroom.settings import DicomSettings, PatientNameConvention

# Attributes that patient_attributes() writes. A re-mapped legacy object keeps the
# original values of these in OriginalAttributesSequence.
IDENTITY_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientSexNeutered",
    "PatientSpeciesDescription",
    "PatientSpeciesCodeSequence",
    "PatientBreedDescription",
    "PatientBreedCodeSequence",
    "BreedRegistrationSequence",
    "ResponsiblePerson",
    "ResponsiblePersonRole",
    "ResponsibleOrganization",
)


def patient_attributes(patient: Patient, settings: DicomSettings) -> tuple[Dataset, list[str]]:
    """Build the patient identity attributes of ``patient`` and the warnings about them.

    PatientName is "OwnerSurname^PetName" (the veterinary form that PS3.5 section
    6.2.1 shows) or the pet name alone, per ``settings.patient_name_convention``.
    """
    warnings: list[str] = []
    ds = Dataset()

    if settings.patient_name_convention is PatientNameConvention.OWNER_PET:
        ds.PatientName = person_name([patient.owner_last, patient.pet_name], "patient name", warnings)
    else:
        ds.PatientName = person_name([patient.pet_name], "patient name", warnings)
    ds.PatientID = fit_text(patient.patient_id, "LO", "patient ID", warnings)
    ds.PatientBirthDate = patient.birth_date.strftime("%Y%m%d") if patient.birth_date else ""
    ds.PatientSex = patient.sex if patient.sex in ("M", "F", "O") else ""
    if patient.neutered is not None:
        ds.PatientSexNeutered = "ALTERED" if patient.neutered else "UNALTERED"
    else:
        ds.PatientSexNeutered = ""

    info = species_info(patient.species) if patient.species else None
    if info is not None:
        ds.PatientSpeciesDescription = fit_text(info.dicom_description, "LO", "species", warnings)
        code = Dataset()
        code.CodeValue = info.snomed_code
        code.CodingSchemeDesignator = "SCT"
        code.CodeMeaning = fit_text(info.snomed_meaning, "LO", "species code meaning", warnings)
        ds.PatientSpeciesCodeSequence = Sequence([code])
    elif patient.species:
        ds.PatientSpeciesDescription = fit_text(patient.species, "LO", "species", warnings)
        warnings.append("species has no SNOMED CT code in species.yaml: PatientSpeciesCodeSequence left out")
    else:
        warnings.append("species unknown: PatientSpeciesDescription left out")

    ds.PatientBreedDescription = fit_text(patient.breed or "", "LO", "breed", warnings)
    ds.PatientBreedCodeSequence = Sequence()
    ds.BreedRegistrationSequence = Sequence()

    ds.ResponsiblePerson = person_name([patient.owner_last, patient.owner_first], "owner name", warnings)
    if ds.ResponsiblePerson:
        ds.ResponsiblePersonRole = "OWNER"
    ds.ResponsibleOrganization = fit_text(settings.responsible_organization, "LO", "responsible organization", warnings)
    return ds, warnings


def text_values(ds: Dataset) -> list[str]:
    """Return the string values of the top-level text elements of ``ds``, for charset checks."""
    values = []
    for element in ds:
        if element.VR in ("PN", "LO", "SH", "ST", "LT", "UT", "UC") and element.value is not None:
            values.extend(str(item) for item in (element.value if element.VM > 1 else [element.value]))
    return values
