"""Benchmark label reading against the plain ``tesseract IMG stdout`` command.

Usage:
    .venv/bin/python -m bench.labels.make_labels
    .venv/bin/python -m bench.labels.run [--limit N] [--documents ../shared/data/documents]

For each synthetic label, ``read_label`` and the plain command run on the same image
one after the other, alternating which goes first, so machine noise hits both. Reports
per field the exact accuracy and the confident-but-wrong rate (confidence at or above
``auto_accept_confidence`` with a wrong value), for printed and hand-lettered labels,
and the seconds per label of both readers with their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from collections import defaultdict
from pathlib import Path

from filmroom.labels.classify import classify_page
from filmroom.labels.reader import read_label
from filmroom.settings import LabelSettings

FIELDS = ("owner_last", "pet_name", "chart_number", "study_date", "species", "region", "view")


def _same(name: str, expected: str, found: str) -> bool:
    if name in ("owner_last", "pet_name"):
        return expected.casefold() == found.casefold()
    return expected == found


def _plain_tesseract(path: Path, threads: str | None) -> float:
    """Time the plain command; ``threads`` sets OMP_THREAD_LIMIT, None leaves Tesseract's default."""
    environment = dict(os.environ)
    environment.pop("OMP_THREAD_LIMIT", None)
    if threads is not None:
        environment["OMP_THREAD_LIMIT"] = threads
    start = time.perf_counter()
    subprocess.run(
        ["tesseract", str(path), "stdout"], check=True, capture_output=True, env=environment
    )
    return time.perf_counter() - start


def _time_plain(path: Path, seconds: dict[str, float]) -> None:
    seconds["tesseract"] += _plain_tesseract(path, "1")
    seconds["tesseract_default_threads"] += _plain_tesseract(path, None)


def _bench_synthetic(
    root: Path, limit: int | None, settings: LabelSettings
) -> tuple[list[str], list[dict]]:
    truths = json.loads((root / "truth.json").read_text(encoding="utf-8"))[:limit]
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds = {"read_label": 0.0, "tesseract": 0.0, "tesseract_default_threads": 0.0}
    rows = []
    classified: dict[str, int] = defaultdict(int)
    for index, truth in enumerate(truths):
        path = root / "images" / truth["file"]
        if index % 2:
            _time_plain(path, seconds)
        start = time.perf_counter()
        reading = read_label(path, settings=settings)
        seconds["read_label"] += time.perf_counter() - start
        if not index % 2:
            _time_plain(path, seconds)

        style = truth["style"]
        classified[classify_page(path).kind] += 1
        row = {
            "file": truth["file"],
            "style": style,
            "orientation": reading.orientation,
            "wrong": [],
        }
        for name in FIELDS:
            expected = truth["fields"].get(name)
            if expected is None:
                continue
            bucket = counts[(style, name)]
            bucket["total"] += 1
            found = reading.fields.get(name)
            if found is not None and _same(name, expected, found.value):
                bucket["exact"] += 1
            elif found is not None:
                confident = found.confidence >= settings.auto_accept_confidence
                bucket["confident_wrong"] += confident
                row["wrong"].append((name, expected, found.value, found.confidence))
            if found is not None and found.confidence >= settings.auto_accept_confidence:
                bucket["accepted"] += 1
        rows.append(row)

    labels = len(truths)
    lines = [
        (
            f"Synthetic labels: {labels} ({sum(t['style'] == 'printed' for t in truths)} printed/typed, "
            f"{sum(t['style'] == 'hand' for t in truths)} hand-lettered)"
        ),
        "",
        "classify_page on the same images: "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(classified.items())),
        "",
        "| style | field | labels | exact | confident-but-wrong | auto-accepted |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for style in ("printed", "hand"):
        for name in FIELDS:
            bucket = counts.get((style, name))
            if not bucket:
                continue
            total = bucket["total"]
            lines.append(
                f"| {style} | {name} | {total} | {bucket['exact'] / total:.1%} | "
                f"{bucket['confident_wrong'] / total:.1%} | {bucket['accepted'] / total:.1%} |"
            )
    own = seconds["read_label"]
    lines += [
        "",
        "| reader | seconds per label | read_label / this |",
        "|---|---:|---:|",
        f"| read_label (OMP_THREAD_LIMIT=1) | {own / labels:.3f} | 1.00x |",
        (
            f"| tesseract IMG stdout, OMP_THREAD_LIMIT=1 | {seconds['tesseract'] / labels:.3f} | "
            f"{own / seconds['tesseract']:.2f}x |"
        ),
        (
            f"| tesseract IMG stdout, default threads | {seconds['tesseract_default_threads'] / labels:.3f} | "
            f"{own / seconds['tesseract_default_threads']:.2f}x |"
        ),
    ]
    return lines, rows


def _bench_documents(folder: Path, settings: LabelSettings) -> list[str]:
    lines = [
        "",
        "Real documents (no field ground truth):",
        "",
        "| file | class | turned | mean conf | fields read |",
        "|---|---|---:|---:|---|",
    ]
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in (".png", ".tif", ".tiff", ".jpg"):
            continue
        page = classify_page(path)
        reading = read_label(path, settings=settings)
        fields = ", ".join(
            f"{name}={value.value} ({value.confidence:.2f})"
            for name, value in reading.fields.items()
        )
        lines.append(
            f"| {path.relative_to(folder)} | {page.kind} | {reading.orientation} | {reading.mean_confidence:.2f} | {fields or '-'} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark read_label against plain tesseract")
    parser.add_argument(
        "--labels", type=Path, default=Path("bench/out/labels"), help="folder made by make_labels"
    )
    parser.add_argument("--limit", type=int, default=None, help="read only the first N labels")
    parser.add_argument(
        "--documents", type=Path, default=None, help="folder of real documents to read too"
    )
    parser.add_argument(
        "--errors", type=Path, default=None, help="write wrong readings as JSON here"
    )
    args = parser.parse_args()

    settings = LabelSettings()
    lines, rows = _bench_synthetic(args.labels, args.limit, settings)
    if args.documents is not None:
        lines += _bench_documents(args.documents, settings)
    print("\n".join(lines))
    if args.errors is not None:
        args.errors.write_text(
            json.dumps([r for r in rows if r["wrong"]], indent=1), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
