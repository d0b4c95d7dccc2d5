"""Patient list import, patient matching and the review workbook."""
