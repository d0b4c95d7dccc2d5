"""Jacket label reading: page classification, OpenCV preprocessing, Tesseract OCR and field parsing."""
