"""Offline analysis (engine over a whole track) and the result contract."""

from pressup.analysis.result import (
    ANALYSIS_SCHEMA,
    FAULT_CODES,
    FRAME_COLUMNS,
    LABELS,
    Analysis,
    Fault,
    FrameTable,
    Rep,
    Segment,
)

__all__ = [
    "ANALYSIS_SCHEMA",
    "FAULT_CODES",
    "FRAME_COLUMNS",
    "LABELS",
    "Analysis",
    "Fault",
    "FrameTable",
    "Rep",
    "Segment",
]
