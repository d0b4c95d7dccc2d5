"""Label parsing patterns from ``label_patterns.yaml``, checked and compiled once."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from filmroom.errors import ConfigurationError

PATTERNS_FILE = Path(__file__).with_name("label_patterns.yaml")

KEY_FIELDS = (
    "owner",
    "pet_name",
    "chart_number",
    "rad_number",
    "study_date",
    "birth_date",
    "species",
    "breed",
    "region",
    "view",
)
FIT_NAMES = (
    "ambiguous_date",
    "two_digit_year",
    "confusable_fixed",
    "unkeyed_name",
    "unkeyed_number",
    "hash_number",
    "single_line_name",
)


@dataclass(frozen=True)
class LabelPatterns:
    """Compiled label-parsing rules."""

    key_regex: re.Pattern[str]  # group "key" is the matched key text
    key_fields: dict[str, str]  # normalized key text -> field name
    month_first: bool
    two_digit_year_pivot: int
    fit: dict[str, float]
    header_words: frozenset[str]
    header_regexes: tuple[re.Pattern[str], ...]
    regions: dict[str, str]  # token -> normalized region
    views: dict[str, str]  # token -> normalized view
    chart_number_regex: re.Pattern[str]
    barcode_chart_regex: re.Pattern[str]


def normalize_key(text: str) -> str:
    """Lower-case a key and drop "#", "no", dots and extra spaces, so "Chart No." and "chart #" agree."""
    text = text.lower().replace("#", " ").replace(".", " ").replace(":", " ")
    return re.sub(r"\s+", " ", text).strip()


def _fail(path: Path, where: str, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"{path}: {where}: {problem}. Fix the entry in the label patterns file."
    )


def _compile(
    path: Path, where: str, pattern: object, flags: int = re.IGNORECASE
) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise _fail(path, where, f"expected a regular expression string, got {pattern!r}")
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise _fail(path, where, f"invalid regular expression {pattern!r} ({exc})") from None


def _token_table(path: Path, section: str, data: object) -> dict[str, str]:
    if not isinstance(data, dict):
        raise _fail(path, section, "expected a mapping of name to a list of tokens")
    table: dict[str, str] = {}
    for name, tokens in data.items():
        if not isinstance(tokens, list):
            raise _fail(path, f"{section}.{name}", f"expected a list of tokens, got {tokens!r}")
        for token in tokens:
            table[str(token).lower()] = str(name)
    return table


def parse_patterns(data: object, path: Path = PATTERNS_FILE) -> LabelPatterns:
    """Check and compile the rules read from a label patterns file.

    Raises
    ------
    ConfigurationError
        Naming the file, the entry and the invalid value.
    """
    if not isinstance(data, dict):
        raise _fail(path, "top level", "expected a mapping")

    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise _fail(path, "keys", "missing or not a mapping of field name to key list")
    key_fields: dict[str, str] = {}
    for field_name, spellings in keys.items():
        if field_name not in KEY_FIELDS:
            raise _fail(
                path, f"keys.{field_name}", f"unknown field; use one of {', '.join(KEY_FIELDS)}"
            )
        if not isinstance(spellings, list) or not spellings:
            raise _fail(path, f"keys.{field_name}", "expected a non-empty list of key spellings")
        for spelling in spellings:
            key_fields[normalize_key(str(spelling))] = field_name

    # Longest keys first, so "pet name" wins over "pet" and "chart no" over "chart".
    alternatives = sorted(key_fields, key=len, reverse=True)
    body = "|".join(re.escape(key).replace(r"\ ", r"[\s.]*") for key in alternatives)
    key_regex = re.compile(
        rf"(?<![A-Za-z0-9])(?P<key>(?:{body}))(?:[\s.]*(?:#|no\b|num\b|number\b))?\s*[:;#.=]\s*"
        rf"|^(?P<lead>(?:{body}))(?:[\s.]*(?:#|no\b))?[;:]?\s+(?=\S)",
        re.IGNORECASE,
    )

    order = data.get("numeric_date_order", "month_first")
    if order not in ("month_first", "day_first"):
        raise _fail(
            path, "numeric_date_order", f"invalid value {order!r}; use month_first or day_first"
        )

    pivot = data.get("two_digit_year_pivot", 30)
    if not isinstance(pivot, int) or not 0 <= pivot <= 99:
        raise _fail(
            path, "two_digit_year_pivot", f"invalid value {pivot!r}; use a whole number 0-99"
        )

    fit_data = data.get("fit") or {}
    fit: dict[str, float] = {}
    for name in FIT_NAMES:
        value = fit_data.get(name)
        if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise _fail(
                path, f"fit.{name}", f"missing or invalid value {value!r}; use a number in [0, 1]"
            )
        fit[name] = float(value)

    header_regexes = tuple(
        _compile(
            path,
            f"header_patterns[{index}]",
            pattern,
            0 if "[A-Z]" in str(pattern) else re.IGNORECASE,
        )
        for index, pattern in enumerate(data.get("header_patterns") or [])
    )
    return LabelPatterns(
        key_regex=key_regex,
        key_fields=key_fields,
        month_first=order == "month_first",
        two_digit_year_pivot=pivot,
        fit=fit,
        header_words=frozenset(str(word).lower() for word in data.get("header_words") or []),
        header_regexes=header_regexes,
        regions=_token_table(path, "regions", data.get("regions") or {}),
        views=_token_table(path, "views", data.get("views") or {}),
        chart_number_regex=_compile(path, "chart_number_pattern", data.get("chart_number_pattern")),
        barcode_chart_regex=_compile(
            path, "barcode_chart_pattern", data.get("barcode_chart_pattern")
        ),
    )


def load_patterns(path: Path = PATTERNS_FILE) -> LabelPatterns:
    """Read and compile a label patterns file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"Label patterns file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"Label patterns file {path} is not valid YAML: {exc}") from None
    return parse_patterns(data, Path(path))


@functools.cache
def default_patterns() -> LabelPatterns:
    """Return the compiled rules of the packaged ``label_patterns.yaml``."""
    return load_patterns(PATTERNS_FILE)
