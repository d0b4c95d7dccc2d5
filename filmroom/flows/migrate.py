"""The ``migrate`` Prefect flow: every stage of a migration as a task over ``Migration``'s methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.context import get_run_context
from prefect.states import Failed

from filmroom.errors import ConfigurationError
from filmroom.flows.migration import Migration
from filmroom.settings import load_settings
from filmroom.tasks.report import Summary


class _ProgressLog:
    """Log ``done of total`` for each stage about every tenth of the way, and at the end."""

    def __init__(self, logger) -> None:
        self.logger = logger
        self.last: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        step = max(1, total // 10)
        if done == total or done - self.last.get(stage, 0) >= step:
            self.last[stage] = done
            self.logger.info("%s: %d of %d", stage, done, total)


# Each task wraps one stage. The Migration object owns the ledger connection, so tasks
# take no cache policy and run in the flow's thread, which is the ledger's only writer.
@task(name="discover-and-identify", cache_policy=NONE)
def discover_and_identify(migration: Migration) -> int:
    found = migration.discover()
    migration.identify(found)
    return len(found)


@task(name="read-labels", cache_policy=NONE)
def read_labels(migration: Migration) -> None:
    migration.group()
    migration.read_labels()


@task(name="match-patients", cache_policy=NONE)
def match_patients(migration: Migration) -> None:
    migration.match()


@task(name="build-dicom", cache_policy=NONE)
def build_dicom(migration: Migration) -> None:
    migration.build()
    migration.drop_duplicates()


@task(name="store-and-verify", cache_policy=NONE, retries=0)
def store_and_verify(migration: Migration) -> None:
    migration.load()


@task(name="write-reports", cache_policy=NONE)
def write_reports(migration: Migration) -> Summary:
    return migration.finish()


def publish_summary(summary: Summary, migration: Migration) -> None:
    """Publish the run's counts as Prefect artifacts. They carry no patient or owner names."""
    rows = [{"status": status, "files": count} for status, count in sorted(summary.by_status.items())]
    create_table_artifact(key="filmroom-totals", table=rows, description="Source files by final status")
    lines = ["# filmroom migration", "", "| status | files |", "| --- | ---: |"]
    lines += [f"| {r['status']} | {r['files']} |" for r in rows]
    lines += [f"| **total** | **{sum(summary.by_status.values())}** |", "",
              f"Files found: {summary.found}. Balanced: {'yes' if summary.balanced else 'NO'}.", ""]
    lines += [f"- {name}: {count} instances verified" for name, count in summary.destinations.items()]
    lines += ["", f"Reports: `{migration.out}/reconciliation.xlsx`, `{migration.out}/review.xlsx`"]
    create_markdown_artifact(key="filmroom-summary", markdown="\n".join(lines), description="Migration summary")


@flow(name="filmroom-migrate", log_prints=False)
def migrate(
    patients: str,
    films: list[str] | None = None,
    share: list[str] | None = None,
    archive: list[str] | None = None,
    out: str = "migration",
    review: str | None = None,
    settings_file: str | None = None,
    date_format: str | None = None,
) -> dict[str, Any]:
    """Migrate scanned films and file shares into the archive(s) and write the reconciliation report."""
    logger = get_run_logger()
    try:
        settings = load_settings(Path(settings_file) if settings_file else None)
        if archive:
            settings.archive.destinations = list(archive)
        context = get_run_context()
        migration = Migration(
            films=[Path(f) for f in films or []],
            share=[Path(s) for s in share or []],
            patients=Path(patients),
            out=Path(out),
            settings=settings,
            review=Path(review) if review else None,
            date_format=date_format,
            run_id=str(context.flow_run.id) if getattr(context, "flow_run", None) else "local",
            progress=_ProgressLog(logger),
        )
        # Not a task: a configuration error is a message for the user, not a task failure.
        migration.prepare()
    except ConfigurationError as exc:
        logger.error("Run stopped before storing anything: %s", exc)
        return Failed(message=str(exc))  # type: ignore[return-value]

    try:
        found = discover_and_identify(migration)
        logger.info("Found %d files", found)
        read_labels(migration)
        match_patients(migration)
        build_dicom(migration)
        store_and_verify(migration)
        summary = write_reports(migration)
    finally:
        migration.close()

    for line in summary.lines():
        logger.info(line)
    # These messages name jackets, and jacket names can contain owner and pet names. The
    # messages go to a file in --out, and the log carries only their count.
    if migration.review_errors:
        logger.warning("%d review.xlsx entries are invalid; see %s", len(migration.review_errors),
                       migration.out / "review_errors.txt")
    if migration.patient_list.issues:
        logger.warning("%d patient list rows have problems; see %s", len(migration.patient_list.issues),
                       migration.out / "patient_list_issues.txt")
    publish_summary(summary, migration)
    return {
        "found": summary.found,
        "by_status": summary.by_status,
        "balanced": summary.balanced,
        "out": str(migration.out),
        "review_errors": migration.review_errors,
        "patient_list_issues": len(migration.patient_list.issues),
        "summary_lines": summary.lines(),
    }
