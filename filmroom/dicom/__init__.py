"""DICOM writing: Secondary Capture objects from images, and legacy DICOM re-mapped to a patient."""
