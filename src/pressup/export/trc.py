"""A landmark track as an OpenSim ``.trc`` marker file (33 BlazePose markers, millimetres).

File layout (tab separated, exactly as OpenSim 4's ``TRCFileAdapter`` writes and reads it)::

    PathFileType  4  (X/Y/Z)  <file name>
    DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame  ...
    <fps>  <fps>  <n>  33  mm  <fps>  1  <n>                 (... = OrigNumFrames)
    Frame#  Time  nose  ·  ·  left_eye_inner  ·  ·  ...      (each name, then two empty cells)
    ·  ·  X1  Y1  Z1  X2  Y2  Z2  ...  X33  Y33  Z33
    <blank line>
    1  <t_s>  <x1>  <y1>  <z1>  ...                          (one row per frame)

Every row after the first three ends with a tab, as OpenSim's writer does; this keeps the
number of fields right when the last marker is missing. ``DataRate``, ``CameraRate`` and
``OrigDataRate`` are the track's nominal ``fps``; ``Time`` is each frame's own time in seconds
from the first frame (written exactly: live tracks need not be evenly spaced); frames are
numbered from 1. Markers are :data:`~pressup.pose.track.LANDMARK_NAMES` in BlazePose order.

From pixels to millimetres
--------------------------
The track holds image positions in pixels (x right, y down) and BlazePose's relative depth
``z`` (same scale as x, smaller = nearer the camera, 0 at the hip midpoint). With a scale
``s`` in mm per pixel:

* ``X = s * x`` (mm, to the image right),
* ``Y = s * (height - y)`` (mm, up: image y flipped, origin at the bottom-left corner),
* ``Z = -s * z`` (mm, towards the camera, so that X, Y, Z is right-handed as OpenSim expects).

``s`` is given (``scale_mm_per_px``, e.g. from a ruler or a known distance on the floor) or
estimated from the trunk: the median over frames of the 2-D distance from the hip midpoint to
the shoulder midpoint, taken to be :data:`ASSUMED_TRUNK_MM` (450 mm, an adult hip-to-shoulder
joint distance; pass ``trunk_mm`` for the person's own). The side view keeps the trunk in the
image plane, so this is a fair estimate, but the result is only as good as the assumption:
say which scale you used when you report millimetres. Depth is BlazePose's estimate and much
less accurate than x and y.

A landmark that is missing (NaN: no person in that frame) or whose visibility is below
``min_visibility`` is written as three empty fields, which OpenSim reads as a missing marker
(NaN) for that frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pressup.errors import InputError
from pressup.pose.track import LANDMARK_INDEX, LANDMARK_NAMES, N_LANDMARKS, PoseTrack

FloatArray = npt.NDArray[np.float64]

#: Trunk length (hip midpoint to shoulder midpoint) assumed when estimating the scale, mm.
ASSUMED_TRUNK_MM = 450.0
#: Keys of the second header line, in order.
TRC_KEYS: tuple[str, ...] = (
    "DataRate",
    "CameraRate",
    "NumFrames",
    "NumMarkers",
    "Units",
    "OrigDataRate",
    "OrigDataStartFrame",
    "OrigNumFrames",
)
UNITS = "mm"
_TAB = "\t"


def trunk_length_px(track: PoseTrack) -> float | None:
    """Median distance in pixels from the hip midpoint to the shoulder midpoint, or None.

    Uses the frames where both shoulders and both hips were found.
    """
    xy = track.xy
    ix = LANDMARK_INDEX
    shoulders = (xy[:, ix["left_shoulder"]] + xy[:, ix["right_shoulder"]]) / 2
    hips = (xy[:, ix["left_hip"]] + xy[:, ix["right_hip"]]) / 2
    length = np.hypot(*(shoulders - hips).T)
    length = length[np.isfinite(length) & (length > 0)]
    return float(np.median(length)) if length.size else None


def estimate_scale_mm_per_px(track: PoseTrack, trunk_mm: float = ASSUMED_TRUNK_MM) -> float:
    """Millimetres per pixel, taking the median trunk length to be ``trunk_mm`` millimetres.

    Raises:
        InputError: ``trunk_mm`` is not positive, or no frame shows shoulders and hips.
    """
    if not (math.isfinite(trunk_mm) and trunk_mm > 0):
        raise InputError(f"trunk length: expected millimetres > 0, got {trunk_mm}")
    px = trunk_length_px(track)
    if px is None:
        raise InputError(
            "cannot estimate the scale: no frame shows both shoulders and hips; "
            "give the scale in mm per pixel"
        )
    return trunk_mm / px


def track_to_mm(
    track: PoseTrack, scale_mm_per_px: float, *, min_visibility: float = 0.0
) -> FloatArray:
    """Marker positions in mm, shape ``(frame, 33, 3)`` (X right, Y up, Z towards the camera).

    NaN where the landmark is missing or its visibility is below ``min_visibility`` (0..1).

    Raises:
        InputError: the scale is not a positive number or ``min_visibility`` is outside 0..1.
    """
    s = float(scale_mm_per_px)
    if not (math.isfinite(s) and s > 0):
        raise InputError(f"scale: expected millimetres per pixel > 0, got {scale_mm_per_px}")
    if not 0.0 <= min_visibility <= 1.0:
        raise InputError(f"minimum visibility: expected 0..1, got {min_visibility}")
    d = track.data
    out = np.empty((track.n_frames, N_LANDMARKS, 3))
    out[:, :, 0] = s * d[:, :, 0]
    out[:, :, 1] = s * (track.source.height - d[:, :, 1])
    out[:, :, 2] = -s * d[:, :, 2]
    hidden = ~np.all(np.isfinite(out), axis=2) | (d[:, :, 3] < min_visibility)
    out[hidden] = np.nan
    return out


def _rate(fps: float) -> str:
    return format(float(fps), ".10g")


def trc_text(
    track: PoseTrack,
    file_name: str,
    scale_mm_per_px: float,
    *,
    min_visibility: float = 0.0,
) -> str:
    """The whole ``.trc`` file as text (see the module docstring for the layout).

    Raises:
        InputError: the track has no frames, or bad scale/visibility.
    """
    if track.n_frames == 0:
        raise InputError("the track has no frames to export")
    pos = track_to_mm(track, scale_mm_per_px, min_visibility=min_visibility)
    n = track.n_frames
    rate = _rate(track.source.fps)
    values = (rate, rate, str(n), str(N_LANDMARKS), UNITS, rate, "1", str(n))
    lines = [
        _TAB.join(("PathFileType", "4", "(X/Y/Z)", file_name)),
        _TAB.join(TRC_KEYS),
        _TAB.join(values),
        "Frame#\tTime\t" + "".join(f"{name}\t\t\t" for name in LANDMARK_NAMES),
        "\t\t" + "".join(f"X{i}\tY{i}\tZ{i}\t" for i in range(1, N_LANDMARKS + 1)),
        "",
    ]
    times = track.t_s.tolist()
    for i in range(n):
        cells = [str(i + 1), repr(float(times[i]))]
        for m in range(N_LANDMARKS):
            p = pos[i, m]
            if np.isnan(p[0]):
                cells.extend(("", "", ""))
            else:
                # round first, then + 0.0, so that -0.0004 is written 0.000, not -0.000
                cells.extend(f"{round(v, 3) + 0.0:.3f}" for v in p.tolist())
        lines.append(_TAB.join(cells) + _TAB)
    return "\n".join(lines) + "\n"


def write_trc(
    track: PoseTrack,
    path: str | Path,
    *,
    scale_mm_per_px: float | None = None,
    trunk_mm: float = ASSUMED_TRUNK_MM,
    min_visibility: float = 0.0,
) -> float:
    """Write ``track`` as an OpenSim ``.trc`` file; return the scale used (mm per pixel).

    Args:
        scale_mm_per_px: millimetres per pixel; ``None`` estimates it from the trunk
            (:func:`estimate_scale_mm_per_px` with ``trunk_mm`` millimetres).
        trunk_mm: assumed hip-midpoint to shoulder-midpoint distance in mm.
        min_visibility: landmarks less visible than this (0..1) are written as missing.

    Raises:
        InputError: no frames, no usable scale, or the file cannot be written.
    """
    p = Path(path)
    scale = (
        estimate_scale_mm_per_px(track, trunk_mm) if scale_mm_per_px is None else scale_mm_per_px
    )
    text = trc_text(track, p.name, scale, min_visibility=min_visibility)
    try:
        p.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{p}: cannot write the marker file: {exc}") from exc
    return float(scale)


# -- reading back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrcFile:
    """A parsed ``.trc`` file.

    Attributes:
        header: the first line's fields (``PathFileType``, ``4``, ``(X/Y/Z)``, file name).
        meta: the :data:`TRC_KEYS` and their values, as text.
        markers: marker names.
        frame: ``(n,)`` frame numbers; t_s: ``(n,)`` seconds.
        data: ``(n, markers, 3)`` positions in ``meta["Units"]``; NaN where missing.
    """

    header: tuple[str, ...]
    meta: dict[str, str]
    markers: tuple[str, ...]
    frame: npt.NDArray[np.int64]
    t_s: FloatArray
    data: FloatArray = field(repr=False)


def _fields(line: str) -> list[str]:
    """Tab-separated fields as OpenSim splits them: a final tab adds no empty field."""
    parts = line.rstrip("\r\n").split(_TAB)
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return [p.strip() for p in parts]


def _read_meta(p: Path, lines: list[str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """The first line's fields, and the :data:`TRC_KEYS` (line 2) with their values (line 3).

    Raises:
        InputError: too few lines, or these three are not laid out as OpenSim expects.
    """
    if len(lines) < 5:
        raise InputError(f"{p}: expected at least 5 header lines, found {len(lines)}")
    header = tuple(f for f in _fields(lines[0]) if f)
    if not header or header[0] != "PathFileType":
        raise InputError(f"{p}: the first line must start with PathFileType")
    keys = [f for f in _fields(lines[1]) if f]
    values = [f for f in _fields(lines[2]) if f]
    if tuple(keys) != TRC_KEYS or len(values) != len(keys):
        raise InputError(f"{p}: expected the keys {list(TRC_KEYS)} and one value each")
    return header, dict(zip(keys, values))


def _read_markers(p: Path, lines: list[str], meta: dict[str, str]) -> list[str]:
    """The marker names (line 4, after ``Frame#`` and ``Time``), checked against
    ``NumMarkers`` and the ``X1 Y1 Z1 ...`` line 5.

    Raises:
        InputError: they do not match as OpenSim expects.
    """
    try:
        n_markers = int(meta["NumMarkers"])
    except ValueError as exc:
        raise InputError(f"{p}: NumMarkers must be a whole number: {exc}") from exc
    labels = [f for f in _fields(lines[3]) if f]
    if labels[:2] != ["Frame#", "Time"] or len(labels) != n_markers + 2:
        raise InputError(f"{p}: expected Frame#, Time and {n_markers} marker names on line 4")
    xyz = [f for f in _fields(lines[4]) if f]
    expected = [f"{a}{i}" for i in range(1, n_markers + 1) for a in "XYZ"]
    if xyz != expected:
        raise InputError(f"{p}: expected X1 Y1 Z1 ... Z{n_markers} on line 5")
    return labels[2:]


def _read_rows(
    p: Path, lines: list[str], n_markers: int
) -> tuple[list[int], list[float], list[list[float]]]:
    """Frame numbers, times (seconds) and marker positions (NaN where a field is empty) of the
    data rows after the header: from the first non-empty line to the next empty one.

    Raises:
        InputError: a row has the wrong number of fields or a field is not a number.
    """
    rows = lines[5:]
    while rows and not rows[0].strip():
        rows = rows[1:]
    frames: list[int] = []
    times: list[float] = []
    data: list[list[float]] = []
    for k, line in enumerate(rows, start=len(lines) - len(rows) + 1):
        if not line.strip():
            break
        cells = _fields(line)
        if len(cells) != 3 * n_markers + 2:
            raise InputError(
                f"{p}, line {k}: expected {3 * n_markers + 2} fields, found {len(cells)}"
            )
        try:
            frames.append(int(cells[0]))
            times.append(float(cells[1]))
            data.append([float(c) if c else math.nan for c in cells[2:]])
        except ValueError as exc:
            raise InputError(f"{p}, line {k}: {exc}") from exc
    return frames, times, data


def read_trc(path: str | Path) -> TrcFile:
    """Read a ``.trc`` file with OpenSim's rules (header checks, empty fields = missing).

    Raises:
        InputError: unreadable, or not laid out as OpenSim expects.
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: expected a readable .trc file: {exc}") from exc
    header, meta = _read_meta(p, lines)
    markers = _read_markers(p, lines, meta)
    frames, times, data = _read_rows(p, lines, len(markers))
    return TrcFile(
        header=header,
        meta=meta,
        markers=tuple(markers),
        frame=np.asarray(frames, dtype=np.int64),
        t_s=np.asarray(times, dtype=np.float64),
        data=np.asarray(data, dtype=np.float64).reshape(len(data), len(markers), 3),
    )
