"""The reconciliation report: one row per source file, and a summary whose totals balance."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from filmroom.models import Status

REPORT_COLUMNS = (
    "source_path",
    "source_kind",
    "jacket",
    "status",
    "patient_id",
    "match_method",
    "match_score",
    "study_instance_uid",
    "sop_instance_uid",
    "duplicate_of",
    "archive",
    "reason",
    "study_date",
    "study_date_source",
    "page_class",
    "warnings",
    "size_bytes",
    "sha256",
)
FINAL_STATUSES = [s.value for s in Status]


@dataclass(frozen=True)
class Summary:
    """Counts of one run. ``found`` equals the sum of ``by_status``, or the report is wrong."""

    found: int
    by_status: dict[str, int]
    by_kind: dict[str, int]
    destinations: dict[str, int]  # instances verified per destination
    replaced: int = 0  # stored objects superseded by a copy filed under another patient

    @property
    def balanced(self) -> bool:
        return self.found == sum(self.by_status.values())

    def lines(self) -> list[str]:
        lines = [f"Files found: {self.found}"]
        lines += [f"  {status:<13}{self.by_status.get(status, 0):>7}" for status in FINAL_STATUSES
                  if self.by_status.get(status, 0)]
        lines.append(f"  {'total':<13}{sum(self.by_status.values()):>7}"
                     + ("" if self.balanced else "  (DOES NOT BALANCE)"))
        for name, count in self.destinations.items():
            lines.append(f"Instances verified at {name}: {count}")
        if self.replaced:
            lines.append(f"Objects filed under another patient before and now replaced: {self.replaced} "
                         "(see replaced.csv; delete them from the archives)")
        return lines


def summarize(rows: list[dict], destinations: dict[str, int], replaced: int = 0) -> Summary:
    return Summary(
        found=len(rows),
        by_status=dict(Counter(row["status"] for row in rows)),
        by_kind=dict(Counter(row["source_kind"] for row in rows)),
        destinations=destinations,
        replaced=replaced,
    )


REPLACED_COLUMNS = ("old_sop_instance_uid", "old_patient_id", "new_sop_instance_uid", "new_patient_id",
                    "source_path", "stored_at")


def write_replaced(rows: list[dict], out_dir: Path) -> Path:
    """Write ``replaced.csv``: stored objects that a later run filed under another patient.

    Archives keep the old object, because DIMSE and DICOMweb offer no portable way to
    delete one, so each row is an object to remove by hand.
    """
    path = out_dir / "replaced.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPLACED_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_reconciliation(rows: list[dict], summary: Summary, out_dir: Path) -> tuple[Path, Path]:
    """Write ``reconciliation.csv`` and ``reconciliation.xlsx`` (rows plus a Summary sheet)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "reconciliation.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Files"
    sheet.append(list(REPORT_COLUMNS))
    for row in rows:
        sheet.append([row.get(column, "") for column in REPORT_COLUMNS])
    _format_table(sheet, widths={"source_path": 48, "jacket": 36, "reason": 60, "warnings": 40,
                                 "study_instance_uid": 30, "sop_instance_uid": 30, "duplicate_of": 40,
                                 "archive": 30, "sha256": 20})

    totals = workbook.create_sheet("Summary")
    totals.append(["status", "files"])
    for status in FINAL_STATUSES:
        totals.append([status, summary.by_status.get(status, 0)])
    totals.append(["total", sum(summary.by_status.values())])
    totals.append(["files found", summary.found])
    totals.append([])
    totals.append(["source kind", "files"])
    for kind, count in sorted(summary.by_kind.items()):
        totals.append([kind, count])
    totals.append([])
    totals.append(["destination", "instances verified"])
    for name, count in summary.destinations.items():
        totals.append([name, count])
    for cell in totals[1]:
        cell.font = Font(bold=True)
    totals.column_dimensions["A"].width = 40
    totals.column_dimensions["B"].width = 18

    xlsx_path = out_dir / "reconciliation.xlsx"
    workbook.save(xlsx_path)
    return csv_path, xlsx_path


def _format_table(sheet, widths: dict[str, int]) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(REPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(column, 16)
