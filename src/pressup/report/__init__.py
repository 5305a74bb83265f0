"""Reports of an analysis: the self-contained HTML report and the annotated overlay video.

* :func:`write_report` writes one HTML file (summary, per-rep table, inline SVG plots, glossary).
* :func:`write_overlay` draws skeleton, position, rep count and hold timer on the video.
* :mod:`pressup.wording` holds the plain words for faults and positions.
"""

from __future__ import annotations

from pressup.report.html import render_report, write_report
from pressup.report.overlay import write_overlay
from pressup.wording import FAULT_WORDING, LABEL_WORDING, VARIANT_WORDING

__all__ = [
    "FAULT_WORDING",
    "LABEL_WORDING",
    "VARIANT_WORDING",
    "render_report",
    "write_overlay",
    "write_report",
]
