"""Fellegi-Sunter match weights: m and u probabilities per comparison level.

For each compared field, the weight is log2(m / u), where m is the probability of the
level when the reading belongs to the patient and u the probability when it does not.
u comes from the patient list itself: value frequencies for exact names and IDs, and a
seeded sample of random patient pairs for the fuzzy levels. m values are assumptions
about label and OCR error rates, checked on the benchmark in bench/matching.

A field read with confidence c counts as the mixture c * m + (1 - c) * u. With
probability 1 - c the value is noise that carries no information, so a low-confidence field
moves the weight toward zero.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from filmroom.matching.comparisons import Level, compare_breed, compare_id, compare_name
from filmroom.matching.keys import NameKey, PatientKeys, ReadingKeys

# m: P(level | same patient), for a field read with full confidence.
M_ID = {
    "barcode": {
        Level.EXACT: 0.99,
        Level.CONFUSABLE: 0.004,
        Level.ZEROS: 0.001,
        Level.DISAGREE: 0.005,
    },
    "chart_number": {
        Level.EXACT: 0.95,
        Level.CONFUSABLE: 0.025,
        Level.ZEROS: 0.005,
        Level.DISAGREE: 0.02,
    },
    # An old PatientID often differs from the patient list's ID, or lost its zero padding.
    "patient_id_legacy": {
        Level.EXACT: 0.85,
        Level.CONFUSABLE: 0.01,
        Level.ZEROS: 0.04,
        Level.DISAGREE: 0.10,
    },
}
M_NAME = {
    "owner_last": {Level.EXACT: 0.90, Level.CLOSE: 0.06, Level.WEAK: 0.02, Level.DISAGREE: 0.02},
    # The first name on a label is often the other household member's.
    "owner_first": {
        Level.EXACT: 0.80,
        Level.INITIAL: 0.06,
        Level.CLOSE: 0.05,
        Level.WEAK: 0.03,
        Level.DISAGREE: 0.06,
    },
    "pet_name": {Level.EXACT: 0.90, Level.CLOSE: 0.06, Level.WEAK: 0.02, Level.DISAGREE: 0.02},
}
M_SPECIES_AGREE = 0.98
M_BREED_AGREE = 0.85  # breeds are recorded loosely ("Lab" vs "Retriever")
M_DATE_OUTSIDE_LIFE = 0.01
U_DATE_OUTSIDE_LIFE = 0.30  # estimate: share of patients not alive on a random study date

ID_LABELS = {"barcode": "barcode", "chart_number": "chart", "patient_id_legacy": "old PatientID"}
NAME_LABELS = {
    "owner_last": "owner surname",
    "owner_first": "owner first name",
    "pet_name": "pet name",
}
RARE_NAME_SHARE = 0.001  # an exact name shared by fewer than 0.1% of patients is "rare"
COMMON_NAME_SHARE = 0.01
U_FLOOR = 1e-6
NAME_LEVELS = (Level.EXACT, Level.CLOSE, Level.WEAK, Level.DISAGREE)
PAIR_SAMPLE = 20_000


@dataclass
class UProbabilities:
    """u probabilities estimated from one patient list."""

    total: int
    name_counts: dict[str, Counter[str]]  # field -> name key -> patients with it
    name_levels: dict[str, dict[Level, float]]  # field -> level -> share of random pairs
    id_confusable_counts: Counter[str]
    id_zero_counts: Counter[str]
    species_counts: Counter[str]
    breed_counts: Counter[str]

    def name_exact(self, field_name: str, key: str) -> float:
        return max(self.name_counts[field_name][key], 1) / self.total

    def name_level(self, field_name: str, level: Level) -> float:
        return max(self.name_levels[field_name].get(level, 0.0), U_FLOOR)

    def id_level(self, level: Level, known: PatientKeys) -> float:
        if level is Level.EXACT:
            return 1 / self.total
        if level is Level.CONFUSABLE:
            return max(self.id_confusable_counts[known.id_confusable], 1) / self.total
        if level is Level.ZEROS:
            return max(self.id_zero_counts[known.id_no_zeros], 1) / self.total
        return 1.0


def estimate_u(keys: Sequence[PatientKeys], *, seed: int = 0) -> UProbabilities:
    """Estimate u probabilities from the patient list: frequencies and random pairs."""
    total = max(len(keys), 1)
    name_counts = {
        "owner_last": Counter(k.owner_last.key for k in keys if k.owner_last.key),
        "owner_first": Counter(k.owner_first.key for k in keys if k.owner_first.key),
        "pet_name": Counter(k.pet_name.key for k in keys if k.pet_name.key),
    }
    name_levels: dict[str, dict[Level, float]] = {name: {} for name in name_counts}
    if len(keys) >= 2:
        generator = random.Random(seed)
        for field_name in name_counts:
            levels: Counter[Level] = Counter()
            compared = 0
            for _ in range(min(PAIR_SAMPLE, len(keys) * 4)):
                first, second = generator.sample(range(len(keys)), 2)
                outcome = compare_name(
                    getattr(keys[first], field_name),
                    getattr(keys[second], field_name),
                    allow_initial=field_name == "owner_first",
                )
                if outcome is not None:
                    levels[outcome[0]] += 1
                    compared += 1
            # Add-one smoothing keeps a level never seen in the sample from getting u = 0,
            # which would give it an unbounded weight.
            possible = NAME_LEVELS + ((Level.INITIAL,) if field_name == "owner_first" else ())
            name_levels[field_name] = {
                level: (levels[level] + 1) / (compared + len(possible)) for level in possible
            }
    return UProbabilities(
        total=total,
        name_counts=name_counts,
        name_levels=name_levels,
        id_confusable_counts=Counter(k.id_confusable for k in keys),
        id_zero_counts=Counter(k.id_no_zeros for k in keys),
        species_counts=Counter(k.species for k in keys if k.species),
        breed_counts=Counter(k.breed for k in keys if k.breed),
    )


@dataclass
class Evidence:
    """The summed weight of one candidate and the comparisons behind it."""

    weight: float = 0.0
    reasons: list[str] = field(default_factory=list)
    id_level: Level | None = None  # best ID level over chart, barcode and old PatientID
    id_field: str | None = None
    name_levels: dict[str, Level] = field(default_factory=dict)
    # A name, ID or species read with confidence >= 0.8 disagrees, or the study date falls
    # outside the animal's life: either may mean another patient, so a person decides.
    confident_conflict: bool = False


CONFIDENT = 0.8


def _weight(m: float, u: float, confidence: float) -> float:
    mixed = confidence * m + (1 - confidence) * u
    return math.log2(max(mixed, U_FLOOR) / max(u, U_FLOOR))


_ID_RANK = {Level.EXACT: 0, Level.CONFUSABLE: 1, Level.ZEROS: 2, Level.DISAGREE: 3}


def _add_ids(
    evidence: Evidence, reading: ReadingKeys, known: PatientKeys, u: UProbabilities
) -> None:
    for field_name, read in reading.ids.items():
        level = compare_id(read.text, known)
        u_level = (
            min(u.id_level(level, known), 1 - U_FLOOR)
            if level is Level.DISAGREE
            else u.id_level(level, known)
        )
        evidence.weight += _weight(M_ID[field_name][level], u_level, read.confidence)
        label = ID_LABELS[field_name]
        text = {
            Level.EXACT: f"{label} exact",
            Level.CONFUSABLE: f"{label} equal after OCR-confusable characters",
            Level.ZEROS: f"{label} equal only without leading zeros",
            Level.DISAGREE: f"{label} differs",
        }[level]
        evidence.reasons.append(text)
        if evidence.id_level is None or _ID_RANK[level] < _ID_RANK[evidence.id_level]:
            evidence.id_level, evidence.id_field = level, field_name
        if (
            level is Level.DISAGREE
            and read.confidence >= CONFIDENT
            and field_name != "patient_id_legacy"
        ):
            evidence.confident_conflict = True


@dataclass(frozen=True)
class _NameOutcome:
    weight: float
    reason: str
    level: Level
    conflict: bool


def _name_outcome(
    field_name: str, read: NameKey, confidence: float, known_name: NameKey, u: UProbabilities
) -> _NameOutcome | None:
    outcome = compare_name(read, known_name, allow_initial=field_name == "owner_first")
    if outcome is None:
        return None
    level, similarity = outcome
    if level is Level.EXACT:
        u_level = u.name_exact(field_name, known_name.key)
    else:
        u_level = u.name_level(field_name, level)
    weight = _weight(M_NAME[field_name][level], u_level, confidence)
    if level is not Level.EXACT:
        # A near match must never count for more than an exact match of the same name.
        u_exact = u.name_exact(field_name, known_name.key)
        weight = min(weight, _weight(M_NAME[field_name][Level.EXACT], u_exact, confidence))
    label = NAME_LABELS[field_name]
    conflict = False
    if level is Level.EXACT:
        rarity = ""
        if u_level < RARE_NAME_SHARE:
            rarity = " rare,"
        elif u_level >= COMMON_NAME_SHARE:
            rarity = " common,"
        reason = f"{label}{rarity} exact"
    elif level is Level.INITIAL:
        reason = f"{label} initial"
    elif level is Level.DISAGREE:
        reason = f"{label} differs ({similarity:.2f})"
        conflict = confidence >= CONFIDENT and field_name != "owner_first"
    else:
        reason = f"{label} {similarity:.2f}"
    return _NameOutcome(weight, reason, level, conflict)


def _add_names(
    evidence: Evidence,
    reading: ReadingKeys,
    known: PatientKeys,
    u: UProbabilities,
    cache: dict[object, object],
) -> None:
    for field_name, (read, confidence) in reading.names.items():
        known_name = getattr(known, field_name)
        # Many candidates share a surname or pet name, so each distinct name is compared once per reading.
        cache_key = (field_name, known_name)
        if cache_key not in cache:
            cache[cache_key] = _name_outcome(field_name, read, confidence, known_name, u)
        outcome = cache[cache_key]
        if not isinstance(outcome, _NameOutcome):
            continue
        evidence.name_levels[field_name] = outcome.level
        evidence.weight += outcome.weight
        evidence.reasons.append(outcome.reason)
        evidence.confident_conflict |= outcome.conflict


def _add_animal(
    evidence: Evidence, reading: ReadingKeys, known: PatientKeys, u: UProbabilities
) -> None:
    if reading.species and known.species:
        share = u.species_counts[known.species] / u.total
        if reading.species.text == known.species:
            evidence.weight += _weight(
                M_SPECIES_AGREE, max(share, U_FLOOR), reading.species.confidence
            )
            evidence.reasons.append("species agrees")
        else:
            evidence.weight += _weight(
                1 - M_SPECIES_AGREE, max(1 - share, U_FLOOR), reading.species.confidence
            )
            evidence.reasons.append("species conflict")
            if reading.species.confidence >= CONFIDENT:
                evidence.confident_conflict = True
    if reading.breed:
        level = compare_breed(reading.breed.text, known.breed)
        if level is not None:
            share = max(u.breed_counts[known.breed or ""], 1) / u.total
            if level is Level.EXACT:
                evidence.weight += _weight(M_BREED_AGREE, share, reading.breed.confidence)
                evidence.reasons.append("breed agrees")
            else:
                evidence.weight += _weight(
                    1 - M_BREED_AGREE, max(1 - share, U_FLOOR), reading.breed.confidence
                )
                evidence.reasons.append("breed differs")
    patient = known.patient
    if reading.study_date is not None:
        if patient.birth_date and reading.study_date < patient.birth_date:
            evidence.weight += math.log2(M_DATE_OUTSIDE_LIFE / U_DATE_OUTSIDE_LIFE)
            evidence.reasons.append("study date before birth")
            evidence.confident_conflict = True
        elif patient.death_date and reading.study_date > patient.death_date:
            evidence.weight += math.log2(M_DATE_OUTSIDE_LIFE / U_DATE_OUTSIDE_LIFE)
            evidence.reasons.append("study date after death or inactivation")
            evidence.confident_conflict = True
        elif patient.birth_date or patient.death_date:
            evidence.weight += math.log2((1 - M_DATE_OUTSIDE_LIFE) / (1 - U_DATE_OUTSIDE_LIFE))
            evidence.reasons.append("study date within life")


def weigh_candidate(
    reading: ReadingKeys,
    known: PatientKeys,
    u: UProbabilities,
    cache: dict[object, object] | None = None,
) -> Evidence:
    """Sum the match weights of every field that both the reading and the patient have.

    ``cache`` may be shared by the calls for one reading, never across readings.
    """
    evidence = Evidence()
    _add_ids(evidence, reading, known, u)
    _add_names(evidence, reading, known, u, {} if cache is None else cache)
    _add_animal(evidence, reading, known, u)
    return evidence
