"""Normalize names and chart numbers into the keys that matching compares."""

from __future__ import annotations

import functools
import re
import unicodedata

import jellyfish

# German transliteration: "Müller" is also written "Mueller", "Strauß" as "Strauss".
_TRANSLITERATION = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"}
_NOT_LETTER = re.compile(r"[^a-z]")

# Characters that OCR confuses in printed chart numbers, mapped to one representative.
_CONFUSABLE = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "i": "1",
        "S": "5",
        "s": "5",
        "B": "8",
        "Z": "2",
        "z": "2",
    }
)
_ID_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=200_000)
def name_variants(text: str) -> tuple[str, ...]:
    """Return the comparison keys of a name: accents stripped, and German transliteration.

    "Müller" gives ("muller", "mueller"); "Mueller" gives ("mueller",). Keys contain
    only the letters a-z, so "O'Brien" and "OBRIEN" share a key.
    """
    folded = text.casefold()
    transliterated = "".join(_TRANSLITERATION.get(ch, ch) for ch in folded)
    keys = []
    for form in (folded, transliterated):
        ascii_form = unicodedata.normalize("NFKD", form).encode("ascii", "ignore").decode("ascii")
        key = _NOT_LETTER.sub("", ascii_form)
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


def name_key(text: str) -> str:
    """Return the primary comparison key of a name ("" when it has no letters)."""
    variants = name_variants(text)
    return variants[0] if variants else ""


@functools.lru_cache(maxsize=200_000)
def phonetic_key(key: str) -> str:
    """Return the Metaphone key of a normalized name key."""
    return jellyfish.metaphone(key) if key else ""


def deletion_keys(key: str) -> tuple[str, ...]:
    """Return ``key`` with each single letter deleted, for finding names one edit apart."""
    if len(key) < 4:
        return ()
    return tuple({key[:i] + key[i + 1 :] for i in range(len(key))})


def id_key(text: str) -> str:
    """Return a chart number or patient ID as compared exactly: trimmed, no inner spaces, upper case."""
    return _ID_SPACES.sub("", text).upper()


def id_confusable_key(text: str) -> str:
    """Return an ID with OCR-confusable characters (O/0, I/1/l, S/5, B/8, Z/2) made equal."""
    return _ID_SPACES.sub("", text).translate(_CONFUSABLE).upper()


def id_without_zeros(text: str) -> str:
    """Return an ID without leading zeros; "00123" and "123" stay different charts elsewhere."""
    return id_key(text).lstrip("0")
