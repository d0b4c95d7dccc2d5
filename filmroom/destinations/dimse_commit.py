"""Storage Commitment Push Model (PS3.4 Annex J) as SCU: N-ACTION, then wait for N-EVENT-REPORT.

The PACS may send the N-EVENT-REPORT on the association that carried the N-ACTION
or, like Orthanc 1.10, on a new association to our AE title. The PACS must then
know our AE title, host and port (in Orthanc: ``DicomModalities``), and
``listen_address`` must be reachable from it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, build_context, evt
from pynetdicom.association import Association
from pynetdicom.presentation import PresentationContext
from pynetdicom.sop_class import StorageCommitmentPushModel, StorageCommitmentPushModelInstance

from filmroom.errors import DestinationRejectedError, TransientDestinationError

logger = logging.getLogger(__name__)

# Opens an association to the PACS with these presentation contexts and event handlers.
AssociateFunction = Callable[[list[PresentationContext], list[tuple[Any, Any]]], Association]

# Failure reason 0x0112 "No such object instance" from PS3.4 Annex J.
NO_SUCH_OBJECT_INSTANCE = 0x0112


@dataclass
class CommitResult:
    """The PACS's storage commitment report for one transaction."""

    transaction_uid: str
    committed: set[str] = field(default_factory=set)
    failed: dict[str, int] = field(default_factory=dict)  # SOP Instance UID to failure reason
    unanswered: set[str] = field(default_factory=set)  # no report before the timeout


class _ReportCollector:
    """Receive N-EVENT-REPORT requests and keep the one for our transaction."""

    def __init__(self, transaction_uid: str) -> None:
        self.transaction_uid = transaction_uid
        self.report: Dataset | None = None
        self.received = threading.Event()

    def on_event_report(self, event: evt.Event) -> tuple[int, Dataset | None]:
        information = event.event_information
        if str(information.get("TransactionUID", "")) == self.transaction_uid:
            self.report = information
            self.received.set()
        return 0x0000, None


def _referenced_items(sop_classes: Mapping[str, str]) -> list[Dataset]:
    items = []
    for uid, sop_class in sop_classes.items():
        item = Dataset()
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = uid
        items.append(item)
    return items


def request_commitment(
    associate: AssociateFunction,
    calling_ae_title: str,
    sop_classes: Mapping[str, str],
    *,
    listen_address: tuple[str, int],
    timeout: float,
) -> CommitResult:
    """Send one N-ACTION for ``sop_classes`` (SOP Instance UID to SOP Class UID) and wait for the report.

    ``associate`` opens an association to the PACS with the given contexts and event
    handlers. Raises ``TransientDestinationError`` when the N-ACTION gets no response
    and ``DestinationRejectedError`` when its status is a failure.
    """
    transaction_uid = generate_uid()
    collector = _ReportCollector(transaction_uid)
    handlers = [(evt.EVT_N_EVENT_REPORT, collector.on_event_report)]

    listener = AE(ae_title=calling_ae_title)
    listener.add_supported_context(StorageCommitmentPushModel, scu_role=True, scp_role=True)
    server = listener.start_server(listen_address, block=False, evt_handlers=handlers)
    try:
        request = Dataset()
        request.TransactionUID = transaction_uid
        request.ReferencedSOPSequence = _referenced_items(sop_classes)
        association = associate([build_context(StorageCommitmentPushModel)], handlers)
        try:
            status, _ = association.send_n_action(
                request, 1, StorageCommitmentPushModel, StorageCommitmentPushModelInstance
            )
            if "Status" not in status:
                raise TransientDestinationError(
                    "N-ACTION got no response (association aborted or DIMSE timeout)"
                )
            if int(status.Status) != 0x0000:
                raise DestinationRejectedError(
                    f"storage commitment N-ACTION failed with status 0x{int(status.Status):04X}",
                    status=int(status.Status),
                )
            # Keep the association open while waiting, for PACS that report on it.
            # NOTE: only reports on a new association have been run (Orthanc 1.10).
            collector.received.wait(timeout)
        finally:
            if association.is_established:
                association.release()
    finally:
        server.shutdown()

    return _parse_report(transaction_uid, collector.report, set(sop_classes))


def _parse_report(
    transaction_uid: str, report: Dataset | None, requested: set[str]
) -> CommitResult:
    result = CommitResult(transaction_uid)
    if report is None:
        logger.warning(
            "No storage commitment report for transaction %s before the timeout", transaction_uid
        )
        result.unanswered = set(requested)
        return result

    for item in report.get("ReferencedSOPSequence", []):
        result.committed.add(str(item.ReferencedSOPInstanceUID))
    for item in report.get("FailedSOPSequence", []):
        reason = int(item.get("FailureReason", 0) or 0)
        result.failed[str(item.ReferencedSOPInstanceUID)] = reason
    result.unanswered = requested - result.committed - set(result.failed)
    return result
