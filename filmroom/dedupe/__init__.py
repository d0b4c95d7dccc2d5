"""Duplicate detection by decoded-pixel hashes and confirmed perceptual hashes."""
