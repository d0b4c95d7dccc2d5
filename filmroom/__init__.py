"""filmroom: move a veterinary practice's legacy radiographs into a DICOM archive."""

__version__ = "0.1.0"
