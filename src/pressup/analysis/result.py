"""The analysis result and its stable JSON contract (schema ``pressup.analysis/1``).

All times are seconds from the first frame; all angles are degrees.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pressup.vocab import FAULT_CODES as FAULT_CODES  # re-exported: the old import path
from pressup.vocab import LABELS as LABELS
from pressup.vocab import RAISED_LABELS as RAISED_LABELS
from pressup.vocab import FaultCode, Posture, UnfinishedReason

#: Revision of what an analysis gives for the same input: raised by one whenever a change to
#: the pose sampling, kinematics, engine or analysis changes any analysed value (a count, a
#: time, an angle, a fault) for the same video and protocol. Batch results made at another
#: revision are made again (:meth:`pressup.batch.job.Job.key`); every result records it.
#: ``tests/unit/analysis/test_revision.py`` fails when the analysis of its corpus tracks
#: changes while this stays the same.
ANALYSIS_REVISION = 3

ANALYSIS_SCHEMA = "pressup.analysis/1"

#: Columns of ``frames.csv`` (and of :class:`FrameTable`), with units.
FRAME_COLUMNS: tuple[str, ...] = (
    "t_s",  # seconds from the first frame
    "trunk_deg",  # degrees, hip->shoulder elevation above the floor
    "elbow_deg",  # degrees, interior shoulder-elbow-wrist angle (180 = straight)
    "hip_ext_deg",  # degrees, 180 - interior shoulder-hip-knee angle
    "neck_deg",  # degrees, shoulder->ear against hip->shoulder, + = head tipped back
    "shrug_ratio",  # ear-shoulder distance / shoulder-hip distance (smaller = shrugged)
    "hip_lift",  # pelvis height above its lying level, fraction of trunk length
)


@dataclass(frozen=True)
class Fault:
    """One form fault interval. ``rep`` is the 1-based rep index or ``None`` between reps."""

    code: FaultCode
    start_s: float
    end_s: float
    rep: int | None = None


@dataclass(frozen=True)
class Rep:
    """One press-up repetition.

    ``start_s``: trunk starts rising; ``top_start_s``/``top_end_s``: the hold at the top;
    ``end_s``: trunk back down. Durations ``press_s``, ``hold_s``, ``lower_s`` in seconds.
    ``peak_trunk_deg``: the highest trunk angle of the repetition; ``peak_elbow_deg``: the
    elbow angle held at the top, the mean over the top's frames where the elbow was seen (NaN
    when it never was); degrees. ``complete`` is True only when rise, top and return to the
    floor were all seen.
    """

    index: int
    start_s: float
    top_start_s: float
    top_end_s: float
    end_s: float
    press_s: float
    hold_s: float
    lower_s: float
    variant: Posture
    peak_trunk_deg: float
    peak_elbow_deg: float
    faults: list[Fault] = field(default_factory=list)
    complete: bool = True
    #: why an incomplete repetition does not count: ``not_from_floor`` (it did not start from
    #: lying), ``no_hold``, ``lowering_not_seen`` or ``ended_up`` (the recording ended first)
    not_counted: UnfinishedReason | None = None


@dataclass(frozen=True)
class Segment:
    """A contiguous interval ``[start_s, end_s)`` with one position label."""

    start_s: float
    end_s: float
    label: str  # one of LABELS


@dataclass
class FrameTable:
    """Per-frame series: ``columns[name]`` is a ``(frame,)`` float array (NaN = unknown)."""

    columns: dict[str, npt.NDArray[np.float64]]
    label: list[str]  # one of LABELS per frame
    tracked: npt.NDArray[np.bool_]

    @property
    def t_s(self) -> npt.NDArray[np.float64]:
        return self.columns["t_s"]

    def write_csv(self, path: str | Path) -> Path:
        """Write ``frames.csv``: :data:`FRAME_COLUMNS`, then ``label`` and ``tracked`` (0/1)."""
        p = Path(path)
        with p.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([*FRAME_COLUMNS, "label", "tracked"])
            cols = [self.columns[c] for c in FRAME_COLUMNS]
            for i in range(len(self.label)):
                row: list[Any] = []
                for j, c in enumerate(cols):
                    v = float(c[i])
                    row.append("" if math.isnan(v) else (f"{v:.3f}" if j == 0 else f"{v:.2f}"))
                row.append(self.label[i])
                row.append(int(bool(self.tracked[i])))
                w.writerow(row)
        return p


@dataclass
class Analysis:
    """Everything one analysis found. :meth:`to_dict` is the JSON contract."""

    source: dict[str, Any]
    pose: dict[str, Any]
    view: dict[str, Any]
    reps: list[Rep]
    segments: list[Segment]
    faults: list[Fault]
    protocol: dict[str, Any]
    frames: FrameTable
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rep_count(self) -> int:
        """Completed press-ups only."""
        return sum(1 for r in self.reps if r.complete)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": ANALYSIS_SCHEMA,
            "source": self.source,
            "pose": self.pose,
            "view": self.view,
            "rep_count": self.rep_count,
            "reps": [_round(asdict(r)) for r in self.reps],
            "segments": [_round(asdict(s)) for s in self.segments],
            "faults": [_round(asdict(f)) for f in self.faults],
            "protocol": self.protocol,
        }

    def write_json(self, path: str | Path) -> Path:
        p = Path(path)
        p.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return p


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if math.isnan(obj) else round(obj, 3)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj
