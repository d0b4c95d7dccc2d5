"""Test the path the flow takes: load a list, match readings, review, read decisions back."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from filmroom.mapping.folder_names import reading_from_folder_name
from filmroom.matching.matcher import Matcher
from filmroom.matching.patient_list import load_patient_list
from filmroom.matching.review_workbook import (
    ReviewItem,
    read_review_workbook,
    write_review_workbook,
)
from filmroom.models import Decision, FieldValue, Reading
from filmroom.settings import MatchSettings


def test_list_match_review_round_trip(tmp_path: Path) -> None:
    export = tmp_path / "patients.csv"
    export.write_bytes(
        (
            "Chart #;Owner;Pet Name;Species;DOB\r\n"
            "00123;Müller, Anna;Bella;Dog;2014-02-03\r\n"
            "123;Mueller, Ben;Bella;Dog;2015-06-07\r\n"
            "4410;Okafor, Ivy;Nimbus;Cat;2012-01-01\r\n"
        ).encode("cp1252")
    )
    patient_list = load_patient_list(export)
    matcher = Matcher(patient_list.patients, MatchSettings())

    label = Reading(
        fields={
            "chart_number": FieldValue("4410", 0.97, "ocr"),
            "owner_last": FieldValue("OKAFOR", 0.93, "ocr"),
            "pet_name": FieldValue("Nimbus", 0.91, "ocr"),
        }
    )
    folder = reading_from_folder_name("Muller, Bella 2016-01-02")
    assert folder is not None
    label_result = matcher.match(label)
    folder_result = matcher.match(folder)
    assert label_result.patient_id == "4410"
    assert folder_result.decision is not Decision.AUTO

    item = ReviewItem(
        "share-1",
        "share_folder",
        ["share/Muller, Bella 2016-01-02"],
        None,
        folder.text,
        folder,
        folder_result.candidates,
        folder_result.decision.value,
    )
    workbook_path = tmp_path / "review.xlsx"
    write_review_workbook(workbook_path, [item], patient_list.by_id)
    workbook = openpyxl.load_workbook(workbook_path)
    sheet = workbook["Review"]
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=headers.index("Other patient ID") + 1, value="123")
    workbook.save(workbook_path)

    decisions, errors = read_review_workbook(
        workbook_path, known_patient_ids=set(patient_list.by_id)
    )
    assert errors == []
    assert decisions["share-1"].patient_id == "123"
