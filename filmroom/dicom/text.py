"""Fit free text into DICOM value representations (PS3.5 section 6.2), reporting each cut."""

from __future__ import annotations

import re

# Maximum value length in characters per VR (DICOM PS3.5 table 6.2-1). For PN the
# limit applies to each component group.
MAX_LENGTH = {"AE": 16, "CS": 16, "DS": 16, "IS": 12, "LO": 64, "LT": 10240, "PN": 64, "SH": 16, "ST": 1024}

# Backslash separates values in every string VR except LT, ST and UT.
_MULTI_VALUE_VRS = {"AE", "CS", "DS", "IS", "LO", "PN", "SH"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def fit_text(value: str, vr: str, field_name: str, warnings: list[str]) -> str:
    """Return ``value`` cleaned for ``vr`` and cut to its maximum length.

    Control characters become spaces and, in VRs that allow several values, a
    backslash becomes "/". Every change is appended to ``warnings`` as a sentence
    that names ``field_name`` (e.g. "owner name") but not the value, which may be a name.
    """
    cleaned = _CONTROL.sub(" ", value).strip()
    if vr in _MULTI_VALUE_VRS and "\\" in cleaned:
        cleaned = cleaned.replace("\\", "/")
        warnings.append(f"{field_name}: backslash replaced by '/' ({vr} uses it to separate values)")
    limit = MAX_LENGTH[vr]
    if len(cleaned) > limit:
        warnings.append(f"{field_name} truncated from {len(cleaned)} to {limit} characters ({vr})")
        cleaned = cleaned[:limit].rstrip()
    return cleaned


def person_name(components: list[str], field_name: str, warnings: list[str]) -> str:
    """Join name components with "^" into a PN value of at most 64 characters.

    64 characters is the PN limit per component group, and the value is one group.

    "^" and "=" inside a component would start a new component or group, so they
    become spaces. Trailing empty components are dropped (PS3.5 section 6.2.1).
    """
    cleaned = []
    for component in components:
        text = component.replace("^", " ").replace("=", " ").strip()
        cleaned.append(text)
    joined = "^".join(cleaned).rstrip("^")
    joined = fit_text(joined, "PN", field_name, warnings)
    return joined


def is_ascii(*values: str) -> bool:
    """Return True when every value is plain ASCII (the default DICOM character repertoire)."""
    return all(value.isascii() for value in values)
