"""The local folder archive: Part-10 files in a patient/study/series tree plus a SQLite index.

Layout: ``<root>/<PatientID>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm``,
where the PatientID folder name comes from ``local_paths.encode_component`` and UIDs
are used as they are (a valid UID is digits and dots only). ``<root>/index.sqlite``
lists patients, studies and instances so that queries need no folder scan.
``LocalArchive.rebuild_index`` recreates the index from the files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.fileset import DIRECTORY_RECORDERS, FileSet, RecordNode

from filmroom.destinations.base import (
    ClosingMixin,
    InstanceHeader,
    read_header,
    rejected_for_bad_input,
)
from filmroom.destinations.local_index import ArchiveIndex, describe_instance
from filmroom.destinations.local_paths import encode_component
from filmroom.errors import BadInputError, ConfigurationError, FilmroomError
from filmroom.models import StoreOutcome

logger = logging.getLogger(__name__)

INDEX_NAME = "index.sqlite"
TEMP_PREFIX = ".partial-"
# PS3.4 Table B.2-1 defines 0xA900 as "Data Set does not match SOP Class". The local
# archive returns it for a SOP Instance UID that is reused with other content.
STATUS_CONFLICT = 0xA900


class ArchivedFileError(FilmroomError):
    """An archived file that the index lists is missing or damaged."""


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def copy_atomically(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file, fsync and ``os.replace``.

    A crash leaves either the old target or the complete new one, plus at most a
    ``.partial-*`` file that ``rebuild_index`` ignores.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as out, open(source, "rb") as handle:
            shutil.copyfileobj(handle, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


class LocalArchive(ClosingMixin):
    """A folder archive with an index; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot create the archive folder {self.root} ({exc}); choose a writable folder"
            ) from None
        self.name = f"local:{self.root.as_posix()}"
        self._index = self._open_index()
        self._store_lock = threading.Lock()

    def _open_index(self) -> ArchiveIndex:
        path = self.root / INDEX_NAME
        try:
            return ArchiveIndex(path)
        except sqlite3.Error as exc:
            raise ConfigurationError(
                f"Cannot open the archive index {path} for writing ({exc}); check that the "
                f"folder {self.root} and the file are writable by this user"
            ) from None

    def close(self) -> None:
        """Close the index."""
        self._index.close()

    def relative_path(self, header: InstanceHeader) -> str:
        """Return the archive path of an instance, relative to the root, with forward slashes."""
        return "/".join(
            (
                encode_component(header.patient_id),
                header.study_instance_uid,
                header.series_instance_uid,
                f"{header.sop_instance_uid}.dcm",
            )
        )

    def store(self, paths: Sequence[Path], *, skip_present: bool = True) -> list[StoreOutcome]:
        """Copy each file into the archive and index it; return one outcome per path.

        ``skip_present`` exists for a signature shared with the network destinations.
        The local archive always compares a present SOP Instance UID's content and
        never overwrites an intact archived file. An archived file that is missing or
        whose size differs from the index is replaced, but only by a staged file with
        the same archive path, so the replacement is filed under the same patient.
        """
        outcomes: list[StoreOutcome] = []
        with self._store_lock:
            for path in paths:
                try:
                    outcomes.append(self._store_one(Path(path)))
                except BadInputError as exc:
                    outcomes.append(rejected_for_bad_input(Path(path), exc))
                except OSError as exc:
                    # Paths are left out of logs because staged file names may contain patient names.
                    logger.error(
                        "Writing a file to the local archive %s failed: %s", self.root, exc.strerror
                    )
                    outcomes.append(
                        StoreOutcome(
                            "", "failed", message=f"{path}: write failed ({exc}); retry later"
                        )
                    )
        stored = sum(1 for outcome in outcomes if outcome.state == "stored")
        logger.info("Local archive %s: %d of %d files stored", self.root, stored, len(outcomes))
        return outcomes

    def _store_one(self, path: Path) -> StoreOutcome:
        header = read_header(path)
        uid = header.sop_instance_uid
        digest = sha256_of(path)
        existing = self._index.instance(uid)
        relative = self.relative_path(header)
        target = self.root / relative
        replaced = ""
        if existing is not None:
            problem = self._file_problem(existing)
            if not problem:
                return self._compare_with_existing(path, header, digest, existing)
            if existing["path"] != relative:
                return self._damaged_elsewhere(uid, existing, problem)
            logger.warning(
                "Archived file of SOP Instance UID %s is %s, so the staged file replaces it",
                uid,
                problem,
            )
            replaced = f"replaced the archived file because it was {problem}"
        elif target.is_file():
            # The file exists but the index lacks it, as after a crash between the rename
            # and the index update. Index the archived file and never overwrite it.
            orphan = pydicom.dcmread(target, stop_before_pixels=True)
            orphan_row = describe_instance(
                orphan, relative, sha256_of(target), target.stat().st_size
            )
            self._index.add([orphan_row])
            return self._compare_with_existing(
                path, header, digest, {"path": relative, "sha256": orphan_row.sha256}
            )

        copy_atomically(path, target)
        dataset = pydicom.dcmread(target, stop_before_pixels=True)
        self._index.add([describe_instance(dataset, relative, digest, target.stat().st_size)])
        return StoreOutcome(uid, "stored", message=replaced)

    def _file_problem(self, row: dict[str, object]) -> str:
        """Return "" when the file of an index row exists with the indexed size, else the problem."""
        try:
            size = (self.root / str(row["path"])).stat().st_size
        except FileNotFoundError:
            return "missing"
        if size != row["size_bytes"]:
            return f"{size} bytes instead of {row['size_bytes']}"
        return ""

    def _damaged_elsewhere(
        self, uid: str, existing: dict[str, object], problem: str
    ) -> StoreOutcome:
        logger.warning(
            "Archived file of SOP Instance UID %s is damaged and the staged file has another path",
            uid,
        )
        return StoreOutcome(
            uid,
            "rejected",
            status=STATUS_CONFLICT,
            message=(
                f"SOP Instance UID {uid} is indexed at {existing['path']}, whose file is "
                f"{problem}, but the staged file belongs under another patient, study or series; "
                "restore the archived file from a backup, or delete it and rebuild the index "
                "with LocalArchive.rebuild_index, then store again"
            ),
        )

    def _compare_with_existing(
        self, path: Path, header: InstanceHeader, digest: str, existing: dict[str, object]
    ) -> StoreOutcome:
        uid = header.sop_instance_uid
        archived_path = self.root / str(existing["path"])
        if existing["sha256"] == digest:
            return StoreOutcome(uid, "already_stored")
        if pydicom.dcmread(archived_path) == pydicom.dcmread(path):
            return StoreOutcome(
                uid,
                "already_stored",
                message="same data set; only the file meta information differs",
            )
        logger.warning("SOP Instance UID %s is already archived with different content", uid)
        return StoreOutcome(
            uid,
            "rejected",
            status=STATUS_CONFLICT,
            message=(
                f"SOP Instance UID {uid} is already archived at {existing['path']} with different "
                "content; give the new object a new SOP Instance UID or remove the archived one"
            ),
        )

    def find(self, sop_instance_uids: Sequence[str]) -> set[str]:
        """Return the UIDs that the index lists and whose file exists with the indexed size.

        Checks only the file size; ``verify_files`` also hashes the contents.
        """
        rows = self._index.instances(sop_instance_uids)
        return {uid for uid, row in rows.items() if not self._file_problem(row)}

    def verify_files(self, sop_instance_uids: Sequence[str]) -> dict[str, str]:
        """Hash the archived files and return a problem for each UID that fails the check.

        Problems are "not in the index", "missing", "size differs" and "SHA-256 differs"
        against the index row. Intact instances are left out of the result. Reads every
        file in full, so it takes about as long as copying them.
        """
        rows = self._index.instances(sop_instance_uids)
        problems: dict[str, str] = {}
        for uid in dict.fromkeys(sop_instance_uids):
            row = rows.get(uid)
            if row is None:
                problems[uid] = "not in the index"
                continue
            path = self.root / str(row["path"])
            try:
                if path.stat().st_size != row["size_bytes"]:
                    problems[uid] = "size differs"
                elif sha256_of(path) != row["sha256"]:
                    problems[uid] = "SHA-256 differs"
            except FileNotFoundError:
                problems[uid] = "missing"
        logger.info(
            "Checked %d archived files in %s: %d with problems", len(rows), self.root, len(problems)
        )
        return problems

    def remove(self, sop_instance_uids: Sequence[str]) -> list[str]:
        """Delete archived instances (files and index rows) and return the UIDs removed.

        Used for objects that a later run filed under another patient, so the local
        archive never keeps a copy under the wrong patient. UIDs not in the archive
        are ignored.
        """
        removed: list[str] = []
        with self._store_lock:
            for uid in sop_instance_uids:
                row = self._index.instance(uid)
                if row is None:
                    continue
                (self.root / str(row["path"])).unlink(missing_ok=True)
                removed.append(uid)
            self._index.remove(removed)
        if removed:
            logger.info("Removed %d re-filed instances from %s", len(removed), self.root)
        return removed

    def path_of(self, sop_instance_uid: str) -> Path:
        """Return the archived file of an instance.

        Raises
        ------
        KeyError
            When the index does not list the UID.
        """
        row = self._index.instance(sop_instance_uid)
        if row is None:
            raise KeyError(f"SOP Instance UID {sop_instance_uid} is not in the archive {self.root}")
        return self.root / str(row["path"])

    def fetch(
        self, sop_instance_uid: str, *, transfer_syntax_uid: str | None = None
    ) -> pydicom.Dataset:
        """Read an archived instance from its file; ``transfer_syntax_uid`` is ignored."""
        return pydicom.dcmread(self.path_of(sop_instance_uid))

    def patient_identity(self, patient_id: str) -> tuple[str, str] | None:
        """Return (PatientName, PatientSpeciesDescription) that the index stores for this ID."""
        row = self._index.patient(patient_id)
        if row is None:
            return None
        return str(row["patient_name"]), str(row["species"])

    def find_patients(
        self, owner: str | None = None, pet: str | None = None, patient_id: str | None = None
    ) -> list[dict[str, object]]:
        """Return patients whose owner surname and pet name start with the given text.

        Each dict contains the ``patients`` columns (patient_id, patient_name, owner_last,
        owner_first, pet_name, species) plus study_count and instance_count.
        """
        return self._index.find_patients(owner, pet, patient_id)

    def instances_for(self, patient_id: str) -> list[dict[str, object]]:
        """Return the ``instances`` rows of a patient; ``path`` is relative to the root."""
        return self._index.instances_for(patient_id)

    def export_patient(self, patient_id: str, dest_dir: Path) -> Path:
        """Copy a patient's files into ``dest_dir`` with a DICOMDIR (PS3.10 File-set).

        The File-set uses the PS3.10 file names that pydicom generates (``PT000000/...``),
        so it can be written to a USB stick or CD. Returns the DICOMDIR path.

        Raises
        ------
        KeyError
            When the archive contains no image for ``patient_id``.
        ArchivedFileError
            When a file of the patient is missing or its size differs from the index.
            Nothing is written to ``dest_dir`` in that case.
        """
        rows = self.instances_for(patient_id)
        if not rows:
            raise KeyError(
                f"No image for PatientID {patient_id!r} found in the archive {self.root}"
            )
        for row in rows:
            problem = self._file_problem(row)
            if problem:
                raise ArchivedFileError(
                    f"The archived file {self.root / str(row['path'])} is {problem}; run "
                    "`filmroom audit` to list every damaged file, then restore them from a "
                    "backup or migrate again"
                )

        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        file_set = FileSet()
        file_set.ID = "FILMROOM"
        for row in rows:
            path = self.root / str(row["path"])
            file_set.add_custom(path, _directory_records(path))
        file_set.write(dest_dir)
        logger.info("Exported %d images of one patient", len(rows))
        return dest_dir / "DICOMDIR"

    def rebuild_index(self) -> int:
        """Recreate ``index.sqlite`` from the ``.dcm`` files under the root.

        Reads every file's header and hashes its bytes, so it takes about as long as
        reading the whole archive once. Files that are not readable DICOM are logged
        and skipped. Returns the number of instances indexed.
        """
        with self._store_lock:
            self._index.close()
            for suffix in ("", "-wal", "-shm"):
                (self.root / (INDEX_NAME + suffix)).unlink(missing_ok=True)
            self._index = self._open_index()

            rows = []
            for path in sorted(self.root.rglob("*.dcm")):
                if path.name.startswith(TEMP_PREFIX):
                    continue
                try:
                    dataset = pydicom.dcmread(path, stop_before_pixels=True)
                except (InvalidDicomError, OSError, ValueError) as exc:
                    logger.warning(
                        "Skipping unreadable file %s while rebuilding the index: %s", path, exc
                    )
                    continue
                relative = path.relative_to(self.root).as_posix()
                rows.append(
                    describe_instance(dataset, relative, sha256_of(path), path.stat().st_size)
                )
            self._index.add(rows)
        logger.info("Rebuilt the index of %s: %d instances", self.root, len(rows))
        return len(rows)


# Keys that PS3.3 Annex F requires (Type 1) in PATIENT, STUDY, SERIES and IMAGE directory
# records, with the value written into the record when the object leaves them empty. The
# object itself is copied unchanged; only its directory record carries the stand-in, as
# DCMTK's dcmmkdir does with --invent.
_RECORD_STAND_INS = {
    "StudyDate": "19000101",
    "StudyTime": "000000",
    "StudyID": "1",
    "Modality": "OT",
    "SeriesNumber": "1",
    "InstanceNumber": "1",
}


def _directory_records(path: Path) -> RecordNode:
    """Build the PATIENT/STUDY/SERIES/IMAGE records of one file and return the IMAGE node."""
    header = pydicom.dcmread(path, stop_before_pixels=True)
    for keyword, stand_in in _RECORD_STAND_INS.items():
        if keyword not in header or header[keyword].VM == 0:
            setattr(header, keyword, stand_in)

    nodes = []
    for kind in ("PATIENT", "STUDY", "SERIES", "IMAGE"):
        record = DIRECTORY_RECORDERS[kind](header)
        record.DirectoryRecordType = kind
        if kind == "IMAGE":
            record.ReferencedSOPClassUIDInFile = header.SOPClassUID
            record.ReferencedSOPInstanceUIDInFile = header.SOPInstanceUID
            record.ReferencedTransferSyntaxUIDInFile = header.file_meta.TransferSyntaxUID
        nodes.append(RecordNode(record))
    for parent, child in zip(nodes, nodes[1:]):
        child.parent = parent
    return nodes[-1]
