"""Read every jacket label (OCR), in parallel threads, with readings cached by content."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from filmroom.errors import BadInputError
from filmroom.ledger import Ledger
from filmroom.models import Reading
from filmroom.settings import LabelSettings
from filmroom.tasks.jackets import Jacket
from filmroom.tasks.serialize import reading_from_dict, reading_to_dict

logger = logging.getLogger(__name__)

LABEL_READING_VERSION = "1"


def read_jacket_labels(
    ledger: Ledger,
    jackets: list[Jacket],
    *,
    settings: LabelSettings,
    crop_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, str]:
    """Set ``jacket.reading`` for every film jacket with a label; return errors by jacket id."""
    from filmroom.labels.reader import read_label

    version = f"{LABEL_READING_VERSION}:{settings.language}"
    todo: list[Jacket] = []
    for jacket in jackets:
        if jacket.label is None:
            continue
        cached = ledger.cached(jacket.label.found.sha256, "label_reading", version)
        if cached is not None and (cached.get("crop_path") is None or Path(cached["crop_path"]).exists()):
            jacket.reading = reading_from_dict(cached)
        else:
            todo.append(jacket)

    errors: dict[str, str] = {}

    def work(jacket: Jacket) -> tuple[Jacket, Reading | None, str]:
        assert jacket.label is not None
        try:
            return jacket, read_label(jacket.label.found.path, settings=settings, crop_dir=crop_dir), ""
        except BadInputError as exc:
            return jacket, None, exc.reason
        except Exception as exc:  # noqa: BLE001 - one unreadable label must not stop the run
            logger.warning("Label of source %d could not be read: %s", jacket.label.source_id, type(exc).__name__)
            return jacket, None, f"{type(exc).__name__}: {exc}"

    workers = max(1, min(len(todo), os.cpu_count() or 1))
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for jacket, reading, error in pool.map(work, todo):
            done += 1
            if reading is None:
                errors[jacket.jacket_id] = error
            else:
                jacket.reading = reading
                assert jacket.label is not None
                ledger.cache(jacket.label.found.sha256, "label_reading", version, reading_to_dict(reading))
            if progress:
                progress(done, len(todo))
    return errors
