"""Fixtures for patient-list, matching and review-workbook tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from filmroom.models import FieldValue, Patient, Reading
from filmroom.settings import MatchSettings


def _reading(confidence: float = 0.95, source: str = "ocr", **values: str) -> Reading:
    return Reading(
        fields={name: FieldValue(value, confidence, source) for name, value in values.items()}
    )


@pytest.fixture
def make_reading() -> Callable[..., Reading]:
    """Return a builder of Readings whose fields all have one confidence."""
    return _reading


@pytest.fixture
def settings() -> MatchSettings:
    return MatchSettings()


@pytest.fixture
def patients() -> list[Patient]:
    """A small list with the collisions the matcher must not resolve by guessing."""
    return [
        Patient("00123", "Bella", "Smith", "Ann", species="canine"),
        Patient("123", "Max", "Brown", "Bob", species="feline"),
        Patient("7", "Rex", "Stone", "Carl", species="canine"),
        Patient("X946PT78", "Tiger", "Hill", "Dana", species="feline"),
        Patient("M1", "Bella", "Müller", "Eva", species="canine"),
        Patient("M2", "Bella", "Mueller", "Finn", species="canine"),
        Patient("M3", "Bella", "Muller", "Gus", species="canine"),
        Patient("J1", "Fluffy", "Jones", "Mary", species="feline"),
        Patient("J2", "Biscuit", "Jones", "Mary", species="canine"),
        Patient("J3", "Pepper", "Jones", "Mary", species="canine"),
        Patient("K1", "Nimbus", "Okafor", "Ivy", species="canine"),
    ]
