from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.filewriter import write_dataset
from pydicom.uid import BasicTextSRStorage, ExplicitVRLittleEndian

from filmroom.dicom.legacy import inspect_dicom, remap_legacy_dicom
from filmroom.dicom.pixels import ImagePage, decoded_pixels
from filmroom.dicom.validate import run_dciodvfy
from filmroom.errors import BadInputError
from filmroom.models import Patient
from filmroom.settings import DicomSettings

NEW_OWNER = Patient(
    patient_id="N7731",
    pet_name="Pepper",
    owner_last="Østergaard",
    owner_first="Lene",
    species="feline",
    sex="M",
    neutered=False,
)


def _corpus_root() -> Path:
    configured = os.environ.get("FILMROOM_SHARED_DATA")
    root = Path(configured) if configured else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return root / "dicom"


def _corpus_files() -> list[str]:
    root = _corpus_root()
    if not root.is_dir():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.fixture
def sc_file(tmp_path: Path, rng: np.random.Generator, write_sc) -> tuple[Path, pydicom.Dataset]:
    page = ImagePage(rng.integers(0, 4096, size=(48, 40), dtype=np.uint16), photometric="MONOCHROME2", bits_stored=12)
    path, back, _ = write_sc(page, name="legacy_source.dcm")
    return path, back


def test_inspect_sc_image(sc_file) -> None:
    path, source = sc_file
    inspection = inspect_dicom(path)
    assert inspection.is_image
    assert inspection.skip_reason == ""
    assert inspection.sop_instance_uid == source.SOPInstanceUID
    assert inspection.transfer_syntax_uid == ExplicitVRLittleEndian


def test_inspect_no_preamble_no_meta(tmp_path: Path, sc_file) -> None:
    _, source = sc_file
    buffer = io.BytesIO()
    source.file_meta = pydicom.dataset.FileMetaDataset()
    bare = pydicom.filebase.DicomFileLike(buffer)
    bare.is_implicit_VR, bare.is_little_endian = True, True
    write_dataset(bare, source)  # a bare data set, as old modalities wrote them
    path = tmp_path / "bare"
    path.write_bytes(buffer.getvalue())
    inspection = inspect_dicom(path)
    assert inspection.is_image
    assert inspection.transfer_syntax_uid == pydicom.uid.ImplicitVRLittleEndian
    assert inspection.dataset.PixelData == source.PixelData


def test_inspect_first_132_bytes_stripped(tmp_path: Path, sc_file) -> None:
    path, source = sc_file
    stripped = tmp_path / "stripped.dcm"
    stripped.write_bytes(path.read_bytes()[132:])
    inspection = inspect_dicom(stripped)
    assert inspection.is_image
    assert inspection.dataset.PixelData == source.PixelData


def test_remap_no_meta_adds_file_meta(tmp_path: Path, sc_file) -> None:
    path, source = sc_file
    stripped = tmp_path / "stripped.dcm"
    stripped.write_bytes(path.read_bytes()[132:])
    ds, _ = remap_legacy_dicom(stripped, patient=NEW_OWNER, settings=DicomSettings())
    out = tmp_path / "remapped.dcm"
    ds.save_as(out, enforce_file_format=True)
    assert out.read_bytes()[128:132] == b"DICM"
    assert pydicom.dcmread(out).file_meta.MediaStorageSOPInstanceUID == source.SOPInstanceUID


def test_inspect_truncated(tmp_path: Path, sc_file) -> None:
    path, _ = sc_file
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(path.read_bytes()[:-500])
    with pytest.raises(BadInputError, match="truncated"):
        inspect_dicom(cut)


def test_inspect_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        inspect_dicom(path)


def test_inspect_not_dicom(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Owner called about the films.\n" * 20, encoding="utf-8")
    with pytest.raises(BadInputError, match="not a DICOM file"):
        inspect_dicom(path)


def test_inspect_gzip_unpacked(tmp_path: Path, sc_file) -> None:
    path, source = sc_file
    packed = tmp_path / "image.dcm.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    inspection = inspect_dicom(packed)
    assert inspection.is_image
    assert inspection.dataset.PixelData == source.PixelData
    assert any("gzip" in note for note in inspection.notes)


def test_inspect_sr_skipped(tmp_path: Path) -> None:
    ds = pydicom.Dataset()
    ds.SOPClassUID = BasicTextSRStorage
    ds.SOPInstanceUID = "1.2.3.4.5"
    ds.StudyInstanceUID = "1.2.3.4"
    ds.Modality = "SR"
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = BasicTextSRStorage
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    path = tmp_path / "report.dcm"
    ds.save_as(path, enforce_file_format=True)
    inspection = inspect_dicom(path)
    assert not inspection.is_image
    assert inspection.skip_reason == "Basic Text SR Storage (not an image)"


def test_remap_identity(tmp_path: Path, sc_file) -> None:
    path, source = sc_file
    ds, warnings = remap_legacy_dicom(path, patient=NEW_OWNER, settings=DicomSettings())
    out = tmp_path / "remapped.dcm"
    ds.save_as(out, enforce_file_format=True)
    back = pydicom.dcmread(out)
    assert str(back.PatientName) == "Østergaard^Pepper"
    assert back.PatientID == "N7731"
    assert back.PatientSexNeutered == "UNALTERED"
    assert back.PatientSpeciesDescription == "Feline"
    assert back.SpecificCharacterSet == "ISO_IR 192"
    assert back.SOPInstanceUID == source.SOPInstanceUID
    assert back.PixelData == source.PixelData
    assert any("ISO_IR 192" in warning for warning in warnings)


def test_remap_original_attributes(tmp_path: Path, sc_file) -> None:
    path, source = sc_file
    ds, _ = remap_legacy_dicom(path, patient=NEW_OWNER, settings=DicomSettings())
    out = tmp_path / "remapped.dcm"
    ds.save_as(out, enforce_file_format=True)
    item = pydicom.dcmread(out).OriginalAttributesSequence[-1]
    original = item.ModifiedAttributesSequence[0]
    assert str(original.PatientName) == str(source.PatientName)
    assert original.PatientID == source.PatientID
    assert item.ModifyingSystem == "filmroom"
    assert item.ReasonForTheAttributeModification == "COERCE"
    assert len(item.AttributeModificationDateTime) >= 14


def test_remap_valid_sc(tmp_path: Path, sc_file) -> None:
    path, _ = sc_file
    ds, _ = remap_legacy_dicom(path, patient=NEW_OWNER, settings=DicomSettings())
    out = tmp_path / "remapped.dcm"
    ds.save_as(out, enforce_file_format=True)
    assert run_dciodvfy(out) == []


def test_remap_non_image_rejected(tmp_path: Path) -> None:
    ds = pydicom.Dataset()
    ds.SOPClassUID = BasicTextSRStorage
    ds.SOPInstanceUID = "1.2.3.4.5"
    ds.StudyInstanceUID = "1.2.3.4"
    path = tmp_path / "report.dcm"
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(BadInputError, match="not an image"):
        remap_legacy_dicom(path, patient=NEW_OWNER, settings=DicomSettings())


@pytest.mark.shared_data
@pytest.mark.filterwarnings("ignore:Invalid value for VR UI:UserWarning")
@pytest.mark.parametrize("relative", _corpus_files() or ["(corpus absent)"])
def test_corpus_file_outcome(relative: str, shared_data: Path, tmp_path: Path) -> None:
    """Every corpus file ends as a re-mapped image, a skipped non-image, or a clear rejection."""
    path = shared_data / "dicom" / relative
    try:
        inspection = inspect_dicom(path)
    except BadInputError as exc:
        assert len(exc.reason) > 20
        return
    if not inspection.is_image:
        assert inspection.skip_reason.endswith(")")
        return

    ds, _ = remap_legacy_dicom(path, patient=NEW_OWNER, settings=DicomSettings())
    out = tmp_path / "remapped.dcm"
    ds.save_as(out, enforce_file_format=True)
    back = pydicom.dcmread(out)
    assert back.PixelData == inspection.dataset.PixelData
    assert back.SOPInstanceUID == inspection.sop_instance_uid
    assert back.PatientID == "N7731"
    assert back.file_meta.TransferSyntaxUID == inspection.transfer_syntax_uid


@pytest.mark.shared_data
def test_corpus_remap_adds_no_dciodvfy_errors(shared_data: Path, tmp_path: Path) -> None:
    names = [
        "pydicom_testfiles/CT_small.dcm",
        "pydicom_data/SC_rgb.dcm",
        "pydicom_data/OT-PAL-8-face.dcm",
        "fo_dicom/CR-MONO1-10-chest",
        "torchxrayvision/Fake_MONOHR1.dcm",
        "pydicom_data/SC_rgb_expb.dcm",
    ]
    for name in names:
        path = shared_data / "dicom" / name
        ds, _ = remap_legacy_dicom(path, patient=NEW_OWNER, settings=DicomSettings())
        out = tmp_path / "remapped.dcm"
        ds.save_as(out, enforce_file_format=True)
        before = {line for line in run_dciodvfy(path)}
        after = set(run_dciodvfy(out))
        assert after - before == set(), name


@pytest.mark.shared_data
def test_corpus_big_endian_pixels(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "dicom" / "pydicom_testfiles" / "MR_small_bigendian.dcm"
    ds, _ = remap_legacy_dicom(path, patient=NEW_OWNER, settings=DicomSettings())
    out = tmp_path / "remapped.dcm"
    ds.save_as(out, enforce_file_format=True)
    assert np.array_equal(decoded_pixels(pydicom.dcmread(out)), decoded_pixels(pydicom.dcmread(path)))
