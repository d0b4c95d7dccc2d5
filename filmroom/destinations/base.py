"""The interface every archive destination implements, and the header facts they share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import pydicom
from pydicom.errors import InvalidDicomError

from filmroom.errors import BadInputError
from filmroom.models import StoreOutcome

# PS3.5 section 9.1: a UID has only digits and dots, at most 64 characters.
UID_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@runtime_checkable
class Destination(Protocol):
    """An archive that stores Part-10 files and can be queried for what it stores."""

    name: str

    def store(self, paths: Sequence[Path], *, skip_present: bool = True) -> list[StoreOutcome]:
        """Store each file; return one outcome per path, in the same order.

        With ``skip_present``, instances the destination already stores are not sent
        again and come back as ``already_stored``.
        """
        ...

    def find(self, sop_instance_uids: Sequence[str]) -> set[str]:
        """Query the destination and return the subset of these UIDs it stores."""
        ...

    def fetch(
        self, sop_instance_uid: str, *, transfer_syntax_uid: str | None = None
    ) -> pydicom.Dataset:
        """Retrieve one stored instance.

        ``transfer_syntax_uid`` is the syntax the instance was stored in, when known.
        A destination that negotiates the syntax of the retrieve (DICOM C-GET) proposes
        it first. The others ignore it.
        """
        ...

    def patient_identity(self, patient_id: str) -> tuple[str, str] | None:
        """Return (PatientName, PatientSpeciesDescription) stored for this ID, or None."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class ClosingMixin:
    """Context-manager methods that call ``close``."""

    def close(self) -> None:  # pragma: no cover - every destination overrides it
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True)
class InstanceHeader:
    """Identifying attributes of one staged Part-10 file, read without its pixel data."""

    path: Path
    sop_instance_uid: str
    sop_class_uid: str
    study_instance_uid: str
    series_instance_uid: str
    transfer_syntax_uid: str
    patient_id: str


def _require_uid(path: Path, dataset: pydicom.Dataset, keyword: str) -> str:
    value = str(dataset.get(keyword, "") or "").strip()
    if not UID_PATTERN.match(value) or len(value) > 64:
        raise BadInputError(
            path, f"{keyword} is missing or not a valid UID ({value!r}); re-stage the file"
        )
    return value


def read_header(path: Path) -> InstanceHeader:
    """Read the UIDs, transfer syntax and PatientID of a Part-10 file.

    Raises
    ------
    BadInputError
        When the file is missing, is not Part-10 DICOM, or lacks a required UID or PatientID.
    """
    path = Path(path)
    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
    except FileNotFoundError:
        raise BadInputError(path, "file not found; re-stage it") from None
    except (InvalidDicomError, OSError, ValueError) as exc:
        raise BadInputError(path, f"cannot be read as Part-10 DICOM ({exc}); re-stage it") from None

    file_meta = getattr(dataset, "file_meta", None)
    transfer_syntax = str(getattr(file_meta, "TransferSyntaxUID", "") or "")
    if not transfer_syntax:
        raise BadInputError(path, "the file meta has no TransferSyntaxUID; write it as Part-10")

    patient_id = str(dataset.get("PatientID", "") or "")
    if not patient_id.strip():
        raise BadInputError(path, "PatientID is empty; match the image to a patient first")

    return InstanceHeader(
        path=path,
        sop_instance_uid=_require_uid(path, dataset, "SOPInstanceUID"),
        sop_class_uid=_require_uid(path, dataset, "SOPClassUID"),
        study_instance_uid=_require_uid(path, dataset, "StudyInstanceUID"),
        series_instance_uid=_require_uid(path, dataset, "SeriesInstanceUID"),
        transfer_syntax_uid=transfer_syntax,
        patient_id=patient_id,
    )


def read_headers(paths: Sequence[Path]) -> tuple[dict[int, InstanceHeader], list[StoreOutcome | None]]:
    """Read the header of every path to store.

    Returns the headers by position, and a list of outcomes with the ``rejected``
    outcome already filled in for each file that cannot be read.
    """
    outcomes: list[StoreOutcome | None] = [None] * len(paths)
    headers: dict[int, InstanceHeader] = {}
    for position, path in enumerate(paths):
        try:
            headers[position] = read_header(Path(path))
        except BadInputError as exc:
            outcomes[position] = rejected_for_bad_input(Path(path), exc)
    return headers, outcomes


def rejected_for_bad_input(path: Path, error: BadInputError) -> StoreOutcome:
    """Build the ``rejected`` outcome for a staged file that cannot be read."""
    return StoreOutcome(sop_instance_uid="", state="rejected", message=f"{path}: {error.reason}")
