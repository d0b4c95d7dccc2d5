from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest
import tifffile
from PIL import Image
from pydicom.encaps import generate_frames
from pydicom.uid import JPEGBaseline8Bit, JPEGExtended12Bit, SecondaryCaptureImageStorage

from filmroom.dicom.pixels import decoded_pixels, load_image_pages
from filmroom.dicom.secondary_capture import PRIVATE_CREATOR, PRIVATE_GROUP, PRIVATE_STUDY_DATE_SOURCE
from filmroom.dicom.validate import run_dciodvfy
from filmroom.models import Patient
from filmroom.settings import Compression, PatientNameConvention


def _write_source(kind: str, folder: Path, rng: np.random.Generator) -> Path:
    """Write a small source image of ``kind`` and return its path."""
    if kind == "png8":
        path = folder / "gray8.png"
        cv2.imwrite(str(path), rng.integers(0, 256, size=(66, 81), dtype=np.uint8))
    elif kind == "png16":
        path = folder / "gray16.png"
        cv2.imwrite(str(path), rng.integers(0, 65536, size=(66, 81), dtype=np.uint16))
    elif kind == "tif8":
        path = folder / "gray8.tif"
        tifffile.imwrite(path, rng.integers(0, 256, size=(70, 58), dtype=np.uint8))
    elif kind == "tif16":
        path = folder / "gray16.tif"
        tifffile.imwrite(path, rng.integers(0, 4096, size=(70, 58), dtype=np.uint16), resolution=(300, 300))
    elif kind == "tif_pages":
        path = folder / "pages.tif"
        with tifffile.TiffWriter(path) as tiff:
            tiff.write(rng.integers(0, 65536, size=(40, 48), dtype=np.uint16))
            tiff.write(rng.integers(0, 256, size=(36, 34), dtype=np.uint8))
    elif kind == "rgb_png":
        path = folder / "photo.png"
        Image.fromarray(rng.integers(0, 256, size=(54, 62, 3), dtype=np.uint8), "RGB").save(path)
    elif kind == "rgb16_tif":
        path = folder / "photo16.tif"
        tifffile.imwrite(path, rng.integers(0, 65536, size=(42, 38, 3), dtype=np.uint16), photometric="rgb")
    elif kind == "bmp":
        path = folder / "export.bmp"
        cv2.imwrite(str(path), rng.integers(0, 256, size=(34, 46, 3), dtype=np.uint8))
    else:
        raise ValueError(kind)
    return path


SOURCE_KINDS = ["png8", "png16", "tif8", "tif16", "tif_pages", "rgb_png", "rgb16_tif", "bmp"]


@pytest.mark.parametrize("compression", list(Compression))
@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_build_lossless_round_trip(
    kind: str, compression: Compression, tmp_path: Path, rng: np.random.Generator, write_sc
) -> None:
    source = _write_source(kind, tmp_path, rng)
    for page in load_image_pages(source):
        path, back, _ = write_sc(page, name=f"{kind}_{page.page_index}.dcm", compression=compression)
        assert np.array_equal(decoded_pixels(back), page.pixels)
        assert run_dciodvfy(path) == []


def test_build_tiny_jpeg2000_uncompressed(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = tmp_path / "tiny.png"
    cv2.imwrite(str(source), rng.integers(0, 256, size=(12, 12), dtype=np.uint8))
    page = load_image_pages(source)[0]
    path, back, warnings = write_sc(page, compression=Compression.JPEG2000)
    assert not back.file_meta.TransferSyntaxUID.is_compressed
    assert any("stored uncompressed" in warning for warning in warnings)
    assert np.array_equal(back.pixel_array, page.pixels)
    assert run_dciodvfy(path) == []


def test_build_png16_twelve_bit(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    pixels = rng.integers(0, 4096, size=(40, 30), dtype=np.uint16)
    source = tmp_path / "twelve.png"
    cv2.imwrite(str(source), pixels)
    path, back, _ = write_sc(load_image_pages(source)[0])
    assert back.BitsAllocated == 16
    assert back.BitsStored == 12
    assert back.HighBit == 11
    assert np.array_equal(back.pixel_array, pixels)
    assert run_dciodvfy(path) == []


def test_build_rgba_png(tmp_path: Path, write_sc) -> None:
    rgba = np.full((12, 12, 4), 255, dtype=np.uint8)
    rgba[:6, :, 3] = 100
    rgba[..., 1] = 40
    source = tmp_path / "rgba.png"
    Image.fromarray(rgba, "RGBA").save(source)
    path, back, _ = write_sc(load_image_pages(source)[0], conversion_type="DI")
    assert back.PhotometricInterpretation == "RGB"
    assert back.SamplesPerPixel == 3
    assert run_dciodvfy(path) == []


def test_build_palette_png(tmp_path: Path, write_sc) -> None:
    image = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) % 4, "P")
    image.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9] + [0] * (252 * 3))
    source = tmp_path / "palette.png"
    image.save(source)
    page = load_image_pages(source)[0]
    path, back, _ = write_sc(page, conversion_type="DI")
    assert back.PhotometricInterpretation == "RGB"
    assert np.array_equal(back.pixel_array, page.pixels)
    assert run_dciodvfy(path) == []


def test_build_pixel_spacing_300_dpi(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = tmp_path / "film.tif"
    tifffile.imwrite(source, rng.integers(0, 65536, size=(30, 20), dtype=np.uint16), resolution=(300, 300))
    path, back, _ = write_sc(load_image_pages(source)[0])
    raw = back["NominalScannedPixelSpacing"].value
    assert [len(str(value.original_string)) <= 16 for value in raw] == [True, True]
    assert float(raw[0]) == pytest.approx(25.4 / 300, rel=1e-9)
    assert "PixelSpacing" not in back
    assert run_dciodvfy(path) == []


def test_build_utf8_owner(tmp_path: Path, rng: np.random.Generator, write_sc, patient: Patient) -> None:
    owner = dataclasses.replace(patient, owner_last="Müller", owner_first="Jürgen")
    source = _write_source("png8", tmp_path, rng)
    path, back, _ = write_sc(load_image_pages(source)[0], patient_override=owner)
    assert back.SpecificCharacterSet == "ISO_IR 192"
    assert str(back.PatientName) == "Müller^Biscuit"
    assert str(back.ResponsiblePerson) == "Müller^Jürgen"
    assert "Müller".encode("utf-8") in path.read_bytes()
    assert run_dciodvfy(path) == []


def test_build_ascii_no_charset(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = _write_source("png8", tmp_path, rng)
    _, back, _ = write_sc(load_image_pages(source)[0])
    assert "SpecificCharacterSet" not in back


def test_build_long_owner_truncated(tmp_path: Path, rng: np.random.Generator, write_sc, patient: Patient) -> None:
    owner = dataclasses.replace(patient, owner_last="Q" * 70)
    source = _write_source("png8", tmp_path, rng)
    path, back, warnings = write_sc(load_image_pages(source)[0], patient_override=owner)
    assert len(str(back.ResponsiblePerson)) <= 64
    assert len(str(back.PatientName)) <= 64
    assert any(warning.startswith("owner name truncated") for warning in warnings)
    assert any(warning.startswith("patient name truncated") for warning in warnings)
    assert run_dciodvfy(path) == []


def test_build_free_text_region(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = _write_source("png8", tmp_path, rng)
    path, back, warnings = write_sc(load_image_pages(source)[0], body_part="THORAX-LÄNGS")
    cs_values = [str(element.value) for element in back.iterall() if element.VR == "CS"]
    assert not any("LÄNGS" in value for value in cs_values)
    assert "BodyPartExamined" not in back
    assert "THORAX-LÄNGS" in back.SeriesDescription
    assert any("BodyPartExamined" in warning for warning in warnings)
    assert run_dciodvfy(path) == []


def test_build_defined_body_part(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = _write_source("png8", tmp_path, rng)
    path, back, _ = write_sc(load_image_pages(source)[0], body_part="thorax")
    assert back.BodyPartExamined == "THORAX"
    assert run_dciodvfy(path) == []


def test_build_veterinary_attributes(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = _write_source("tif16", tmp_path, rng)
    _, back, _ = write_sc(load_image_pages(source)[0])
    assert back.SOPClassUID == SecondaryCaptureImageStorage
    assert str(back.PatientName) == "Harlow^Biscuit"
    assert back.PatientID == "C1042"
    assert back.PatientBirthDate == "20140517"
    assert back.PatientSex == "F"
    assert back.PatientSexNeutered == "ALTERED"
    assert back.PatientSpeciesDescription == "Canine"
    assert back.PatientSpeciesCodeSequence[0].CodeValue == "448771007"
    assert back.PatientSpeciesCodeSequence[0].CodingSchemeDesignator == "SCT"
    assert back.PatientBreedDescription == "Beagle"
    assert len(back.PatientBreedCodeSequence) == 0
    assert len(back.BreedRegistrationSequence) == 0
    assert str(back.ResponsiblePerson) == "Harlow^Dana"
    assert back.ResponsiblePersonRole == "OWNER"
    assert back.ResponsibleOrganization == "Maple Street Animal Clinic"
    assert back.ConversionType == "DF"
    assert back.Modality == "OT"
    assert back.BurnedInAnnotation == "YES"
    assert back.LossyImageCompression == "00"
    assert back.StudyDate == "20030609"


def test_build_date_source_kept(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = _write_source("png8", tmp_path, rng)
    _, back, _ = write_sc(load_image_pages(source)[0])
    block = back.private_block(PRIVATE_GROUP, PRIVATE_CREATOR)
    assert block[PRIVATE_STUDY_DATE_SOURCE].value == "label"
    assert back.ImageComments == "Study date source: label"


def test_build_pet_name_convention(tmp_path: Path, rng: np.random.Generator, patient: Patient, settings) -> None:
    from filmroom.dicom.identity import patient_attributes

    chosen = settings.model_copy(update={"patient_name_convention": PatientNameConvention.PET})
    ds, _ = patient_attributes(patient, chosen)
    assert str(ds.PatientName) == "Biscuit"


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_build_jpeg_encapsulated(mode: str, tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    shape = (37, 53, 3) if mode == "RGB" else (37, 53)
    source = tmp_path / f"export_{mode}.jpg"
    Image.fromarray(rng.integers(0, 256, size=shape, dtype=np.uint8), mode).save(source, quality=85)
    page = load_image_pages(source)[0]
    path, back, _ = write_sc(page, conversion_type="DI")
    frame = next(generate_frames(back.PixelData, number_of_frames=1))
    original = source.read_bytes()
    assert frame[: len(original)] == original
    assert frame[len(original) :].strip(b"\x00") == b""
    assert back.file_meta.TransferSyntaxUID == JPEGBaseline8Bit
    assert (back.Rows, back.Columns) == (37, 53)
    assert back.PhotometricInterpretation == ("YBR_FULL_422" if mode == "RGB" else "MONOCHROME2")
    assert back.LossyImageCompression == "01"
    assert back.LossyImageCompressionMethod == "ISO_10918_1"
    assert run_dciodvfy(path) == []


def test_build_progressive_jpeg_lossless(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = tmp_path / "progressive.jpg"
    Image.fromarray(rng.integers(0, 256, size=(20, 28, 3), dtype=np.uint8), "RGB").save(source, progressive=True)
    page = load_image_pages(source)[0]
    path, back, warnings = write_sc(page, conversion_type="DI")
    assert not back.file_meta.TransferSyntaxUID.is_compressed
    assert np.array_equal(back.pixel_array, page.pixels)
    assert back.LossyImageCompression == "01"
    assert any("progressive" in warning for warning in warnings)
    assert run_dciodvfy(path) == []


def test_build_invalid_conversion_type(tmp_path: Path, rng: np.random.Generator, write_sc) -> None:
    source = _write_source("png8", tmp_path, rng)
    with pytest.raises(ValueError, match="ConversionType"):
        write_sc(load_image_pages(source)[0], conversion_type="film")


@pytest.mark.shared_data
def test_build_real_radiographs(shared_data: Path, write_sc) -> None:
    sources = sorted(path for path in (shared_data / "radiographs").rglob("*") if path.is_file())
    assert sources
    for number, source in enumerate(sources):
        page = load_image_pages(source)[0]
        path, back, _ = write_sc(page, name=f"real_{number}.dcm", conversion_type="DI")
        assert run_dciodvfy(path) == [], source.name
        if page.jpeg_bytes is None:
            assert np.array_equal(decoded_pixels(back), page.pixels), source.name
        else:
            assert back.file_meta.TransferSyntaxUID == JPEGBaseline8Bit, source.name


def test_dciodvfy_reports_errors(tmp_path: Path) -> None:
    ds = pydicom.Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = "1.2.3.4"
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    path = tmp_path / "incomplete.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert run_dciodvfy(path) != []


@pytest.mark.shared_data
def test_build_jpeg_extended_twelve_bit(shared_data: Path, tmp_path: Path, write_sc) -> None:
    container = pydicom.dcmread(shared_data / "dicom" / "pydicom_testfiles" / "JPEG-lossy.dcm")
    stream = next(generate_frames(container.PixelData, number_of_frames=1))
    source = tmp_path / "twelve_bit.jpg"
    source.write_bytes(stream)
    page = load_image_pages(source)[0]
    assert page.jpeg_bytes == stream
    assert page.bits_stored == 12
    path, back, _ = write_sc(page, conversion_type="DI")
    assert back.file_meta.TransferSyntaxUID == JPEGExtended12Bit
    assert back.BitsAllocated == 16
    assert back.BitsStored == 12
    assert run_dciodvfy(path) == []
