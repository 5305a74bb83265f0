"""Synthetic BlazePose tracks of scripted prone press-up sessions, with the exact answer.

:func:`make_session` turns a :class:`SessionScript` (reps, rests, faults, dropouts, ...) into a
:class:`~pressup.pose.track.PoseTrack` (backend ``"synthetic"``, model ``"stick-figure"``) and a
:class:`Truth` holding, for every frame, the position label and the exact angles the engine is
expected to measure, plus one :class:`TruthRep` per scripted rep.

Geometry (all angles in DEGREES, lengths in pixels unless said otherwise)
=========================================================================

Body frame
    The pose is built in a 2-D sagittal *body frame*: ``X`` along the floor towards the head,
    ``Y`` straight up from the floor (``Y = 0`` is the floor line). Body-frame lengths are in
    units of the body length ``H = 0.7 * width * scale`` pixels (head to toes lying flat, about
    70 % of the image width). Segment lengths (fractions of ``H``, fixed in every frame):
    trunk hip->shoulder ``TRUNK = 0.28``, shoulder->ear ``NECK = 0.11`` (times ``1 - shrug``),
    thigh ``0.245``, shank ``0.245``, upper arm ``0.15``, forearm (elbow->wrist) ``0.15``.

Image mapping
    ``x = cx + s * X`` when ``side == "right"`` and ``x = cx - s * X`` when ``side == "left"``
    (so ``side="left"`` puts the head at the image LEFT and the left body side towards the
    camera; ``"right"`` is the exact mirror ``x -> width - x`` with left/right names swapped),
    ``y = y_floor - s * Y`` (image y is DOWN). For the lying poses ``s = H`` and the hip's lying
    position (``X = 0``, ``Y = BODY_Y``) lands on the image centre ``(cx, cy)``, so the floor
    line is the image row ``cy + BODY_Y * H``. ``camera_roll_deg`` then rotates every landmark
    about the image centre, counter-clockwise *as seen on screen* for positive values; the
    floor line is rotated with it.

To measure the angles from image landmarks: undo the roll, flip y to point up, and flip x when
``side == "left"``; then, with ``elev(v) = atan2(v_y, v_x)`` (the angle of ``v`` above the floor
line, towards the head):

* ``trunk_deg = elev(shoulder - hip)`` -- 0 lying flat, positive when the chest is up.
* ``elbow_deg`` = interior angle shoulder-elbow-wrist of the camera-side arm (180 = straight),
  computed as ``atan2(|cross|, dot)``.
* ``hip_ext_deg = elev(shoulder - hip) - elev(hip - knee)``: equals ``180 - interior
  shoulder-hip-knee`` and is *signed* (negative = hip flexion, which only
  ``hips_lifted`` produces). Legs flat and pelvis down: ``hip_ext_deg == trunk_deg``.
* ``neck_deg = elev(ear - shoulder) - elev(shoulder - hip)``, wrapped to (-180, 180]; positive
  when the head tips back (towards the dorsal side, up when prone). NEUTRAL HEAD:
  ``neck_deg = 10 + 0.67 * trunk_deg`` (10 deg lying flat, 20 deg in a 15 deg sphinx,
  35.5 deg in a 38 deg hands press-up). ``neck_extended`` / ``neck_flexed`` add +20 / -20 deg.
* ``shrug_ratio = |ear - shoulder| / |shoulder - hip|`` = ``NECK * (1 - shrug) / TRUNK``
  (neutral 0.3929; ``shoulders_shrugged`` shortens the neck by 40 % -> 0.2357).
* ``hip_lift = (hip_Y - BODY_Y) / TRUNK``: pelvis height above its lying level in trunk lengths.

Prone posture
    Lying flat, shoulder and hip landmarks sit ``BODY_Y = 0.12 H`` above the floor (body
    thickness), the knee at ``0.09 H`` and the ankle at ``0.05 H``; heel up, toes on the
    floor. The trunk pivots about the hip: ``shoulder = hip + TRUNK * (cos a, sin a)`` with
    ``a`` the scripted elevation ``peak * p(t)`` (plus breathing), where ``p`` is the cosine
    ease ``(1 - cos(pi u)) / 2`` over the press (``u`` = phase fraction), 1 in the hold and
    ``(1 + cos(pi u)) / 2`` over the lowering. Holds add breathing ``0.5 * sin(2 pi k u)`` deg
    (``k = max(1, round(hold_s / 4))`` whole cycles, so it is 0 at both ends of the hold; none
    with ``elbows_locked``).

Arms (camera side; two-link IK with the elbow on the posterior side of the shoulder->wrist line)
    * At rest both variants have the hands beside the chest: wrist on the floor
      (``Y = 0.012 H``) ``0.03 H`` ahead of the shoulder's flat position; elbow tucked back,
      about 44 deg.
    * ``hands``: the wrist stays planted there; the elbow follows from IK (about 158 deg at a
      38 deg trunk). ``elbows_locked``: the trunk peak is *solved* (``trunk_deg`` ignored) so
      the straight arm just reaches the planted wrist (about 39.25 deg; 41.4 deg scripted when
      combined with ``hips_lifted``) and the elbow is exactly 180 in the hold (no breathing). A
      hands rep whose top elbow would exceed 172 deg without that fault is rejected
      (``ValueError``), so a locked elbow is never ambiguous.
    * ``forearms``: at the peak the forearm lies flat on the floor pointing to the head with the
      elbow on the floor (``Y = ELBOW_FLOOR_Y``, about 0.044 H) just ahead of the shoulder; at
      the default 15 deg the upper arm is 7 deg off vertical, elbow about 97 deg. The wrist
      slides from its rest spot to that spot with ``p`` while the elbow follows by IK. If the
      peak is too high for the elbow to stay on the floor (above about 15.2 deg) the elbow lifts
      straight under the shoulder and the forearm slopes down to the floor (elbow 90 + slope).

Faults (weight ``w = p``: full in the hold, growing over the press, fading over the lowering)
    ``neck_extended``/``neck_flexed``: neck +-20 deg from neutral. ``shoulders_shrugged``: ear
    slides 40 % of the neck length towards the shoulder along the neck line (whole head moves
    with it). ``hips_lifted``: the pelvis rises ``0.2 * TRUNK * w`` while the knees stay on the
    floor (the hip pivots about the knee) and the arms keep the shoulder at the height it would
    have had; the trunk elevation therefore DROPS (about 38 -> 18.4 deg for hands, 15 -> -2.4 deg
    for forearms, where it becomes a knees-down forearm plank). ``elbows_locked``: see above.
    ``fast_lowering`` and ``short_hold`` are timing only (the script's ``lower_s``/``hold_s``).

Other poses (``other_pose`` intervals replace the geometry abruptly, labels ``other_pose``)
    ``plank``: straight body pivoting on the toes, straight vertical arms, wrist on the floor
    under the shoulder, trunk about 19.9 deg, hips and knees off the floor, ``hip_ext = 0``.
    ``pushup``: plank -> chest near the floor (shoulder ``Y = BODY_Y + 0.03``, about 7.5 deg) ->
    plank, one cosine cycle every 1.5 s from the interval start, wrists planted.
    ``stand``: upright side view, trunk 90 deg, scaled to 85 % of the image height (feet at
    95 % of the height), arms hanging (elbow 168 deg), head 5 deg forward (``neck_deg = -5``).

Rendering
    Camera-side landmarks (``side``'s prefix) have visibility 0.95 and
    ``z = -0.075 * TRUNK * s`` (the nose: 0.95 and ``z = 0``); far-side landmarks copy the
    near ones shifted by ``(0.005, 0.008) H`` in the body frame, with visibility 0.4 and
    ``z = +0.075 * TRUNK * s`` (0.15 trunk lengths deeper). Any landmark outside the image
    gets visibility <= 0.05. ``dropouts``: NaN x/y/z and visibility 0. ``cut``: a close-up,
    every landmark scaled by 3 about the ear/shoulder midpoint which goes to the image centre;
    face/ear/mouth/shoulder landmarks keep their visibility, all others drop to 0.05. Gaussian
    noise of ``noise_px`` is added to x and y last (seeded); :class:`Truth` is computed before
    and stays exact.

Labels
    rest -> ``prone_flat``, press -> ``rising``, hold -> ``sphinx`` (forearms) /
    ``pressup_hands`` (hands), lower -> ``lowering``; ``other_pose`` intervals -> ``other_pose``;
    dropouts and the cut -> ``not_visible`` (these take precedence). A frame at time ``t``
    belongs to the phase ``[start, end)`` containing it. Angles are given for every frame,
    including hidden ones (the body is still there). A rep is incomplete when hidden or
    other-pose frames make up at least :data:`SWALLOW_FRACTION` of its press or of its lowering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from pressup.pose.track import (
    LANDMARK_INDEX,
    LANDMARK_NAMES,
    N_LANDMARKS,
    PoseTrack,
    TrackSource,
)
from pressup.vocab import FAULT_CODES, Posture

FloatArray = npt.NDArray[np.float64]
Variant = Posture
Side = Literal["left", "right"]

# -- body model (fractions of the body length H) --------------------------------------------
TRUNK = 0.28
NECK = 0.11
THIGH = 0.245
SHANK = 0.245
UPPER_ARM = 0.15
FOREARM = 0.15
REACH = UPPER_ARM + FOREARM
BODY_Y = 0.12  # lying height of shoulder/hip landmarks above the floor
KNEE_Y = 0.09  # lying knee height (joint centre above the kneecap on the floor)
ANKLE_Y = 0.05  # lying ankle height (tops of the feet on the floor)
WRIST_Y = 0.012  # planted-hand wrist height
HAND_AHEAD = 0.03  # planted wrist ahead of the shoulder's flat position
DEFAULT_TRUNK_DEG: dict[str, float] = {"forearms": 15.0, "hands": 38.0}
SPHINX_UPPER_ARM_TILT_DEG = 7.0  # upper arm off vertical at the default sphinx peak
#: elbow landmark height when the forearm lies on the floor (from the default sphinx geometry)
ELBOW_FLOOR_Y = (
    BODY_Y
    + TRUNK * math.sin(math.radians(DEFAULT_TRUNK_DEG["forearms"]))
    - UPPER_ARM * math.cos(math.radians(SPHINX_UPPER_ARM_TILT_DEG))
)
KNEE_X = -math.sqrt(THIGH**2 - (BODY_Y - KNEE_Y) ** 2)
ANKLE_X = KNEE_X - math.sqrt(SHANK**2 - (KNEE_Y - ANKLE_Y) ** 2)
FAR_OFFSET = (0.005, 0.008)
NEUTRAL_NECK_DEG = 10.0
NECK_PER_TRUNK = 0.67  # neutral head line rises with the trunk (as in rendered bodies)
NECK_FAULT_DEG = 20.0
SHRUG_FRACTION = 0.4
HIP_LIFT_FRACTION = 0.2
BREATH_DEG = 0.5
BREATH_PERIOD_S = 4.0
LOCK_GUARD_DEG = 172.0  # non-locked hands reps must stay below this elbow angle
PUSHUP_PERIOD_S = 1.5
PLANK_ANKLE_Y = 0.05
PUSHUP_BOTTOM_Y = BODY_Y + 0.03  # shoulder height at the bottom of a push-up
STAND_HEIGHT_FRACTION = 0.85  # standing figure height / image height
STAND_FLOOR_FRACTION = 0.95  # image row of the feet / image height
CUT_ZOOM = 3.0
VIS_NEAR = 0.95
VIS_FAR = 0.4
VIS_HIDDEN = 0.05
Z_HALF_SPREAD = 0.075  # trunk lengths; far - near = 0.15 trunk lengths
SWALLOW_FRACTION = 0.5

#: Face landmark offsets from the ear, (along the crown axis, along the face normal), in H.
FACE_OFFSETS: dict[str, tuple[float, float]] = {
    "eye_inner": (0.022, 0.066),
    "eye": (0.024, 0.058),
    "eye_outer": (0.024, 0.048),
    "nose": (0.0, 0.078),
    "mouth": (-0.03, 0.062),
}
#: Hand landmark offsets from the wrist, (along the hand, perpendicular), in H.
HAND_OFFSETS: dict[str, tuple[float, float]] = {
    "pinky": (0.06, -0.004),
    "index": (0.075, -0.006),
    "thumb": (0.045, 0.008),
}

OTHER_POSES: tuple[str, ...] = ("plank", "pushup", "stand")
#: The head and shoulder landmarks (``nose`` to ``right_shoulder``, the first 13 of
#: :data:`~pressup.pose.track.LANDMARK_NAMES`): the ones still seen in a close cut.
HEAD_SHOULDER_NAMES: tuple[str, ...] = LANDMARK_NAMES[: LANDMARK_INDEX["right_shoulder"] + 1]
_EPS_T = 1e-9  # seconds; tolerance when placing frame times into intervals
_STRAIGHT_TOL = 1e-9  # body units; IK treats d >= REACH - tol as a straight arm


# -- scripts ----------------------------------------------------------------------------------
@dataclass
class RepScript:
    """One scripted press-up.

    Attributes:
        variant: ``"forearms"`` (sphinx) or ``"hands"``.
        press_s: seconds rising from the floor to the top (> 0).
        hold_s: seconds held at the top (>= 0).
        lower_s: seconds lowering back to the floor (> 0).
        rest_s: seconds lying flat after the rep (>= 0).
        trunk_deg: peak trunk elevation in degrees; ``None`` = 15 (forearms) / 38 (hands).
            Ignored with ``elbows_locked`` (the peak is solved so the straight arm reaches).
        faults: fault codes from :data:`FAULT_CODES` rendered during this rep.
    """

    variant: Variant
    press_s: float
    hold_s: float
    lower_s: float
    rest_s: float
    trunk_deg: float | None = None
    faults: tuple[str, ...] = ()


@dataclass
class SessionScript:
    """A scripted session: rest, the reps (each followed by its rest), end rest.

    Attributes:
        reps: the scripted reps, in order.
        start_rest_s, end_rest_s: seconds lying flat before the first / after the last rep.
        fps: frames per second; frame ``i`` is at ``i / fps`` seconds.
        width, height: image size in pixels.
        side: body side facing the camera; ``"left"`` puts the head at the image left.
        noise_px: standard deviation in pixels of Gaussian noise added to every x and y.
        seed: seed of the noise generator.
        dropouts: ``(start_s, end_s)`` intervals with no person (NaN, visibility 0).
        cut: ``(start_s, end_s)`` of a close-up showing only head and shoulders, or ``None``.
        other_pose: ``(start_s, end_s, kind)`` intervals in ``"plank"``, ``"pushup"``,
            ``"stand"`` instead of lying.
        camera_roll_deg: degrees the image is rolled (counter-clockwise on screen).
        scale: body-size multiplier (body length ``0.7 * width * scale`` pixels).
    """

    reps: list[RepScript]
    start_rest_s: float = 3.0
    end_rest_s: float = 2.0
    fps: float = 30.0
    width: int = 960
    height: int = 540
    side: Side = "left"
    noise_px: float = 0.0
    seed: int = 0
    dropouts: list[tuple[float, float]] = field(default_factory=list)
    cut: tuple[float, float] | None = None
    other_pose: list[tuple[float, float, str]] = field(default_factory=list)
    camera_roll_deg: float = 0.0
    scale: float = 1.0


# -- the answer -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TruthRep:
    """The exact answer for one scripted rep (times in seconds from the first frame).

    ``start_s``: the press starts; ``top_start_s``/``top_end_s``: the hold; ``end_s``: back on
    the floor. ``peak_trunk_deg``: the maximum over the hold frames; ``peak_elbow_deg``: the
    mean over them, the elbow held at the top, as the engine reports it (both over the whole
    rep when the hold has no frame). ``complete`` is False when hidden or other-pose
    frames make up at least :data:`SWALLOW_FRACTION` of the press or of the lowering.
    """

    index: int
    start_s: float
    top_start_s: float
    top_end_s: float
    end_s: float
    press_s: float
    hold_s: float
    lower_s: float
    variant: str
    faults: tuple[str, ...]
    complete: bool
    peak_trunk_deg: float
    peak_elbow_deg: float


@dataclass(frozen=True)
class Truth:
    """Per-frame ground truth of a synthetic session. Angles in degrees (see module doc).

    Attributes:
        t_s: ``(frame,)`` seconds, identical to the track's.
        label: ``(frame,)`` position label from :data:`LABELS`.
        phase: ``(frame,)`` scripted phase ``rest``/``press``/``hold``/``lower`` (ignores
            dropouts, the cut and other poses).
        rep: ``(frame,)`` 1-based rep index of the scripted phase, 0 in rests.
        trunk_deg, elbow_deg, hip_ext_deg, neck_deg, shrug_ratio, hip_lift: ``(frame,)`` exact
            values of the underlying body, also in hidden frames.
        reps: one :class:`TruthRep` per scripted rep.
        fault_intervals: ``(code, start_s, end_s, rep)``: geometric faults and ``short_hold``
            span the hold, ``fast_lowering`` the lowering.
        trunk_len_px: hip->shoulder length of the lying figure in pixels.
        fps: frame rate of the track (frame ``i`` is at ``i / fps`` s).
    """

    t_s: FloatArray
    label: npt.NDArray[np.str_]
    phase: npt.NDArray[np.str_]
    rep: npt.NDArray[np.int64]
    trunk_deg: FloatArray
    elbow_deg: FloatArray
    hip_ext_deg: FloatArray
    neck_deg: FloatArray
    shrug_ratio: FloatArray
    hip_lift: FloatArray
    reps: list[TruthRep]
    fault_intervals: list[tuple[str, float, float, int]]
    trunk_len_px: float
    fps: float

    @property
    def rep_count(self) -> int:
        """Number of complete reps."""
        return sum(1 for r in self.reps if r.complete)

    @property
    def n_frames(self) -> int:
        return int(self.t_s.shape[0])

    def columns(self) -> dict[str, FloatArray]:
        """The per-frame series keyed like ``pressup.analysis.result.FRAME_COLUMNS``."""
        return {
            "t_s": self.t_s,
            "trunk_deg": self.trunk_deg,
            "elbow_deg": self.elbow_deg,
            "hip_ext_deg": self.hip_ext_deg,
            "neck_deg": self.neck_deg,
            "shrug_ratio": self.shrug_ratio,
            "hip_lift": self.hip_lift,
        }

    def segments(self) -> list[tuple[float, float, str]]:
        """Runs of equal label as ``(start_s, end_s, label)``; ``end_s`` is the next run's first
        frame time (the last run ends one frame period, ``1 / fps`` s, after its last frame)."""
        out: list[tuple[float, float, str]] = []
        n = self.n_frames
        i = 0
        while i < n:
            j = i
            while j + 1 < n and self.label[j + 1] == self.label[i]:
                j += 1
            end = float(self.t_s[j + 1]) if j + 1 < n else float(self.t_s[j]) + 1.0 / self.fps
            out.append((float(self.t_s[i]), end, str(self.label[i])))
            i = j + 1
        return out


# -- small vector helpers (body frame, Y up) --------------------------------------------------
def _unit(angle_rad: FloatArray) -> FloatArray:
    """``(n, 2)`` unit vectors at the given angles (radians, counter-clockwise from +X)."""
    return np.stack([np.cos(angle_rad), np.sin(angle_rad)], axis=-1)


def _elev(v: FloatArray) -> FloatArray:
    """Angle in radians of ``(n, 2)`` vectors above +X (towards the head), in (-pi, pi]."""
    return np.arctan2(v[:, 1], v[:, 0])


def _wrap_deg(a: FloatArray) -> FloatArray:
    """Wrap degrees into (-180, 180]."""
    return 180.0 - np.mod(180.0 - a, 360.0)


def _ease(u: FloatArray) -> FloatArray:
    """Cosine smooth-step 0 -> 1 over ``u`` in [0, 1]."""
    out: FloatArray = 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))
    return out


def _ik(shoulder: FloatArray, wrist: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Two-link arm from ``shoulder`` to ``wrist`` (``(n, 2)``, body units).

    The elbow goes to the posterior side of the shoulder->wrist line (clockwise with Y up).
    Returns ``(elbow, wrist, elbow_deg)``; a wrist at full reach (within ``_STRAIGHT_TOL``)
    gives a straight arm along the line, with ``elbow_deg`` exactly 180.

    Raises:
        ValueError: the wrist is out of reach.
    """
    a, b = UPPER_ARM, FOREARM
    d_vec = wrist - shoulder
    d = np.hypot(d_vec[:, 0], d_vec[:, 1])
    if np.any(d > REACH + _STRAIGHT_TOL):
        raise ValueError(
            f"arm cannot reach: shoulder-wrist {d.max():.4f} H > reach {REACH:.4f} H; "
            "lower trunk_deg"
        )
    u = d_vec / d[:, None]
    n = np.stack([u[:, 1], -u[:, 0]], axis=-1)
    straight = d >= REACH - _STRAIGHT_TOL
    ca = np.clip((a * a + d * d - b * b) / (2.0 * a * d), -1.0, 1.0)
    sa = np.sqrt(1.0 - ca * ca)
    elbow = shoulder + a * (ca[:, None] * u + sa[:, None] * n)
    wrist_out = wrist.copy()
    elbow[straight] = shoulder[straight] + a * u[straight]
    wrist_out[straight] = shoulder[straight] + REACH * u[straight]
    to_s = shoulder - elbow
    to_w = wrist_out - elbow
    cross = to_s[:, 0] * to_w[:, 1] - to_s[:, 1] * to_w[:, 0]
    dot = (to_s * to_w).sum(axis=1)
    elbow_deg = np.degrees(np.arctan2(np.abs(cross), dot))
    elbow_deg[straight] = 180.0
    return elbow, wrist_out, elbow_deg


def _trunk(theta_s_deg: FloatArray, lift: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Prone hip and shoulder (``(n, 2)``) for scripted elevations and hip-lift fractions.

    The shoulder keeps the height ``BODY_Y + TRUNK * sin(theta_s)``; the hip rises
    ``lift * TRUNK`` pivoting about the knee, and the shoulder sits one trunk length from it.
    """
    ell = lift * TRUNK
    rise = BODY_Y - KNEE_Y + ell
    hip = np.stack([KNEE_X + np.sqrt(THIGH**2 - rise**2), BODY_Y + ell], axis=-1)
    sy = BODY_Y + TRUNK * np.sin(np.radians(theta_s_deg))
    dy = sy - hip[:, 1]
    if np.any(np.abs(dy) > TRUNK):
        raise ValueError("hip lift larger than the trunk allows")
    shoulder = np.stack([hip[:, 0] + np.sqrt(TRUNK**2 - dy**2), sy], axis=-1)
    return hip, shoulder


# -- poses ------------------------------------------------------------------------------------
@dataclass
class _Pose:
    """Camera-side skeleton in body units for ``n`` frames, plus exact angles."""

    shoulder: FloatArray
    elbow: FloatArray
    wrist: FloatArray
    hand_dir: FloatArray  # radians
    hip: FloatArray
    knee: FloatArray
    ankle: FloatArray
    heel: FloatArray
    toe: FloatArray
    ear: FloatArray
    head_axis: FloatArray  # radians, shoulder->ear direction
    trunk_deg: FloatArray
    elbow_deg: FloatArray
    hip_ext_deg: FloatArray
    neck_deg: FloatArray
    shrug_ratio: FloatArray
    hip_lift: FloatArray

    def assign(self, mask: npt.NDArray[np.bool_], other: _Pose) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name)[mask] = getattr(other, name)


def _head(
    shoulder: FloatArray, trunk_rad: FloatArray, neck_deg: FloatArray, shrug: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Ear position, head axis (radians) and shrug ratio for a neck angle (degrees)."""
    axis = trunk_rad + np.radians(neck_deg)
    length = NECK * (1.0 - shrug)
    ear = shoulder + length[:, None] * _unit(axis)
    return ear, axis, length / TRUNK


def _legs_lying(n: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    knee = np.tile([KNEE_X, KNEE_Y], (n, 1))
    ankle = np.tile([ANKLE_X, ANKLE_Y], (n, 1))
    heel = ankle + np.array([-0.01, 0.045])
    toe = ankle + np.array([-0.10, -0.045])
    return knee, ankle, heel, toe


def _prone_pose(
    theta_s: FloatArray,
    lift: FloatArray,
    neck_offset: FloatArray,
    shrug: FloatArray,
    wrist_target: FloatArray,
) -> _Pose:
    """Prone figure: trunk elevation ``theta_s`` (deg), faults, wrist target ``(n, 2)``."""
    n = theta_s.shape[0]
    hip, shoulder = _trunk(theta_s, lift)
    knee, ankle, heel, toe = _legs_lying(n)
    trunk = _elev(shoulder - hip)
    thigh = _elev(hip - knee)
    trunk_deg = np.degrees(trunk)
    neck = NEUTRAL_NECK_DEG + NECK_PER_TRUNK * trunk_deg + neck_offset
    ear, axis, shrug_ratio = _head(shoulder, trunk, neck, shrug)
    elbow, wrist, elbow_deg = _ik(shoulder, wrist_target)
    return _Pose(
        shoulder=shoulder,
        elbow=elbow,
        wrist=wrist,
        hand_dir=np.zeros(n),
        hip=hip,
        knee=knee,
        ankle=ankle,
        heel=heel,
        toe=toe,
        ear=ear,
        head_axis=axis,
        trunk_deg=trunk_deg,
        elbow_deg=elbow_deg,
        hip_ext_deg=np.degrees(trunk - thigh),
        neck_deg=neck,
        shrug_ratio=shrug_ratio,
        hip_lift=lift.copy(),
    )


def _plank_pose(depth: FloatArray) -> _Pose:
    """Straight body on the toes; ``depth`` 0 = plank (straight arms), 1 = push-up bottom."""
    n = depth.shape[0]
    body = SHANK + THIGH + TRUNK
    ankle = np.tile([ANKLE_X, PLANK_ANKLE_Y], (n, 1))
    top_y = WRIST_Y + REACH
    sy = top_y + (PUSHUP_BOTTOM_Y - top_y) * depth
    alpha = np.arcsin((sy - PLANK_ANKLE_Y) / body)
    along = _unit(alpha)
    knee = ankle + SHANK * along
    hip = ankle + (SHANK + THIGH) * along
    shoulder = ankle + body * along
    plank_alpha = math.asin((top_y - PLANK_ANKLE_Y) / body)
    wrist_x = ANKLE_X + body * math.cos(plank_alpha)
    wrist_target = np.tile([wrist_x, WRIST_Y], (n, 1))
    elbow, wrist, elbow_deg = _ik(shoulder, wrist_target)
    trunk_deg = np.degrees(alpha)
    neck = NEUTRAL_NECK_DEG + NECK_PER_TRUNK * trunk_deg
    ear, axis, shrug_ratio = _head(shoulder, alpha, neck, np.zeros(n))
    return _Pose(
        shoulder=shoulder,
        elbow=elbow,
        wrist=wrist,
        hand_dir=np.zeros(n),
        hip=hip,
        knee=knee,
        ankle=ankle,
        heel=ankle + np.array([-0.045, 0.02]),
        toe=ankle + np.array([0.035, -0.045]),
        ear=ear,
        head_axis=axis,
        trunk_deg=trunk_deg,
        elbow_deg=elbow_deg,
        hip_ext_deg=np.degrees(alpha - _elev(hip - knee)),
        neck_deg=neck,
        shrug_ratio=shrug_ratio,
        hip_lift=(hip[:, 1] - BODY_Y) / TRUNK,
    )


def _stand_pose(n: int) -> _Pose:
    """Upright figure facing +X, in its own body units (see :func:`make_session` scaling)."""

    def pt(x: float, y: float) -> FloatArray:
        return np.tile([x, y], (n, 1))

    ankle, knee, hip, shoulder = pt(0.0, 0.039), pt(0.0, 0.285), pt(0.0, 0.53), pt(0.0, 0.81)
    upper = np.full(n, math.radians(-92.0))
    fore = np.full(n, math.radians(-80.0))
    elbow = shoulder + UPPER_ARM * _unit(upper)
    wrist = elbow + FOREARM * _unit(fore)
    trunk = _elev(shoulder - hip)
    neck = np.full(n, -5.0)
    ear, axis, shrug_ratio = _head(shoulder, trunk, neck, np.zeros(n))
    to_s, to_w = shoulder - elbow, wrist - elbow
    cross = to_s[:, 0] * to_w[:, 1] - to_s[:, 1] * to_w[:, 0]
    elbow_deg = np.degrees(np.arctan2(np.abs(cross), (to_s * to_w).sum(axis=1)))
    return _Pose(
        shoulder=shoulder,
        elbow=elbow,
        wrist=wrist,
        hand_dir=fore.copy(),
        hip=hip,
        knee=knee,
        ankle=ankle,
        heel=ankle + np.array([-0.03, -0.025]),
        toe=ankle + np.array([0.10, -0.03]),
        ear=ear,
        head_axis=axis,
        trunk_deg=np.degrees(trunk),
        elbow_deg=elbow_deg,
        hip_ext_deg=np.degrees(trunk - _elev(hip - knee)),
        neck_deg=neck,
        shrug_ratio=shrug_ratio,
        hip_lift=(hip[:, 1] - BODY_Y) / TRUNK,
    )


# -- per-rep arm targets ----------------------------------------------------------------------
_WRIST_REST = np.array([TRUNK + HAND_AHEAD, WRIST_Y])


def _lock_peak_deg(lift: float) -> float:
    """Trunk peak (deg) at which the straight arm exactly reaches the planted wrist."""
    lo, hi = 0.0, 85.0

    def dist(th: float) -> float:
        _, s = _trunk(np.array([th]), np.array([lift]))
        return float(np.hypot(*(_WRIST_REST - s[0])))

    if dist(lo) >= REACH or dist(hi) <= REACH:
        raise ValueError("cannot solve the locked-elbow peak")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if dist(mid) < REACH:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return lo


def _forearm_wrist_top(peak_deg: float, lift: float) -> FloatArray:
    """Wrist spot of a sphinx top: forearm flat on the floor, elbow on the floor (or lifted)."""
    _, s = _trunk(np.array([peak_deg]), np.array([lift]))
    sx, sy = s[0]
    dy = sy - ELBOW_FLOOR_Y
    if dy <= UPPER_ARM:
        ex = sx + math.sqrt(UPPER_ARM**2 - dy**2)
        return np.array([ex + FOREARM, ELBOW_FLOOR_Y])
    drop = sy - UPPER_ARM - ELBOW_FLOOR_Y
    if drop > 0.95 * FOREARM:
        raise ValueError(f"forearms variant: trunk_deg={peak_deg:.1f} is too high")
    tau = math.asin(drop / FOREARM)
    return np.array([sx + FOREARM * math.cos(tau), ELBOW_FLOOR_Y])


@dataclass
class _RepPlan:
    index: int
    script: RepScript
    start: float
    top_start: float
    top_end: float
    end: float
    peak_deg: float
    wrist_top: FloatArray


def _validate_rep(i: int, r: RepScript) -> None:
    """Rep ``i`` (1-based) of a script: a known variant, positive press and lowering times,
    hold and rest not negative (seconds), known fault codes that can go together."""
    if r.variant not in ("forearms", "hands"):
        raise ValueError(f"rep {i}: variant must be 'forearms' or 'hands', got {r.variant!r}")
    if r.press_s <= 0 or r.lower_s <= 0 or r.hold_s < 0 or r.rest_s < 0:
        raise ValueError(f"rep {i}: press_s, lower_s must be > 0 and hold_s, rest_s >= 0")
    bad = [f for f in r.faults if f not in FAULT_CODES]
    if bad:
        raise ValueError(f"rep {i}: unknown fault codes {bad}; expected {FAULT_CODES}")
    if "elbows_locked" in r.faults and r.variant != "hands":
        raise ValueError(f"rep {i}: elbows_locked needs the hands variant")
    if "neck_extended" in r.faults and "neck_flexed" in r.faults:
        raise ValueError(f"rep {i}: neck_extended and neck_flexed exclude each other")


def _validate_intervals(script: SessionScript) -> None:
    """Dropouts, the cut and the other poses end after they start (seconds); other poses are
    of a known kind."""
    intervals = list(script.dropouts) + ([script.cut] if script.cut else [])
    intervals += [(a, b) for a, b, _ in script.other_pose]
    for a, b in intervals:
        if not b > a:
            raise ValueError(f"interval ({a}, {b}) must have end > start")
    for _, _, kind in script.other_pose:
        if kind not in OTHER_POSES:
            raise ValueError(f"other_pose kind must be one of {OTHER_POSES}, got {kind!r}")


def _validate(script: SessionScript) -> None:
    if not (script.fps > 0):
        raise ValueError(f"fps must be positive, got {script.fps}")
    if script.width <= 0 or script.height <= 0:
        raise ValueError(f"image size must be positive, got {script.width}x{script.height}")
    if script.side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {script.side!r}")
    if script.scale <= 0 or script.noise_px < 0:
        raise ValueError("scale must be > 0 and noise_px >= 0")
    if script.start_rest_s < 0 or script.end_rest_s < 0:
        raise ValueError("start_rest_s and end_rest_s must be >= 0")
    for i, r in enumerate(script.reps, 1):
        _validate_rep(i, r)
    _validate_intervals(script)


def _plan(script: SessionScript) -> tuple[list[tuple[float, float, str, int]], list[_RepPlan]]:
    """Phases ``(start, end, kind, rep)`` and per-rep plans (peak, wrist spot)."""
    phases: list[tuple[float, float, str, int]] = [(0.0, script.start_rest_s, "rest", 0)]
    plans: list[_RepPlan] = []
    t = script.start_rest_s
    for i, r in enumerate(script.reps, 1):
        lift = HIP_LIFT_FRACTION if "hips_lifted" in r.faults else 0.0
        if "elbows_locked" in r.faults:
            peak = _lock_peak_deg(lift)
        else:
            peak = DEFAULT_TRUNK_DEG[r.variant] if r.trunk_deg is None else float(r.trunk_deg)
            if not 0.0 < peak < 80.0:
                raise ValueError(f"rep {i}: trunk_deg must lie in (0, 80), got {peak}")
        wrist_top = _WRIST_REST.copy()
        if r.variant == "forearms":
            wrist_top = _forearm_wrist_top(peak, lift)
        elif "elbows_locked" not in r.faults:
            # the hold (with breathing) must stay clearly short of a locked elbow
            top = np.array([peak - BREATH_DEG, peak, peak + BREATH_DEG])
            _, s = _trunk(top, np.full(3, lift))
            d = np.hypot(*(_WRIST_REST - s).T)
            cos_e = (UPPER_ARM**2 + FOREARM**2 - d**2) / (2 * UPPER_ARM * FOREARM)
            top_elbow = float(np.degrees(np.arccos(np.clip(cos_e, -1.0, 1.0))).max())
            if top_elbow > LOCK_GUARD_DEG or np.any(d > REACH):
                raise ValueError(
                    f"rep {i}: hands trunk_deg={peak:.1f} straightens the elbow to "
                    f"{top_elbow:.1f} deg (> {LOCK_GUARD_DEG}); lower it or script elbows_locked"
                )
        start = t
        top_start = start + r.press_s
        top_end = top_start + r.hold_s
        end = top_end + r.lower_s
        plans.append(_RepPlan(i, r, start, top_start, top_end, end, peak, wrist_top))
        phases += [
            (start, top_start, "press", i),
            (top_start, top_end, "hold", i),
            (top_end, end, "lower", i),
            (end, end + r.rest_s, "rest", 0),
        ]
        t = end + r.rest_s
    phases.append((t, t + script.end_rest_s, "rest", 0))
    return phases, plans


def _in_interval(t: FloatArray, a: float, b: float) -> npt.NDArray[np.bool_]:
    return (t >= a - _EPS_T) & (t < b - _EPS_T)


# -- landmarks --------------------------------------------------------------------------------
def _landmarks(pose: _Pose, side: str) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    """Body-frame landmark positions ``(n, 33, 2)`` and side code (-1 near, 0 mid, +1 far)."""
    n = pose.shoulder.shape[0]
    near = side
    far = "right" if side == "left" else "left"
    pts = np.zeros((n, N_LANDMARKS, 2))
    code = np.zeros(N_LANDMARKS, dtype=np.int8)

    crown = _unit(pose.head_axis)
    face = _unit(pose.head_axis - np.pi / 2.0)
    hand = _unit(pose.hand_dir)
    hand_n = _unit(pose.hand_dir + np.pi / 2.0)

    def rel(
        base: FloatArray, d1: FloatArray, d2: FloatArray, off: tuple[float, float]
    ) -> FloatArray:
        out: FloatArray = base + off[0] * d1 + off[1] * d2
        return out

    near_pts: dict[str, FloatArray] = {
        f"{near}_shoulder": pose.shoulder,
        f"{near}_elbow": pose.elbow,
        f"{near}_wrist": pose.wrist,
        f"{near}_hip": pose.hip,
        f"{near}_knee": pose.knee,
        f"{near}_ankle": pose.ankle,
        f"{near}_heel": pose.heel,
        f"{near}_foot_index": pose.toe,
        f"{near}_ear": pose.ear,
        f"{near}_eye_inner": rel(pose.ear, crown, face, FACE_OFFSETS["eye_inner"]),
        f"{near}_eye": rel(pose.ear, crown, face, FACE_OFFSETS["eye"]),
        f"{near}_eye_outer": rel(pose.ear, crown, face, FACE_OFFSETS["eye_outer"]),
        f"mouth_{near}": rel(pose.ear, crown, face, FACE_OFFSETS["mouth"]),
    }
    for part, off in HAND_OFFSETS.items():
        near_pts[f"{near}_{part}"] = rel(pose.wrist, hand, hand_n, off)
    shift = np.array(FAR_OFFSET)
    for name, p in near_pts.items():
        far_name = name.replace(near, far)
        pts[:, LANDMARK_INDEX[name]] = p
        pts[:, LANDMARK_INDEX[far_name]] = p + shift
        code[LANDMARK_INDEX[name]] = -1
        code[LANDMARK_INDEX[far_name]] = 1
    pts[:, LANDMARK_INDEX["nose"]] = rel(pose.ear, crown, face, FACE_OFFSETS["nose"])
    return pts, code


def rotate_about(xy: FloatArray, centre: tuple[float, float], deg: float) -> FloatArray:
    """Rotate image points (y down) about ``centre`` counter-clockwise on screen by ``deg``."""
    r = math.radians(deg)
    c, s = math.cos(r), math.sin(r)
    dx = xy[..., 0] - centre[0]
    dy = xy[..., 1] - centre[1]
    out = np.empty_like(xy)
    out[..., 0] = centre[0] + dx * c + dy * s
    out[..., 1] = centre[1] - dx * s + dy * c
    return out


def roll_and_hide_offscreen(data: FloatArray, width: int, height: int, roll_deg: float) -> None:
    """In place on ``(frame, 33, 4)`` image landmarks: rotate x/y by ``roll_deg`` about the image
    centre (:func:`rotate_about`), then cap the visibility of landmarks outside the image at
    ``VIS_HIDDEN``."""
    if roll_deg:
        data[:, :, :2] = rotate_about(data[:, :, :2], (width / 2.0, height / 2.0), roll_deg)
    outside = (
        (data[:, :, 0] < 0)
        | (data[:, :, 0] >= width)
        | (data[:, :, 1] < 0)
        | (data[:, :, 1] >= height)
    )
    data[:, :, 3] = np.where(outside, np.minimum(data[:, :, 3], VIS_HIDDEN), data[:, :, 3])


def add_pixel_noise(data: FloatArray, noise_px: float, seed: int) -> None:
    """In place: Gaussian noise of ``noise_px`` pixels on x and y, from
    ``numpy.random.default_rng(seed)`` (NaN stays NaN)."""
    rng = np.random.default_rng(seed)
    data[:, :, :2] += rng.normal(0.0, 1.0, size=(data.shape[0], N_LANDMARKS, 2)) * noise_px


def stick_figure_source(width: int, height: int, fps: float) -> TrackSource:
    """The :class:`~pressup.pose.track.TrackSource` of a generated track (no video)."""
    return TrackSource(
        backend="synthetic",
        model="stick-figure",
        video=None,
        width=int(width),
        height=int(height),
        fps=float(fps),
    )


# -- rendering steps --------------------------------------------------------------------------
@dataclass
class _Frames:
    """Every frame's time (seconds), scripted phase and rep (0 between reps), the fraction of
    its phase done (``u``, 0..1) and how far up the press-up it is (``progress``, 0..1)."""

    t: FloatArray
    phase: npt.NDArray[np.str_]
    rep: npt.NDArray[np.int64]
    u: FloatArray
    progress: FloatArray


def _frames(phases: list[tuple[float, float, str, int]], fps: float) -> _Frames:
    """The scripted phase of every frame at ``fps`` frames per second."""
    total = phases[-1][1]
    n = math.ceil(total * fps - 1e-9)
    t = np.arange(n, dtype=np.float64) / fps
    starts = np.array([p[0] for p in phases])
    idx = np.clip(np.searchsorted(starts, t + _EPS_T, side="right") - 1, 0, len(phases) - 1)
    phase = np.array([phases[k][2] for k in idx], dtype="<U5")
    rep = np.array([phases[k][3] for k in idx], dtype=np.int64)
    a = starts[idx]
    b = np.array([phases[k][1] for k in idx])
    span = np.where(b > a, b - a, 1.0)
    u = np.clip((t - a) / span, 0.0, 1.0)
    progress = np.zeros(n)
    progress[phase == "press"] = _ease(u[phase == "press"])
    progress[phase == "hold"] = 1.0
    progress[phase == "lower"] = 1.0 - _ease(u[phase == "lower"])
    return _Frames(t, phase, rep, u, progress)


def _scripted_pose(f: _Frames, plans: list[_RepPlan]) -> tuple[_Pose, npt.NDArray[np.str_]]:
    """The lying figure through the scripted reps (trunk angle in degrees with breathing in the
    hold, the faults' hip lift, neck angle and shrug, the forearm wrists), and each frame's
    label."""
    n = f.t.shape[0]
    theta_s = np.zeros(n)
    lift = np.zeros(n)
    neck_offset = np.zeros(n)
    shrug = np.zeros(n)
    wrist_target = np.tile(_WRIST_REST, (n, 1))
    label = np.full(n, "prone_flat", dtype="<U13")
    for plan in plans:
        m = f.rep == plan.index
        p = f.progress[m]
        theta_s[m] = plan.peak_deg * p
        hold = m & (f.phase == "hold")
        r = plan.script
        if "elbows_locked" not in r.faults and r.hold_s > 0:
            cycles = max(1, round(r.hold_s / BREATH_PERIOD_S))
            theta_s[hold] += BREATH_DEG * np.sin(2.0 * np.pi * cycles * f.u[hold])
        if "hips_lifted" in r.faults:
            lift[m] = HIP_LIFT_FRACTION * p
        if "neck_extended" in r.faults:
            neck_offset[m] = NECK_FAULT_DEG * p
        if "neck_flexed" in r.faults:
            neck_offset[m] = -NECK_FAULT_DEG * p
        if "shoulders_shrugged" in r.faults:
            shrug[m] = SHRUG_FRACTION * p
        if r.variant == "forearms":
            wrist_target[m] = _WRIST_REST + p[:, None] * (plan.wrist_top - _WRIST_REST)
        label[m & (f.phase == "press")] = "rising"
        label[hold] = "sphinx" if r.variant == "forearms" else "pressup_hands"
        label[m & (f.phase == "lower")] = "lowering"
    return _prone_pose(theta_s, lift, neck_offset, shrug, wrist_target), label


def _other_poses(
    script: SessionScript,
    t: FloatArray,
    pose: _Pose,
    label: npt.NDArray[np.str_],
    px_scale: FloatArray,
    floor_y: FloatArray,
    body_px: float,
) -> None:
    """In place: the scripted other poses replace the lying figure (label ``other_pose``); a
    standing figure gets its own pixel scale (at most ``body_px`` pixels per body unit) and
    floor line."""
    stand_px = min(body_px, STAND_HEIGHT_FRACTION * script.height)
    for start, end, kind in script.other_pose:
        m = _in_interval(t, start, end)
        k = int(m.sum())
        if k == 0:
            continue
        if kind == "plank":
            other = _plank_pose(np.zeros(k))
        elif kind == "pushup":
            tau = t[m] - start
            other = _plank_pose(0.5 - 0.5 * np.cos(2.0 * np.pi * tau / PUSHUP_PERIOD_S))
        else:
            other = _stand_pose(k)
            px_scale[m] = stand_px
            floor_y[m] = STAND_FLOOR_FRACTION * script.height
        pose.assign(m, other)
        label[m] = "other_pose"


def _to_image(
    pose: _Pose, script: SessionScript, px_scale: FloatArray, floor_y: FloatArray
) -> FloatArray:
    """Body frame -> image landmarks ``(n, 33, 4)``: x and y in pixels, z in pixels toward the
    camera's far side, visibility near/far."""
    body, code = _landmarks(pose, script.side)
    n = body.shape[0]
    direction = -1.0 if script.side == "left" else 1.0
    data = np.empty((n, N_LANDMARKS, 4))
    data[:, :, 0] = script.width / 2.0 + direction * px_scale[:, None] * body[:, :, 0]
    data[:, :, 1] = floor_y[:, None] - px_scale[:, None] * body[:, :, 1]
    z_half = Z_HALF_SPREAD * TRUNK * px_scale
    data[:, :, 2] = code[None, :] * z_half[:, None]
    vis = np.where(code < 0, VIS_NEAR, np.where(code > 0, VIS_FAR, VIS_NEAR))
    data[:, :, 3] = vis[None, :]
    return data


def _camera_cut(data: FloatArray, script: SessionScript, t: FloatArray) -> npt.NDArray[np.bool_]:
    """In place: during the scripted cut the camera zooms in on the head and shoulders (the
    rest hidden). Returns the frames of the cut."""
    hidden = np.zeros(t.shape[0], dtype=bool)
    if script.cut is None:
        return hidden
    m = _in_interval(t, *script.cut)
    if m.any():
        near = script.side
        mid = 0.5 * (
            data[m, LANDMARK_INDEX[f"{near}_ear"], :2]
            + data[m, LANDMARK_INDEX[f"{near}_shoulder"], :2]
        )
        centre = np.array([script.width / 2.0, script.height / 2.0])
        data[m, :, :2] = centre + CUT_ZOOM * (data[m, :, :2] - mid[:, None, :])
        data[m, :, 2] *= CUT_ZOOM
        keep = np.array([name in HEAD_SHOULDER_NAMES for name in LANDMARK_NAMES])
        sub = data[m]
        sub[:, ~keep, 3] = VIS_HIDDEN
        data[m] = sub
        hidden |= m
    return hidden


def _truth_reps(
    plans: list[_RepPlan], f: _Frames, label: npt.NDArray[np.str_], pose: _Pose
) -> tuple[list[TruthRep], list[tuple[str, float, float, int]]]:
    """The true reps (incomplete when a press or lowering was mostly not seen; peaks in
    degrees over the hold) and fault intervals ``(code, start_s, end_s, rep)``."""
    swallowed = np.isin(label, ("not_visible", "other_pose"))
    reps: list[TruthRep] = []
    fault_intervals: list[tuple[str, float, float, int]] = []
    for plan in plans:
        m = f.rep == plan.index
        complete = True
        for ph in ("press", "lower"):
            pm = m & (f.phase == ph)
            if pm.any() and swallowed[pm].mean() >= SWALLOW_FRACTION:
                complete = False
        top = m & (f.phase == "hold")
        sel = top if top.any() else m
        r = plan.script
        reps.append(
            TruthRep(
                index=plan.index,
                start_s=plan.start,
                top_start_s=plan.top_start,
                top_end_s=plan.top_end,
                end_s=plan.end,
                press_s=r.press_s,
                hold_s=plan.top_end - plan.top_start,
                lower_s=plan.end - plan.top_end,
                variant=r.variant,
                faults=tuple(r.faults),
                complete=complete,
                peak_trunk_deg=float(pose.trunk_deg[sel].max()) if sel.any() else math.nan,
                peak_elbow_deg=float(pose.elbow_deg[sel].mean()) if sel.any() else math.nan,
            )
        )
        for code_name in r.faults:
            if code_name == "fast_lowering":
                fault_intervals.append((code_name, plan.top_end, plan.end, plan.index))
            else:
                fault_intervals.append((code_name, plan.top_start, plan.top_end, plan.index))
    return reps, fault_intervals


# -- entry point ------------------------------------------------------------------------------
def make_session(script: SessionScript) -> tuple[PoseTrack, Truth]:
    """Render a scripted session as a BlazePose-format :class:`PoseTrack` plus its :class:`Truth`.

    Deterministic for a given script (noise drawn from ``numpy.random.default_rng(seed)``).

    Raises:
        ValueError: the script is invalid or asks for an unreachable pose.
    """
    _validate(script)
    phases, plans = _plan(script)
    fps = float(script.fps)
    f = _frames(phases, fps)
    t = f.t
    pose, label = _scripted_pose(f, plans)

    # image scale and origin per frame (body units -> pixels)
    body_px = 0.7 * script.width * script.scale
    px_scale = np.full(t.shape[0], body_px)
    floor_y = np.full(t.shape[0], script.height / 2.0 + BODY_Y * body_px)
    _other_poses(script, t, pose, label, px_scale, floor_y, body_px)

    data = _to_image(pose, script, px_scale, floor_y)
    hidden = _camera_cut(data, script, t)
    roll_and_hide_offscreen(data, script.width, script.height, script.camera_roll_deg)
    for start, end in script.dropouts:
        m = _in_interval(t, start, end)
        data[m, :, :3] = np.nan
        data[m, :, 3] = 0.0
        hidden |= m
    label[hidden] = "not_visible"
    add_pixel_noise(data, script.noise_px, script.seed)

    reps, fault_intervals = _truth_reps(plans, f, label, pose)
    track = PoseTrack(
        t_s=t,
        data=data,
        source=stick_figure_source(script.width, script.height, fps),
        meta={"generator": "tests/synth.py", "seed": int(script.seed), "side": script.side},
    )
    truth = Truth(
        t_s=t.copy(),
        label=label,
        phase=f.phase,
        rep=f.rep,
        trunk_deg=pose.trunk_deg,
        elbow_deg=pose.elbow_deg,
        hip_ext_deg=pose.hip_ext_deg,
        neck_deg=_wrap_deg(pose.neck_deg),
        shrug_ratio=pose.shrug_ratio,
        hip_lift=pose.hip_lift,
        reps=reps,
        fault_intervals=fault_intervals,
        trunk_len_px=TRUNK * body_px,
        fps=fps,
    )
    return track, truth


def demo_session(seed: int = 7) -> tuple[PoseTrack, Truth]:
    """A generated 3-rep session for the quick-start demo: a clean forearm press-up, a hands
    press-up with the head tipped back, and a hands press-up lowered too fast, with a little
    landmark noise."""
    script = SessionScript(
        reps=[
            RepScript("forearms", press_s=2.0, hold_s=10.0, lower_s=2.5, rest_s=4.0),
            RepScript(
                "hands",
                press_s=2.5,
                hold_s=10.0,
                lower_s=3.0,
                rest_s=4.0,
                faults=("neck_extended",),
            ),
            RepScript(
                "hands",
                press_s=2.0,
                hold_s=6.0,
                lower_s=0.5,
                rest_s=3.0,
                faults=("fast_lowering", "short_hold"),
            ),
        ],
        noise_px=1.0,
        seed=seed,
    )
    return make_session(script)
