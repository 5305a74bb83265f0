"""The one writer and the one reader of an analysis folder (what ``pressup analyze`` writes).

A folder holds:

* ``analysis.json``: the :class:`~pressup.analysis.result.Analysis` contract
  (schema ``pressup.analysis/1``, see :meth:`Analysis.to_dict`);
* ``frames.csv``: the per-frame table (:data:`~pressup.analysis.result.FRAME_COLUMNS`, then
  ``label`` and ``tracked``);
* ``events.json``: the engine's events (``hold_tick`` left out), one object each;
* ``track.npz``: the pose track, when it did not come from a track file already;
* ``report.html``: written by a caller-supplied function (the report layer sits above this one).

Times are seconds from the first frame; angles are degrees.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pressup.analysis.result import ANALYSIS_SCHEMA, Analysis, Fault, FrameTable, Rep, Segment
from pressup.errors import InputError
from pressup.vocab import DOSE_SOURCES, FAULT_CODES, LABELS, POSTURES, UNFINISHED_REASONS

if TYPE_CHECKING:
    from pressup.pose.track import PoseTrack

ANALYSIS_FILE = "analysis.json"
FRAMES_FILE = "frames.csv"
EVENTS_FILE = "events.json"
TRACK_FILE = "track.npz"
REPORT_FILE = "report.html"

#: Writes the report of an analysis to the given path (e.g. :func:`pressup.report.write_report`).
ReportWriter = Callable[[Analysis, Path], object]

_FRAME_REQUIRED = ("t_s", "label", "tracked")
_REP_TIMES = ("start_s", "top_start_s", "top_end_s", "end_s", "press_s", "hold_s", "lower_s")
_REP_PEAKS = ("peak_trunk_deg", "peak_elbow_deg")


# -- writing ---------------------------------------------------------------------------------


def write_folder(
    analysis: Analysis,
    folder: str | Path,
    track: PoseTrack | None = None,
    *,
    events: bool = True,
    report: ReportWriter | None = None,
) -> Path:
    """Write ``analysis`` into ``folder`` (created if needed); return the folder.

    Args:
        analysis: the result to write (``analysis.json`` and ``frames.csv``).
        folder: the output folder.
        track: also saved as ``track.npz`` when given.
        events: also write ``events.json``.
        report: called as ``report(analysis, folder / "report.html")`` when given.
    """
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    if track is not None:
        track.save(d / TRACK_FILE)
    analysis.write_json(d / ANALYSIS_FILE)
    analysis.frames.write_csv(d / FRAMES_FILE)
    if events:
        (d / EVENTS_FILE).write_text(json.dumps(analysis.events, indent=1) + "\n")
    if report is not None:
        report(analysis, d / REPORT_FILE)
    return d


# -- reading ---------------------------------------------------------------------------------


def read_analysis(
    folder_or_json: str | Path, *, frames: bool = True, events: bool = True
) -> Analysis:
    """Read an analysis folder (or its ``analysis.json``) back into an :class:`Analysis`.

    ``frames.csv`` and ``events.json`` are read from the same folder when they are there
    (and ``frames``/``events`` ask for them); otherwise the frame table is empty and the
    event list too. Unknown times and angles (``null`` in the JSON, an empty cell in the CSV)
    come back as NaN. A table read from a file holds the numeric columns the file has.

    Raises:
        InputError: a file is missing, unreadable or not what the contract says; the message
            names the file, the field and what was expected.
    """
    p = Path(folder_or_json)
    if not p.exists():
        raise InputError(
            f"{p}: no such file or folder (expected a pressup analyze folder or its "
            f"{ANALYSIS_FILE})"
        )
    path = p / ANALYSIS_FILE if p.is_dir() else p
    obj = _mapping(_read_json(path), path, "top level")
    schema = obj.get("schema")
    if schema != ANALYSIS_SCHEMA:
        raise InputError(f"{path}: schema: expected {ANALYSIS_SCHEMA!r}, got {schema!r}")
    rep_count = _int(_get(obj, "rep_count", path), path, "rep_count")
    reps = [_rep(r, path, f"reps[{i}]") for i, r in enumerate(_list(obj, "reps", path))]
    done = sum(1 for r in reps if r.complete)
    if rep_count != done:
        raise InputError(
            f"{path}: rep_count: expected the number of complete reps ({done}), got {rep_count}"
        )
    faults = [
        _fault(f, path, f"faults[{i}]", None) for i, f in enumerate(_list(obj, "faults", path))
    ]
    segments = [
        _segment(s, path, f"segments[{i}]")
        for i, s in enumerate(_list(obj, "segments", path, required=False))
    ]
    here = path.parent
    table = _empty_frames()
    if frames and (here / FRAMES_FILE).is_file():
        table = read_frames(here / FRAMES_FILE)
    event_list: list[dict[str, Any]] = []
    if events and (here / EVENTS_FILE).is_file():
        event_list = _events(here / EVENTS_FILE)
    return Analysis(
        source=_section(obj, "source", path),
        pose=_section(obj, "pose", path),
        view=_section(obj, "view", path),
        reps=reps,
        segments=segments,
        faults=faults,
        protocol=_protocol(obj, path),
        frames=table,
        events=event_list,
    )


def read_frames(path: str | Path) -> FrameTable:
    """Parse ``frames.csv`` (empty cell = NaN; ``tracked`` is 0/1; ``label`` one of LABELS).

    Raises:
        InputError: unreadable, a required column missing (``t_s``, ``label``, ``tracked``),
            a bad cell, or times that go backwards.
    """
    p = Path(path)
    header, body = _frames_rows(p)
    col = {name: i for i, name in enumerate(header)}
    numeric = [c for c in header if c not in ("label", "tracked")]
    n = len(body)
    values = {c: np.full(n, np.nan, dtype=np.float64) for c in numeric}
    labels: list[str] = []
    tracked = np.zeros(n, dtype=np.bool_)
    for i, row in enumerate(body):
        line = i + 2
        if len(row) != len(header):
            raise InputError(f"{p}: line {line}: expected {len(header)} cells, got {len(row)}")
        for c in numeric:
            values[c][i] = _number_cell(row[col[c]], p, line, c)
        labels.append(_label_cell(row[col["label"]], p, line))
        tracked[i] = _tracked_cell(row[col["tracked"]], p, line)
    t = values["t_s"]
    if np.any(~np.isfinite(t)):
        raise InputError(f"{p}: column t_s: expected a time in seconds on every row")
    if np.any(np.diff(t) < 0):
        raise InputError(f"{p}: column t_s: expected non-decreasing times")
    return FrameTable(columns=values, label=labels, tracked=tracked)


def _frames_rows(p: Path) -> tuple[list[str], list[list[str]]]:
    """The header (stripped) and the non-empty data rows of ``frames.csv`` at ``p``.

    Raises:
        InputError: unreadable, empty, or a required column missing.
    """
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: expected a readable CSV file; could not read it: {exc}") from exc
    if not rows:
        raise InputError(
            f"{p}: expected a header row ({', '.join(_FRAME_REQUIRED)} ...), got an empty file"
        )
    header = [h.strip() for h in rows[0]]
    missing = [c for c in _FRAME_REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{p}: expected columns {', '.join(_FRAME_REQUIRED)}; "
            f"missing {', '.join(missing)} (header: {', '.join(header)})"
        )
    return header, [r for r in rows[1:] if r]


def _number_cell(raw: str, p: Path, line: int, column: str) -> float:
    """A numeric cell of ``frames.csv``: NaN when empty.

    Raises:
        InputError: not a number.
    """
    cell = raw.strip()
    if not cell:
        return math.nan
    try:
        return float(cell)
    except ValueError as exc:
        raise InputError(
            f"{p}: line {line}, column {column}: expected a number or an empty cell, got {cell!r}"
        ) from exc


def _label_cell(raw: str, p: Path, line: int) -> str:
    """The ``label`` cell of ``frames.csv``: one of LABELS.

    Raises:
        InputError: anything else.
    """
    label = raw.strip()
    if label not in LABELS:
        raise InputError(
            f"{p}: line {line}, column label: expected one of {', '.join(LABELS)}; got {label!r}"
        )
    return label


def _tracked_cell(raw: str, p: Path, line: int) -> bool:
    """The ``tracked`` cell of ``frames.csv``: ``1`` (True) or ``0`` (False).

    Raises:
        InputError: anything else.
    """
    flag = raw.strip()
    if flag not in ("0", "1"):
        raise InputError(f"{p}: line {line}, column tracked: expected 0 or 1, got {flag!r}")
    return flag == "1"


def _empty_frames() -> FrameTable:
    return FrameTable(
        columns={"t_s": np.zeros(0, dtype=np.float64)},
        label=[],
        tracked=np.zeros(0, dtype=np.bool_),
    )


def _events(path: Path) -> list[dict[str, Any]]:
    raw = _read_json(path)
    if not isinstance(raw, list):
        raise InputError(f"{path}: expected a list of events, got {type(raw).__name__}")
    out: list[dict[str, Any]] = []
    for i, e in enumerate(raw):
        m = _mapping(e, path, f"[{i}]")
        if not isinstance(m.get("kind"), str) or not isinstance(m.get("t_s"), (int, float)):
            raise InputError(f"{path}: [{i}]: expected an event with 'kind' and 't_s'")
        out.append(dict(m))
    return out


def _rep(raw: Any, path: Path, key: str) -> Rep:
    r = _mapping(raw, path, key)
    index = _int(_get(r, "index", path, key), path, key + ".index")
    variant = _get(r, "variant", path, key)
    if variant not in POSTURES:
        raise InputError(
            f"{path}: {key}.variant: expected one of {', '.join(POSTURES)}, got {variant!r}"
        )
    complete = r.get("complete", True)
    if not isinstance(complete, bool):
        raise InputError(f"{path}: {key}.complete: expected true or false, got {complete!r}")
    not_counted = r.get("not_counted")
    if not_counted is not None and not_counted not in UNFINISHED_REASONS:
        raise InputError(
            f"{path}: {key}.not_counted: expected one of {', '.join(UNFINISHED_REASONS)} or "
            f"null, got {not_counted!r}"
        )
    faults = r.get("faults", [])
    if not isinstance(faults, list):
        raise InputError(f"{path}: {key}.faults: expected a list, got {type(faults).__name__}")
    num = {name: _float(r.get(name), path, f"{key}.{name}") for name in (*_REP_TIMES, *_REP_PEAKS)}
    return Rep(
        index=index,
        **num,
        variant=variant,
        faults=[_fault(f, path, f"{key}.faults[{j}]", index) for j, f in enumerate(faults)],
        complete=complete,
        not_counted=not_counted,
    )


def _fault(raw: Any, path: Path, key: str, rep_index: int | None) -> Fault:
    f = _mapping(raw, path, key)
    code = _get(f, "code", path, key)
    if code not in FAULT_CODES:
        raise InputError(
            f"{path}: {key}.code: expected one of {', '.join(FAULT_CODES)}, got {code!r}"
        )
    rep_raw = f.get("rep")
    return Fault(
        code=code,
        start_s=_float(f.get("start_s"), path, key + ".start_s"),
        end_s=_float(f.get("end_s"), path, key + ".end_s"),
        rep=rep_index if rep_raw is None else _int(rep_raw, path, key + ".rep"),
    )


def _segment(raw: Any, path: Path, key: str) -> Segment:
    s = _mapping(raw, path, key)
    label = _get(s, "label", path, key)
    if label not in LABELS:
        raise InputError(f"{path}: {key}.label: expected one of {', '.join(LABELS)}, got {label!r}")
    return Segment(
        start_s=_float(s.get("start_s"), path, key + ".start_s"),
        end_s=_float(s.get("end_s"), path, key + ".end_s"),
        label=label,
    )


# -- small validators ------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise InputError(f"{path}: no such file (expected {ANALYSIS_SCHEMA} JSON)")
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: expected valid JSON; could not read it: {exc}") from exc


def _mapping(value: Any, path: Path, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"{path}: {key}: expected an object, got {type(value).__name__}")
    return value


def _get(obj: Mapping[str, Any], name: str, path: Path, key: str = "") -> Any:
    if name not in obj:
        where = f"{key}.{name}" if key else name
        raise InputError(f"{path}: {where} is missing")
    return obj[name]


def _list(obj: Mapping[str, Any], name: str, path: Path, *, required: bool = True) -> list[Any]:
    value = _get(obj, name, path) if required else obj.get(name, [])
    if not isinstance(value, list):
        raise InputError(f"{path}: {name}: expected a list, got {type(value).__name__}")
    return value


def _protocol(obj: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The ``protocol`` block; ``dose_source`` and ``dose_reason`` are checked when present
    (analyses from before they were written have neither)."""
    block = _section(obj, "protocol", path)
    source = block.get("dose_source")
    if source is not None and source not in DOSE_SOURCES:
        raise InputError(
            f"{path}: protocol.dose_source: expected one of {', '.join(DOSE_SOURCES)}, "
            f"got {source!r}"
        )
    reason = block.get("dose_reason")
    if reason is not None and not isinstance(reason, str):
        raise InputError(f"{path}: protocol.dose_reason: expected text, got {reason!r}")
    return block


def _section(obj: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = obj.get(name, {})
    if value is None:
        return {}
    return dict(_mapping(value, path, name))


def _int(value: Any, path: Path, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{path}: {key}: expected an integer, got {value!r}")
    return value


def _float(value: Any, path: Path, key: str) -> float:
    """A number, or NaN for ``null``/missing (how the contract writes an unknown value)."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{path}: {key}: expected a number or null, got {value!r}")
    return float(value)


__all__ = [
    "ANALYSIS_FILE",
    "EVENTS_FILE",
    "FRAMES_FILE",
    "REPORT_FILE",
    "TRACK_FILE",
    "ReportWriter",
    "read_analysis",
    "read_frames",
    "write_folder",
]
