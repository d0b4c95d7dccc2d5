"""Turn matched files into staged DICOM objects: Secondary Captures for images, re-mapped legacy DICOM.

Staged files live in ``<out>/staging/``, named by SOP Instance UID (and, for legacy
files, the source's hash). UIDs of new objects derive from the source content and the
patient, so a re-run finds the files already there and does not build them again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom

from filmroom.errors import BadInputError
from filmroom.ledger import Ledger
from filmroom.models import Patient, SourceKind
from filmroom.settings import DicomSettings
from filmroom.tasks.identify import Identified
from filmroom.tasks.jackets import Jacket
from filmroom.tasks.match import study_date_of

logger = logging.getLogger(__name__)

PAGES_VERSION = "1"

# ConversionType (0008,0064) defined terms: digitized film, digital interface, scanned document.
CONVERSION_TYPES = {
    SourceKind.FILM_SCAN: "DF",
    SourceKind.SHARE_IMAGE: "DI",
    SourceKind.JACKET_LABEL: "SD",
}


@dataclass
class StagedPage:
    """One page of one source, staged as a DICOM file and ready for duplicate checks and storing."""

    item: Identified
    jacket: Jacket
    page: int
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    staged_path: Path | None  # None for a page that is not archived, kept for duplicate checks
    fingerprint: dict[str, Any] | None
    quality: dict[str, Any]
    study_date: str = ""
    study_date_source: str = ""
    warnings: list[str] = field(default_factory=list)
    same_as: StagedPage | None = None  # an earlier legacy object with this UID and the same Pixel Data

    @property
    def key(self) -> str:
        return f"{self.item.source_id}:{self.page}"

    @property
    def staged(self) -> bool:
        return self.staged_path is not None


def study_date_for(jacket: Jacket, item: Identified, exif: str | None) -> tuple[dt.date | None, str]:
    """Pick the study date: label, then folder name, then EXIF, then the file's modification date."""
    label_date = study_date_of(jacket.reading) if jacket.kind == "film_jacket" else None
    if label_date:
        return label_date, "label"
    folder_date = study_date_of(jacket.folder_reading)
    if folder_date:
        return folder_date, "folder_name"
    if exif:
        try:
            return dt.datetime.fromisoformat(exif).date(), "exif"
        except ValueError:
            pass
    return dt.datetime.fromtimestamp(item.found.mtime_ns / 1e9).date(), "file_date"


def page_facts(ledger: Ledger, item: Identified) -> list[dict[str, Any]]:
    """Return the cached facts of every page of an image file, decoding it on first use.

    Raises BadInputError when the file cannot be decoded, so a truncated image is
    rejected even when its jacket is not archived.
    """
    from filmroom.dedupe.fingerprint import fingerprint
    from filmroom.dicom.pixels import load_image_pages

    cached = ledger.cached(item.found.sha256, "pages", PAGES_VERSION)
    if cached is not None:
        return cached
    pages = load_image_pages(item.found.path)
    try:
        fingerprints = [fingerprint(p.pixels, p.photometric).to_dict() for p in pages]
    except ValueError as exc:
        raise BadInputError(item.found.path, f"image has an unsupported pixel layout: {exc}") from None
    cached = [
        {
            "page": p.page_index,
            "photometric": p.photometric,
            "bits_stored": p.bits_stored,
            "pixel_count": int(p.pixels.shape[0] * p.pixels.shape[1]),
            "lossless": p.jpeg_bytes is None and p.source_format != "jpeg",
            "exif": p.exif_datetime.isoformat() if p.exif_datetime else None,
            "fingerprint": page_fingerprint,
        }
        for p, page_fingerprint in zip(pages, fingerprints, strict=True)
    ]
    ledger.cache(item.found.sha256, "pages", PAGES_VERSION, cached)
    return cached


def legacy_facts(ledger: Ledger, item: Identified) -> dict[str, Any]:
    """Return the cached fingerprint and quality facts of a legacy DICOM image."""
    cached = ledger.cached(item.found.sha256, "legacy_facts", PAGES_VERSION)
    if cached is not None:
        return cached
    from filmroom.dicom.legacy import inspect_dicom

    with _recorded_pydicom_warnings([]):
        dataset = inspect_dicom(item.found.path).dataset  # also reads gzip and files behind stray bytes
        fingerprint_facts = _legacy_fingerprint(dataset)
    cached = {
        "bits_stored": int(dataset.get("BitsStored", 8) or 8),
        "pixel_count": int(dataset.get("Rows", 0) or 0) * int(dataset.get("Columns", 0) or 0),
        "fingerprint": fingerprint_facts,
    }
    ledger.cache(item.found.sha256, "legacy_facts", PAGES_VERSION, cached)
    return cached


def unstaged_pages(ledger: Ledger, item: Identified, jacket: Jacket) -> list[StagedPage]:
    """Return fingerprint-only pages of a file that is not archived, for duplicate checks."""
    if item.source_kind is SourceKind.SHARE_DICOM:
        facts = legacy_facts(ledger, item)
        quality = {"original_dicom": True, "bits_stored": facts["bits_stored"],
                   "pixel_count": facts["pixel_count"], "lossless": True}
        return [StagedPage(item, jacket, 0, "", "", "", None, facts["fingerprint"], quality)]
    return [
        StagedPage(
            item, jacket, info["page"], "", "", "", None, info["fingerprint"],
            {"original_dicom": False, "bits_stored": info["bits_stored"],
             "pixel_count": info["pixel_count"], "lossless": info["lossless"]},
        )
        for info in page_facts(ledger, item)
    ]


def stage_image(
    ledger: Ledger,
    item: Identified,
    jacket: Jacket,
    patient: Patient,
    *,
    settings: DicomSettings,
    staging_dir: Path,
    first_instance_number: int,
) -> list[StagedPage]:
    """Stage every page of an image file as a Secondary Capture; raise BadInputError if unreadable."""
    from filmroom.dicom.uids import derive_uid

    root = settings.uid_root
    cached = page_facts(ledger, item)
    # NOTE: on a first run the image was decoded at identify time for its fingerprint and is
    # decoded again here, because keeping every decoded image until this stage would hold
    # the whole migration in memory. A re-run finds the staged files and decodes nothing.
    pages = None

    conversion = CONVERSION_TYPES[item.source_kind]
    is_label = item.source_kind is SourceKind.JACKET_LABEL
    staged: list[StagedPage] = []
    for offset, info in enumerate(cached):
        study_date, date_source = study_date_for(jacket, item, info["exif"])
        study_uid = derive_uid(root, "study", patient.patient_id, jacket.jacket_id, str(study_date or ""))
        series_uid = derive_uid(root, "label series" if is_label else "series", study_uid, jacket.jacket_id)
        sop_uid = derive_uid(root, "instance", item.found.sha256, str(info["page"]), patient.patient_id)
        path = staging_dir / f"{sop_uid}.dcm"
        page = StagedPage(
            item=item,
            jacket=jacket,
            page=info["page"],
            sop_instance_uid=sop_uid,
            study_instance_uid=study_uid,
            series_instance_uid=series_uid,
            staged_path=path,
            fingerprint=info["fingerprint"],
            quality={
                "original_dicom": False,
                "bits_stored": info["bits_stored"],
                "pixel_count": info["pixel_count"],
                "lossless": info["lossless"],
            },
            study_date=study_date.isoformat() if study_date else "",
            study_date_source=date_source,
        )
        staged.append(page)
        built = ledger.cached(sop_uid, "build_warnings", PAGES_VERSION)
        if path.exists() and built is not None:
            page.warnings += built
            continue
        if pages is None:
            from filmroom.dicom.pixels import load_image_pages

            pages = load_image_pages(item.found.path)
        build_warnings = _write_secondary_capture(
            pages[offset], page, patient, conversion, settings, first_instance_number + offset
        )
        ledger.cache(sop_uid, "build_warnings", PAGES_VERSION, build_warnings)
        page.warnings += build_warnings
    return staged


def _write_secondary_capture(
    image_page, page: StagedPage, patient: Patient, conversion: str, settings: DicomSettings, number: int
) -> list[str]:
    from filmroom.dicom.secondary_capture import SeriesInfo, StudyInfo, build_secondary_capture

    if conversion != "DF" and getattr(image_page, "photometric_inferred", False):
        # A bright paper label or an exported image is shown as it looks. Only a scanned
        # film can be a negative whose polarity is read from its histogram.
        image_page.photometric = "MONOCHROME2"

    reading = page.jacket.reading if page.jacket.kind == "film_jacket" else page.jacket.folder_reading
    region = reading.value("region") if reading else None
    view = reading.value("view") if reading else None
    description = {"DF": "Digitized film", "SD": "Film jacket label"}.get(conversion, "Imported image")
    study = StudyInfo(
        study_instance_uid=page.study_instance_uid,
        study_date=dt.date.fromisoformat(page.study_date) if page.study_date else None,
        study_date_source=page.study_date_source,
        study_description="Digitized film" if page.jacket.kind == "film_jacket" else "Imported image",
    )
    if conversion == "SD":
        series = SeriesInfo(page.series_instance_uid, series_number=2, series_description=description)
    else:
        series = SeriesInfo(
            series_instance_uid=page.series_instance_uid,
            series_number=1,
            series_description=" ".join(v for v in (region, view) if v) or description,
            body_part=region or "",
        )
    dataset, build_warnings = build_secondary_capture(
        image_page,
        patient=patient,
        study=study,
        series=series,
        instance_number=number,
        sop_instance_uid=page.sop_instance_uid,
        conversion_type=conversion,
        settings=settings,
    )
    _save_atomically(dataset, page.staged_path)
    return build_warnings


def _save_atomically(dataset, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    dataset.save_as(temporary, enforce_file_format=True)
    os.replace(temporary, path)


@contextmanager
def _recorded_pydicom_warnings(into: list[str]) -> Iterator[None]:
    """Collect pydicom's warnings about a legacy file's own invalid values into ``into``.

    Legacy objects are kept as they are, invalid values included, so these are facts
    for the report, not errors.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for message in dict.fromkeys(str(w.message).split(". Please see")[0] for w in caught):
        into.append(f"source file: {message}")


def stage_legacy_dicom(
    ledger: Ledger, item: Identified, jacket: Jacket, patient: Patient, *, settings: DicomSettings, staging_dir: Path
) -> list[StagedPage]:
    """Stage a legacy DICOM file re-mapped to ``patient``; its SOP Instance UID is kept."""
    from filmroom.dicom.legacy import remap_legacy_dicom

    dicom = item.dicom or {}
    sop_uid = dicom["sop_instance_uid"]
    # Legacy systems reuse SOP Instance UIDs, so the staged name also carries the source's hash.
    path = staging_dir / f"{sop_uid}.{item.found.sha256[:12]}.dcm"
    cache_key = f"{PAGES_VERSION}:{patient.patient_id}"
    facts = legacy_facts(ledger, item)
    info = ledger.cached(item.found.sha256, "legacy_pages", cache_key)
    if info is None or not path.exists():
        with _recorded_pydicom_warnings(notes := []):
            dataset, remap_warnings = remap_legacy_dicom(item.found.path, patient=patient, settings=settings)
            _save_atomically(dataset, path)
        warnings_for_report = remap_warnings + notes
        info = {
            "study_instance_uid": str(dataset.StudyInstanceUID),
            "series_instance_uid": str(dataset.SeriesInstanceUID),
            "study_date": str(dataset.get("StudyDate", "") or ""),
            "warnings": warnings_for_report,
        }
        ledger.cache(item.found.sha256, "legacy_pages", cache_key, info)
    study_date = info["study_date"]
    if len(study_date) == 8:
        study_date = f"{study_date[:4]}-{study_date[4:6]}-{study_date[6:]}"
    return [
        StagedPage(
            item=item,
            jacket=jacket,
            page=0,
            sop_instance_uid=sop_uid,
            study_instance_uid=info["study_instance_uid"],
            series_instance_uid=info["series_instance_uid"],
            staged_path=path,
            fingerprint=facts["fingerprint"],
            quality={
                "original_dicom": True,
                "bits_stored": facts["bits_stored"],
                "pixel_count": facts["pixel_count"],
                "lossless": True,
            },
            study_date=study_date,
            study_date_source="dicom",
            warnings=list(info.get("warnings", [])),
        )
    ]


def _legacy_fingerprint(dataset) -> dict[str, Any] | None:
    """Fingerprint the first frame of a legacy object, or None when its pixels cannot be decoded here."""
    from filmroom.dedupe.fingerprint import fingerprint
    from filmroom.dicom.pixels import decoded_pixels

    try:
        pixels = decoded_pixels(dataset)
    except (BadInputError, ValueError, RuntimeError, NotImplementedError, AttributeError, KeyError) as exc:
        # pydicom and its decoder plugins raise any of these for pixel data they cannot decode.
        logger.info("Pixels of %s not decodable for duplicate checks: %s", dataset.get("SOPInstanceUID"), exc)
        return None
    if pixels.ndim == 4 or (pixels.ndim == 3 and int(dataset.get("NumberOfFrames", 1) or 1) > 1):
        pixels = pixels[0]
    photometric = str(dataset.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        photometric = "RGB" if pixels.ndim == 3 else "MONOCHROME2"
    return fingerprint(pixels, photometric).to_dict()


def reassign_colliding_uids(pages: list[StagedPage], settings: DicomSettings) -> None:
    """Give a new SOP Instance UID to legacy objects that reuse another object's UID.

    Old systems sometimes give one SOP Instance UID to several different images. An
    archive keeps only the first it receives, so the others would be lost. Within a
    group that shares a UID, the first file in path order keeps it. A later file
    with the same pixels keeps it too, because duplicate detection drops it. Any
    other gets a UID derived from the old UID and its content, and the old UID goes
    into a new OriginalAttributesSequence item. A file with the same pixels is marked
    ``same_as`` the first, so it is reported as its duplicate.
    """
    from filmroom.dicom.uids import derive_uid

    groups: dict[str, list[StagedPage]] = {}
    for page in pages:
        if page.staged and page.quality.get("original_dicom"):
            groups.setdefault(page.sop_instance_uid, []).append(page)

    for uid, group in groups.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda p: p.item.found.display_path)
        first = group[0]
        for page in group[1:]:
            if _same_pixels(first, page):
                page.same_as = first
                continue
            new_uid = derive_uid(settings.uid_root, "reassigned", uid, page.item.found.sha256)
            new_path = page.staged_path.with_name(f"{new_uid}.{page.item.found.sha256[:12]}.dcm")
            if not new_path.exists():
                _rewrite_uid(page.staged_path, new_path, uid, new_uid)
            page.warnings.append(
                f"SOP Instance UID {uid} is also used by {first.item.found.display_path} for another image; "
                f"stored as {new_uid} (the old UID is kept in OriginalAttributesSequence)"
            )
            page.sop_instance_uid = new_uid
            page.staged_path = new_path


def _same_pixels(first: StagedPage, other: StagedPage) -> bool:
    """Return whether two staged objects hold the same image.

    Decoded pixels are compared where both could be fingerprinted, the encoded Pixel
    Data otherwise (a file without file meta and the same data set with it, say).
    """
    if first.fingerprint is not None and other.fingerprint is not None:
        return first.fingerprint["pixel_digest"] == other.fingerprint["pixel_digest"]
    pixel_data = []
    for page in (first, other):
        dataset = pydicom.dcmread(page.staged_path, specific_tags=["PixelData"])
        pixel_data.append(dataset.get("PixelData"))
    return pixel_data[0] is not None and pixel_data[0] == pixel_data[1]


def _rewrite_uid(source: Path, target: Path, old_uid: str, new_uid: str) -> None:
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    dataset = pydicom.dcmread(source)
    modified = Dataset()
    modified.SOPInstanceUID = old_uid
    item = Dataset()
    item.ModifiedAttributesSequence = Sequence([modified])
    item.AttributeModificationDateTime = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
    item.ModifyingSystem = "filmroom"
    item.SourceOfPreviousValues = ""
    item.ReasonForTheAttributeModification = "CORRECT"
    if "OriginalAttributesSequence" not in dataset:
        dataset.OriginalAttributesSequence = Sequence()
    dataset.OriginalAttributesSequence.append(item)
    dataset.SOPInstanceUID = new_uid
    dataset.file_meta.MediaStorageSOPInstanceUID = new_uid
    _save_atomically(dataset, target)
