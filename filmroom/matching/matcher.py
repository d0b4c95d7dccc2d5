"""Match a label, folder name or DICOM header reading to a patient of the list."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence

from filmroom.mapping.folder_names import ORDER_UNCERTAIN
from filmroom.matching.blocking import CandidateIndex
from filmroom.matching.comparisons import Level
from filmroom.matching.keys import PatientKeys, ReadingKeys
from filmroom.matching.model import Evidence, estimate_u, weigh_candidate
from filmroom.models import Candidate, Decision, MatchResult, Patient, Reading
from filmroom.settings import MatchSettings

logger = logging.getLogger(__name__)

# Prior probability that a label's patient is in the list at all. The rest of the
# probability mass stays with "somebody not in the list", so a lone weak candidate
# cannot reach a high score.
IN_LIST_PRIOR = 0.9
MAX_WEIGHT = 900.0  # bits; keeps 2**weight inside float range
TOP = 3
_STRONG_NAME = {Level.EXACT, Level.CLOSE}


def _strong(evidence: Evidence) -> bool:
    """Return whether evidence may support an automatic match.

    It may when a chart number, barcode or old PatientID agrees exactly or up to
    OCR-confusable characters, or when both owner surname and pet name agree. An owner
    alone, a pet name alone or an ID equal only without leading zeros never does.
    """
    if evidence.id_level in (Level.EXACT, Level.CONFUSABLE):
        return True
    names = evidence.name_levels
    return names.get("owner_last") in _STRONG_NAME and names.get("pet_name") in _STRONG_NAME


def _method(evidence: Evidence) -> str:
    if evidence.id_level is Level.EXACT and evidence.id_field:
        return {"patient_id_legacy": "dicom_patient_id"}.get(evidence.id_field, evidence.id_field)
    if evidence.id_level is Level.CONFUSABLE and evidence.id_field:
        return f"{evidence.id_field}_ocr_confusable"
    if "owner_last" in evidence.name_levels and "pet_name" in evidence.name_levels:
        return "owner_pet"
    return "partial"


def _swapped_owner_pet(reading: Reading) -> Reading:
    """Return a copy of ``reading`` with owner surname and pet name exchanged."""
    fields = dict(reading.fields)
    owner, pet = fields.pop("owner_last", None), fields.pop("pet_name", None)
    if pet:
        fields["owner_last"] = pet
    if owner:
        fields["pet_name"] = owner
    return Reading(fields=fields, text=reading.text, mean_confidence=reading.mean_confidence)


class Matcher:
    """Score patients against readings with Fellegi-Sunter weights and decide auto or review."""

    def __init__(self, patients: Sequence[Patient], settings: MatchSettings) -> None:
        self.settings = settings
        self.keys = [PatientKeys.of(p) for p in patients]
        self.u = estimate_u(self.keys)
        self.index = CandidateIndex(self.keys)
        self.log_prior = math.log2(IN_LIST_PRIOR / max(len(self.keys), 1))
        self.log_none = math.log2(1 - IN_LIST_PRIOR)
        logger.info("Matcher ready for %d patients", len(self.keys))

    def match(self, reading: Reading, *, study_date: dt.date | None = None) -> MatchResult:
        """Return the decision and the top three candidates for one reading.

        Each score is a posterior: the candidate's prior-weighted likelihood ratio
        divided by the sum over all candidates plus "not in the list". Equal candidates
        therefore split the score, and a tie never reaches the automatic margin.
        """
        hypotheses = [ReadingKeys.of(reading, study_date)]
        if reading.evidence.get(ORDER_UNCERTAIN):
            hypotheses.append(ReadingKeys.of(_swapped_owner_pet(reading), study_date))
        positions: set[int] = set()
        for reading_keys in hypotheses:
            positions |= self.index.candidates(reading_keys)
        if not positions:
            return MatchResult(Decision.UNMATCHED, [], "")

        caches: list[dict[object, object]] = [{} for _ in hypotheses]
        weighed = [(self._weigh(p, hypotheses, caches), p) for p in sorted(positions)]
        logs = [min(self.log_prior + e.weight, MAX_WEIGHT) for e, _ in weighed]
        top_log = max(max(logs), self.log_none)
        denominator = 2 ** (self.log_none - top_log) + sum(2 ** (x - top_log) for x in logs)
        scored = sorted(
            (
                (2 ** (x - top_log) / denominator, e, p)
                for x, (e, p) in zip(logs, weighed, strict=True)
            ),
            key=lambda item: (-item[0], self.keys[item[2]].patient.patient_id),
        )

        candidates = [
            Candidate(self.keys[p].patient.patient_id, round(score, 4), tuple(e.reasons))
            for score, e, p in scored[:TOP]
        ]
        best_score, best_evidence, _ = scored[0]
        second_score = scored[1][0] if len(scored) > 1 else 0.0
        method = _method(best_evidence)
        if (
            best_score >= self.settings.auto_min_score
            and best_score - second_score >= self.settings.auto_min_margin
            and _strong(best_evidence)
            and not best_evidence.confident_conflict
        ):
            return MatchResult(Decision.AUTO, candidates, method)
        # Tied candidates split the posterior, so each may stay below the plausible
        # score while together they make "in the list" likely: a person decides.
        in_list = sum(score for score, _, _ in scored)
        if best_score >= self.settings.plausible_min_score or in_list >= self.settings.plausible_min_score:
            return MatchResult(Decision.NEEDS_REVIEW, candidates, method)
        return MatchResult(Decision.UNMATCHED, candidates, method)

    def _weigh(
        self, position: int, hypotheses: list[ReadingKeys], caches: list[dict[object, object]]
    ) -> Evidence:
        """Weigh one patient against each reading hypothesis and keep the best one.

        There are two hypotheses only when the order of owner and pet name is unknown.
        """
        known = self.keys[position]
        evidences = [
            weigh_candidate(hypothesis, known, self.u, cache)
            for hypothesis, cache in zip(hypotheses, caches, strict=True)
        ]
        return max(evidences, key=lambda evidence: evidence.weight)
