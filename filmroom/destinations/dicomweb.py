"""DICOMweb destination: STOW-RS to store, QIDO-RS to find, WADO-RS to fetch (PS3.18)."""

from __future__ import annotations

import io
import logging
import string
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pydicom

from filmroom.destinations.base import (
    ClosingMixin,
    InstanceHeader,
    read_headers,
)
from filmroom.destinations.dicomweb_auth import resolve_auth
from filmroom.destinations.dicomweb_multipart import MultipartBody, split_parts
from filmroom.destinations.dimse_status import StatusKind, classify_store_status
from filmroom.destinations.retry import call_with_retries
from filmroom.errors import (
    ConfigurationError,
    DestinationRejectedError,
    TransientDestinationError,
)
from filmroom.models import StoreOutcome
from filmroom.settings import ArchiveSettings

logger = logging.getLogger(__name__)

DICOM_JSON = "application/dicom+json"
# DICOM JSON model keys (PS3.18 Annex F): tags as 8 hex digits.
REFERENCED_SOP_SEQUENCE = "00081199"
FAILED_SOP_SEQUENCE = "00081198"
REFERENCED_SOP_INSTANCE_UID = "00081155"
FAILURE_REASON = "00081197"
WARNING_REASON = "00081196"
STUDY_INSTANCE_UID = "0020000D"
SERIES_INSTANCE_UID = "0020000E"
SOP_INSTANCE_UID = "00080018"
PATIENT_ID = "00100020"
PATIENT_NAME = "00100010"
PATIENT_SPECIES_DESCRIPTION = "00102201"


def json_value(item: dict[str, object], tag: str) -> str:
    """Return the first value of a tag in a DICOM JSON object as text, or ''."""
    element = item.get(tag)
    if not isinstance(element, dict):
        return ""
    values = element.get("Value") or []
    if not values:
        return ""
    first = values[0]
    if isinstance(first, dict):  # PN values are {"Alphabetic": ...}
        return str(first.get("Alphabetic", ""))
    return str(first)


# Characters sent as they are in a QIDO-RS query value (RFC 3986 query characters minus
# the separators "&", "=", "+", "#" and "%" and the QIDO-RS list separator ",").
_QIDO_RAW = frozenset(string.ascii_letters + string.digits + "-._~/:@!$'()*;?")


def qido_query_string(params: dict[str, str | list[str]]) -> str:
    """Build a QIDO-RS query string without percent-encoding.

    Orthanc 1.10's DICOMweb plugin does not percent-decode query values, so a value
    like ``VP%2F20`` never matches. Every character that would need encoding (space,
    "&", "%", non-ASCII and so on) becomes the single-character wildcard "?", and the
    caller must compare the returned values exactly.
    """
    pairs = []
    for key, values in params.items():
        for value in [values] if isinstance(values, str) else values:
            pairs.append(key + "=" + "".join(c if c in _QIDO_RAW else "?" for c in value))
    return "&".join(pairs)


def parse_destination_url(url: str) -> tuple[str, str | None]:
    """Split a DICOMweb URL into the base URL (no credentials, no query) and the secret block name.

    Raises
    ------
    ConfigurationError
        When the URL contains credentials or an unknown query parameter.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"Invalid DICOMweb URL {parts.scheme}://{parts.hostname}{parts.path}"
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            "The DICOMweb URL must not contain credentials; set FILMROOM_DICOMWEB_USER and "
            "FILMROOM_DICOMWEB_PASSWORD or FILMROOM_DICOMWEB_TOKEN, or name a Prefect Secret with ?secret="
        )
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"secret"})
    if unknown:
        raise ConfigurationError(
            f"Unknown query parameter(s) {', '.join(unknown)} in the DICOMweb URL; only ?secret=block-name is accepted"
        )
    secret = query.get("secret", [None])[0] or None
    port = f":{parts.port}" if parts.port else ""
    base = f"{parts.scheme}://{parts.hostname}{port}{parts.path.rstrip('/')}"
    return base, secret


class DicomWebDestination(ClosingMixin):
    """A DICOMweb origin server, such as Orthanc's DICOMweb plugin."""

    def __init__(self, url: str, settings: ArchiveSettings, *, probe: bool = True) -> None:
        self.base_url, secret_block = parse_destination_url(url)
        self.name = self.base_url
        self.settings = settings
        self._client = httpx.Client(
            auth=resolve_auth(secret_block),
            timeout=settings.timeout_seconds,
            limits=httpx.Limits(max_connections=settings.max_concurrency),
        )
        self._study_of: dict[str, str] = {}
        if probe:
            self._probe()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _probe(self) -> None:
        try:
            response = self._client.get(
                f"{self.base_url}/studies", params={"limit": "1"}, headers={"Accept": DICOM_JSON}
            )
        except httpx.HTTPError as exc:
            self.close()
            raise ConfigurationError(
                f"DICOMweb destination {self.name} is unreachable ({type(exc).__name__}); check the URL"
            ) from None
        if response.status_code in (401, 403):
            self.close()
            raise ConfigurationError(
                f"DICOMweb destination {self.name} rejected the credentials (HTTP {response.status_code}); "
                "check FILMROOM_DICOMWEB_USER/FILMROOM_DICOMWEB_PASSWORD, FILMROOM_DICOMWEB_TOKEN or ?secret="
            )
        if response.status_code not in (200, 204):
            self.close()
            raise ConfigurationError(
                f"QIDO-RS probe of {self.name} returned HTTP {response.status_code}; "
                "check that the URL is the DICOMweb root (for Orthanc: http://host:8042/dicom-web)"
            )

    # -- HTTP -------------------------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        """Send a request, retrying connection errors, timeouts, HTTP 429 and 5xx with back-off.

        Raises ``DestinationRejectedError`` for other 4xx statuses, except 404 and 409,
        which the caller interprets.
        """

        def attempt() -> httpx.Response:
            try:
                response = self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
            except httpx.TransportError as exc:
                raise TransientDestinationError(
                    f"{method} {url} failed: {type(exc).__name__}: {exc}"
                ) from exc
            if response.status_code == 429 or response.status_code >= 500:
                raise TransientDestinationError(
                    f"{method} {url} returned HTTP {response.status_code}"
                )
            if 400 <= response.status_code < 500 and response.status_code not in (404, 409):
                raise DestinationRejectedError(
                    f"{method} {url} returned HTTP {response.status_code}: {response.text[:200]}",
                    status=response.status_code,
                )
            return response

        return call_with_retries(
            attempt,
            retries=self.settings.retries,
            backoff_seconds=self.settings.retry_backoff_seconds,
            description=f"{method} {url}",
        )

    def _qido(self, path: str, params: dict[str, str | list[str]]) -> list[dict[str, object]]:
        query = qido_query_string(params)
        response = self._request(
            "GET", f"{self.base_url}{path}?{query}", headers={"Accept": DICOM_JSON}
        )
        if response.status_code in (204, 404) or not response.content:
            return []
        return list(response.json())

    # -- store ------------------------------------------------------------------------

    def store(self, paths: Sequence[Path], *, skip_present: bool = True) -> list[StoreOutcome]:
        """Send the files with STOW-RS in batches; return one outcome per path, in the same order.

        With ``skip_present``, files whose SOP Instance UID QIDO-RS finds are not sent
        again and come back as ``already_stored``. That check compares UIDs, not content.
        """
        headers, outcomes = read_headers(paths)
        self._study_of.update({h.sop_instance_uid: h.study_instance_uid for h in headers.values()})

        if skip_present and headers:
            try:
                present = self.find([h.sop_instance_uid for h in headers.values()])
            except (TransientDestinationError, DestinationRejectedError) as exc:
                logger.warning("QIDO-RS before storing failed (%s); sending every file", exc)
                present = set()
            for position, header in headers.items():
                if header.sop_instance_uid in present:
                    outcomes[position] = StoreOutcome(header.sop_instance_uid, "already_stored")

        pending = [
            (position, header) for position, header in headers.items() if outcomes[position] is None
        ]
        size = self.settings.stow_batch_size
        batches = [pending[start : start + size] for start in range(0, len(pending), size)]
        if batches:
            workers = min(self.settings.max_concurrency, len(batches))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stow-rs") as pool:
                for batch, results in zip(batches, pool.map(self._stow_batch, batches)):
                    for (position, _), outcome in zip(batch, results):
                        outcomes[position] = outcome

        final = [outcome for outcome in outcomes if outcome is not None]
        assert len(final) == len(paths), "every path gets exactly one outcome"
        counts: dict[str, int] = defaultdict(int)
        for outcome in final:
            counts[outcome.state] += 1
        logger.info("STOW-RS to %s finished: %s", self.name, dict(counts))
        return final

    def _stow_batch(self, batch: list[tuple[int, InstanceHeader]]) -> list[StoreOutcome]:
        headers = [header for _, header in batch]
        body = MultipartBody([header.path for header in headers])
        try:
            response = self._request(
                "POST",
                f"{self.base_url}/studies",
                content=body,
                headers={
                    "Content-Type": body.content_type,
                    "Content-Length": str(body.content_length),
                    "Accept": DICOM_JSON,
                },
            )
        except TransientDestinationError as exc:
            logger.error("STOW-RS of %d files to %s failed: %s", len(headers), self.name, exc)
            message = f"{exc}; gave up after {self.settings.retries} retries, store it again later"
            return [
                StoreOutcome(header.sop_instance_uid, "failed", message=message)
                for header in headers
            ]
        except OSError as exc:
            logger.error(
                "Reading a staged file for STOW-RS to %s failed: %s", self.name, exc.strerror
            )
            message = f"reading a staged file of this batch failed ({exc}); store it again"
            return [
                StoreOutcome(header.sop_instance_uid, "failed", message=message)
                for header in headers
            ]
        except DestinationRejectedError as exc:
            logger.error("STOW-RS of %d files to %s rejected: %s", len(headers), self.name, exc)
            return [
                StoreOutcome(
                    header.sop_instance_uid, "rejected", status=exc.status, message=str(exc)
                )
                for header in headers
            ]
        return self._parse_stow_response(response, headers)

    def _parse_stow_response(
        self, response: httpx.Response, headers: list[InstanceHeader]
    ) -> list[StoreOutcome]:
        """Map the STOW-RS response (PS3.18 section 10.5.3) to one outcome per file."""
        try:
            document = response.json() if response.content else {}
        except ValueError:
            document = {}
        if isinstance(document, list):
            document = document[0] if document else {}

        results: dict[str, StoreOutcome] = {}
        for item in (document.get(REFERENCED_SOP_SEQUENCE) or {}).get("Value", []):
            uid = json_value(item, REFERENCED_SOP_INSTANCE_UID)
            warning = json_value(item, WARNING_REASON)
            message = f"stored with warning 0x{int(warning):04X}" if warning else ""
            results[uid] = StoreOutcome(
                uid, "stored", status=int(warning) if warning else 0, message=message
            )
        for item in (document.get(FAILED_SOP_SEQUENCE) or {}).get("Value", []):
            uid = json_value(item, REFERENCED_SOP_INSTANCE_UID)
            reason = json_value(item, FAILURE_REASON)
            results[uid] = self._failure_outcome(uid, int(reason) if reason else None)

        outcomes = []
        for header in headers:
            uid = header.sop_instance_uid
            outcome = results.get(uid)
            if outcome is None:
                outcome = StoreOutcome(
                    uid,
                    "failed",
                    status=response.status_code,
                    message=f"HTTP {response.status_code}: the STOW-RS response does not list this instance; store it again",
                )
            outcomes.append(outcome)
        return outcomes

    @staticmethod
    def _failure_outcome(uid: str, reason: int | None) -> StoreOutcome:
        if reason is None:
            return StoreOutcome(
                uid, "rejected", message="STOW-RS FailedSOPSequence without FailureReason"
            )
        status = pydicom.Dataset()
        status.Status = reason
        verdict = classify_store_status(status)
        state = "failed" if verdict.kind is StatusKind.TRANSIENT else "rejected"
        return StoreOutcome(
            uid, state, status=reason, message=f"STOW-RS failure reason 0x{reason:04X}"
        )

    # -- queries ----------------------------------------------------------------------

    def find(self, sop_instance_uids: Sequence[str]) -> set[str]:
        """Return the UIDs the server stores: one QIDO-RS query per known study, else one per UID."""
        wanted = list(dict.fromkeys(sop_instance_uids))
        by_study: dict[str | None, list[str]] = defaultdict(list)
        for uid in wanted:
            by_study[self._study_of.get(uid)].append(uid)

        found: set[str] = set()
        for study, uids in by_study.items():
            if study is not None:
                matches = self._qido(
                    f"/studies/{study}/instances", {"includefield": SOP_INSTANCE_UID}
                )
                found.update(json_value(match, SOP_INSTANCE_UID) for match in matches)
                continue
            for uid in uids:
                matches = self._qido("/instances", {"SOPInstanceUID": uid})
                found.update(json_value(match, SOP_INSTANCE_UID) for match in matches)
        return found & set(wanted)

    def fetch(
        self, sop_instance_uid: str, *, transfer_syntax_uid: str | None = None
    ) -> pydicom.Dataset:
        """Retrieve one instance with WADO-RS, in the transfer syntax the server stores.

        ``transfer_syntax_uid`` is ignored because WADO-RS returns the stored syntax.

        Raises
        ------
        KeyError
            When QIDO-RS does not find the instance.
        """
        matches = self._qido("/instances", {"SOPInstanceUID": sop_instance_uid})
        if not matches:
            raise KeyError(f"SOP Instance UID {sop_instance_uid} not found at {self.name}")
        study = json_value(matches[0], STUDY_INSTANCE_UID)
        series = json_value(matches[0], SERIES_INSTANCE_UID)
        response = self._request(
            "GET",
            f"{self.base_url}/studies/{study}/series/{series}/instances/{sop_instance_uid}",
            headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'},
        )
        if response.status_code == 404:
            raise KeyError(f"SOP Instance UID {sop_instance_uid} not found at {self.name}")
        parts = split_parts(response.content, response.headers.get("Content-Type", ""))
        if not parts:
            raise KeyError(f"WADO-RS of {sop_instance_uid} from {self.name} returned no instance")
        return pydicom.dcmread(io.BytesIO(parts[0]))

    def patient_identity(self, patient_id: str) -> tuple[str, str] | None:
        """Return (PatientName, PatientSpeciesDescription) of the first study with this PatientID.

        NOTE: when the server stores several names for one PatientID, only the first
        study's name is returned.
        """
        studies = self._qido(
            "/studies",
            {"PatientID": patient_id, "includefield": [PATIENT_NAME, PATIENT_SPECIES_DESCRIPTION]},
        )
        exact = [study for study in studies if json_value(study, PATIENT_ID) == patient_id]
        if not exact:
            return None
        return json_value(exact[0], PATIENT_NAME), json_value(exact[0], PATIENT_SPECIES_DESCRIPTION)
