"""Drop duplicate pages: byte-identical files first, then equal or near-equal pixels per patient."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from filmroom.tasks.build import StagedPage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DuplicateMark:
    """Why one staged page is not stored."""

    kept: StagedPage
    evidence: str


def mark_duplicates(pages: list[StagedPage], archived_keys: set[str]) -> tuple[dict[str, DuplicateMark], dict[str, str]]:
    """Return duplicate marks by page key, and review notes by page key.

    Pages are compared within one patient, because a copy filed under two patients
    is a matching problem for a person, not a duplicate to drop silently. Pages
    archived by an earlier run are always kept.
    """
    from filmroom.dedupe.fingerprint import Fingerprint
    from filmroom.dedupe.index import DedupeItem, find_duplicates, quality_rank

    marks: dict[str, DuplicateMark] = {}
    notes: dict[str, str] = {}
    by_key = {page.key: page for page in pages}

    first_by_content: dict[tuple[str, int, str], StagedPage] = {}
    for page in sorted(pages, key=lambda p: (p.key not in archived_keys, p.item.found.display_path, p.page)):
        content = (page.item.found.sha256, page.page, page.jacket.match.patient_id if page.jacket.match else "")
        kept = first_by_content.setdefault(content, page)
        if kept is not page:
            marks[page.key] = DuplicateMark(kept, "byte-identical file")

    by_patient: dict[str, list[StagedPage]] = defaultdict(list)
    for page in pages:
        if page.key in marks or page.fingerprint is None:
            continue
        patient_id = page.jacket.match.patient_id if page.jacket.match else None
        if patient_id:
            by_patient[patient_id].append(page)

    for group in by_patient.values():
        if len(group) < 2:
            continue
        items = [
            DedupeItem(
                key=page.key,
                fingerprint=Fingerprint.from_dict(page.fingerprint),
                quality=quality_rank(**page.quality),
                archived=page.key in archived_keys,
            )
            for page in group
        ]
        for key, verdict in find_duplicates(items).items():
            if verdict.duplicate_of:
                marks[key] = DuplicateMark(by_key[verdict.duplicate_of], verdict.evidence)
            elif verdict.needs_review:
                notes[key] = f"nearly uniform image, duplicate check not conclusive: {verdict.evidence}"
    logger.info("Duplicate check: %d of %d pages are duplicates", len(marks), len(pages))
    return marks, notes
