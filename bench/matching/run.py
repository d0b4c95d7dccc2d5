"""Benchmark the patient matcher against a naive fuzzy baseline on seeded synthetic data.

Run: .venv/bin/python -m bench.matching.run [--labels 1000 --patients 20000 --scale-labels 10000 --scale-patients 100000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from rapidfuzz import fuzz, process, utils

from bench.matching.generate import Label, make_labels, make_patients
from filmroom.matching.matcher import Matcher
from filmroom.models import Decision, Patient
from filmroom.settings import MatchSettings

Outcome = tuple[Decision, str | None, tuple[str, ...]]  # decision, best patient ID, top-3 IDs


def _summary(
    name: str, labels: Sequence[Label], outcomes: Sequence[Outcome], seconds: float
) -> dict[str, object]:
    total = len(labels)
    wrong_auto = sum(
        1
        for lab, (d, pid, _) in zip(labels, outcomes, strict=True)
        if d is Decision.AUTO and pid != lab.truth
    )
    auto = sum(1 for d, _, _ in outcomes if d is Decision.AUTO)
    review = sum(1 for d, _, _ in outcomes if d is Decision.NEEDS_REVIEW)
    reviewed_known = [
        (lab, top)
        for lab, (d, _, top) in zip(labels, outcomes, strict=True)
        if d is Decision.NEEDS_REVIEW and lab.truth
    ]
    top3_hits = sum(1 for lab, top in reviewed_known if lab.truth in top)
    printed_known = [
        (lab, o) for lab, o in zip(labels, outcomes, strict=True) if lab.printed and lab.truth
    ]
    printed_auto = sum(
        1 for lab, (d, pid, _) in printed_known if d is Decision.AUTO and pid == lab.truth
    )
    return {
        "method": name,
        "wrong auto": wrong_auto,
        "auto %": 100 * auto / total,
        "review %": 100 * review / total,
        "unmatched %": 100 * (total - auto - review) / total,
        "auto % printed, in list": 100 * printed_auto / max(1, len(printed_known)),
        "review: truth in top 3 %": 100 * top3_hits / max(1, len(reviewed_known)),
        "seconds": seconds,
    }


def run_matcher(
    patients: list[Patient], labels: Sequence[Label], settings: MatchSettings
) -> tuple[list[Outcome], float, float]:
    """Return outcomes, index build seconds and matching seconds."""
    start = time.perf_counter()
    matcher = Matcher(patients, settings)
    built = time.perf_counter()
    outcomes = []
    for label in labels:
        result = matcher.match(label.reading)
        top = tuple(c.patient_id for c in result.candidates)
        outcomes.append((result.decision, top[0] if top else None, top))
    return outcomes, built - start, time.perf_counter() - built


def run_baseline(patients: list[Patient], labels: Sequence[Label]) -> tuple[list[Outcome], float]:
    """Best fuzz.WRatio of "owner first pet chart" over all patients; automatic at 90 or more."""
    start = time.perf_counter()
    choices = [
        utils.default_process(f"{p.owner_last} {p.owner_first} {p.pet_name} {p.patient_id}")
        for p in patients
    ]
    outcomes: list[Outcome] = []
    for label in labels:
        read = label.reading
        query = " ".join(
            read.value(k) or "" for k in ("owner_last", "owner_first", "pet_name", "chart_number")
        )
        best = process.extract(
            utils.default_process(query), choices, scorer=fuzz.WRatio, processor=None, limit=3
        )
        if not best:
            outcomes.append((Decision.UNMATCHED, None, ()))
            continue
        decision = Decision.AUTO if best[0][1] >= 90 else Decision.NEEDS_REVIEW
        top = tuple(patients[index].patient_id for _, _, index in best)
        outcomes.append((decision, top[0], top))
    return outcomes, time.perf_counter() - start


def _table(rows: list[dict[str, object]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = [f"{v:.1f}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1000, help="labels in the accuracy run")
    parser.add_argument("--patients", type=int, default=20000, help="patients in the accuracy run")
    parser.add_argument(
        "--scale-labels", type=int, default=10000, help="labels in the timing run (0 skips it)"
    )
    parser.add_argument(
        "--scale-patients", type=int, default=100000, help="patients in the timing run"
    )
    parser.add_argument(
        "--auto-min-score", type=float, default=None, help="override MatchSettings.auto_min_score"
    )
    parser.add_argument(
        "--auto-min-margin", type=float, default=None, help="override MatchSettings.auto_min_margin"
    )
    args = parser.parse_args(argv)

    settings = MatchSettings()
    if args.auto_min_score is not None:
        settings = settings.model_copy(update={"auto_min_score": args.auto_min_score})
    if args.auto_min_margin is not None:
        settings = settings.model_copy(update={"auto_min_margin": args.auto_min_margin})
    patients = make_patients(args.patients)
    labels = make_labels(patients, args.labels)
    outcomes, build, seconds = run_matcher(patients, labels, settings)
    base_outcomes, base_seconds = run_baseline(patients, labels)
    rows = [
        _summary("filmroom Matcher", labels, outcomes, build + seconds),
        _summary("naive WRatio >= 90", labels, base_outcomes, base_seconds),
    ]
    print(f"{args.labels} labels x {args.patients} patients, settings {settings.model_dump()}")
    print(_table(rows))
    print(f"time ratio baseline / matcher: {base_seconds / (build + seconds):.1f}")

    if args.scale_labels:
        big = make_patients(args.scale_patients, seed=3)
        big_labels = make_labels(big, args.scale_labels, seed=4)
        big_outcomes, big_build, big_seconds = run_matcher(big, big_labels, settings)
        row = _summary("filmroom Matcher", big_labels, big_outcomes, big_build + big_seconds)
        print(
            f"\n{args.scale_labels} labels x {args.scale_patients} patients: index {big_build:.1f} s, "
            f"matching {big_seconds:.1f} s, total {big_build + big_seconds:.1f} s"
        )
        print(_table([row]))


if __name__ == "__main__":
    main()
