"""Offline analysis (engine over a whole track), the result contract and its folder."""

from pressup.analysis.io import read_analysis, write_folder
from pressup.analysis.result import (
    ANALYSIS_REVISION,
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
    "ANALYSIS_REVISION",
    "ANALYSIS_SCHEMA",
    "FAULT_CODES",
    "FRAME_COLUMNS",
    "LABELS",
    "Analysis",
    "Fault",
    "FrameTable",
    "Rep",
    "Segment",
    "read_analysis",
    "write_folder",
]
