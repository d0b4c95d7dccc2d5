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
from filmroom.errors import BadInputError, ConfigurationError
from filmroom.models import StoreOutcome

logger = logging.getLogger(__name__)

INDEX_NAME = "index.sqlite"
TEMP_PREFIX = ".partial-"
# PS3.4 Table B.2-1 defines 0xA900 as "Data Set does not match SOP Class". The local
# archive returns it for a SOP Instance UID that is reused with other content.
STATUS_CONFLICT = 0xA900


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
        self._index = ArchiveIndex(self.root / INDEX_NAME)
        self._store_lock = threading.Lock()

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
        never overwrites an archived file.
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
        if existing is not None and (self.root / str(existing["path"])).is_file():
            return self._compare_with_existing(path, header, digest, existing)

        relative = self.relative_path(header)
        target = self.root / relative
        if target.is_file():
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
        return StoreOutcome(uid, "stored")

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
        """Return the UIDs that the index lists."""
        return self._index.present(sop_instance_uids)

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

    def fetch(self, sop_instance_uid: str) -> pydicom.Dataset:
        """Read an archived instance from its file."""
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
        """
        rows = self.instances_for(patient_id)
        if not rows:
            raise KeyError(
                f"No image for PatientID {patient_id!r} found in the archive {self.root}"
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
            self._index = ArchiveIndex(self.root / INDEX_NAME)

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
