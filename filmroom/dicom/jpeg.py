"""Read the header of a JPEG stream (ITU T.81) without decoding its pixels."""

from __future__ import annotations

import struct
from dataclasses import dataclass

# Start-of-frame markers and the coding process each one names (ITU T.81 table B.1).
SOF_PROCESSES = {
    0xC0: "baseline",
    0xC1: "extended",
    0xC2: "progressive",
    0xC3: "lossless",
    0xC5: "differential sequential",
    0xC6: "differential progressive",
    0xC7: "differential lossless",
    0xC9: "extended arithmetic",
    0xCA: "progressive arithmetic",
    0xCB: "lossless arithmetic",
    0xCD: "differential sequential arithmetic",
    0xCE: "differential progressive arithmetic",
    0xCF: "differential lossless arithmetic",
}


@dataclass(frozen=True)
class JpegHeader:
    """Frame parameters of a JPEG stream and the application markers that matter for DICOM."""

    process: str  # a value of SOF_PROCESSES
    precision: int  # bits per sample
    rows: int
    columns: int
    components: int
    subsampled: bool  # True when any component has sampling factors other than those of the first
    adobe_transform: int | None  # APP14 "Adobe" transform flag: 0 = no YCbCr conversion, 1 = YCbCr
    has_jfif: bool
    component_ids: tuple[int, ...]
    end_of_image: bool  # the stream ends with an EOI marker, so it is not truncated


def read_jpeg_header(data: bytes) -> JpegHeader:
    """Parse the markers before the first scan of a JPEG stream.

    Raises
    ------
    ValueError
        If ``data`` is not a JPEG stream or ends before its frame header.
    """
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("no JPEG start-of-image marker")

    position = 2
    adobe_transform: int | None = None
    has_jfif = False
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError(f"invalid JPEG marker at byte {position}")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segment = data[position + 4 : position + 2 + length]
        if len(segment) < length - 2:
            raise ValueError("JPEG stream ends inside a marker segment")

        if marker == 0xE0 and segment.startswith(b"JFIF\x00"):
            has_jfif = True
        elif marker == 0xEE and segment.startswith(b"Adobe") and len(segment) >= 12:
            adobe_transform = segment[11]
        elif marker in SOF_PROCESSES:
            precision, rows, columns, components = struct.unpack(">BHHB", segment[:6])
            factors = [segment[6 + 3 * i + 1] for i in range(components)]
            ids = tuple(segment[6 + 3 * i] for i in range(components))
            # Writers may pad after the EOI marker with 00 or a single FF.
            tail = data.rstrip(b"\x00")
            return JpegHeader(
                process=SOF_PROCESSES[marker],
                precision=precision,
                rows=rows,
                columns=columns,
                components=components,
                subsampled=len(set(factors)) > 1,
                adobe_transform=adobe_transform,
                has_jfif=has_jfif,
                component_ids=ids,
                end_of_image=tail.endswith((b"\xff\xd9", b"\xff\xd9\xff")),
            )
        elif marker == 0xDA:
            break
        position += 2 + length
    raise ValueError("JPEG stream has no frame header (SOF marker)")


def encapsulation_photometric(header: JpegHeader) -> str:
    """Return the PhotometricInterpretation of an encapsulated JPEG (DICOM PS3.5 section 8.2.1).

    Three-component streams are YCbCr unless an Adobe APP14 marker states that no color
    transform was applied or the component IDs spell "RGB". Subsampled YCbCr is
    YBR_FULL_422, which is what DCMTK img2dcm writes for JFIF files.
    """
    if header.components == 1:
        return "MONOCHROME2"
    is_rgb = header.adobe_transform == 0 or (
        header.adobe_transform is None and not header.has_jfif and header.component_ids == (82, 71, 66)
    )
    if is_rgb:
        return "RGB"
    return "YBR_FULL_422" if header.subsampled else "YBR_FULL"
