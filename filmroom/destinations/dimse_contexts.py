"""Presentation contexts for C-STORE, built from the files that are about to be sent."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pydicom.uid import (
    JPEG2000,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom.presentation import PresentationContext, build_context

from filmroom.destinations.base import InstanceHeader

logger = logging.getLogger(__name__)

# PS3.8 section 9.3.2.2: a proposal may hold at most 128 presentation contexts.
MAX_CONTEXTS = 128
NATIVE_SYNTAXES = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
UNCOMPRESSED_SYNTAXES = frozenset(
    {ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian}
)
# Syntaxes offered when receiving objects over C-GET of an object whose stored transfer
# syntax is unknown, so the SCP can send it as stored.
RETRIEVE_SYNTAXES = (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    JPEGLosslessSV1,
    RLELossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEG2000,
    JPEGLSNearLossless,
    DeflatedExplicitVRLittleEndian,
)


def storage_contexts(headers: Iterable[InstanceHeader]) -> list[PresentationContext]:
    """Propose the contexts needed to send these files as they are, or uncompressed.

    Each SOP Class gets one context with Explicit and Implicit VR Little Endian (plus
    Big Endian when a file uses it), and one more context for each compressed
    transfer syntax among its files. Separate contexts let the SCP accept the
    compressed syntax and the uncompressed fallback independently.
    """
    wanted: dict[tuple[str, tuple[str, ...]], None] = {}
    for header in headers:
        syntax = header.transfer_syntax_uid
        if syntax in UNCOMPRESSED_SYNTAXES:
            native = tuple(dict.fromkeys((syntax, *NATIVE_SYNTAXES)))
            wanted[(header.sop_class_uid, native)] = None
        else:
            wanted[(header.sop_class_uid, NATIVE_SYNTAXES)] = None
            wanted[(header.sop_class_uid, (syntax,))] = None

    # The native fallback contexts come first so that truncation drops compressed ones.
    ordered = sorted(wanted, key=lambda item: item[1] != NATIVE_SYNTAXES and len(item[1]) == 1)
    if len(ordered) > MAX_CONTEXTS:
        logger.warning(
            "%d presentation contexts needed but at most %d fit in one association; "
            "files of the dropped SOP Class and transfer syntax pairs are sent uncompressed or rejected",
            len(ordered),
            MAX_CONTEXTS,
        )
        ordered = ordered[:MAX_CONTEXTS]
    return [
        build_context(UID(sop_class), [UID(ts) for ts in syntaxes])
        for sop_class, syntaxes in ordered
    ]


def retrieve_contexts(
    sop_class_uid: str, transfer_syntax_uid: str | None = None
) -> list[PresentationContext]:
    """Propose the contexts on which a C-GET SCP sends instances of one SOP Class back.

    Each transfer syntax gets a context of its own, because an SCP accepts one syntax
    per context. With all syntaxes in one context, Orthanc 1.10 accepts Explicit VR
    Little Endian. It then decodes a JPEG object, or fails with 0xC000 when it cannot
    transcode a JPEG 2000 one. With ``transfer_syntax_uid`` (the syntax of the stored
    object), only that syntax and the uncompressed ones are proposed, in that order.
    """
    if transfer_syntax_uid:
        syntaxes = tuple(dict.fromkeys((transfer_syntax_uid, *NATIVE_SYNTAXES)))
    else:
        syntaxes = RETRIEVE_SYNTAXES
    return [build_context(UID(sop_class_uid), [UID(syntax)]) for syntax in syntaxes]


def is_uncompressed(transfer_syntax_uid: str) -> bool:
    """Return True for the Little and Big Endian native transfer syntaxes."""
    return transfer_syntax_uid in UNCOMPRESSED_SYNTAXES
