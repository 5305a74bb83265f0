"""Checks of the synthetic track generator itself (``pressup.synthetic``).

Angles are recomputed here from the noiseless image landmarks with plain numpy (no pressup
kinematics), following the conventions of the ``synth`` module docstring.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from pressup.analysis.result import LABELS
from pressup.pose.track import LANDMARK_INDEX, PoseTrack, load_track
from pressup.synthetic import (
    BODY_Y,
    HIP_LIFT_FRACTION,
    KNEE_Y,
    NECK_PER_TRUNK,
    NEUTRAL_NECK_DEG,
    THIGH,
    TRUNK,
    RepScript,
    SessionScript,
    Truth,
    make_session,
)
from support.angles import elev, interior

FloatArray = npt.NDArray[np.float64]
TOL = 1e-6  # degrees / ratios


# -- independent measurement from the image ---------------------------------------------------
def body_frame(track: PoseTrack, side: str, roll_deg: float) -> FloatArray:
    """``(frame, 33, 2)`` points with the roll undone, y up and x towards the head (pixels)."""
    w, h = track.source.width, track.source.height
    cx, cy = w / 2.0, h / 2.0
    dx = track.data[:, :, 0] - cx
    dy = track.data[:, :, 1] - cy
    r = math.radians(-roll_deg)  # undo a counter-clockwise-on-screen roll
    x = dx * math.cos(r) + dy * math.sin(r)
    y = -dx * math.sin(r) + dy * math.cos(r)
    out: FloatArray = np.stack([x, -y], axis=-1)
    if side == "left":
        out[..., 0] *= -1.0
    return out


def measure(track: PoseTrack, side: str, roll_deg: float = 0.0) -> dict[str, FloatArray]:
    p = body_frame(track, side, roll_deg)

    def pt(name: str) -> FloatArray:
        return p[:, LANDMARK_INDEX[f"{side}_{name}"]]

    sh, hip, knee, ear = pt("shoulder"), pt("hip"), pt("knee"), pt("ear")
    trunk = elev(sh - hip)
    neck = elev(ear - sh) - trunk
    trunk_len = np.hypot(*(sh - hip).T)
    return {
        "trunk_deg": trunk,
        "elbow_deg": interior(sh, pt("elbow"), pt("wrist")),
        "hip_ext_deg": trunk - elev(hip - knee),
        "neck_deg": 180.0 - np.mod(180.0 - neck, 360.0),
        "shrug_ratio": np.hypot(*(ear - sh).T) / trunk_len,
        # lying level = hip height in the first frame (prone_flat in every script here)
        "hip_lift": (hip[:, 1] - hip[0, 1]) / trunk_len,
    }


def in_window(truth: Truth, a: float, b: float) -> npt.NDArray[np.bool_]:
    return (truth.t_s >= a) & (truth.t_s < b)


# -- scripts ------------------------------------------------------------------------------------
def two_reps(**kw: object) -> SessionScript:
    reps = [
        RepScript("forearms", press_s=1.0, hold_s=2.0, lower_s=1.0, rest_s=1.0),
        RepScript("hands", press_s=1.2, hold_s=3.0, lower_s=1.5, rest_s=1.0),
    ]
    return SessionScript(reps=reps, start_rest_s=1.0, end_rest_s=1.0, **kw)  # type: ignore[arg-type]


def every_fault() -> SessionScript:
    r = RepScript
    return SessionScript(
        reps=[
            r("hands", 1.0, 2.0, 1.0, 0.5),
            r("hands", 1.0, 2.0, 1.0, 0.5, faults=("elbows_locked",)),
            r("hands", 1.0, 2.0, 1.0, 0.5, faults=("neck_extended",)),
            r("forearms", 1.0, 2.0, 1.0, 0.5, faults=("neck_flexed",)),
            r("hands", 1.0, 2.0, 1.0, 0.5, faults=("hips_lifted",)),
            r("hands", 1.0, 2.0, 1.0, 0.5, faults=("shoulders_shrugged",)),
            r("forearms", 1.0, 2.0, 0.5, 0.5, faults=("fast_lowering",)),
            r("hands", 1.0, 1.0, 1.0, 0.5, faults=("short_hold",)),
            r("forearms", 1.0, 2.0, 1.0, 0.5),
        ],
        start_rest_s=1.0,
        end_rest_s=1.0,
    )


@pytest.fixture(scope="module")
def faults_session() -> tuple[PoseTrack, Truth]:
    return make_session(every_fault())


# -- tests ----------------------------------------------------------------------------------------
def test_track_format() -> None:
    track, truth = make_session(two_reps())
    assert track.source.backend == "synthetic"
    assert track.source.model == "stick-figure"
    assert (track.source.width, track.source.height, track.source.fps) == (960, 540, 30.0)
    total = 1.0 + (1.0 + 2.0 + 1.0 + 1.0) + (1.2 + 3.0 + 1.5 + 1.0) + 1.0
    assert track.n_frames == round(total * 30)
    np.testing.assert_array_equal(track.t_s, np.arange(track.n_frames) / 30.0)
    np.testing.assert_array_equal(truth.t_s, track.t_s)
    assert track.data.shape == (track.n_frames, 33, 4)
    assert np.all(np.isfinite(track.data))
    assert set(truth.label) <= set(LABELS)
    for col in truth.columns().values():
        assert col.shape == (track.n_frames,)
    # whole figure in frame, about 70 % of the width, hips at the image centre
    xs = track.data[0, :, 0]
    assert xs.min() > 0 and xs.max() < 960 and 0.6 < np.ptp(xs) / 960 < 0.8
    hip = track.data[0, LANDMARK_INDEX["left_hip"], :2]
    np.testing.assert_allclose(hip, [480.0, 270.0], atol=1e-9)
    assert truth.trunk_len_px == pytest.approx(TRUNK * 0.7 * 960)


def test_label_timeline_matches_script() -> None:
    _, truth = make_session(two_reps())
    expected = [
        (0.0, 1.0, "prone_flat"),
        (1.0, 2.0, "rising"),
        (2.0, 4.0, "sphinx"),
        (4.0, 5.0, "lowering"),
        (5.0, 6.0, "prone_flat"),
        (6.0, 7.2, "rising"),
        (7.2, 10.2, "pressup_hands"),
        (10.2, 11.7, "lowering"),
        (11.7, 13.7, "prone_flat"),
    ]
    segs = truth.segments()
    assert [s[2] for s in segs] == [e[2] for e in expected]
    for (a, b, _), (ea, eb, _) in zip(segs, expected):
        # segment edges are frame times: within one frame period of the scripted edge
        assert ea - 1e-9 <= a < ea + 1 / 30 and eb - 1e-9 <= b < eb + 1 / 30
    r1, r2 = truth.reps
    assert (r1.start_s, r1.top_start_s, r1.top_end_s, r1.end_s) == (1.0, 2.0, 4.0, 5.0)
    assert r2.top_start_s == pytest.approx(7.2) and r2.end_s == pytest.approx(11.7)
    assert (r1.variant, r2.variant) == ("forearms", "hands")
    assert r2.hold_s == pytest.approx(3.0) and r2.lower_s == pytest.approx(1.5)
    assert truth.rep_count == 2 and all(r.complete for r in truth.reps)
    assert set(truth.rep[truth.label == "pressup_hands"]) == {2}


@pytest.mark.parametrize(
    ("side", "roll", "scale"), [("left", 0.0, 1.0), ("right", 7.5, 0.8), ("left", -12.0, 1.1)]
)
def test_angles_recomputed_from_landmarks_equal_truth(side: str, roll: float, scale: float) -> None:
    script = every_fault()
    script.side = side  # type: ignore[assignment]
    script.camera_roll_deg = roll
    script.scale = scale
    script.other_pose = [(2.0, 2.5, "plank"), (37.0, 38.4, "pushup"), (38.5, 39.0, "stand")]
    track, truth = make_session(script)
    got = measure(track, side, roll)
    lying = truth.label != "other_pose"
    for name, col in truth.columns().items():
        if name == "t_s":
            continue
        sel = lying if name == "hip_lift" else np.ones_like(lying)
        np.testing.assert_allclose(got[name][sel], col[sel], atol=TOL, rtol=0, err_msg=name)
    assert (truth.label == "other_pose").sum() == round(0.5 * 30) + 42 + 15


def test_trunk_follows_script_with_smooth_press_and_breathing() -> None:
    _, truth = make_session(two_reps())
    r1, r2 = truth.reps
    rest = truth.label == "prone_flat"
    np.testing.assert_allclose(truth.trunk_deg[rest], 0.0, atol=1e-9)
    # legs flat, pelvis down: the thigh keeps its lying slope (hip above the kneecap)
    thigh = math.degrees(math.asin((BODY_Y - KNEE_Y) / THIGH))
    np.testing.assert_allclose(truth.hip_ext_deg, truth.trunk_deg - thigh, atol=1e-9)
    np.testing.assert_allclose(truth.hip_lift, 0.0, atol=1e-12)
    for rep, peak in ((r1, 15.0), (r2, 38.0)):
        hold = in_window(truth, rep.top_start_s, rep.top_end_s)
        dev = truth.trunk_deg[hold] - peak
        assert np.abs(dev).max() <= 0.5 + 1e-9 and np.abs(dev).max() > 0.4  # breathing
        press = in_window(truth, rep.start_s, rep.top_start_s)
        assert np.all(np.diff(truth.trunk_deg[press]) > 0)
        lower = in_window(truth, rep.top_end_s, rep.end_s)
        assert np.all(np.diff(truth.trunk_deg[lower]) < 0)
        # cosine ease: half-way through the press is half the peak
        mid = in_window(truth, (rep.start_s + rep.top_start_s) / 2 - 1e-6, 1e9)
        u = (truth.t_s[mid][0] - rep.start_s) / (rep.top_start_s - rep.start_s)
        expect = peak * (1 - math.cos(math.pi * u)) / 2
        assert truth.trunk_deg[mid][0] == pytest.approx(expect, abs=1e-9)


def test_elbow_ranges_by_variant() -> None:
    _, truth = make_session(two_reps())
    r1, r2 = truth.reps
    rest = truth.label == "prone_flat"
    assert np.all((truth.elbow_deg[rest] > 25) & (truth.elbow_deg[rest] < 60))
    sphinx = in_window(truth, r1.top_start_s, r1.top_end_s)
    assert np.all((truth.elbow_deg[sphinx] > 80) & (truth.elbow_deg[sphinx] < 100))
    hands = in_window(truth, r2.top_start_s, r2.top_end_s)
    assert np.all((truth.elbow_deg[hands] > 150) & (truth.elbow_deg[hands] < 166))
    assert r2.peak_elbow_deg < 172


def test_neutral_neck_and_shrug() -> None:
    _, truth = make_session(two_reps())
    np.testing.assert_allclose(
        truth.neck_deg, NEUTRAL_NECK_DEG + NECK_PER_TRUNK * truth.trunk_deg, atol=1e-9
    )
    np.testing.assert_allclose(truth.shrug_ratio, 0.11 / 0.28, atol=1e-12)


def test_fault_magnitudes(faults_session: tuple[PoseTrack, Truth]) -> None:
    _, truth = faults_session
    reps = {r.faults[0] if r.faults else f"clean{r.index}": r for r in truth.reps}
    neutral = NEUTRAL_NECK_DEG + NECK_PER_TRUNK * truth.trunk_deg

    def hold(rep_key: str) -> npt.NDArray[np.bool_]:
        r = reps[rep_key]
        return in_window(truth, r.top_start_s, r.top_end_s)

    locked = hold("elbows_locked")
    np.testing.assert_array_equal(truth.elbow_deg[locked], 180.0)
    r = reps["elbows_locked"]
    assert r.peak_elbow_deg == 180.0 and 38.5 < r.peak_trunk_deg < 47.0
    for key in ("clean1", "short_hold", "neck_extended", "shoulders_shrugged"):
        assert truth.elbow_deg[hold(key)].max() < 170.0

    ext, flex = hold("neck_extended"), hold("neck_flexed")
    np.testing.assert_allclose(truth.neck_deg[ext] - neutral[ext], 20.0, atol=1e-9)
    np.testing.assert_allclose(truth.neck_deg[flex] - neutral[flex], -20.0, atol=1e-9)

    lifted = hold("hips_lifted")
    np.testing.assert_allclose(truth.hip_lift[lifted], HIP_LIFT_FRACTION, atol=1e-12)
    assert truth.trunk_deg[lifted].min() > 15.0  # hands: trunk still clearly up
    others = truth.rep != truth.reps[4].index
    np.testing.assert_allclose(truth.hip_lift[others], 0.0, atol=1e-12)

    shrug = hold("shoulders_shrugged")
    np.testing.assert_allclose(truth.shrug_ratio[shrug], 0.6 * 0.11 / 0.28, atol=1e-12)

    assert reps["fast_lowering"].lower_s == pytest.approx(0.5)
    assert reps["short_hold"].hold_s == pytest.approx(1.0)
    codes = {(c, rep) for c, _, _, rep in truth.fault_intervals}
    assert ("fast_lowering", 7) in codes and ("short_hold", 8) in codes and len(codes) == 7
    fl = next(f for f in truth.fault_intervals if f[0] == "fast_lowering")
    assert fl[1:3] == (reps["fast_lowering"].top_end_s, reps["fast_lowering"].end_s)


def test_dropouts_cut_and_completeness() -> None:
    script = two_reps(dropouts=[(3.9, 5.2)], cut=(0.2, 0.6))
    track, truth = make_session(script)
    gone = in_window(truth, 3.9, 5.2)
    assert np.all(np.isnan(track.data[gone, :, :3])) and np.all(track.data[gone, :, 3] == 0)
    assert np.all(truth.label[gone] == "not_visible")
    assert np.all(np.isfinite(track.data[~gone, :, :3]))
    assert np.all(np.isfinite(truth.trunk_deg))  # truth keeps the underlying body
    # the dropout swallows rep 1's lowering (4.0-5.0): incomplete, rep 2 still counts
    assert [r.complete for r in truth.reps] == [False, True] and truth.rep_count == 1

    cut = in_window(truth, 0.2, 0.6)
    assert np.all(truth.label[cut] == "not_visible")
    head = [LANDMARK_INDEX[n] for n in ("left_ear", "left_shoulder", "nose", "left_eye")]
    xy = track.data[cut][:, head, :2]
    assert np.all((xy[..., 0] >= 0) & (xy[..., 0] < 960) & (xy[..., 1] >= 0) & (xy[..., 1] < 540))
    assert np.all(track.data[cut][:, head, 3] >= 0.9)
    ear_sh = np.hypot(*(track.data[cut, 7, :2] - track.data[cut, 11, :2]).T)
    assert np.all(ear_sh > 2.5 * 0.11 * 672)  # close-up: head/shoulder huge
    body = [LANDMARK_INDEX[n] for n in ("left_hip", "left_knee", "left_ankle", "left_wrist")]
    assert np.all(track.data[cut][:, body, 3] <= 0.05)

    # a short dropout inside a press does not break the rep
    _, truth2 = make_session(two_reps(dropouts=[(1.4, 1.6)]))
    assert truth2.rep_count == 2


def test_other_pose_intervals_and_geometry() -> None:
    script = two_reps(other_pose=[(5.0, 5.9, "plank"), (12.0, 13.5, "pushup")])
    script.end_rest_s = 3.0
    script.other_pose.append((14.0, 15.0, "stand"))
    track, truth = make_session(script)
    plank = in_window(truth, 5.0, 5.9)
    assert np.all(truth.label[plank] == "other_pose")
    assert np.all((truth.trunk_deg[plank] > 15) & (truth.trunk_deg[plank] < 20.5))
    np.testing.assert_allclose(truth.elbow_deg[plank], 180.0)
    np.testing.assert_allclose(truth.hip_ext_deg[plank], 0.0, atol=1e-9)
    assert np.all(truth.hip_lift[plank] > 0.3)  # pelvis off the floor
    pushup = in_window(truth, 12.0, 13.5)
    el = truth.elbow_deg[pushup]
    assert el.max() == 180.0 and el.min() < 70.0
    bottom = int(np.argmin(np.abs(truth.t_s - 12.75)))
    assert truth.elbow_deg[bottom] == pytest.approx(el.min())
    stand = in_window(truth, 14.0, 15.0)
    np.testing.assert_allclose(truth.trunk_deg[stand], 90.0, atol=1e-9)
    ys = track.data[stand][:, :, 1]
    assert ys.min() > 0 and ys.max() < 540  # whole standing figure in frame
    assert truth.rep_count == 2  # other poses only in rests here


def test_side_right_mirrors_x() -> None:
    left, tl = make_session(two_reps(side="left"))
    right, tr = make_session(two_reps(side="right"))
    for name, i in LANDMARK_INDEX.items():
        j = LANDMARK_INDEX[name.replace("left", "@").replace("right", "left").replace("@", "right")]
        np.testing.assert_allclose(right.data[:, j, 0], 960 - left.data[:, i, 0], atol=1e-9)
        np.testing.assert_allclose(right.data[:, j, 1:], left.data[:, i, 1:], atol=1e-9)
    for name, col in tl.columns().items():
        np.testing.assert_array_equal(col, tr.columns()[name])
    # head at the image left for side="left", right for side="right"
    nose, hip = LANDMARK_INDEX["nose"], LANDMARK_INDEX["left_hip"]
    assert left.data[0, nose, 0] < left.data[0, hip, 0]
    assert right.data[0, nose, 0] > right.data[0, LANDMARK_INDEX["right_hip"], 0]


def test_near_and_far_side_rendering() -> None:
    track, _ = make_session(two_reps(side="left"))
    near, far = LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]
    d = track.data
    assert np.all(d[:, near, 3] == 0.95) and np.all(d[:, far, 3] == 0.4)
    np.testing.assert_allclose(d[:, far, 2] - d[:, near, 2], 0.15 * TRUNK * 672)
    gap = np.hypot(*(d[:, far, :2] - d[:, near, :2]).T)
    assert np.all((gap > 2) & (gap < 10))


def test_camera_roll_rotates_floor_line() -> None:
    def shin_angle(roll: float) -> float:
        track, _ = make_session(two_reps(camera_roll_deg=roll))
        knee, ankle = track.point("left_knee")[0], track.point("left_ankle")[0]
        v = ankle - knee  # towards the feet = image right for side="left"
        return math.degrees(math.atan2(-v[1], v[0]))

    # counter-clockwise on screen: the right-hand end of every line goes up (smaller y)
    assert shin_angle(10.0) - shin_angle(0.0) == pytest.approx(10.0, abs=1e-9)


def test_noise_is_seeded_and_truth_stays_exact() -> None:
    clean, t0 = make_session(two_reps())
    a, ta = make_session(two_reps(noise_px=2.0, seed=3))
    b, _ = make_session(two_reps(noise_px=2.0, seed=3))
    c, _ = make_session(two_reps(noise_px=2.0, seed=4))
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)
    resid = (a.data[:, :, :2] - clean.data[:, :, :2]).ravel()
    assert abs(resid.mean()) < 0.1 and resid.std() == pytest.approx(2.0, rel=0.05)
    np.testing.assert_array_equal(a.data[:, :, 2:], clean.data[:, :, 2:])
    np.testing.assert_array_equal(ta.trunk_deg, t0.trunk_deg)


@pytest.mark.parametrize(
    "rep",
    [
        RepScript("forearms", 1.0, 1.0, 1.0, 1.0, faults=("elbows_locked",)),
        RepScript("hands", 1.0, 1.0, 1.0, 1.0, faults=("neck_extended", "neck_flexed")),
        RepScript("hands", 1.0, 1.0, 1.0, 1.0, faults=("bad_code",)),
        RepScript("hands", 1.0, 1.0, 1.0, 1.0, trunk_deg=45.0),
        RepScript("hands", 0.0, 1.0, 1.0, 1.0),
    ],
)
def test_invalid_scripts_are_rejected(rep: RepScript) -> None:
    with pytest.raises(ValueError):
        make_session(SessionScript(reps=[rep]))


def test_track_round_trips_through_file(tmp_path: Path) -> None:
    track, _ = make_session(two_reps(dropouts=[(2.0, 2.2)]))
    back = load_track(track.save(tmp_path / "synthetic.npz"))
    np.testing.assert_allclose(back.data, track.data, atol=1e-3, equal_nan=True)
    assert back.source == track.source
