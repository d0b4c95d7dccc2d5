"""The generator is deterministic and the committed sample is its output."""

from __future__ import annotations

from pathlib import Path

import subprocess
import sys
from collections.abc import Callable

import pytest

GENERATED = ("films", "share", "patients.csv", "EXPECTED.csv")


def generated_files(root: Path) -> dict[str, bytes]:
    files = {}
    for name in GENERATED:
        top = root / name
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in paths:
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def test_committed_sample_matches_generation(fresh_sample: Path, sample_root: Path) -> None:
    # Image bytes depend on the installed Pillow, FreeType, zlib and OpenJPEG builds, so
    # only the file list and the text files must match a fresh generation exactly.
    committed = generated_files(sample_root)
    fresh = generated_files(fresh_sample)
    texts = [name for name in committed if name.endswith((".csv", ".txt"))]

    assert sorted(committed) == sorted(fresh), "rerun: python scripts/make_sample_data.py"
    assert texts
    assert [name for name in texts if committed[name] != fresh[name]] == []


@pytest.mark.slow
def test_generator_second_run_identical(
    fresh_sample: Path, generate_sample: Callable[[Path], None], tmp_path: Path
) -> None:
    generate_sample(tmp_path)
    first = generated_files(fresh_sample)
    second = generated_files(tmp_path)
    assert sorted(first) == sorted(second)
    changed = [name for name in first if first[name] != second[name]]
    assert changed == []


def test_generator_missing_sources_message(repo_root: Path, tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(repo_root / "scripts" / "make_sample_data.py"),
        "--out",
        str(tmp_path / "out"),
        "--shared-data",
        str(tmp_path / "missing"),
    ]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "patients.csv").write_text("kept\n")
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "source radiographs not found" in result.stderr
    assert "--shared-data" in result.stderr
    assert (tmp_path / "out" / "patients.csv").read_text() == "kept\n"
