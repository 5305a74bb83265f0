"""Score pressup analyses (``analysis.json`` + ``frames.csv`` per clip) against ground truth.

Metrics, per clip and pooled over groups of clips (all, real, render, and render by camera):

* **Rep count**: the predicted ``rep_count`` against the expected count of complete reps.
* **Rep timing**: predicted and true reps are matched one-to-one by greatest time overlap of
  their ``[start, end]`` intervals (the top interval stands in for an unknown start or end).
  Hold error ``|pred hold_s - true hold_s|`` (s) over matched *complete* true reps; boundary
  errors (s) of start vs rise start, top start, top end and end vs lowering end, wherever both
  times exist and the true time is a real event (not clamped to the clip's start or end).
* **Per-frame labels**: each ``frames.csv`` row against the true label at that time (the true
  segment containing it, or the nearest rendered frame). Overall, and excluding frames within
  :data:`BOUNDARY_MARGIN_S` of a true label change; plus a confusion matrix.
* **Angles** (render only): signed and absolute errors in degrees per column over tracked rows
  with finite values; the elbow only where the true phase is not rest; also during holds only.
* **Faults** (render only): precision and recall of the fault codes, per code and overall.
  ``short_hold`` has no render truth and is only counted.

Times are seconds from the first frame; angles are degrees.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pressup.analysis.io import ANALYSIS_FILE, FRAMES_FILE, read_analysis
from pressup.analysis.result import Fault, FrameTable, Rep
from pressup.errors import InputError
from pressup.evaluation.truth import (
    ANGLE_COLUMNS,
    Truth,
    TruthRep,
    as_opt_float,
    load_truth,
    read_json,
    rep_interval,
    truth_files,
)
from pressup.vocab import FAULT_CODES, LABELS

#: Frames within this many seconds of a true label change are left out of the "core" accuracy.
BOUNDARY_MARGIN_S = 0.25
#: A predicted fault also counts for a true rep when it overlaps [press start, lower end + this].
FAULT_WINDOW_AFTER_S = 1.0
#: Fault codes with render ground truth (``short_hold`` has none).
SCORED_FAULT_CODES: tuple[str, ...] = tuple(c for c in FAULT_CODES if c != "short_hold")
#: Rep boundaries compared: predicted field vs true field.
BOUNDARY_KINDS: tuple[str, ...] = ("start", "top_start", "top_end", "end")
#: Aggregation groups, in report order.
GROUPS: tuple[str, ...] = ("all", "real", "render", "render/level", "render/turned-or-high")
GROUP_TITLES: dict[str, str] = {
    "all": "all clips",
    "real": "real",
    "render": "render",
    "render/level": "render, level side view",
    "render/turned-or-high": "render, turned or high camera",
}

ERROR_FILE = "error.json"


# --------------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PredFault:
    """A predicted fault: ``code``, its interval in seconds (``None`` if unknown), 1-based rep."""

    code: str
    start_s: float | None
    end_s: float | None
    rep: int | None


@dataclass(frozen=True)
class PredRep:
    """A predicted repetition (times in seconds, any may be ``None``)."""

    index: int
    start_s: float | None
    top_start_s: float | None
    top_end_s: float | None
    end_s: float | None
    hold_s: float | None
    variant: str | None
    complete: bool
    faults: tuple[PredFault, ...] = ()

    def interval(self) -> tuple[float, float] | None:
        """``[start, end]`` (s) for matching; the top interval stands in for unknown ends."""
        return rep_interval(self.start_s, self.top_start_s, self.top_end_s, self.end_s)


@dataclass(frozen=True)
class PredFrames:
    """Rows of ``frames.csv``: ``t_s`` (s), ``label``, ``tracked`` and the numeric columns."""

    t_s: npt.NDArray[np.float64]
    label: npt.NDArray[np.str_]
    tracked: npt.NDArray[np.bool_]
    columns: dict[str, npt.NDArray[np.float64]]


@dataclass(frozen=True)
class Prediction:
    """What pressup wrote for one clip. ``faults`` joins top-level and per-rep faults."""

    path: Path
    rep_count: int
    reps: tuple[PredRep, ...]
    faults: tuple[PredFault, ...]
    duration_s: float | None
    target_hold_s: float | None
    frames: PredFrames | None


def load_prediction(pred_dir: str | Path) -> Prediction:
    """Read ``<pred_dir>/analysis.json`` and (if present) ``<pred_dir>/frames.csv`` (through
    :func:`pressup.analysis.io.read_analysis`).

    Raises:
        InputError: ``analysis.json`` is missing or does not follow ``pressup.analysis/1``,
            or ``frames.csv`` is malformed.
    """
    d = Path(pred_dir)
    path = d / ANALYSIS_FILE
    refusal = d / ERROR_FILE
    if not path.is_file() and refusal.is_file():
        # pressup refused the clip (e.g. filmed head-on): it counted no press-ups
        return Prediction(
            path=d,
            rep_count=0,
            reps=(),
            faults=(),
            duration_s=None,
            target_hold_s=None,
            frames=None,
        )
    analysis = read_analysis(path, events=False)
    reps = tuple(_pred_rep(r) for r in analysis.reps)
    faults: dict[tuple[str, float | None, float | None, int | None], PredFault] = {}
    for f in (*(_pred_fault(f) for f in analysis.faults), *(f for r in reps for f in r.faults)):
        faults.setdefault((f.code, f.start_s, f.end_s, f.rep), f)
    duration = _opt_number(analysis.source.get("duration_s"), path, "source.duration_s")
    target = _opt_number(analysis.protocol.get("target_hold_s"), path, "protocol.target_hold_s")
    return Prediction(
        path=d,
        rep_count=analysis.rep_count,
        reps=reps,
        faults=tuple(faults.values()),
        duration_s=duration,
        target_hold_s=target,
        frames=_pred_frames(analysis.frames) if (d / FRAMES_FILE).is_file() else None,
    )


def _known(x: float) -> float | None:
    return None if math.isnan(x) else x


def _opt_number(value: Any, path: Path, key: str) -> float | None:
    return None if value is None else as_opt_float(value, path, key)


def _pred_fault(f: Fault) -> PredFault:
    return PredFault(code=f.code, start_s=_known(f.start_s), end_s=_known(f.end_s), rep=f.rep)


def _pred_rep(r: Rep) -> PredRep:
    return PredRep(
        index=r.index,
        start_s=_known(r.start_s),
        top_start_s=_known(r.top_start_s),
        top_end_s=_known(r.top_end_s),
        end_s=_known(r.end_s),
        hold_s=_known(r.hold_s),
        variant=r.variant,
        complete=r.complete,
        faults=tuple(_pred_fault(f) for f in r.faults),
    )


def _pred_frames(table: FrameTable) -> PredFrames:
    return PredFrames(
        t_s=table.t_s,
        label=np.asarray(table.label, dtype=np.str_),
        tracked=table.tracked,
        columns={c: v for c, v in table.columns.items() if c != "t_s"},
    )


# --------------------------------------------------------------------------------------------
# Score containers
# --------------------------------------------------------------------------------------------


@dataclass
class FaultTally:
    """Counts for one fault code: true faults and how many were found; predicted faults and
    how many matched a true fault."""

    n_true: int = 0
    n_found: int = 0
    n_pred: int = 0
    n_pred_correct: int = 0

    def add(self, other: FaultTally) -> None:
        """Add ``other``'s counts to this tally."""
        self.n_true += other.n_true
        self.n_found += other.n_found
        self.n_pred += other.n_pred
        self.n_pred_correct += other.n_pred_correct

    @property
    def precision(self) -> float | None:
        """Matched predictions / predictions (0..1); ``None`` with no prediction."""
        return self.n_pred_correct / self.n_pred if self.n_pred else None

    @property
    def recall(self) -> float | None:
        """Found true faults / true faults (0..1); ``None`` with no true fault."""
        return self.n_found / self.n_true if self.n_true else None


@dataclass(frozen=True)
class RepMatch:
    """A matched pair: predicted and true 1-based rep indices and their overlap (s)."""

    pred_index: int
    true_index: int
    overlap_s: float


@dataclass
class Metrics:
    """Accumulated evaluation numbers for one clip or a pool of clips (mergeable).

    Seconds for times, degrees for angles; angle errors are signed ``pred - truth``.
    """

    rep_count_clips: int = 0
    rep_count_exact: int = 0
    rep_count_pred: int = 0
    rep_count_true: int = 0
    rep_count_abs_error: int = 0
    n_pred_reps: int = 0
    n_true_reps: int = 0
    n_matched_reps: int = 0
    hold_errors_s: list[float] = field(default_factory=list)
    boundary_errors_s: dict[str, list[float]] = field(
        default_factory=lambda: {k: [] for k in BOUNDARY_KINDS}
    )
    variant_checked: int = 0
    variant_correct: int = 0
    label_frames: int = 0
    label_correct: int = 0
    label_frames_core: int = 0
    label_correct_core: int = 0
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    angle_errors: dict[str, list[float]] = field(
        default_factory=lambda: {c: [] for c in ANGLE_COLUMNS}
    )
    angle_errors_hold: dict[str, list[float]] = field(
        default_factory=lambda: {c: [] for c in ANGLE_COLUMNS}
    )
    fault_clips: int = 0
    faults: dict[str, FaultTally] = field(
        default_factory=lambda: {c: FaultTally() for c in SCORED_FAULT_CODES}
    )
    short_hold_pred: int = 0
    short_hold_expected: int = 0

    def merge(self, other: Metrics) -> None:
        """Pool ``other`` into this one (lists are concatenated, counts added)."""
        for name in (
            "rep_count_clips",
            "rep_count_exact",
            "rep_count_pred",
            "rep_count_true",
            "rep_count_abs_error",
            "n_pred_reps",
            "n_true_reps",
            "n_matched_reps",
            "variant_checked",
            "variant_correct",
            "label_frames",
            "label_correct",
            "label_frames_core",
            "label_correct_core",
            "fault_clips",
            "short_hold_pred",
            "short_hold_expected",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.hold_errors_s.extend(other.hold_errors_s)
        for k, v in other.boundary_errors_s.items():
            self.boundary_errors_s.setdefault(k, []).extend(v)
        for truth_label, row in other.confusion.items():
            mine = self.confusion.setdefault(truth_label, {})
            for pred_label, n in row.items():
                mine[pred_label] = mine.get(pred_label, 0) + n
        for c, v in other.angle_errors.items():
            self.angle_errors.setdefault(c, []).extend(v)
        for c, v in other.angle_errors_hold.items():
            self.angle_errors_hold.setdefault(c, []).extend(v)
        for code, tally in other.faults.items():
            self.faults.setdefault(code, FaultTally()).add(tally)

    # -- derived numbers -----------------------------------------------------------------

    @property
    def label_accuracy(self) -> float | None:
        """Fraction (0..1) of compared frames whose predicted label is the true one."""
        return self.label_correct / self.label_frames if self.label_frames else None

    @property
    def label_accuracy_core(self) -> float | None:
        """Label accuracy (0..1) leaving out frames within 0.25 s of a true label change."""
        return self.label_correct_core / self.label_frames_core if self.label_frames_core else None

    @property
    def hold_error_median_s(self) -> float | None:
        """Median absolute hold-time error (s) over matched complete true reps."""
        return _median(self.hold_errors_s)

    @property
    def hold_error_max_s(self) -> float | None:
        """Largest absolute hold-time error (s) over matched complete true reps."""
        return max(self.hold_errors_s) if self.hold_errors_s else None

    @property
    def all_boundary_errors_s(self) -> list[float]:
        """Absolute boundary errors (s) of every kind pooled."""
        return [e for k in BOUNDARY_KINDS for e in self.boundary_errors_s.get(k, [])]

    @property
    def boundary_error_median_s(self) -> float | None:
        """Median absolute boundary error (s) over all matched boundaries."""
        return _median(self.all_boundary_errors_s)

    @property
    def boundary_error_max_s(self) -> float | None:
        """Largest absolute boundary error (s) over all matched boundaries."""
        errs = self.all_boundary_errors_s
        return max(errs) if errs else None

    def angle_mae(self, column: str, *, hold_only: bool = False) -> float | None:
        """Mean absolute error (degrees) of ``column``; ``None`` when no frame was compared."""
        errs = (self.angle_errors_hold if hold_only else self.angle_errors).get(column, [])
        return float(np.mean(np.abs(errs))) if errs else None

    def angle_bias(self, column: str, *, hold_only: bool = False) -> float | None:
        """Mean signed error ``pred - truth`` (degrees) of ``column``."""
        errs = (self.angle_errors_hold if hold_only else self.angle_errors).get(column, [])
        return float(np.mean(errs)) if errs else None

    @property
    def fault_total(self) -> FaultTally:
        """All scored fault codes pooled."""
        out = FaultTally()
        for t in self.faults.values():
            out.add(t)
        return out

    @property
    def fault_precision(self) -> float | None:
        """Pooled fault precision (0..1), ``short_hold`` excluded."""
        return self.fault_total.precision if self.fault_clips else None

    @property
    def fault_recall(self) -> float | None:
        """Pooled fault recall (0..1)."""
        return self.fault_total.recall if self.fault_clips else None


@dataclass
class ClipScore:
    """The score of one clip. ``missing`` is True when no prediction folder was found; then
    only the identity fields are set. ``notes`` lists anything odd met while scoring."""

    clip: str
    dataset: str
    group: str
    camera: str
    truth_path: Path
    pred_dir: Path
    missing: bool = False
    rep_count_pred: int | None = None
    rep_count_true: int = 0
    matches: list[RepMatch] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    notes: list[str] = field(default_factory=list)

    @property
    def rep_count_exact(self) -> bool | None:
        """True when the predicted count equals the expected one (``None`` if missing)."""
        return None if self.rep_count_pred is None else self.rep_count_pred == self.rep_count_true

    @property
    def has_faults(self) -> bool:
        """Whether fault precision/recall were scored (render truth only)."""
        return self.metrics.fault_clips > 0

    @property
    def confusion(self) -> dict[str, dict[str, int]]:
        """``confusion[true_label][pred_label]`` = number of frames."""
        return self.metrics.confusion


@dataclass
class GroupSummary:
    """Pooled numbers for a group of clips (see :data:`GROUPS`).

    ``rep_count_exact_pct`` counts a missing prediction as a wrong count.
    """

    name: str
    n_clips: int = 0
    n_missing: int = 0
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def title(self) -> str:
        """Human name of the group."""
        return GROUP_TITLES.get(self.name, self.name)

    @property
    def rep_count_exact_pct(self) -> float | None:
        """Percentage (0..100) of clips (missing ones included) with the exact rep count."""
        return 100.0 * self.metrics.rep_count_exact / self.n_clips if self.n_clips else None


@dataclass
class Summary:
    """Aggregates by group, in :data:`GROUPS` order (only groups with clips)."""

    groups: dict[str, GroupSummary]

    def __getitem__(self, name: str) -> GroupSummary:
        return self.groups[name]


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def match_reps(
    pred: Sequence[PredRep], truth: Sequence[TruthRep], duration_s: float
) -> list[RepMatch]:
    """Match reps one-to-one, greatest interval overlap first (ties: earlier reps first).

    Only pairs that overlap by more than zero seconds are matched.
    """
    pairs: list[tuple[float, int, int]] = []
    for i, p in enumerate(pred):
        pi = p.interval()
        if pi is None:
            continue
        for j, t in enumerate(truth):
            ti = t.interval(duration_s)
            if ti is None:
                continue
            ov = min(pi[1], ti[1]) - max(pi[0], ti[0])
            if ov > 0:
                pairs.append((ov, i, j))
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_p: set[int] = set()
    used_t: set[int] = set()
    out: list[RepMatch] = []
    for ov, i, j in pairs:
        if i in used_p or j in used_t:
            continue
        used_p.add(i)
        used_t.add(j)
        out.append(RepMatch(pred_index=pred[i].index, true_index=truth[j].index, overlap_s=ov))
    out.sort(key=lambda m: m.true_index)
    return out


def score_clip(pred_dir: str | Path, truth: Truth) -> ClipScore:
    """Score the prediction folder ``pred_dir`` against ``truth``.

    Raises:
        InputError: the prediction folder has no ``analysis.json`` or its files are malformed.
    """
    d = Path(pred_dir)
    pred = load_prediction(d)
    score = _blank(truth, d)
    m = score.metrics
    score.rep_count_pred = pred.rep_count
    m.rep_count_clips = 1
    m.rep_count_pred = pred.rep_count
    m.rep_count_true = truth.expected_rep_count
    m.rep_count_exact = int(pred.rep_count == truth.expected_rep_count)
    m.rep_count_abs_error = abs(pred.rep_count - truth.expected_rep_count)
    if pred.duration_s is not None and abs(pred.duration_s - truth.duration_s) > 0.5:
        score.notes.append(
            f"prediction lasts {pred.duration_s:.2f} s but the truth {truth.duration_s:.2f} s"
        )

    matches = match_reps(pred.reps, truth.reps, truth.duration_s)
    score.matches = matches
    pred_by_index = {r.index: r for r in pred.reps}
    truth_by_index = {r.index: r for r in truth.reps}
    m.n_pred_reps = len(pred.reps)
    m.n_true_reps = len(truth.reps)
    m.n_matched_reps = len(matches)
    for match in matches:
        _score_timing(pred_by_index[match.pred_index], truth_by_index[match.true_index], m)

    if pred.frames is None and (Path(pred_dir) / ERROR_FILE).is_file():
        score.notes.append(
            "refused by pressup ("
            + read_json(Path(pred_dir) / ERROR_FILE).get("message", "?")
            + "): counted as 0 press-ups"
        )
    elif pred.frames is None:
        score.notes.append(f"{FRAMES_FILE} missing: no per-frame scores")
    else:
        _score_labels(pred.frames, truth, m)
        if truth.frames is not None:
            _score_angles(pred.frames, truth, m)

    if truth.has_faults:
        _score_faults(pred, truth, matches, m)
    m.short_hold_pred = sum(1 for f in pred.faults if f.code == "short_hold")
    if pred.target_hold_s is not None:
        m.short_hold_expected = sum(
            1
            for r in truth.reps
            if r.complete and r.hold_s is not None and r.hold_s < pred.target_hold_s
        )
    return score


def _blank(truth: Truth, pred_dir: Path) -> ClipScore:
    return ClipScore(
        clip=truth.clip,
        dataset=truth.dataset,
        group=truth.camera_group,
        camera=truth.camera.describe(),
        truth_path=truth.path,
        pred_dir=pred_dir,
        rep_count_true=truth.expected_rep_count,
    )


def _score_timing(p: PredRep, t: TruthRep, m: Metrics) -> None:
    if t.complete and t.hold_s is not None and p.hold_s is not None:
        m.hold_errors_s.append(abs(p.hold_s - t.hold_s))
    # True times clamped to the clip's ends are not events: leave them out.
    pairs = {
        "start": (p.start_s, None if t.starts_before_clip else t.rise_start_s),
        "top_start": (
            p.top_start_s,
            None if (t.starts_before_clip and t.rise_start_s is None) else t.top_start_s,
        ),
        "top_end": (p.top_end_s, None if t.ends_after_clip else t.top_end_s),
        "end": (p.end_s, None if t.ends_after_clip else t.down_end_s),
    }
    for kind, (a, b) in pairs.items():
        if a is not None and b is not None:
            m.boundary_errors_s[kind].append(abs(a - b))
    if p.variant is not None:
        m.variant_checked += 1
        true_variant = "hands" if t.variant == "updog" else t.variant
        m.variant_correct += int(p.variant == true_variant)


def _nearest(
    ref_t: npt.NDArray[np.float64], t: npt.NDArray[np.float64], tol: float
) -> npt.NDArray[np.int64]:
    """Index of the ``ref_t`` entry nearest each ``t`` (``ref_t`` sorted), -1 beyond ``tol``."""
    if ref_t.size == 0:
        return np.full(t.shape, -1, dtype=np.int64)
    hi = np.clip(np.searchsorted(ref_t, t), 0, ref_t.size - 1)
    lo = np.clip(hi - 1, 0, ref_t.size - 1)
    pick = np.where(np.abs(ref_t[lo] - t) <= np.abs(ref_t[hi] - t), lo, hi)
    return np.where(np.abs(ref_t[pick] - t) <= tol, pick, -1).astype(np.int64)


def truth_labels_at(truth: Truth, t: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    """The true label at each time ``t`` (s); ``""`` where the truth has none.

    Rendered clips: the nearest frame within half a frame. Real clips: the segment containing
    ``t`` (times up to half a frame outside ``[0, duration]`` take the end segment's label).
    """
    tol = 0.5 / truth.fps + 1e-3
    out = np.full(t.shape, "", dtype=object)
    if truth.frames is not None:
        idx = _nearest(truth.frames.t_s, t, tol)
        ok = idx >= 0
        out[ok] = truth.frames.label[idx[ok]]
    else:
        starts = np.asarray([s.start_s for s in truth.segments], dtype=np.float64)
        labels = np.asarray([s.label for s in truth.segments], dtype=object)
        idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)
        ok = (t >= -tol) & (t <= truth.duration_s + tol)
        out[ok] = labels[idx[ok]]
    return np.asarray(out, dtype=np.str_)


def near_boundary(
    truth: Truth, t: npt.NDArray[np.float64], margin_s: float
) -> npt.NDArray[np.bool_]:
    """True where ``t`` (s) lies within ``margin_s`` of a true label change."""
    b = truth.boundaries_s()
    if b.size == 0:
        return np.zeros(t.shape, dtype=np.bool_)
    idx = _nearest(b, t, math.inf)
    return np.asarray(np.abs(b[idx] - t) <= margin_s + 1e-9, dtype=np.bool_)


def _score_labels(frames: PredFrames, truth: Truth, m: Metrics) -> None:
    true_label = truth_labels_at(truth, frames.t_s)
    known = true_label != ""
    correct = known & (true_label == frames.label)
    core = known & ~near_boundary(truth, frames.t_s, BOUNDARY_MARGIN_S)
    m.label_frames = int(known.sum())
    m.label_correct = int(correct.sum())
    m.label_frames_core = int(core.sum())
    m.label_correct_core = int((correct & core).sum())
    for tl, pl in zip(true_label[known].tolist(), frames.label[known].tolist()):
        row = m.confusion.setdefault(str(tl), {})
        row[str(pl)] = row.get(str(pl), 0) + 1


def _score_angles(frames: PredFrames, truth: Truth, m: Metrics) -> None:
    tf = truth.frames
    assert tf is not None  # checked by the caller
    idx = _nearest(tf.t_s, frames.t_s, 0.5 / truth.fps + 1e-3)
    joined = (idx >= 0) & frames.tracked
    safe = np.where(idx >= 0, idx, 0)
    phase = tf.phase[safe]
    for col in ANGLE_COLUMNS:
        pred_v = frames.columns.get(col)
        if pred_v is None:
            continue
        true_v = tf.angles[col][safe]
        ok = joined & np.isfinite(pred_v) & np.isfinite(true_v)
        if col == "elbow_deg":
            ok &= phase != "rest"
        err = pred_v - true_v
        m.angle_errors[col] = err[ok].tolist()
        m.angle_errors_hold[col] = err[ok & (phase == "hold")].tolist()


def fault_overlaps(f: PredFault, lo: float, hi: float) -> bool:
    """Whether predicted fault ``f`` overlaps ``[lo, hi]`` seconds (an open end counts as the
    other end)."""
    if f.start_s is None and f.end_s is None:
        return False
    a = f.start_s if f.start_s is not None else f.end_s
    b = f.end_s if f.end_s is not None else f.start_s
    assert a is not None and b is not None
    return a <= hi and b >= lo


def _score_faults(pred: Prediction, truth: Truth, matches: Sequence[RepMatch], m: Metrics) -> None:
    """A true fault of rep k is found by a predicted fault of the same code attached to the
    rep matched with k, or overlapping [rep start, rep end + 1 s]. A predicted fault that finds
    some true fault is correct (several predictions may find the same true fault)."""
    m.fault_clips = 1
    pred_of_true = {mt.true_index: mt.pred_index for mt in matches}

    def hits(f: PredFault, t: TruthRep, code: str) -> bool:
        if f.code != code:
            return False
        pi = pred_of_true.get(t.index)
        if pi is not None and f.rep == pi:
            return True
        iv = t.interval(truth.duration_s)
        return iv is not None and fault_overlaps(f, iv[0], iv[1] + FAULT_WINDOW_AFTER_S)

    scored = [f for f in pred.faults if f.code in m.faults]
    true_faults = [(t, code) for t in truth.reps for code in t.faults]
    for t, code in true_faults:
        tally = m.faults.setdefault(code, FaultTally())
        tally.n_true += 1
        tally.n_found += int(any(hits(f, t, code) for f in scored))
    for f in scored:
        tally = m.faults[f.code]
        tally.n_pred += 1
        tally.n_pred_correct += int(any(hits(f, t, code) for t, code in true_faults))


def evaluate(pred_root: str | Path, labels: str | Path | Sequence[str | Path]) -> list[ClipScore]:
    """Score every ground-truth file against ``<pred_root>/<clip>/``.

    ``labels`` is a ground-truth file, a folder of them (``*.json``, ``*.gt.json.gz``), or a
    list of either. A truth file without a prediction folder gives a score with
    ``missing=True``. Scores come in the order of the truth files.

    Raises:
        InputError: ``pred_root`` is not a folder, no truth file was found, or a truth or
            prediction file is malformed.
    """
    root = Path(pred_root)
    if not root.is_dir():
        raise InputError(f"{root}: expected a folder of prediction folders (<clip>/analysis.json)")
    sources: Iterable[str | Path] = [labels] if isinstance(labels, (str, Path)) else labels
    files: list[Path] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            files.extend(truth_files(p))
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p}: expected a ground-truth file or a folder of them")
    if not files:
        raise InputError(
            f"{labels}: expected ground-truth files (*.json, *.gt.json.gz), found none"
        )
    scores: list[ClipScore] = []
    for f in files:
        truth = load_truth(f)
        pred_dir = root / truth.clip
        if not (pred_dir / ANALYSIS_FILE).is_file() and not (pred_dir / ERROR_FILE).is_file():
            s = _blank(truth, pred_dir)
            s.missing = True
            s.notes.append(f"no prediction: {pred_dir / ANALYSIS_FILE} not found")
            scores.append(s)
        else:
            scores.append(score_clip(pred_dir, truth))
    return scores


def summarise(scores: Sequence[ClipScore]) -> Summary:
    """Pool clip scores into :data:`GROUPS` (only groups that hold at least one clip)."""
    groups: dict[str, GroupSummary] = {}
    for name in GROUPS:
        members = [s for s in scores if _in_group(s, name)]
        if not members:
            continue
        g = GroupSummary(name=name, n_clips=len(members))
        for s in members:
            if s.missing:
                g.n_missing += 1
            else:
                g.metrics.merge(s.metrics)
        groups[name] = g
    return Summary(groups=groups)


def _in_group(s: ClipScore, name: str) -> bool:
    if name == "all":
        return True
    if name in ("real", "render"):
        return s.dataset == name
    return s.group == name


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _f(v: float | None, digits: int = 2) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100.0 * v:.1f}"


def _med_max(med: float | None, mx: float | None) -> str:
    return "—" if med is None else f"{med:.2f} / {_f(mx)}"


def _pr(t: FaultTally, clips: int) -> str:
    if not clips:
        return "—"
    p = "—" if t.precision is None else f"{100 * t.precision:.0f}% ({t.n_pred_correct}/{t.n_pred})"
    r = "—" if t.recall is None else f"{100 * t.recall:.0f}% ({t.n_found}/{t.n_true})"
    return f"{p} / {r}"


def _metric_cells(m: Metrics) -> list[str]:
    return [
        _med_max(m.hold_error_median_s, m.hold_error_max_s),
        _med_max(m.boundary_error_median_s, m.boundary_error_max_s),
        _pct(m.label_accuracy),
        _pct(m.label_accuracy_core),
        *(_f(m.angle_mae(c), 1) for c in ANGLE_COLUMNS),
        _pr(m.fault_total, m.fault_clips),
    ]


_HEADER = [
    "clip",
    "set",
    "camera",
    "reps pred / true",
    "hold err med / max (s)",
    "boundary err med / max (s)",
    "label acc %",
    "label acc % (excl. ±0.25 s of boundaries)",
    "trunk MAE °",
    "elbow MAE ° (not at rest)",
    "hip ext MAE °",
    "neck MAE °",
    "fault precision / recall",
]


def format_table(scores: Sequence[ClipScore], summary: Summary) -> str:
    """One Markdown table: a row per clip, then a bold row per group, then footnotes."""
    lines = [
        "| " + " | ".join(_HEADER) + " |",
        "|" + "|".join(["---"] * 3 + ["---:"] * (len(_HEADER) - 3)) + "|",
    ]
    for s in scores:
        if s.missing:
            cells = [
                s.clip,
                s.dataset,
                s.camera,
                "missing prediction",
                *(["—"] * (len(_HEADER) - 4)),
            ]
        else:
            assert s.rep_count_pred is not None
            diff = s.rep_count_pred - s.rep_count_true
            verdict = "ok" if diff == 0 else f"{diff:+d}"
            cells = [
                s.clip,
                s.dataset,
                s.camera,
                f"{s.rep_count_pred} / {s.rep_count_true} ({verdict})",
                *_metric_cells(s.metrics),
            ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    for g in summary.groups.values():
        m = g.metrics
        count = (
            f"{m.rep_count_exact}/{g.n_clips} exact ({g.rep_count_exact_pct:.0f}%)"
            if g.rep_count_exact_pct is not None
            else "—"
        )
        if g.n_missing:
            count += f", {g.n_missing} missing"
        cells = [f"**{g.title}**", f"{g.n_clips} clips", "", count, *_metric_cells(m)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Reps: predicted complete reps / expected complete reps; group rows count clips with the "
        "exact count (a missing prediction counts as wrong). Hold error: |predicted - true hold| "
        "over matched complete true reps. Boundary error: rep start, top start, top end and end "
        "against the truth, all pooled (times clamped to the clip's ends left out). Label "
        "accuracy: every frames.csv row against the true label at its time; the second column "
        f"leaves out rows within ±{BOUNDARY_MARGIN_S:g} s of a true label change. Angle MAE: "
        "render only, tracked frames, 3D truth; the elbow only where the body is not at rest. "
        "Faults: render only, `short_hold` excluded (it has no ground truth). Group rows pool "
        "frames, reps and faults over clips.",
    ]
    return "\n".join(lines) + "\n"


def format_details(summary: Summary) -> str:
    """Markdown detail tables per group: faults by code, angle MAE/bias over holds, boundary
    errors by kind, and the label confusion matrix."""
    out: list[str] = []
    for g in summary.groups.values():
        m = g.metrics
        out.append(f"### {g.title}\n")
        out.append("| boundary | n | median (s) | max (s) |\n|---|---:|---:|---:|")
        for k in BOUNDARY_KINDS:
            errs = m.boundary_errors_s.get(k, [])
            out.append(
                f"| {k} | {len(errs)} | {_f(_median(errs))} | {_f(max(errs) if errs else None)} |"
            )
        out.append("")
        if any(m.angle_errors[c] for c in ANGLE_COLUMNS):
            out.append(
                "| angle | MAE ° | bias ° | MAE ° (holds) | bias ° (holds) | frames |\n"
                "|---|---:|---:|---:|---:|---:|"
            )
            for c in ANGLE_COLUMNS:
                out.append(
                    f"| {c} | {_f(m.angle_mae(c), 1)} | {_f(m.angle_bias(c), 1)} | "
                    f"{_f(m.angle_mae(c, hold_only=True), 1)} | "
                    f"{_f(m.angle_bias(c, hold_only=True), 1)} | {len(m.angle_errors[c])} |"
                )
            out.append("")
        if m.fault_clips:
            out.append(
                "| fault | true | found | recall | predicted | correct | precision |\n"
                "|---|---:|---:|---:|---:|---:|---:|"
            )
            for code, t in m.faults.items():
                out.append(
                    f"| {code} | {t.n_true} | {t.n_found} | {_pct(t.recall)} | {t.n_pred} "
                    f"| {t.n_pred_correct} | {_pct(t.precision)} |"
                )
            out.append("")
            out.append(
                f"`short_hold` (no ground truth): {m.short_hold_pred} predicted; "
                f"{m.short_hold_expected} complete true reps held less than the protocol target."
            )
            out.append("")
        if m.confusion:
            pred_labels = [lb for lb in LABELS if any(lb in row for row in m.confusion.values())]
            out.append("| true \\ predicted | " + " | ".join(pred_labels) + " |")
            out.append("|---|" + "---:|" * len(pred_labels))
            for tl in LABELS:
                row = m.confusion.get(tl)
                if row:
                    out.append(
                        f"| {tl} | " + " | ".join(str(row.get(pl, 0)) for pl in pred_labels) + " |"
                    )
            out.append("")
    return "\n".join(out)


__all__ = [
    "BOUNDARY_MARGIN_S",
    "GROUPS",
    "SCORED_FAULT_CODES",
    "ClipScore",
    "FaultTally",
    "GroupSummary",
    "Metrics",
    "PredFault",
    "PredFrames",
    "PredRep",
    "Prediction",
    "RepMatch",
    "Summary",
    "evaluate",
    "format_details",
    "format_table",
    "load_prediction",
    "load_truth",
    "match_reps",
    "near_boundary",
    "score_clip",
    "summarise",
    "truth_labels_at",
]
