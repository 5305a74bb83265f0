"""Synthetic BlazePose tracks of movements that must NEVER be counted as a press-up.

Each public function returns a :class:`~pressup.pose.track.PoseTrack` (backend
``"synthetic"``, model ``"stick-figure"``) of one scripted movement seen from the side: prone
exercises that resemble the press-up (swimmer, superman, forearm plank, push-ups, knee
push-ups), getting down to / up from the floor (standing, kneeling, all fours, child's pose),
rolling onto the side and lying still. :data:`NEGATIVES` maps a name to every function. A
press-up counter run over any of them should report zero press-ups.

Geometry (angles in DEGREES, lengths in body units ``H`` unless said otherwise)
==============================================================================

The conventions are those of :mod:`pressup.synthetic`: a 2-D sagittal *body frame* with ``X``
along the floor towards the head of the lying person and ``Y`` up from the floor (``Y = 0``),
lengths in fractions of the body length ``H = 0.7 * width * scale`` pixels; the same segment
lengths (trunk hip->shoulder ``0.28``, thigh and shank ``0.245``, upper arm and forearm
``0.15``, neck shoulder->ear ``0.11``), the same lying posture (shoulder and hip landmarks
``0.12 H`` above the floor, knee ``0.09``, ankle ``0.05``; wrist on the floor ``0.012`` high and
``0.03`` ahead of the lying shoulder) and the same face and hand landmark offsets. Standing,
kneeling and walking figures face ``+X``.

Angles quoted below: ``trunk = elev(shoulder - hip)``, ``thigh = elev(hip - knee)``,
``shin = elev(knee - ankle)``, with ``elev(v) = atan2(v_Y, v_X)`` (0 = along the floor towards
the head, 90 = straight up); lying flat reads trunk 0, thigh 7.0, shin 9.4.

* Legs are built from the ankle (or the hip) by the segment angles, so every segment keeps its
  length; arms by two-link IK from the shoulder to a wrist target, the elbow on the posterior
  side of the shoulder->wrist line (as in :mod:`pressup.synthetic`).
* Toes: ``toe = ankle + L * (cos g * b - sin g * a)`` with ``a`` the unit ankle->knee
  vector, ``b`` it turned 90 deg clockwise (the front of the shin) and ``g`` the foot angle
  (the interior knee-ankle-toe angle is ``90 + g``): 75 tops of the feet on the floor (lying,
  kneeling; 165 deg), -15 toes tucked under (plank, push-up, ankle ``0.07`` high; 75 deg),
  16.7 foot flat (standing; 106.7 deg). ``L = 0.105`` unless that would put the toe tip below
  ``Y = 0.0025``: then the toes bend and ``L`` shrinks so the tip rests on the floor (0.081 in
  the push-up plank, 0.074 in the forearm plank). ``heel = ankle - 0.025 a - 0.03 b``.
* Head: ``ear = shoulder + 0.11 * u(trunk + neck)`` with ``neck = 10 + 0.67 * trunk``
  (the neutral head line of :mod:`pressup.synthetic`) unless a shape says otherwise; face
  landmarks from the ear as in :mod:`pressup.synthetic`.
* Motion between key poses follows the cosine ease ``(1 - cos(pi u)) / 2``.

Rendering
    ``x = cx + s * (X - X_mid)`` for ``side == "right"`` and ``x = cx - s * (X - X_mid)`` for
    ``side == "left"`` (the head of the lying figure on the image left, the person's left side
    towards the camera), ``y = y_floor - s * Y`` (image y is DOWN), ``s = H`` pixels.
    ``X_mid`` centres the figure's extent over the whole track horizontally; ``y_floor`` is the
    image row ``height / 2 + 0.12 * H`` (the lying hip on the image centre row) except for
    :func:`get_down_from_standing` (``scale = 0.7``, floor on row ``0.95 * height`` so the
    standing figure fits). Camera-side landmarks have visibility 0.95 and
    ``z = -0.075 * 0.28 * s``; far-side landmarks copy the far side's own joints shifted by
    ``(0.005, 0.008) H`` in the body frame, visibility 0.6, ``z = +0.075 * 0.28 * s``; the nose
    0.95 and ``z = 0``. ``camera_roll_deg`` rotates every landmark about the image centre,
    counter-clockwise on screen; landmarks outside the image get visibility <= 0.05. Gaussian
    noise of ``noise_px`` pixels is added to x and y last (``numpy.random.default_rng(seed)``).
    ``track.meta`` records ``shape``, ``side``, ``seed``, ``noise_px``, ``camera_roll_deg``,
    ``body_px`` (``H``), ``floor_y_px`` and ``x_mid`` so that :func:`body_coordinates` can map
    the landmarks back into the body frame.

Shapes (times in seconds; numbers for the noise-free figure, camera side)
=========================================================================

``swimmer``
    19 s. Lying with both arms reaching overhead along the floor (wrist ``0.56 H`` ahead of the
    hip, 0.28 beyond the shoulder; elbows about 173 deg), 2 s; then 5 cycles of 3 s: the chest
    rises to 6, 9, 7, 11, 8 deg (1.1 s up, 0.5 s held, 1.1 s down) while one arm lifts its wrist
    0.05-0.09 H (8-15 cm) off the floor and the opposite leg lifts its ankle about 0.04-0.08 H,
    alternating near arm + far leg / far arm + near leg; 2 s lying. Hips stay on the floor.
``superman``
    23 s. Arms overhead as in ``swimmer``; 3 times both arms (wrists 0.10 H up) and both legs
    (thighs 10 deg lifted) rise with the chest to 15, 18, 12 deg (1.2 s), held 3 s, lowered in
    1.2 s, 1.1 s rest.
``get_down_from_all_fours``
    14.5 s. All fours 3 s: knees on the floor (knee ``0.065``), thighs vertical (thigh 90), hip
    and shoulder ``0.31`` high (trunk 0), straight-ish vertical arms (elbow 169), tops of the
    feet on the floor. 3-7 s the hands walk forward to beside the chest and the hips sink to the
    floor, the arms keeping the shoulders up (thigh 90 -> 7, trunk solved, 0 -> 37.9); 7-9.5 s
    the chest lowers by bending the elbows (trunk 37.9 -> 0); then lies still 5 s.
``get_down_from_standing``
    18 s. Standing side view 2 s (trunk, thigh, shin 90; arms hanging, elbow 169); 2-4.5 s kneels
    (shin 90 -> 5.9, thighs through 120, trunk through 70); 4.5-6.5 s bends forward to all fours
    (trunk 90 -> 0, hands down to the floor); 6.5-7.5 s all fours; 7.5-14 s down to lying as in
    ``get_down_from_all_fours``; 14-18 s lying.
``push_back_to_all_fours``
    14 s. Lying 3 s (hands beside the chest); 3-4.5 s presses the chest up to 22 deg on the
    hands (pelvis down); 4.5-6.5 s pushes the hips up and back while the knees draw forward to
    all fours (thigh 7 -> 90, trunk solved from the arms, 22 -> 0); 6.5-8 s all fours; 8-10 s
    sits back into child's pose (thigh 90 -> 155, trunk 0 -> -15, arms stretched forward on
    the floor, elbow 161); 4 s child's pose.
``roll_onto_side``
    14 s. Lying 3 s; 3-5 s rolls onto the far side, facing the camera (roll 0 -> 90 deg); lies on
    the side 4 s; 9-11 s rolls back; 3 s lying. On the side the near (upper) shoulder is 0.19 H
    above the far one and the near hip 0.13 H above the far one (near shoulder ``0.24``, hip
    ``0.19``: near-side trunk 10.1 deg; far shoulder ``0.05``, hip ``0.06``).
``forearm_plank``
    33.2 s. Lying 2 s; twice: 1.8 s up onto forearms and toes (elbows on the floor under the
    shoulders, forearms flat, elbow 90; toes tucked, ankle ``0.07``), body straight
    (trunk = thigh = shin = 9.24 deg, hip ``0.149``, knee ``0.109``), held 10 s, 1.8 s down,
    2 s lying. The trunk leads the legs by 0.6 s going up, the legs lead going down.
``pushup_from_lying``
    15.8 s. Lying 2 s with the hands beside the chest, 1.2 s up to a plank on hands and toes
    (straight body, trunk = thigh = shin = 18.2 deg, arms vertical, elbow 167), 0.4 s, 4
    push-ups of 2 s (body straight, down to 6.0 deg with the shoulder ``0.15`` high, elbow 56),
    1.2 s back down to lying, 3 s lying.
``knee_pushup``
    17 s. Lying 2 s, 1.4 s up to a knee plank (knees on the floor, tops of the feet on the
    floor, knee->hip->shoulder straight: trunk = thigh = 27.8 deg, shin 5.9), 4 knee push-ups
    of 2.3 s (down to 9.3 deg, elbow 59), 1.4 s back to lying, 2.6 s lying.
``lying_still``
    20 s lying prone: breathing (trunk +-0.4 deg), the head turns to the camera and away (face
    landmarks swing with the cosine of a 70 deg turn), the body shifts 0.015 H along the floor,
    the hands slide 0.03 H back and forth, the chest settles 1.5 deg up and back. No
    press-up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import numpy.typing as npt

from pressup.pose.track import LANDMARK_INDEX, N_LANDMARKS, PoseTrack
from pressup.synthetic import (
    ANKLE_X,
    ANKLE_Y,
    BODY_Y,
    ELBOW_FLOOR_Y,
    FACE_OFFSETS,
    FAR_OFFSET,
    FOREARM,
    HAND_AHEAD,
    HAND_OFFSETS,
    KNEE_X,
    KNEE_Y,
    NECK,
    NECK_PER_TRUNK,
    NEUTRAL_NECK_DEG,
    PUSHUP_BOTTOM_Y,
    REACH,
    SHANK,
    THIGH,
    TRUNK,
    UPPER_ARM,
    VIS_NEAR,
    WRIST_Y,
    Z_HALF_SPREAD,
    Side,
    add_pixel_noise,
    roll_and_hide_offscreen,
    rotate_about,
    stick_figure_source,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

FloatArray = npt.NDArray[np.float64]

# -- body model additions (body units H, degrees) ---------------------------------------------
SHIN_LIE_DEG = math.degrees(math.atan2(KNEE_Y - ANKLE_Y, KNEE_X - ANKLE_X))  # 9.41
THIGH_LIE_DEG = math.degrees(math.atan2(BODY_Y - KNEE_Y, -KNEE_X))  # 7.03
KNEEL_KNEE_Y = 0.065  # knee joint height kneeling on the kneecap
KNEEL_ANKLE_Y = 0.04  # ankle height with the tops of the feet on the floor
SHIN_KNEEL_DEG = math.degrees(math.asin((KNEEL_KNEE_Y - KNEEL_ANKLE_Y) / SHANK))  # 5.86
TOES_ANKLE_Y = 0.07  # ankle height on tucked toes (plank, push-up)
ALL_FOURS_Y = KNEEL_KNEE_Y + THIGH  # hip and shoulder height on all fours (0.31)
HAND_UNDER = 0.02  # wrist ahead of the shoulder on all fours
FOOT_LEN = 0.105
HEEL_ALONG, HEEL_BACK = -0.025, -0.03  # heel offset along the shin / along its front
TOE_POINTED_DEG = 75.0  # tops of the feet on the floor
TOE_TUCKED_DEG = -15.0  # on tucked toes: toe tip ahead of the ankle, knee-ankle-toe 75 deg
TOE_FLAT_DEG = 16.7  # standing
TOE_FLOOR_Y = 0.0025  # lowest toe tip: the toes bend (or the heel lifts) instead
ARM_STRAIGHT = 0.998  # wrist distance / reach of a "straight" arm (elbow about 173 deg)
FAR_VIS = 0.6
STAND_SCALE = 0.7
STAND_FLOOR_FRACTION = 0.95
WRIST_REST = (TRUNK + HAND_AHEAD, WRIST_Y)
LEG_LEN = THIGH + SHANK
BODY_LEN = SHANK + THIGH + TRUNK  # ankle -> shoulder of a straight body


# -- small helpers ------------------------------------------------------------------------------
def _u(deg: FloatArray) -> FloatArray:
    """``(n, 2)`` unit vectors at angles in degrees (counter-clockwise from +X)."""
    r = np.radians(deg)
    return np.stack([np.cos(r), np.sin(r)], axis=-1)


def _elev(v: FloatArray) -> FloatArray:
    """Elevation in degrees of ``(n, 2)`` vectors."""
    out: FloatArray = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    return out


def _ease(u: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))
    return out


def _keys(t: FloatArray, knots: Sequence[tuple[float, float]]) -> FloatArray:
    """Cosine-eased curve through ``(time_s, value)`` knots (times non-decreasing).

    Constant before the first and after the last knot; between two knots the value moves from
    one to the other along :func:`_ease`.
    """
    out = np.full(t.shape, float(knots[0][1]))
    for (t0, v0), (t1, v1) in zip(knots, knots[1:]):
        if t1 <= t0:
            continue
        m = (t >= t0) & (t < t1)
        out[m] = v0 + (v1 - v0) * _ease((t[m] - t0) / (t1 - t0))
    out[t >= knots[-1][0]] = float(knots[-1][1])
    return out


def _pulse(t: FloatArray, start: float, up: float, hold: float, down: float) -> FloatArray:
    """0 -> 1 over ``up`` s from ``start``, 1 for ``hold`` s, back to 0 over ``down`` s."""
    top = start + up
    return _keys(t, [(start, 0.0), (top, 1.0), (top + hold, 1.0), (top + hold + down, 0.0)])


def _pt(n: int, x: float, y: float) -> FloatArray:
    return np.tile([float(x), float(y)], (n, 1))


def _xy(x: FloatArray, y: FloatArray) -> FloatArray:
    return np.stack([x, y], axis=-1)


def _ik(shoulder: FloatArray, wrist: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two-link arm: ``(elbow, wrist)``; the elbow on the posterior (clockwise) side.

    Raises:
        ValueError: the wrist target is further than the arm reaches (by > 0.001 H).
    """
    d_vec = wrist - shoulder
    d = np.hypot(d_vec[:, 0], d_vec[:, 1])
    if np.any(d > REACH + 1e-3):
        raise ValueError(f"arm cannot reach: shoulder-wrist {d.max():.4f} H > {REACH:.4f} H")
    d = np.clip(d, 1e-9, REACH)
    u = d_vec / d[:, None]
    nrm = np.stack([u[:, 1], -u[:, 0]], axis=-1)
    ca = np.clip((UPPER_ARM**2 + d * d - FOREARM**2) / (2.0 * UPPER_ARM * d), -1.0, 1.0)
    sa = np.sqrt(1.0 - ca * ca)
    elbow = shoulder + UPPER_ARM * (ca[:, None] * u + sa[:, None] * nrm)
    return elbow, shoulder + d[:, None] * u


def _solve_trunk(hip: FloatArray, wrist: FloatArray, chord: FloatArray) -> FloatArray:
    """Trunk elevation (deg) that puts the shoulder ``chord`` from the wrist (upper solution).

    Raises:
        ValueError: no such shoulder position exists.
    """
    v = wrist - hip
    dist = np.hypot(v[:, 0], v[:, 1])
    a = (TRUNK**2 - chord**2 + dist**2) / (2.0 * dist)
    h2 = TRUNK**2 - a**2
    if np.any(h2 < -1e-12):
        raise ValueError("shoulder cannot be placed: hip and wrist too far apart")
    h = np.sqrt(np.clip(h2, 0.0, None))
    vh = v / dist[:, None]
    perp = np.stack([-vh[:, 1], vh[:, 0]], axis=-1)
    shoulder = hip + a[:, None] * vh + h[:, None] * perp
    return _elev(shoulder - hip)


def _up_chain(
    ankle: FloatArray, shin: FloatArray, thigh: FloatArray, trunk: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Knee, hip and shoulder from the ankle and the segment angles (deg)."""
    knee = ankle + SHANK * _u(shin)
    hip = knee + THIGH * _u(thigh)
    return knee, hip, hip + TRUNK * _u(trunk)


def _down_chain(
    hip: FloatArray, thigh: FloatArray, shin: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Knee and ankle from the hip and the segment angles (deg)."""
    knee = hip - THIGH * _u(thigh)
    return knee, knee - SHANK * _u(shin)


def _neutral_neck(trunk: FloatArray) -> FloatArray:
    out: FloatArray = NEUTRAL_NECK_DEG + NECK_PER_TRUNK * trunk
    return out


@dataclass
class _Joints:
    """One body side in body units, ``(n, 2)`` points; angles in degrees."""

    shoulder: FloatArray
    elbow: FloatArray
    wrist: FloatArray
    hip: FloatArray
    knee: FloatArray
    ankle: FloatArray
    head_deg: FloatArray  # crown direction shoulder -> ear
    toe_deg: FloatArray  # foot angle g (see module doc)
    hand_deg: FloatArray  # wrist -> fingers direction
    face_scale: FloatArray  # multiplier of the face-normal offsets (1 = profile)

    def parts(self) -> dict[str, FloatArray]:
        """All 16 landmarks of this side, keyed by part name (``mouth`` for the mouth corner)."""
        crown = _u(self.head_deg)
        face = _u(self.head_deg - 90.0) * self.face_scale[:, None]
        ear = self.shoulder + NECK * crown
        shin = self.knee - self.ankle
        a = shin / np.hypot(shin[:, 0], shin[:, 1])[:, None]
        b = np.stack([a[:, 1], -a[:, 0]], axis=-1)
        g = np.radians(self.toe_deg)[:, None]
        toe_dir = np.cos(g) * b - np.sin(g) * a
        # toes bend against the floor instead of going through it
        down = np.maximum(-toe_dir[:, 1], 1e-9)
        foot_len = np.minimum(FOOT_LEN, np.maximum(self.ankle[:, 1] - TOE_FLOOR_Y, 0.0) / down)
        hand = _u(self.hand_deg)
        hand_n = _u(self.hand_deg + 90.0)
        out = {
            "shoulder": self.shoulder,
            "elbow": self.elbow,
            "wrist": self.wrist,
            "hip": self.hip,
            "knee": self.knee,
            "ankle": self.ankle,
            "heel": self.ankle + HEEL_ALONG * a + HEEL_BACK * b,
            "foot_index": self.ankle + foot_len[:, None] * toe_dir,
            "ear": ear,
        }
        for name, (c, f) in FACE_OFFSETS.items():
            if name != "nose":
                out[name] = ear + c * crown + f * face
        for name, (al, pe) in HAND_OFFSETS.items():
            out[name] = self.wrist + al * hand + pe * hand_n
        return out

    def nose(self) -> FloatArray:
        crown = _u(self.head_deg)
        face = _u(self.head_deg - 90.0) * self.face_scale[:, None]
        c, f = FACE_OFFSETS["nose"]
        out: FloatArray = self.shoulder + NECK * crown + c * crown + f * face
        return out


def _joints(
    shoulder: FloatArray,
    wrist_target: FloatArray,
    hip: FloatArray,
    knee: FloatArray,
    ankle: FloatArray,
    trunk: FloatArray,
    neck: FloatArray,
    toe_deg: FloatArray | float,
    hand_deg: FloatArray | float = 0.0,
    face_scale: FloatArray | float = 1.0,
) -> _Joints:
    n = shoulder.shape[0]
    elbow, wrist = _ik(shoulder, wrist_target)
    return _Joints(
        shoulder=shoulder,
        elbow=elbow,
        wrist=wrist,
        hip=hip,
        knee=knee,
        ankle=ankle,
        head_deg=trunk + neck,
        toe_deg=np.broadcast_to(np.asarray(toe_deg, dtype=np.float64), (n,)).copy(),
        hand_deg=np.broadcast_to(np.asarray(hand_deg, dtype=np.float64), (n,)).copy(),
        face_scale=np.broadcast_to(np.asarray(face_scale, dtype=np.float64), (n,)).copy(),
    )


@dataclass
class _Figure:
    """Both sides of the figure (``far`` already shifted), the nose, far-side visibility and
    depth-spread multiplier per frame (1 = pure side view)."""

    near: dict[str, FloatArray]
    far: dict[str, FloatArray]
    nose: FloatArray
    far_vis: FloatArray
    depth: FloatArray


def _figure(
    near: _Joints,
    far: _Joints | None = None,
    far_vis: FloatArray | None = None,
    depth: FloatArray | None = None,
) -> _Figure:
    """Near side as given, far side = ``far`` (default: the near joints) + the far offset."""
    n = near.shoulder.shape[0]
    shift = np.array(FAR_OFFSET)
    far_parts = {k: v + shift for k, v in (far or near).parts().items()}
    return _Figure(
        near=near.parts(),
        far=far_parts,
        nose=near.nose(),
        far_vis=np.full(n, FAR_VIS) if far_vis is None else far_vis,
        depth=np.ones(n) if depth is None else depth,
    )


def _landmark(side: str, part: str) -> int:
    return LANDMARK_INDEX[f"mouth_{side}" if part == "mouth" else f"{side}_{part}"]


def _times(duration_s: float, fps: float) -> FloatArray:
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    n = math.ceil(duration_s * fps - 1e-9)
    out: FloatArray = np.arange(n, dtype=np.float64) / float(fps)
    return out


class ViewOptions(TypedDict, total=False):
    """Keyword options of every shape function: the camera and the image (see *Rendering*).

    ``fps`` frames per second (default 30), ``width`` x ``height`` image size in pixels
    (960 x 540), ``noise_px`` Gaussian landmark noise in pixels (0), ``seed`` of that noise (0),
    ``camera_roll_deg`` roll of the picture, counter-clockwise on screen (0).
    """

    fps: float
    width: int
    height: int
    noise_px: float
    seed: int
    camera_roll_deg: float


@dataclass(frozen=True)
class _View:
    """The camera and image of one track: ``side`` and :class:`ViewOptions` (same defaults),
    plus the drawing scale and the floor's image row (fraction of the height; ``None`` = the
    lying hip on the centre row)."""

    side: Side
    fps: float = 30.0
    width: int = 960
    height: int = 540
    noise_px: float = 0.0
    seed: int = 0
    camera_roll_deg: float = 0.0
    scale: float = 1.0
    floor_fraction: float | None = None


def _view(
    side: Side, options: ViewOptions, scale: float = 1.0, floor_fraction: float | None = None
) -> _View:
    """The checked view of a shape function's ``side`` and :class:`ViewOptions` (an unknown
    option is a ``TypeError``, as any unexpected keyword).

    Raises:
        ValueError: a bad side, image size or noise level.
    """
    view = _View(side, scale=scale, floor_fraction=floor_fraction, **options)
    if view.side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {view.side!r}")
    if view.width <= 0 or view.height <= 0:
        raise ValueError(f"image size must be positive, got {view.width}x{view.height}")
    if view.noise_px < 0:
        raise ValueError(f"noise_px must be >= 0, got {view.noise_px}")
    return view


def _render(fig: _Figure, t: FloatArray, view: _View, shape: str) -> PoseTrack:
    """Body-frame figure -> BlazePose-format track (see the module doc, *Rendering*)."""
    n = t.shape[0]
    body_px = 0.7 * view.width * view.scale
    cx, cy = view.width / 2.0, view.height / 2.0
    if view.floor_fraction is None:
        floor_y = cy + BODY_Y * body_px
    else:
        floor_y = view.floor_fraction * view.height
    xs = np.concatenate([p[:, 0] for p in (*fig.near.values(), *fig.far.values(), fig.nose)])
    x_mid = 0.5 * (float(xs.min()) + float(xs.max()))
    direction = -1.0 if view.side == "left" else 1.0
    far_side = "right" if view.side == "left" else "left"
    z_half = Z_HALF_SPREAD * TRUNK * body_px

    data = np.full((n, N_LANDMARKS, 4), np.nan)

    def put(idx: int, p: FloatArray, z: FloatArray, vis: FloatArray) -> None:
        data[:, idx, 0] = cx + direction * body_px * (p[:, 0] - x_mid)
        data[:, idx, 1] = floor_y - body_px * p[:, 1]
        data[:, idx, 2] = z
        data[:, idx, 3] = vis

    near_vis = np.full(n, VIS_NEAR)
    for part, p in fig.near.items():
        put(_landmark(view.side, part), p, -z_half * fig.depth, near_vis)
    for part, p in fig.far.items():
        put(_landmark(far_side, part), p, z_half * fig.depth, fig.far_vis)
    put(LANDMARK_INDEX["nose"], fig.nose, np.zeros(n), near_vis)
    if np.isnan(data).any():  # pragma: no cover - every landmark is set above
        raise AssertionError("a landmark was left unset")

    roll_and_hide_offscreen(data, view.width, view.height, view.camera_roll_deg)
    add_pixel_noise(data, view.noise_px, view.seed)
    meta: dict[str, Any] = {
        "generator": "pressup.negatives",
        "shape": shape,
        "side": view.side,
        "seed": int(view.seed),
        "noise_px": float(view.noise_px),
        "camera_roll_deg": float(view.camera_roll_deg),
        "body_px": float(body_px),
        "floor_y_px": float(floor_y),
        "x_mid": float(x_mid),
    }
    source = stick_figure_source(view.width, view.height, view.fps)
    return PoseTrack(t_s=t, data=data, source=source, meta=meta)


def body_coordinates(track: PoseTrack) -> FloatArray:
    """``(frame, 33, 2)`` landmark positions of a track made here, back in the body frame.

    Undoes the camera roll, the side flip and the pixel scale recorded in ``track.meta``:
    ``X`` along the floor towards the head of the lying figure (shifted by ``x_mid``), ``Y``
    height above the floor, both in body units ``H``.

    Raises:
        ValueError: the track was not made by :mod:`pressup.negatives`.
    """
    meta = track.meta
    if meta.get("generator") != "pressup.negatives":
        raise ValueError("expected a track made by pressup.negatives (meta['generator'])")
    w, h = track.source.width, track.source.height
    cx, cy = w / 2.0, h / 2.0
    xy = track.data[:, :, :2]
    roll = float(meta["camera_roll_deg"])
    if roll:
        xy = rotate_about(xy, (cx, cy), -roll)
    s = float(meta["body_px"])
    direction = -1.0 if meta["side"] == "left" else 1.0
    x = (xy[..., 0] - cx) / (direction * s) + float(meta["x_mid"])
    y = (float(meta["floor_y_px"]) - xy[..., 1]) / s
    out: FloatArray = np.stack([x, y], axis=-1)
    return out


# -- shapes -----------------------------------------------------------------------------------
def _lying_legs(n: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Hip, thigh and shin angle arrays of the lying figure (hip at the origin's height)."""
    return _pt(n, 0.0, BODY_Y), np.full(n, THIGH_LIE_DEG), np.full(n, SHIN_LIE_DEG)


def _overhead(
    t: FloatArray,
    trunk: FloatArray,
    arm_lift: tuple[FloatArray, FloatArray],
    leg_lift: tuple[FloatArray, FloatArray],
) -> _Figure:
    """Prone, both arms reaching overhead along the floor; per-side lifts in H.

    ``arm_lift``: wrist heights above the floor contact, near and far; ``leg_lift``: ankle
    lift (approximate, the straight leg pivots about the hip), near and far. The pelvis stays
    down (hip fixed at the lying position).
    """
    n = t.shape[0]
    hip, thigh0, shin0 = _lying_legs(n)
    shoulder = hip + TRUNK * _u(trunk)
    neck = _neutral_neck(trunk)
    sides: list[_Joints] = []
    for arm, leg in zip(arm_lift, leg_lift):
        chord = ARM_STRAIGHT * REACH
        sin_a = np.clip((WRIST_Y + arm - shoulder[:, 1]) / chord, -1.0, 1.0)
        wrist = shoulder + chord * _u(np.degrees(np.arcsin(sin_a)))
        delta = np.degrees(leg / LEG_LEN)
        knee, ankle = _down_chain(hip, thigh0 - delta, shin0 - delta)
        sides.append(_joints(shoulder, wrist, hip, knee, ankle, trunk, neck, TOE_POINTED_DEG))
    return _figure(sides[0], sides[1])


def swimmer(side: Side = "left", *, cycles: int = 5, **options: Unpack[ViewOptions]) -> PoseTrack:
    """Prone "swimmer": alternate opposite arm and leg lifts with small chest lifts.

    Lying face down with both arms reaching overhead along the floor (elbows about 173 deg,
    wrists 0.28 H beyond the shoulders), 2 s; then ``cycles`` cycles of 3 s (1.1 s up, 0.5 s
    held, 1.1 s down, 0.3 s pause): the chest rises to 6, 9, 7, 11, 8 degrees (repeating), one
    arm lifts its wrist 0.05-0.09 H and the opposite leg its ankle 0.04-0.08 H; even cycles lift
    the camera-side arm with the far leg, odd cycles the far arm with the camera-side leg. 2 s
    lying at the end. Duration ``4 + 3 * cycles`` seconds (19 s by default).
    """
    view = _view(side, options)
    if cycles < 1:
        raise ValueError(f"cycles must be >= 1, got {cycles}")
    peaks = (6.0, 9.0, 7.0, 11.0, 8.0)
    arm_h = (0.06, 0.08, 0.05, 0.09, 0.07)
    leg_h = (0.05, 0.07, 0.04, 0.08, 0.06)
    start, period = 2.0, 3.0
    t = _times(start + cycles * period + 2.0, view.fps)
    trunk = np.zeros_like(t)
    near_arm, far_arm = np.zeros_like(t), np.zeros_like(t)
    near_leg, far_leg = np.zeros_like(t), np.zeros_like(t)
    for k in range(cycles):
        p = _pulse(t, start + k * period, 1.1, 0.5, 1.1)
        trunk += peaks[k % 5] * p
        if k % 2 == 0:
            near_arm += arm_h[k % 5] * p
            far_leg += leg_h[k % 5] * p
        else:
            far_arm += arm_h[k % 5] * p
            near_leg += leg_h[k % 5] * p
    fig = _overhead(t, trunk, (near_arm, far_arm), (near_leg, far_leg))
    return _render(fig, t, view, "swimmer")


def superman(side: Side = "left", **options: Unpack[ViewOptions]) -> PoseTrack:
    """Prone "superman": both arms overhead and both legs lifted together with the chest.

    Arms overhead as in :func:`swimmer`. After 2 s lying, 3 times: 1.2 s up (chest to 15, 18,
    12 degrees; wrists 0.10 H off the floor; both thighs lifted 10 degrees, ankles about
    0.085 H up), held 3 s, 1.2 s down, 1.1 s rest; 1.5 s lying at the end (23 s).
    """
    view = _view(side, options)
    peaks = (15.0, 18.0, 12.0)
    start, period = 2.0, 6.5
    t = _times(start + len(peaks) * period + 1.5, view.fps)
    trunk = np.zeros_like(t)
    lift = np.zeros_like(t)
    for k, peak in enumerate(peaks):
        p = _pulse(t, start + k * period, 1.2, 3.0, 1.2)
        trunk += peak * p
        lift += p
    arm = 0.10 * lift
    leg = LEG_LEN * np.radians(10.0) * lift
    fig = _overhead(t, trunk, (arm, arm), (leg, leg))
    return _render(fig, t, view, "superman")


def _all_fours_down(t: FloatArray, ankle_x: float, t0: float) -> dict[str, FloatArray]:
    """All fours (until ``t0``) -> hips down to the floor on the hands (``t0`` .. ``t0 + 4``)
    -> chest lowered by bending the elbows (.. ``t0 + 6.5``) -> lying; ankle at ``ankle_x``.

    Returns ``ankle``, ``knee``, ``hip``, ``shoulder``, ``wrist`` (target) points and the
    ``shin``, ``thigh``, ``trunk`` angles (deg). On all fours the knee is ``0.065`` H high under
    the hip, the hip and shoulder ``0.31`` H high, the wrist ``0.02`` H ahead of the shoulder.
    While the hips sink the hands walk forward to the lying wrist spot and the trunk angle is
    solved so the shoulder stays one arm chord (0.2987 -> 0.294 H) from the wrist.
    """
    n = t.shape[0]
    knee_x = ankle_x + SHANK * math.cos(math.radians(SHIN_KNEEL_DEG))
    af_wrist_x = knee_x + TRUNK + HAND_UNDER
    af_chord = math.hypot(HAND_UNDER, ALL_FOURS_Y - WRIST_Y)
    press_chord = 0.294  # elbow about 157 deg, as a hands press-up top
    wrist_x_end = ankle_x - ANKLE_X + WRIST_REST[0]
    t_a, t_b, t_c = t0, t0 + 4.0, t0 + 6.5
    ankle = _xy(np.full(n, ankle_x), _keys(t, [(t_a, KNEEL_ANKLE_Y), (t_b, ANKLE_Y)]))
    shin = _keys(t, [(t_a, SHIN_KNEEL_DEG), (t_b, SHIN_LIE_DEG)])
    thigh = _keys(t, [(t_a, 90.0), (t_b, THIGH_LIE_DEG)])
    wrist = _xy(_keys(t, [(t_a, af_wrist_x), (t_b, wrist_x_end)]), np.full(n, WRIST_Y))
    chord = _keys(t, [(t_a, af_chord), (t_b, press_chord)])
    knee = ankle + SHANK * _u(shin)
    hip = knee + THIGH * _u(thigh)
    solved = _solve_trunk(hip, wrist, chord)
    top = float(
        _solve_trunk(
            np.array([[ankle_x - ANKLE_X, BODY_Y]]),
            np.array([[wrist_x_end, WRIST_Y]]),
            np.array([press_chord]),
        )[0]
    )
    trunk = np.where(t < t_b, solved, _keys(t, [(t_b, top), (t_c, 0.0)]))
    return {
        "ankle": ankle,
        "knee": knee,
        "hip": hip,
        "shoulder": hip + TRUNK * _u(trunk),
        "wrist": wrist,
        "shin": shin,
        "thigh": thigh,
        "trunk": trunk,
    }


def get_down_from_all_fours(side: Side = "left", **options: Unpack[ViewOptions]) -> PoseTrack:
    """From hands and knees down to lying prone, then lying still (14.5 s).

    0-3 s all fours: knees on the floor (knee 0.065 H), thighs vertical, hips and shoulders
    0.31 H above the floor (trunk 0 deg), hands on the floor 0.02 H ahead of the shoulders
    (elbow 169 deg). 3-7 s the hands walk forward to beside the chest while the hips sink
    forward to the floor (thigh 90 -> 7 deg) and the arms keep the shoulders up (trunk solved,
    rising to 37.9 deg: the top of a hands press-up). 7-9.5 s the elbows bend and the chest
    lowers to the floor. 9.5-14.5 s lying still.
    """
    view = _view(side, options)
    t = _times(14.5, view.fps)
    d = _all_fours_down(t, ANKLE_X, 3.0)
    trunk = d["trunk"]
    near = _joints(
        d["shoulder"],
        d["wrist"],
        d["hip"],
        d["knee"],
        d["ankle"],
        trunk,
        _neutral_neck(trunk),
        TOE_POINTED_DEG,
    )
    return _render(_figure(near), t, view, "get_down_from_all_fours")


def get_down_from_standing(side: Side = "left", **options: Unpack[ViewOptions]) -> PoseTrack:
    """Standing -> kneeling -> all fours -> lying prone, then lying still (18 s).

    Drawn at ``scale = 0.7`` with the floor on image row ``0.95 * height`` so the standing
    figure fits. 0-2 s standing side view facing the lying figure's head direction (trunk,
    thigh, shin 90 deg; arms hanging, elbow 169 deg; head 5 deg forward). 2-4.5 s kneels down
    (shins 90 -> 5.9 deg to the floor in front of the feet, thighs through 120 deg, trunk
    leaning to 70 deg and back). 4.5-6.5 s bends forward onto the hands (trunk 90 -> 0 deg).
    6.5-7.5 s all fours. 7.5-14 s down to lying as :func:`get_down_from_all_fours`. 14-18 s
    lying.
    """
    view = _view(side, options, scale=STAND_SCALE, floor_fraction=STAND_FLOOR_FRACTION)
    t = _times(18.0, view.fps)
    n = t.shape[0]
    ax = 0.0
    d = _all_fours_down(t, ax, 7.5)
    # standing -> kneeling -> all fours. The foot turns from flat (toes ahead) to the tops of
    # the feet on the floor (toes behind) through pointing straight down: the heel rises and
    # the ankle lifts just enough to keep the toes on the floor.
    shin_k = _keys(t, [(2.0, 90.0), (4.5, SHIN_KNEEL_DEG)])
    foot_rel = _keys(
        t, [(2.0, TOE_FLAT_DEG - 90.0), (3.25, 0.0), (4.5, TOE_POINTED_DEG - SHIN_KNEEL_DEG)]
    )
    ankle_k = np.maximum(KNEEL_ANKLE_Y, TOE_FLOOR_Y + FOOT_LEN * np.cos(np.radians(foot_rel)))
    thigh_k = _keys(t, [(2.0, 90.0), (3.25, 120.0), (4.5, 90.0)])
    trunk_k = _keys(t, [(2.0, 90.0), (3.25, 70.0), (4.5, 90.0), (6.5, 0.0)])
    neck_k = _keys(t, [(4.5, -5.0), (6.5, NEUTRAL_NECK_DEG)])
    pre = t < 7.5
    ankle = np.where(pre[:, None], _xy(np.full(n, ax), ankle_k), d["ankle"])
    shin = np.where(pre, shin_k, d["shin"])
    thigh = np.where(pre, thigh_k, d["thigh"])
    trunk = np.where(pre, trunk_k, d["trunk"])
    knee, hip, shoulder = _up_chain(ankle, shin, thigh, trunk)
    # arms hang (chord 0.2987 H) and reach the floor just as the trunk gets horizontal
    af_chord = math.hypot(HAND_UNDER, ALL_FOURS_Y - WRIST_Y)
    hang_deg = _keys(
        t, [(4.5, -88.0), (6.5, math.degrees(math.atan2(WRIST_Y - ALL_FOURS_Y, HAND_UNDER)))]
    )
    wrist = np.where(pre[:, None], shoulder + af_chord * _u(hang_deg), d["wrist"])
    elbow, wrist = _ik(shoulder, wrist)
    forearm = _elev(wrist - elbow)
    planted = _keys(t, [(5.5, 0.0), (6.5, 1.0)])
    hand = (1.0 - planted) * forearm
    neck = np.where(pre, neck_k, _neutral_neck(trunk))
    toe = np.where(t < 4.5, shin + foot_rel, TOE_POINTED_DEG)
    near = _joints(shoulder, wrist, hip, knee, ankle, trunk, neck, toe, hand_deg=hand)
    return _render(_figure(near), t, view, "get_down_from_standing")


def push_back_to_all_fours(side: Side = "left", **options: Unpack[ViewOptions]) -> PoseTrack:
    """Lying -> push back up to all fours -> sit back into child's pose (14 s).

    0-3 s lying, hands beside the chest. 3-4.5 s presses the chest up to 22 deg on the hands,
    pelvis on the floor. 4.5-6.5 s pushes the hips up and back while the knees draw forward
    under the hips (thigh 7 -> 90 deg; the knees slide 0.25 H), the trunk following the arms
    (22 -> 0 deg, elbow straightening to 169 deg). 6.5-8 s all fours. 8-10 s sits back towards
    the heels (thigh 90 -> 155 deg, trunk 0 -> -15 deg, shoulders 0.096 H high) while the
    hands slide 0.032 H forward along the floor (arms stretched, elbow 161 deg). 10-14 s
    child's pose.
    """
    view = _view(side, options)
    t = _times(14.0, view.fps)
    n = t.shape[0]
    knee_x_end = WRIST_REST[0] - HAND_UNDER - TRUNK
    ankle_x_end = knee_x_end - SHANK * math.cos(math.radians(SHIN_KNEEL_DEG))
    ankle = _xy(
        _keys(t, [(4.5, ANKLE_X), (6.5, ankle_x_end)]),
        _keys(t, [(4.5, ANKLE_Y), (6.5, KNEEL_ANKLE_Y)]),
    )
    shin = _keys(t, [(4.5, SHIN_LIE_DEG), (6.5, SHIN_KNEEL_DEG)])
    thigh = _keys(t, [(4.5, THIGH_LIE_DEG), (6.5, 90.0), (8.0, 90.0), (10.0, 155.0)])
    press_deg = 22.0
    knee = ankle + SHANK * _u(shin)
    hip = knee + THIGH * _u(thigh)
    lying_shoulder = np.array([[TRUNK * math.cos(math.radians(press_deg)), 0.0]])
    lying_shoulder[0, 1] = BODY_Y + TRUNK * math.sin(math.radians(press_deg))
    c1 = float(np.hypot(*(lying_shoulder[0] - np.array(WRIST_REST))))
    c2 = math.hypot(HAND_UNDER, ALL_FOURS_Y - WRIST_Y)
    chord = _keys(t, [(4.5, c1), (6.5, c2)])
    # child's pose: the arms stretch forward along the floor (wrist 0.296 H from the shoulder)
    child_trunk = -15.0
    child_hip = hip[-1]
    child_sh = child_hip + TRUNK * _u(np.array([child_trunk]))[0]
    child_wrist_x = float(child_sh[0] + math.sqrt(0.296**2 - (child_sh[1] - WRIST_Y) ** 2))
    wrist = _xy(_keys(t, [(8.0, WRIST_REST[0]), (10.0, child_wrist_x)]), np.full(n, WRIST_Y))
    solved = _solve_trunk(hip, wrist, chord)
    trunk = np.where(
        t < 4.5,
        _keys(t, [(3.0, 0.0), (4.5, press_deg)]),
        np.where(t < 8.0, solved, _keys(t, [(8.0, 0.0), (10.0, child_trunk)])),
    )
    shoulder = hip + TRUNK * _u(trunk)
    neck = NEUTRAL_NECK_DEG + NECK_PER_TRUNK * np.maximum(trunk, 0.0)
    near = _joints(shoulder, wrist, hip, knee, ankle, trunk, neck, TOE_POINTED_DEG)
    return _render(_figure(near), t, view, "push_back_to_all_fours")


#: Roll onto the side: body-frame Y shift (H) of each part at 90 deg, (near/upper, far/lower).
_ROLL_SHIFT: dict[str, tuple[float, float]] = {
    "shoulder": (0.12, -0.07),
    "head": (0.10, -0.04),
    "hip": (0.07, -0.06),
    "knee": (0.07, -0.04),
    "ankle": (0.06, -0.02),
}


def roll_onto_side(side: Side = "left", **options: Unpack[ViewOptions]) -> PoseTrack:
    """Lying prone -> rolls onto the far side facing the camera -> lies there -> rolls back.

    14 s: lying 3 s; 3-5 s the roll angle goes 0 -> 90 deg; 4 s on the side; 9-11 s back; 3 s
    lying. With ``w = sin(roll)`` the camera-side (upper) landmarks rise and the far-side
    (lower) ones sink by ``w`` times: shoulders +0.12 / -0.07 H, head +0.10 / -0.04, hips
    +0.07 / -0.06, knees +0.07 / -0.04, ankles and feet +0.06 / -0.02 (so on the side the
    upper shoulder is 0.24 H high and 0.19 H above the lower one, the upper hip 0.19 H: the
    camera-side trunk reads 10.1 deg). Wrists stay on the floor beside the chest, the elbows
    follow by IK; the face turns to the camera (face offsets times ``cos(roll)``); far-side
    visibility ``0.6 + 0.3 w``, depth spread ``cos(roll)``. Nothing goes below the floor.
    """
    view = _view(side, options)
    t = _times(14.0, view.fps)
    n = t.shape[0]
    roll = _keys(t, [(3.0, 0.0), (5.0, 90.0), (9.0, 90.0), (11.0, 0.0)])
    w = np.sin(np.radians(roll))
    hip0, thigh0, shin0 = _lying_legs(n)
    knee0, ankle0 = _down_chain(hip0, thigh0, shin0)
    trunk0 = np.zeros(n)
    shoulder0 = hip0 + TRUNK * _u(trunk0)
    wrist = _pt(n, *WRIST_REST)
    head0 = trunk0 + _neutral_neck(trunk0)

    def lifted(p: FloatArray, dy: float) -> FloatArray:
        out: FloatArray = p + np.stack([np.zeros(n), dy * w], axis=-1)
        return out

    sides: list[_Joints] = []
    for k in (0, 1):
        s = {part: shift[k] for part, shift in _ROLL_SHIFT.items()}
        shoulder = lifted(shoulder0, s["shoulder"])
        elbow, wr = _ik(shoulder, wrist)
        # the head keeps its neck length: the crown is re-aimed at the shifted ear
        ear = lifted(shoulder0 + NECK * _u(head0), s["head"])
        sides.append(
            _Joints(
                shoulder=shoulder,
                elbow=elbow,
                wrist=wr,
                hip=lifted(hip0, s["hip"]),
                knee=lifted(knee0, s["knee"]),
                ankle=lifted(ankle0, s["ankle"]),
                head_deg=_elev(ear - shoulder),
                toe_deg=np.full(n, TOE_POINTED_DEG),
                hand_deg=np.zeros(n),
                face_scale=np.cos(np.radians(roll)),
            )
        )
    fig = _figure(sides[0], sides[1], far_vis=FAR_VIS + 0.3 * w, depth=np.cos(np.radians(roll)))
    for parts in (fig.near, fig.far):
        for name, p in parts.items():
            parts[name] = np.stack([p[:, 0], np.maximum(p[:, 1], 0.003)], axis=-1)
    return _render(fig, t, view, "roll_onto_side")


#: Forearm plank: the straight body's elevation (deg) with the elbows under the shoulders.
FOREARM_PLANK_DEG = math.degrees(
    math.asin((ELBOW_FLOOR_Y + UPPER_ARM - TOES_ANKLE_Y) / BODY_LEN)
)  # 9.24


def forearm_plank(
    side: Side = "left",
    *,
    hold_s: float = 10.0,
    **options: Unpack[ViewOptions],
) -> PoseTrack:
    """From lying up onto the forearms and toes, body straight, held; twice.

    Lying 2 s (hands beside the chest); then twice: 1.8 s up (the chest leads, the legs follow
    0.6 s later), ``hold_s`` held, 1.8 s down (legs first), 2 s lying. In the plank the elbows
    are on the floor (0.044 H) straight under the shoulders, forearms flat pointing to the head
    (elbow 90 deg), toes tucked (ankle 0.07 H), ankle-knee-hip-shoulder in one straight line at
    9.24 deg (hip 0.149 H, knee 0.109 H high). 33.2 s with the default 10 s holds.
    """
    view = _view(side, options)
    if hold_s <= 0:
        raise ValueError(f"hold_s must be > 0, got {hold_s}")
    up, down, rest = 1.8, 1.8, 2.0
    period = up + hold_s + down + rest
    t = _times(2.0 + 2 * period, view.fps)
    n = t.shape[0]
    p_trunk = np.zeros(n)
    p_legs = np.zeros(n)
    for k in range(2):
        t0 = 2.0 + k * period
        p_trunk += _pulse(t, t0, up, hold_s + 0.6, down - 0.6)
        p_legs += _pulse(t, t0 + 0.6, up - 0.6, hold_s, down - 0.6)
    a = FOREARM_PLANK_DEG
    ankle = _xy(np.full(n, ANKLE_X), ANKLE_Y + (TOES_ANKLE_Y - ANKLE_Y) * p_legs)
    shin = SHIN_LIE_DEG + (a - SHIN_LIE_DEG) * p_legs
    thigh = THIGH_LIE_DEG + (a - THIGH_LIE_DEG) * p_legs
    trunk = a * p_trunk
    knee, hip, shoulder = _up_chain(ankle, shin, thigh, trunk)
    top_shoulder_x = ANKLE_X + BODY_LEN * math.cos(math.radians(a))
    w_top = np.array([top_shoulder_x + FOREARM, ELBOW_FLOOR_Y])
    wrist = np.array(WRIST_REST) + p_trunk[:, None] * (w_top - np.array(WRIST_REST))
    toe = TOE_POINTED_DEG + (TOE_TUCKED_DEG - TOE_POINTED_DEG) * p_legs
    near = _joints(shoulder, wrist, hip, knee, ankle, trunk, _neutral_neck(trunk), toe)
    return _render(_figure(near), t, view, "forearm_plank")


#: Hands-and-toes plank top (deg): straight body, wrist under the shoulder (chord 0.298 H).
PLANK_TOP_DEG = math.degrees(math.asin((WRIST_Y + 0.298 - TOES_ANKLE_Y) / BODY_LEN))  # 18.16
PUSHUP_BOTTOM_DEG = math.degrees(math.asin((PUSHUP_BOTTOM_Y - TOES_ANKLE_Y) / BODY_LEN))  # 5.96


def _pushup_set(
    view: _View,
    reps: int,
    top: float,
    bottom: float,
    rise_s: float,
    rep_s: tuple[float, float, float],
    rest_s: float,
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Timeline of a push-up set from lying: 2 s lying, ``rise_s`` up to the plank top, 0.4 s,
    ``reps`` push-ups (body angle ``top`` -> ``bottom`` -> ``top``; ``rep_s`` = seconds down,
    up, pause), ``rise_s`` back down to lying, ``rest_s`` lying.

    Returns the frame times, the body angle (deg) over the reps, the plank weight ``p`` (0 lying,
    1 from the top of the rise to the end of the reps, cosine-eased between) and the mask of the
    frames in the reps.

    Raises:
        ValueError: ``reps`` < 1.
    """
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    down, up, pause = rep_s
    t_up0, t_top = 2.0, 2.0 + rise_s
    t_rep0 = t_top + 0.4
    t = _times(t_rep0 + (down + up + pause) * reps + rise_s + rest_s, view.fps)
    knots: list[tuple[float, float]] = [(t_rep0, top)]
    t_end = t_rep0
    for _ in range(reps):
        knots += [
            (t_end + down, bottom),
            (t_end + down + up, top),
            (t_end + down + up + pause, top),
        ]
        t_end += down + up + pause
    body = _keys(t, knots)
    p = _keys(t, [(t_up0, 0.0), (t_top, 1.0), (t_end, 1.0), (t_end + rise_s, 0.0)])
    in_reps = (t >= t_rep0) & (t < t_end)
    return t, body, p, in_reps


def pushup_from_lying(
    side: Side = "left",
    *,
    reps: int = 4,
    **options: Unpack[ViewOptions],
) -> PoseTrack:
    """Full push-ups on hands and toes, starting and ending lying (15.8 s for 4 reps).

    Lying 2 s with the hands beside the chest (wrist 0.033 H behind the shoulder, elbow 44 deg);
    1.2 s up to a plank: toes tucked (ankle 0.07 H), ankle-knee-hip-shoulder straight at
    18.2 deg, arms vertical (elbow 167 deg); 0.4 s; ``reps`` push-ups of 2 s (0.9 s down to
    5.96 deg, shoulder 0.15 H high, elbow 56 deg; 0.9 s up; 0.2 s pause); 1.2 s back down to
    lying; 3 s lying.
    """
    view = _view(side, options)
    top = PLANK_TOP_DEG
    t, body, p, in_reps = _pushup_set(view, reps, top, PUSHUP_BOTTOM_DEG, 1.2, (0.9, 0.9, 0.2), 3.0)
    n = t.shape[0]

    def blend(lying: float) -> FloatArray:
        out: FloatArray = np.where(in_reps, body, lying + (top - lying) * p)
        return out

    ankle = _xy(np.full(n, ANKLE_X), ANKLE_Y + (TOES_ANKLE_Y - ANKLE_Y) * p)
    shin, thigh, trunk = blend(SHIN_LIE_DEG), blend(THIGH_LIE_DEG), blend(0.0)
    knee, hip, shoulder = _up_chain(ankle, shin, thigh, trunk)
    wrist_x = ANKLE_X + BODY_LEN * math.cos(math.radians(top))
    wrist = _pt(n, wrist_x, WRIST_Y)
    toe = TOE_POINTED_DEG + (TOE_TUCKED_DEG - TOE_POINTED_DEG) * p
    near = _joints(shoulder, wrist, hip, knee, ankle, trunk, _neutral_neck(trunk), toe)
    return _render(_figure(near), t, view, "pushup_from_lying")


#: Knee plank top (deg): knee on the floor, knee-hip-shoulder straight, wrist under shoulder.
KNEE_PLANK_TOP_DEG = math.degrees(
    math.asin((WRIST_Y + 0.298 - KNEEL_KNEE_Y) / (THIGH + TRUNK))
)  # 27.8
KNEE_PUSHUP_BOTTOM_DEG = math.degrees(
    math.asin((PUSHUP_BOTTOM_Y - KNEEL_KNEE_Y) / (THIGH + TRUNK))
)  # 9.3


def knee_pushup(side: Side = "left", *, reps: int = 4, **options: Unpack[ViewOptions]) -> PoseTrack:
    """Knee push-ups: knees and tops of the feet on the floor, hips straight (17 s for 4).

    Lying 2 s (hands beside the chest, wrist 0.057 H behind the shoulder, elbow 48 deg); 1.4 s
    up to a knee plank (knee 0.065 H high, shin 5.9 deg, knee-hip-shoulder straight at
    27.8 deg, arms vertical, elbow 167 deg); 0.4 s; ``reps`` push-ups of 2.3 s (1.0 s down to
    9.3 deg with the shoulder 0.15 H high and the elbow 59 deg, 1.0 s up, 0.3 s pause); 1.4 s
    back down; 2.6 s lying.
    """
    view = _view(side, options)
    top = KNEE_PLANK_TOP_DEG
    t, body, p, in_reps = _pushup_set(
        view, reps, top, KNEE_PUSHUP_BOTTOM_DEG, 1.4, (1.0, 1.0, 0.3), 2.6
    )
    n = t.shape[0]
    ankle = _xy(np.full(n, ANKLE_X), ANKLE_Y + (KNEEL_ANKLE_Y - ANKLE_Y) * p)
    shin = SHIN_LIE_DEG + (SHIN_KNEEL_DEG - SHIN_LIE_DEG) * p
    thigh = np.where(in_reps, body, THIGH_LIE_DEG + (top - THIGH_LIE_DEG) * p)
    trunk = np.where(in_reps, body, top * p)
    knee, hip, shoulder = _up_chain(ankle, shin, thigh, trunk)
    knee_x = ANKLE_X + SHANK * math.cos(math.radians(SHIN_KNEEL_DEG))
    wrist = _pt(n, knee_x + (THIGH + TRUNK) * math.cos(math.radians(top)), WRIST_Y)
    near = _joints(shoulder, wrist, hip, knee, ankle, trunk, _neutral_neck(trunk), TOE_POINTED_DEG)
    return _render(_figure(near), t, view, "knee_pushup")


def lying_still(side: Side = "left", **options: Unpack[ViewOptions]) -> PoseTrack:
    """Lying prone for 20 s with only head turns and small shifts.

    Breathing: trunk ``0.4 * sin(2 pi t / 4)`` deg. The head turns towards the camera (3-4 s,
    back 8-9 s) and away (13-14 s, back 17-18 s) by 70 deg (face landmark offsets times
    ``cos(turn)``). The body slides 0.015 H towards the head (6-7 s, back 15-16 s). The hands
    slide 0.03 H back towards the shoulders (10-11 s, back 16-17 s) while the chest settles
    1.5 deg up (back 16-17 s).
    """
    view = _view(side, options)
    t = _times(20.0, view.fps)
    n = t.shape[0]
    turn = _keys(
        t,
        [
            (3.0, 0.0),
            (4.0, 70.0),
            (8.0, 70.0),
            (9.0, 0.0),
            (13.0, 0.0),
            (14.0, -70.0),
            (17.0, -70.0),
            (18.0, 0.0),
        ],
    )
    shift = _keys(t, [(6.0, 0.0), (7.0, 0.015), (15.0, 0.015), (16.0, 0.0)])
    settle = _keys(t, [(10.0, 0.0), (11.0, 1.0), (16.0, 1.0), (17.0, 0.0)])
    trunk = 0.4 * np.sin(2.0 * np.pi * t / 4.0) + 1.5 * settle
    hip = _xy(shift, np.full(n, BODY_Y))
    knee, ankle = _down_chain(hip, np.full(n, THIGH_LIE_DEG), np.full(n, SHIN_LIE_DEG))
    shoulder = hip + TRUNK * _u(trunk)
    wrist = _xy(WRIST_REST[0] + shift - 0.03 * settle, np.full(n, WRIST_Y))
    near = _joints(
        shoulder,
        wrist,
        hip,
        knee,
        ankle,
        trunk,
        _neutral_neck(trunk),
        TOE_POINTED_DEG,
        face_scale=np.cos(np.radians(turn)),
    )
    return _render(_figure(near), t, view, "lying_still")


#: Every shape that must never count as a press-up, by name.
NEGATIVES: dict[str, Callable[..., PoseTrack]] = {
    "swimmer": swimmer,
    "superman": superman,
    "get_down_from_all_fours": get_down_from_all_fours,
    "get_down_from_standing": get_down_from_standing,
    "push_back_to_all_fours": push_back_to_all_fours,
    "roll_onto_side": roll_onto_side,
    "forearm_plank": forearm_plank,
    "pushup_from_lying": pushup_from_lying,
    "knee_pushup": knee_pushup,
    "lying_still": lying_still,
}
