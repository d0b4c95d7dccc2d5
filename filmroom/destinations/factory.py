"""Open a destination from the text form used in settings and on the command line."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from filmroom.destinations.base import Destination
from filmroom.destinations.dicomweb import DicomWebDestination
from filmroom.destinations.dimse import DimseDestination
from filmroom.destinations.local import LocalArchive
from filmroom.errors import ConfigurationError
from filmroom.settings import ArchiveSettings

ACCEPTED_FORMS = (
    "a folder path or file:///absolute/path (local archive), "
    "dicom://CALLED_AET@host:port (DICOM C-STORE), "
    "or http(s)://host:port/path/to/dicom-web[?secret=prefect-block] (DICOMweb)"
)
# PS3.5 Table 6.2-1: an AE title is 1 to 16 characters, no backslash or control characters.
AE_TITLE_PATTERN = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")


def _invalid(spec: str, reason: str) -> ConfigurationError:
    return ConfigurationError(
        f"Invalid destination {spec!r}: {reason}. Accepted forms: {ACCEPTED_FORMS}"
    )


def parse_dicom_spec(spec: str) -> tuple[str, str, int]:
    """Split ``dicom://CALLED_AET@host:port`` into (AE title, host, port).

    Raises
    ------
    ConfigurationError
        When a part is missing or invalid.
    """
    parts = urlsplit(spec)
    called = unquote(parts.username or "")
    if not called or not AE_TITLE_PATTERN.match(called) or not called.strip():
        raise _invalid(spec, "the called AE title before '@' must be 1 to 16 characters")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or not 0 < port < 65536:
        raise _invalid(spec, "give the host and a port from 1 to 65535 after '@'")
    if parts.path not in ("", "/") or parts.query:
        raise _invalid(spec, "a dicom:// destination has no path or query")
    return called.strip(), parts.hostname, port


def open_destination(spec: str, settings: ArchiveSettings) -> Destination:
    """Open the destination that ``spec`` names.

    Network destinations are probed (C-ECHO or a QIDO-RS query) before this returns.

    Raises
    ------
    ConfigurationError
        When ``spec`` has none of the accepted forms, or the destination is unreachable.
    """
    text = spec.strip()
    if not text:
        raise _invalid(spec, "it is empty")
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""

    if scheme == "dicom":
        called, host, port = parse_dicom_spec(text)
        return DimseDestination(host, port, called, settings)
    if scheme in ("http", "https"):
        return DicomWebDestination(text, settings)
    if scheme == "file":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise _invalid(spec, "a file:// URL must name a local path (file:///path)")
        return LocalArchive(Path(unquote(parts.path)))
    if scheme:
        raise _invalid(spec, f"unknown scheme {scheme!r}")
    return LocalArchive(Path(text))
