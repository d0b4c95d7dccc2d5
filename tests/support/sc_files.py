"""Write small, deterministic Secondary Capture files for destination tests and benchmarks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
)

# Invented owners and pets; PatientName is OwnerSurname^PetName (PS3.3 C.7.1.1).
PATIENTS = (
    ("VP-1001", "Hollis^Biscuit", "Hollis^Maren", "CANINE"),
    ("VP/20 02", "Quill^Pepper", "Quill^Dorian", "FELINE"),
)


def make_uid(*parts: object) -> str:
    """Return a deterministic 2.25 UID derived from ``parts``."""
    digest = hashlib.sha256("/".join(str(part) for part in parts).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def make_sc_dataset(
    index: int, *, size: int = 64, studies: int = 3, seed: int = 0, bits: int = 16
) -> Dataset:
    """Build Secondary Capture number ``index`` with seeded random MONOCHROME2 pixels."""
    study = index % studies
    patient_id, patient_name, owner, species = PATIENTS[study % len(PATIENTS)]
    rng = np.random.default_rng(seed * 100_003 + index)
    pixels = rng.integers(0, 2**bits, size=(size, size), dtype=np.uint16)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = make_uid("sop", seed, index)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID

    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = make_uid("study", seed, study)
    ds.SeriesInstanceUID = make_uid("series", seed, study)
    ds.PatientID = patient_id
    ds.PatientName = patient_name
    ds.ResponsiblePerson = owner
    ds.ResponsiblePersonRole = "OWNER"
    ds.PatientSpeciesDescription = species
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyDate = f"2001{study + 1:02d}15"
    ds.StudyTime = "101500"
    ds.StudyID = str(study + 1)
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "Film scan"
    ds.SeriesNumber = 1
    ds.InstanceNumber = index + 1
    ds.Modality = "OT"
    ds.ConversionType = "DF"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = size
    ds.Columns = size
    ds.BitsAllocated = 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    return ds


def write_sc_files(
    folder: Path, *, count: int, studies: int = 3, seed: int = 0, size: int = 64, bits: int = 16
) -> list[Path]:
    """Write ``count`` Secondary Capture files into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        dataset = make_sc_dataset(index, size=size, studies=studies, seed=seed, bits=bits)
        path = folder / f"sc{index:05d}.dcm"
        dataset.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
