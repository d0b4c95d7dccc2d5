"""Dates as practices write them on labels, converted to ISO 8601 (YYYY-MM-DD)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

_MONTH_NAME = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)[a-z]*\.?"
_YEAR_FIRST = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})[./-](?P<m>\d{1,2})[./-](?P<d>\d{1,2})(?!\d)"
)
_NUMERIC = re.compile(
    r"(?<!\d)(?P<a>\d{1,2})\s?[./-]\s?(?P<b>\d{1,2})\s?[./-]\s?(?P<y>\d{4}|\d{2})(?!\d)"
)
_DAY_MONTH_NAME = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s./-]*{_MONTH_NAME}[\s./,-]*(?P<y>\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_MONTH_NAME_DAY = re.compile(
    rf"(?<![a-z]){_MONTH_NAME}[\s./-]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?[\s./-]*(?P<y>\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedDate:
    """A date found in text, with where it was and why it may be uncertain."""

    iso: str
    start: int
    end: int
    ambiguous: bool  # day and month could be swapped
    two_digit_year: bool


def _year(text: str, pivot: int) -> int:
    value = int(text)
    if len(text) == 4:
        return value
    return 2000 + value if value <= pivot else 1900 + value


def _make(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def find_date(text: str, *, month_first: bool = True, pivot: int = 30) -> ParsedDate | None:
    """Find the first date in ``text``.

    Numeric dates with both leading numbers 12 or less follow ``month_first``, and are
    marked ambiguous when day and month differ. A number over 12 decides the order.
    """
    for regex in (_YEAR_FIRST, _DAY_MONTH_NAME, _MONTH_NAME_DAY):
        match = regex.search(text)
        if not match:
            continue
        groups = match.groupdict()
        year_text = groups["y"]
        month = MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["m"])
        iso = _make(_year(year_text, pivot), month, int(groups["d"]))
        if iso:
            return ParsedDate(iso, match.start(), match.end(), False, len(year_text) == 2)

    for match in _NUMERIC.finditer(text):
        first, second = int(match["a"]), int(match["b"])
        year = _year(match["y"], pivot)
        if first > 12 and second <= 12:
            month, day, ambiguous = second, first, False
        elif second > 12 and first <= 12:
            month, day, ambiguous = first, second, False
        elif month_first:
            month, day, ambiguous = first, second, first != second
        else:
            month, day, ambiguous = second, first, first != second
        iso = _make(year, month, day)
        if iso:
            return ParsedDate(iso, match.start(), match.end(), ambiguous, len(match["y"]) == 2)
    return None
