"""Archive destinations: the local folder archive, DICOM C-STORE and DICOMweb STOW-RS."""
