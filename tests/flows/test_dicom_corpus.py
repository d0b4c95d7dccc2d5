"""The real DICOM corpus as an old file share, migrated with a patient list that contains its patients.

Every file must end archived, duplicate, skipped or rejected with a reason, or
unmatched when it carries no patient ID, and archived objects keep their pixel
data byte for byte.
"""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import pydicom
import pytest

from filmroom.dicom.legacy import inspect_dicom
from filmroom.flows.migration import Migration, run_stages
from filmroom.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def _patient_rows(share: Path) -> list[dict[str, str]]:
    """One patient per PatientID found in the corpus, named as its first file names it."""
    rows: dict[str, dict[str, str]] = {}
    for path in sorted(p for p in share.rglob("*") if p.is_file()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                header = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            patient_id = str(header.get("PatientID", "") or "").strip()
            name = str(header.get("PatientName", "") or "")
        except Exception:  # noqa: BLE001 - any unreadable file simply contributes no patient
            continue
        if not patient_id or patient_id in rows or not name:
            continue
        family, _, given = name.partition("^")
        rows[patient_id] = {"Patient ID": patient_id, "Client Last Name": family.strip() or "Unknown",
                            "Patient Name": given.split("^")[0].strip() or family.strip() or "Unknown"}
    return list(rows.values())


@pytest.fixture(scope="module")
def corpus_run(shared_data, tmp_path_factory):
    work = tmp_path_factory.mktemp("corpus")
    share = work / "share"
    shutil.copytree(shared_data / "dicom", share)
    patients = work / "patients.csv"
    with patients.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["Patient ID", "Client Last Name", "Patient Name"])
        writer.writeheader()
        writer.writerows(_patient_rows(share))

    settings = Settings()
    settings.archive.destinations = [str(work / "archive")]
    migration = Migration(films=[], share=[share], patients=patients, out=work / "migration", settings=settings)
    summary = run_stages(migration)
    with (work / "migration" / "reconciliation.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {"work": work, "share": share, "summary": summary, "rows": rows}


def test_corpus_report_balances(corpus_run):
    files = [p for p in corpus_run["share"].rglob("*") if p.is_file()]

    assert corpus_run["summary"].balanced
    assert len(corpus_run["rows"]) == len(files)


def test_corpus_final_states(corpus_run):
    allowed = {"archived", "duplicate", "skipped", "rejected", "unmatched", "needs_review"}

    assert {row["status"] for row in corpus_run["rows"]} <= allowed
    assert sum(row["status"] == "archived" for row in corpus_run["rows"]) >= 40


def test_corpus_reasons_given(corpus_run):
    silent = [row["source_path"] for row in corpus_run["rows"]
              if row["status"] in ("skipped", "rejected", "duplicate") and not row["reason"]]

    assert silent == []


def test_corpus_pixels_byte_identical(corpus_run):
    archive = corpus_run["work"] / "archive"
    checked = 0
    for row in corpus_run["rows"]:
        if row["status"] != "archived" or row["source_kind"] != "share_dicom":
            continue
        source = corpus_run["share"].parent / row["source_path"]
        stored = next(archive.rglob(f"{row['sop_instance_uid']}.dcm"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            original = inspect_dicom(source).dataset  # reads gzip and stray-byte files too
            copy = pydicom.dcmread(stored)
        assert copy.PixelData == original.PixelData, row["source_path"]
        checked += 1

    assert checked >= 40


def test_corpus_archived_uids_unique(corpus_run):
    uids = [uid for row in corpus_run["rows"] if row["status"] == "archived"
            for uid in row["sop_instance_uid"].split(";")]
    stored = list((corpus_run["work"] / "archive").rglob("*.dcm"))

    assert len(uids) == len(set(uids))
    assert len(stored) == len(uids)
