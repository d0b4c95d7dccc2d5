"""Inspect DICOM files found on old shares and re-map their patient identity.

Files are read without decoding their pixel data, so compressed objects keep
their original bytes. Files with no preamble or file meta, implicit or explicit
VR, big endian, deflated and gzip-compressed files are read. Big endian files
keep their transfer syntax: converting them would rewrite every binary element,
and the pixel bytes must stay as they are.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import io
import logging
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom import Dataset, FileMetaDataset
from pydicom.encaps import generate_fragments
from pydicom.errors import InvalidDicomError
from pydicom.sequence import Sequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from filmroom.dicom.identity import IDENTITY_KEYWORDS, patient_attributes, text_values
from filmroom.dicom.jpeg import read_jpeg_header
from filmroom.dicom.text import is_ascii
from filmroom.errors import BadInputError
from filmroom.models import Patient
from filmroom.settings import DicomSettings

logger = logging.getLogger(__name__)

# Attributes that name the previous identity. A re-map removes them and keeps their
# values in OriginalAttributesSequence with the IDENTITY_KEYWORDS it replaces.
_OLD_IDENTITY_KEYWORDS = ("OtherPatientNames", "OtherPatientIDs", "OtherPatientIDsSequence", "IssuerOfPatientID")

# SOP class UID prefixes of objects that carry no radiograph even when they contain
# Pixel Data (PS3.4 annex B.5): RT objects, SR, waveforms, encapsulated documents,
# presentation states, raw data, spatial registration and segmentation.
_NON_IMAGE_PREFIXES = (
    "1.2.840.10008.5.1.4.1.1.481.",
    "1.2.840.10008.5.1.4.1.1.88.",
    "1.2.840.10008.5.1.4.1.1.9.",
    "1.2.840.10008.5.1.4.1.1.104.",
    "1.2.840.10008.5.1.4.1.1.11.",
    "1.2.840.10008.5.1.4.1.1.66",
)
_MEDIA_DIRECTORY = "1.2.840.10008.1.3.10"

# Transfer syntaxes whose frames end with an EOI or EOC marker (FFD9).
_MARKER_TERMINATED = {
    JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLossless, JPEGLosslessSV1,
    JPEGLSLossless, JPEGLSNearLossless, JPEG2000Lossless, JPEG2000,
}
# Elements that identify a byte stream as a DICOM data set when it has no DICM marker.
_EXPECTED_KEYWORDS = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "Modality", "PixelData", "PatientID")
_MAX_GZIP_BYTES = 2 * 1024**3


@dataclass
class DicomInspection:
    """Summary of a DICOM file, read without decoding its pixels."""

    is_image: bool
    skip_reason: str  # "" for images, e.g. "Basic Text SR Storage (not an image)"
    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    transfer_syntax_uid: str
    dataset: pydicom.Dataset
    notes: list[str] = field(default_factory=list)  # facts for the report, e.g. "gzip unpacked"


def inspect_dicom(path: Path) -> DicomInspection:
    """Read the DICOM file at ``path`` and decide whether it is an image to archive.

    Raises
    ------
    BadInputError
        If the file is unreadable, not DICOM, truncated, or an image that lacks
        attributes needed to archive it.
    """
    path = Path(path)
    notes: list[str] = []
    data = _read_bytes(path, notes)
    ds = _parse(path, data, notes)

    transfer_syntax = _transfer_syntax(path, ds, notes)
    sop_class = str(ds.get("SOPClassUID", "") or "")
    skip_reason = _skip_reason(ds, sop_class)
    if not skip_reason:
        _check_image(path, ds, transfer_syntax)

    return DicomInspection(
        is_image=not skip_reason,
        skip_reason=skip_reason,
        sop_class_uid=sop_class,
        sop_instance_uid=str(ds.get("SOPInstanceUID", "") or ""),
        study_instance_uid=str(ds.get("StudyInstanceUID", "") or ""),
        series_instance_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        transfer_syntax_uid=str(transfer_syntax),
        dataset=ds,
        notes=notes,
    )


def remap_legacy_dicom(path: Path, *, patient: Patient, settings: DicomSettings) -> tuple[pydicom.Dataset, list[str]]:
    """Replace the patient identity of the image at ``path`` with ``patient``.

    The previous values go into a new OriginalAttributesSequence item (PS3.3
    section C.12.1.1.9) with reason COERCE. Pixel Data and SOP Instance UID are
    unchanged. The returned dataset has file meta and keeps the source transfer
    syntax; save it with ``ds.save_as(path, enforce_file_format=True)``.

    Raises
    ------
    BadInputError
        If ``inspect_dicom`` rejects the file or it is not an image.
    """
    inspection = inspect_dicom(path)
    if not inspection.is_image:
        raise BadInputError(path, f"not an image ({inspection.skip_reason}); it cannot be re-mapped")
    ds = inspection.dataset
    new, warnings_out = patient_attributes(patient, settings)
    warnings_out = inspection.notes + warnings_out

    if not is_ascii(*text_values(new)) and ds.get("SpecificCharacterSet", "") != "ISO_IR 192":
        # Decode every text element with the old character set before declaring UTF-8.
        previous = ds.get("SpecificCharacterSet", "") or "default repertoire"
        ds.decode()
        ds.SpecificCharacterSet = "ISO_IR 192"
        warnings_out.append(f"character set changed from {previous} to ISO_IR 192 for the new patient identity")

    modified = Dataset()
    for keyword in IDENTITY_KEYWORDS:
        if keyword not in new:
            continue
        if keyword in ds:
            old = ds[keyword]
            if old.value != new[keyword].value:
                modified.add(copy.deepcopy(old))
        ds.add(copy.deepcopy(new[keyword]))
    for keyword in _OLD_IDENTITY_KEYWORDS:
        if keyword in ds:
            modified.add(copy.deepcopy(ds[keyword]))
            del ds[keyword]
    if "ResponsiblePersonRole" in ds and not ds.get("ResponsiblePerson"):
        modified.add(copy.deepcopy(ds["ResponsiblePersonRole"]))
        del ds["ResponsiblePersonRole"]

    if len(modified):
        item = Dataset()
        item.ModifiedAttributesSequence = Sequence([modified])
        item.AttributeModificationDateTime = dt.datetime.now().strftime("%Y%m%d%H%M%S")
        item.ModifyingSystem = "filmroom"
        item.ReasonForTheAttributeModification = "COERCE"
        item.SourceOfPreviousValues = ""
        if "OriginalAttributesSequence" not in ds:
            ds.OriginalAttributesSequence = Sequence()
        ds.OriginalAttributesSequence.append(item)

    ds.file_meta = _file_meta(ds, inspection.transfer_syntax_uid, warnings_out)
    logger.info(
        "re-mapped SOP instance %s to patient %s (%d attributes changed)",
        inspection.sop_instance_uid,
        patient.patient_id,
        len(modified),
    )
    return ds, warnings_out


def _read_bytes(path: Path, notes: list[str]) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(path, f"cannot read the file ({exc.strerror}); check that it exists and is readable") from None
    if not data:
        raise BadInputError(path, "file is empty (0 bytes); copy it again from the source")
    if data.startswith(b"\x1f\x8b"):
        # A gzip-compressed DICOM file on a share is unpacked in memory, because an
        # archive stores the plain data set.
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
                data = unpacked.read(_MAX_GZIP_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise BadInputError(path, f"gzip file cannot be unpacked ({exc}); it may be truncated") from None
        if len(data) > _MAX_GZIP_BYTES:
            raise BadInputError(path, "gzip file unpacks to more than 2 GiB; unpack it by hand")
        notes.append("gzip-compressed file unpacked before reading")
    return data


def _parse(path: Path, data: bytes, notes: list[str]) -> Dataset:
    """Parse ``data``; retry a few byte offsets when a file without DICM marker starts with stray bytes."""
    has_marker = len(data) >= 132 and data[128:132] == b"DICM"
    offsets = [0] if has_marker else list(range(0, 9))
    first_error = ""
    for offset in offsets:
        try:
            ds = _read_dataset(path, data[offset:])
        except BadInputError as exc:
            if offset == 0:
                first_error = exc.reason
            continue
        if has_marker or _looks_like_dicom(ds):
            if offset:
                notes.append(f"skipped {offset} stray byte(s) before the first data element")
            return ds
    if first_error:
        raise BadInputError(path, first_error)
    raise BadInputError(path, "not a DICOM file: no DICM marker and no recognizable data elements")


def _read_dataset(path: Path, data: bytes) -> Dataset:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            # Touch every element so that value errors surface here, not when writing.
            for element in ds.iterall():
                _ = element.value
        except (InvalidDicomError, OSError, ValueError, EOFError, struct.error, KeyError, IndexError,
                NotImplementedError, TypeError, OverflowError, zlib.error) as exc:
            raise BadInputError(path, f"cannot parse the DICOM data set ({exc}); the file is corrupt or truncated") from None
    for warning in caught:
        text = str(warning.message)
        if "End of file" in text or "delimiter" in text.lower() or "truncat" in text.lower():
            raise BadInputError(path, f"file is truncated ({text.split(' in file ')[0]}); copy it again from the source")
        logger.debug("reading %s: %s", path, text)
    return ds


def _looks_like_dicom(ds: Dataset) -> bool:
    try:
        present = sum(1 for keyword in _EXPECTED_KEYWORDS if keyword in ds)
    except (KeyError, ValueError):
        return False
    return present >= 2


def _transfer_syntax(path: Path, ds: Dataset, notes: list[str]) -> UID:
    declared = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    implicit_vr, little_endian = ds.original_encoding
    if implicit_vr:
        native = ImplicitVRLittleEndian
    else:
        native = ExplicitVRLittleEndian if little_endian else ExplicitVRBigEndian
    if declared:
        return UID(declared)

    encapsulated = _pixel_bytes(ds)[:4] == b"\xfe\xff\x00\xe0"
    if not encapsulated:
        notes.append(f"no transfer syntax in the file: {native.name} detected from the encoding")
        return native
    sniffed = _sniff_codec(_first_fragment(path, ds))
    if sniffed is None:
        raise BadInputError(path, "compressed Pixel Data without a transfer syntax, and the codec is not recognizable")
    notes.append(f"no transfer syntax in the file: {sniffed.name} detected from the pixel data")
    return sniffed


def _pixel_bytes(ds: Dataset) -> bytes:
    if "PixelData" not in ds:
        return b""
    value = ds["PixelData"].value
    return value if isinstance(value, bytes) else b""


def _first_fragment(path: Path, ds: Dataset) -> bytes:
    try:
        return next(generate_fragments(_pixel_bytes(ds)))
    except (StopIteration, ValueError) as exc:
        raise BadInputError(path, f"compressed Pixel Data has no readable fragment ({exc})") from None


def _sniff_codec(fragment: bytes) -> UID | None:
    if fragment.startswith(b"\xff\x4f\xff\x51"):
        return JPEG2000  # a codestream does not state whether it is lossless
    if fragment.startswith(b"\xff\xd8"):
        try:
            header = read_jpeg_header(fragment)
        except ValueError:
            return JPEGLSLossless if b"\xff\xf7" in fragment[:4096] else None
        return {"baseline": JPEGBaseline8Bit, "extended": JPEGExtended12Bit, "lossless": JPEGLosslessSV1}.get(
            header.process
        )
    if len(fragment) >= 64 and 1 <= struct.unpack("<L", fragment[:4])[0] <= 15:
        return RLELossless
    return None


def _skip_reason(ds: Dataset, sop_class: str) -> str:
    name = UID(sop_class).name if sop_class else ""
    if sop_class == _MEDIA_DIRECTORY or "DirectoryRecordSequence" in ds:
        return "DICOMDIR media directory (not an image)"
    if any(sop_class.startswith(prefix) for prefix in _NON_IMAGE_PREFIXES):
        return f"{name or sop_class} (not an image)"
    if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        return f"{name or 'object'} with floating-point pixel data (not a radiograph)"
    if "PixelData" not in ds:
        return f"{name or 'object'} without Pixel Data (not an image)"
    return ""


def _check_image(path: Path, ds: Dataset, transfer_syntax: UID) -> None:
    """Raise BadInputError when an image lacks what an archive needs or its pixel data is short."""
    for keyword in ("SOPClassUID", "SOPInstanceUID", "Rows", "Columns", "BitsAllocated", "PhotometricInterpretation"):
        try:
            value = ds.get(keyword)
        except (ValueError, TypeError) as exc:
            raise BadInputError(path, f"invalid {keyword} ({exc})") from None
        if value in (None, ""):
            raise BadInputError(path, f"image without {keyword}; the file cannot be archived as it is")

    bits_allocated = int(ds.BitsAllocated)
    if bits_allocated != 1 and bits_allocated % 8:
        raise BadInputError(path, f"Bits Allocated is {bits_allocated}; DICOM requires 1 or a multiple of 8")

    pixel_data = _pixel_bytes(ds)
    if transfer_syntax.is_compressed:
        fragments = list(generate_fragments(pixel_data)) if pixel_data[:4] == b"\xfe\xff\x00\xe0" else []
        # The first item is the Basic Offset Table; frames follow in later items.
        if len(fragments) < 2 or not any(fragments[1:]):
            raise BadInputError(path, "compressed Pixel Data contains no fragments; the file is truncated")
        # Encoders pad an odd-length frame with 00 or FF after the FFD9 marker.
        tail = fragments[-1].rstrip(b"\x00")
        if transfer_syntax in _MARKER_TERMINATED and not tail.endswith((b"\xff\xd9", b"\xff\xd9\xff")):
            raise BadInputError(path, "compressed Pixel Data ends without an end-of-image marker; the file is truncated")
        return

    try:
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
    except (ValueError, TypeError) as exc:
        raise BadInputError(path, f"invalid NumberOfFrames or SamplesPerPixel ({exc})") from None
    bits = int(ds.Rows) * int(ds.Columns) * samples * frames * bits_allocated
    expected = (bits + 7) // 8
    if len(pixel_data) < expected:
        raise BadInputError(
            path,
            f"Pixel Data has {len(pixel_data)} bytes but Rows, Columns, Samples per Pixel, Number of Frames "
            f"and Bits Allocated need {expected}; the file is truncated",
        )


def _file_meta(ds: Dataset, transfer_syntax: str, warnings_out: list[str]) -> FileMetaDataset:
    """Build file meta for ``ds``, keeping the source's group 2 elements that still apply."""
    meta = FileMetaDataset()
    old = getattr(ds, "file_meta", None)
    if old is not None:
        for element in old:
            if element.tag.group == 0x0002 and element.tag.element != 0:
                meta.add(copy.deepcopy(element))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if caught:
        # The UIDs are kept: changing them would make a second copy of the image.
        warnings_out.append("SOP Class or Instance UID is not a valid DICOM UID; some archives reject it")
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "FILMROOM_01"
    meta.SourceApplicationEntityTitle = meta.get("SourceApplicationEntityTitle", "") or "FILMROOM"
    return meta
