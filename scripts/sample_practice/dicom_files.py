"""DICOM files of an invented old veterinary DR system, pydicom's own test files, and junk files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, generate_uid

from .layout import CLINIC, DicomIdentity
from .radiographs import DICOM_LONG_SIDE, export_pixels

CR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1"
# OLE compound file signature, the first bytes of every Windows Thumbs.db.
OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")


def pydicom_test_file(name: str) -> Path:
    """Return the path of a test file that the pydicom wheel ships in pydicom/data/test_files."""
    path = Path(pydicom.__file__).parent / "data" / "test_files" / name
    if not path.is_file():
        raise FileNotFoundError(f"pydicom test file {name} not found at {path}; reinstall pydicom>=3.0")
    return path


def _uid(*parts: str) -> str:
    """Return a UID derived from ``parts`` only, so reruns write the same UIDs."""
    return generate_uid(entropy_srcs=["filmroom-sample", *parts])


def build_dataset(pixels: np.ndarray, identity: DicomIdentity) -> Dataset:
    """Build a CR image with 12 bits stored, as an old veterinary DR system wrote it."""
    image = export_pixels(pixels, identity.long_side or DICOM_LONG_SIDE)
    rows, columns = image.shape
    key = f"{identity.patient_id}:{identity.body_part}:{identity.study_date}"

    dataset = Dataset()
    dataset.SpecificCharacterSet = "ISO_IR 100"
    dataset.SOPClassUID = CR_IMAGE_STORAGE
    dataset.SOPInstanceUID = _uid(key, "instance")
    dataset.StudyDate = identity.study_date
    dataset.StudyTime = "101500"
    dataset.AccessionNumber = ""
    dataset.Modality = "CR"
    dataset.Manufacturer = "Invented Veterinary DR"
    dataset.InstitutionName = CLINIC.title()
    dataset.ReferringPhysicianName = ""
    dataset.PatientName = identity.patient_name
    dataset.PatientID = identity.patient_id
    dataset.PatientBirthDate = ""
    dataset.PatientSex = ""
    dataset.PatientSpeciesDescription = identity.species
    if identity.responsible_person:
        dataset.ResponsiblePerson = identity.responsible_person
        dataset.ResponsiblePersonRole = "OWNER"
    dataset.BodyPartExamined = identity.body_part
    dataset.StudyInstanceUID = _uid(key, "study")
    dataset.SeriesInstanceUID = _uid(key, "series")
    dataset.StudyID = "1"
    dataset.SeriesNumber = 1
    dataset.InstanceNumber = 1
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.Rows = rows
    dataset.Columns = columns
    dataset.BitsAllocated = 16
    dataset.BitsStored = 12
    dataset.HighBit = 11
    dataset.PixelRepresentation = 0
    dataset.WindowCenter = 2048
    dataset.WindowWidth = 4096
    dataset.PixelData = image.astype("<u2").tobytes()
    return dataset


def dicom_bytes(pixels: np.ndarray, identity: DicomIdentity) -> bytes:
    """Encode the dataset as a DICOM file, or as a bare dataset when ``file_meta`` is False."""
    dataset = build_dataset(pixels, identity)
    buffer = io.BytesIO()
    if identity.file_meta:
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = dataset.SOPClassUID
        meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = _uid("implementation")
        meta.ImplementationVersionName = "OLDVETDR_1"
        dataset.file_meta = meta
        dataset.preamble = b"\x00" * 128
        if identity.jpeg2000:
            # pylibjpeg-openjpeg encodes JPEG 2000 Lossless; the pixels stay bit-exact.
            dataset.compress(JPEG2000Lossless, generate_instance_uid=False)
        pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    else:
        # Implicit VR Little Endian is the transfer syntax that files without File Meta use.
        pydicom.dcmwrite(buffer, dataset, implicit_vr=True, little_endian=True, enforce_file_format=False)
    return buffer.getvalue()


def write_legacy_dicom(pixels: np.ndarray, path: Path, identity: DicomIdentity | None) -> None:
    """Write one file of the invented legacy DR system."""
    if identity is None:
        raise ValueError(f"share item {path} needs a DicomIdentity")
    path.write_bytes(dicom_bytes(pixels, identity))


def write_truncated_dicom(pixels: np.ndarray, path: Path, identity: DicomIdentity | None) -> None:
    """Write a legacy DR file cut off halfway through its Pixel Data."""
    if identity is None:
        raise ValueError(f"share item {path} needs a DicomIdentity")
    data = dicom_bytes(pixels, identity)
    # Pixel Data is over 95% of the file, so the cut falls inside it.
    path.write_bytes(data[: int(len(data) * 0.6)])


def thumbs_db_bytes(rng: np.random.Generator) -> bytes:
    """Return 4 KiB that start like a Windows Thumbs.db (an OLE compound file) and hold noise."""
    return OLE_SIGNATURE + rng.integers(0, 256, 4096 - len(OLE_SIGNATURE), dtype=np.uint8).tobytes()
