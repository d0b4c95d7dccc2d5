"""Archive destinations: the local folder archive, DICOM C-STORE and DICOMweb STOW-RS."""

from filmroom.destinations.base import Destination
from filmroom.destinations.dicomweb import DicomWebDestination
from filmroom.destinations.dimse import DimseDestination
from filmroom.destinations.factory import open_destination
from filmroom.destinations.local import LocalArchive
from filmroom.destinations.verify import VerifyResult, verify_sample

__all__ = [
    "Destination",
    "DicomWebDestination",
    "DimseDestination",
    "LocalArchive",
    "VerifyResult",
    "open_destination",
    "verify_sample",
]
