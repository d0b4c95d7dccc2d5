"""Build Secondary Capture Image objects (DICOM PS3.3 section A.8.1) from image pages.

The SOP class is Secondary Capture Image Storage (1.2.840.10008.5.1.4.1.1.7).
It takes 8- and 16-bit grayscale and RGB in a single frame, and it is the SC
class that archives accept most often. A multi-page source becomes several
instances of one series. The multi-frame SC classes would need one object per
page anyway, because pages of one scan can differ in size.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pydicom
from pydicom import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLSLossless,
    RLELossless,
    SecondaryCaptureImageStorage,
)
from pydicom.valuerep import format_number_as_ds

import filmroom
from filmroom.dicom.identity import patient_attributes, text_values
from filmroom.dicom.jpeg import encapsulation_photometric
from filmroom.dicom.pixels import ImagePage, decoded_pixels
from filmroom.dicom.text import fit_text, is_ascii
from filmroom.errors import FilmroomError
from filmroom.models import Patient
from filmroom.settings import Compression, DicomSettings

logger = logging.getLogger(__name__)

PRIVATE_CREATOR = "FILMROOM"
PRIVATE_GROUP = 0x0009
# Element offsets inside the FILMROOM private block (0009,10xx).
PRIVATE_STUDY_DATE_SOURCE = 0x01
PRIVATE_SOURCE_FORMAT = 0x02

# BodyPartExamined defined terms (PS3.16 annex L) for regions that radiographs of
# animals show. Any other region is kept as free text in SeriesDescription only.
# NOTE: veterinary-only regions (stifle, carpus, hock) are left out until their
# defined terms are checked against annex L.
BODY_PART_TERMS = frozenset(
    {
        "ABDOMEN", "ANKLE", "ARM", "CHEST", "CLAVICLE", "CSPINE", "ELBOW", "EXTREMITY", "FOOT",
        "HAND", "HEAD", "HEART", "HIP", "JAW", "KNEE", "LEG", "LSPINE", "NECK", "PELVIS",
        "SHOULDER", "SKULL", "SPINE", "SSPINE", "THORAX", "TMJ", "TSPINE", "WRIST",
    }
)

_TRANSFER_SYNTAXES = {
    Compression.NONE: ExplicitVRLittleEndian,
    Compression.JPEG2000: JPEG2000Lossless,
    Compression.JPEGLS: JPEGLSLossless,
    Compression.RLE: RLELossless,
}


class LosslessCheckError(FilmroomError):
    """A compressed object did not decode to the source pixels; nothing was written."""


@dataclass(frozen=True)
class StudyInfo:
    """Study-level attributes of a new object."""

    study_instance_uid: str
    study_date: dt.date | None
    study_date_source: str  # where study_date came from, e.g. "label", "exif", "file_mtime"
    study_description: str
    accession_number: str = ""
    referring_physician: str = ""


@dataclass(frozen=True)
class SeriesInfo:
    """Series-level attributes of a new object."""

    series_instance_uid: str
    series_number: int
    series_description: str = ""
    body_part: str = ""  # free text from a label; written to BodyPartExamined only if a defined term


def build_secondary_capture(
    page: ImagePage,
    *,
    patient: Patient,
    study: StudyInfo,
    series: SeriesInfo,
    instance_number: int,
    sop_instance_uid: str,
    conversion_type: str,
    settings: DicomSettings,
    content_datetime: dt.datetime | None = None,
) -> tuple[pydicom.Dataset, list[str]]:
    """Build a Secondary Capture Image dataset for ``page`` with file meta, and warnings.

    ``conversion_type`` is "DF" for digitized film or "DI" for a digital image
    (PS3.3 section C.8.6.1). A page with ``jpeg_bytes`` is encapsulated as is. Other
    pages are written with ``settings.compression`` and, when compressed, decoded
    again and compared with the source before returning.

    Raises
    ------
    ValueError
        If ``conversion_type`` is not a defined term.
    LosslessCheckError
        If compressed pixel data does not decode to the source pixels.
    """
    if conversion_type not in ("DF", "DI", "DV", "SD", "SI", "DRW", "SYN", "WSD"):
        raise ValueError(f"invalid ConversionType {conversion_type!r}: use DF for film scans or DI for digital images")

    ds, warnings = patient_attributes(patient, settings)
    now = dt.datetime.now()
    _add_study_and_series(ds, study, series, warnings)
    _add_equipment(ds, conversion_type, settings, now)
    _add_image(ds, page, instance_number, conversion_type, content_datetime, study, warnings)

    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = sop_instance_uid
    ds.InstanceCreationDate = now.strftime("%Y%m%d")
    ds.InstanceCreationTime = now.strftime("%H%M%S")
    if not is_ascii(*text_values(ds)):
        ds.SpecificCharacterSet = "ISO_IR 192"

    if page.jpeg_bytes is not None:
        transfer_syntax = _add_jpeg_pixels(ds, page)
    else:
        transfer_syntax = _add_native_pixels(ds, page, settings.compression, warnings)

    ds.file_meta = _file_meta(sop_instance_uid, transfer_syntax)
    warnings.extend(page.warnings)
    return ds, warnings


def _add_study_and_series(ds: Dataset, study: StudyInfo, series: SeriesInfo, warnings: list[str]) -> None:
    ds.StudyInstanceUID = study.study_instance_uid
    ds.StudyDate = study.study_date.strftime("%Y%m%d") if study.study_date else ""
    ds.StudyTime = ""
    ds.StudyID = ""
    ds.AccessionNumber = fit_text(study.accession_number, "SH", "accession number", warnings)
    ds.ReferringPhysicianName = fit_text(study.referring_physician, "PN", "referring physician", warnings)
    ds.StudyDescription = fit_text(study.study_description, "LO", "study description", warnings)

    ds.Modality = "OT"
    ds.SeriesInstanceUID = series.series_instance_uid
    ds.SeriesNumber = series.series_number
    description = series.series_description.strip()
    region = series.body_part.strip()
    term = region.upper()
    if region and term in BODY_PART_TERMS:
        ds.BodyPartExamined = term
    elif region:
        warnings.append("region is not a BodyPartExamined defined term: kept in SeriesDescription only")
        if region.casefold() not in description.casefold():
            description = f"{description} {region}".strip()
    ds.SeriesDescription = fit_text(description, "LO", "series description", warnings)
    # Type 2C (PS3.3 C.7.3.1), written empty because the side is unknown. dciodvfy (dicom3tools
    # in Debian 12) reports an absent Laterality with BodyPartExamined THORAX as an error and
    # an empty one only as a warning.
    ds.Laterality = ""


def _add_equipment(ds: Dataset, conversion_type: str, settings: DicomSettings, now: dt.datetime) -> None:
    ds.Manufacturer = fit_text(settings.manufacturer, "LO", "manufacturer", [])
    if settings.institution_name:
        ds.InstitutionName = fit_text(settings.institution_name, "LO", "institution name", [])
    ds.ConversionType = conversion_type
    ds.SecondaryCaptureDeviceManufacturer = ds.Manufacturer
    ds.SecondaryCaptureDeviceManufacturerModelName = "filmroom"
    ds.SecondaryCaptureDeviceSoftwareVersions = filmroom.__version__
    ds.DateOfSecondaryCapture = now.strftime("%Y%m%d")
    ds.TimeOfSecondaryCapture = now.strftime("%H%M%S")


def _add_image(
    ds: Dataset,
    page: ImagePage,
    instance_number: int,
    conversion_type: str,
    content_datetime: dt.datetime | None,
    study: StudyInfo,
    warnings: list[str],
) -> None:
    ds.InstanceNumber = instance_number
    ds.PatientOrientation = ""
    when = content_datetime or page.exif_datetime
    if when is not None:
        ds.ContentDate = when.strftime("%Y%m%d")
        ds.ContentTime = when.strftime("%H%M%S")
    if conversion_type == "DF":
        ds.BurnedInAnnotation = "YES"  # film labels and lead markers are part of the image

    if page.source_format == "jpeg":
        ds.LossyImageCompression = "01"
        ds.LossyImageCompressionMethod = "ISO_10918_1"
    else:
        ds.LossyImageCompression = "00"

    if page.dpi is not None:
        # PS3.3 C.8.6.2: row spacing \ column spacing in mm, from the scan resolution.
        ds.NominalScannedPixelSpacing = [
            format_number_as_ds(25.4 / page.dpi[1]),
            format_number_as_ds(25.4 / page.dpi[0]),
        ]
    elif conversion_type == "DF":
        warnings.append("scan resolution unknown: NominalScannedPixelSpacing left out")

    source = study.study_date_source or "unknown"
    ds.ImageComments = fit_text(f"Study date source: {source}", "LT", "image comments", warnings)
    block = ds.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True)
    block.add_new(PRIVATE_STUDY_DATE_SOURCE, "LO", fit_text(source, "LO", "study date source", warnings))
    block.add_new(PRIVATE_SOURCE_FORMAT, "LO", page.source_format)


def _add_jpeg_pixels(ds: Dataset, page: ImagePage) -> str:
    """Encapsulate the original JPEG stream unchanged, as DCMTK img2dcm does."""
    header = page.jpeg_header
    assert header is not None and page.jpeg_bytes is not None
    ds.SamplesPerPixel = header.components
    ds.PhotometricInterpretation = encapsulation_photometric(header)
    if header.components > 1:
        ds.PlanarConfiguration = 0
    ds.Rows = header.rows
    ds.Columns = header.columns
    ds.BitsAllocated = 8 if header.precision <= 8 else 16
    ds.BitsStored = header.precision
    ds.HighBit = header.precision - 1
    ds.PixelRepresentation = 0
    uncompressed = header.rows * header.columns * header.components * ds.BitsAllocated // 8
    ds.LossyImageCompressionRatio = format_number_as_ds(uncompressed / len(page.jpeg_bytes))
    ds.PixelData = encapsulate([page.jpeg_bytes])
    ds["PixelData"].VR = "OB"
    return JPEGBaseline8Bit if header.process == "baseline" else JPEGExtended12Bit


def _add_native_pixels(ds: Dataset, page: ImagePage, compression: Compression, warnings: list[str]) -> str:
    pixels = page.pixels
    ds.SamplesPerPixel = 3 if pixels.ndim == 3 else 1
    ds.PhotometricInterpretation = page.photometric
    if pixels.ndim == 3:
        ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = pixels.shape[:2]
    ds.BitsAllocated = pixels.itemsize * 8
    ds.BitsStored = page.bits_stored
    ds.HighBit = page.bits_stored - 1
    ds.PixelRepresentation = 0

    transfer_syntax = _TRANSFER_SYNTAXES[compression]
    if transfer_syntax != ExplicitVRLittleEndian:
        # JPEG 2000 with RGB input would apply the reversible color transform and change
        # the photometric interpretation to YBR_RCT; plain RGB keeps decoding simple.
        kwargs = {"use_mct": False} if transfer_syntax == JPEG2000Lossless else {}
        try:
            ds.compress(transfer_syntax, pixels, generate_instance_uid=False, **kwargs)
        except RuntimeError as exc:
            # pylibjpeg-openjpeg 2.6 encodes with 6 DWT resolutions and fails on very small images.
            logger.warning("%s encoding failed for SOP instance %s: %s", compression.value, ds.SOPInstanceUID, exc)
            warnings.append(f"{compression.value} encoding failed ({exc}): stored uncompressed")
            transfer_syntax = ExplicitVRLittleEndian
        else:
            _check_lossless(ds, pixels, transfer_syntax, compression)
            return transfer_syntax

    ds.PixelData = np.ascontiguousarray(pixels, dtype=pixels.dtype.newbyteorder("<")).tobytes()
    ds["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
    return transfer_syntax


def _check_lossless(ds: Dataset, pixels: np.ndarray, transfer_syntax: str, compression: Compression) -> None:
    """Decode the compressed Pixel Data of ``ds`` and raise LosslessCheckError unless it equals ``pixels``."""
    check = Dataset()
    check.update(ds)
    check.file_meta = _file_meta(ds.SOPInstanceUID, transfer_syntax)
    decoded = decoded_pixels(check)
    if decoded.shape != pixels.shape or not np.array_equal(decoded, pixels):
        raise LosslessCheckError(
            f"{compression.value} output of SOP instance {ds.SOPInstanceUID} does not decode to the source pixels; "
            "set compression to none"
        )


def _file_meta(sop_instance_uid: str, transfer_syntax: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = sop_instance_uid
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "FILMROOM_01"
    return meta
