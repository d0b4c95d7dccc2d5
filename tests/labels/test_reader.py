"""Label reading end to end with the real Tesseract binary."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytesseract
import pytest
from PIL import Image

from filmroom.errors import BadInputError, ConfigurationError
from filmroom.labels.images import EXIF_ORIENTATION_TAG
from filmroom.labels.ocr import _check, detect_orientation
from filmroom.labels.reader import check_ocr_available, read_label
from filmroom.settings import LabelSettings

THREE_LINES = ["BELLA", "ID 004512", "12.03.2009"]
SCRIPT = "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf"
BREIP = "/usr/share/fonts/truetype/breip/Breip.ttf"


def test_read_keyed_label(write_label: Callable[..., Path], label_settings: LabelSettings) -> None:
    path = write_label(
        ["Owner: JONES, Mary", "Pet: Fluffy FEL", "Chart #: 004512", "Date: 3-14-2009"]
    )
    reading = read_label(path, settings=label_settings)
    assert reading.value("owner_last") == "JONES"
    assert reading.value("pet_name") == "Fluffy"
    assert reading.value("chart_number") == "004512"
    assert reading.value("study_date") == "2009-03-14"
    assert reading.fields["chart_number"].confidence >= label_settings.auto_accept_confidence
    assert reading.orientation == 0


@pytest.mark.parametrize(
    ("font", "lines"),
    [
        (
            "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
            ["HOLLOWAY, Duke", "ID 504730", "2/28/2011"],
        ),
        (
            "/usr/share/fonts/opentype/courier-prime/Courier Prime.otf",
            ["HOLLOWAY Duke K9", "Chart # 504730", "28 Feb 2011"],
        ),
    ],
)
def test_read_unkeyed_typed_layouts(
    write_label: Callable[..., Path], label_settings: LabelSettings, font: str, lines: list[str]
) -> None:
    reading = read_label(write_label(lines, font_path=font), settings=label_settings)
    assert reading.value("owner_last") == "HOLLOWAY"
    assert reading.value("pet_name") == "Duke"
    assert reading.value("chart_number") == "504730"
    assert reading.value("study_date") == "2011-02-28"


@pytest.mark.parametrize("turned", [90, 180])
def test_read_three_lines_rotated(
    write_label: Callable[..., Path], label_settings: LabelSettings, turned: int
) -> None:
    path = write_label(THREE_LINES, rotate=turned)
    reading = read_label(path, settings=label_settings)
    assert reading.value("pet_name") == "BELLA"
    assert reading.value("chart_number") == "004512"
    # PIL turns counter-clockwise, so reading needs the same angle clockwise.
    assert reading.orientation == turned


@pytest.mark.parametrize("turned", [90, 180])
def test_osd_fails_on_three_lines(write_label: Callable[..., Path], turned: int) -> None:
    image = np.asarray(Image.open(write_label(THREE_LINES, rotate=turned)))
    with pytest.raises(pytesseract.TesseractError, match="(?i)too few characters"):
        pytesseract.image_to_osd(image)


def test_read_phone_photo_exif_6(
    render: Callable[..., Image.Image], tmp_path: Path, label_settings: LabelSettings
) -> None:
    label = np.asarray(render(["Owner: GARROW, Paul", "Pet: Daisy", "Chart #: 55120"]))
    height, width = label.shape[:2]
    # The label on a darker desk, photographed at a slant.
    desk = np.full((height + 400, width + 400, 3), (90, 80, 70), np.uint8)
    source = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    target = np.float32(
        [[230, 180], [width + 170, 210], [width + 190, height + 230], [200, height + 200]]
    )
    matrix = cv2.getPerspectiveTransform(source, target)
    photo = cv2.warpPerspective(
        label, matrix, (desk.shape[1], desk.shape[0]), dst=desk, borderMode=cv2.BORDER_TRANSPARENT
    )
    # Stored sideways: Orientation 6 means viewers turn it 90 degrees clockwise.
    stored = np.ascontiguousarray(np.rot90(photo, k=1))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION_TAG] = 6
    path = tmp_path / "phone.jpg"
    Image.fromarray(stored).save(path, exif=exif.tobytes(), quality=90)

    reading = read_label(path, settings=label_settings)
    assert reading.value("owner_last") == "GARROW"
    assert reading.value("chart_number") == "55120"
    assert reading.evidence["exif_rotation"] == 90
    assert "label_quad" in reading.evidence["preprocessing"]


@pytest.mark.parametrize("font", [SCRIPT, BREIP])
def test_read_hand_lettering_not_confident(
    render: Callable[..., Image.Image], tmp_path: Path, label_settings: LabelSettings, font: str
) -> None:
    truth = {"owner_last": "PEMBROOK", "chart_number": "418827"}
    image = render(
        ["Owner: PEMBROOK, Ellen", "Pet: Biscuit", "Chart #: 418827"],
        font_path=font,
        jitter=random.Random(4),
    )
    path = tmp_path / "hand.png"
    image.save(path)
    reading = read_label(path, settings=label_settings)
    for name, expected in truth.items():
        field = reading.fields.get(name)
        confident = field is not None and field.confidence >= label_settings.auto_accept_confidence
        assert not confident or field.value.upper() == expected, (
            f"{name} read as {field} with high confidence"
        )


def test_read_qr_code_beats_ocr(
    render: Callable[..., Image.Image], tmp_path: Path, label_settings: LabelSettings
) -> None:
    label = np.asarray(render(["Owner: QUIMBY, Tom", "Pet: Max", "Chart #: 111111"]).convert("L"))
    code = cv2.QRCodeEncoder.create().encode("CHART:004512")
    code = cv2.resize(code, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
    page = np.full(
        (label.shape[0] + code.shape[0] + 60, max(label.shape[1], code.shape[1] + 60)),
        250,
        np.uint8,
    )
    page[: label.shape[0], : label.shape[1]] = label
    page[label.shape[0] + 30 : label.shape[0] + 30 + code.shape[0], 30 : 30 + code.shape[1]] = code
    path = tmp_path / "qr.png"
    Image.fromarray(page).save(path)

    reading = read_label(path, settings=label_settings)
    assert reading.fields["chart_number"].value == "004512"
    assert reading.fields["chart_number"].source == "barcode"
    assert reading.fields["barcode"].value == "CHART:004512"
    assert reading.evidence["ocr_chart_number"] == "111111"


def test_read_blank_page_gives_no_fields(tmp_path: Path, label_settings: LabelSettings) -> None:
    path = tmp_path / "blank.png"
    Image.fromarray(np.full((400, 600), 245, np.uint8)).save(path)
    reading = read_label(path, settings=label_settings)
    assert reading.fields == {}


def test_read_writes_crop_named_by_hash(
    write_label: Callable[..., Path], tmp_path: Path, label_settings: LabelSettings
) -> None:
    path = write_label(["Pet: Rosie", "Chart #: 7781"])
    reading = read_label(path, settings=label_settings, crop_dir=tmp_path / "crops")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert reading.crop_path == tmp_path / "crops" / f"{digest}.png"
    assert cv2.imread(str(reading.crop_path)) is not None


def test_read_rejects_non_image(tmp_path: Path, label_settings: LabelSettings) -> None:
    path = tmp_path / "label.jpg"
    path.write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(BadInputError):
        read_label(path, settings=label_settings)


def test_check_ocr_missing_binary(tmp_path: Path) -> None:
    _check.cache_clear()
    settings = LabelSettings(tesseract_cmd=str(tmp_path / "no-such-tesseract"))
    try:
        with pytest.raises(
            ConfigurationError, match="apt-get install tesseract-ocr tesseract-ocr-eng"
        ):
            check_ocr_available(settings)
    finally:
        check_ocr_available(LabelSettings())


def test_check_ocr_missing_language() -> None:
    with pytest.raises(ConfigurationError, match="tesseract-ocr-xyz"):
        check_ocr_available(LabelSettings(language="xyz"))


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("phototest.tif", 0),
        ("phototest-rotated-L.png", 90),
        ("phototest-rotated-R.png", 270),
        ("phototest-rotated-180.png", 180),
    ],
)
def test_read_tesseract_page_orientation(
    shared_data: Path, label_settings: LabelSettings, name: str, expected: int
) -> None:
    reading = read_label(shared_data / "documents" / "tesseract" / name, settings=label_settings)
    assert reading.orientation == expected
    assert "quick brown dog" in reading.text


@pytest.mark.shared_data
def test_osd_on_tesseract_page(shared_data: Path, label_settings: LabelSettings) -> None:
    image = cv2.imread(
        str(shared_data / "documents" / "tesseract" / "phototest-rotated-L.png"),
        cv2.IMREAD_GRAYSCALE,
    )
    assert detect_orientation(image, label_settings) is not None


def test_read_tesseract_failure_gives_no_fields(
    write_label: Callable[..., Path], label_settings: LabelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise pytesseract.TesseractError(1, "Image too small to scale")

    monkeypatch.setattr(pytesseract, "image_to_data", fail)
    reading = read_label(write_label(["Pet: Rosie"]), settings=label_settings)
    assert reading.fields == {}
    assert reading.mean_confidence == 0.0
