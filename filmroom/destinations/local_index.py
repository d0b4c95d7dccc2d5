"""SQLite index of the local archive: patients, studies and instances.

The index is a cache of the files' headers. ``LocalArchive.rebuild_index`` recreates
it from the ``.dcm`` files alone, so losing or corrupting ``index.sqlite`` loses no data.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pydicom

SCHEMA = """
CREATE TABLE IF NOT EXISTS patients (
    patient_id TEXT PRIMARY KEY,
    patient_name TEXT NOT NULL,
    owner_last TEXT NOT NULL,
    owner_first TEXT NOT NULL,
    pet_name TEXT NOT NULL,
    species TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS studies (
    study_instance_uid TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(patient_id),
    study_date TEXT NOT NULL,
    study_description TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS instances (
    sop_instance_uid TEXT PRIMARY KEY,
    sop_class_uid TEXT NOT NULL,
    series_instance_uid TEXT NOT NULL,
    study_instance_uid TEXT NOT NULL REFERENCES studies(study_instance_uid),
    patient_id TEXT NOT NULL REFERENCES patients(patient_id),
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    study_date TEXT NOT NULL,
    modality TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS patients_owner ON patients(owner_last COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS patients_pet ON patients(pet_name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS instances_patient ON instances(patient_id);
CREATE INDEX IF NOT EXISTS instances_study ON instances(study_instance_uid);
"""
# Stored in PRAGMA user_version. Version 1 is the schema above, which has had
# instances.size_bytes since the first release, so no older index needs migrating.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class IndexedInstance:
    """One row of the ``instances`` table plus the patient and study facts it carries."""

    sop_instance_uid: str
    sop_class_uid: str
    series_instance_uid: str
    study_instance_uid: str
    patient_id: str
    path: str  # relative to the archive root, with forward slashes
    sha256: str
    size_bytes: int
    study_date: str
    modality: str
    patient_name: str
    owner_last: str
    owner_first: str
    pet_name: str
    species: str
    study_description: str


def _text(dataset: pydicom.Dataset, keyword: str) -> str:
    return str(dataset.get(keyword, "") or "").strip()


def describe_instance(
    dataset: pydicom.Dataset, relative_path: str, sha256: str, size_bytes: int
) -> IndexedInstance:
    """Build the index row for a dataset read from ``relative_path``.

    Owner and pet names follow the veterinary convention of PS3.3 C.7.1.1:
    PatientName is ``OwnerSurname^PetName`` and ResponsiblePerson (0010,2297) is the
    owner's ``Surname^First``. The owner's first name comes only from ResponsiblePerson.
    """
    patient_name = pydicom.valuerep.PersonName(_text(dataset, "PatientName"))
    responsible = pydicom.valuerep.PersonName(_text(dataset, "ResponsiblePerson"))
    owner_last = responsible.family_name or patient_name.family_name
    return IndexedInstance(
        sop_instance_uid=_text(dataset, "SOPInstanceUID"),
        sop_class_uid=_text(dataset, "SOPClassUID"),
        series_instance_uid=_text(dataset, "SeriesInstanceUID"),
        study_instance_uid=_text(dataset, "StudyInstanceUID"),
        patient_id=str(dataset.get("PatientID", "") or ""),
        path=relative_path,
        sha256=sha256,
        size_bytes=size_bytes,
        study_date=_text(dataset, "StudyDate"),
        modality=_text(dataset, "Modality"),
        patient_name=str(patient_name),
        owner_last=owner_last,
        owner_first=responsible.given_name,
        pet_name=patient_name.given_name,
        species=_text(dataset, "PatientSpeciesDescription"),
        study_description=_text(dataset, "StudyDescription"),
    )


# German spellings that people type without the umlaut key: "Mueller" for "Müller".
_TRANSLITERATIONS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.casefold()


def search_keys(value: str) -> set[str]:
    """Return the forms of a name that searches compare: accents stripped and case folded.

    "Müller" gives {"muller", "mueller"} and "Peña" gives {"pena"}, so a search for
    "muller", "MUELLER" or "Müller" finds it.
    """
    value = value.strip()
    return {_fold(value), _fold(value.translate(_TRANSLITERATIONS))}


def name_starts_with(name: str | None, prefix: str | None) -> bool:
    """Return True when a search key of ``name`` starts with a search key of ``prefix``."""
    if name is None or prefix is None:
        return False
    name_keys = search_keys(name)
    return any(key.startswith(start) for start in search_keys(prefix) for key in name_keys)


class ArchiveIndex:
    """Thread-safe access to ``index.sqlite``; one connection guarded by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            self._connection.row_factory = sqlite3.Row
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.executescript(SCHEMA)
            # Writing the header fails at once when the file or its folder is read-only,
            # instead of at the first store.
            self._connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error:
            self._connection.close()
            raise
        self._connection.create_function(
            "name_starts_with", 2, name_starts_with, deterministic=True
        )

    def remove(self, sop_instance_uids: Sequence[str]) -> None:
        """Delete instances, then the studies and patients left without any."""
        with self._lock:
            cursor = self._connection.cursor()
            cursor.execute("BEGIN")
            cursor.executemany("DELETE FROM instances WHERE sop_instance_uid = ?", [(u,) for u in sop_instance_uids])
            cursor.execute(
                "DELETE FROM studies WHERE study_instance_uid NOT IN (SELECT study_instance_uid FROM instances)"
            )
            cursor.execute("DELETE FROM patients WHERE patient_id NOT IN (SELECT patient_id FROM instances)")
            cursor.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._connection.close()

    def add(self, rows: Iterable[IndexedInstance]) -> None:
        """Insert or replace instances; the newest file's patient and study facts win."""
        with self._lock:
            cursor = self._connection.cursor()
            cursor.execute("BEGIN")
            try:
                for row in rows:
                    self._add_row(cursor, row)
            except sqlite3.Error:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    @staticmethod
    def _add_row(cursor: sqlite3.Cursor, row: IndexedInstance) -> None:
        cursor.execute(
            "INSERT OR REPLACE INTO patients VALUES (?, ?, ?, ?, ?, ?)",
            (
                row.patient_id,
                row.patient_name,
                row.owner_last,
                row.owner_first,
                row.pet_name,
                row.species,
            ),
        )
        cursor.execute(
            "INSERT OR REPLACE INTO studies VALUES (?, ?, ?, ?)",
            (row.study_instance_uid, row.patient_id, row.study_date, row.study_description),
        )
        cursor.execute(
            "INSERT OR REPLACE INTO instances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.sop_instance_uid,
                row.sop_class_uid,
                row.series_instance_uid,
                row.study_instance_uid,
                row.patient_id,
                row.path,
                row.sha256,
                row.size_bytes,
                row.study_date,
                row.modality,
            ),
        )

    def instance(self, sop_instance_uid: str) -> dict[str, object] | None:
        """Return the instance row for a SOP Instance UID, or None."""
        with self._lock:
            found = self._connection.execute(
                "SELECT * FROM instances WHERE sop_instance_uid = ?", (sop_instance_uid,)
            ).fetchone()
        return dict(found) if found else None

    def instances(self, sop_instance_uids: Sequence[str]) -> dict[str, dict[str, object]]:
        """Return the instance rows of those ``sop_instance_uids`` that the index lists, by UID."""
        found: dict[str, dict[str, object]] = {}
        unique = list(dict.fromkeys(sop_instance_uids))
        # SQLite allows 32766 host parameters per statement since 3.32; 500 stays far below.
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._connection.execute(
                    f"SELECT * FROM instances WHERE sop_instance_uid IN ({marks})", chunk
                ).fetchall()
            found.update((row["sop_instance_uid"], dict(row)) for row in rows)
        return found

    def patient(self, patient_id: str) -> dict[str, object] | None:
        """Return the patient row for a PatientID, or None."""
        with self._lock:
            found = self._connection.execute(
                "SELECT * FROM patients WHERE patient_id = ?", (patient_id,)
            ).fetchone()
        return dict(found) if found else None

    def find_patients(
        self, owner: str | None, pet: str | None, patient_id: str | None
    ) -> list[dict[str, object]]:
        """Return patients matching every given filter, with study and image counts.

        ``owner`` and ``pet`` match the start of the owner surname and pet name,
        ignoring letter case and accents (see ``search_keys``). ``patient_id`` matches
        exactly. Name filters run in Python on every patient row, because SQLite
        cannot strip accents.
        """
        clauses: list[str] = []
        parameters: list[str] = []
        if owner and owner.strip():
            clauses.append("name_starts_with(p.owner_last, ?)")
            parameters.append(owner)
        if pet and pet.strip():
            clauses.append("name_starts_with(p.pet_name, ?)")
            parameters.append(pet)
        if patient_id is not None:
            clauses.append("p.patient_id = ?")
            parameters.append(patient_id)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        query = f"""
            SELECT p.*,
                   COUNT(DISTINCT i.study_instance_uid) AS study_count,
                   COUNT(i.sop_instance_uid) AS instance_count
            FROM patients p LEFT JOIN instances i ON i.patient_id = p.patient_id
            {where}
            GROUP BY p.patient_id
            ORDER BY p.owner_last COLLATE NOCASE, p.pet_name COLLATE NOCASE, p.patient_id
        """
        with self._lock:
            rows = self._connection.execute(query, parameters).fetchall()
        return [dict(row) for row in rows]

    def instances_for(self, patient_id: str) -> list[dict[str, object]]:
        """Return a patient's instances ordered by study date, study, series and SOP UID."""
        with self._lock:
            rows = self._connection.execute(
                """SELECT * FROM instances WHERE patient_id = ?
                   ORDER BY study_date, study_instance_uid, series_instance_uid, sop_instance_uid""",
                (patient_id,),
            ).fetchall()
        return [dict(row) for row in rows]


def rows_as_dicts(rows: Iterable[IndexedInstance]) -> list[dict[str, object]]:
    """Return index rows as plain dicts."""
    return [asdict(row) for row in rows]
