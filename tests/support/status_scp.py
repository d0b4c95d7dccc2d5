"""A pynetdicom Storage SCP on a loopback port that returns scripted C-STORE statuses."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Self

from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, evt
from pynetdicom.sop_class import SecondaryCaptureImageStorage, Verification

# A scripted response: a status code, or "timeout" to respond after the SCU's DIMSE timeout.
Response = int | str


class StatusScp:
    """Respond to the n-th C-STORE with ``responses[n]``, repeating the last one afterwards.

    ``transfer_syntaxes`` limits what the SCP accepts for Secondary Capture.
    """

    def __init__(
        self,
        responses: Sequence[Response],
        *,
        transfer_syntaxes: Sequence[str] = (ExplicitVRLittleEndian, ImplicitVRLittleEndian),
        delay_seconds: float = 2.0,
    ) -> None:
        self.responses = list(responses)
        self.delay_seconds = delay_seconds
        self.received: list[str] = []  # SOP Instance UIDs, in arrival order
        self.received_syntaxes: list[str] = []
        self._lock = threading.Lock()
        self._ae = AE(ae_title="STATUS_SCP")
        self._ae.add_supported_context(Verification)
        self._ae.add_supported_context(SecondaryCaptureImageStorage, list(transfer_syntaxes))
        self._server = None
        self.port = 0

    def _on_store(self, event: evt.Event) -> int:
        with self._lock:
            index = len(self.received)
            dataset = event.dataset
            self.received.append(str(dataset.SOPInstanceUID))
            self.received_syntaxes.append(str(event.context.transfer_syntax))
        response = self.responses[min(index, len(self.responses) - 1)]
        if response == "timeout":
            time.sleep(self.delay_seconds)
            return 0x0000
        return int(response)

    def __enter__(self) -> Self:
        self._server = self._ae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, self._on_store)]
        )
        self.port = int(self._server.server_address[1])
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.shutdown()
