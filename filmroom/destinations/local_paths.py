"""File-name-safe folder names for PatientIDs in the local archive.

A PatientID (LO, up to 64 characters) may contain ``/``, ``\\``, spaces, ``..`` or
characters that Windows forbids. ``encode_component`` percent-encodes every byte
of the UTF-8 value outside ``[A-Za-z0-9_-]`` (so also ``.``, ``%`` and spaces),
which keeps the mapping reversible with ``urllib.parse.unquote``. An encoded name
longer than 120 characters becomes ``#`` plus the first 32 hex digits of the
value's SHA-256 instead. That form is not reversible, but every file still contains
its PatientID, and the index stores it.
"""

from __future__ import annotations

import hashlib
import string
from urllib.parse import unquote

_SAFE = frozenset(string.ascii_letters + string.digits + "_-")
MAX_COMPONENT_LENGTH = 120


def encode_component(value: str) -> str:
    """Return a folder name for ``value`` that is safe on POSIX and Windows file systems.

    NOTE: IDs that differ only in letter case map to different names, which collide on
    case-insensitive file systems (default macOS and Windows volumes).
    """
    if not value:
        raise ValueError("an empty value has no folder name")

    encoded = "".join(
        chr(byte) if chr(byte) in _SAFE else f"%{byte:02X}" for byte in value.encode("utf-8")
    )
    if len(encoded) <= MAX_COMPONENT_LENGTH:
        return encoded
    return "#" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def decode_component(name: str) -> str | None:
    """Return the value that ``encode_component`` mapped to ``name``, or None for a hashed name."""
    if name.startswith("#"):
        return None
    return unquote(name, encoding="utf-8", errors="strict")
