"""Do two analyses of the same video give the same answers? (adaptive vs every-frame)

The published accuracy is measured with the pose model on every frame; adaptive sampling
(:mod:`pressup.pose.adaptive`) must give the same answers within :data:`HOLD_TOLERANCE_S` and
:data:`ANGLE_TOLERANCE_DEG`, with identical counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pressup.analysis.result import Analysis

#: Largest difference allowed in a repetition's hold time, seconds.
HOLD_TOLERANCE_S = 0.2
#: Largest difference allowed in a repetition's peak trunk or elbow angle, degrees.
ANGLE_TOLERANCE_DEG = 1.0


@dataclass
class Agreement:
    """How far one analysis is from a reference analysis of the same video.

    Attributes:
        count_ref, count: complete repetitions counted by the reference and by the other.
        reps_ref, reps: repetitions found (complete or not).
        max_hold_diff_s: largest hold-time difference over paired repetitions, seconds.
        max_angle_diff_deg: largest peak-angle difference (trunk or elbow), degrees.
        reps_paired: repetitions compared (the first ``min(reps_ref, reps)`` in order).
        reps_within: of those, how many are within both tolerances.
        problems: one line per difference past a tolerance (empty when they agree).
    """

    count_ref: int
    count: int
    reps_ref: int
    reps: int
    max_hold_diff_s: float = 0.0
    max_angle_diff_deg: float = 0.0
    reps_paired: int = 0
    reps_within: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when counts are identical and every paired rep is within the tolerances."""
        return not self.problems


def _diff(a: float, b: float) -> float:
    """``|a - b|``; 0 when both are NaN (both unmeasured), infinity when only one is."""
    if math.isnan(a) and math.isnan(b):
        return 0.0
    if math.isnan(a) or math.isnan(b):
        return math.inf
    return abs(a - b)


def compare(
    ref: Analysis,
    other: Analysis,
    hold_tol_s: float = HOLD_TOLERANCE_S,
    angle_tol_deg: float = ANGLE_TOLERANCE_DEG,
) -> Agreement:
    """Compare ``other`` with the reference ``ref`` repetition by repetition (in order)."""
    ag = Agreement(ref.rep_count, other.rep_count, len(ref.reps), len(other.reps))
    if ag.count_ref != ag.count:
        ag.problems.append(f"count {ag.count} instead of {ag.count_ref}")
    if ag.reps_ref != ag.reps:
        ag.problems.append(f"{ag.reps} repetitions found instead of {ag.reps_ref}")
    for r, o in zip(ref.reps, other.reps):
        ag.reps_paired += 1
        within = True
        hold = _diff(r.hold_s, o.hold_s)
        ag.max_hold_diff_s = max(ag.max_hold_diff_s, hold)
        if hold > hold_tol_s:
            within = False
            ag.problems.append(f"rep {r.index}: hold {o.hold_s:.2f} s instead of {r.hold_s:.2f} s")
        for name in ("peak_trunk_deg", "peak_elbow_deg"):
            a, b = getattr(r, name), getattr(o, name)
            d = _diff(a, b)
            ag.max_angle_diff_deg = max(ag.max_angle_diff_deg, d)
            if d > angle_tol_deg:
                within = False
                ag.problems.append(f"rep {r.index}: {name} {b:.1f} instead of {a:.1f}")
        ag.reps_within += within
    return ag
