"""Mapping data (column maps, label and folder-name patterns, synonyms) and the code that reads it."""
