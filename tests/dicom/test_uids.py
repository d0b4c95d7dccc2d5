from __future__ import annotations

import re

import pytest

from filmroom.dicom.uids import derive_uid

UID_PATTERN = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")


def test_derive_uid_deterministic() -> None:
    assert derive_uid("2.25", "jacket", "7") == derive_uid("2.25", "jacket", "7")


def test_derive_uid_parts_distinct() -> None:
    assert derive_uid("2.25", "a", "bc") != derive_uid("2.25", "ab", "c")


def test_derive_uid_uuid_form() -> None:
    uid = derive_uid("2.25", "x")
    assert uid.startswith("2.25.")
    assert int(uid[5:]) < 2**128
    assert UID_PATTERN.match(uid)


@pytest.mark.parametrize("root", ["1.2.826.0.1.3680043.10.999", "1.2.3", "1.2.840.113619.2.55.3.604688119.969"])
def test_derive_uid_other_root(root: str) -> None:
    uid = derive_uid(root, "jacket", "12")
    assert uid.startswith(root + ".")
    assert len(uid) <= 64
    assert UID_PATTERN.match(uid)


def test_derive_uid_invalid_root() -> None:
    with pytest.raises(ValueError, match="invalid UID root"):
        derive_uid("1.02.3", "x")


def test_derive_uid_root_too_long() -> None:
    with pytest.raises(ValueError, match="characters long"):
        derive_uid("1." + "2" * 55, "x")
