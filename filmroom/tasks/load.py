"""Store staged objects at each destination, then prove they are there.

An object counts as archived at a destination only when a query there finds it;
a sample is also retrieved and compared pixel for pixel. What was stored before
is not sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

from filmroom.errors import TransientDestinationError
from filmroom.ledger import Ledger
from filmroom.tasks.build import StagedPage

logger = logging.getLogger(__name__)

STORE_CHUNK = 50


@dataclass
class LoadReport:
    """Per-destination results of one load."""

    destination: str
    verified: set[str] = field(default_factory=set)
    problems: dict[str, str] = field(default_factory=dict)  # SOP Instance UID -> reason
    rejected: set[str] = field(default_factory=set)
    conflicts: dict[str, str] = field(default_factory=dict)  # patient ID -> conflict message


def _identity_in_file(path: Path) -> tuple[str, str, str]:
    header = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["PatientID", "PatientName", "PatientSpeciesDescription"])
    return (
        str(header.get("PatientID", "")),
        str(header.get("PatientName", "")),
        str(header.get("PatientSpeciesDescription", "")),
    )


def _same_identity(stored: tuple[str, str], expected: tuple[str, str]) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.replace("^", " ").upper().split())

    name_ok = norm(stored[0]) == norm(expected[0])
    species_ok = not stored[1] or not expected[1] or norm(stored[1]) == norm(expected[1])
    return name_ok and species_ok


def find_conflicts(destination, pages: list[StagedPage]) -> dict[str, str]:
    """Return the patient IDs that the destination already stores under another name or species."""
    expected: dict[str, tuple[str, str]] = {}
    for page in pages:
        patient_id, name, species = _identity_in_file(page.staged_path)
        expected.setdefault(patient_id, (name, species))

    conflicts: dict[str, str] = {}
    for patient_id, identity in expected.items():
        stored = destination.patient_identity(patient_id)
        if stored is not None and not _same_identity(stored, identity):
            conflicts[patient_id] = (
                f"PatientID {patient_id} at {destination.name} already belongs to a patient with another "
                "name or species; resolve it in the archive or the patient list, then run again"
            )
    return conflicts


def load_destination(
    ledger: Ledger,
    destination,
    pages: list[StagedPage],
    *,
    verify_fraction: float,
    progress: Callable[[int, int], None] | None = None,
) -> LoadReport:
    """Store ``pages`` at one destination and verify them; record every placement in the ledger.

    When the destination stops responding part way, after its own retries, the pages
    it has not confirmed are reported as not stored, so the next run sends them.
    """
    report = LoadReport(destination.name)
    try:
        _load(ledger, destination, pages, report, verify_fraction, progress)
    except TransientDestinationError as exc:
        logger.warning("%s stopped responding: %s", destination.name, exc)
        for page in pages:
            if page.sop_instance_uid not in report.verified:
                report.problems.setdefault(
                    page.sop_instance_uid, f"{destination.name} did not respond ({exc}); run again"
                )
    return report


def _load(ledger: Ledger, destination, pages: list[StagedPage], report: LoadReport,
          verify_fraction: float, progress: Callable[[int, int], None] | None) -> None:
    from filmroom.destinations.verify import verify_sample

    report.conflicts = find_conflicts(destination, pages)
    blocked = set()
    for page in pages:
        if _patient_of(page) in report.conflicts:
            blocked.add(page.sop_instance_uid)
            report.problems[page.sop_instance_uid] = report.conflicts[_patient_of(page)]

    # What the destination contains now decides what is sent, not what the ledger records:
    # an object deleted or damaged there since the last run is sent again.
    candidates = [p for p in pages if p.sop_instance_uid not in blocked]
    present = destination.find([p.sop_instance_uid for p in candidates]) if candidates else set()
    todo = [p for p in candidates if p.sop_instance_uid not in present]

    for start in range(0, len(todo), STORE_CHUNK):
        chunk = todo[start : start + STORE_CHUNK]
        outcomes = destination.store([p.staged_path for p in chunk], skip_present=False)
        with ledger.transaction():
            for page, outcome in zip(chunk, outcomes, strict=True):
                ledger.record_placement(page.sop_instance_uid, destination.name, outcome.state, outcome.status, outcome.message)
        if progress:
            progress(min(start + STORE_CHUNK, len(todo)), len(todo))

    found = present | (destination.find([p.sop_instance_uid for p in todo]) if todo else set())
    with ledger.transaction():
        for page in candidates:
            uid = page.sop_instance_uid
            placement = ledger.placement(uid, destination.name)
            if uid in found:
                ledger.record_placement(uid, destination.name, "verified", placement["status"] if placement else None,
                                        placement["message"] if placement else "")
                report.verified.add(uid)
                continue
            if placement is not None and placement["state"] == "rejected":
                report.rejected.add(uid)
                report.problems[uid] = f"rejected by {destination.name}: {placement['message']} (status {_hex(placement['status'])})"
            elif placement is not None and placement["state"] == "failed":
                report.problems[uid] = f"not stored at {destination.name}: {placement['message']}; run again"
            else:
                report.problems[uid] = f"{destination.name} reported it stored but a query does not find it; run again"
                ledger.record_placement(uid, destination.name, "failed", None, "not found by query after store")

    sample = {p.sop_instance_uid: p.staged_path for p in candidates if p.sop_instance_uid in report.verified}
    if sample and verify_fraction > 0:
        results = verify_sample(destination, sample, verify_fraction, min_per_study=True, seed=0)
        damaged = {r.sop_instance_uid: sample[r.sop_instance_uid] for r in results if not r.ok}
        remove = getattr(destination, "remove", None)
        if damaged and remove is not None:
            # A local archive can replace a damaged copy: remove it, store it again, check again.
            remove(list(damaged))
            destination.store(list(damaged.values()), skip_present=False)
            repaired = {r.sop_instance_uid for r in verify_sample(destination, damaged, 1.0, seed=0) if r.ok}
            results = [r for r in results if r.sop_instance_uid not in repaired]
            logger.warning("%s: replaced %d damaged copies", destination.name, len(repaired))
        for result in results:
            if not result.ok:
                report.verified.discard(result.sop_instance_uid)
                report.problems[result.sop_instance_uid] = (
                    f"retrieved copy at {destination.name} differs from the staged object: {result.reason}"
                )
                ledger.record_placement(result.sop_instance_uid, destination.name, "mismatch", None, result.reason)


def _patient_of(page: StagedPage) -> str:
    return page.jacket.match.patient_id if page.jacket.match and page.jacket.match.patient_id else ""


def _hex(status: int | None) -> str:
    return f"0x{status:04X}" if isinstance(status, int) else "n/a"
