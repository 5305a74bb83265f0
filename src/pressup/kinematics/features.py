"""From landmarks to the angles pressup judges. Pure functions; degrees and seconds.

Per frame (see :data:`ANGLE_DEFINITIONS` for exact definitions and sign conventions):
``trunk_deg``, ``elbow_deg``, ``hip_ext_deg``, ``neck_deg``, ``shrug_ratio``, ``hip_height``,
plus the helper lines ``thigh_deg`` and ``shin_deg`` used to tell the prone exercise apart from
planks, push-ups and standing, and ``tracked`` (the frame can be judged).

Everything is measured on the side of the body nearest the camera, in the body frame of
:mod:`pressup.kinematics.geometry`: the floor line comes from the landmarks that rest on the
floor (ankle and wrist), which corrects the tilt a turned or raised camera gives it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from pressup.errors import NoPersonError, ViewError
from pressup.kinematics.geometry import (
    elevation,
    interior_angle,
    median,
    nanmedian,
    signed_angle,
    to_body_frame,
)
from pressup.pose.track import LANDMARK_INDEX, PoseTrack
from pressup.protocol.spec import Tracking

Array = npt.NDArray[np.float64]
Side = Literal["left", "right"]

#: Angle definitions (units, zero and sign), shown in the report and docs.
ANGLE_DEFINITIONS: dict[str, str] = {
    "trunk_deg": "degrees; elevation of the hip->shoulder line above the floor line, measured "
    "from the person's own lying position (0 = lying flat, + = chest raised)",
    "elbow_deg": "degrees; interior shoulder-elbow-wrist angle (180 = arm straight)",
    "hip_ext_deg": "degrees; signed angle from the knee->hip line to the hip->shoulder line, "
    "i.e. 180 minus the interior shoulder-hip-knee angle, + = trunk lifted back against the legs "
    "(extension), - = hips bent (flexion), 0 = body straight",
    "neck_deg": "degrees; signed angle from the hip->shoulder line to the shoulder->ear line, "
    "+ = head tipped back",
    "shrug_ratio": "ratio; ear-shoulder distance / shoulder-hip distance (smaller = shrugged)",
    "hip_height": "ratio; pelvis height in the body frame in trunk lengths, from an arbitrary "
    "zero (the engine and the analysis subtract the lying level to get hip_lift)",
    "thigh_deg": "degrees; elevation of the knee->hip line above the floor line",
    "shin_deg": "degrees; elevation of the ankle->knee line above the floor line",
    "forearm_deg": "degrees, 0..90; slope of the wrist-elbow line against the floor line (about "
    "0 with the forearm on the floor, the sphinx; steep when pressing on the hands)",
    "wrist_ahead": "ratio; how far the wrist is ahead of the shoulder along the floor, toward the "
    "head, in trunk lengths (about 0-0.6 with the hands or forearms beside the chest; above 1 "
    "with the arms reaching overhead)",
    "foot_deg": "degrees; interior knee-ankle-toe angle (about 150-180 with the top of the foot on "
    "the floor, in line with the shin; about 90-130 with the toes tucked under, standing on them)",
    "elbow_ahead": "ratio; how far the elbow is ahead of the shoulder along the floor, toward the "
    "head, in trunk lengths (about -0.4..0.2 in a press-up; beyond 0.35 the arms reach forward)",
}
FEATURES: tuple[str, ...] = tuple(ANGLE_DEFINITIONS)

_SIDE_PARTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")


@dataclass(frozen=True)
class ViewGeometry:
    """How the camera sees the person; estimated once per session.

    Attributes:
        side: which body side faces the camera (``"left"``: the person's left side).
        floor_dir: unit vector of the floor line in the image (x right, **y up**), pointing
            from the feet toward the head.
        trunk_zero_deg: trunk elevation (degrees, against the floor line) of this person lying
            flat; subtracted so that lying flat reads 0.
        hip_zero: pelvis height above the floor line when lying, in trunk lengths.
        trunk_len_px: typical hip-shoulder distance in pixels (reference scale).
        floor_tilt_deg: apparent tilt of the floor line in the picture (0 = level side view).
        shoulder_spread: distance between the two shoulders / trunk length (0 = pure side view,
            about 1 or more when filmed head-on).
    """

    side: Side
    floor_dir: tuple[float, float]
    trunk_zero_deg: float
    hip_zero: float
    trunk_len_px: float
    floor_tilt_deg: float
    shoulder_spread: float

    @property
    def head_sign(self) -> int:
        """+1 when the head is toward the image right, -1 toward the left."""
        return 1 if self.floor_dir[0] > 0 else -1


def _idx(side: str, part: str) -> int:
    return LANDMARK_INDEX[f"{side}_{part}"]


def detect_side(data: Array) -> tuple[Side, float]:
    """Which body side faces the camera, and a confidence in 0..1.

    Uses visibility (the near side is seen) and BlazePose depth (the near side has smaller z).
    ``data`` has shape ``(frame, 33, 4)``.
    """
    vis = {s: data[:, [_idx(s, p) for p in _SIDE_PARTS], 3] for s in ("left", "right")}
    z = {s: data[:, [_idx(s, p) for p in _SIDE_PARTS], 2] for s in ("left", "right")}
    dv = float(np.nanmean(vis["left"] - vis["right"])) if data.size else 0.0
    diff = z["right"] - z["left"]
    seen = np.isfinite(diff)
    with np.errstate(invalid="ignore", divide="ignore"):
        dz_frames = np.where(
            seen.any(axis=1), np.nansum(diff, axis=1) / np.maximum(seen.sum(axis=1), 1), np.nan
        )
    dz = nanmedian(dz_frames) if np.isfinite(dz_frames).any() else 0.0
    scale = nanmedian(np.abs(dz_frames)) if np.isfinite(dz_frames).any() else 1.0
    score = np.tanh(dv * 5.0) + np.tanh(dz / max(scale, 1e-6))
    side: Side = "left" if score >= 0 else "right"
    return side, float(min(1.0, abs(score) / 2.0))


def _seen(data: Array, idx: int, width: int, height: int, min_vis: float) -> npt.NDArray[np.bool_]:
    x = data[:, idx, 0]
    y = data[:, idx, 1]
    mx, my = 0.02 * width, 0.02 * height
    # comparisons with NaN are False without a warning: no np.errstate (~5 µs a call)
    return (
        (data[:, idx, 3] >= min_vis)
        & (x >= -mx)
        & (x <= width + mx)
        & (y >= -my)
        & (y <= height + my)
    )


def estimate_view(track: PoseTrack, tracking: Tracking) -> ViewGeometry:
    """Estimate the :class:`ViewGeometry` of a whole track (offline).

    Raises:
        NoPersonError: too few frames show the trunk of a person.
        ViewError: filmed head-on or so obliquely that angles cannot be judged.
    """
    data = track.data
    side, _ = detect_side(data)
    w, h = track.source.width, track.source.height

    def seen(part: str, on_side: str = side) -> npt.NDArray[np.bool_]:
        return _seen(data, _idx(on_side, part), w, h, tracking.min_visibility)

    core = seen("shoulder") & seen("hip")
    if core.sum() < max(5, 0.05 * track.n_frames):
        raise NoPersonError(
            f"a person's shoulder and hip were seen in only {int(core.sum())} of "
            f"{track.n_frames} frames; film the whole body from the side"
        )
    sh = data[core, _idx(side, "shoulder"), :2] * [1.0, -1.0]
    hp = data[core, _idx(side, "hip"), :2] * [1.0, -1.0]
    trunk = sh - hp
    trunk_len = median(np.linalg.norm(trunk, axis=1))
    head_sign = 1.0 if median(trunk[:, 0]) >= 0 else -1.0

    # Shoulder spread: both shoulders against trunk length (large when filmed head-on).
    other = "right" if side == "left" else "left"
    sh2 = data[core, _idx(other, "shoulder"), :2] * [1.0, -1.0]
    spread = nanmedian(np.linalg.norm(sh2 - sh, axis=1)) / max(trunk_len, 1e-6)

    floor_ok = core & seen("ankle") & seen("wrist")
    tilt = _floor_tilt(data[floor_ok], side, head_sign)
    _check_view(spread, tilt, tracking)
    rad = np.radians(tilt)
    floor_dir = (float(head_sign * np.cos(rad)), float(np.sin(rad)))
    trunk_zero, hip_zero = _lying_levels(
        data[core], side, floor_dir, trunk_len, seen("ankle")[core]
    )
    return ViewGeometry(
        side=side,
        floor_dir=floor_dir,
        trunk_zero_deg=trunk_zero,
        hip_zero=hip_zero,
        trunk_len_px=trunk_len,
        floor_tilt_deg=tilt,
        shoulder_spread=spread,
    )


def _floor_tilt(data: Array, side: str, head_sign: float) -> float:
    """Apparent tilt (degrees) of the floor line ankle -> wrist (both rest on the floor in every
    prone position) over frames ``data`` where both are seen: the median of the plausible ones
    (under 60 degrees), 0 with fewer than 5 frames."""
    if len(data) < 5:
        return 0.0
    fv = (data[:, _idx(side, "wrist"), :2] - data[:, _idx(side, "ankle"), :2]) * [head_sign, -1.0]
    ang = np.degrees(np.arctan2(fv[:, 1], fv[:, 0]))
    ang = ang[np.abs(ang) < 60]
    return median(ang) if ang.size else 0.0


def _check_view(spread: float, tilt: float, tracking: Tracking) -> None:
    """Refuse a head-on view (shoulder ``spread`` in trunk lengths) or a floor line tilted
    more than ``tracking.max_floor_tilt_deg`` (``tilt`` in degrees).

    Raises:
        ViewError: with what to change.
    """
    if spread > tracking.max_shoulder_spread:
        raise ViewError(
            "the camera seems to face the person head-on (both shoulders wide apart); "
            "put the camera at your side, at floor level, 2-3 m away"
        )
    if abs(tilt) > tracking.max_floor_tilt_deg:
        raise ViewError(
            f"the floor line tilts {abs(tilt):.0f} degrees in the picture (limit "
            f"{tracking.max_floor_tilt_deg:.0f}); put the camera level at your side"
        )


def _lying_levels(
    data: Array,
    side: str,
    floor_dir: tuple[float, float],
    trunk_len: float,
    ank_ok: npt.NDArray[np.bool_],
) -> tuple[float, float]:
    """The person's own lying trunk angle (degrees) and pelvis height above the ankle (trunk
    lengths, 0 when fewer than 3 lying frames show the ankle): low percentiles over the frames
    ``data`` that show the trunk (``ank_ok``: the ankle is seen too)."""
    body_sh = to_body_frame(data[:, _idx(side, "shoulder"), :2], floor_dir)
    body_hp = to_body_frame(data[:, _idx(side, "hip"), :2], floor_dir)
    elev = elevation(body_sh - body_hp)
    # judge only frames with the body pointing the usual way: a close-up from the front or a
    # cut can flip it
    plausible = np.abs(elev) < 60
    trunk_zero = float(np.percentile(elev[plausible] if plausible.any() else elev, 2))
    lying = plausible & (elev <= trunk_zero + 3.0)
    hip_zero = 0.0
    sel = lying & ank_ok
    if sel.sum() >= 3:
        body_an = to_body_frame(data[:, _idx(side, "ankle"), :2], floor_dir)
        hip_zero = median((body_hp[sel, 1] - body_an[sel, 1]) / trunk_len)
    return trunk_zero, hip_zero


def _tracked(
    trunk_len: Array,
    raw_trunk: Array,
    thigh: Array,
    shin: Array,
    seen: tuple[npt.NDArray[np.bool_], ...],
    width: int,
    height: int,
    view: ViewGeometry,
    tracking: Tracking,
) -> npt.NDArray[np.bool_]:
    """The frames a person is tracked in: shoulder, hip and knee or ankle seen (``seen``), a
    plausible size and trunk direction, legs not folded through the floor."""
    sh_ok, hp_ok, kn_ok, an_ok = seen
    diag = float(np.hypot(width, height))
    with np.errstate(invalid="ignore", divide="ignore"):
        scale_ok = (
            (trunk_len >= tracking.min_trunk_frac * diag)
            & (trunk_len <= view.trunk_len_px * tracking.max_scale_jump)
            & (trunk_len >= view.trunk_len_px / tracking.max_scale_jump)
        )
    with np.errstate(invalid="ignore"):
        # the hip->shoulder line must point toward the head side (not flipped by a cut)
        upright_ok = (raw_trunk > -60.0) & (raw_trunk < 120.0)
    with np.errstate(invalid="ignore"):
        # legs folded through the floor are a blend of two shots (a cross-fade), not a body
        legs_ok = ~(kn_ok & ((thigh < -45.0) | (thigh > 135.0))) & ~(
            kn_ok & an_ok & ((shin < -45.0) | (shin > 135.0))
        )
    tracked: npt.NDArray[np.bool_] = (
        sh_ok & hp_ok & (kn_ok | an_ok) & scale_ok & upright_ok & legs_ok
    )
    return tracked


class _Points:
    """Landmarks of the near side in the body frame and where they are seen, each computed
    once and only when a feature needs it."""

    def __init__(
        self, data: Array, width: int, height: int, view: ViewGeometry, min_vis: float
    ) -> None:
        self.data, self.width, self.height, self.view, self.min_vis = (
            data,
            width,
            height,
            view,
            min_vis,
        )
        self.done: dict[str, tuple[Array, npt.NDArray[np.bool_]]] = {}

    def __call__(self, part: str) -> tuple[Array, npt.NDArray[np.bool_]]:
        if part not in self.done:
            i = _idx(self.view.side, part)
            self.done[part] = (
                to_body_frame(self.data[:, i, :2], self.view.floor_dir),
                _seen(self.data, i, self.width, self.height, self.min_vis),
            )
        return self.done[part]


def _ratio(a: Array, b: Array) -> Array:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(a / b)


def compute_features(
    data: Array,
    width: int,
    height: int,
    view: ViewGeometry,
    tracking: Tracking,
    names: Collection[str] | None = None,
) -> dict[str, Array]:
    """Raw (unsmoothed) per-frame features for landmark frames ``data`` ``(frame, 33, 4)``.

    Returns a dict of ``(frame,)`` arrays named as in :data:`FEATURES` (``names``: only those;
    the live start-position checks judge five), plus ``tracked`` as 0.0/1.0. A
    feature is NaN where a landmark it needs was not seen. Works for one frame (live) or a
    whole track (offline): vectorised over frames.
    """
    pt = _Points(data, width, height, view, tracking.min_visibility)
    sh, sh_ok = pt("shoulder")
    hp, hp_ok = pt("hip")
    kn, kn_ok = pt("knee")
    an, an_ok = pt("ankle")

    trunk_v = sh - hp
    trunk_len = np.linalg.norm(trunk_v, axis=1)
    raw_trunk = elevation(trunk_v)
    thigh = elevation(hp - kn)
    shin = elevation(kn - an)
    seen = (sh_ok, hp_ok, kn_ok, an_ok)
    tracked = _tracked(trunk_len, raw_trunk, thigh, shin, seen, width, height, view, tracking)

    def gate(x: Array, ok: npt.NDArray[np.bool_]) -> Array:
        return np.where(ok & tracked, x, np.nan)

    def arm(f: Callable[[Array, Array], Array]) -> Array:
        (el, el_ok), (wr, wr_ok) = pt("elbow"), pt("wrist")
        return gate(f(el, wr), el_ok & wr_ok)

    def head(f: Callable[[Array], Array]) -> Array:
        ear, ear_ok = pt("ear")
        return gate(f(ear), ear_ok)

    everywhere = np.ones_like(tracked)
    feature: dict[str, Callable[[], Array]] = {
        "trunk_deg": lambda: gate(raw_trunk - view.trunk_zero_deg, everywhere),
        "elbow_deg": lambda: arm(lambda el, wr: interior_angle(sh, el, wr)),
        "hip_ext_deg": lambda: gate(signed_angle(hp - kn, trunk_v), kn_ok),
        "neck_deg": lambda: head(lambda ear: signed_angle(trunk_v, ear - sh)),
        "shrug_ratio": lambda: head(
            lambda ear: _ratio(np.linalg.norm(ear - sh, axis=1), trunk_len)
        ),
        "hip_height": lambda: gate(hp[:, 1] / view.trunk_len_px, everywhere),
        "thigh_deg": lambda: gate(thigh, kn_ok),
        "shin_deg": lambda: gate(shin, kn_ok & an_ok),
        "forearm_deg": lambda: arm(lambda el, wr: 90.0 - np.abs(90.0 - np.abs(elevation(el - wr)))),
        "wrist_ahead": lambda: gate(
            (pt("wrist")[0][:, 0] - sh[:, 0]) / view.trunk_len_px, pt("wrist")[1]
        ),
        "foot_deg": lambda: gate(
            interior_angle(kn, an, pt("foot_index")[0]), kn_ok & an_ok & pt("foot_index")[1]
        ),
        "elbow_ahead": lambda: gate(
            (pt("elbow")[0][:, 0] - sh[:, 0]) / view.trunk_len_px, pt("elbow")[1]
        ),
    }
    out = {n: f() for n, f in feature.items() if names is None or n in names}
    out["tracked"] = tracked.astype(np.float64)
    return out


def _interior(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
    """Interior angle a-b-c in degrees (plain floats; NaN for a zero-length side)."""
    ua, ub, wa, wb = ax - bx, ay - by, cx - bx, cy - by
    nu, nw = math.hypot(ua, ub), math.hypot(wa, wb)
    if nu == 0 or nw == 0:
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, (ua * wa + ub * wb) / (nu * nw)))))


class _FramePoint(NamedTuple):
    """One landmark of one frame in the body frame: ``a`` along the floor line toward the head,
    ``b`` up from it (pixels); ``ok``: seen (visible enough and inside the picture)."""

    a: float
    b: float
    ok: bool


_FRAME_PARTS = ("shoulder", "hip", "elbow", "wrist", "knee", "ankle", "ear", "foot_index")


def _frame_points(
    frame: Array, width: int, height: int, view: ViewGeometry, min_vis: float
) -> dict[str, _FramePoint]:
    """The near-side landmarks of one frame ``(33, 4)`` in the body frame."""
    dx, dy = view.floor_dir
    mx, my = 0.02 * width, 0.02 * height
    points: dict[str, _FramePoint] = {}
    for part in _FRAME_PARTS:
        x, y, _, vis = (float(c) for c in frame[_idx(view.side, part)])
        ok = vis >= min_vis and -mx <= x <= width + mx and -my <= y <= height + my
        a = x / dx
        points[part] = _FramePoint(a, -y - a * dy, ok)
    return points


def _elev(a: float, b: float) -> float:
    """Elevation (degrees) of the vector (a, b) above the floor line."""
    return math.degrees(math.atan2(b, a))


def _signed(ua: float, ub: float, wa: float, wb: float) -> float:
    """Signed angle (degrees) from the vector (ua, ub) to (wa, wb), + = counter-clockwise."""
    return math.degrees(math.atan2(ua * wb - ub * wa, ua * wa + ub * wb))


def _frame_judgeable(
    p: dict[str, _FramePoint],
    trunk_len: float,
    raw_trunk: float,
    thigh: float,
    shin: float,
    width: int,
    height: int,
    ref: float,
    tracking: Tracking,
) -> bool:
    """Whether one frame can be judged (see :func:`compute_features`): shoulder, hip and a
    knee or ankle seen, the trunk length (pixels) within ``tracking.max_scale_jump`` of the
    reference ``ref``, the trunk (``raw_trunk``, degrees) pointing toward the head, the
    ``thigh`` and ``shin`` (degrees) not folded through the floor."""
    sh, hp, kn, an = p["shoulder"], p["hip"], p["knee"], p["ankle"]
    scale_ok = (
        trunk_len >= tracking.min_trunk_frac * math.hypot(width, height)
        and ref / tracking.max_scale_jump <= trunk_len <= ref * tracking.max_scale_jump
    )
    # legs folded through the floor are a blend of two shots (a cross-fade), not a body
    legs_ok = not (kn.ok and not (-45.0 <= thigh <= 135.0)) and not (
        kn.ok and an.ok and not (-45.0 <= shin <= 135.0)
    )
    return (
        sh.ok and hp.ok and (kn.ok or an.ok) and scale_ok and -60.0 < raw_trunk < 120.0 and legs_ok
    )


def frame_features(
    frame: Array, width: int, height: int, view: ViewGeometry, tracking: Tracking
) -> dict[str, float]:
    """:func:`compute_features` for one frame ``(33, 4)``, in plain Python arithmetic.

    The live coach calls this once per camera frame; NumPy's per-call overhead would dominate
    on arrays of one frame. The definitions are those of :func:`compute_features` (a test checks
    that both agree on every feature to 1e-9).
    """
    p = _frame_points(frame, width, height, view, tracking.min_visibility)
    sh, hp, kn, an = p["shoulder"], p["hip"], p["knee"], p["ankle"]
    ta, tb = sh.a - hp.a, sh.b - hp.b
    trunk_len = math.hypot(ta, tb)
    ref = view.trunk_len_px
    raw_trunk = _elev(ta, tb)
    thigh = _elev(hp.a - kn.a, hp.b - kn.b)
    shin = _elev(kn.a - an.a, kn.b - an.b)
    tracked = _frame_judgeable(p, trunk_len, raw_trunk, thigh, shin, width, height, ref, tracking)
    if not tracked or math.isnan(raw_trunk):
        out = dict.fromkeys(FEATURES, math.nan)
        out["tracked"] = 0.0
        return out
    nan = math.nan
    ear, toe = p["ear"], p["foot_index"]
    na, nb = ear.a - sh.a, ear.b - sh.b
    arm = _frame_arm_features(p, ref)
    return {
        "trunk_deg": raw_trunk - view.trunk_zero_deg,
        "elbow_deg": arm["elbow_deg"],
        "hip_ext_deg": _signed(hp.a - kn.a, hp.b - kn.b, ta, tb) if kn.ok else nan,
        "neck_deg": _signed(ta, tb, na, nb) if ear.ok else nan,
        "shrug_ratio": math.hypot(na, nb) / trunk_len if ear.ok and trunk_len > 0 else nan,
        "hip_height": hp.b / ref,
        "thigh_deg": thigh if kn.ok else nan,
        "shin_deg": shin if kn.ok and an.ok else nan,
        "forearm_deg": arm["forearm_deg"],
        "wrist_ahead": arm["wrist_ahead"],
        "foot_deg": (
            _interior(kn.a, kn.b, an.a, an.b, toe.a, toe.b) if kn.ok and an.ok and toe.ok else nan
        ),
        "elbow_ahead": arm["elbow_ahead"],
        "tracked": 1.0,
    }


def _frame_arm_features(p: dict[str, _FramePoint], ref: float) -> dict[str, float]:
    """``elbow_deg``, ``forearm_deg`` (degrees), ``wrist_ahead`` and ``elbow_ahead`` (in trunk
    lengths ``ref``, pixels) of one frame's points; NaN where a landmark is not seen."""
    sh, el, wr = p["shoulder"], p["elbow"], p["wrist"]
    arm_ok = el.ok and wr.ok
    return {
        "elbow_deg": _interior(sh.a, sh.b, el.a, el.b, wr.a, wr.b) if arm_ok else math.nan,
        "forearm_deg": (
            90.0 - abs(90.0 - abs(_elev(el.a - wr.a, el.b - wr.b))) if arm_ok else math.nan
        ),
        "wrist_ahead": (wr.a - sh.a) / ref if wr.ok else math.nan,
        "elbow_ahead": (el.a - sh.a) / ref if el.ok else math.nan,
    }
