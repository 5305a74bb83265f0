"""Angle definitions on hand-built geometry, with hypothesis properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressup.kinematics.geometry import (
    elevation,
    interior_angle,
    signed_angle,
    to_body_frame,
    wrap_deg,
)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
angles = st.floats(-179.0, 179.0)


def _pt(x: float, y: float) -> np.ndarray:
    return np.array([[x, y]], dtype=np.float64)


def test_interior_angle_known_values() -> None:
    o = _pt(0, 0)
    assert interior_angle(_pt(1, 0), o, _pt(-1, 0))[0] == pytest.approx(180.0)
    assert interior_angle(_pt(1, 0), o, _pt(0, 1))[0] == pytest.approx(90.0)
    assert interior_angle(_pt(1, 0), o, _pt(1, 1))[0] == pytest.approx(45.0)
    assert interior_angle(_pt(1, 0), o, _pt(2, 0))[0] == pytest.approx(0.0)


def test_interior_angle_degenerate_is_nan() -> None:
    o = _pt(0, 0)
    assert math.isnan(interior_angle(o, o, _pt(1, 0))[0])
    assert math.isnan(interior_angle(_pt(np.nan, 0), o, _pt(1, 0))[0])


def test_signed_angle_sign_convention() -> None:
    # counter-clockwise (toward +y, "up" in the body frame) is positive
    assert signed_angle(_pt(1, 0), _pt(0, 1))[0] == pytest.approx(90.0)
    assert signed_angle(_pt(1, 0), _pt(0, -1))[0] == pytest.approx(-90.0)
    assert signed_angle(_pt(1, 0), _pt(-1, 1e-12))[0] == pytest.approx(180.0)


def test_elevation_known_values() -> None:
    assert elevation(_pt(1, 0))[0] == pytest.approx(0.0)
    assert elevation(_pt(1, 1))[0] == pytest.approx(45.0)
    assert elevation(_pt(0, 1))[0] == pytest.approx(90.0)


@given(x=st.floats(-1e4, 1e4))
def test_wrap_deg_range(x: float) -> None:
    w = float(wrap_deg(x))
    assert -180.0 < w <= 180.0
    assert math.isclose(math.cos(math.radians(w)), math.cos(math.radians(x)), abs_tol=1e-9)


@given(
    a=st.tuples(finite, finite),
    b=st.tuples(finite, finite),
    c=st.tuples(finite, finite),
    rot=angles,
    scale=st.floats(0.01, 100.0),
    shift=st.tuples(finite, finite),
)
@settings(max_examples=200)
def test_interior_angle_invariant_to_rotation_scale_translation(
    a: tuple[float, float],
    b: tuple[float, float],
    c: tuple[float, float],
    rot: float,
    scale: float,
    shift: tuple[float, float],
) -> None:
    pts = np.array([a, b, c], dtype=np.float64)
    if min(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[1])) < 1e-3:
        return
    r = math.radians(rot)
    m = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    moved = scale * pts @ m.T + np.array(shift)
    before = interior_angle(pts[:1], pts[1:2], pts[2:])[0]
    after = interior_angle(moved[:1], moved[1:2], moved[2:])[0]
    assert after == pytest.approx(before, abs=1e-4)


@given(u=st.tuples(finite, finite), w=st.tuples(finite, finite))
def test_signed_angle_mirror_flips_sign(u: tuple[float, float], w: tuple[float, float]) -> None:
    uu, ww = np.array([u]), np.array([w])
    if np.linalg.norm(uu) < 1e-3 or np.linalg.norm(ww) < 1e-3:
        return
    mirror = np.array([1.0, -1.0])
    s1 = signed_angle(uu, ww)[0]
    s2 = signed_angle(uu * mirror, ww * mirror)[0]
    if abs(abs(s1) - 180.0) < 1e-6:
        return
    assert s2 == pytest.approx(-s1, abs=1e-6)


@given(theta=st.floats(-80.0, 80.0), tilt=st.floats(-30.0, 30.0), head_left=st.booleans())
def test_body_frame_recovers_elevation_under_floor_tilt(
    theta: float, tilt: float, head_left: bool
) -> None:
    """A segment raised theta above a tilted floor line reads theta in the body frame,
    whichever way the person faces, when vertical lines stay vertical (affine view)."""
    sign = -1.0 if head_left else 1.0
    floor = np.array([sign * math.cos(math.radians(tilt)), math.sin(math.radians(tilt))])
    up = np.array([0.0, 1.0])
    t = math.radians(theta)
    # y-up construction: along-floor component cos(t), vertical component sin(t)
    v_up = 100.0 * (math.cos(t) * floor + math.sin(t) * up)
    base = np.array([[480.0, 270.0]])
    tip = base + np.array([[v_up[0], -v_up[1]]])  # to image pixels (y down)
    fd = (float(floor[0]), float(floor[1]))
    vb = to_body_frame(tip, fd) - to_body_frame(base, fd)
    assert elevation(vb)[0] == pytest.approx(theta, abs=1e-6)


def test_one_frame_features_equal_the_vectorised_ones() -> None:
    """The live coach's per-frame arithmetic and the offline arrays agree exactly."""
    from pressup.kinematics import compute_features, estimate_view
    from pressup.kinematics.features import FEATURES, frame_features
    from pressup.protocol import ProtocolSpec
    from pressup.synthetic import RepScript, SessionScript, make_session

    spec = ProtocolSpec()
    track, _ = make_session(
        SessionScript(
            reps=[RepScript("hands", 2.0, 4.0, 2.0, 2.0, faults=("hips_lifted",))],
            noise_px=3.0,
            dropouts=[(1.0, 1.5)],
            cut=(2.0, 2.5),
            side="right",
            camera_roll_deg=5.0,
        )
    )
    view = estimate_view(track, spec.tracking)
    w, h = track.source.width, track.source.height
    arrays = compute_features(track.data, w, h, view, spec.tracking)
    rng = np.random.default_rng(0)
    frames = list(range(track.n_frames))
    wild = track.data.copy()
    wild[:, :, :2] += rng.normal(0, 80, size=wild[:, :, :2].shape)  # implausible bodies too
    wild[:, :, 3] = rng.uniform(0, 1, size=wild[:, :, 3].shape)
    wild_arrays = compute_features(wild, w, h, view, spec.tracking)
    for data, arr in ((track.data, arrays), (wild, wild_arrays)):
        for i in frames:
            one = frame_features(data[i], w, h, view, spec.tracking)
            for name in (*FEATURES, "tracked"):
                a, b = float(arr[name][i]), one[name]
                assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9), (
                    name,
                    i,
                    a,
                    b,
                )
