"""Tests of the matcher's decisions on hard cases: partial IDs, ties, conflicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from filmroom.matching.matcher import Matcher
from filmroom.models import Decision, Patient, Reading
from filmroom.settings import MatchSettings


@pytest.fixture
def matcher(patients: list[Patient], settings: MatchSettings) -> Matcher:
    return Matcher(patients, settings)


def test_chart_and_names_auto(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    result = matcher.match(make_reading(chart_number="123", owner_last="Brown", pet_name="Max"))
    assert result.decision is Decision.AUTO
    assert result.patient_id == "123"
    assert result.method == "chart_number"


def test_zero_padded_chart_distinct(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    result = matcher.match(make_reading(chart_number="00123", owner_last="Smith", pet_name="Bella"))
    assert result.patient_id == "00123"
    other = matcher.match(make_reading(chart_number="123", owner_last="Smith", pet_name="Bella"))
    assert other.decision is not Decision.AUTO


def test_zeros_only_never_auto(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    result = matcher.match(make_reading(chart_number="0007"))
    assert result.decision is not Decision.AUTO
    assert result.candidates[0].reasons == ("chart equal only without leading zeros",)


def test_short_partial_chart_not_auto(
    matcher: Matcher, make_reading: Callable[..., Reading]
) -> None:
    result = matcher.match(make_reading(chart_number="X94678"))
    assert result.decision is not Decision.AUTO
    assert "7" not in [c.patient_id for c in result.candidates]


def test_partial_chart_with_names_not_auto(
    matcher: Matcher, make_reading: Callable[..., Reading]
) -> None:
    result = matcher.match(make_reading(chart_number="X94678", owner_last="Stone"))
    assert result.decision is not Decision.AUTO


def test_umlaut_variants_tie_not_auto(
    matcher: Matcher, make_reading: Callable[..., Reading]
) -> None:
    result = matcher.match(make_reading(owner_last="MULLER", pet_name="Bella"))
    assert result.decision is not Decision.AUTO
    assert {c.patient_id for c in result.candidates} == {"M1", "M2", "M3"}
    assert result.candidates[0].score == result.candidates[1].score


def test_umlaut_variants_tie_goes_to_review(
    matcher: Matcher, make_reading: Callable[..., Reading]
) -> None:
    result = matcher.match(make_reading(owner_last="MULLER", pet_name="Bella"))

    assert result.decision is Decision.NEEDS_REVIEW


def test_owner_alone_not_auto(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    result = matcher.match(make_reading(owner_last="Okafor", owner_first="Ivy"))
    assert result.decision is not Decision.AUTO


def test_owner_with_many_pets(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    result = matcher.match(
        make_reading(owner_last="Jones", owner_first="Mary", pet_name="Pepper", species="dog")
    )
    assert result.patient_id == "J3"


def test_confusable_chart_matches(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    confusable = matcher.match(
        make_reading(chart_number="OO123", owner_last="Smith", pet_name="Bella")
    )
    assert confusable.candidates[0].patient_id == "00123"
    assert "chart equal after OCR-confusable characters" in confusable.candidates[0].reasons


def test_species_conflict_blocks_auto(
    matcher: Matcher, make_reading: Callable[..., Reading]
) -> None:
    result = matcher.match(
        make_reading(chart_number="123", owner_last="Brown", pet_name="Max", species="dog")
    )
    assert result.decision is not Decision.AUTO
    assert "species conflict" in result.candidates[0].reasons


def test_chart_conflicts_with_names(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    result = matcher.match(make_reading(chart_number="7", owner_last="Okafor", pet_name="Nimbus"))
    assert result.decision is not Decision.AUTO


def test_low_confidence_counts_less(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    confident = matcher.match(make_reading(0.95, owner_last="Okafor", pet_name="Nimbus"))
    doubtful = matcher.match(make_reading(0.3, owner_last="Okafor", pet_name="Nimbus"))
    assert doubtful.candidates[0].score < confident.candidates[0].score


def test_study_date_before_birth(make_reading: Callable[..., Reading]) -> None:
    patients = [
        Patient("1", "Rex", "Stone", birth_date=dt.date(2015, 1, 1)),
        Patient("2", "Rex", "Stone"),
    ]
    matcher = Matcher(patients, MatchSettings())
    result = matcher.match(
        make_reading(owner_last="Stone", pet_name="Rex"), study_date=dt.date(2012, 3, 4)
    )
    assert result.candidates[0].patient_id == "2"
    assert "study date before birth" in result.candidates[1].reasons


def test_study_date_after_death_not_auto(make_reading: Callable[..., Reading]) -> None:
    # Chart and names agree, but a film dated after the animal's death needs a person.
    patients = [Patient("01156", "Max", "Johnson", "Linda", death_date=dt.date(2016, 9, 30))]
    patients += [Patient(f"{1000 + i:05d}", f"Pet{i}", f"Owner{i}") for i in range(40)]
    matcher = Matcher(patients, MatchSettings())
    reading = make_reading(chart_number="01156", owner_last="Johnson", pet_name="Max")

    late = matcher.match(reading, study_date=dt.date(2019, 8, 9))
    in_life = matcher.match(reading, study_date=dt.date(2015, 8, 9))

    assert late.decision is Decision.NEEDS_REVIEW
    assert "study date after death or inactivation" in late.candidates[0].reasons
    assert in_life.decision is Decision.AUTO


def test_unknown_reading_unmatched(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    result = matcher.match(make_reading(owner_last="Zzyzx", pet_name="Quorra"))
    assert result.decision is Decision.UNMATCHED
    assert result.patient_id is None


def test_scores_in_unit_interval(matcher: Matcher, make_reading: Callable[..., Reading]) -> None:
    result = matcher.match(make_reading(owner_last="Jones", pet_name="Fluffy"))
    assert all(0.0 <= c.score <= 1.0 for c in result.candidates)
    assert len(result.candidates) <= 3


def test_rare_pet_name_weighs_more(make_reading: Callable[..., Reading]) -> None:
    patients = [Patient(str(i), "Bella", f"Owner{chr(65 + i % 26)}x{i}") for i in range(40)]
    patients += [Patient("R1", "Quillon", "Stone"), Patient("C1", "Bella", "Stone")]
    matcher = Matcher(patients, MatchSettings())
    rare = matcher.match(make_reading(0.6, pet_name="Quillon", owner_last="Stone"))
    common = matcher.match(make_reading(0.6, pet_name="Bella", owner_last="Stone"))
    assert rare.candidates[0].patient_id == "R1"
    assert common.candidates[0].patient_id == "C1"
    assert rare.candidates[0].score > common.candidates[0].score


def test_near_name_below_exact(make_reading: Callable[..., Reading]) -> None:
    patients = [
        Patient("A", "Bella", "Müller"),
        Patient("B", "Bella", "Mueller"),
        Patient("C", "Rex", "Stone"),
    ]
    result = Matcher(patients, MatchSettings()).match(
        make_reading(0.9, owner_last="Muller", pet_name="Bella")
    )
    assert result.candidates[0].patient_id == "A"
    assert result.decision is not Decision.AUTO
