"""Start, stop and inspect a throwaway Orthanc on loopback ports for tests and benchmarks.

Orthanc 1.10 cannot choose its bind address, so the server runs with the LD_PRELOAD
shim in ``loopback_bind.c`` (compiled on first use with ``cc``), which rewrites every
bind() to 127.0.0.1 or ::1. ``orthanc_available`` is False without Orthanc or ``cc``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

ORTHANC_BINARY = Path("/usr/sbin/Orthanc")
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
SHIM_SOURCE = Path(__file__).with_name("loopback_bind.c")


def orthanc_available() -> bool:
    """Return True when Orthanc, its DICOMweb plugin and a C compiler are installed."""
    return ORTHANC_BINARY.is_file() and DICOMWEB_PLUGIN.is_file() and shutil.which("cc") is not None


def loopback_shim() -> Path:
    """Compile the bind() shim once per source version and return the shared library path."""
    source = SHIM_SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    library = Path(tempfile.gettempdir()) / f"filmroom-loopback-bind-{digest}.so"
    if not library.is_file():
        partial = library.with_suffix(f".{os.getpid()}.partial")
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-O2", "-o", str(partial), str(SHIM_SOURCE), "-ldl"],
            check=True,
            capture_output=True,
        )
        os.replace(partial, library)
    return library


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OrthancServer:
    """One Orthanc process with its own storage folder, DICOM port and HTTP port.

    ``stop`` and ``start`` again reuse the storage and ports, which simulates an outage.
    ``users`` turns on HTTP basic authentication for the REST API and DICOMweb.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        aet: str = "ORTHANC",
        calling_aets: Sequence[str] = ("FILMROOM",),
        users: Mapping[str, str] | None = None,
        accepted_transfer_syntaxes: Sequence[str] | None = None,
        extra_config: Mapping[str, object] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.aet = aet
        self.calling_aets = tuple(calling_aets)
        self.users = dict(users or {})
        self.accepted_transfer_syntaxes = list(accepted_transfer_syntaxes or [])
        self.extra_config = dict(extra_config or {})
        self.environment = dict(environment or {})
        self.dicom_port = 0
        self.http_port = 0
        # Port on 127.0.0.1 where Orthanc reaches each calling AE, for example for a
        # storage commitment report.
        self.modality_ports = {aet: free_port() for aet in self.calling_aets}
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: object | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.http_url}/dicom-web"

    @property
    def dicom_spec(self) -> str:
        return f"dicom://{self.aet}@127.0.0.1:{self.dicom_port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "orthanc.log"

    def config(self) -> dict[str, object]:
        """Return the Orthanc configuration written to ``config.json``."""
        config: dict[str, object] = {
            "Name": "filmroom-test",
            "StorageDirectory": str(self.workdir / "storage"),
            "IndexDirectory": str(self.workdir / "storage"),
            "StorageCompression": False,
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": self.aet,
            "DicomCheckCalledAet": True,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": bool(self.users),
            "RegisteredUsers": self.users,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomCheckModalityHost": True,
            "DicomModalities": {
                aet.lower(): {
                    "AET": aet,
                    "Host": "127.0.0.1",
                    "Port": self.modality_ports[aet],
                    "AllowStorageCommitment": True,
                }
                for aet in self.calling_aets
            },
            "SaveJobs": False,
            "HttpCompressionEnabled": False,
            "DicomAssociationCloseDelay": 0,
            "Plugins": [str(DICOMWEB_PLUGIN)],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
        }
        if self.accepted_transfer_syntaxes:
            config["AcceptedTransferSyntaxes"] = self.accepted_transfer_syntaxes
        config.update(self.extra_config)
        return config

    def start(self, timeout: float = 30.0) -> None:
        """Start Orthanc and wait until ``/system`` returns 200."""
        if self._process is not None:
            raise RuntimeError("Orthanc is already running")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.dicom_port:
            self.dicom_port = free_port()
            self.http_port = free_port()
        config_path = self.workdir / "config.json"
        config_path.write_text(json.dumps(self.config(), indent=2), encoding="utf-8")

        environment = dict(os.environ, LD_PRELOAD=str(loopback_shim()), **self.environment)
        log = open(self.log_path, "ab")  # noqa: SIM115 - open until stop() closes it
        self._log_handle = log
        self._process = subprocess.Popen(
            [str(ORTHANC_BINARY), str(config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        self._wait_until_ready(timeout)

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"Orthanc exited with {self._process.returncode}; see {self.log_path}"
                )
            try:
                if self.rest("GET", "/system").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"Orthanc did not answer /system within {timeout} s; see {self.log_path}"
        )

    def stop(self, timeout: float = 30.0, *, kill: bool = False) -> None:
        """Stop Orthanc with SIGTERM, or SIGKILL after ``timeout`` seconds or when ``kill`` is set.

        Orthanc 1.10 takes about 3.5 s to exit after SIGTERM; ``kill`` suits teardown,
        where the storage is thrown away.
        """
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_handle is not None:
            self._log_handle.close()  # type: ignore[attr-defined]
            self._log_handle = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def rest(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        """Send one request to the REST API with the first registered user, if any."""
        auth = next(iter(self.users.items())) if self.users else None
        with httpx.Client(auth=auth, timeout=10.0, trust_env=False) as client:
            return client.request(method, self.http_url + path, **kwargs)  # type: ignore[arg-type]

    def instance_count(self) -> int:
        """Return the number of instances Orthanc stores (``/statistics``)."""
        response = self.rest("GET", "/statistics")
        response.raise_for_status()
        return int(response.json()["CountInstances"])

    def delete_all(self) -> None:
        """Delete every patient, and with them every study, series and instance."""
        response = self.rest("GET", "/patients")
        response.raise_for_status()
        for patient in response.json():
            self.rest("DELETE", f"/patients/{patient}").raise_for_status()

    def delete_instance(self, sop_instance_uid: str) -> None:
        """Delete one instance by its SOP Instance UID."""
        response = self.rest("POST", "/tools/lookup", content=sop_instance_uid)
        response.raise_for_status()
        for match in response.json():
            if match["Type"] == "Instance":
                self.rest("DELETE", f"/instances/{match['ID']}").raise_for_status()

    def sop_instance_uids(self) -> list[str]:
        """Return the SOP Instance UIDs of every stored instance."""
        response = self.rest(
            "POST", "/tools/find", json={"Level": "Instance", "Query": {}, "Expand": True}
        )
        response.raise_for_status()
        return sorted(item["MainDicomTags"]["SOPInstanceUID"] for item in response.json())
