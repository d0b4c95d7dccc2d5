"""Read a CSV or XLSX export as text cells, whatever its encoding and delimiter."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd

from filmroom.errors import ConfigurationError

logger = logging.getLogger(__name__)

DELIMITERS = ",;\t|"
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")


@dataclass
class Table:
    """Header and data rows of one export, every cell as clean text."""

    headers: list[str]
    rows: list[list[str]]
    encoding: str = ""
    delimiter: str = ""


def clean_text(value: object) -> str:
    """Return ``value`` as text with non-breaking and repeated spaces made single, and trimmed."""
    if value is None:
        return ""
    return _SPACES.sub(" ", str(value)).strip()


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode strictly as UTF-8 (with or without a BOM), else as Windows-1252."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        # cp1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
        raise ConfigurationError(
            f"Patient list is neither UTF-8 nor Windows-1252 text ({exc}); "
            "save it again as CSV UTF-8 from the spreadsheet program"
        ) from None


def sniff_delimiter(header_line: str) -> str:
    """Return the delimiter of a header line: csv.Sniffer first, else the most frequent one."""
    try:
        return csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_table(path: Path) -> Table:
    """Read a delimited text export with every value kept as text ("00123" stays "00123")."""
    text, encoding = decode_bytes(path.read_bytes())
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise ConfigurationError(f"Patient list {path} is empty; export it again with a header row")
    delimiter = sniff_delimiter(first_line)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            engine="python",
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise ConfigurationError(
            f"Patient list {path} cannot be parsed with delimiter {delimiter!r}: {exc}"
        ) from None
    headers = [clean_text(h) for h in frame.columns]
    rows = [[clean_text(v) for v in record] for record in frame.itertuples(index=False, name=None)]
    logger.info(
        "Read %d rows from %s (%s, delimiter %r)", len(rows), path.name, encoding, delimiter
    )
    return Table(headers, rows, encoding, delimiter)


def _cell_text(value: object, number_format: str = "General") -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        # A chart number kept as a number shows its leading zeros through a format such
        # as "00000": the zeros are part of the ID that the practice software prints.
        padding = re.fullmatch(r"0+", number_format or "")
        return str(int(value)).zfill(len(padding.group(0)) if padding else 0)
    return clean_text(value)


def read_xlsx_table(path: Path) -> Table:
    """Read the first worksheet; date cells become ISO 8601 text, whole numbers lose ".0"."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigurationError(
            f"Patient list {path} is not a readable XLSX workbook: {exc}"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        records = [[_cell_text(cell.value, cell.number_format) for cell in row] for row in sheet.iter_rows()]
    finally:
        workbook.close()
    records = [r for r in records if any(r)]
    if not records:
        raise ConfigurationError(
            f"Patient list {path} has no rows; export it again with a header row"
        )
    headers = records[0]
    width = len(headers)
    rows = [(r + [""] * width)[:width] for r in records[1:]]
    return Table(headers, rows, "xlsx", "")


def read_table(path: Path) -> Table:
    """Read a patient export by its file extension (.xlsx/.xlsm, else delimited text)."""
    if not path.is_file():
        raise ConfigurationError(f"Patient list not found: {path}")
    if path.suffix.casefold() in {".xlsx", ".xlsm"}:
        return read_xlsx_table(path)
    return read_csv_table(path)


TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
_HEADER_BYTES = 65_536


def read_header(path: Path) -> list[str]:
    """Return the header row of a CSV or XLSX export without reading its data rows."""
    if path.suffix.casefold() in {".xlsx", ".xlsm"}:
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (OSError, KeyError, ValueError):
            return []
        try:
            first = next(workbook.worksheets[0].iter_rows(values_only=True), ())
        finally:
            workbook.close()
        return [clean_text(v) for v in first]
    with path.open("rb") as handle:
        head = handle.read(_HEADER_BYTES)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # The read may end inside a multi-byte character, or the file is Windows-1252.
        text = head.decode("cp1252", errors="replace")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        return []
    return [
        clean_text(h) for h in next(csv.reader([first_line], delimiter=sniff_delimiter(first_line)))
    ]
