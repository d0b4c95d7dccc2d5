"""Column maps of practice-management patient exports, read from ``patient_columns.yaml``."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

COLUMNS_FILE = Path(__file__).with_name("patient_columns.yaml")

PATIENT_FIELDS = (
    "patient_id",
    "pet_name",
    "owner_last",
    "owner_first",
    "owner_full",
    "client_id",
    "species",
    "breed",
    "sex",
    "neutered",
    "birth_date",
    "death_date",
    "inactive_date",
    "deceased",
    "inactive",
)
REQUIRED_FIELDS = ("patient_id", "pet_name", "owner_last")


@dataclass(frozen=True)
class Layout:
    """A vendor export layout: the headers that identify it and its column per field."""

    name: str
    signature: tuple[str, ...]
    columns: dict[str, str]


@dataclass(frozen=True)
class ColumnMap:
    """The header chosen for each patient field of one file, and the layout detected."""

    layout: str
    columns: dict[str, str]  # field name -> header as written in the file

    def missing_required(self) -> list[str]:
        """Return the required fields without a column; a combined owner column covers owner_last."""
        missing = [name for name in REQUIRED_FIELDS if name not in self.columns]
        if "owner_last" in missing and "owner_full" in self.columns:
            missing.remove("owner_last")
        return missing


def header_key(header: str) -> str:
    """Return the comparison key of a header: lower case, letters, digits and '#' only."""
    return re.sub(r"[^0-9a-z#]", "", header.replace("\u00a0", " ").casefold())


@functools.cache
def _tables() -> tuple[dict[str, tuple[str, ...]], tuple[Layout, ...], tuple[Layout, ...]]:
    data = yaml.safe_load(COLUMNS_FILE.read_text(encoding="utf-8"))
    generic = {name: tuple(str(s) for s in synonyms) for name, synonyms in data["generic"].items()}
    layouts = tuple(
        Layout(name, tuple(entry["signature"]), dict(entry["columns"]))
        for name, entry in data["layouts"].items()
    )
    client_layouts = tuple(
        Layout(name, tuple(entry["signature"]), dict(entry["columns"]))
        for name, entry in data["client_layouts"].items()
    )
    return generic, layouts, client_layouts


def detect_columns(headers: Sequence[str]) -> ColumnMap:
    """Choose a layout from the headers and map each patient field to one header.

    A vendor layout wins when every header of its signature is present. Fields that the
    layout does not name fall back to the generic synonyms, tried in their listed order,
    so "Patient ID" is preferred over "Name" for the ID even when both are present.
    """
    generic, layouts, _ = _tables()
    return _map_columns(headers, layouts, generic)


def _map_columns(
    headers: Sequence[str], layouts: Sequence[Layout], generic: dict[str, tuple[str, ...]]
) -> ColumnMap:
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(header_key(header), header)

    layout_name = "generic"
    columns: dict[str, str] = {}
    for layout in layouts:
        if all(header_key(h) in by_key for h in layout.signature):
            layout_name = layout.name
            for field_name, header in layout.columns.items():
                if header_key(header) in by_key:
                    columns[field_name] = by_key[header_key(header)]
            break

    used = set(columns.values())
    for field_name in PATIENT_FIELDS:
        if field_name in columns:
            continue
        for synonym in generic.get(field_name, ()):
            header = by_key.get(header_key(synonym))
            if header is not None and header not in used:
                columns[field_name] = header
                used.add(header)
                break
    return ColumnMap(layout_name, columns)


def detect_client_columns(headers: Sequence[str]) -> ColumnMap | None:
    """Map the columns of a client (owner) file, or return None when it is not one.

    A client file has a client ID and an owner last name but no pet name column.
    """
    generic, _, client_layouts = _tables()
    owner_fields = {name: generic[name] for name in ("client_id", "owner_last", "owner_first")}
    columns = _map_columns(headers, client_layouts, owner_fields)
    if columns.layout == "generic" and detect_columns(headers).columns.get("pet_name"):
        return None
    if "client_id" not in columns.columns or "owner_last" not in columns.columns:
        return None
    return columns


def field_synonyms(field_name: str) -> tuple[str, ...]:
    """Return the generic header synonyms of one patient field, for error messages."""
    return _tables()[0].get(field_name, ())
