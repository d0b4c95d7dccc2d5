"""Parse the cells of a patient export: sex codes, yes/no flags, owner names and dates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

_TRUE_FLAGS = {
    "y",
    "yes",
    "true",
    "t",
    "1",
    "x",
    "-1",
    "deceased",
    "dead",
    "d",
    "died",
    "inactive",
    "n/a - d",
    "na - d",
    "n/a-d",
    "deleted",
}

# Sex codes seen in PMS exports, mapped to DICOM PatientSex and "neutered".
# A plain M or F gives no neutering status, so neutered stays None for them.
_SEX_CODES: dict[str, tuple[str, bool | None]] = {
    "m": ("M", None),
    "male": ("M", None),
    "f": ("F", None),
    "female": ("F", None),
    "mn": ("M", True),
    "nm": ("M", True),
    "mc": ("M", True),
    "cm": ("M", True),
    "n": ("M", True),
    "c": ("M", True),
    "fs": ("F", True),
    "sf": ("F", True),
    "s": ("F", True),
    "mi": ("M", False),
    "im": ("M", False),
    "fi": ("F", False),
    "if": ("F", False),
    "u": ("O", None),
    "o": ("O", None),
    "unknown": ("O", None),
}
_NEUTER_WORDS = {"neutered", "castrated", "spayed", "desexed", "altered", "fixed"}
_INTACT_WORDS = {"intact", "entire"}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T].*)?$")
_NAMED_MONTH_FORMATS = (
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%b %d %Y",
    "%d-%b-%y",
    "%B %d, %Y",
    "%d %B %Y",
)


def is_true_flag(text: str) -> bool:
    """Return whether a yes/no or status cell means yes, deceased or inactive."""
    return text.strip().casefold() in _TRUE_FLAGS


def parse_sex(text: str) -> tuple[str | None, bool | None]:
    """Return DICOM PatientSex ("M", "F", "O") and neutered for a PMS sex code or phrase."""
    key = text.strip().casefold()
    if not key:
        return None, None
    compact = re.sub(r"[^a-z]", "", key)
    if compact in _SEX_CODES:
        return _SEX_CODES[compact]
    words = set(re.findall(r"[a-z]+", key))
    neutered: bool | None = None
    if words & _NEUTER_WORDS:
        neutered = True
    elif words & _INTACT_WORDS:
        neutered = False
    if "female" in words or "spayed" in words:
        return "F", neutered
    if "male" in words or "castrated" in words:
        return "M", neutered
    return None, None


def split_owner(text: str) -> tuple[str, str]:
    """Split a combined owner cell into (last, first): "Jones, Mary" or "Mary Jones"."""
    text = text.strip()
    if "," in text:
        last, first = text.split(",", 1)
        return last.strip(), first.strip()
    parts = text.split()
    if len(parts) < 2:
        return text, ""
    return " ".join(parts[1:]), parts[0]


@dataclass(frozen=True)
class DateRule:
    """The rule for reading one file's date cells: a strptime format, or None for ISO 8601 only."""

    date_format: str | None  # None: only ISO 8601 and month-name dates are read
    issue: str | None = None  # why the numeric dates of the file could not be inferred


def infer_date_rule(values: Iterable[str]) -> DateRule:
    """Infer M/D/Y or D/M/Y from all numeric dates of a file, only when the data decides it.

    A first part above 12 proves day-first, a second part above 12 proves month-first.
    When no value decides, or values prove both, the numeric dates stay unread.
    """
    month_first = day_first = False
    numeric = 0
    two_digit_year = four_digit_year = False
    separator = "/"
    for value in values:
        match = _NUMERIC.match(value.strip())
        if not match:
            continue
        numeric += 1
        first, second, year = int(match.group(1)), int(match.group(2)), match.group(3)
        separator = value.strip()[len(match.group(1))]
        two_digit_year |= len(year) == 2
        four_digit_year |= len(year) == 4
        day_first |= first > 12
        month_first |= second > 12
    if numeric == 0:
        return DateRule(None)
    if day_first and month_first:
        return DateRule(None, "dates mix day-first and month-first order")
    if not day_first and not month_first:
        return DateRule(None, "every numeric date could be month-first or day-first")
    if two_digit_year and four_digit_year:
        return DateRule(None, "dates mix 2-digit and 4-digit years")
    year_code = "%y" if two_digit_year else "%Y"
    order = "%d{0}%m{0}" if day_first else "%m{0}%d{0}"
    return DateRule(order.format(separator) + year_code)


def parse_date(text: str, date_format: str | None) -> dt.date | None:
    """Parse one date cell; ISO 8601 dates are always accepted. Raise ValueError if invalid."""
    text = text.strip()
    if not text:
        return None
    iso = _ISO.match(text) or _BASIC.match(text)
    if iso:
        return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    if date_format:
        # Exports often append a midnight time to dates; only the date part is used.
        return dt.datetime.strptime(
            text.split(" ")[0] if " " not in date_format else text, date_format
        ).date()
    for named in _NAMED_MONTH_FORMATS:
        try:
            return dt.datetime.strptime(text, named).date()
        except ValueError:
            continue
    raise ValueError(f"unknown date form {text!r}")


def is_numeric_date(text: str) -> bool:
    """Return whether a cell is a numeric D/M/Y or M/D/Y date whose order must be known."""
    return bool(_NUMERIC.match(text.strip()))
