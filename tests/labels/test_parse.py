"""Field parsing of OCR lines: keyed and unkeyed layouts, dates, headers, tokens."""

from __future__ import annotations

import pytest

from filmroom.labels.parse import parse_label_text

AUTO_ACCEPT = 0.80


def parse(*lines: str, confidence: float = 0.95) -> dict:
    return parse_label_text([(line, confidence) for line in lines])


def test_parse_keyed_layout() -> None:
    fields = parse(
        "Owner: JONES, Mary",
        "Pet: Fluffy  Species: FEL  Breed: DSH",
        "Chart #: 004512",
        "Date: 03/14/09",
        "Rad # 1234 Thorax 2V",
    )
    assert fields["owner_last"].value == "JONES"
    assert fields["owner_first"].value == "Mary"
    assert fields["pet_name"].value == "Fluffy"
    assert fields["species"].value == "feline"
    assert fields["breed"].value == "Domestic Shorthair"
    assert fields["chart_number"].value == "004512"
    assert fields["study_date"].value == "2009-03-14"
    assert fields["rad_number"].value == "1234"
    assert fields["region"].value == "thorax"
    assert fields["view"].value == "2V"


def test_parse_comma_layout_without_keys() -> None:
    fields = parse("JONES, Fluffy", "Chart 12345")
    assert fields["owner_last"].value == "JONES"
    assert fields["pet_name"].value == "Fluffy"
    assert fields["chart_number"].value == "12345"


def test_parse_owner_line_then_pet_name() -> None:
    # "SURNAME, First" with the pet's name alone before the chart key: the comma line is the owner.
    fields = parse_label_text(
        [("SMITH, Robert", 0.95), ("Max  Chart # 00123", 0.95), ("Canine / Labrador", 0.95)]
    )

    assert fields["owner_last"].value == "SMITH"
    assert fields["owner_first"].value == "Robert"
    assert fields["pet_name"].value == "Max"
    assert fields["chart_number"].value == "00123"


def test_parse_surname_that_is_a_species_word() -> None:
    # A doe is a female goat, and Doe a surname: a keyed owner field contains a name.
    fields = parse_label_text([("Owner: DOE, Jane", 0.95), ("Pet: Rex", 0.95), ("Chart #: 00042", 0.95)])

    assert fields["owner_last"].value == "DOE"
    assert fields["owner_first"].value == "Jane"
    assert "species" not in fields


def test_parse_hash_marked_chart_number() -> None:
    fields = parse_label_text([("Garcia, Maria", 0.95), ("Luna   # 00789", 0.95)])

    assert fields["chart_number"].value == "00789"
    assert fields["owner_last"].value == "Garcia"
    assert fields["owner_first"].value == "Maria"
    assert fields["pet_name"].value == "Luna"


def test_parse_chart_letter_kept_when_valid() -> None:
    # "B3400" and "83400" can both be chart numbers: a valid reading is never rewritten.
    fields = parse_label_text([("ADAMS, Sharon", 0.95), ("Rex  Chart # B3400", 0.95)])

    assert fields["chart_number"].value == "B3400"


def test_parse_caps_layout_with_species() -> None:
    fields = parse("SMITH Bella K9", "ID 004512")
    assert fields["owner_last"].value == "SMITH"
    assert fields["pet_name"].value == "Bella"
    assert fields["species"].value == "canine"


def test_parse_three_line_label() -> None:
    fields = parse("BELLA", "ID 004512", "12.03.2009")
    assert fields["pet_name"].value == "BELLA"
    assert fields["chart_number"].value == "004512"
    assert fields["study_date"].value == "2009-12-03"


def test_parse_client_patient_account_keys() -> None:
    fields = parse("Client: Mary Jones", "Patient: Rex Lab", "Acct: A-10023", "X-ray #: 77")
    assert fields["owner_last"].value == "Jones"
    assert fields["pet_name"].value == "Rex"
    assert fields["breed"].value == "Labrador Retriever"
    assert fields["chart_number"].value == "A-10023"
    assert fields["rad_number"].value == "77"


def test_parse_ignores_clinic_header() -> None:
    fields = parse(
        "Maple Grove Veterinary Hospital",
        "1200 Oak Street",
        "Springfield, IL 62701",
        "(555) 123-4567",
        "Pet: Rosie",
    )
    assert set(fields) == {"pet_name"}


def test_parse_birth_date_not_study_date() -> None:
    fields = parse("DOB: 01/20/2005", "Pet: Rosie")
    assert "study_date" not in fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/14/09", "2009-03-14"),
        ("3-14-2009", "2009-03-14"),
        ("14 Mar 2009", "2009-03-14"),
        ("Mar 14, 2009", "2009-03-14"),
        ("2009.03.14", "2009-03-14"),
        ("12.03.2009", "2009-12-03"),
        ("14.03.2009", "2009-03-14"),
    ],
)
def test_parse_date_formats(text: str, expected: str) -> None:
    assert parse(f"Date: {text}")["study_date"].value == expected


def test_parse_ambiguous_date_below_auto_accept() -> None:
    assert parse("Date: 12.03.2009")["study_date"].confidence < AUTO_ACCEPT


def test_parse_unambiguous_date_keeps_confidence() -> None:
    assert parse("Date: 3-14-2009")["study_date"].confidence >= AUTO_ACCEPT


def test_parse_fixes_letter_o_in_chart() -> None:
    field = parse("ID: OO4512")["chart_number"]
    assert field.value == "004512"
    assert field.confidence < 0.95


def test_parse_owner_order_unknown_not_confident() -> None:
    fields = parse("Owner: MARY JONES")
    assert fields["owner_last"].confidence < AUTO_ACCEPT


def test_parse_confidence_follows_ocr() -> None:
    assert parse("Chart #: 004512", confidence=0.4)["chart_number"].confidence <= 0.4


def test_parse_views_and_regions() -> None:
    fields = parse("Abd VD LAT")
    assert fields["region"].value == "abdomen"
    assert fields["view"].value in {"VD", "LAT"}


def test_parse_empty_input() -> None:
    assert parse_label_text([]) == {}


def test_parse_glued_keys() -> None:
    fields = parse("Pet:Rex Chart:123456 Date:3-14-2009")
    assert fields["pet_name"].value == "Rex"
    assert fields["chart_number"].value == "123456"
    assert fields["study_date"].value == "2009-03-14"


def test_parse_number_glued_to_hash() -> None:
    fields = parse("Rad #76314 \u2018Thorax 2V")
    assert fields["rad_number"].value == "76314"
    assert fields["region"].value == "thorax"
    assert fields["view"].value == "2V"
