"""Drop duplicate pages: byte-identical files first, then equal or near-equal pixels.

Every page takes part, archived or not, so that an unmatched export of an image that
is archived elsewhere is reported as that image's duplicate. The copy kept is one
that is archived whenever there is one. A copy filed under another patient than the
kept one is never dropped: it goes to review, because one of the two is misfiled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from filmroom.models import SourceKind
from filmroom.tasks.build import StagedPage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DuplicateMark:
    """Why one page is not stored: ``conflict`` marks a copy filed under another patient."""

    kept: StagedPage
    evidence: str
    conflict: bool = False


def _patient(page: StagedPage) -> str:
    if page.staged and page.jacket.match is not None:
        return page.jacket.match.patient_id or ""
    return ""


def _mark(page: StagedPage, kept: StagedPage, evidence: str) -> DuplicateMark:
    conflict = bool(_patient(page)) and bool(_patient(kept)) and _patient(page) != _patient(kept)
    return DuplicateMark(kept, evidence, conflict)


def mark_duplicates(
    pages: list[StagedPage], archived_keys: set[str]
) -> tuple[dict[str, DuplicateMark], dict[str, str]]:
    """Return duplicate marks by page key, and review notes (uniform images) by page key.

    Pages archived by an earlier run are kept first, then pages archived in this
    run, then by the quality rule of ``filmroom.dedupe.index.quality_rank``.
    """
    from filmroom.dedupe.fingerprint import Fingerprint
    from filmroom.dedupe.index import DedupeItem, find_duplicates, quality_rank

    marks: dict[str, DuplicateMark] = {}
    notes: dict[str, str] = {}
    by_key = {page.key: page for page in pages}

    def preference(page: StagedPage) -> tuple:
        return (page.key not in archived_keys, not page.staged, page.item.found.display_path, page.page)

    for page in pages:
        if page.same_as is not None:
            marks[page.key] = _mark(page, page.same_as, "same SOP Instance UID and Pixel Data")

    first_by_content: dict[tuple[str, int], StagedPage] = {}
    for page in sorted(pages, key=preference):
        if page.key in marks:
            continue
        kept = first_by_content.setdefault((page.item.found.sha256, page.page), page)
        if kept is not page:
            marks[page.key] = _mark(page, kept, "byte-identical file")

    # Labels printed from one template look alike, so they are compared by exact pixels only.
    first_label_by_pixels: dict[str, StagedPage] = {}
    for page in sorted(pages, key=preference):
        if page.key in marks or page.fingerprint is None or page.item.source_kind is not SourceKind.JACKET_LABEL:
            continue
        kept = first_label_by_pixels.setdefault(page.fingerprint["pixel_digest"], page)
        if kept is not page:
            marks[page.key] = _mark(page, kept, "pixel digest equal")

    items = [
        DedupeItem(
            key=page.key,
            fingerprint=Fingerprint.from_dict(page.fingerprint),
            quality=(page.staged, *quality_rank(**page.quality)),
            archived=page.key in archived_keys,
        )
        for page in pages
        if page.key not in marks
        and page.fingerprint is not None
        and page.item.source_kind is not SourceKind.JACKET_LABEL
    ]
    for key, verdict in find_duplicates(items).items():
        if verdict.duplicate_of:
            marks[key] = _mark(by_key[key], by_key[verdict.duplicate_of], verdict.evidence)
        elif verdict.needs_review:
            notes[key] = f"nearly uniform image, duplicate check not conclusive: {verdict.evidence}"
    logger.info("Duplicate check: %d of %d pages are copies of another page", len(marks), len(pages))
    return marks, notes
