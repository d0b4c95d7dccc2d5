"""Generate a seeded synthetic patient list and jacket-label readings with OCR noise.

Every name is invented from syllables. The list has the collisions that make matching
hard: one surname shared by many households, one owner with many pets, and a few pet
names carried by many animals (Zipf-distributed). Chart numbers are dense and sequential,
so many are one digit apart. Some labels belong to owners missing from the list, and
half of those carry a chart number that belongs to another patient in the list.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from filmroom.models import FieldValue, Patient, Reading

_ONSETS = [
    "b",
    "br",
    "c",
    "ch",
    "d",
    "f",
    "g",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "st",
    "t",
    "v",
    "w",
    "z",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ee", "ou"]
_CODAS = ["", "n", "r", "s", "l", "t", "m", "ck", "rd", "ng"]
_PET_ENDINGS = ["", "y", "o", "ie", "ster", "a"]
_SPECIES = [
    ("canine", "Dog", 0.55),
    ("feline", "Cat", 0.35),
    ("lapine", "Rabbit", 0.05),
    ("equine", "Horse", 0.05),
]
_BREEDS = {
    "canine": ["Lab", "GSD", "Beagle", "Poodle"],
    "feline": ["DSH", "DLH", "Siamese"],
    "lapine": [""],
    "equine": [""],
}
_CONFUSIONS = {
    "0": "O",
    "O": "0",
    "1": "I",
    "I": "1",
    "l": "1",
    "5": "S",
    "S": "5",
    "8": "B",
    "B": "8",
    "2": "Z",
    "Z": "2",
    "o": "0",
    "s": "5",
    "i": "1",
}


@dataclass
class Label:
    """One simulated label reading and the patient it truly belongs to (None: not in the list)."""

    reading: Reading
    truth: str | None
    printed: bool


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(
        rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
    )


def _zipf_pool(
    rng: random.Random, size: int, syllables: tuple[int, int], suffixes: list[str]
) -> list[str]:
    pool: set[str] = set()
    while len(pool) < size:
        pool.add((_word(rng, rng.randint(*syllables)) + rng.choice(suffixes)).capitalize())
    return sorted(pool)


def make_patients(count: int, seed: int = 1) -> list[Patient]:
    """Return ``count`` patients with realistic name and chart-number collisions."""
    rng = random.Random(seed)
    surnames = _zipf_pool(rng, max(50, count // 6), (1, 3), ["", "son", "er", "ley", "ton"])
    firsts = _zipf_pool(rng, 400, (1, 2), ["", "a", "y"])
    pets = _zipf_pool(rng, max(100, count // 5), (1, 2), _PET_ENDINGS)
    surname_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(surnames))]
    pet_weights = [1 / (rank + 1) for rank in range(len(pets))]
    surname_weights[0] *= 2  # one surname shared by many households (about 9% of patients)

    patients: list[Patient] = []
    next_chart = 10_000
    used_charts: set[str] = set()
    while len(patients) < count:
        owner_last = rng.choices(surnames, surname_weights)[0]
        owner_first = rng.choice(firsts)
        # The first owner has 12 pets; the others have 1 to 4.
        household = 12 if not patients else rng.choice([1, 1, 1, 1, 2, 2, 3, 4])

        for _ in range(household):
            species = rng.choices([s[0] for s in _SPECIES], [s[2] for s in _SPECIES])[0]
            birth = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 6000))
            death = (
                birth + dt.timedelta(days=rng.randint(1500, 6000)) if rng.random() < 0.3 else None
            )

            chart = str(next_chart)
            next_chart += 1
            if patients and rng.random() < 0.05:
                # "00" + the previous patient's chart: equal to it only without leading zeros.
                chart = "00" + patients[-1].patient_id.lstrip("0")
                if chart in used_charts:
                    chart = str(next_chart)
                    next_chart += 1
            used_charts.add(chart)

            patients.append(
                Patient(
                    chart,
                    rng.choices(pets, pet_weights)[0],
                    owner_last,
                    owner_first,
                    species,
                    rng.choice(_BREEDS[species]) or None,
                    birth_date=birth,
                    death_date=death,
                )
            )
    return patients[:count]


def _noisy(rng: random.Random, text: str, rate: float) -> tuple[str, bool]:
    """Apply OCR-like noise: confusable substitutions and dropped characters."""
    changed = False
    out = []
    for ch in text:
        roll = rng.random()
        if roll < rate / 2 and ch in _CONFUSIONS:
            out.append(_CONFUSIONS[ch])
            changed = True
        elif roll < rate * 0.7 and len(text) > 3:
            changed = True
        else:
            out.append(ch)
    return "".join(out), changed


def _field(rng: random.Random, text: str, printed: bool) -> FieldValue:
    rate = 0.004 if printed else 0.06
    value, changed = _noisy(rng, text, rate)
    if changed:
        confidence = rng.uniform(0.35, 0.85)
    else:
        confidence = rng.uniform(0.85, 0.99) if printed else rng.uniform(0.5, 0.95)
    return FieldValue(value, round(confidence, 3), "ocr")


def make_labels(
    patients: list[Patient], count: int, seed: int = 2, missing_share: float = 0.08
) -> list[Label]:
    """Return ``count`` label readings: most of list patients, some of owners missing from the list."""
    rng = random.Random(seed)
    ids = [p.patient_id for p in patients]
    labels = []
    for _ in range(count):
        printed = rng.random() < 0.7
        if rng.random() < missing_share:
            source = Patient(
                rng.choice(ids) if rng.random() < 0.5 else str(rng.randint(900_000, 999_999)),
                _word(rng, 2).capitalize(),
                _word(rng, 2).capitalize() + "ington",
                "",
                "canine",
            )
            truth = None
        else:
            source = rng.choice(patients)
            truth = source.patient_id
        fields = {
            "owner_last": _field(rng, source.owner_last.upper(), printed),
            "pet_name": _field(rng, source.pet_name, printed),
        }
        if source.owner_first and rng.random() < 0.6:
            fields["owner_first"] = _field(rng, source.owner_first, printed)
        if rng.random() < (0.9 if printed else 0.6):
            fields["chart_number"] = _field(rng, source.patient_id, printed)
        if source.species and rng.random() < 0.7:
            word = {s[0]: s[1] for s in _SPECIES}[source.species]
            fields["species"] = _field(rng, word, printed)
        if source.breed and rng.random() < 0.3:
            fields["breed"] = _field(rng, source.breed, printed)
        if source.birth_date and rng.random() < 0.5:
            end = source.death_date or dt.date(2026, 1, 1)
            days = max(1, (end - source.birth_date).days)
            study = source.birth_date + dt.timedelta(days=rng.randint(0, days))
            fields["study_date"] = FieldValue(study.isoformat(), 0.95, "ocr")
        text = " ".join(f.value for f in fields.values())
        labels.append(Label(Reading(fields=fields, text=text), truth, printed))
    return labels
