"""Ground truth for scoring pressup, normalised from two file formats into one :class:`Truth`.

* Hand-made labels of real videos (``<clip>.json``, schema in ``real/labels/README.md``):
  contiguous labelled segments and repetition times. No angles, no faults.
* Rendered sessions (``<clip>.gt.json.gz``, schema in ``render/README.md``): per-frame phase and
  exact 3D angles, repetition phase intervals, injected faults and the camera placement.

All times are seconds from the first frame of the video; all angles are degrees. Labels use the
pressup vocabulary (:data:`pressup.analysis.result.LABELS`), faults the pressup fault codes
(:data:`pressup.analysis.result.FAULT_CODES`), repetitions are indexed from 1.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pressup.analysis.result import LABELS, Segment
from pressup.errors import InputError

#: Render phase -> pressup label. ``hold`` depends on the repetition's variant.
RENDER_PHASE_LABELS: dict[str, str] = {
    "rest": "prone_flat",
    "press": "rising",
    "lower": "lowering",
}
#: Label of a render ``hold`` frame by the repetition's variant.
HOLD_LABEL_BY_VARIANT: dict[str, str] = {"forearms": "sphinx", "hands": "pressup_hands"}
#: Render fault name -> pressup fault code.
RENDER_FAULT_CODES: dict[str, str] = {
    "elbows_locked": "elbows_locked",
    "head_back": "neck_extended",
    "chin_drop": "neck_flexed",
    "hips_lift": "hips_lifted",
    "shrug": "shoulders_shrugged",
    "fast_lower": "fast_lowering",
}
#: Per-frame truth angles, by pressup ``frames.csv`` column name (degrees).
ANGLE_COLUMNS: tuple[str, ...] = ("trunk_deg", "elbow_deg", "hip_ext_deg", "neck_deg")
#: Render angle key for each pressup column (``elbow`` is resolved per camera side).
_RENDER_ANGLE_KEYS: dict[str, str] = {
    "trunk_deg": "trunk_elevation_deg",
    "hip_ext_deg": "hip_extension_deg",
    "neck_deg": "neck_angle_deg",
}
RENDER_PHASES: tuple[str, ...] = ("rest", "press", "hold", "lower")
REAL_VARIANTS: frozenset[str] = frozenset({"forearms", "hands", "updog"})
VIEW_CLASSES: frozenset[str] = frozenset({"side-left", "side-right", "oblique", "front", "mixed"})
#: A render camera lower than this (metres) with zero yaw counts as a level side view.
LEVEL_MAX_HEIGHT_M = 0.5
#: Rounding gaps between label segments (and at the clip's ends) up to this many seconds are
#: closed when loading; larger gaps or overlaps are an error.
SEGMENT_TOLERANCE_S = 0.05

REAL_SUFFIX = ".json"
RENDER_SUFFIX = ".gt.json.gz"


# --------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TruthRep:
    """One true repetition (seconds from the first frame).

    ``rise_start_s``: the trunk starts rising; ``top_start_s``/``top_end_s``: the raised hold;
    ``down_end_s``: the trunk is back on the floor. Any of them is ``None`` when not shown.
    ``hold_s`` is the shown hold duration in seconds (``None`` if no hold is shown).
    ``starts_before_clip``/``ends_after_clip`` flag times clamped to the clip's ends (those
    clamped boundaries are not real events). ``faults`` are pressup fault codes (render only).
    ``variant`` is ``forearms``, ``hands`` or (real only) ``updog``.
    """

    index: int
    rise_start_s: float | None
    top_start_s: float | None
    top_end_s: float | None
    down_end_s: float | None
    hold_s: float | None
    complete: bool
    variant: str
    faults: tuple[str, ...] = ()
    starts_before_clip: bool = False
    ends_after_clip: bool = False

    def interval(self, duration_s: float) -> tuple[float, float] | None:
        """``[start, end]`` in seconds used to match repetitions.

        The rise start and the lowering end, falling back to the top interval when either is
        unknown; an open end of a rep cut off by the clip's end runs to ``duration_s``.
        ``None`` when no time at all is known.
        """
        return rep_interval(
            self.rise_start_s,
            self.top_start_s,
            self.top_end_s,
            self.down_end_s,
            open_end_s=duration_s if self.ends_after_clip else None,
        )


@dataclass(frozen=True)
class CameraInfo:
    """How the clip was filmed.

    Real clips: ``view_class`` (``side-left``, ``side-right``, ``oblique``, ``front``, ``mixed``).
    Rendered clips: ``side`` (the body side facing the camera, ``left``/``right``), ``yaw_deg``
    (degrees off the pure side view), ``height_m`` (camera height above the floor, metres) and
    ``level_side_view`` (yaw 0 and height below :data:`LEVEL_MAX_HEIGHT_M`).
    """

    view_class: str | None = None
    side: str | None = None
    yaw_deg: float | None = None
    height_m: float | None = None
    level_side_view: bool | None = None

    def describe(self) -> str:
        """Short human description, e.g. ``side-left`` or ``right side, yaw 25°, camera 1 m``."""
        if self.side is None:
            return self.view_class or "?"
        parts = [f"{self.side} side"]
        if self.yaw_deg:
            parts.append(f"yaw {self.yaw_deg:g}°")
        if self.height_m is not None:
            parts.append(f"camera {self.height_m:g} m")
        return ", ".join(parts)


@dataclass(frozen=True)
class TruthFrames:
    """Per-frame truth (rendered clips only), one entry per video frame.

    ``t_s``: frame time (s). ``phase``: render phase (``rest``/``press``/``hold``/``lower``).
    ``label``: the pressup label of that phase. ``rep``: 1-based repetition index of the current
    or last repetition (0 before the first). ``angles[col]``: 3D truth in degrees for each of
    :data:`ANGLE_COLUMNS` (elbow of the body side facing the camera), NaN when unknown.
    """

    t_s: npt.NDArray[np.float64]
    phase: npt.NDArray[np.str_]
    label: npt.NDArray[np.str_]
    rep: npt.NDArray[np.int64]
    angles: dict[str, npt.NDArray[np.float64]]

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


@dataclass(frozen=True)
class Truth:
    """Ground truth of one clip, whatever file it came from.

    ``clip`` is the video's file stem (the name of its prediction folder). ``dataset`` is
    ``real`` or ``render``. ``duration_s`` in seconds, ``fps`` frames per second (nominal).
    ``segments`` are contiguous and cover ``[0, duration_s]``. ``expected_rep_count`` counts
    complete repetitions. ``frames`` is ``None`` for real clips. ``has_faults`` tells whether
    the file says which faults happened (render only; real labels say nothing about faults).
    """

    clip: str
    dataset: str
    path: Path
    duration_s: float
    fps: float
    segments: tuple[Segment, ...]
    reps: tuple[TruthRep, ...]
    expected_rep_count: int
    camera: CameraInfo
    frames: TruthFrames | None = None
    has_faults: bool = False

    @property
    def camera_group(self) -> str:
        """Aggregation group: ``real``, ``render/level`` or ``render/turned-or-high``."""
        if self.dataset == "real":
            return "real"
        return "render/level" if self.camera.level_side_view else "render/turned-or-high"

    def boundaries_s(self) -> npt.NDArray[np.float64]:
        """Times (s) inside the clip where the true label changes."""
        out = [b.start_s for a, b in zip(self.segments, self.segments[1:]) if a.label != b.label]
        return np.asarray(out, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Shared helpers (also used by the scorer to read predictions)
# --------------------------------------------------------------------------------------------


def rep_interval(
    start_s: float | None,
    top_start_s: float | None,
    top_end_s: float | None,
    end_s: float | None,
    *,
    open_end_s: float | None = None,
) -> tuple[float, float] | None:
    """A repetition's ``[start, end]`` (s): rise start and lowering end, else the top interval.

    A missing end becomes ``open_end_s`` when given (rep cut off by the end of the clip).
    Returns ``None`` when no time is known at all.
    """
    times = [t for t in (start_s, top_start_s, top_end_s, end_s) if t is not None]
    if not times:
        return None
    start = start_s if start_s is not None else (top_start_s if top_start_s is not None else None)
    end = end_s if end_s is not None else (top_end_s if top_end_s is not None else None)
    if end is None and open_end_s is not None:
        end = open_end_s
    lo = start if start is not None else min(times)
    hi = end if end is not None else max(times)
    return (lo, max(lo, hi))


def where(path: Path, key: str) -> str:
    """``'<file>: <key>'`` prefix for error messages."""
    return f"{path}: {key}"


def get(obj: Mapping[str, Any], key: str, path: Path, ctx: str = "") -> Any:
    """``obj[key]``, or :class:`InputError` naming the missing key."""
    if key not in obj:
        raise InputError(f"{where(path, ctx + key)} is missing (expected key {key!r})")
    return obj[key]


def as_mapping(value: Any, path: Path, key: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, else :class:`InputError`."""
    if not isinstance(value, Mapping):
        raise InputError(f"{where(path, key)}: expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, path: Path, key: str) -> list[Any]:
    """``value`` as a JSON array, else :class:`InputError`."""
    if not isinstance(value, list):
        raise InputError(f"{where(path, key)}: expected a list, got {type(value).__name__}")
    return value


def as_float(value: Any, path: Path, key: str) -> float:
    """``value`` as a finite float, else :class:`InputError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where(path, key)}: expected a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise InputError(f"{where(path, key)}: expected a finite number, got {value!r}")
    return out


def as_opt_float(value: Any, path: Path, key: str) -> float | None:
    """``value`` as a float, or ``None`` for JSON null."""
    return None if value is None else as_float(value, path, key)


def as_int(value: Any, path: Path, key: str) -> int:
    """``value`` as an int (a float with an integral value is accepted), else InputError."""
    if isinstance(value, bool):
        raise InputError(f"{where(path, key)}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise InputError(f"{where(path, key)}: expected an integer, got {value!r}")


def as_bool(value: Any, path: Path, key: str) -> bool:
    """``value`` as a bool, else :class:`InputError`."""
    if not isinstance(value, bool):
        raise InputError(f"{where(path, key)}: expected true or false, got {value!r}")
    return value


def as_str(value: Any, path: Path, key: str, allowed: Sequence[str] | frozenset[str] = ()) -> str:
    """``value`` as a string (one of ``allowed`` when given), else :class:`InputError`."""
    if not isinstance(value, str):
        raise InputError(f"{where(path, key)}: expected a string, got {value!r}")
    if allowed and value not in allowed:
        raise InputError(
            f"{where(path, key)}: expected one of {', '.join(sorted(allowed))}; got {value!r}"
        )
    return value


def read_json(path: Path) -> Any:
    """Parse a JSON file, gunzipping it when its name ends in ``.gz``.

    Raises:
        InputError: missing, unreadable, not gzip or not JSON.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file (expected a JSON file)")
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return json.load(fh)
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: expected valid JSON{' (gzip)' * path.name.endswith('.gz')}; "
            f"could not read it: {exc}"
        ) from exc


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def is_truth_file(path: Path) -> bool:
    """True when ``path`` has a ground-truth file name (``*.json`` or ``*.gt.json.gz``)."""
    return path.is_file() and (path.name.endswith(REAL_SUFFIX) or path.name.endswith(RENDER_SUFFIX))


def truth_files(folder: Path) -> list[Path]:
    """The ground-truth files of a folder, sorted by name (``*.json`` and ``*.gt.json.gz``)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: expected a folder of ground-truth files")
    return sorted(p for p in folder.iterdir() if is_truth_file(p))


def load_truth(path: str | Path) -> Truth:
    """Load one ground-truth file into a :class:`Truth`.

    ``*.gt.json.gz`` (or any ``.gz``) is read as a rendered session; other ``*.json`` files
    are read as hand-made labels. The payload is checked against that format.

    Raises:
        InputError: the file is missing or does not match its format (the message names the
            offending key, what was expected and what arrived).
    """
    p = Path(path)
    payload = read_json(p)
    obj = as_mapping(payload, p, "top level")
    if p.name.endswith(".gz"):
        return _load_render(obj, p)
    if p.name.endswith(REAL_SUFFIX):
        if "scenario" in obj and "frames" in obj:  # an uncompressed render file
            return _load_render(obj, p)
        return _load_real(obj, p)
    raise InputError(f"{p}: expected a '{REAL_SUFFIX}' or '{RENDER_SUFFIX}' ground-truth file")


def _load_real(obj: Mapping[str, Any], path: Path) -> Truth:
    video = as_str(get(obj, "video", path), path, "video")
    duration = as_float(get(obj, "duration_s", path), path, "duration_s")
    fps = as_float(get(obj, "fps", path), path, "fps")
    if duration <= 0 or fps <= 0:
        raise InputError(f"{path}: expected positive duration_s and fps, got {duration}, {fps}")
    raw_segments = as_list(get(obj, "segments", path), path, "segments")
    segments = _snap_segments(
        [_real_segment(s, path, i) for i, s in enumerate(raw_segments)], duration, path
    )
    reps = tuple(
        _real_rep(r, path, i) for i, r in enumerate(as_list(get(obj, "reps", path), path, "reps"))
    )
    expected = as_int(get(obj, "expected_rep_count", path), path, "expected_rep_count")
    view_class = as_str(get(obj, "view_class", path), path, "view_class", VIEW_CLASSES)
    return Truth(
        clip=Path(video).stem,
        dataset="real",
        path=path,
        duration_s=duration,
        fps=fps,
        segments=segments,
        reps=reps,
        expected_rep_count=expected,
        camera=CameraInfo(view_class=view_class),
        frames=None,
        has_faults=False,
    )


def _real_segment(raw: Any, path: Path, i: int) -> Segment:
    key = f"segments[{i}]"
    s = as_mapping(raw, path, key)
    return Segment(
        start_s=as_float(get(s, "start_s", path, key + "."), path, key + ".start_s"),
        end_s=as_float(get(s, "end_s", path, key + "."), path, key + ".end_s"),
        label=as_str(get(s, "label", path, key + "."), path, key + ".label", LABELS),
    )


def _real_rep(raw: Any, path: Path, i: int) -> TruthRep:
    key = f"reps[{i}]"
    r = as_mapping(raw, path, key)

    def t(name: str) -> float | None:
        return as_opt_float(get(r, name, path, key + "."), path, f"{key}.{name}")

    return TruthRep(
        index=as_int(get(r, "index", path, key + "."), path, key + ".index"),
        rise_start_s=t("rise_start_s"),
        top_start_s=t("top_start_s"),
        top_end_s=t("top_end_s"),
        down_end_s=t("down_end_s"),
        hold_s=t("hold_s"),
        complete=as_bool(get(r, "complete", path, key + "."), path, key + ".complete"),
        variant=as_str(get(r, "variant", path, key + "."), path, key + ".variant", REAL_VARIANTS),
        faults=(),
        starts_before_clip=as_bool(r.get("starts_before_clip", False), path, key),
        ends_after_clip=as_bool(r.get("ends_after_clip", False), path, key),
    )


def _snap_segments(segs: list[Segment], duration: float, path: Path) -> tuple[Segment, ...]:
    """Check segments are ordered, contiguous and cover ``[0, duration]``; close rounding gaps."""
    if not segs:
        raise InputError(f"{path}: segments: expected at least one segment, got none")
    tol = SEGMENT_TOLERANCE_S
    out: list[Segment] = []
    prev_end = 0.0
    for i, s in enumerate(segs):
        if abs(s.start_s - prev_end) > tol:
            raise InputError(
                f"{path}: segments[{i}] starts at {s.start_s} s; expected it to start where "
                f"the previous one ends ({prev_end} s)"
            )
        if s.end_s <= s.start_s:
            raise InputError(
                f"{path}: segments[{i}]: expected end_s > start_s, got {s.start_s}..{s.end_s}"
            )
        out.append(Segment(start_s=prev_end, end_s=s.end_s, label=s.label))
        prev_end = s.end_s
    if abs(prev_end - duration) > tol:
        raise InputError(
            f"{path}: segments end at {prev_end} s; expected them to cover the clip "
            f"up to duration_s = {duration} s"
        )
    out[-1] = Segment(start_s=out[-1].start_s, end_s=duration, label=out[-1].label)
    return tuple(out)


_Interval = tuple[float, float]


def _render_camera(obj: Mapping[str, Any], path: Path) -> tuple[CameraInfo, str]:
    """The render's camera (its side, yaw in degrees and height in metres), and its side."""
    camera = as_mapping(get(obj, "camera", path), path, "camera")
    params = as_mapping(get(camera, "params", path, "camera."), path, "camera.params")
    side = as_str(
        get(params, "side", path, "camera.params."), path, "camera.params.side", ("left", "right")
    )
    yaw = as_float(params.get("yaw_deg", 0.0), path, "camera.params.yaw_deg")
    height = as_float(
        get(params, "height_m", path, "camera.params."), path, "camera.params.height_m"
    )
    cam = CameraInfo(
        side=side,
        yaw_deg=yaw,
        height_m=height,
        level_side_view=(yaw == 0.0 and height < LEVEL_MAX_HEIGHT_M),
    )
    return cam, side


def _render_rep(
    raw: Any, i: int, duration: float, path: Path
) -> tuple[TruthRep, tuple[_Interval, _Interval, _Interval]]:
    """``reps[i]`` of a render (press, hold and lower in seconds, in time order) as a
    :class:`TruthRep` (1-based index), and its three intervals."""
    key = f"reps[{i}]"
    r = as_mapping(raw, path, key)
    press = _pair(get(r, "press", path, key + "."), path, key + ".press")
    hold = _pair(get(r, "hold", path, key + "."), path, key + ".hold")
    lower = _pair(get(r, "lower", path, key + "."), path, key + ".lower")
    if not (
        press[0] <= press[1] <= hold[0] + 1e-6
        and hold[0] <= hold[1] <= lower[0] + 1e-6
        and lower[0] <= lower[1]
    ):
        raise InputError(
            f"{path}: {key}: expected press <= hold <= lower in time order, "
            f"got {press}, {hold}, {lower}"
        )
    variant = as_str(
        get(r, "variant", path, key + "."), path, key + ".variant", tuple(HOLD_LABEL_BY_VARIANT)
    )
    faults = tuple(
        RENDER_FAULT_CODES[as_str(f, path, f"{key}.faults[{j}]", tuple(RENDER_FAULT_CODES))]
        for j, f in enumerate(as_list(get(r, "faults", path, key + "."), path, key + ".faults"))
    )
    rep = TruthRep(
        index=as_int(get(r, "index", path, key + "."), path, key + ".index") + 1,
        rise_start_s=press[0],
        top_start_s=hold[0],
        top_end_s=hold[1],
        down_end_s=lower[1],
        hold_s=hold[1] - hold[0],
        complete=press[0] >= 0.0 and lower[1] <= duration + 1e-6,
        variant=variant,
        faults=faults,
    )
    return rep, (press, hold, lower)


def _load_render(obj: Mapping[str, Any], path: Path) -> Truth:
    video = as_mapping(get(obj, "video", path), path, "video")
    fps = as_float(get(video, "fps", path, "video."), path, "video.fps")
    duration = as_float(get(video, "duration_s", path, "video."), path, "video.duration_s")
    file_name = as_str(get(video, "file", path, "video."), path, "video.file")
    if duration <= 0 or fps <= 0:
        raise InputError(
            f"{path}: expected positive video.duration_s and fps, got {duration}, {fps}"
        )
    cam, side = _render_camera(obj, path)
    raw_reps = as_list(get(obj, "reps", path), path, "reps")
    parsed = [_render_rep(raw, i, duration, path) for i, raw in enumerate(raw_reps)]
    reps = [rep for rep, _ in parsed]
    intervals = [iv for _, iv in parsed]
    if [r.index for r in reps] != list(range(1, len(reps) + 1)):
        raise InputError(
            f"{path}: reps: expected indices 0, 1, 2 ... in order, got "
            f"{[r.index - 1 for r in reps]}"
        )

    segments = _render_segments(reps, intervals, duration, path)
    frames = _render_frames(as_list(get(obj, "frames", path), path, "frames"), reps, side, path)
    return Truth(
        clip=Path(file_name).stem,
        dataset="render",
        path=path,
        duration_s=duration,
        fps=fps,
        segments=segments,
        reps=tuple(reps),
        expected_rep_count=sum(1 for r in reps if r.complete),
        camera=cam,
        frames=frames,
        has_faults=True,
    )


def _pair(value: Any, path: Path, key: str) -> tuple[float, float]:
    items = as_list(value, path, key)
    if len(items) != 2:
        raise InputError(f"{where(path, key)}: expected [start_s, end_s], got {value!r}")
    a, b = as_float(items[0], path, key), as_float(items[1], path, key)
    if b < a:
        raise InputError(f"{where(path, key)}: expected start_s <= end_s, got {value!r}")
    return a, b


def _render_segments(
    reps: Sequence[TruthRep],
    intervals: Sequence[tuple[tuple[float, float], tuple[float, float], tuple[float, float]]],
    duration: float,
    path: Path,
) -> tuple[Segment, ...]:
    """Segments from the repetitions' phase intervals; the time between them is rest."""
    pieces: list[Segment] = []
    cursor = 0.0
    for rep, (press, hold, lower) in zip(reps, intervals):
        if press[0] < cursor - 1e-6:
            raise InputError(
                f"{path}: reps[{rep.index - 1}] starts at {press[0]} s, before the "
                f"previous repetition ends ({cursor} s); expected them in time order"
            )
        for a, b, label in (
            (cursor, press[0], "prone_flat"),
            (press[0], hold[0], "rising"),
            (hold[0], hold[1], HOLD_LABEL_BY_VARIANT[rep.variant]),
            (hold[1], lower[1], "lowering"),
        ):
            a, b = max(a, 0.0), min(b, duration)
            if b > a + 1e-9:
                pieces.append(Segment(start_s=a, end_s=b, label=label))
        cursor = lower[1]
    if duration > cursor + 1e-9:
        pieces.append(Segment(start_s=max(cursor, 0.0), end_s=duration, label="prone_flat"))
    # Merge touching neighbours that carry the same label (keeps segments maximal).
    merged: list[Segment] = []
    for s in pieces:
        if merged and merged[-1].label == s.label and abs(merged[-1].end_s - s.start_s) < 1e-9:
            merged[-1] = Segment(start_s=merged[-1].start_s, end_s=s.end_s, label=s.label)
        else:
            merged.append(s)
    return _snap_segments(merged, duration, path)


def _render_frames(
    raw_frames: list[Any], reps: Sequence[TruthRep], side: str, path: Path
) -> TruthFrames:
    n = len(raw_frames)
    if n == 0:
        raise InputError(f"{path}: frames: expected one entry per video frame, got none")
    t = np.empty(n, dtype=np.float64)
    rep = np.empty(n, dtype=np.int64)
    phases: list[str] = []
    labels: list[str] = []
    keys = dict(_RENDER_ANGLE_KEYS, elbow_deg=f"elbow_{side}_deg")
    angles = {c: np.full(n, np.nan, dtype=np.float64) for c in ANGLE_COLUMNS}
    for i, raw in enumerate(raw_frames):
        key = f"frames[{i}]"
        f = as_mapping(raw, path, key)
        t[i] = as_float(get(f, "t", path, key + "."), path, key + ".t")
        phase = as_str(get(f, "phase", path, key + "."), path, key + ".phase", RENDER_PHASES)
        r = as_int(get(f, "rep", path, key + "."), path, key + ".rep") + 1
        if r < 0 or r > len(reps):
            raise InputError(
                f"{path}: {key}.rep: expected -1 or a repetition index below "
                f"{len(reps)}, got {r - 1}"
            )
        if phase == "hold":
            if r == 0:
                raise InputError(f"{path}: {key}: phase 'hold' outside any repetition (rep -1)")
            label = HOLD_LABEL_BY_VARIANT[reps[r - 1].variant]
        else:
            label = RENDER_PHASE_LABELS[phase]
        phases.append(phase)
        labels.append(label)
        rep[i] = r
        ang = as_mapping(get(f, "angles", path, key + "."), path, key + ".angles")
        for col, src in keys.items():
            v = ang.get(src)
            if v is not None:
                angles[col][i] = as_float(v, path, f"{key}.angles.{src}")
    if np.any(np.diff(t) <= 0):
        raise InputError(f"{path}: frames: expected strictly increasing times t")
    return TruthFrames(
        t_s=t,
        phase=np.asarray(phases, dtype=np.str_),
        label=np.asarray(labels, dtype=np.str_),
        rep=rep,
        angles=angles,
    )


__all__ = [
    "ANGLE_COLUMNS",
    "HOLD_LABEL_BY_VARIANT",
    "LEVEL_MAX_HEIGHT_M",
    "RENDER_FAULT_CODES",
    "RENDER_PHASE_LABELS",
    "CameraInfo",
    "Truth",
    "TruthFrames",
    "TruthRep",
    "is_truth_file",
    "load_truth",
    "rep_interval",
    "truth_files",
]
