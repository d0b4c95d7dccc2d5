"""DICOM network destination: C-STORE with C-FIND checks and C-GET retrieval (pynetdicom).

Each store worker thread opens its own association and reuses it for many files, so
an association is never shared between threads. ``ArchiveSettings.max_concurrency``
sets the number of workers.
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pydicom
from pydicom.uid import UID, ExplicitVRLittleEndian
from pynetdicom import AE, build_role
from pynetdicom.association import Association
from pynetdicom.presentation import PresentationContext, build_context
from pynetdicom.sop_class import Verification

from filmroom.destinations.base import (
    ClosingMixin,
    InstanceHeader,
    read_headers,
)
from filmroom.destinations.dimse_commit import (
    NO_SUCH_OBJECT_INSTANCE,
    CommitResult,
    request_commitment,
)
from filmroom.destinations.dimse_contexts import (
    is_uncompressed,
    retrieve_contexts,
    storage_contexts,
)
from filmroom.destinations.dimse_query import (
    FIND_MODELS,
    GET_MODEL,
    find_instances,
    find_patient_studies,
    get_instance,
)
from filmroom.destinations.dimse_status import StatusKind, StatusVerdict, classify_store_status
from filmroom.destinations.retry import backoff_delays, call_with_retries
from filmroom.errors import (
    ConfigurationError,
    DestinationRejectedError,
    TransientDestinationError,
)
from filmroom.models import StoreOutcome
from filmroom.settings import ArchiveSettings

logger = logging.getLogger(__name__)


class AssociationFailed(TransientDestinationError):
    """The association could not be established (refused, rejected, aborted or timed out)."""


def _disable_nagle(association: Association) -> None:
    """Set TCP_NODELAY on an association's socket.

    pynetdicom 3.0 leaves Nagle's algorithm on. Against Orthanc 1.10 on loopback, the
    first C-FIND response then took about 90 ms; with TCP_NODELAY it took about 50 ms.
    """
    transport = getattr(association.dul, "socket", None)
    raw_socket = getattr(transport, "socket", None)
    if raw_socket is not None:
        raw_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class DimseDestination(ClosingMixin):
    """A DICOM Storage SCP that also supports Study Root C-FIND and C-GET, such as Orthanc."""

    def __init__(
        self,
        host: str,
        port: int,
        called_ae_title: str,
        settings: ArchiveSettings,
        *,
        probe: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.called_ae_title = called_ae_title
        self.settings = settings
        self.name = f"dicom://{called_ae_title}@{host}:{port}"
        self._ssl_context = self._make_ssl_context(settings.tls_ca_file)
        # Study Instance UID of each SOP Instance UID seen in staged files, so that
        # ``find`` can batch its queries by study. Only a grouping hint: ``find`` still queries.
        self._study_of: dict[str, str] = {}
        self._sop_class_of: dict[str, str] = {}
        # Transfer syntax of each staged file, which ``fetch`` proposes for the C-GET.
        self._transfer_syntax_of: dict[str, str] = {}
        self._study_lock = threading.Lock()
        if probe:
            self.echo()

    @staticmethod
    def _make_ssl_context(ca_file: str | None) -> ssl.SSLContext | None:
        if not ca_file:
            return None
        try:
            return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"Cannot load the DICOM TLS CA file {ca_file} ({exc}); set tls_ca_file to a PEM bundle"
            ) from None

    def close(self) -> None:
        """Release nothing: associations live only inside each call."""

    # -- associations ---------------------------------------------------------------

    def _new_ae(self) -> AE:
        ae = AE(ae_title=self.settings.calling_ae_title)
        timeout = self.settings.timeout_seconds
        ae.acse_timeout = timeout
        ae.dimse_timeout = timeout
        ae.network_timeout = timeout
        ae.connection_timeout = timeout
        return ae

    def _associate(
        self,
        ae: AE,
        contexts: list[PresentationContext],
        ext_neg: list[object] | None = None,
        evt_handlers: list[tuple[Any, Any]] | None = None,
    ) -> Association:
        tls_args = (self._ssl_context, self.host) if self._ssl_context else None
        association = ae.associate(
            self.host,
            self.port,
            contexts=contexts,
            ae_title=self.called_ae_title,
            ext_neg=ext_neg,  # type: ignore[arg-type]
            tls_args=tls_args,
            evt_handlers=evt_handlers,
        )
        if association.is_established:
            _disable_nagle(association)
            return association
        if association.is_rejected:
            reason = "rejected the association (check the called and calling AE titles)"
        elif association.is_aborted:
            reason = "aborted the association"
        else:
            reason = "is unreachable (connection refused or timed out)"
        raise AssociationFailed(f"{self.name} {reason}")

    def echo(self) -> None:
        """Send C-ECHO once.

        Raises
        ------
        ConfigurationError
            When the association or the C-ECHO fails.
        """
        try:
            association = self._associate(self._new_ae(), [build_context(Verification)])
        except AssociationFailed as exc:
            raise ConfigurationError(
                f"DICOM destination check failed: {exc}. Check the host, port and AE titles "
                f"(calling AE {self.settings.calling_ae_title!r} must be known to the PACS), "
                "and set tls_ca_file if and only if the PACS port expects DICOM TLS"
            ) from None
        try:
            status = association.send_c_echo()
        finally:
            association.release()
        if "Status" not in status or int(status.Status) != 0x0000:
            raise ConfigurationError(f"C-ECHO to {self.name} failed; check that it is a DICOM SCP")

    # -- store ------------------------------------------------------------------------

    def store(self, paths: Sequence[Path], *, skip_present: bool = True) -> list[StoreOutcome]:
        """Send each file with C-STORE; return one outcome per path, in the same order.

        With ``skip_present``, files whose SOP Instance UID the PACS already stores
        (one C-FIND per study) are not sent again and come back as ``already_stored``.
        NOTE: that check compares SOP Instance UIDs only, not content, so it relies on
        UIDs derived from content or assigned once per object.
        """
        headers, outcomes = read_headers(paths)
        with self._study_lock:
            self._study_of.update(
                {h.sop_instance_uid: h.study_instance_uid for h in headers.values()}
            )
            self._sop_class_of.update(
                {h.sop_instance_uid: h.sop_class_uid for h in headers.values()}
            )
            self._transfer_syntax_of.update(
                {h.sop_instance_uid: h.transfer_syntax_uid for h in headers.values()}
            )

        if skip_present and headers:
            present = self._present_or_empty([h.sop_instance_uid for h in headers.values()])
            for position, header in headers.items():
                if header.sop_instance_uid in present:
                    outcomes[position] = StoreOutcome(header.sop_instance_uid, "already_stored")

        pending = [
            (position, header) for position, header in headers.items() if outcomes[position] is None
        ]
        if pending:
            self._store_pending(pending, outcomes)

        final = [outcome for outcome in outcomes if outcome is not None]
        assert len(final) == len(paths), "every path gets exactly one outcome"
        counts: dict[str, int] = defaultdict(int)
        for outcome in final:
            counts[outcome.state] += 1
        logger.info("C-STORE to %s finished: %s", self.name, dict(counts))
        return final

    def _present_or_empty(self, sop_instance_uids: list[str]) -> set[str]:
        try:
            return self.find(sop_instance_uids)
        except (TransientDestinationError, DestinationRejectedError) as exc:
            logger.warning("C-FIND before storing failed (%s); sending every file", exc)
            return set()

    def _store_pending(
        self, pending: list[tuple[int, InstanceHeader]], outcomes: list[StoreOutcome | None]
    ) -> None:
        contexts = storage_contexts(header for _, header in pending)
        work: queue.Queue[tuple[int, InstanceHeader]] = queue.Queue()
        for item in pending:
            work.put(item)
        unreachable = threading.Event()
        workers = min(self.settings.max_concurrency, len(pending))
        logger.info("Sending %d files to %s over %d associations", len(pending), self.name, workers)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="c-store") as pool:
            futures = [
                pool.submit(self._store_worker, work, contexts, outcomes, unreachable)
                for _ in range(workers)
            ]
            for future in futures:
                future.result()

    def _store_worker(
        self,
        work: queue.Queue[tuple[int, InstanceHeader]],
        contexts: list[PresentationContext],
        outcomes: list[StoreOutcome | None],
        unreachable: threading.Event,
    ) -> None:
        ae = self._new_ae()
        association: Association | None = None
        try:
            while True:
                try:
                    position, header = work.get_nowait()
                except queue.Empty:
                    return
                if unreachable.is_set():
                    outcomes[position] = StoreOutcome(
                        header.sop_instance_uid,
                        "failed",
                        message=f"not sent because {self.name} became unreachable; store it again later",
                    )
                    continue
                outcomes[position], association = self._store_with_retries(
                    ae, association, contexts, header, unreachable
                )
        finally:
            if association is not None and association.is_established:
                association.release()

    def _store_with_retries(
        self,
        ae: AE,
        association: Association | None,
        contexts: list[PresentationContext],
        header: InstanceHeader,
        unreachable: threading.Event,
    ) -> tuple[StoreOutcome, Association | None]:
        uid = header.sop_instance_uid
        delays = backoff_delays(self.settings.retries, self.settings.retry_backoff_seconds)
        last_error = ""
        connection_failed = False
        for attempt in range(self.settings.retries + 1):
            if attempt:
                logger.warning(
                    "C-STORE of %s to %s failed (%s); retry %d of %d in %.2f s",
                    uid,
                    self.name,
                    last_error,
                    attempt,
                    self.settings.retries,
                    delays[attempt - 1],
                )
                time.sleep(delays[attempt - 1])
            if association is None or not association.is_established:
                try:
                    association = self._associate(ae, contexts)
                except AssociationFailed as exc:
                    association, last_error, connection_failed = None, str(exc), True
                    continue
            connection_failed = False
            try:
                verdict, note = self._send(association, header)
            except RuntimeError as exc:
                # pynetdicom raises RuntimeError when the association ended after the check above.
                association, last_error = None, f"association ended before sending ({exc})"
                continue
            except (OSError, ValueError) as exc:
                logger.error("Cannot send SOP Instance UID %s: %s", uid, type(exc).__name__)
                message = f"cannot send {header.path}: {exc}; fix the file and store it again"
                return StoreOutcome(uid, "failed", message=message), association
            message = "; ".join(part for part in (note, verdict.message) if part)
            if verdict.kind is StatusKind.STORED:
                return StoreOutcome(
                    uid, "stored", status=verdict.status, message=message
                ), association
            if verdict.kind is StatusKind.REJECTED:
                logger.error("%s rejected SOP Instance UID %s: %s", self.name, uid, message)
                return StoreOutcome(
                    uid, "rejected", status=verdict.status, message=message
                ), association
            last_error = message

        if connection_failed:
            unreachable.set()
        logger.error(
            "C-STORE of %s to %s failed after %d retries: %s",
            uid,
            self.name,
            self.settings.retries,
            last_error,
        )
        outcome = StoreOutcome(
            uid,
            "failed",
            message=f"{last_error}; gave up after {self.settings.retries} retries, store it again later",
        )
        return outcome, association

    def _send(self, association: Association, header: InstanceHeader) -> tuple[StatusVerdict, str]:
        """Send one file, transcoding it to Explicit VR Little Endian when its syntax was not accepted."""
        accepted = {
            str(context.transfer_syntax[0])
            for context in association.accepted_contexts
            if context.abstract_syntax == header.sop_class_uid
        }
        if not accepted:
            return (
                StatusVerdict(
                    StatusKind.REJECTED,
                    None,
                    f"the SCP accepted no presentation context for SOP Class {header.sop_class_uid}",
                ),
                "",
            )

        syntax = header.transfer_syntax_uid
        if syntax in accepted:
            return classify_store_status(association.send_c_store(header.path)), ""

        dataset = pydicom.dcmread(header.path)
        if is_uncompressed(syntax):
            # pynetdicom re-encodes a native data set in whichever native syntax was accepted.
            note = f"sent as {UID(min(accepted)).name} because the SCP did not accept {UID(syntax).name}"
            return classify_store_status(association.send_c_store(dataset)), note

        if ExplicitVRLittleEndian not in accepted:
            return (
                StatusVerdict(
                    StatusKind.REJECTED,
                    None,
                    f"the SCP accepted neither {UID(syntax).name} nor Explicit VR Little Endian",
                ),
                "",
            )
        try:
            # A lossless decode keeps the object, so it keeps its SOP Instance UID.
            dataset.decompress(generate_instance_uid=False)
        except (NotImplementedError, RuntimeError, ValueError) as exc:
            return StatusVerdict(
                StatusKind.REJECTED,
                None,
                f"cannot decode {UID(syntax).name} to transcode it: {exc}",
            ), ""
        note = f"transcoded from {UID(syntax).name} to Explicit VR Little Endian because the SCP did not accept {UID(syntax).name}"
        return classify_store_status(association.send_c_store(dataset)), note

    # -- queries ----------------------------------------------------------------------

    def _query_association(
        self, sop_class_uid: str | None = None, transfer_syntax_uid: str | None = None
    ) -> Association:
        contexts = [build_context(model) for model in FIND_MODELS]
        roles = None
        if sop_class_uid:
            contexts.append(build_context(GET_MODEL))
            contexts.extend(retrieve_contexts(sop_class_uid, transfer_syntax_uid))
            # One SCP/SCU Role Selection item covers every context of the SOP Class.
            roles = [build_role(UID(sop_class_uid), scp_role=True)]
        return self._associate(self._new_ae(), contexts, roles)

    def _with_query_association(
        self,
        operation_name: str,
        action,
        sop_class_uid: str | None = None,
        transfer_syntax_uid: str | None = None,
    ):  # type: ignore[no-untyped-def]
        def attempt():  # type: ignore[no-untyped-def]
            association = self._query_association(sop_class_uid, transfer_syntax_uid)
            try:
                return action(association)
            finally:
                if association.is_established:
                    association.release()

        return call_with_retries(
            attempt,
            retries=self.settings.retries,
            backoff_seconds=self.settings.retry_backoff_seconds,
            description=f"{operation_name} at {self.name}",
        )

    def find(self, sop_instance_uids: Sequence[str]) -> set[str]:
        """Return the UIDs the PACS stores: one IMAGE-level C-FIND per study of up to 100 UIDs.

        UIDs whose study is unknown (not in a file passed to ``store``) are queried
        with a universal StudyInstanceUID match.
        """
        wanted = list(dict.fromkeys(sop_instance_uids))
        if not wanted:
            return set()
        by_study: dict[str | None, list[str]] = defaultdict(list)
        with self._study_lock:
            for uid in wanted:
                by_study[self._study_of.get(uid)].append(uid)

        def query(association: Association) -> set[str]:
            found: set[str] = set()
            for study, uids in by_study.items():
                found.update(
                    str(match.SOPInstanceUID) for match in find_instances(association, study, uids)
                )
            return found

        return self._with_query_association("C-FIND", query) & set(wanted)

    def fetch(
        self, sop_instance_uid: str, *, transfer_syntax_uid: str | None = None
    ) -> pydicom.Dataset:
        """Retrieve one instance with C-GET after a C-FIND for its study, series and SOP Class.

        When the SOP Class is known from a staged file, one association carries both
        requests. Otherwise the C-FIND returns the SOP Class, and a second association
        proposes it for the C-GET.

        The C-GET proposes ``transfer_syntax_uid``, or else the syntax of the staged
        file passed to ``store``, plus the uncompressed syntaxes as fallback. An SCP
        that stores the object in that syntax then sends it unchanged, so compressed
        pixel data comes back byte for byte. With neither known, every syntax in
        ``RETRIEVE_SYNTAXES`` is proposed in a context of its own.

        Raises
        ------
        KeyError
            When the PACS does not store the instance.
        """
        with self._study_lock:
            study = self._study_of.get(sop_instance_uid)
            sop_class = self._sop_class_of.get(sop_instance_uid)
            syntax = transfer_syntax_uid or self._transfer_syntax_of.get(sop_instance_uid)

        def find_then_get(association: Association) -> pydicom.Dataset | str | None:
            matches = find_instances(association, study, [sop_instance_uid])
            if not matches:
                return None
            found_class = str(matches[0].get("SOPClassUID", "") or "")
            if not found_class:
                raise DestinationRejectedError(
                    f"C-FIND at {self.name} returned no SOPClassUID for {sop_instance_uid}, so C-GET cannot propose it"
                )
            if sop_class != found_class:
                return found_class
            return get_instance(association, matches[0])

        result = self._with_query_association(
            "C-FIND and C-GET", find_then_get, sop_class_uid=sop_class, transfer_syntax_uid=syntax
        )
        if result is None:
            raise KeyError(f"SOP Instance UID {sop_instance_uid} not found at {self.name}")
        if isinstance(result, pydicom.Dataset):
            return result

        with self._study_lock:
            self._sop_class_of[sop_instance_uid] = result
        return self.fetch(sop_instance_uid, transfer_syntax_uid=transfer_syntax_uid)

    def patient_identity(self, patient_id: str) -> tuple[str, str] | None:
        """Return (PatientName, PatientSpeciesDescription) of the first study with this PatientID.

        NOTE: when the PACS stores several names for one PatientID, only the first study's
        name is returned.
        """
        studies = self._with_query_association(
            "C-FIND", lambda association: find_patient_studies(association, patient_id)
        )
        exact = [study for study in studies if str(study.get("PatientID", "")) == patient_id]
        if not exact:
            return None
        first = exact[0]
        return str(first.get("PatientName", "") or ""), str(
            first.get("PatientSpeciesDescription", "") or ""
        )

    # -- storage commitment -------------------------------------------------------------

    def commit(
        self,
        sop_instance_uids: Sequence[str],
        *,
        listen_address: tuple[str, int],
        timeout: float | None = None,
    ) -> CommitResult:
        """Request storage commitment (N-ACTION) and wait for the PACS's N-EVENT-REPORT.

        ``listen_address`` is the (host, port) where a temporary SCP with our calling AE
        title waits for a report sent on a new association. The PACS must list that AE
        title, host and port. ``timeout`` defaults to ``settings.timeout_seconds``.
        UIDs whose SOP Class neither a staged file nor a C-FIND provides are reported
        as failed with reason 0x0112 (no such object instance) without being requested.
        """
        wanted = list(dict.fromkeys(sop_instance_uids))
        with self._study_lock:
            sop_classes = {
                uid: self._sop_class_of[uid] for uid in wanted if uid in self._sop_class_of
            }
        unknown = [uid for uid in wanted if uid not in sop_classes]
        if unknown:
            sop_classes.update(self._find_sop_classes(unknown))
        not_found = [uid for uid in wanted if uid not in sop_classes]

        if sop_classes:

            def associate(contexts, handlers):  # type: ignore[no-untyped-def]
                return self._associate(self._new_ae(), contexts, evt_handlers=handlers)

            result = request_commitment(
                associate,
                self.settings.calling_ae_title,
                sop_classes,
                listen_address=listen_address,
                timeout=self.settings.timeout_seconds if timeout is None else timeout,
            )
        else:
            result = CommitResult(transaction_uid="")
        result.failed.update({uid: NO_SUCH_OBJECT_INSTANCE for uid in not_found})
        logger.info(
            "Storage commitment at %s: %d committed, %d failed, %d without report",
            self.name,
            len(result.committed),
            len(result.failed),
            len(result.unanswered),
        )
        return result

    def _find_sop_classes(self, sop_instance_uids: list[str]) -> dict[str, str]:
        """Return the SOP Class UID of each instance that C-FIND finds."""
        by_study: dict[str | None, list[str]] = defaultdict(list)
        with self._study_lock:
            for uid in sop_instance_uids:
                by_study[self._study_of.get(uid)].append(uid)

        def query(association: Association) -> dict[str, str]:
            classes: dict[str, str] = {}
            for study, uids in by_study.items():
                for match in find_instances(association, study, uids):
                    sop_class = str(match.get("SOPClassUID", "") or "")
                    if sop_class:
                        classes[str(match.SOPInstanceUID)] = sop_class
            return classes

        return self._with_query_association("C-FIND", query)
