"""Contents of the sample practice: jackets, films, share files and their expected outcome.

Each film names a crop key from ``radiographs.CROPS``. Distinct images use distinct
crops. A crop is used twice only for a duplicate (the re-scanned film of jacket B01,
the JPEG export of DICOM/A-1023/IM000001.dcm) or for a broken file that no reader
decodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLINIC = "MAPLE GROVE ANIMAL HOSPITAL"
BATCH_FOLDER = "batch-2024-05-14"

# NOTE: a label scan is expected to end like its jacket. When the jacket is matched, the
# label is archived with the films so the archive keeps the evidence of the match. Change
# LABEL_STATUS_WHEN_MATCHED to "skipped" if the pipeline reads labels without storing them.
LABEL_STATUS_WHEN_MATCHED = "archived"


@dataclass(frozen=True)
class ScanSettings:
    """Settings of the film scanner for one film.

    ``encoding`` is ``tiff16`` (16-bit grayscale TIFF, zlib), ``tiff8``, ``png8`` or
    ``jpeg8``. ``bits`` is the scanner's depth inside the 16-bit container, and
    ``brightness`` shifts the scanner's exposure (1.0 is neutral).
    """

    encoding: str = "tiff16"
    bits: int = 12
    long_side: int = 560
    brightness: float = 1.0
    scale: float = 1.0


TIFF12 = ScanSettings("tiff16", 12)
TIFF14 = ScanSettings("tiff16", 14)
PNG8 = ScanSettings("png8", 8)
JPEG8 = ScanSettings("jpeg8", 8)
TIFF8 = ScanSettings("tiff8", 8)
RESCAN = ScanSettings("tiff16", 12, brightness=1.06, scale=0.97)


@dataclass(frozen=True)
class Film:
    """One film in a jacket: which real radiograph crop it shows and how it was scanned."""

    source: str
    scan: ScanSettings
    file_name: str = ""
    status: str = ""  # empty: the jacket's status
    note: str = ""


@dataclass(frozen=True)
class LabelSpec:
    """A jacket label: its style (typed, sticker, hand, scrawl, phone) and its lines of text."""

    style: str
    lines: tuple[str, ...]
    file_name: str = ""
    font: str = ""


@dataclass(frozen=True)
class Jacket:
    """One film jacket: a label and its films, in a folder of its own or in the flat batch."""

    jacket_id: str
    folder: str | None  # None: the jacket is part of the flat scanner batch
    label: LabelSpec
    films: tuple[Film, ...]
    status: str
    patient_id: str
    note: str

    @property
    def label_note(self) -> str:
        return f"label ({self.label.style}): {self.note}"

    @property
    def film_note(self) -> str:
        return f"film of jacket {self.jacket_id}: {self.note}"


@dataclass(frozen=True)
class DicomIdentity:
    """Header values of a DICOM file written by an invented old veterinary DR system."""

    patient_name: str
    patient_id: str
    study_date: str
    body_part: str
    species: str = "Canine"
    responsible_person: str = ""
    file_meta: bool = True
    jpeg2000: bool = False
    long_side: int = 0  # 0: radiographs.DICOM_LONG_SIDE


@dataclass(frozen=True)
class ShareItem:
    """One file of the old file share and its expected outcome."""

    path: str
    maker: str
    kind: str
    status: str
    patient_id: str = ""
    note: str = ""
    source: str = ""
    dicom: DicomIdentity | None = None
    text: str = ""

    @property
    def folder_id(self) -> str:
        parent = self.path.rsplit("/", 1)[0] if "/" in self.path else ""
        return f"share/{parent}" if parent else "share"


@dataclass(frozen=True)
class ExpectedRow:
    """One row of EXPECTED.csv."""

    COLUMNS = ("source_path", "source_kind", "jacket", "expected_status", "expected_patient_id", "note")

    source_path: str
    source_kind: str
    jacket: str
    expected_status: str
    expected_patient_id: str
    note: str = field(default="")

    def as_tuple(self) -> tuple[str, ...]:
        return (
            self.source_path,
            self.source_kind,
            self.jacket,
            self.expected_status,
            self.expected_patient_id,
            self.note,
        )


JACKETS: tuple[Jacket, ...] = (
    Jacket(
        "J01",
        "box1-jacket-001",
        LabelSpec(
            "typed",
            (CLINIC, "SMITH, Robert", "Max        Chart # 00123", "Canine / Labrador Retriever", "06/21/2014   Rad # 1187   Thorax"),
            "img001.png",
        ),
        (Film("rg1-r1c1", TIFF12, "img002.tif"), Film("rg1-r1c2", TIFF12, "img003.tif")),
        "archived",
        "00123",
        "typed label with chart number 00123 (Smith Robert / Max); the only Smith with a Max",
    ),
    Jacket(
        "J02",
        "box1-jacket-002",
        LabelSpec(
            "sticker",
            (CLINIC, "JONES, Patricia", "Patient: Fluffy", "Chart # 00457", "Feline  DSH", "04/02/2011  Rad # 1203  Abdomen"),
            "img001.jpg",
        ),
        (
            Film("cxr1-full", TIFF14, "img002.tif"),
            Film("cxr1-lower", TIFF14, "img003.tif"),
            Film("rg1-r3c1", TIFF12, "img004.tif"),
        ),
        "archived",
        "00457",
        "printed sticker, chart 00457 (Jones Patricia / Fluffy); the Jones client has three pets",
    ),
    Jacket(
        "J03",
        "box1-jacket-003",
        LabelSpec(
            "hand",
            ("Garcia, Maria", "Luna   # 00789", "Feline DLH", "9/12/2015  Pelvis"),
            "img001.jpg",
            "dancing",
        ),
        (Film("ddh1-full", PNG8, "img002.png"),),
        "archived",
        "00789",
        "hand-lettered but neat: chart 00789 (Garcia Maria / Luna); Tesseract reads it, and chart, owner "
        "and pet agree with the patient list",
    ),
    Jacket(
        "J04",
        "box1-jacket-004",
        LabelSpec(
            "typed",
            (CLINIC, "MÜLLER, Hans", "Rocky      Chart # 00912", "K9 / German Shepherd", "10/02/2013   Pelvis"),
            "img001.png",
        ),
        (
            Film("ddh2-full", TIFF12, "img002.tif"),
            Film("ddh2-left", JPEG8, "img003.jpg"),
            Film("rg3-seg1", TIFF12, "img004.tif"),
            Film("rg3-seg2", PNG8, "img005.png"),
        ),
        "archived",
        "00912",
        "typed label with a non-ASCII owner name, chart 00912 (Müller Hans / Rocky)",
    ),
    Jacket(
        "J05",
        "box2-jacket-001",
        LabelSpec(
            "phone",
            (CLINIC, "PEÑA, Carmen", "Patient: Bella", "Chart # 01034", "Canine  Boxer", "11/03/2016  Thorax"),
            "IMG_4821.jpg",
        ),
        (Film("rg1-r0c1", PNG8, "img002.png"), Film("rg1-r0c2", PNG8, "img003.png")),
        "archived",
        "01034",
        "phone photo of a sticker, stored sideways with EXIF Orientation 6, chart 01034 (Peña Carmen / Bella)",
    ),
    Jacket(
        "J06",
        "box2-jacket-002",
        LabelSpec("scrawl", ("Brwn  Chrl..", "#0 4?1", "K9  mx"), "img001.png", "dkg"),
        (Film("rg1-r2c0", JPEG8, "img002.jpg"), Film("rg3-seg3", TIFF12, "img003.tif")),
        "needs_review",
        "",
        "preprinted form with a smeared hand-lettered entry that nobody can read; "
        "the jacket really is Brown Susan / Charlie 01421",
    ),
    Jacket(
        "J07",
        "box2-jacket-003",
        LabelSpec(
            "typed",
            (CLINIC, "OKAFOR, Daniel", "Pepper     Chart # 02291", "Canine / Schnauzer", "02/08/2012   Thorax"),
            "img001.png",
        ),
        (Film("cxr2-upper", TIFF12, "img002.tif"),),
        "unmatched",
        "",
        "legible label for a patient missing from the patient list (chart 02291, owner Okafor); "
        "another owner's dog is also named Pepper, so a pet-name match alone is wrong",
    ),
    Jacket(
        "B01",
        None,
        LabelSpec(
            "typed",
            (CLINIC, "JONES, Patricia", "Max        Chart # 00458", "K-9 / Beagle", "05/17/2013   Rad # 2210   Thorax"),
        ),
        (
            Film("rg1-full", TIFF12),
            Film("rg1-full", RESCAN, status="duplicate", note="second scan of the previous film (brighter, 3% smaller); a duplicate"),
            Film("cxr2-full", TIFF14),
        ),
        "archived",
        "00458",
        "typed label, chart 00458 (Jones Patricia / Max); Max is also the name of four other pets",
    ),
    Jacket(
        "B02",
        None,
        LabelSpec(
            "sticker",
            (CLINIC, "MILLER, Jennifer", "Patient: Max", "Chart # 01502", "Canine  Boxer", "01/22/2015  Rad # 3318  Abdomen"),
        ),
        (
            Film("rg1-r2c2", TIFF12),
            Film("rg1-r2c3", TIFF8),
            Film("rg1-r3c2", TIFF8),
            Film("rg1-r3c3", TIFF12),
        ),
        "archived",
        "01502",
        "printed sticker, chart 01502 (Miller Jennifer / Max)",
    ),
    Jacket(
        "B03",
        None,
        LabelSpec("hand", ("BAKER, Tom", "Bella - cat", "Siamese", "3/3/2017  Abd"), "", "breip"),
        (Film("ddh3-full", TIFF12),),
        "needs_review",
        "",
        "hand-lettered without a chart number, owner written as Tom: Baker Thomas / Bella (01102) to a "
        "person; Tesseract does not read handwriting with confidence, so the jacket goes to review",
    ),
    Jacket(
        "B04",
        None,
        LabelSpec(
            "typed",
            (CLINIC, "LOPEZ, José", "Rocco      Chart # 01902", "Canine / Boxer", "07/30/2018   Pelvis"),
        ),
        (Film("ddh3-left", TIFF12), Film("ddh3-right", TIFF12)),
        "archived",
        "01902",
        "typed label, chart 01902 (Lopez José / Rocco)",
    ),
    Jacket(
        "B05",
        None,
        LabelSpec(
            "sticker",
            (CLINIC, "WILLIAMS, James", "Patient: Daisy", "Chart # 01377", "Canine  Beagle", "12/05/2016  Rad # 4102  Leg"),
        ),
        (Film("rg3-full", TIFF14),),
        "archived",
        "01377",
        "printed sticker, chart 01377 (Williams James / Daisy)",
    ),
)

_FLUFFY = DicomIdentity("JONES^FLUFFY", "A-1023", "20110402", "CHEST", "Feline", "JONES^PATRICIA")
_RADIOLOGY = "Radiology"
_EXPORTS = "Exports 2013"
_REFERRALS = "Referrals"

SHARE_FOLDERS: tuple[ShareItem, ...] = (
    ShareItem(
        f"{_RADIOLOGY}/Jones, Fluffy 2011-04-02/Fluffy lateral.jpg",
        "export",
        "share_image",
        "archived",
        "00457",
        "folder names owner Jones and pet Fluffy: unique (00457)",
        "rg1-r1c0",
    ),
    ShareItem(
        f"{_RADIOLOGY}/Jones, Fluffy 2011-04-02/Fluffy VD.jpg",
        "export",
        "share_image",
        "archived",
        "00457",
        "folder names owner Jones and pet Fluffy: unique (00457)",
        "cxr2-lower",
    ),
    ShareItem(
        f"{_RADIOLOGY}/SMITH Max 03-15-2012/IMG_0001.tif",
        "export",
        "share_image",
        "archived",
        "00123",
        "folder names owner Smith and pet Max: unique (00123, Smith Robert) though both names recur",
        "rg1-r1c3",
    ),
    ShareItem(
        f"{_RADIOLOGY}/SMITH Max 03-15-2012/IMG_0002.bmp",
        "export",
        "share_image",
        "archived",
        "00123",
        "folder names owner Smith and pet Max: unique (00123, Smith Robert) though both names recur",
        "rg1-r0c3",
    ),
    ShareItem(
        f"{_RADIOLOGY}/Garcia - Luna/luna pelvis.png",
        "export",
        "share_image",
        "archived",
        "00789",
        "folder names owner Garcia and pet Luna: unique (00789)",
        "ddh1-left",
    ),
    ShareItem(
        f"{_RADIOLOGY}/Garcia - Luna/MR_small.dcm",
        "pydicom_test_file",
        "share_dicom",
        "needs_review",
        "",
        "pydicom test file whose PatientName CompressedSamples^MR1 disagrees with the folder (Garcia / Luna); "
        "a person must decide",
        "MR_small.dcm",
    ),
    ShareItem(
        f"{_RADIOLOGY}/Pena, Bella/bella 2.jpg",
        "export",
        "share_image",
        "archived",
        "01034",
        "folder spells Peña without the tilde; owner Pena with pet Bella is unique (01034)",
        "ddh2-right",
    ),
    ShareItem(
        f"{_RADIOLOGY}/Thumbs.db",
        "thumbs_db",
        "other",
        "skipped",
        "",
        "Windows thumbnail cache, not an image",
    ),
    ShareItem(
        "DICOM/A-1023/IM000001.dcm",
        "dicom",
        "share_dicom",
        "archived",
        "00457",
        "old DR system file, PatientName JONES^FLUFFY (owner^pet), PatientID A-1023; re-mapped to 00457",
        "rg1-r2c1",
        _FLUFFY,
    ),
    ShareItem(
        "DICOM/A-1023/IM000002",
        "dicom",
        "share_dicom",
        "archived",
        "00457",
        "same patient as IM000001.dcm, file without an extension",
        "rg3-seg4",
        DicomIdentity("JONES^FLUFFY", "A-1023", "20110402", "PELVIS", "Feline", "JONES^PATRICIA", jpeg2000=True),
    ),
    ShareItem(
        "DICOM/A-1187/IM000001.dcm",
        "dicom",
        "share_dicom",
        "archived",
        "00912",
        "PatientName ROCKY^MULLER is pet^owner and drops the umlaut of Müller; unique (00912)",
        "rg1-r3c0",
        DicomIdentity("ROCKY^MULLER", "A-1187", "20131002", "PELVIS", "Canine", "MULLER^HANS", jpeg2000=True),
    ),
    ShareItem(
        "DICOM/A-1190/IM000001.dcm",
        "dicom",
        "share_dicom",
        "archived",
        "01377",
        "no preamble and no File Meta (bare Implicit VR Little Endian dataset), WILLIAMS^DAISY; unique (01377)",
        "rg1-r0c0",
        DicomIdentity("WILLIAMS^DAISY", "A-1190", "20161205", "CHEST", "Canine", "WILLIAMS^JAMES", file_meta=False),
    ),
    ShareItem(
        "DICOM/A-2002/IM000001.dcm",
        "dicom",
        "share_dicom",
        "unmatched",
        "",
        "HOLLOWAY^BUSTER is not in the patient list",
        "cxr1-upper",
        DicomIdentity("HOLLOWAY^BUSTER", "A-2002", "20120619", "CHEST", "Canine", "HOLLOWAY^GRACE", jpeg2000=True),
    ),
    ShareItem(
        "DICOM/A-2003/IM000001.dcm",
        "truncated_dicom",
        "share_dicom",
        "rejected",
        "",
        "DICOM file cut off inside Pixel Data",
        "rg1-r3c0",
        DicomIdentity("DAVIS^LUCY", "A-2003", "20140311", "CHEST", "Canine", "DAVIS^MICHAEL", long_side=256),
    ),
    ShareItem(
        "DICOM/A-2004/IM000001.dcm",
        "empty",
        "share_dicom",
        "rejected",
        "",
        "zero-byte file",
    ),
    ShareItem(
        f"{_EXPORTS}/xray 0415.jpg",
        "export_of_dicom",
        "share_image",
        "duplicate",
        "",
        "JPEG export of DICOM/A-1023/IM000001.dcm (same image, 8-bit, lossy); the folder names no patient",
        "rg1-r2c1",
    ),
    ShareItem(
        f"{_EXPORTS}/broken_export.jpg",
        "truncated_jpeg",
        "share_image",
        "rejected",
        "",
        "JPEG cut off after 40% of its bytes",
        "ddh1-right",
    ),
    ShareItem(
        f"{_EXPORTS}/notes.txt",
        "text",
        "other",
        "skipped",
        "",
        "text file, not an image",
        text="Films for box 3 are still at the front desk.\nCall Dr. Reyes about the Walker dogs.\n",
    ),
    ShareItem(
        f"{_REFERRALS}/CT_small.dcm",
        "pydicom_test_file",
        "share_dicom",
        "unmatched",
        "",
        "pydicom test file, PatientName CompressedSamples^CT1 names nobody and the folder names no patient",
        "CT_small.dcm",
    ),
    ShareItem(
        f"{_REFERRALS}/SC_rgb_jpeg_dcmtk.dcm",
        "pydicom_test_file",
        "share_dicom",
        "unmatched",
        "",
        "pydicom test file (JPEG Baseline), PatientName Lestrade^G names nobody",
        "SC_rgb_jpeg_dcmtk.dcm",
    ),
    ShareItem(
        f"{_REFERRALS}/reportsi.dcm",
        "pydicom_test_file",
        "share_dicom",
        "skipped",
        "",
        "Basic Text SR from the pydicom test files: a DICOM object without pixels",
        "reportsi.dcm",
    ),
)
