"""Group identified files into jackets: a label with its films, a share folder, or a DICOM patient."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from filmroom.models import MatchResult, Reading, SourceKind, Status
from filmroom.tasks.identify import Identified


@dataclass
class Jacket:
    """Files that share one patient decision."""

    jacket_id: str
    kind: str  # film_jacket | share_folder | dicom_patient
    label: Identified | None = None
    members: list[Identified] = field(default_factory=list)
    folder: Path | None = None  # the share folder, for share_folder and dicom_patient jackets
    reading: Reading | None = None
    folder_reading: Reading | None = None
    match: MatchResult | None = None
    notes: list[str] = field(default_factory=list)


def group_film_pages(items: list[Identified]) -> list[Jacket]:
    """Split the pages under --films into jackets, folder by folder, in natural file-name order.

    In a folder with one label page, every film belongs to it. In a scanner batch, a
    label page starts a jacket and the film pages after it belong to it, and a
    separator sheet ends the current jacket. Films with no label before them in
    their folder form a jacket of their own that needs review.
    """
    by_folder: OrderedDict[Path, list[Identified]] = OrderedDict()
    for item in items:
        by_folder.setdefault(item.found.path.parent, []).append(item)

    jackets: list[Jacket] = []
    for folder, pages in by_folder.items():
        labels = [p for p in pages if p.source_kind is SourceKind.JACKET_LABEL and p.status is Status.PENDING]
        separators = [p for p in pages if p.page_class == "separator"]
        if len(labels) == 1 and not separators:
            # A folder per jacket: every film in it belongs to its one label, in any name order.
            jacket = Jacket(jacket_id=_page_jacket_id(labels[0]), kind="film_jacket", label=labels[0])
            jacket.members = [p for p in pages if p is not labels[0] and p.status is Status.PENDING]
            jackets.append(jacket)
            continue
        current: Jacket | None = None
        for page in pages:
            if page.page_class == "separator":
                current = None
                continue
            if page.status is not Status.PENDING:
                continue
            if page.source_kind is SourceKind.JACKET_LABEL:
                current = Jacket(jacket_id=_page_jacket_id(page), kind="film_jacket", label=page)
                jackets.append(current)
                continue
            if current is None:
                current = Jacket(jacket_id=_orphan_jacket_id(folder, page), kind="film_jacket")
                current.notes.append("films with no label scan before them in their folder")
                jackets.append(current)
            current.members.append(page)
    return jackets


def _page_jacket_id(label: Identified) -> str:
    return label.found.display_path.rsplit(".", 1)[0]


def _orphan_jacket_id(folder: Path, first_film: Identified) -> str:
    return f"{first_film.found.display_path.rsplit('/', 1)[0]}/(no label before {first_film.found.path.name})"


def group_share_files(items: list[Identified]) -> list[Jacket]:
    """Group share images by folder, and share DICOM by folder and original patient."""
    jackets: OrderedDict[str, Jacket] = OrderedDict()
    for item in items:
        folder_display = item.found.display_path.rsplit("/", 1)[0]
        if item.source_kind is SourceKind.SHARE_DICOM:
            identity = _dicom_identity_key(item)
            jacket_id = f"{folder_display} [DICOM patient {identity}]"
            kind = "dicom_patient"
        else:
            jacket_id = folder_display
            kind = "share_folder"
        jacket = jackets.get(jacket_id)
        if jacket is None:
            jacket = Jacket(jacket_id=jacket_id, kind=kind, folder=item.found.path.parent)
            jackets[jacket_id] = jacket
        jacket.members.append(item)
    return list(jackets.values())


def _dicom_identity_key(item: Identified) -> str:
    """Return a short key for the original patient of a DICOM file, free of names."""
    dicom = item.dicom or {}
    fields = dicom.get("reading", {}).get("fields", {})
    name_parts = [str(fields.get(k, [""])[0]) for k in ("owner_last", "pet_name", "owner_first")]
    patient_id = dicom.get("patient_id", "")
    digest = hashlib.sha256("|".join([patient_id, *name_parts]).encode()).hexdigest()[:8]
    return f"{patient_id or 'no ID'} #{digest}"
