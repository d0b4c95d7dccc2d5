"""The committed sample practice has the files, encodings and ground truth that its README lists."""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

import imagehash
import numpy as np
import pydicom
import pytest
import tifffile
from PIL import Image, ImageOps
from pydicom.uid import ImplicitVRLittleEndian

KINDS = {"film_scan", "jacket_label", "share_image", "share_dicom", "other"}
STATUSES = {"archived", "duplicate", "needs_review", "unmatched", "skipped", "rejected"}
MAX_SAMPLE_BYTES = 8_000_000
# pHash distances measured on this sample: distinct images 16 or more, duplicates 0.
DISTINCT_MIN_DISTANCE = 12
DUPLICATE_MAX_DISTANCE = 6


def read_patients(sample_root: Path) -> list[dict[str, str]]:
    text = (sample_root / "patients.csv").read_bytes().decode("cp1252")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def load_gray(path: Path) -> np.ndarray:
    """Read any sample image as a float array, whatever its format."""
    if path.suffix.lower() in (".tif", ".tiff"):
        return tifffile.imread(path).astype(np.float64)
    if path.suffix.lower() in (".dcm", ""):
        dataset = pydicom.dcmread(path, force=True)
        if "TransferSyntaxUID" not in dataset.file_meta:
            dataset.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        return dataset.pixel_array.astype(np.float64)
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("L"), dtype=np.float64)


def perceptual_hash(path: Path) -> imagehash.ImageHash:
    """Return the pHash of an image after windowing it to 8 bits (imagehash clips 16-bit input)."""
    pixels = load_gray(path)
    low, high = np.percentile(pixels, (1, 99))
    scaled = np.clip((pixels - low) / (high - low), 0.0, 1.0)
    return imagehash.phash(Image.fromarray((scaled * 255).astype(np.uint8)))


def test_expected_lists_every_file(sample_root: Path, expected_rows: list[dict[str, str]]) -> None:
    on_disk = {
        path.relative_to(sample_root).as_posix()
        for folder in ("films", "share")
        for path in (sample_root / folder).rglob("*")
        if path.is_file()
    }
    listed = [row["source_path"] for row in expected_rows]
    assert len(listed) == len(set(listed))
    assert set(listed) - on_disk == set()
    assert on_disk - set(listed) == set()


def test_expected_values_valid(sample_root: Path, expected_rows: list[dict[str, str]]) -> None:
    patient_ids = {row["Patient ID"] for row in read_patients(sample_root)}
    for row in expected_rows:
        assert row["source_kind"] in KINDS, row
        assert row["expected_status"] in STATUSES, row
        assert row["note"], row
        if row["expected_status"] == "archived":
            assert row["expected_patient_id"] in patient_ids, row
        else:
            assert row["expected_patient_id"] == "", row


def test_expected_covers_every_status(expected_rows: list[dict[str, str]]) -> None:
    assert {row["expected_status"] for row in expected_rows} == STATUSES


def test_patient_list_is_cp1252(sample_root: Path) -> None:
    raw = (sample_root / "patients.csv").read_bytes()
    text = raw.decode("cp1252")
    assert "Müller" in text
    assert "Peña" in text
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_patient_list_shape(sample_root: Path) -> None:
    raw = (sample_root / "patients.csv").read_bytes()
    patients = read_patients(sample_root)
    ids = [row["Patient ID"] for row in patients]
    assert raw.count(b"\r\n") == len(patients) + 1
    assert 40 <= len(patients) <= 60
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"\d{5}", patient_id) for patient_id in ids)
    assert any(patient_id.startswith("00") for patient_id in ids)
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", row["Birth Date"]) for row in patients)


def test_patient_list_collisions(sample_root: Path) -> None:
    patients = read_patients(sample_root)
    pets_per_client: dict[str, int] = {}
    owners_per_pet_name: dict[str, set[str]] = {}
    for row in patients:
        pets_per_client[row["Client ID"]] = pets_per_client.get(row["Client ID"], 0) + 1
        owners_per_pet_name.setdefault(row["Patient Name"], set()).add(row["Client ID"])
    assert max(pets_per_client.values()) >= 3
    assert len(owners_per_pet_name["Max"]) >= 3


def test_jacket_count_and_films(expected_rows: list[dict[str, str]]) -> None:
    films: dict[str, int] = {}
    labels: dict[str, int] = {}
    for row in expected_rows:
        if row["source_kind"] == "film_scan":
            films[row["jacket"]] = films.get(row["jacket"], 0) + 1
        if row["source_kind"] == "jacket_label":
            labels[row["jacket"]] = labels.get(row["jacket"], 0) + 1
    assert len(labels) >= 10
    assert set(films) == set(labels)
    assert all(count == 1 for count in labels.values())
    assert all(1 <= count <= 4 for count in films.values())


def test_batch_names_hide_labels(sample_root: Path) -> None:
    names = sorted(path.name for path in (sample_root / "films" / "batch-2024-05-14").iterdir())
    assert all(re.fullmatch(r"scan\d{4}\.tif", name) for name in names)


def test_batch_labels_precede_films(expected_rows: list[dict[str, str]]) -> None:
    batch = sorted(
        (row for row in expected_rows if row["source_path"].startswith("films/batch-")),
        key=lambda row: row["source_path"],
    )
    seen_jackets: list[str] = []
    for row in batch:
        if row["jacket"] not in seen_jackets:
            seen_jackets.append(row["jacket"])
            assert row["source_kind"] == "jacket_label", row
    assert len(seen_jackets) == len(set(seen_jackets))


def test_film_tiffs_are_scanner_range(sample_root: Path, expected_rows: list[dict[str, str]]) -> None:
    sixteen_bit = 0
    for row in expected_rows:
        path = sample_root / row["source_path"]
        if row["source_kind"] != "film_scan" or path.suffix != ".tif":
            continue
        pixels = tifffile.imread(path)
        if pixels.dtype == np.uint16:
            sixteen_bit += 1
            assert int(pixels.max()) > 255, path
            assert int(pixels.max()) < 1 << 14, path
    assert sixteen_bit >= 10


def test_phone_photo_stored_sideways(sample_root: Path) -> None:
    path = sample_root / "films" / "jackets" / "box2-jacket-001" / "IMG_4821.jpg"
    with Image.open(path) as image:
        orientation = image.getexif().get(0x0112)
        stored_width, stored_height = image.size
        upright_width, upright_height = ImageOps.exif_transpose(image).size
    assert orientation == 6
    assert stored_height > stored_width
    assert upright_width > upright_height


def test_share_dicom_identities(sample_root: Path) -> None:
    share = sample_root / "share" / "DICOM"
    with_meta = pydicom.dcmread(share / "A-1023" / "IM000001.dcm")
    no_extension = pydicom.dcmread(share / "A-1023" / "IM000002")
    no_meta = pydicom.dcmread(share / "A-1190" / "IM000001.dcm", force=True)
    assert str(with_meta.PatientName) == "JONES^FLUFFY"
    assert with_meta.PatientID == "A-1023"
    assert str(no_extension.PatientName) == "JONES^FLUFFY"
    assert str(no_meta.PatientName) == "WILLIAMS^DAISY"
    assert "TransferSyntaxUID" not in no_meta.file_meta
    assert (share / "A-1190" / "IM000001.dcm").read_bytes()[128:132] != b"DICM"


def test_broken_files_fail_to_decode(sample_root: Path) -> None:
    truncated_dicom = sample_root / "share" / "DICOM" / "A-2003" / "IM000001.dcm"
    truncated_jpeg = sample_root / "share" / "Exports 2013" / "broken_export.jpg"
    assert (sample_root / "share" / "DICOM" / "A-2004" / "IM000001.dcm").stat().st_size == 0
    with pytest.raises(ValueError, match="less than expected"):
        pydicom.dcmread(truncated_dicom).pixel_array
    with pytest.raises(OSError):
        with Image.open(truncated_jpeg) as image:
            image.load()


def test_report_has_no_pixels(sample_root: Path) -> None:
    report = pydicom.dcmread(sample_root / "share" / "Referrals" / "reportsi.dcm")
    assert "PixelData" not in report


def test_distinct_images_differ(sample_root: Path, expected_rows: list[dict[str, str]]) -> None:
    readable = [
        row["source_path"]
        for row in expected_rows
        if row["source_kind"] in ("film_scan", "share_image", "share_dicom")
        and row["expected_status"] not in ("rejected", "skipped", "duplicate")
        and "/Referrals/" not in row["source_path"]
        and not row["source_path"].endswith("MR_small.dcm")
    ]
    hashes = {path: perceptual_hash(sample_root / path) for path in readable}
    too_close = [
        (first, second, hashes[first] - hashes[second])
        for first, second in itertools.combinations(readable, 2)
        if hashes[first] - hashes[second] < DISTINCT_MIN_DISTANCE
    ]
    assert too_close == []


@pytest.mark.parametrize(
    ("original", "duplicate"),
    [
        ("films/batch-2024-05-14/scan0002.tif", "films/batch-2024-05-14/scan0003.tif"),
        ("share/DICOM/A-1023/IM000001.dcm", "share/Exports 2013/xray 0415.jpg"),
    ],
)
def test_duplicates_look_alike(sample_root: Path, original: str, duplicate: str) -> None:
    distance = perceptual_hash(sample_root / original) - perceptual_hash(sample_root / duplicate)
    assert distance <= DUPLICATE_MAX_DISTANCE


def test_sample_size_limit(sample_root: Path) -> None:
    total = sum(path.stat().st_size for path in sample_root.rglob("*") if path.is_file())
    assert total < MAX_SAMPLE_BYTES
