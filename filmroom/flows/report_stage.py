"""The last stage of a run: the final status of every file, the reports and the review workbook.

``ReportStage`` is a mixin of ``filmroom.flows.migration.Migration``; it reads the
state that the earlier stages left on the run.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from filmroom.dedupe.fingerprint import render_8bit
from filmroom.dicom.legacy import inspect_dicom
from filmroom.dicom.pixels import decoded_pixels, load_image_pages
from filmroom.models import Decision, SourceKind, Status
from filmroom.tasks.build import StagedPage
from filmroom.tasks.identify import Identified
from filmroom.tasks.report import Summary, summarize, write_reconciliation, write_replaced

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """The final state of one source file in this run."""

    status: Status
    reason: str = ""
    duplicate_of: str = ""
    sop_uids: list[str] = field(default_factory=list)
    study_uids: list[str] = field(default_factory=list)
    archives: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    study_date: str = ""
    study_date_source: str = ""


class ReportStage:
    """Methods of ``Migration`` that end a run."""

    def finish(self) -> Summary:
        assert self.ledger is not None
        by_source: dict[int, list[StagedPage]] = {}
        for page in self.pages:
            by_source.setdefault(page.item.source_id, []).append(page)

        for source_id, pages in by_source.items():
            self.outcomes[source_id] = self._stored_outcome(pages)

        rows = []
        items = {i.source_id: i for i in self.identified}
        jacket_of = {m.source_id: j for j in self.jackets for m in ([j.label] if j.label else []) + j.members}
        with self.ledger.transaction():
            for source_id, item in items.items():
                outcome = self.outcomes.get(source_id) or Outcome(Status.REJECTED, "not processed: internal error")
                jacket = jacket_of.get(source_id)
                match = jacket.match if jacket else None
                values = {
                    "source_kind": item.source_kind.value,
                    "jacket_id": jacket.jacket_id if jacket else "",
                    "page_class": item.page_class,
                    "page_evidence": json.dumps(item.evidence, sort_keys=True, default=str),
                    "status": outcome.status.value,
                    "reason": outcome.reason,
                    "duplicate_of": outcome.duplicate_of,
                    "patient_id": (match.patient_id or "") if match and outcome.status is not Status.UNMATCHED else "",
                    "match_method": match.method if match else "",
                    "match_score": round(match.score, 3) if match and match.score is not None else None,
                    "study_date": outcome.study_date,
                    "study_date_source": outcome.study_date_source,
                    "warnings": "; ".join(outcome.warnings),
                }
                self.ledger.update_source(source_id, **values)
                rows.append(self._report_row(item, values, outcome))

        rows.sort(key=lambda r: r["source_path"])
        verified = {r.destination: len(r.verified) for r in self.load_reports}
        replaced = self.ledger.replaced_instances()
        summary = summarize(rows, verified, replaced=len(replaced))
        write_reconciliation(rows, summary, self.out)
        write_replaced(replaced, self.out)
        (self.out / "review_errors.txt").write_text("".join(f"{e}\n" for e in self.review_errors), encoding="utf-8")
        self._write_review_workbook()
        self.ledger.finish_run(self.run_id)
        return summary

    def _stored_outcome(self, pages: list[StagedPage]) -> Outcome:
        first = pages[0]
        outcome = Outcome(
            Status.ARCHIVED,
            sop_uids=[p.sop_instance_uid for p in pages],
            study_uids=sorted({p.study_instance_uid for p in pages}),
            warnings=[w for p in pages for w in p.warnings],
            study_date=first.study_date,
            study_date_source=first.study_date_source,
        )
        problems = []
        for report in self.load_reports:
            missing = [report.problems[p.sop_instance_uid] for p in pages if p.sop_instance_uid not in report.verified]
            if missing:
                problems.append(missing[0])
                if any(p.sop_instance_uid in report.rejected for p in pages):
                    outcome.status = Status.REJECTED
            else:
                outcome.archives.append(report.destination)
        if problems:
            if outcome.status is not Status.REJECTED:
                outcome.status = Status.PENDING
            outcome.reason = "; ".join(problems)
        return outcome

    def _report_row(self, item: Identified, values: dict, outcome: Outcome) -> dict:
        return {
            "source_path": item.found.display_path,
            "source_kind": values["source_kind"],
            "jacket": values["jacket_id"],
            "status": values["status"],
            "patient_id": values["patient_id"],
            "match_method": values["match_method"],
            "match_score": "" if values["match_score"] is None else values["match_score"],
            "study_instance_uid": ";".join(outcome.study_uids),
            "sop_instance_uid": ";".join(outcome.sop_uids),
            "duplicate_of": outcome.duplicate_of,
            "archive": ";".join(outcome.archives),
            "reason": outcome.reason,
            "study_date": values["study_date"],
            "study_date_source": values["study_date_source"],
            "page_class": values["page_class"],
            "warnings": values["warnings"],
            "size_bytes": item.found.size,
            "sha256": item.found.sha256,
        }

    def _write_review_workbook(self) -> None:
        from filmroom.matching.review_workbook import ReviewItem, write_review_workbook

        assert self.patient_list is not None
        items = []
        for jacket in self.jackets:
            if jacket.match is None or jacket.match.decision is Decision.AUTO:
                continue
            members = ([jacket.label] if jacket.label else []) + jacket.members
            if any(self.outcomes.get(m.source_id, Outcome(Status.PENDING)).status is Status.SKIPPED for m in members):
                continue
            reading = jacket.reading or jacket.folder_reading
            from filmroom.models import Reading

            items.append(ReviewItem(
                jacket_id=jacket.jacket_id,
                kind=jacket.kind,
                source_paths=[m.found.display_path for m in members],
                crop_path=(reading.crop_path if reading and reading.crop_path else None)
                or _thumbnail(members, self.crop_dir),
                text=reading.text if reading else "; ".join(jacket.notes),
                reading=reading or Reading(),
                candidates=jacket.match.candidates,
                status="needs_review" if jacket.match.decision is Decision.NEEDS_REVIEW else "unmatched",
            ))
        write_review_workbook(self.out / "review.xlsx", items, self.patient_list.by_id)



THUMBNAIL_WIDTH = 200  # pixels, the width of the picture in review.xlsx


def _thumbnail(members: list[Identified], folder: Path) -> Path | None:
    """Write a windowed 8-bit PNG of the first image of a jacket that has no label crop.

    Share folders and DICOM patients have no label, so the row shows the image itself. Returns None when no member can be decoded; the row then has no picture.
    """
    for item in members:
        if item.status is not Status.PENDING and item.status is not Status.NEEDS_REVIEW:
            continue
        target = folder / f"thumb-{item.found.sha256}.png"
        if target.exists():
            return target
        try:
            pixels, photometric = _first_frame(item)
            rendered = render_8bit(pixels, photometric)
            height = max(1, round(rendered.shape[0] * THUMBNAIL_WIDTH / rendered.shape[1]))
            small = cv2.resize(rendered, (THUMBNAIL_WIDTH, height), interpolation=cv2.INTER_AREA)
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(target), small)
            return target
        except Exception:  # noqa: BLE001 - a missing picture must not stop the report
            logger.info("No review thumbnail for source %d", item.source_id)
    return None


def _first_frame(item: Identified) -> tuple[np.ndarray, str]:
    if item.source_kind is SourceKind.SHARE_DICOM:
        dataset = inspect_dicom(item.found.path).dataset
        pixels = decoded_pixels(dataset)
        if int(dataset.get("NumberOfFrames", 1) or 1) > 1:
            pixels = pixels[0]
        photometric = str(dataset.get("PhotometricInterpretation", "MONOCHROME2"))
        if photometric not in ("MONOCHROME1", "MONOCHROME2"):
            photometric = "RGB" if pixels.ndim == 3 else "MONOCHROME2"
        return pixels, photometric
    page = load_image_pages(item.found.path)[0]
    return page.pixels, page.photometric
