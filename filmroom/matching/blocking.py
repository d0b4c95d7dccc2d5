"""Candidate generation: indexes of the patient list by ID, surname and pet name.

Only patients that share an index key with a reading are scored, so matching costs
grow with block sizes, not with the size of the list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from filmroom.matching.keys import NameKey, PatientKeys, ReadingKeys
from filmroom.matching.normalize import deletion_keys, id_confusable_key, id_key, id_without_zeros

# A single-name block larger than this is used only intersected with the other name's
# block, because a common surname or pet name alone brings many candidates and no decision.
MAX_SINGLE_BLOCK = 30
# When a common surname meets a common pet name, the block of close pairs can hold
# thousands of patients. Above this size it narrows to pairs where one name is exact.
MAX_PAIR_BLOCK = 200


class _NameIndex:
    """Patients by name variant, Metaphone key and one-letter deletions of distinct names."""

    def __init__(self) -> None:
        self.by_variant: dict[str, list[int]] = defaultdict(list)
        self.by_phonetic: dict[str, list[int]] = defaultdict(list)
        self.by_deletion: dict[str, set[str]] = defaultdict(set)

    def add(self, name: NameKey, position: int) -> None:
        for variant in name.variants:
            if position not in self.by_variant[variant][-1:]:
                self.by_variant[variant].append(position)
        if name.phonetic:
            self.by_phonetic[name.phonetic].append(position)

    def finish(self) -> None:
        for variant in list(self.by_variant):
            for deleted in deletion_keys(variant):
                self.by_deletion[deleted].add(variant)

    def lookup_exact(self, name: NameKey) -> set[int]:
        """Return patients with a name variant equal to one of ``name``'s."""
        found: set[int] = set()
        for variant in name.variants:
            found.update(self.by_variant.get(variant, ()))
        return found

    def lookup_close(self, name: NameKey) -> set[int]:
        """Return patients whose name is one edit away or sounds the same (Metaphone)."""
        names: set[str] = set()
        for variant in name.variants:
            names.add(variant)
            names.update(self.by_deletion.get(variant, ()))
            for deleted in deletion_keys(variant):
                if deleted in self.by_variant:
                    names.add(deleted)
                names.update(self.by_deletion.get(deleted, ()))
        found: set[int] = set()
        for known in names:
            found.update(self.by_variant.get(known, ()))
        if name.phonetic:
            found.update(self.by_phonetic.get(name.phonetic, ()))
        return found


class CandidateIndex:
    """Blocking indexes over one patient list."""

    def __init__(self, keys: Sequence[PatientKeys]) -> None:
        self.by_id: dict[str, list[int]] = defaultdict(list)
        self.by_confusable: dict[str, list[int]] = defaultdict(list)
        self.by_no_zeros: dict[str, list[int]] = defaultdict(list)
        self.surnames = _NameIndex()
        self.pets = _NameIndex()
        for position, known in enumerate(keys):
            self.by_id[known.id_exact].append(position)
            self.by_confusable[known.id_confusable].append(position)
            self.by_no_zeros[known.id_no_zeros].append(position)
            self.surnames.add(known.owner_last, position)
            self.pets.add(known.pet_name, position)
        self.surnames.finish()
        self.pets.finish()

    def candidates(self, reading: ReadingKeys) -> set[int]:
        """Return positions of patients worth scoring against ``reading``.

        Patients whose ID equals a read ID only without leading zeros are added only
        when no other block finds anybody.
        """
        found: set[int] = set()
        for read in reading.ids.values():
            found.update(self.by_id.get(id_key(read.text), ()))
            found.update(self.by_confusable.get(id_confusable_key(read.text), ()))

        surname = reading.names.get("owner_last")
        pet = reading.names.get("pet_name")
        if surname and pet:
            found.update(self._pair_block(surname[0], pet[0]))
        # One name alone, read exactly, finds the patient when the other name is garbled.
        for index, name in ((self.surnames, surname), (self.pets, pet)):
            if name:
                block = index.lookup_exact(name[0])
                if len(block) <= MAX_SINGLE_BLOCK:
                    found.update(block)

        if not found:
            for read in reading.ids.values():
                stripped = id_without_zeros(read.text)
                if stripped:
                    found.update(self.by_no_zeros.get(stripped, ()))
        return found

    def _pair_block(self, surname: NameKey, pet: NameKey) -> set[int]:
        """Return patients whose surname and pet name are both close to the reading's."""
        close_surname = self.surnames.lookup_close(surname)
        close_pet = self.pets.lookup_close(pet)
        block = close_surname & close_pet
        if len(block) <= MAX_PAIR_BLOCK:
            return block
        exact_surname = self.surnames.lookup_exact(surname)
        exact_pet = self.pets.lookup_exact(pet)
        block = (exact_surname & close_pet) | (close_surname & exact_pet)
        if len(block) <= MAX_PAIR_BLOCK:
            return block
        return exact_surname & exact_pet
