"""The results of a batch as two tables, sessions and repetitions, in Parquet and CSV.

``sessions``: one row per video of the batch, whatever its status (a failed video has its
reason and empty measures). ``reps``: one row per repetition of the analysed videos. Both are
built from the analysis.json files through :mod:`pressup.export.tables` (the same rows as
``pressup export``), plus the batch's own columns.

Units: ``*_s`` seconds (times from the video's first frame, durations), ``*_deg`` degrees
(``peak_trunk_deg``: hip->shoulder line above the floor at the top, its highest;
``peak_elbow_deg``: shoulder-elbow-wrist held at the top, its mean there, 180 = straight),
``*_fraction`` 0..1, ``fps`` frames per second. Empty cells (CSV) and nulls (Parquet) are
unknown values.

Session columns: ``video`` (path as given), ``name`` (file name), ``status`` (``ok``,
``failed``, ``error``, ``crashed``), ``reason`` (one line, for the others), ``slow`` (took far
longer than expected), ``elapsed_s`` (analysis wall time), ``duration_s``, ``frames``, ``fps``,
``view_side`` (``left``/``right``: which side faces the camera), ``tracked_fraction``
(tracking quality: share of frames with the person tracked), ``raised_fraction``,
``floor_tilt_deg``, ``rep_count`` (complete press-ups counted), the summary columns of
:class:`pressup.export.tables.SessionSummary` (``variant``, ``reps_recorded``,
``reps_complete``, ``hold_mean_s``, ``hold_max_s``, ``peak_trunk_max_deg``, ``faults_<code>``,
``faults_total``), ``warnings``, ``pressup_version``, ``analysis_revision``, ``pose_backend``,
``pose_model``, ``sampling`` (``adaptive`` or ``every-frame``), ``protocol_name``,
``protocol_version``, ``protocol_hash``, ``content_hash``.

Rep columns: ``video``, ``name``, then the fields of :class:`pressup.export.tables.RepRecord`
(``index``, ``start_s``, ``top_start_s``, ``top_end_s``, ``end_s``, ``press_s``, ``hold_s``,
``lower_s``, ``variant``, ``peak_trunk_deg``, ``peak_elbow_deg``, ``faults`` as codes joined
by ``;``, ``complete``, ``not_counted``), ``sampling``, ``protocol_hash``, ``content_hash``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pressup.analysis.io import ANALYSIS_FILE
from pressup.batch.job import Job
from pressup.export.tables import (
    REP_COLUMNS,
    analysis_reps,
    analysis_summary,
    load_analysis,
)
from pressup.vocab import FAULT_CODES

_SUMMARY_COLUMNS = (
    "variant",
    "reps_recorded",
    "reps_complete",
    "hold_mean_s",
    "hold_max_s",
    "peak_trunk_max_deg",
    *(f"faults_{c}" for c in FAULT_CODES),
    "faults_total",
)

#: Session columns and their Arrow types (``s`` string, ``f`` float, ``i`` int, ``b`` bool).
SESSION_TYPES: dict[str, str] = {
    "video": "s",
    "name": "s",
    "status": "s",
    "reason": "s",
    "slow": "b",
    "elapsed_s": "f",
    "duration_s": "f",
    "frames": "i",
    "fps": "f",
    "view_side": "s",
    "tracked_fraction": "f",
    "raised_fraction": "f",
    "floor_tilt_deg": "f",
    "rep_count": "i",
    "variant": "s",
    "reps_recorded": "i",
    "reps_complete": "i",
    "hold_mean_s": "f",
    "hold_max_s": "f",
    "peak_trunk_max_deg": "f",
    **{f"faults_{c}": "i" for c in FAULT_CODES},
    "faults_total": "i",
    "warnings": "s",
    "pressup_version": "s",
    "analysis_revision": "i",
    "pose_backend": "s",
    "pose_model": "s",
    "sampling": "s",
    "protocol_name": "s",
    "protocol_version": "s",
    "protocol_hash": "s",
    "content_hash": "s",
}

_REP_FIELDS = tuple(c for c in REP_COLUMNS if c not in ("source", "session_id"))
_REP_FIELD_TYPES = {
    "index": "i",
    "variant": "s",
    "faults": "s",
    "complete": "b",
    "not_counted": "s",
}
#: Rep columns and their Arrow types.
REP_TYPES: dict[str, str] = {
    "video": "s",
    "name": "s",
    **{c: _REP_FIELD_TYPES.get(c, "f") for c in _REP_FIELDS},
    "sampling": "s",
    "protocol_hash": "s",
    "content_hash": "s",
}


def _nan_to_none(v: Any) -> Any:
    return None if isinstance(v, float) and v != v else v


def rows_for(job: Job, rec: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The session row and the rep rows of one video from its result record (and its
    analysis.json when the status is ``ok``)."""
    name = Path(job.video).name
    row: dict[str, Any] = dict.fromkeys(SESSION_TYPES)
    row.update(
        video=job.video,
        name=name,
        status=rec["status"],
        reason=rec.get("reason"),
        slow=bool(rec.get("slow", False)),
        elapsed_s=rec.get("elapsed_s"),
        pressup_version=rec.get("pressup_version"),
        analysis_revision=rec.get("analysis_revision"),
        sampling=rec.get("sampling"),
        protocol_hash=rec.get("protocol_hash"),
        content_hash=rec.get("content_hash"),
    )
    reps: list[dict[str, Any]] = []
    path = Path(job.folder) / ANALYSIS_FILE
    if rec["status"] != "ok" or not path.is_file():
        return row, reps
    a = load_analysis(path)
    d = a.data
    src, view, pose, proto = d["source"], d["view"], d["pose"], d["protocol"]
    row.update(
        duration_s=src.get("duration_s"),
        frames=src.get("frames"),
        fps=src.get("fps"),
        view_side=view.get("side"),
        tracked_fraction=view.get("tracked_fraction"),
        raised_fraction=view.get("raised_fraction"),
        floor_tilt_deg=view.get("floor_tilt_deg"),
        rep_count=d.get("rep_count"),
        warnings="; ".join(view.get("warnings") or ()) or None,
        pose_backend=pose.get("backend"),
        pose_model=pose.get("model"),
        protocol_name=proto.get("name"),
        protocol_version=None if proto.get("version") is None else str(proto.get("version")),
    )
    summary = analysis_summary(a).to_row()
    for c in _SUMMARY_COLUMNS:
        row[c] = summary[c]
    for r in analysis_reps(a):
        rr = r.to_row()
        rep: dict[str, Any] = {"video": job.video, "name": name}
        for c in _REP_FIELDS:
            v = rr[c]
            rep[c] = ";".join(v) if c == "faults" else _nan_to_none(v)
        rep.update(
            sampling=rec.get("sampling"),
            protocol_hash=rec.get("protocol_hash"),
            content_hash=rec.get("content_hash"),
        )
        reps.append(rep)
    return {k: _nan_to_none(v) for k, v in row.items()}, reps


def _arrow_table(rows: Sequence[dict[str, Any]], types: dict[str, str]) -> Any:
    import pyarrow as pa

    kinds = {"s": pa.string(), "f": pa.float64(), "i": pa.int64(), "b": pa.bool_()}
    schema = pa.schema([(c, kinds[t]) for c, t in types.items()])
    return pa.Table.from_pylist([{c: r.get(c) for c in types} for r in rows], schema=schema)


def write_tables(
    jobs: Sequence[Job], records: Sequence[dict[str, Any]], out_dir: Path
) -> dict[str, Path]:
    """Write ``sessions`` and ``reps`` as Parquet and CSV into ``out_dir``; return the paths
    keyed ``sessions.parquet``, ``sessions.csv``, ``reps.parquet``, ``reps.csv``."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    sessions: list[dict[str, Any]] = []
    reps: list[dict[str, Any]] = []
    for job, rec in zip(jobs, records):
        s, r = rows_for(job, rec)
        sessions.append(s)
        reps.extend(r)
    out: dict[str, Path] = {}
    for name, rows, types in (("sessions", sessions, SESSION_TYPES), ("reps", reps, REP_TYPES)):
        table = _arrow_table(rows, types)
        for ext in ("parquet", "csv"):
            path = out_dir / f"{name}.{ext}"
            tmp = path.with_name(path.name + ".tmp")
            if ext == "parquet":
                pq.write_table(table, tmp)
            else:
                pcsv.write_csv(table, tmp)
            tmp.replace(path)
            out[path.name] = path
    return out
