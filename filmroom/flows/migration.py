"""One migration run as plain methods, one per stage; the Prefect flow calls them as tasks.

The flow's thread is the only ledger writer. Stages hand results to the next one
in memory and record in the ledger what a re-run may reuse.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import cv2
import pydicom.config

from filmroom.errors import BadInputError, ConfigurationError
from filmroom.flows.report_stage import Outcome, ReportStage
from filmroom.ledger import Ledger
from filmroom.models import Decision, MatchResult, Patient, SourceKind, Status
from filmroom.settings import Settings
from filmroom.tasks.build import (
    StagedPage,
    page_facts,
    reassign_colliding_uids,
    stage_image,
    stage_legacy_dicom,
    unstaged_pages,
)
from filmroom.tasks.discover import FoundFile, discover
from filmroom.tasks.duplicates import mark_duplicates
from filmroom.tasks.identify import Identified, identify_file
from filmroom.tasks.jackets import Jacket, group_film_pages, group_share_files
from filmroom.tasks.load import LoadReport, load_destination
from filmroom.tasks.match import apply_review, folder_reading, match_jacket
from filmroom.tasks.read_labels import read_jacket_labels
from filmroom.tasks.report import Summary
from filmroom.tasks.serialize import candidates_to_list, reading_from_dict, reading_to_dict

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


class Migration(ReportStage):
    """State of one run: settings, ledger, patients, destinations and the files in flight."""

    def __init__(
        self,
        *,
        films: list[Path],
        share: list[Path],
        patients: Path,
        out: Path,
        settings: Settings,
        review: Path | None = None,
        date_format: str | None = None,
        run_id: str = "local",
        progress: Progress | None = None,
    ) -> None:
        if not films and not share:
            raise ConfigurationError("Nothing to migrate: give at least one --films or --share folder.")
        for folder in [*films, *share]:
            if not folder.is_dir():
                raise ConfigurationError(f"Source folder not found: {folder}. Check the path and run again.")

        self.films = [f.resolve() for f in films]
        self.share = [s.resolve() for s in share]
        _check_outside_sources(out.resolve(), "--out", [*self.films, *self.share])
        for spec in settings.archive.destinations:
            if "://" not in spec or spec.startswith("file://"):
                local = Path(spec.removeprefix("file://")).resolve()
                _check_outside_sources(local, "--archive", [*self.films, *self.share])

        self.patients_path = patients
        self.out = out.resolve()
        self.settings = settings
        self.review_path = review
        self.date_format = date_format
        self.run_id = run_id
        self.progress = progress or (lambda stage, done, total: None)
        self.staging_dir = self.out / "staging"
        self.crop_dir = self.out / "label_crops"

        # State that the stages fill in, in order.
        self.ledger: Ledger | None = None
        self.patient_list = None
        self.destinations: list = []
        self.identified: list[Identified] = []
        self.jackets: list[Jacket] = []
        self.pages: list[StagedPage] = []
        self.outcomes: dict[int, Outcome] = {}
        self.review_errors: list[str] = []
        self.load_reports: list[LoadReport] = []
        self._validation_modes: tuple[int, int] | None = None
        self._review_rows: dict[str, int] = {}

    # Stage 0: everything that can stop the run happens before anything is stored.

    def prepare(self) -> None:
        from filmroom.destinations import open_destination
        from filmroom.matching.patient_list import load_patient_list

        # Legacy files carry invalid values (UIDs with letters, over-long strings) and
        # oddly encoded pixel data, which are kept as they are. pydicom would warn on every
        # read, write and decode of them. New objects are checked with dciodvfy in the tests.
        self._validation_modes = (pydicom.config.settings.reading_validation_mode,
                                  pydicom.config.settings.writing_validation_mode)
        pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
        pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
        # OpenCV's read warnings print the file path, which can contain owner and pet names.
        # Unreadable files are reported in the reconciliation report instead.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        self._warning_filters = list(warnings.filters)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom\.")

        self.patient_list = load_patient_list(self.patients_path, date_format=self.date_format)
        if not self.patient_list.patients:
            raise ConfigurationError(
                f"The patient list {self.patients_path} has no patient rows; export the list again."
            )
        if self.films:
            from filmroom.labels.reader import check_ocr_available

            check_ocr_available(self.settings.labels)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self.staging_dir.mkdir(exist_ok=True)
            (self.out / "patient_list_issues.txt").write_text(
                "".join(f"{issue}\n" for issue in self.patient_list.issues), encoding="utf-8"
            )
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot write to the --out folder {self.out} ({exc.strerror}); choose a writable folder."
            ) from None
        self.crop_dir.mkdir(exist_ok=True)
        self.ledger = Ledger(self.out / "ledger.sqlite")
        self.ledger.start_run(self.run_id, {"films": self.films, "share": self.share,
                                            "patients": self.patients_path, "review": self.review_path})
        for spec in self.settings.archive.destinations:
            self.destinations.append(open_destination(spec, self.settings.archive))
        if self.review_path is not None:
            self._record_review_decisions()

    def _record_review_decisions(self) -> None:
        from filmroom.matching.review_workbook import read_review_workbook

        assert self.ledger is not None and self.patient_list is not None
        if not self.review_path.is_file():
            raise ConfigurationError(f"Review workbook not found: {self.review_path}")
        decisions, errors = read_review_workbook(self.review_path, known_patient_ids=set(self.patient_list.by_id))
        self.review_errors = errors
        self._review_rows = {jacket_id: decision.row for jacket_id, decision in decisions.items()}
        with self.ledger.transaction():
            for jacket_id, decision in decisions.items():
                # "skip" leaves the jacket for later: it clears an earlier decision.
                action = "" if decision.action == "skip" else decision.action
                self.ledger.upsert_jacket(
                    jacket_id,
                    kind=self._jacket_kind(jacket_id),
                    review_action=action,
                    review_patient_id=(decision.patient_id or "") if action else "",
                    review_row=decision.row,
                )

    def _jacket_kind(self, jacket_id: str) -> str:
        row = self.ledger.jacket(jacket_id) if self.ledger else None
        return row["kind"] if row else "film_jacket"

    # Stage 1 and 2: find and identify every file.

    def discover(self) -> list[FoundFile]:
        assert self.ledger is not None
        roots = [(f, "films") for f in self.films] + [(s, "share") for s in self.share]
        found = discover(roots, known_hash=self.ledger.known_hash)
        return found

    def identify(self, found: list[FoundFile]) -> None:
        assert self.ledger is not None
        self.identified = []
        for index, item in enumerate(found, start=1):
            with self.ledger.transaction():
                source_id = self.ledger.upsert_source(
                    {"path": str(item.path), "display_path": item.display_path, "root": str(item.root),
                     "root_kind": item.root_kind, "size": item.size, "mtime_ns": item.mtime_ns,
                     "sha256": item.sha256, "file_format": item.file_format}
                )
                self.ledger.update_source(source_id, last_run=self.run_id)
                try:
                    identified = identify_file(self.ledger, source_id, item)
                except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the run
                    identified = _unreadable(source_id, item, exc)
            if identified.status is Status.PENDING and identified.found.file_format == "image":
                try:
                    page_facts(self.ledger, identified)
                except BadInputError as exc:
                    identified.status, identified.reason = Status.REJECTED, exc.reason
                except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the run
                    identified = _unreadable(source_id, item, exc, identified.source_kind)
            self.identified.append(identified)
            if identified.status is not Status.PENDING:
                self.outcomes[source_id] = Outcome(identified.status, identified.reason)
            self.progress("identify", index, len(found))

    # Stage 3 and 4: jackets, label reading, matching.

    def group(self) -> None:
        pending = [i for i in self.identified if i.status is Status.PENDING or i.page_class == "separator"]
        film_items = [i for i in pending if i.found.root_kind == "films" and i.source_kind is not SourceKind.SHARE_DICOM]
        film_ids = {i.source_id for i in film_items}
        share_items = [i for i in pending if i.source_id not in film_ids and i.status is Status.PENDING]
        self.jackets = group_film_pages(film_items) + group_share_files(share_items)

        for jacket in self.jackets:
            if jacket.kind == "dicom_patient":
                dicom = jacket.members[0].dicom or {}
                jacket.reading = reading_from_dict(dicom["reading"]) if dicom.get("reading") else None
            if jacket.folder is not None:
                root = next(r for r in [*self.films, *self.share] if r == jacket.folder or r in jacket.folder.parents)
                jacket.folder_reading = folder_reading(jacket.folder, root)

    def read_labels(self) -> None:
        assert self.ledger is not None
        errors = read_jacket_labels(
            self.ledger, self.jackets, settings=self.settings.labels, crop_dir=self.crop_dir,
            progress=lambda done, total: self.progress("read labels", done, total),
        )
        for jacket in self.jackets:
            if jacket.jacket_id in errors and jacket.label is not None:
                jacket.notes.append(f"label unreadable: {errors[jacket.jacket_id]}")

    def match(self) -> None:
        from filmroom.matching.matcher import Matcher

        assert self.ledger is not None and self.patient_list is not None
        matcher = Matcher(self.patient_list.patients, self.settings.match)
        known = {jacket.jacket_id for jacket in self.jackets}
        for jacket_id, row in sorted(self._review_rows.items(), key=lambda item: item[1]):
            if jacket_id not in known:
                self.review_errors.append(
                    f"Review row {row}: jacket {jacket_id} is not part of this migration; "
                    "was the workbook written for other --films or --share folders?"
                )
        with self.ledger.transaction():
            for index, jacket in enumerate(self.jackets, start=1):
                result = match_jacket(jacket, matcher, self.settings)
                row = self.ledger.jacket(jacket.jacket_id)
                result = apply_review(row, result)
                if result.method == "review" and result.patient_id not in self.patient_list.by_id:
                    result = MatchResult(Decision.NEEDS_REVIEW, result.candidates, "review_unknown_patient")
                jacket.match = result
                reading = jacket.reading or jacket.folder_reading
                self.ledger.upsert_jacket(
                    jacket.jacket_id,
                    kind=jacket.kind,
                    label_source_id=jacket.label.source_id if jacket.label else None,
                    reading=json.dumps(reading_to_dict(reading)) if reading else "{}",
                    decision=result.decision.value,
                    method=result.method,
                    patient_id=result.patient_id or "",
                    score=result.score,
                    candidates=json.dumps(candidates_to_list(result.candidates)),
                )
                self.progress("match", index, len(self.jackets))

    # Stage 5 and 6: build DICOM, drop duplicates.

    def build(self) -> None:
        assert self.ledger is not None and self.patient_list is not None
        self.pages = []
        for index, jacket in enumerate(self.jackets, start=1):
            self._build_jacket(jacket)
            self.progress("build DICOM", index, len(self.jackets))
        reassign_colliding_uids(self.pages, self.settings.dicom)

    def _build_jacket(self, jacket: Jacket) -> None:
        assert self.ledger is not None and self.patient_list is not None
        members = ([jacket.label] if jacket.label else []) + jacket.members
        row = self.ledger.jacket(jacket.jacket_id)
        review_action = row["review_action"] if row else ""
        result = jacket.match
        assert result is not None

        if review_action == "not_patient":
            reason = "marked 'not a patient' in review.xlsx"
            for item in members:
                self.outcomes[item.source_id] = Outcome(Status.SKIPPED, reason)
            return
        if result.decision is not Decision.AUTO:
            status = Status.NEEDS_REVIEW if result.decision is Decision.NEEDS_REVIEW else Status.UNMATCHED
            reason = _decision_reason(jacket, result)
            for item in members:
                self.outcomes[item.source_id] = Outcome(status, reason)
                try:
                    self.pages.extend(unstaged_pages(self.ledger, item, jacket))
                except BadInputError as exc:
                    self.outcomes[item.source_id] = Outcome(Status.REJECTED, exc.reason)
            return

        patient: Patient = self.patient_list.by_id[result.patient_id]
        number = 1
        for item in members:
            try:
                if item.source_kind is SourceKind.SHARE_DICOM:
                    staged = stage_legacy_dicom(self.ledger, item, jacket, patient,
                                                settings=self.settings.dicom, staging_dir=self.staging_dir)
                else:
                    staged = stage_image(self.ledger, item, jacket, patient, settings=self.settings.dicom,
                                         staging_dir=self.staging_dir, first_instance_number=number)
            except BadInputError as exc:
                self.outcomes[item.source_id] = Outcome(Status.REJECTED, exc.reason)
                continue
            except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the run
                self.outcomes[item.source_id] = Outcome(Status.REJECTED, _unreadable_reason(item.source_id, exc))
                continue
            number += len(staged)
            self.pages.extend(staged)

    def drop_duplicates(self) -> None:
        assert self.ledger is not None
        archived_keys = self.ledger.archived_page_keys()
        marks, notes = mark_duplicates(self.pages, archived_keys)
        conflicts = self._same_image_conflicts(marks)
        pages_to_store: list[StagedPage] = []
        for page in self.pages:
            if page.jacket.jacket_id in conflicts:
                self.outcomes[page.item.source_id] = Outcome(Status.NEEDS_REVIEW, conflicts[page.jacket.jacket_id])
                continue
            mark = marks.get(page.key)
            if mark is None or mark.conflict:
                if page.key in notes:
                    page.warnings.append(notes[page.key])
                if mark is not None:
                    page.warnings.append(f"same image as {mark.kept.item.found.display_path}, "
                                         "which review filed under another patient")
                if page.staged:
                    pages_to_store.append(page)
                continue
            kept_path = mark.kept.item.found.display_path
            self.outcomes[page.item.source_id] = Outcome(
                Status.DUPLICATE, f"same image as {kept_path} ({mark.evidence})", duplicate_of=kept_path
            )
        # A multi-page file is a duplicate only when every page is one; its other pages are stored.
        duplicates = {sid for sid, o in self.outcomes.items() if o.status is Status.DUPLICATE}
        for source_id in {p.item.source_id for p in pages_to_store} & duplicates:
            del self.outcomes[source_id]
        self.pages = pages_to_store
        with self.ledger.transaction():
            for page in pages_to_store:
                self.ledger.record_instance({
                    "sop_instance_uid": page.sop_instance_uid, "source_id": page.item.source_id,
                    "page": page.page, "patient_id": page.jacket.match.patient_id,
                    "study_instance_uid": page.study_instance_uid,
                    "series_instance_uid": page.series_instance_uid, "staged_path": str(page.staged_path),
                })

    def _same_image_conflicts(self, marks) -> dict[str, str]:
        """Return jackets to send to review because one image is filed under two patients.

        One of the two filings is wrong, so both jackets go to review, except a jacket
        whose patient a person already chose in review.
        """
        conflicts: dict[str, str] = {}
        pages_by_key = {page.key: page for page in self.pages}
        for key, mark in marks.items():
            if not mark.conflict:
                continue
            page = pages_by_key[key]
            for jacket, other in ((page.jacket, mark.kept), (mark.kept.jacket, page)):
                if jacket.match is not None and jacket.match.method != "review":
                    conflicts.setdefault(
                        jacket.jacket_id,
                        f"same image as {other.item.found.display_path}, which is filed under another "
                        f"patient ({mark.evidence}): choose the patient of both jackets in review.xlsx",
                    )
        for jacket in self.jackets:
            if jacket.jacket_id in conflicts and jacket.match is not None:
                jacket.match = MatchResult(Decision.NEEDS_REVIEW, jacket.match.candidates, "same_image_other_patient")
        return conflicts

    # Stage 7: store and verify at every destination.

    def load(self) -> None:
        assert self.ledger is not None
        for destination in self.destinations:
            report = load_destination(
                self.ledger, destination, self.pages,
                verify_fraction=self.settings.archive.verify_sample_fraction,
                progress=lambda done, total, name=destination.name: self.progress(f"store at {name}", done, total),
            )
            self.load_reports.append(report)
        self._remove_replaced_from_local_archives()

    def _remove_replaced_from_local_archives(self) -> None:
        """Delete objects that are now filed under another patient from local archives.

        Network archives keep them (DIMSE and DICOMweb have no portable delete), so
        replaced.csv lists what is left there.
        """
        assert self.ledger is not None
        replaced = [row["old_sop_instance_uid"] for row in self.ledger.replaced_instances()]
        if not replaced:
            return
        for destination in self.destinations:
            remove = getattr(destination, "remove", None)
            if remove is None:
                continue
            removed = remove(replaced)
            with self.ledger.transaction():
                for uid in removed:
                    self.ledger.record_placement(uid, destination.name, "removed", None,
                                                 "filed under another patient by a later run")

    def close(self) -> None:
        for destination in self.destinations:
            destination.close()
        if self.ledger is not None:
            self.ledger.close()
        if self._validation_modes is not None:
            (pydicom.config.settings.reading_validation_mode,
             pydicom.config.settings.writing_validation_mode) = self._validation_modes
            self._validation_modes = None
            warnings.filters[:] = self._warning_filters


def _check_outside_sources(folder: Path, option: str, sources: list[Path]) -> None:
    """Raise ConfigurationError when an output folder is inside a source folder.

    The next run would read its own ledger, reports and archive as source files.
    """
    for source in sources:
        if folder == source or source in folder.parents:
            raise ConfigurationError(
                f"The {option} folder {folder} is inside the source folder {source}; "
                "choose a folder outside every --films and --share folder."
            )


def _unreadable_reason(source_id: int, exc: Exception) -> str:
    """Log an unexpected failure on one file and return the reason for its report row."""
    # The message often contains the file path, which can hold names: it goes to the report only.
    logger.warning("Source %d could not be processed: %s", source_id, type(exc).__name__)
    return f"could not be read ({type(exc).__name__}: {exc}); check the file, or report it if it opens elsewhere"


def _unreadable(source_id: int, found: FoundFile, exc: Exception,
                kind: SourceKind = SourceKind.OTHER) -> Identified:
    return Identified(source_id, found, kind, status=Status.REJECTED, reason=_unreadable_reason(source_id, exc))


def _decision_reason(jacket: Jacket, result: MatchResult) -> str:
    if result.method == "no_label":
        return "films with no jacket label before them: choose the patient in review.xlsx"
    if result.method == "label_unreadable":
        return "label could not be read with confidence: choose the patient in review.xlsx"
    if result.method == "dicom_header_folder_conflict":
        return "DICOM header and folder name point to different patients: choose in review.xlsx"
    if result.decision is Decision.NEEDS_REVIEW:
        return f"no clear patient match ({len(result.candidates)} candidates): choose in review.xlsx"
    if jacket.kind == "share_folder" and jacket.folder_reading is None:
        return "folder name names no patient: assign one in review.xlsx or leave it"
    return "no patient in the patient list matches: add the patient to the list or assign one in review.xlsx"


def run_stages(migration: Migration) -> Summary:
    """Run every stage in order without Prefect; the flow runs the same stages as tasks."""
    try:
        migration.prepare()
        migration.identify(migration.discover())
        migration.group()
        migration.read_labels()
        migration.match()
        migration.build()
        migration.drop_duplicates()
        migration.load()
        return migration.finish()
    finally:
        migration.close()
