"""Known-answer tests of :mod:`pressup.evaluation` on tiny hand-written truth and predictions."""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pressup.analysis.result import LABELS
from pressup.errors import InputError
from pressup.evaluation import (
    ANGLE_COLUMNS,
    Truth,
    evaluate,
    format_details,
    format_table,
    load_prediction,
    load_truth,
    match_reps,
    score_clip,
    summarise,
    truth_files,
)
from pressup.evaluation.score import PredRep
from support import shared_data_root

FPS = 10.0
DURATION = 10.0
TIMES = [round(i / FPS, 3) for i in range(int(DURATION * FPS))]

# One press-up: rest 0-2 s, press 2-3 s, hold 3-7 s, lower 7-8 s, rest 8-10 s.
REAL_SEGMENTS = [
    (0.0, 2.0, "prone_flat"),
    (2.0, 3.0, "rising"),
    (3.0, 7.0, "pressup_hands"),
    (7.0, 8.0, "lowering"),
    (8.0, 10.0, "prone_flat"),
]


# ------------------------------------------------------------------------------------------
# Fixture writers
# ------------------------------------------------------------------------------------------


def write_real(
    folder: Path,
    name: str = "clip_real",
    *,
    segments: Sequence[tuple[float, float, str]] = REAL_SEGMENTS,
    reps: Sequence[dict[str, Any]] | None = None,
    expected: int = 1,
    **overrides: Any,
) -> Path:
    """A minimal hand-made label file (real-video format)."""
    if reps is None:
        reps = [
            {
                "index": 1,
                "rise_start_s": 2.0,
                "top_start_s": 3.0,
                "top_end_s": 7.0,
                "down_end_s": 8.0,
                "variant": "hands",
                "complete": True,
                "hold_s": 4.0,
                "starts_before_clip": False,
                "ends_after_clip": False,
            }
        ]
    payload: dict[str, Any] = {
        "video": f"{name}.mp4",
        "fps": FPS,
        "frame_count": int(DURATION * FPS),
        "duration_s": DURATION,
        "view_class": "side-left",
        "segments": [{"start_s": a, "end_s": b, "label": lb} for a, b, lb in segments],
        "reps": list(reps),
        "expected_rep_count": expected,
    }
    payload.update(overrides)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload))
    return path


def render_phase(t: float) -> tuple[str, int]:
    """Phase and 0-based rep of the one-rep render fixture at time ``t`` (s)."""
    if t < 2.0:
        return "rest", -1
    if t < 3.0:
        return "press", 0
    if t < 7.0:
        return "hold", 0
    if t < 8.0:
        return "lower", 0
    return "rest", 0


def true_angles(t: float) -> dict[str, float]:
    """Render fixture angles (degrees): simple known values per phase."""
    phase, _ = render_phase(t)
    up = phase != "rest"
    return {
        "trunk_elevation_deg": 30.0 if up else 0.0,
        "elbow_left_deg": 150.0 if up else 50.0,
        "elbow_right_deg": 90.0,
        "hip_extension_deg": 20.0 if up else -10.0,
        "neck_angle_deg": 15.0,
    }


def write_render(
    folder: Path,
    name: str = "s99_test_hands_left",
    *,
    faults: Sequence[str] = ("head_back", "shrug"),
    variant: str = "hands",
    yaw_deg: float = 0.0,
    height_m: float = 0.3,
    side: str = "left",
) -> Path:
    """A minimal rendered-session truth file (gzip JSON) with one repetition."""
    frames = []
    for i, t in enumerate(TIMES):
        phase, rep = render_phase(t)
        frames.append({"i": i, "t": t, "phase": phase, "rep": rep, "angles": true_angles(t)})
    payload = {
        "name": name,
        "scenario": {"name": name},
        "video": {
            "file": f"{name}.mp4",
            "fps": FPS,
            "width": 640,
            "height": 480,
            "n_frames": len(TIMES),
            "duration_s": DURATION,
        },
        "camera": {"params": {"side": side, "yaw_deg": yaw_deg, "height_m": height_m}},
        "reps": [
            {
                "index": 0,
                "variant": variant,
                "faults": list(faults),
                "press": [2.0, 3.0],
                "hold": [3.0, 7.0],
                "lower": [7.0, 8.0],
                "rest": [8.0, 10.0],
            }
        ],
        "frames": frames,
    }
    path = folder / f"{name}.gt.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(payload, fh)
    return path


def pred_rep(
    *,
    index: int = 1,
    start: float | None = 2.0,
    top_start: float | None = 3.0,
    top_end: float | None = 7.0,
    end: float | None = 8.0,
    faults: Sequence[dict[str, Any]] = (),
    variant: str = "hands",
) -> dict[str, Any]:
    """A predicted rep dict as in ``analysis.json``."""
    hold = None if top_start is None or top_end is None else round(top_end - top_start, 3)
    return {
        "index": index,
        "start_s": start,
        "top_start_s": top_start,
        "top_end_s": top_end,
        "end_s": end,
        "press_s": None,
        "hold_s": hold,
        "lower_s": None,
        "variant": variant,
        "peak_trunk_deg": None,
        "peak_elbow_deg": None,
        "faults": list(faults),
        "complete": True,
    }


def fault(code: str, start: float, end: float, rep: int | None) -> dict[str, Any]:
    return {"code": code, "start_s": start, "end_s": end, "rep": rep}


def truth_label(t: float) -> str:
    for a, b, lb in REAL_SEGMENTS:
        if a <= t < b:
            return lb
    return REAL_SEGMENTS[-1][2]


Row = dict[str, Any]


def write_pred(
    root: Path,
    clip: str,
    *,
    reps: Sequence[dict[str, Any]] = (),
    faults: Sequence[dict[str, Any]] = (),
    rep_count: int | None = None,
    row: Callable[[float], Row] | None = None,
    frames: bool = True,
) -> Path:
    """A prediction folder ``root/clip`` with ``analysis.json`` and ``frames.csv``."""
    d = root / clip
    d.mkdir(parents=True, exist_ok=True)
    analysis = {
        "schema": "pressup.analysis/1",
        "source": {
            "path": f"{clip}.mp4",
            "fps": FPS,
            "frames": len(TIMES),
            "duration_s": DURATION,
            "width": 640,
            "height": 480,
            "rotation_deg": 0,
        },
        "pose": {"backend": "test", "model": None},
        "view": {"side": "left", "tracked_fraction": 1.0},
        "rep_count": len(reps) if rep_count is None else rep_count,
        "reps": list(reps),
        "segments": [],
        "faults": list(faults),
        "protocol": {"name": "test", "version": "1", "target_hold_s": 5.0, "target_reps": 10},
    }
    (d / "analysis.json").write_text(json.dumps(analysis))
    if frames:
        make = row or (lambda t: {"label": truth_label(t)})
        with (d / "frames.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            cols = [
                "t_s",
                "trunk_deg",
                "elbow_deg",
                "hip_ext_deg",
                "neck_deg",
                "shrug_ratio",
                "hip_lift",
                "label",
                "tracked",
            ]
            w.writerow(cols)
            for t in TIMES:
                r = {"t_s": f"{t:.3f}", "tracked": 1, **make(t)}
                w.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
    return d


# ------------------------------------------------------------------------------------------
# Truth loading
# ------------------------------------------------------------------------------------------


def test_load_real_truth(tmp_path: Path) -> None:
    # Last segment ends 0.003 s short of duration_s (2-decimal rounding, as in the real files).
    segs = [*REAL_SEGMENTS[:-1], (8.0, 9.997, "prone_flat")]
    truth = load_truth(write_real(tmp_path, segments=segs, duration_s=9.9974))
    assert truth.clip == "clip_real"
    assert truth.dataset == "real"
    assert truth.camera.view_class == "side-left"
    assert truth.camera_group == "real"
    assert truth.frames is None and not truth.has_faults
    assert truth.segments[-1].end_s == 9.9974
    assert [s.label for s in truth.segments] == [s[2] for s in REAL_SEGMENTS]
    (rep,) = truth.reps
    assert (rep.index, rep.rise_start_s, rep.down_end_s, rep.hold_s, rep.complete) == (
        1,
        2.0,
        8.0,
        4.0,
        True,
    )
    assert truth.boundaries_s().tolist() == [2.0, 3.0, 7.0, 8.0]


def test_load_render_truth(tmp_path: Path) -> None:
    truth = load_truth(write_render(tmp_path))
    assert truth.clip == "s99_test_hands_left"
    assert truth.dataset == "render"
    assert truth.expected_rep_count == 1
    assert [(s.start_s, s.end_s, s.label) for s in truth.segments] == [
        (0.0, 2.0, "prone_flat"),
        (2.0, 3.0, "rising"),
        (3.0, 7.0, "pressup_hands"),
        (7.0, 8.0, "lowering"),
        (8.0, 10.0, "prone_flat"),
    ]
    (rep,) = truth.reps
    assert rep.index == 1
    assert (rep.rise_start_s, rep.top_start_s, rep.top_end_s, rep.down_end_s) == (2, 3, 7, 8)
    assert rep.hold_s == 4.0
    assert rep.faults == ("neck_extended", "shoulders_shrugged")
    assert truth.camera.level_side_view is True
    assert truth.camera_group == "render/level"
    frames = truth.frames
    assert frames is not None and len(frames) == 100
    assert set(frames.angles) == set(ANGLE_COLUMNS)
    # The camera sees the left side, so the elbow is the left elbow.
    assert frames.angles["elbow_deg"][50] == 150.0
    assert frames.label[50] == "pressup_hands" and frames.rep[50] == 1 and frames.rep[0] == 0


@pytest.mark.parametrize(
    ("variant", "yaw", "height", "hold_label", "group"),
    [
        ("forearms", 0.0, 1.0, "sphinx", "render/turned-or-high"),
        ("hands", 25.0, 0.3, "pressup_hands", "render/turned-or-high"),
    ],
)
def test_render_variant_and_camera(
    tmp_path: Path, variant: str, yaw: float, height: float, hold_label: str, group: str
) -> None:
    truth = load_truth(
        write_render(tmp_path, variant=variant, yaw_deg=yaw, height_m=height, side="right")
    )
    assert truth.segments[2].label == hold_label
    assert truth.camera.level_side_view is False
    assert truth.camera_group == group
    assert truth.frames is not None
    assert truth.frames.angles["elbow_deg"][50] == 90.0  # right elbow


def test_truth_errors_are_typed(tmp_path: Path) -> None:
    p = write_real(tmp_path, "a")
    data = json.loads(p.read_text())
    del data["expected_rep_count"]
    p.write_text(json.dumps(data))
    with pytest.raises(InputError, match="expected_rep_count"):
        load_truth(p)
    with pytest.raises(InputError, match="expected one of"):
        load_truth(write_real(tmp_path, "b", segments=[(0.0, 10.0, "flying")]))
    with pytest.raises(InputError, match="previous one ends"):
        load_truth(
            write_real(
                tmp_path, "c", segments=[(0.0, 4.0, "prone_flat"), (5.0, 10.0, "prone_flat")]
            )
        )
    with pytest.raises(InputError, match="duration_s"):
        load_truth(write_real(tmp_path, "d", segments=[(0.0, 8.0, "prone_flat")]))
    bad = tmp_path / "e.gt.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(InputError, match="expected valid JSON"):
        load_truth(bad)
    with pytest.raises(InputError, match="no such file"):
        load_truth(tmp_path / "absent.json")


# ------------------------------------------------------------------------------------------
# Scoring
# ------------------------------------------------------------------------------------------


def test_hold_and_boundary_errors(tmp_path: Path) -> None:
    truth = load_truth(write_real(tmp_path))
    # Hold 0.4 s too short: leaves the top 0.4 s early, lands 0.2 s early.
    pred = write_pred(tmp_path / "pred", truth.clip, reps=[pred_rep(top_end=6.6, end=7.8)])
    s = score_clip(pred, truth)
    m = s.metrics
    assert s.rep_count_exact is True
    assert m.hold_errors_s == [pytest.approx(0.4)]
    assert m.hold_error_median_s == pytest.approx(0.4)
    assert m.boundary_errors_s["start"] == [0.0]
    assert m.boundary_errors_s["top_start"] == [0.0]
    assert m.boundary_errors_s["top_end"] == [pytest.approx(0.4)]
    assert m.boundary_errors_s["end"] == [pytest.approx(0.2)]
    assert m.boundary_error_median_s == pytest.approx(0.1)
    assert m.boundary_error_max_s == pytest.approx(0.4)
    assert (m.variant_checked, m.variant_correct) == (1, 1)


def test_rep_count_and_incomplete_truth(tmp_path: Path) -> None:
    reps: list[dict[str, Any]] = [
        {
            "index": 1,
            "rise_start_s": 2.0,
            "top_start_s": 3.0,
            "top_end_s": 7.0,
            "down_end_s": 8.0,
            "variant": "hands",
            "complete": True,
            "hold_s": 4.0,
        },
        # Cut off by the end of the clip: no hold error, top end is clamped (not an event).
        {
            "index": 2,
            "rise_start_s": 9.0,
            "top_start_s": 9.5,
            "top_end_s": 10.0,
            "down_end_s": None,
            "variant": "hands",
            "complete": False,
            "hold_s": 0.5,
            "ends_after_clip": True,
        },
    ]
    truth = load_truth(write_real(tmp_path, reps=reps, expected=1))
    pred = write_pred(
        tmp_path / "pred",
        truth.clip,
        reps=[pred_rep(), pred_rep(index=2, start=9.1, top_start=9.5, top_end=9.9, end=None)],
        rep_count=2,
    )
    s = score_clip(pred, truth)
    assert s.rep_count_pred == 2 and s.rep_count_true == 1 and s.rep_count_exact is False
    assert s.metrics.rep_count_abs_error == 1
    assert [(mt.pred_index, mt.true_index) for mt in s.matches] == [(1, 1), (2, 2)]
    assert s.metrics.hold_errors_s == [0.0]
    assert s.metrics.boundary_errors_s["top_end"] == [0.0]  # the clamped one is left out
    assert s.metrics.boundary_errors_s["start"] == [0.0, pytest.approx(0.1)]


def test_match_reps_greatest_overlap_one_to_one(tmp_path: Path) -> None:
    truth = load_truth(write_real(tmp_path))
    small = PredRep(1, 1.0, 1.5, 2.0, 2.5, 0.5, "hands", True)  # overlaps 0.5 s
    big = PredRep(2, 2.5, 3.0, 6.0, 7.0, 3.0, "hands", True)  # overlaps 4.5 s
    far = PredRep(3, 8.5, 9.0, 9.5, 9.9, 0.5, "hands", True)  # no overlap
    (match,) = match_reps([small, big, far], truth.reps, truth.duration_s)
    assert (match.pred_index, match.true_index, match.overlap_s) == (2, 1, 4.5)


def test_label_accuracy_and_confusion(tmp_path: Path) -> None:
    truth = load_truth(write_real(tmp_path))

    def late_top(t: float) -> Row:
        # Reaches the top 0.2 s late: frames at 3.0 and 3.1 s still say "rising".
        return {"label": "rising" if 3.0 <= t < 3.15 else truth_label(t)}

    pred = write_pred(tmp_path / "pred", truth.clip, reps=[pred_rep()], row=late_top)
    m = score_clip(pred, truth).metrics
    assert (m.label_frames, m.label_correct) == (100, 98)
    assert m.label_accuracy == pytest.approx(0.98)
    # 4 boundaries x 5 frames within +-0.25 s are left out; both errors are among them.
    assert (m.label_frames_core, m.label_correct_core) == (80, 80)
    assert m.label_accuracy_core == 1.0
    assert m.confusion["pressup_hands"] == {"pressup_hands": 38, "rising": 2}
    assert m.confusion["prone_flat"] == {"prone_flat": 40}


def test_label_accuracy_on_render_uses_frames(tmp_path: Path) -> None:
    truth = load_truth(write_render(tmp_path))
    pred = write_pred(
        tmp_path / "pred",
        truth.clip,
        reps=[pred_rep()],
        row=lambda t: {"label": "sphinx" if 3.0 <= t < 7.0 else truth_label(t)},
    )
    m = score_clip(pred, truth).metrics
    assert m.label_accuracy == pytest.approx(0.6)
    assert m.confusion["pressup_hands"] == {"sphinx": 40}


def test_angle_mae(tmp_path: Path) -> None:
    truth = load_truth(write_render(tmp_path))

    def row(t: float) -> Row:
        a = true_angles(t)
        phase, _ = render_phase(t)
        lost = 5.0 <= t < 5.5  # untracked rows carry junk that must be ignored
        return {
            "label": truth_label(t),
            "trunk_deg": a["trunk_elevation_deg"] + (90.0 if lost else 2.0),
            # Wrong by 40 degrees at rest (ignored), by 3 when up.
            "elbow_deg": a["elbow_left_deg"] + (40.0 if phase == "rest" else -3.0),
            "hip_ext_deg": a["hip_extension_deg"] + 1.0,
            "neck_deg": None,  # unknown everywhere
            "tracked": 0 if lost else 1,
        }

    pred = write_pred(tmp_path / "pred", truth.clip, reps=[pred_rep()], row=row)
    m = score_clip(pred, truth).metrics
    assert m.angle_mae("trunk_deg") == pytest.approx(2.0)
    assert len(m.angle_errors["trunk_deg"]) == 95
    assert m.angle_mae("elbow_deg") == pytest.approx(3.0)
    assert m.angle_bias("elbow_deg") == pytest.approx(-3.0)
    assert len(m.angle_errors["elbow_deg"]) == 60 - 5  # press+hold+lower, minus untracked
    assert m.angle_mae("hip_ext_deg") == pytest.approx(1.0)
    assert m.angle_mae("neck_deg") is None
    assert len(m.angle_errors_hold["trunk_deg"]) == 40 - 5
    assert m.angle_mae("elbow_deg", hold_only=True) == pytest.approx(3.0)


def test_fault_recall_and_precision(tmp_path: Path) -> None:
    truth = load_truth(write_render(tmp_path))  # true faults: neck_extended, shrugged
    # Finds neck_extended (attached to the matched rep), misses the shrug.
    rep = pred_rep(faults=[fault("neck_extended", 3.5, 6.0, 1)])
    pred = write_pred(tmp_path / "p1", truth.clip, reps=[rep], faults=rep["faults"])
    m = score_clip(pred, truth).metrics
    assert m.fault_recall == 0.5
    assert m.fault_precision == 1.0
    assert m.faults["neck_extended"].n_found == 1
    assert m.faults["shoulders_shrugged"].n_found == 0

    # A false hips_lifted halves precision; short_hold is only counted.
    extra = [fault("hips_lifted", 4.0, 5.0, 1), fault("short_hold", 3.0, 7.0, 1)]
    rep2 = pred_rep(faults=[fault("neck_extended", 3.5, 6.0, 1), *extra])
    pred2 = write_pred(tmp_path / "p2", truth.clip, reps=[rep2], faults=rep2["faults"])
    m2 = score_clip(pred2, truth).metrics
    assert m2.fault_precision == 0.5
    assert m2.fault_recall == 0.5
    assert m2.short_hold_pred == 1
    assert m2.short_hold_expected == 1  # the 4 s true hold is under the 5 s target
    assert "short_hold" not in m2.faults


def test_fault_found_by_overlap_without_rep(tmp_path: Path) -> None:
    truth = load_truth(write_render(tmp_path, faults=("fast_lower",)))
    # Unattached, just after the lowering ends (inside the +1 s window).
    pred = write_pred(
        tmp_path / "p",
        truth.clip,
        reps=[pred_rep()],
        faults=[fault("fast_lowering", 8.5, 8.9, None)],
    )
    m = score_clip(pred, truth).metrics
    assert (m.fault_recall, m.fault_precision) == (1.0, 1.0)
    # Too late: outside the window and attached to no rep.
    pred = write_pred(
        tmp_path / "q",
        truth.clip,
        reps=[pred_rep()],
        faults=[fault("fast_lowering", 9.2, 9.5, None)],
    )
    m = score_clip(pred, truth).metrics
    assert (m.fault_recall, m.fault_precision) == (0.0, 0.0)


def test_evaluate_summary_and_table(tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    labels.mkdir()
    write_real(labels, "clip_real")
    write_real(labels, "clip_gone")
    write_render(labels, "s99_render_level")
    write_render(labels, "s98_render_high", height_m=1.0)
    (labels / "README.md").write_text("not a truth file")
    root = tmp_path / "pred"
    write_pred(root, "clip_real", reps=[pred_rep(top_end=6.6, end=7.8)])
    write_pred(root, "s99_render_level", reps=[pred_rep(faults=[fault("neck_extended", 3, 6, 1)])])
    write_pred(
        root,
        "s98_render_high",
        reps=[pred_rep(), pred_rep(index=2, start=8.5, top_start=9, top_end=9.5, end=9.9)],
    )

    scores = evaluate(root, labels)
    assert [s.clip for s in scores] == [
        "clip_gone",
        "clip_real",
        "s98_render_high",
        "s99_render_level",
    ]
    gone = scores[0]
    assert gone.missing and gone.rep_count_pred is None and gone.notes

    summary = summarise(scores)
    assert list(summary.groups) == [
        "all",
        "real",
        "render",
        "render/level",
        "render/turned-or-high",
    ]
    assert summary["all"].n_clips == 4 and summary["all"].n_missing == 1
    assert summary["all"].metrics.rep_count_exact == 2  # real + level render
    assert summary["all"].rep_count_exact_pct == 50.0
    assert summary["real"].rep_count_exact_pct == 50.0  # the missing clip counts as wrong
    render = summary["render"].metrics
    # Level clip: 1 of 2 found, 1/1 correct; high clip: 0 of 2, no prediction.
    assert render.fault_recall == 0.25
    assert render.fault_precision == 1.0
    assert summary["render/level"].metrics.fault_recall == 0.5
    assert summary["real"].metrics.fault_clips == 0
    assert summary["real"].metrics.hold_errors_s == [pytest.approx(0.4)]

    table = format_table(scores, summary)
    rows = [ln for ln in table.splitlines() if ln.startswith("|")]
    assert len(rows) == 2 + 4 + 5  # header, rule, clips, groups
    assert "missing prediction" in table
    assert "excl. ±0.25 s" in rows[0]
    assert all(r.count("|") == rows[0].count("|") for r in rows)
    details = format_details(summary)
    assert "neck_extended" in details and "true \\ predicted" in details

    # A single file works too.
    (one,) = evaluate(root, labels / "clip_real.json")
    assert one.metrics.hold_errors_s == [pytest.approx(0.4)]


def test_malformed_predictions(tmp_path: Path) -> None:
    truth = load_truth(write_real(tmp_path))
    d = write_pred(tmp_path / "pred", truth.clip, reps=[pred_rep()])
    data = json.loads((d / "analysis.json").read_text())
    data["schema"] = "something/2"
    (d / "analysis.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"pressup\.analysis/1"):
        score_clip(d, truth)

    d2 = write_pred(
        tmp_path / "pred2", truth.clip, reps=[pred_rep()], row=lambda t: {"label": "flying"}
    )
    with pytest.raises(InputError, match="column label"):
        load_prediction(d2)

    d3 = write_pred(
        tmp_path / "pred3", truth.clip, reps=[pred_rep(faults=[fault("bad_code", 1, 2, 1)])]
    )
    with pytest.raises(InputError, match="bad_code"):
        load_prediction(d3)

    d4 = write_pred(tmp_path / "pred4", truth.clip, reps=[pred_rep()], frames=False)
    s = score_clip(d4, truth)
    assert s.metrics.label_frames == 0 and any("frames.csv" in n for n in s.notes)

    with pytest.raises(InputError, match="expected a folder"):
        evaluate(tmp_path / "nowhere", tmp_path)


# ------------------------------------------------------------------------------------------
# The real data (skipped when ../shared/data is absent)
# ------------------------------------------------------------------------------------------


def _data_root() -> Path:
    return shared_data_root()


def _check_invariants(truth: Truth) -> None:
    segs = truth.segments
    assert segs and segs[0].start_s == 0.0
    assert segs[-1].end_s == truth.duration_s
    for a, b in zip(segs, segs[1:]):
        assert a.end_s == b.start_s, (truth.clip, a, b)
    for s in segs:
        assert s.end_s > s.start_s and s.label in LABELS
    assert [r.index for r in truth.reps] == list(range(1, len(truth.reps) + 1))
    assert truth.expected_rep_count == sum(1 for r in truth.reps if r.complete)
    for r in truth.reps:
        times = [
            t for t in (r.rise_start_s, r.top_start_s, r.top_end_s, r.down_end_s) if t is not None
        ]
        assert times == sorted(times), (truth.clip, r)
        assert all(-1e-6 <= t <= truth.duration_s + 0.01 for t in times), (truth.clip, r)
        if r.complete:
            assert r.interval(truth.duration_s) is not None
            assert r.hold_s is not None and r.hold_s >= 0
    if truth.dataset == "render":
        f = truth.frames
        assert f is not None
        assert abs(len(f) - truth.duration_s * truth.fps) <= 1
        assert np.all(np.diff(f.t_s) > 0)
        assert all(math.isfinite(v) for c in ANGLE_COLUMNS for v in f.angles[c])
        starts = np.asarray([s.start_s for s in segs])
        seg_label = np.asarray([s.label for s in segs])[np.searchsorted(starts, f.t_s, "right") - 1]
        assert np.array_equal(seg_label, f.label), truth.clip
        assert truth.camera.side in ("left", "right")
        assert truth.camera.level_side_view is not None
        assert truth.has_faults
    else:
        assert truth.frames is None
        assert truth.camera.view_class is not None


@pytest.mark.data
@pytest.mark.parametrize("sub", ["real/labels", "render"])
def test_shared_truth_files_load(sub: str) -> None:
    folder = _data_root() / sub
    if not folder.is_dir():
        pytest.skip(f"{folder} not found (set PRESSUP_DATA)")
    files = truth_files(folder)
    assert files, f"no truth files in {folder}"
    clips = set()
    for path in files:
        truth = load_truth(path)
        _check_invariants(truth)
        clips.add(truth.clip)
    assert len(clips) == len(files)
