"""Offline analysis: the streaming engine run over a whole track.

``track -> view geometry -> features (zero-phase smoothed) -> baselines -> engine -> Analysis``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pressup.analysis.result import (
    FRAME_COLUMNS,
    RAISED_LABELS,
    Analysis,
    Fault,
    FrameTable,
    Rep,
    Segment,
)
from pressup.engine import Engine, Event, KinFrame
from pressup.engine.core import MIN_NEUTRAL_FRAMES
from pressup.kinematics import compute_features, estimate_view, zero_phase
from pressup.kinematics.features import FEATURES, ViewGeometry
from pressup.pose import PoseOptions, PoseTrack, open_track
from pressup.pose.backends import ProgressFn
from pressup.protocol import ProtocolSpec
from pressup.vocab import DoseSource

Array = npt.NDArray[np.float64]


def smoothed_features(track: PoseTrack, view: ViewGeometry, spec: ProtocolSpec) -> dict[str, Array]:
    """Per-frame features of a whole track, zero-phase smoothed (no time lag)."""
    raw = compute_features(track.data, track.source.width, track.source.height, view, spec.tracking)
    out = {"tracked": raw["tracked"]}
    fps = track.source.fps
    if track.n_frames > 1:
        fps = float(1.0 / max(np.median(np.diff(track.t_s)), 1e-3))
    for name in FEATURES:
        out[name] = zero_phase(raw[name], fps, spec.smoothing.offline_cutoff_hz)
    return out


def iter_frames(t_s: Array, feats: dict[str, Array]) -> Iterator[KinFrame]:
    """Engine input frames from feature arrays."""
    cols = [feats[name].tolist() for name in FEATURES]
    tracked = (feats["tracked"] > 0.5).tolist()
    for i, t in enumerate(t_s.tolist()):
        yield KinFrame(t, tracked[i], *(c[i] for c in cols))


def run_engine(
    engine: Engine, frames: Iterator[KinFrame], t_end: float
) -> tuple[list[str], list[Event]]:
    """Run ``engine`` over ``frames``; return the per-frame labels and all events."""
    state = engine.initial()
    labels: list[str] = []
    events: list[Event] = []
    for f in frames:
        state, ev = engine.step(state, f)
        labels.append(state.label)
        if ev:
            events.extend(ev)
    state, ev = engine.finish(state, t_end)
    events.extend(ev)
    return labels, events


def _segments(t_s: Array, labels: list[str], duration: float, min_s: float) -> list[Segment]:
    """Contiguous labelled segments over ``[0, duration)``; blips shorter than ``min_s`` merge
    into the segment before them (not_visible blips are kept: never hide a gap)."""
    if not labels:
        return [Segment(0.0, duration, "not_visible")]
    segs: list[list[Any]] = []
    for i, lab in enumerate(labels):
        start = 0.0 if i == 0 else float(t_s[i])
        if segs and segs[-1][2] == lab:
            continue
        if segs:
            segs[-1][1] = start
        segs.append([start, duration, lab])
    merged: list[list[Any]] = []
    for s in segs:
        blip = (s[1] - s[0]) < min_s and s[2] != "not_visible"
        if merged and (blip or merged[-1][2] == s[2]):
            merged[-1][1] = s[1]
        else:
            merged.append(list(s))
    return [Segment(float(a), float(b), str(c)) for a, b, c in merged]


def _labels_from_reps(t_s: Array, labels: list[str], reps: list[Rep]) -> list[str]:
    """Align per-frame labels with the repetitions' refined phase times (offline only).

    The live engine can only confirm a phase change a little after it happens; offline the
    rep boundaries are known, so frames in ``[start, top_start)`` are rising, and frames in
    ``[top_end, end)`` are lowering. Untracked and other-pose frames keep their labels.
    """
    out = list(labels)
    keep = {"not_visible", "other_pose"}
    for r in reps:
        spans = [(r.start_s, r.top_start_s, "rising")]
        if math.isfinite(r.end_s):
            spans.append((r.top_end_s, r.end_s, "lowering"))
        for a, b, lab in spans:
            if not (math.isfinite(a) and math.isfinite(b)):
                continue
            i0, i1 = np.searchsorted(t_s, [a, b])
            for i in range(int(i0), int(i1)):
                if out[i] not in keep:
                    out[i] = lab
        i0, i1 = np.searchsorted(t_s, [r.top_start_s, r.top_end_s])
        for i in range(int(i0), int(i1)):
            if out[i] in ("rising", "lowering"):
                out[i] = "pressup_hands" if r.variant == "hands" else "sphinx"
    return out


#: Form measures and the feature each needs during the hold.
_JUDGED_BY: dict[str, str] = {
    "elbows": "elbow_deg",
    "hips": "hip_height",
    "head": "neck_deg",
    "shoulders": "shrug_ratio",
}


def judged_counts(t_s: Array, feats: dict[str, Array], reps: list[Rep]) -> dict[str, int]:
    """On how many counted press-ups each form measure could be judged.

    A measure is judged on a press-up when its landmarks were seen in at least
    ``MIN_NEUTRAL_FRAMES`` frames of the hold (the engine's own rule). The head and shoulders
    are judged against the person's first such hold (the engine learns the neutral there), so
    the press-up that taught the neutral is not judged itself. Keys: ``reps`` (counted
    press-ups) and each measure.
    """
    counted = [r for r in reps if r.complete]
    out = {"reps": len(counted)}
    for measure, col in _JUDGED_BY.items():
        seen = []
        for r in counted:
            i0, i1 = np.searchsorted(t_s, [r.top_start_s, r.top_end_s])
            seen.append(int(np.isfinite(feats[col][int(i0) : int(i1)]).sum()) >= MIN_NEUTRAL_FRAMES)
        n = sum(seen)
        if measure in ("head", "shoulders") and n:
            n -= 1  # the first hold with it seen is the neutral, not judged
        out[measure] = n
    return out


def _rep_from_dict(d: dict[str, Any]) -> Rep:
    faults = [
        Fault(f["code"], float(f["start_s"]), float(f["end_s"]), d["index"]) for f in d["faults"]
    ]
    return Rep(
        index=d["index"],
        start_s=float(d["start_s"]),
        top_start_s=float(d["top_start_s"]),
        top_end_s=float(d["top_end_s"]),
        end_s=float(d["end_s"]),
        press_s=float(d["press_s"]),
        hold_s=float(d["hold_s"]),
        lower_s=float(d["lower_s"]),
        variant=d["variant"],
        peak_trunk_deg=float(d["peak_trunk_deg"]),
        peak_elbow_deg=float(d["peak_elbow_deg"]),
        faults=faults,
        complete=bool(d["complete"]),
        not_counted=d.get("not_counted"),
    )


def _view_warnings(track: PoseTrack) -> dict[str, list[str]]:
    """``{"warnings": [...]}`` when the pose backend noted a problem with the source (a video
    that could not be read to its end), else ``{}``."""
    early = track.meta.get("ends_early")
    if not isinstance(early, dict):
        return {}
    return {
        "warnings": [
            f"The video could only be read up to {early['stopped_at_s']:.1f} s of "
            f"{early['announced_s']:.1f} s (frame {early['decoded_frames']} of "
            f"{early['announced_frames']}): it may be cut short or damaged; the rest was not "
            "analysed."
        ]
    }


#: ``protocol.dose_reason`` of an analysis judged against the protocol file's dose.
PROTOCOL_DOSE_REASON = (
    "The protocol file's [dose] targets: this analysis is not linked to anyone's plan."
)


def analyze_track(
    track: PoseTrack,
    spec: ProtocolSpec,
    *,
    dose_source: DoseSource = "protocol",
    dose_reason: str | None = None,
) -> Analysis:
    """Analyse a whole pose track, judged against the dose in ``spec``.

    Args:
        dose_source: where that dose came from (written into ``protocol.dose_source``):
            ``protocol`` (the protocol file) unless ``spec`` carries a person's planned dose
            (:meth:`pressup.sessions.plan.PlannedDose.apply`).
        dose_reason: one line on why that dose (``protocol.dose_reason``; default: the
            protocol file's, :data:`PROTOCOL_DOSE_REASON`).

    Raises:
        NoPersonError: no judgeable person in the track.
        ViewError: the camera view does not allow judging the exercise.
    """
    view = estimate_view(track, spec.tracking)
    feats = smoothed_features(track, view, spec)
    duration = track.duration_s
    # one pass, as live: the engine learns the person's neutral head line and shoulder height
    # from their first hold and judges every later one against it
    labels, events = run_engine(Engine(spec), iter_frames(track.t_s, feats), duration)

    reps, faults = _reps_and_faults(events)
    labels = _labels_from_reps(track.t_s, labels, reps)
    segments = _segments(track.t_s, labels, duration, spec.positions.min_position_s)
    tracked = feats["tracked"] > 0.5
    feats = _with_hip_lift(feats, labels)
    columns = {"t_s": track.t_s}
    for name in FRAME_COLUMNS[1:]:
        columns[name] = np.where(tracked, feats[name], np.nan)
    return Analysis(
        source=_source_summary(track),
        pose={"backend": track.source.backend, "model": track.source.model},
        view={
            "side": view.side,
            "tracked_fraction": round(float(tracked.mean()) if tracked.size else 0.0, 3),
            "floor_tilt_deg": round(view.floor_tilt_deg, 1),
            "shoulder_spread": round(view.shoulder_spread, 2),
            "raised_fraction": round(
                float(np.mean([lab in RAISED_LABELS for lab in labels])) if labels else 0.0, 3
            ),
            "judged": judged_counts(track.t_s, feats, reps),
            **_view_warnings(track),
        },
        reps=reps,
        segments=segments,
        faults=faults,
        protocol={
            **spec.summary(),
            "dose_source": dose_source,
            "dose_reason": PROTOCOL_DOSE_REASON if dose_reason is None else dose_reason,
        },
        frames=FrameTable(columns=columns, label=labels, tracked=tracked),
        events=[e.to_dict() for e in events if e.kind != "hold_tick"],
    )


def _reps_and_faults(events: list[Event]) -> tuple[list[Rep], list[Fault]]:
    """The repetitions the engine closed (complete or not) and every fault, each repetition's
    and those outside any repetition, by start time (seconds) and code."""
    reps = [
        _rep_from_dict(e.data)
        for e in events
        if e.kind in ("rep_completed", "rep_unfinished") and e.data is not None
    ]
    faults: list[Fault] = []
    for r in reps:
        faults.extend(r.faults)
    for e in events:
        if e.kind == "fault_ended" and e.rep is None and e.data is not None:
            faults.append(Fault(e.data["code"], e.data["start_s"], e.data["end_s"], None))
    faults.sort(key=lambda f: (f.start_s, f.code))
    return reps, faults


def _with_hip_lift(feats: dict[str, Array], labels: list[str]) -> dict[str, Array]:
    """``feats`` plus ``hip_lift``: the pelvis height above its median while lying flat
    (``prone_flat`` frames), in trunk lengths; NaN when it was never seen lying."""
    lying = np.array([lab == "prone_flat" for lab in labels], dtype=bool) & np.isfinite(
        feats["hip_height"]
    )
    hip_rest = float(np.median(feats["hip_height"][lying])) if lying.any() else math.nan
    return dict(feats, hip_lift=feats["hip_height"] - hip_rest)


def _source_summary(track: PoseTrack) -> dict[str, Any]:
    """``analysis.json`` ``source``: the video (or track file), its rate (frames per second),
    frame count, duration (seconds), size (pixels) and rotation (degrees)."""
    src = track.source
    return {
        "path": src.video or str(track.meta.get("track_file", "")),
        "fps": src.fps,
        "frames": track.n_frames,
        "duration_s": round(track.duration_s, 3),
        "width": src.width,
        "height": src.height,
        "rotation_deg": src.rotation_deg,
    }


def analyze_path(
    path: str | Path,
    spec: ProtocolSpec,
    pose: PoseOptions | None = None,
    progress: ProgressFn | None = None,
) -> tuple[PoseTrack, Analysis]:
    """Pose-track a video (or load a track file) and analyse it."""
    track = open_track(path, pose, progress)
    return track, analyze_track(track, spec)
