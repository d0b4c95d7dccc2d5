"""Deterministic DICOM UIDs, so a re-run of a migration writes the same UIDs again."""

from __future__ import annotations

import hashlib
import re
import uuid

# DICOM PS3.5 section 9: a UID is at most 64 characters of digits and dots, and no
# component other than "0" starts with a zero.
MAX_UID_LENGTH = 64
_ROOT_PATTERN = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
# Namespace of the UUIDv5 values behind "2.25" UIDs (a fixed, random UUID).
_NAMESPACE = uuid.UUID("6f3c8a52-1d1e-4f0e-9a0b-2f6a1e5c7d41")


def derive_uid(root: str, *parts: str) -> str:
    """Derive a UID from ``root`` and the strings ``parts``. Equal inputs give equal UIDs.

    With root ``2.25`` the result is ``2.25.<decimal of a UUIDv5>`` as DICOM PS3.5
    annex B.2 describes. With another root it is ``root`` + ``.`` + decimal digits of
    a SHA-256 over ``parts``, cut to fit 64 characters.

    Raises
    ------
    ValueError
        If ``root`` is not a valid UID prefix or leaves fewer than 10 digits of room.
    """
    if not _ROOT_PATTERN.match(root):
        raise ValueError(f"invalid UID root {root!r}: use digits separated by dots, such as 2.25")

    # The unit separator keeps ("a", "bc") and ("ab", "c") apart.
    joined = "\x1f".join(parts)
    if root == "2.25":
        return f"2.25.{uuid.uuid5(_NAMESPACE, joined).int}"

    room = MAX_UID_LENGTH - len(root) - 1
    if room < 10:
        raise ValueError(
            f"UID root {root!r} is {len(root)} characters long; use a root of at most "
            f"{MAX_UID_LENGTH - 11} characters so derived UIDs stay unique"
        )
    digest = hashlib.sha256(f"{root}\x1f{joined}".encode("utf-8")).digest()
    digits = str(int.from_bytes(digest, "big"))[:room].lstrip("0") or "0"
    return f"{root}.{digits}"
