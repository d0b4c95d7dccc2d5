"""The ``filmroom`` command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help="Move a veterinary practice's legacy radiographs into a DICOM archive.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Move a veterinary practice's legacy radiographs into a DICOM archive."""


def _quiet_prefect() -> None:
    """Run Prefect locally with no server to set up and no telemetry, unless the user configured one."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "filmroom")


@app.command()
def migrate(
    patients: Annotated[Path, typer.Option(help="Patient list exported from the practice-management software (CSV or XLSX).")],
    films: Annotated[Optional[list[Path]], typer.Option(help="Folder of scanned film jackets (label scans and film scans). Repeatable.")] = None,
    share: Annotated[Optional[list[Path]], typer.Option(help="Old file share: DICOM files, image exports, patient-named folders. Repeatable.")] = None,
    archive: Annotated[Optional[list[str]], typer.Option(help="Destination: a folder (local archive), dicom://AET@host:port or http(s)://host/dicom-web. Repeatable.")] = None,
    out: Annotated[Path, typer.Option(help="Workspace for the ledger and the reports.")] = Path("migration"),
    review: Annotated[Optional[Path], typer.Option(help="Filled-in review.xlsx whose decisions to apply.")] = None,
    settings: Annotated[Optional[Path], typer.Option(help="TOML settings file (thresholds, naming, UID root...).")] = None,
    date_format: Annotated[Optional[str], typer.Option(help="Date format of the patient list, e.g. %m/%d/%Y; by default inferred when unambiguous.")] = None,
) -> None:
    """Migrate films and file shares into the archive and write the reconciliation report."""
    _quiet_prefect()
    from filmroom.flows.migrate import migrate as migrate_flow

    state = migrate_flow(
        patients=str(patients),
        films=[str(f) for f in films or []],
        share=[str(s) for s in share or []],
        archive=list(archive or ["archive"]),
        out=str(out),
        review=str(review) if review else None,
        settings_file=str(settings) if settings else None,
        date_format=date_format,
        return_state=True,
    )
    if state.is_failed():
        typer.echo(f"filmroom: {state.message}", err=True)
        raise typer.Exit(2)

    result = state.result()
    typer.echo("")
    for line in result["summary_lines"]:
        typer.echo(line)
    typer.echo(f"Reports: {result['out']}/reconciliation.xlsx, {result['out']}/review.xlsx")
    if result["review_errors"]:
        typer.echo(f"{len(result['review_errors'])} review.xlsx entries are invalid:", err=True)
        for error in result["review_errors"]:
            typer.echo(f"  {error}", err=True)
    if result["patient_list_issues"]:
        typer.echo(f"{result['patient_list_issues']} patient list rows have problems: see "
                   f"{result['out']}/patient_list_issues.txt", err=True)
    if not result["balanced"]:
        raise typer.Exit(1)


@app.command()
def audit(
    out: Annotated[Path, typer.Option(help="Workspace of the migration to check.")] = Path("migration"),
    archive: Annotated[Optional[list[str]], typer.Option(help="Destination to check, as for migrate. Repeatable.")] = None,
    settings: Annotated[Optional[Path], typer.Option(help="TOML settings file.")] = None,
) -> None:
    """Check that every object a migration archived is still found at each destination."""
    _quiet_prefect()
    from filmroom.flows.audit import audit as audit_flow

    state = audit_flow(
        out=str(out), archive=list(archive or ["archive"]),
        settings_file=str(settings) if settings else None, return_state=True,
    )
    if state.is_failed():
        typer.echo(f"filmroom: {state.message}", err=True)
        raise typer.Exit(2)
    result = state.result()
    for name, counts in result["destinations"].items():
        typer.echo(f"{name}: {counts['expected'] - counts['missing']} of {counts['expected']} objects found")
    if not result["missing"]:
        typer.echo("No objects are missing.")
        return
    typer.echo(f"Missing objects listed in {result['report']}")
    raise typer.Exit(1)


def _open_local_archive(archive: Path):
    from filmroom.destinations.local import LocalArchive
    from filmroom.errors import ConfigurationError

    if not (archive / "index.sqlite").is_file():
        typer.echo(f"filmroom: {archive} is not a filmroom archive (no index.sqlite). Give the --archive folder.", err=True)
        raise typer.Exit(2)
    try:
        return LocalArchive(archive)
    except ConfigurationError as exc:
        typer.echo(f"filmroom: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def find(
    archive: Annotated[Path, typer.Option(help="Local archive folder.")] = Path("archive"),
    owner: Annotated[Optional[str], typer.Option(help="Start of the owner's surname.")] = None,
    pet: Annotated[Optional[str], typer.Option(help="Start of the pet's name.")] = None,
    patient_id: Annotated[Optional[str], typer.Option("--id", help="Exact patient ID.")] = None,
) -> None:
    """List the patients in a local archive by owner, pet name or patient ID, with their image counts."""
    from rich.console import Console
    from rich.table import Table

    with _open_local_archive(archive) as local:
        rows = local.find_patients(owner=owner, pet=pet, patient_id=patient_id)
    table = Table("Patient ID", "Owner", "Pet", "Species", "Studies", "Images")
    for row in rows:
        owner_name = ", ".join(str(p) for p in (row["owner_last"], row["owner_first"]) if p)
        table.add_row(str(row["patient_id"]), owner_name, str(row["pet_name"]), str(row["species"] or ""),
                      str(row["study_count"]), str(row["instance_count"]))
    Console().print(table)
    if not rows:
        raise typer.Exit(1)


@app.command()
def export(
    patient_id: Annotated[str, typer.Argument(help="Patient ID whose images to copy.")],
    to: Annotated[Path, typer.Option(help="Folder to write the copy to, e.g. a USB stick.")],
    archive: Annotated[Path, typer.Option(help="Local archive folder.")] = Path("archive"),
) -> None:
    """Copy one patient's images with a DICOMDIR, so an owner or another clinic can open them."""
    from filmroom.destinations.local import ArchivedFileError

    with _open_local_archive(archive) as local:
        try:
            dicomdir = local.export_patient(patient_id, to)
        except KeyError:
            typer.echo(f"filmroom: the archive {archive} holds no image for patient ID {patient_id!r}.", err=True)
            raise typer.Exit(1) from None
        except ArchivedFileError as exc:
            typer.echo(f"filmroom: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"Wrote {dicomdir}")


if __name__ == "__main__":
    app()
