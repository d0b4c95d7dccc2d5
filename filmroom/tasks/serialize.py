"""JSON forms of readings and candidates, for the ledger's cache and jacket rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from filmroom.models import Candidate, FieldValue, Reading


def reading_to_dict(reading: Reading) -> dict[str, Any]:
    return {
        "fields": {k: [v.value, v.confidence, v.source] for k, v in reading.fields.items()},
        "text": reading.text,
        "mean_confidence": reading.mean_confidence,
        "orientation": reading.orientation,
        "crop_path": str(reading.crop_path) if reading.crop_path else None,
        "evidence": {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
                     for k, v in reading.evidence.items()},
    }


def reading_from_dict(data: dict[str, Any]) -> Reading:
    return Reading(
        fields={k: FieldValue(str(v[0]), float(v[1]), str(v[2])) for k, v in data.get("fields", {}).items()},
        text=data.get("text", ""),
        mean_confidence=float(data.get("mean_confidence", 0.0)),
        orientation=int(data.get("orientation", 0)),
        crop_path=Path(data["crop_path"]) if data.get("crop_path") else None,
        evidence=dict(data.get("evidence", {})),
    )


def candidates_to_list(candidates: list[Candidate]) -> list[dict[str, Any]]:
    return [{"patient_id": c.patient_id, "score": c.score, "reasons": list(c.reasons)} for c in candidates]


def candidates_from_list(data: list[dict[str, Any]]) -> list[Candidate]:
    return [Candidate(d["patient_id"], float(d["score"]), tuple(d.get("reasons", ()))) for d in data]
