"""Score pressup analyses against ground truth (hand-made labels and rendered sessions).

* :func:`load_truth` reads either ground-truth format into one :class:`Truth`.
* :func:`score_clip` scores one prediction folder (``analysis.json`` + ``frames.csv``).
* :func:`evaluate` scores a folder of prediction folders against a folder of truth files.
* :func:`summarise` pools clip scores by dataset and camera; :func:`format_table` and
  :func:`format_details` render them as Markdown for ``docs/accuracy.md``.

Times are seconds from the first frame; angles are degrees.
"""

from __future__ import annotations

from pressup.evaluation.score import (
    BOUNDARY_MARGIN_S,
    GROUPS,
    SCORED_FAULT_CODES,
    ClipScore,
    FaultTally,
    GroupSummary,
    Metrics,
    Prediction,
    RepMatch,
    Summary,
    evaluate,
    format_details,
    format_table,
    load_prediction,
    match_reps,
    score_clip,
    summarise,
)
from pressup.evaluation.truth import (
    ANGLE_COLUMNS,
    CameraInfo,
    Truth,
    TruthFrames,
    TruthRep,
    load_truth,
    truth_files,
)

__all__ = [
    "ANGLE_COLUMNS",
    "BOUNDARY_MARGIN_S",
    "GROUPS",
    "SCORED_FAULT_CODES",
    "CameraInfo",
    "ClipScore",
    "FaultTally",
    "GroupSummary",
    "Metrics",
    "Prediction",
    "RepMatch",
    "Summary",
    "Truth",
    "TruthFrames",
    "TruthRep",
    "evaluate",
    "format_details",
    "format_table",
    "load_prediction",
    "load_truth",
    "match_reps",
    "score_clip",
    "summarise",
    "truth_files",
]
