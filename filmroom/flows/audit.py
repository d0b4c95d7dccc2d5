"""The ``audit`` Prefect flow: check that every archived object of a migration is still findable.

Run it on a schedule (for example yearly, and after restoring a backup) against the on-site and
off-site archives. It reads the migration's ledger and queries each destination; it stores nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed

from filmroom.errors import ConfigurationError
from filmroom.ledger import Ledger
from filmroom.settings import load_settings


def _problems(destination, uids: list[str]) -> dict[str, str]:
    """Return a problem for each UID the destination does not hold intact.

    A destination with ``verify_files`` (the local archive) hashes its files against its
    index, so damaged files count as missing. Other destinations are queried with ``find``.
    """
    if not uids:
        return {}
    if hasattr(destination, "verify_files"):
        return destination.verify_files(uids)
    found = destination.find(uids)
    return {uid: "not found" for uid in uids if uid not in found}


def audit_destination(ledger: Ledger, destination) -> tuple[int, list[dict[str, str]]]:
    """Return how many current instances the ledger has, and those the destination does not hold intact."""
    instances = ledger.current_instances()
    uids = [row["sop_instance_uid"] for row in instances]
    problems = _problems(destination, uids)
    missing = [
        {"sop_instance_uid": row["sop_instance_uid"], "patient_id": row["patient_id"],
         "study_instance_uid": row["study_instance_uid"], "destination": destination.name,
         "problem": problems[row["sop_instance_uid"]]}
        for row in instances
        if row["sop_instance_uid"] in problems
    ]
    return len(uids), missing


@flow(name="filmroom-audit", log_prints=False)
def audit(out: str = "migration", archive: list[str] | None = None, settings_file: str | None = None) -> dict[str, Any]:
    """Check every destination for every object the migration in ``out`` archived."""
    from filmroom.destinations import open_destination

    logger = get_run_logger()
    ledger_path = Path(out) / "ledger.sqlite"
    try:
        if not ledger_path.is_file():
            raise ConfigurationError(f"No ledger at {ledger_path}: give the --out folder of a migration.")
        settings = load_settings(Path(settings_file) if settings_file else None)
        specs = list(archive or settings.archive.destinations)
        ledger = Ledger(ledger_path)
        destinations = [open_destination(spec, settings.archive) for spec in specs]
    except ConfigurationError as exc:
        logger.error("Audit stopped: %s", exc)
        return Failed(message=str(exc))  # type: ignore[return-value]

    results: dict[str, dict[str, int]] = {}
    all_missing: list[dict[str, str]] = []
    try:
        for destination in destinations:
            total, missing = audit_destination(ledger, destination)
            results[destination.name] = {"expected": total, "missing": len(missing)}
            all_missing += missing
            logger.info("%s: %d of %d objects found", destination.name, total - len(missing), total)
    finally:
        for destination in destinations:
            destination.close()
        ledger.close()

    report = Path(out) / f"audit-{dt.date.today().isoformat()}.csv"
    with report.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["sop_instance_uid", "patient_id", "study_instance_uid", "destination", "problem"])
        writer.writeheader()
        writer.writerows(all_missing)
    lines = ["# filmroom audit", "", "| destination | expected | missing |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {r['expected']} | {r['missing']} |" for name, r in results.items()]
    create_markdown_artifact(key="filmroom-audit", markdown="\n".join(lines), description="Archive audit")
    return {"destinations": results, "report": str(report), "missing": len(all_missing)}
