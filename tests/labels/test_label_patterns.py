"""Checks on the label patterns file and its loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from filmroom.errors import ConfigurationError
from filmroom.mapping.label_patterns import (
    PATTERNS_FILE,
    default_patterns,
    load_patterns,
    parse_patterns,
)


def packaged() -> dict:
    return yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))


def test_patterns_default_loads() -> None:
    assert default_patterns().month_first


def test_patterns_unknown_field_rejected() -> None:
    data = packaged()
    data["keys"]["color"] = ["color"]
    with pytest.raises(ConfigurationError, match="keys.color"):
        parse_patterns(data)


def test_patterns_bad_regex_rejected() -> None:
    data = packaged()
    data["chart_number_pattern"] = "([0-9"
    with pytest.raises(ConfigurationError, match="chart_number_pattern"):
        parse_patterns(data)


def test_patterns_bad_date_order_rejected() -> None:
    data = packaged()
    data["numeric_date_order"] = "year_first"
    with pytest.raises(ConfigurationError, match="numeric_date_order"):
        parse_patterns(data)


def test_patterns_missing_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        load_patterns(tmp_path / "absent.yaml")


def test_patterns_day_first_setting() -> None:
    data = packaged()
    data["numeric_date_order"] = "day_first"
    assert not parse_patterns(data).month_first
