"""C-FIND and C-GET requests on an established association (PS3.4 Annex C)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydicom.dataset import Dataset
from pynetdicom import evt
from pynetdicom.association import Association
from pynetdicom.sop_class import (
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
)

from filmroom.errors import DestinationRejectedError, TransientDestinationError

# UIDs per C-FIND identifier: 100 UIDs of 64 characters stay far below any PDU limit.
UIDS_PER_QUERY = 100
PENDING = frozenset({0xFF00, 0xFF01})

FIND_MODELS = (
    StudyRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelFind,
)
GET_MODEL = StudyRootQueryRetrieveInformationModelGet


def _check_final_status(status: Dataset, operation: str) -> None:
    if "Status" not in status:
        raise TransientDestinationError(
            f"{operation}: no response (association aborted or DIMSE timeout)"
        )
    code = int(status.Status)
    if code == 0x0000 or code in PENDING:
        return
    if (code & 0xFF00) == 0xA700:
        raise TransientDestinationError(f"{operation}: out of resources, status 0x{code:04X}")
    raise DestinationRejectedError(f"{operation} failed with status 0x{code:04X}", status=code)


def c_find(association: Association, identifier: Dataset, model: str) -> Iterator[Dataset]:
    """Send one C-FIND and yield each matching identifier."""
    for status, found in association.send_c_find(identifier, model):
        _check_final_status(status, "C-FIND")
        if int(status.Status) in PENDING and found is not None:
            yield found


def find_instances(
    association: Association, study_instance_uid: str | None, sop_instance_uids: Sequence[str]
) -> list[Dataset]:
    """Query IMAGE level (Study Root) for a list of SOP Instance UIDs of one study.

    ``study_instance_uid`` None sends a universal match for the study, which Orthanc
    accepts; a strictly hierarchical SCP may require the study UID.
    """
    matches: list[Dataset] = []
    for start in range(0, len(sop_instance_uids), UIDS_PER_QUERY):
        identifier = Dataset()
        identifier.QueryRetrieveLevel = "IMAGE"
        identifier.StudyInstanceUID = study_instance_uid or ""
        identifier.SeriesInstanceUID = ""
        identifier.SOPInstanceUID = list(sop_instance_uids[start : start + UIDS_PER_QUERY])
        identifier.SOPClassUID = ""
        matches.extend(c_find(association, identifier, StudyRootQueryRetrieveInformationModelFind))
    return matches


def find_patient_studies(association: Association, patient_id: str) -> list[Dataset]:
    """Query STUDY level (Study Root) for the studies of one PatientID."""
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.PatientID = patient_id
    identifier.PatientName = ""
    identifier.PatientSpeciesDescription = ""
    identifier.StudyInstanceUID = ""
    return list(c_find(association, identifier, StudyRootQueryRetrieveInformationModelFind))


def get_instance(association: Association, found: Dataset) -> Dataset:
    """Retrieve one instance with C-GET, using the UIDs of a C-FIND match.

    Raises
    ------
    KeyError
        When the C-GET completes without sending the instance.
    """
    received: list[Dataset] = []

    def on_store(event: evt.Event) -> int:
        dataset = event.dataset
        dataset.file_meta = event.file_meta
        received.append(dataset)
        return 0x0000

    handlers = [(evt.EVT_C_STORE, on_store)]
    association.bind(evt.EVT_C_STORE, on_store)
    try:
        identifier = Dataset()
        identifier.QueryRetrieveLevel = "IMAGE"
        identifier.StudyInstanceUID = found.StudyInstanceUID
        identifier.SeriesInstanceUID = found.SeriesInstanceUID
        identifier.SOPInstanceUID = found.SOPInstanceUID
        for status, _ in association.send_c_get(identifier, GET_MODEL):
            _check_final_status(status, "C-GET")
    finally:
        for event, handler in handlers:
            association.unbind(event, handler)

    uid = str(found.SOPInstanceUID)
    for dataset in received:
        if str(dataset.get("SOPInstanceUID", "")) == uid:
            return dataset
    raise KeyError(f"C-GET of SOP Instance UID {uid} completed without sending it")
