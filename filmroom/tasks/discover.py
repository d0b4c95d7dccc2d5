"""Find every file under the source folders, fingerprint it (SHA-256) and sniff its format."""

from __future__ import annotations

import hashlib
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from natsort import natsort_keygen

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".tif", ".tiff", ".png", ".jpg", ".jpeg", ".jpe", ".bmp", ".gif"}
DICOM_SUFFIXES = {".dcm", ".dicom", ".dic", ".ima"}
_natural_key = natsort_keygen()


@dataclass(frozen=True)
class FoundFile:
    """One file found under a source folder."""

    path: Path  # absolute
    display_path: str  # root folder name plus the path below it, with forward slashes
    root: Path
    root_kind: str  # films | share
    size: int
    mtime_ns: int
    sha256: str
    file_format: str  # dicom | image | empty | gzip | broken_link | other


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def sniff_format(path: Path, size: int) -> str:
    """Return ``dicom``, ``image``, ``empty``, ``gzip`` or ``other`` from the file's first bytes."""
    if size == 0:
        return "empty"

    with path.open("rb") as handle:
        head = handle.read(132)

    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")):
        return "image"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if _looks_like_bare_dataset(head):
        return "dicom"
    return "other"


def _looks_like_bare_dataset(head: bytes) -> bool:
    """Return whether the bytes start like a DICOM data set written without preamble or file meta.

    Such files begin with an element of group 0002 or 0008 in little or big endian
    order. In an explicit VR file, two upper-case letters follow the tag.
    """
    if len(head) < 8:
        return False
    group_le, element_le = struct.unpack("<HH", head[:4])
    group_be, _ = struct.unpack(">HH", head[:4])
    if group_le in (0x0002, 0x0008) and element_le < 0x0200:
        return True
    return group_be in (0x0002, 0x0008) and head[4:6].isalpha() and head[4:6].isupper()


def walk_files(root: Path) -> list[Path]:
    """List every file below ``root`` in natural sort order.

    Symbolic links to folders are followed once each (a link back to a folder already
    walked is not entered again), and links that point nowhere are listed too, so the
    report can name them.
    """
    found: list[Path] = []
    walked: set[str] = set()
    for folder, subfolders, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in walked:
            subfolders[:] = []
            continue
        walked.add(real)
        subfolders.sort(key=_natural_key)
        for name in files:
            path = Path(folder) / name
            if path.is_file() or path.is_symlink():
                found.append(path)
    found.sort(key=lambda p: _natural_key(str(p.relative_to(root))))
    return found


def display_base(roots: list[Path]) -> Path:
    """Return the folder that report paths are relative to: the common parent of the roots.

    With one root, paths start with the root's name. With ``/a/box1/scans`` and
    ``/a/box2/scans`` they start with ``box1/scans`` and ``box2/scans``, so files of
    two roots with the same name never share a report path or a jacket.
    """
    return Path(os.path.commonpath([str(root.parent) for root in roots]))


def discover(roots: list[tuple[Path, str]], known_hash=None) -> list[FoundFile]:
    """Find and fingerprint every file under ``roots`` (pairs of folder and ``films``/``share``).

    ``known_hash(path, size, mtime_ns)`` may return a SHA-256 computed by an earlier
    run for an unchanged file, which saves reading it again.
    """
    results: list[FoundFile] = []
    seen: set[Path] = set()
    absolute_roots = [(Path(os.path.abspath(root)), kind) for root, kind in roots]
    base = display_base([root for root, _ in absolute_roots])
    for root, root_kind in absolute_roots:
        for path in walk_files(root):
            if path in seen:
                continue
            seen.add(path)
            display = path.relative_to(base).as_posix()
            if not path.exists():
                results.append(FoundFile(path, display, root, root_kind, 0, 0, "", "broken_link"))
                continue
            stat = path.stat()
            digest = known_hash(str(path), stat.st_size, stat.st_mtime_ns) if known_hash else None
            if digest is None:
                digest = sha256_file(path)
            results.append(
                FoundFile(
                    path=path,
                    display_path=display,
                    root=root,
                    root_kind=root_kind,
                    size=stat.st_size,
                    mtime_ns=stat.st_mtime_ns,
                    sha256=digest,
                    file_format=sniff_format(path, stat.st_size),
                )
            )
    logger.info("Found %d files under %d source folders", len(results), len(roots))
    return results
