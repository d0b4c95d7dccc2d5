"""Load the practice-management patient list into ``Patient`` records, with row-level issues."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from filmroom.errors import ConfigurationError
from filmroom.mapping.patient_columns import (
    ColumnMap,
    detect_client_columns,
    detect_columns,
    field_synonyms,
)
from filmroom.mapping.species import normalize_breed, normalize_species
from filmroom.matching.patient_fields import (
    DateRule,
    infer_date_rule,
    is_numeric_date,
    is_true_flag,
    parse_date,
    parse_sex,
    split_owner,
)
from filmroom.matching.table_reader import TABLE_SUFFIXES, Table, read_header, read_table
from filmroom.models import Patient

logger = logging.getLogger(__name__)

_DATE_FIELDS = ("birth_date", "death_date", "inactive_date")


@dataclass
class PatientList:
    """Patients of one export, the layout detected and the problems found in single rows.

    Issues name the file, the row as a spreadsheet shows it (the header is row 1) and the
    column. A row with a bad cell is still loaded without that value.
    """

    patients: list[Patient] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    layout: str = "generic"
    by_id: dict[str, Patient] = field(default_factory=dict)


@dataclass
class _Owners:
    """Owner names by client ID, read from a client file beside the patient file."""

    path: Path
    by_client: dict[str, tuple[str, str]]


def _find_client_file(path: Path) -> tuple[Path, ColumnMap] | None:
    """Return the one client file beside ``path``; None when there is none or more than one."""
    found = []
    for sibling in sorted(path.parent.iterdir()):
        if (
            sibling == path
            or not sibling.is_file()
            or sibling.suffix.casefold() not in TABLE_SUFFIXES
        ):
            continue
        columns = detect_client_columns(read_header(sibling))
        if columns is not None:
            found.append((sibling, columns))
    if len(found) > 1:
        logger.warning("Found %d client files beside %s; none is used", len(found), path.name)
    return found[0] if len(found) == 1 else None


def _load_owners(path: Path, columns: ColumnMap) -> _Owners | None:
    """Read owners from a client file beside a patient file that has client IDs but no owner names."""
    if "client_id" not in columns.columns or columns.missing_required() != ["owner_last"]:
        return None
    client_file = _find_client_file(path)
    if client_file is None:
        return None
    client_path, client_columns = client_file
    table = read_table(client_path)
    positions = {
        name: table.headers.index(header) for name, header in client_columns.columns.items()
    }
    owners: dict[str, tuple[str, str]] = {}
    for row in table.rows:
        client_id = row[positions["client_id"]]
        if client_id and client_id not in owners:
            first = row[positions["owner_first"]] if "owner_first" in positions else ""
            owners[client_id] = (row[positions["owner_last"]], first)
    logger.info("Read %d owners from client file %s", len(owners), client_path.name)
    return _Owners(client_path, owners)


def _require_columns(path: Path, table: Table, columns: ColumnMap) -> None:
    missing = columns.missing_required()
    if not missing:
        return
    needed = "; ".join(
        f"{name} (e.g. {', '.join(repr(s) for s in field_synonyms(name)[:4])})" for name in missing
    )
    if "owner_last" in missing:
        needed += (
            "; a combined owner column such as 'Owner' (\"Jones, Mary\") also serves for owner_last"
        )
    found = ", ".join(repr(h) for h in table.headers)
    hint = ""
    if columns.layout != "generic":
        hint = (
            f" The headers look like a {columns.layout} export, which keeps owners in a separate"
            " client file: put exactly one client export (client ID and last name columns) in the"
            " same folder, or add the owner's last name to each patient row."
        )
    raise ConfigurationError(
        f"Patient list {path} is missing required columns: {needed}. Columns found: {found}.{hint}"
    )


def _date_rule(
    path: Path, table: Table, columns: ColumnMap, date_format: str | None
) -> tuple[DateRule, list[str]]:
    if date_format:
        return DateRule(date_format), []
    indexes = [
        table.headers.index(columns.columns[f]) for f in _DATE_FIELDS if f in columns.columns
    ]
    values = [row[i] for row in table.rows for i in indexes if row[i]]
    rule = infer_date_rule(values)
    issues = []
    if rule.issue and any(is_numeric_date(v) for v in values):
        date_columns = ", ".join(
            repr(columns.columns[f]) for f in _DATE_FIELDS if f in columns.columns
        )
        issues.append(
            f"{path.name}: numeric dates in {date_columns} were not read because {rule.issue}; "
            "give the format with --date-format, e.g. --date-format %m/%d/%Y for US month/day/year"
        )
    return rule, issues


class _RowReader:
    """Turn one data row into a Patient, recording issues about its cells."""

    def __init__(
        self,
        path: Path,
        table: Table,
        columns: ColumnMap,
        rule: DateRule,
        owners: _Owners | None = None,
    ) -> None:
        self.path = path
        self.owners = owners
        self.rule = rule
        self.index = {name: table.headers.index(header) for name, header in columns.columns.items()}
        self.columns = columns.columns
        self.issues: list[str] = []

    def cell(self, row: list[str], name: str) -> str:
        position = self.index.get(name)
        return row[position] if position is not None else ""

    def where(self, line: int, name: str) -> str:
        return f"{self.path.name}, row {line}, column {self.columns[name]!r}"

    def date(self, row: list[str], line: int, name: str) -> dt.date | None:
        text = self.cell(row, name)
        if not text:
            return None
        if self.rule.date_format is None and is_numeric_date(text):
            return None  # the file-level issue already gives the reason
        try:
            return parse_date(text, self.rule.date_format)
        except ValueError:
            expected = self.rule.date_format or "YYYY-MM-DD"
            self.issues.append(
                f"{self.where(line, name)}: invalid date {text!r} (expected {expected}); row loaded without it"
            )
            return None

    def patient(self, row: list[str], data_row: int) -> Patient | None:
        line = data_row + 1
        patient_id = self.cell(row, "patient_id")
        pet_name = self.cell(row, "pet_name")
        owner_last = self.cell(row, "owner_last")
        owner_first = self.cell(row, "owner_first")
        if not owner_last and self.cell(row, "owner_full"):
            owner_last, split_first = split_owner(self.cell(row, "owner_full"))
            owner_first = owner_first or split_first
        if not owner_last and self.owners is not None:
            client_id = self.cell(row, "client_id")
            owner_last, owner_first = self.owners.by_client.get(client_id, ("", ""))
            if not owner_last:
                self.issues.append(
                    f"{self.where(line, 'client_id')}: client ID {client_id!r} not found in "
                    f"{self.owners.path.name}; row loaded without an owner"
                )
        if not patient_id:
            self.issues.append(
                f"{self.where(line, 'patient_id')}: patient ID is empty; row skipped"
            )
            return None
        if not pet_name and not owner_last:
            self.issues.append(
                f"{self.path.name}, row {line}: pet name and owner are both empty; row skipped"
            )
            return None

        species_text = self.cell(row, "species")
        species = normalize_species(species_text)
        breed_info = normalize_breed(self.cell(row, "breed"))
        breed = breed_info.name if breed_info else (self.cell(row, "breed") or None)
        if species is None and breed_info and breed_info.species:
            species = breed_info.species
        if species_text and species is None:
            self.issues.append(
                f"{self.where(line, 'species')}: unknown species {species_text!r}; row loaded without it"
            )

        sex, neutered = parse_sex(self.cell(row, "sex"))
        if self.cell(row, "sex") and sex is None:
            self.issues.append(
                f"{self.where(line, 'sex')}: unknown sex code {self.cell(row, 'sex')!r}"
            )
        if self.cell(row, "neutered"):
            neutered = is_true_flag(self.cell(row, "neutered"))

        birth = self.date(row, line, "birth_date")
        ends = [
            d
            for d in (self.date(row, line, "death_date"), self.date(row, line, "inactive_date"))
            if d
        ]
        return Patient(
            patient_id=patient_id,
            pet_name=pet_name,
            owner_last=owner_last,
            owner_first=owner_first,
            species=species,
            breed=breed,
            sex=sex,
            neutered=neutered,
            birth_date=birth,
            death_date=min(ends) if ends else None,
            client_id=self.cell(row, "client_id") or None,
            row=data_row,
        )


def load_patient_list(path: Path, *, date_format: str | None = None) -> PatientList:
    """Load a CSV or XLSX patient export.

    Parameters
    ----------
    path
        The export. CSV may be UTF-8 (with or without BOM) or Windows-1252, delimited by
        comma, semicolon, tab or pipe. When the file has client IDs but no owner names
        (VetData Patient.CSV, for one), owners come from the one client export in the
        same folder.
    date_format
        strptime format of the file's dates, e.g. "%m/%d/%Y". Without it, the order of
        numeric dates is inferred only when some value decides it; ISO 8601 always works.

    Raises
    ------
    ConfigurationError
        When the file cannot be read or a required column is missing.
    """
    path = Path(path)
    table = read_table(path)
    columns = detect_columns(table.headers)
    owners = _load_owners(path, columns)
    if owners is None:
        _require_columns(path, table, columns)
    rule, issues = _date_rule(path, table, columns, date_format)

    reader = _RowReader(path, table, columns, rule, owners)
    result = PatientList(layout=columns.layout)
    for data_row, row in enumerate(table.rows, start=1):
        patient = reader.patient(row, data_row)
        if patient is None:
            continue
        first = result.by_id.get(patient.patient_id)
        if first is not None:
            reader.issues.append(
                f"{path.name}, row {data_row + 1}, column {columns.columns['patient_id']!r}: duplicate patient ID "
                f"{patient.patient_id!r} (first on row {first.row + 1}); the first row is kept"
            )
            continue
        result.patients.append(patient)
        result.by_id[patient.patient_id] = patient
    result.issues = issues + reader.issues
    logger.info(
        "Loaded %d patients from %s (layout %s, %d issues)",
        len(result.patients),
        path.name,
        result.layout,
        len(result.issues),
    )
    return result
