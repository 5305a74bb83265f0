"""Movements that must never be counted as a press-up (``pressup.negatives``).

First the generator itself: every shape is a valid track, and a few geometric facts that make
each shape what it claims to be are recomputed from the image landmarks (body units ``H``,
degrees). Then the key check: the whole offline analysis counts zero press-ups in every shape,
seen from either side, with and without landmark noise. An analysis that refuses the track
(a :class:`~pressup.errors.PressupError` such as ``NoPersonError`` or ``ViewError``) also
counts nothing; the outcome of each case is recorded as the ``outcome`` property of the test
(``pytest --junitxml`` keeps it) and printed with ``-rA``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import numpy.typing as npt
import pytest

from pressup.analysis.run import analyze_track
from pressup.errors import PressupError
from pressup.negatives import (
    NEGATIVES,
    body_coordinates,
    forearm_plank,
    get_down_from_all_fours,
    get_down_from_standing,
    knee_pushup,
    lying_still,
    push_back_to_all_fours,
    pushup_from_lying,
    roll_onto_side,
    superman,
    swimmer,
)
from pressup.pose.track import LANDMARK_INDEX, N_LANDMARKS, PoseTrack
from pressup.protocol import ProtocolSpec, load_spec
from pressup.synthetic import BODY_Y, FOREARM, KNEE_Y, SHANK, THIGH, TRUNK, UPPER_ARM, Side
from support.angles import elev, interior

FloatArray = npt.NDArray[np.float64]
SHAPES = sorted(NEGATIVES)
SIDES: tuple[Side, ...] = ("left", "right")


@cache
def track_of(name: str, side: Side, noise_px: float = 0.0) -> PoseTrack:
    return NEGATIVES[name](side, noise_px=noise_px, seed=3)


@cache
def spec() -> ProtocolSpec:
    return load_spec()


class Body:
    """Body-frame landmarks (H units, X towards the head, Y up) of a generated track."""

    def __init__(self, track: PoseTrack) -> None:
        self.track = track
        self.t = track.t_s
        self.xy = body_coordinates(track)
        self.near = str(track.meta["side"])
        self.far = "right" if self.near == "left" else "left"

    def p(self, part: str, far: bool = False) -> FloatArray:
        side = self.far if far else self.near
        name = f"mouth_{side}" if part == "mouth" else f"{side}_{part}"
        out: FloatArray = self.xy[:, LANDMARK_INDEX[name]]
        return out

    def at(self, t_s: float) -> int:
        return int(np.argmin(np.abs(self.t - t_s)))

    def between(self, a: float, b: float) -> npt.NDArray[np.bool_]:
        return np.asarray((self.t >= a) & (self.t < b), dtype=bool)


def assert_straight(b: Body, when: npt.NDArray[np.bool_], *lines: tuple[str, str, str]) -> None:
    """Each ``(a, mid, c)`` landmark line bends less than 1 deg at ``mid`` in the frames
    ``when``."""
    for a, mid, c in lines:
        bend = 180.0 - interior(b.p(a), b.p(mid), b.p(c))
        assert np.all(bend[when] < 1.0), (a, mid, c)


def angles(b: Body) -> dict[str, FloatArray]:
    return {
        "trunk": elev(b.p("shoulder") - b.p("hip")),
        "thigh": elev(b.p("hip") - b.p("knee")),
        "shin": elev(b.p("knee") - b.p("ankle")),
        "elbow": interior(b.p("shoulder"), b.p("elbow"), b.p("wrist")),
    }


def local_minima(y: FloatArray) -> int:
    return int(np.sum((y[1:-1] < y[:-2]) & (y[1:-1] <= y[2:])))


def assert_pushups(b: Body, reps: npt.NDArray[np.bool_], count: int) -> None:
    """``count`` push-ups in the frames ``reps``: as many lows of the shoulder, the elbow from
    nearly straight to well bent."""
    elbow = angles(b)["elbow"][reps]
    assert local_minima(b.p("shoulder")[reps, 1]) == count
    assert elbow.max() > 160.0 and elbow.min() < 70.0


# -- every shape: a valid track ---------------------------------------------------------------
@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("name", SHAPES)
def test_valid_track(name: str, side: Side) -> None:
    track = track_of(name, side)
    n = track.n_frames
    assert track.source.backend == "synthetic"
    assert track.data.shape == (n, N_LANDMARKS, 4)
    assert 10.0 <= track.duration_s <= 35.0
    assert np.allclose(np.diff(track.t_s), 1.0 / track.source.fps)
    vis = track.visibility
    assert np.all((vis >= 0.0) & (vis <= 1.0))
    seen = vis > 0.0
    assert np.all(np.isfinite(track.data[:, :, :3][seen]))
    assert seen.all(), "no landmark is dropped"
    # the whole body is in the picture and the camera side is the more visible one
    assert np.mean(vis > 0.5) > 0.99
    near, far = track.meta["side"], "left" if track.meta["side"] == "right" else "right"
    for part in ("shoulder", "hip", "knee", "ankle", "wrist", "elbow"):
        v_near = vis[:, LANDMARK_INDEX[f"{near}_{part}"]]
        v_far = vis[:, LANDMARK_INDEX[f"{far}_{part}"]]
        assert np.median(v_near) == pytest.approx(0.95)
        assert 0.55 <= np.median(v_far) <= 0.75  # 0.6; rises when rolled towards the camera
        z_near = track.data[:, LANDMARK_INDEX[f"{near}_{part}"], 2]
        z_far = track.data[:, LANDMARK_INDEX[f"{far}_{part}"], 2]
        assert np.median(z_near) < np.median(z_far)
    # the head of a lying figure is towards the image left for side="left"
    nose_x = track.data[-1, LANDMARK_INDEX["nose"], 0]
    ankle_x = track.data[-1, LANDMARK_INDEX[f"{near}_ankle"], 0]
    assert (nose_x < ankle_x) == (side == "left")


@pytest.mark.parametrize("name", SHAPES)
def test_sides_mirror_and_roll_roundtrip(name: str) -> None:
    left = Body(track_of(name, "left"))
    right = Body(track_of(name, "right"))
    for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "ear", "foot_index"):
        assert np.allclose(left.p(part), right.p(part), atol=1e-9)
        assert np.allclose(left.p(part, far=True), right.p(part, far=True), atol=1e-9)
    rolled = Body(NEGATIVES[name]("right", camera_roll_deg=12.0))
    assert np.allclose(rolled.xy, right.xy, atol=1e-9)
    moved = np.abs(rolled.track.xy - right.track.xy).max()
    assert moved > 5.0  # the roll did move the landmarks on screen


@pytest.mark.parametrize("name", SHAPES)
def test_segment_lengths_and_floor(name: str) -> None:
    b = Body(track_of(name, "left"))
    lengths = {
        ("shoulder", "elbow"): UPPER_ARM,
        ("elbow", "wrist"): FOREARM,
        ("hip", "knee"): THIGH,
    }
    if name != "roll_onto_side":  # rolling shortens the side view of trunk and shin a little
        lengths[("shoulder", "hip")] = TRUNK
        lengths[("knee", "ankle")] = SHANK
    for (a, c), want in lengths.items():
        got = np.hypot(*(b.p(a) - b.p(c)).T)
        assert np.allclose(got, want, atol=1e-9), (a, c)
    # nothing goes through the floor
    assert b.xy[:, :, 1].min() >= -1e-9


def test_noise_is_seeded_gaussian() -> None:
    clean = track_of("lying_still", "left")
    a = lying_still("left", noise_px=2.0, seed=11)
    b = lying_still("left", noise_px=2.0, seed=11)
    c = lying_still("left", noise_px=2.0, seed=12)
    assert np.array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)
    diff = (a.xy - clean.xy).ravel()
    assert np.std(diff) == pytest.approx(2.0, rel=0.05)
    assert abs(float(np.mean(diff))) < 0.05


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="side"):
        swimmer("front")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fps"):
        superman(fps=0.0)
    with pytest.raises(ValueError, match="noise_px"):
        lying_still(noise_px=-1.0)
    with pytest.raises(ValueError, match="cycles"):
        swimmer(cycles=0)
    with pytest.raises(ValueError, match="reps"):
        knee_pushup(reps=0)


# -- each shape is what it claims to be -------------------------------------------------------
@pytest.mark.parametrize("side", SIDES)
def test_swimmer_geometry(side: Side) -> None:
    b = Body(swimmer(side))
    a = angles(b)
    # hands reach far beyond the head along the floor, elbows straight, never beside the chest
    ahead = b.p("wrist")[:, 0] - b.p("ear")[:, 0]
    assert np.mean(ahead > 0.1) > 0.95
    assert np.all(b.p("wrist")[:, 0] - b.p("shoulder")[:, 0] > 0.2)
    assert a["elbow"].min() > 165.0
    # the chest rises a little, repeatedly; the pelvis stays down
    assert 5.0 <= a["trunk"].max() <= 12.0
    assert a["trunk"].min() > -0.5
    assert local_minima(-a["trunk"]) >= 4
    assert np.allclose(b.p("hip")[:, 1], BODY_Y)
    # alternate opposite arm and leg: near wrist up with the far ankle, far wrist with the near
    near_arm = b.p("wrist")[:, 1] - b.p("wrist")[0, 1]
    far_arm = b.p("wrist", far=True)[:, 1] - b.p("wrist", far=True)[0, 1]
    near_leg = b.p("ankle")[:, 1] - b.p("ankle")[0, 1]
    far_leg = b.p("ankle", far=True)[:, 1] - b.p("ankle", far=True)[0, 1]
    for arm, leg, other_arm in ((near_arm, far_leg, far_arm), (far_arm, near_leg, near_arm)):
        assert 0.03 < arm.max() < 0.1  # a few cm up to about 15 cm
        up = arm > 0.02
        assert np.all(leg[up] > 0.005)
        assert np.all(other_arm[up] < 0.005)


@pytest.mark.parametrize("side", SIDES)
def test_superman_geometry(side: Side) -> None:
    b = Body(superman(side))
    a = angles(b)
    assert 10.0 <= a["trunk"].max() <= 20.0
    held = b.between(3.2, 6.2) | b.between(9.7, 12.7) | b.between(16.2, 19.2)
    assert np.all(a["trunk"][held] > 10.0)
    for far in (False, True):
        assert np.all(b.p("wrist", far=far)[held, 1] > 0.06)
        assert np.all(b.p("ankle", far=far)[held, 1] > 0.1)
        assert np.all(b.p("wrist", far=far)[:, 0] - b.p("ear")[:, 0] > 0.1)
    assert np.allclose(b.p("hip")[:, 1], BODY_Y)
    # three separate lifts
    assert local_minima(-a["trunk"]) == 3


def _check_all_fours(b: Body, i: int) -> None:
    hip, knee, ankle = b.p("hip")[i], b.p("knee")[i], b.p("ankle")[i]
    shoulder, wrist = b.p("shoulder")[i], b.p("wrist")[i]
    assert hip[1] - knee[1] > 0.8 * THIGH  # knee well below the hip
    assert hip[1] - ankle[1] > 0.8 * TRUNK  # hip high above the ankles' level
    assert knee[1] < 0.08  # on the knees
    assert abs(elev((shoulder - hip)[None])[0]) < 10.0  # trunk roughly horizontal
    assert shoulder[1] > 0.25 and wrist[1] < 0.02  # propped on straight-ish arms
    assert abs(wrist[0] - shoulder[0]) < 0.05


@pytest.mark.parametrize("side", SIDES)
def test_get_down_from_all_fours_geometry(side: Side) -> None:
    b = Body(get_down_from_all_fours(side))
    _check_all_fours(b, 0)
    _check_all_fours(b, b.at(2.9))
    a = angles(b)
    lying = b.between(9.5, 14.5)
    assert np.all(np.abs(a["trunk"][lying]) < 0.5)
    assert np.allclose(b.p("hip")[lying, 1], BODY_Y)
    assert np.allclose(b.p("knee")[lying, 1], KNEE_Y)
    # the thighs come down monotonically while the arms hold the chest up
    sink = b.between(3.0, 7.0)
    assert np.all(np.diff(a["thigh"][sink]) <= 1e-9)
    assert a["trunk"][b.at(7.0)] > 30.0


@pytest.mark.parametrize("side", SIDES)
def test_get_down_from_standing_geometry(side: Side) -> None:
    b = Body(get_down_from_standing(side))
    a = angles(b)
    stand = b.between(0.0, 2.0)
    for key in ("trunk", "thigh", "shin"):
        assert np.all(a[key][stand] > 85.0)
    assert np.all(b.p("ear")[stand, 1] > 0.85)
    assert np.all(b.p("ankle")[stand, 1] < 0.05)
    kneel = b.at(5.0)
    assert b.p("knee")[kneel, 1] < 0.08 and a["trunk"][kneel] > 70.0
    _check_all_fours(b, b.at(7.0))
    lying = b.between(14.0, 18.0)
    assert np.all(np.abs(a["trunk"][lying]) < 0.5)
    assert np.all(b.p("hip")[lying, 1] < 0.13)


@pytest.mark.parametrize("side", SIDES)
def test_push_back_to_all_fours_geometry(side: Side) -> None:
    b = Body(push_back_to_all_fours(side))
    a = angles(b)
    assert np.all(np.abs(a["trunk"][b.between(0.0, 3.0)]) < 0.5)
    _check_all_fours(b, b.at(7.0))
    child = b.between(10.0, 14.0)
    assert np.all(a["thigh"][child] > 135.0)  # sitting back towards the heels
    assert np.all(b.p("hip")[child, 0] < b.p("knee")[child, 0])
    assert np.all(b.p("shoulder")[child, 1] < b.p("hip")[child, 1])
    assert np.all(b.p("wrist")[child, 0] - b.p("ear")[child, 0] > 0.05)  # arms stretched


@pytest.mark.parametrize("side", SIDES)
def test_roll_onto_side_geometry(side: Side) -> None:
    b = Body(roll_onto_side(side))

    def spread(part: str) -> FloatArray:
        out: FloatArray = b.p(part)[:, 1] - b.p(part, far=True)[:, 1]
        return out

    prone = b.between(0.0, 3.0)
    on_side = b.between(5.0, 9.0)
    assert np.all(np.abs(spread("shoulder")[prone]) < 0.02)
    assert np.all(spread("shoulder")[on_side] > 0.15)
    assert np.all(spread("hip")[on_side] > 0.1)
    assert np.all(spread("shoulder")[on_side] > spread("hip")[on_side])
    vis = b.track.visibility[:, LANDMARK_INDEX[f"{b.far}_shoulder"]]
    assert vis[on_side].min() > vis[prone].max()
    assert np.all(np.abs(spread("shoulder")[b.between(11.0, 14.0)]) < 0.02)


@pytest.mark.parametrize("side", SIDES)
def test_forearm_plank_geometry(side: Side) -> None:
    b = Body(forearm_plank(side))
    a = angles(b)
    for start in (3.8, 19.4):
        hold = b.between(start + 0.1, start + 9.9)
        assert_straight(b, hold, ("ankle", "hip", "shoulder"), ("ankle", "knee", "hip"))
        assert np.all(np.abs(b.p("elbow")[hold, 0] - b.p("shoulder")[hold, 0]) < 0.01)
        assert np.all(b.p("elbow")[hold, 1] < 0.05)
        assert np.all(np.abs(a["elbow"][hold] - 90.0) < 2.0)
        assert np.all(b.p("knee")[hold, 1] > KNEE_Y + 0.015)  # knees off the floor
        assert np.all(b.p("hip")[hold, 1] > BODY_Y + 0.02)
        assert np.all(b.p("foot_index")[hold, 1] < 0.01)  # on tucked toes
        assert np.all(interior(b.p("knee"), b.p("ankle"), b.p("foot_index"))[hold] < 100.0)
    assert np.all(np.abs(a["trunk"][b.between(0.0, 2.0)]) < 1e-6)


@pytest.mark.parametrize("side", SIDES)
def test_pushup_from_lying_geometry(side: Side) -> None:
    b = Body(pushup_from_lying(side))
    a = angles(b)
    reps = b.between(3.2, 11.6)
    assert_straight(b, reps, ("ankle", "hip", "shoulder"), ("ankle", "knee", "hip"))
    assert np.all(b.p("knee")[reps, 1] > KNEE_Y)  # knees off the floor: on the toes
    assert np.all(b.p("ankle")[reps, 1] > 0.06)
    foot = interior(b.p("knee"), b.p("ankle"), b.p("foot_index"))
    assert np.all(foot[reps] < 100.0)  # toes tucked under
    assert np.all(foot[b.between(0.0, 2.0)] > 150.0)  # tops of the feet on the floor
    assert np.all(b.p("wrist")[:, 1] < 0.02)  # hands stay planted
    assert_pushups(b, reps, 4)
    for lying in (b.between(0.0, 2.0), b.between(12.8, 15.8)):
        assert np.all(np.abs(a["trunk"][lying]) < 1e-6)


@pytest.mark.parametrize("side", SIDES)
def test_knee_pushup_geometry(side: Side) -> None:
    b = Body(knee_pushup(side))
    reps = b.between(3.4, 13.0)
    assert_straight(b, reps, ("knee", "hip", "shoulder"))
    assert np.allclose(b.p("knee")[reps, 1], 0.065)  # knees on the floor
    assert np.all(b.p("hip")[reps, 1] > b.p("knee")[reps, 1] + 0.03)
    assert_pushups(b, reps, 4)


@pytest.mark.parametrize("side", SIDES)
def test_lying_still_geometry(side: Side) -> None:
    b = Body(lying_still(side))
    a = angles(b)
    assert a["trunk"].min() > -1.0 and a["trunk"].max() < 2.5
    assert np.allclose(b.p("hip")[:, 1], BODY_Y)
    nose = b.xy[:, LANDMARK_INDEX["nose"], 1]
    assert nose.max() - nose.min() > 0.03  # the head turns


# -- the key check: none of them is a press-up --------------------------------------------------
@pytest.mark.parametrize("noise_px", [0.0, 1.5])
@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("name", SHAPES)
def test_never_counted_as_press_up(
    name: str, side: Side, noise_px: float, record_property: Callable[[str, object], None]
) -> None:
    track = track_of(name, side, noise_px)
    try:
        analysis = analyze_track(track, spec())
    except PressupError as exc:  # refusing the track counts nothing
        outcome = f"not analysed: {type(exc).__name__}: {exc}"
        record_property("outcome", outcome)
        print(f"{name}/{side}/noise={noise_px}: {outcome}")
        return
    segments = [(round(s.start_s, 1), round(s.end_s, 1), s.label) for s in analysis.segments]
    reps = [
        (r.index, round(r.start_s, 1), round(r.end_s, 1), r.variant, r.complete)
        for r in analysis.reps
    ]
    outcome = f"rep_count={analysis.rep_count} reps={reps} segments={segments}"
    record_property("outcome", outcome)
    print(f"{name}/{side}/noise={noise_px}: {outcome}")
    assert analysis.rep_count == 0, f"{name} ({side} side) counted as press-up: {outcome}"
