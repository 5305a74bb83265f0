"""Tables of sessions and repetitions for clinicians and researchers (CSV and JSON).

Two tables, each a list of frozen dataclasses with a CSV/JSON row form:

* :class:`SessionSummary`, one row per session (a stored live session or one
  ``pressup analyze`` folder): dates, stage, repetitions done and prescribed, hold and trunk
  statistics, fault counts and pain before/after.
* :class:`RepRecord`, one row per repetition: every field of
  :class:`pressup.analysis.result.Rep` (seconds, degrees) plus the session id, with the fault
  codes joined by ``;``.

Units: every ``*_s`` column is seconds (``start_s`` etc. from the session's first frame;
``hold_*_s``, ``press_s``, ``hold_s``, ``lower_s`` durations); every ``*_deg`` column degrees
(``peak_trunk_deg``: elevation of the hip->shoulder line above the floor at the top;
``peak_elbow_deg``: interior shoulder-elbow-wrist angle held at the top, its mean there,
180 = straight); pain 0..10;
timestamps ISO 8601 in UTC.

Statistics (:func:`summarise`): ``hold_mean_s``, ``hold_max_s`` and ``peak_trunk_max_deg``
are taken over the *complete* repetitions that have the value (an interrupted repetition's
hold is partial); ``faults_<code>`` counts the repetitions (complete or not) showing that
fault, ``faults_total`` the sum over every code. ``pain_before``, ``pain_after`` and
``pain_max`` follow :func:`pressup.sessions.outcome.pain_scores` (as the history page does):
the last rating given before the set (``rep == 0``), the rating after the highest-numbered
press-up rated (the last stored of those), the highest; skipped ratings are ignored, and a
session without pain ratings takes the pain of its symptom reports. ``location_before`` and
``location_after`` are where the symptoms were felt at those ratings (``none``, ``back``,
``buttock``, ``thigh``, ``below_knee``, ``foot``), ``symptom_response`` how they responded over
the set (``centralising``, ``peripheralising``, ``unchanged``; empty without a place before and
after), ``variant`` the posture done (``mixed`` when both), ``planned_variant`` the posture the
plan asked for (empty when not known) and ``variants_done`` the posture of each complete
repetition in order (``;`` separated, as the repetitions table's ``variant``), ``stopped``
whether the coach stopped the set by a pain or symptom rule (a stored ``set_stopped`` event) and
``stop_reason`` why.

CSV: one header row, ``,`` separated, UTF-8. Unknown values are empty cells; floats are
written with :func:`repr` (the shortest text that reads back to the same float), booleans as
``true``/``false``. :func:`read_sessions_csv` and :func:`read_reps_csv` read the files back
into equal dataclasses. JSON: ``{"schema": ..., "rows": [...]}`` with the same keys, ``null``
for unknown values and fault codes as a list.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from pressup.analysis.io import ANALYSIS_FILE, read_analysis
from pressup.errors import InputError
from pressup.sessions.outcome import PainScores, SessionOutcome, outcome_of, outcomes_of
from pressup.sessions.store import REP_KEYS, Store, require_session
from pressup.vocab import FAULT_CODES, POSTURES

#: Schema tags of the JSON files.
SESSIONS_SCHEMA = "pressup.export.sessions/3"
REPS_SCHEMA = "pressup.export.reps/1"
#: ``source`` of a row: a stored live session, or a ``pressup analyze`` folder.
SOURCE_SESSION = "session"
SOURCE_ANALYSIS = "analysis"
#: Separator of fault codes in the ``faults`` CSV cell.
FAULT_SEPARATOR = ";"
#: Largest number of stored sessions read at once.
MAX_SESSIONS = 1_000_000

#: Columns of the sessions table, in order.
SESSION_COLUMNS: tuple[str, ...] = (
    "source",
    "session_id",
    "path",
    "created_at",
    "ended_at",
    "stage",
    "variant",
    "planned_variant",
    "variants_done",
    "reps_done",
    "target_reps",
    "reps_recorded",
    "reps_complete",
    "hold_mean_s",
    "hold_max_s",
    "peak_trunk_max_deg",
    *(f"faults_{code}" for code in FAULT_CODES),
    "faults_total",
    "pain_before",
    "pain_after",
    "pain_max",
    "location_before",
    "location_after",
    "symptom_response",
    "stopped",
    "stop_reason",
)
#: Columns of the repetitions table, in order (the :class:`~pressup.analysis.result.Rep`
#: fields after ``source`` and ``session_id``).
REP_COLUMNS: tuple[str, ...] = ("source", "session_id", *REP_KEYS)


@dataclass(frozen=True)
class SessionSummary:
    """One session's row (see the module docstring for units and statistics).

    Attributes:
        source: ``"session"`` (stored live session) or ``"analysis"`` (analysis.json).
        session_id: stored session id, or the analysis folder's name.
        path: the analysis.json file (``None`` for stored sessions).
        created_at, ended_at: UTC timestamps of a stored session (``None`` for analyses).
        stage: coaching stage of a stored session (``None`` for analyses).
        variant: ``"forearms"``, ``"hands"``, ``"mixed"`` (both seen) or ``None`` (no reps).
        planned_variant: the posture today's plan asked for (``"forearms"`` or ``"hands"``;
            ``None`` when no plan is known, e.g. an analysis judged against the protocol file).
        variants_done: the posture of each complete repetition, in order (``;`` in the CSV).
        reps_done: completed repetitions (a stored session's counter; an analysis'
            ``rep_count``).
        target_reps: repetitions prescribed, if known.
        reps_recorded, reps_complete: repetitions in the table, and the complete ones.
        hold_mean_s, hold_max_s: seconds held at the top (complete reps).
        peak_trunk_max_deg: highest trunk elevation in degrees (complete reps).
        faults: repetitions showing each code of :data:`FAULT_CODES` (every code present).
        faults_total: sum of ``faults``, plus repetitions with codes not in that list.
        pain_before, pain_after, pain_max: pain ratings 0..10.
    """

    source: str
    session_id: str
    path: Optional[str]
    created_at: Optional[datetime]
    ended_at: Optional[datetime]
    stage: Optional[str]
    variant: Optional[str]
    reps_done: int
    target_reps: Optional[int]
    reps_recorded: int
    reps_complete: int
    hold_mean_s: Optional[float]
    hold_max_s: Optional[float]
    peak_trunk_max_deg: Optional[float]
    faults: dict[str, int] = field(default_factory=dict)
    faults_total: int = 0
    pain_before: Optional[int] = None
    pain_after: Optional[int] = None
    pain_max: Optional[int] = None
    location_before: Optional[str] = None
    location_after: Optional[str] = None
    symptom_response: Optional[str] = None
    stopped: bool = False
    stop_reason: Optional[str] = None
    planned_variant: Optional[str] = None
    variants_done: tuple[str, ...] = ()

    def to_row(self) -> dict[str, Any]:
        """The row as Python values keyed by :data:`SESSION_COLUMNS` (fault counts flat)."""
        row: dict[str, Any] = {
            "source": self.source,
            "session_id": self.session_id,
            "path": self.path,
            "created_at": self.created_at,
            "ended_at": self.ended_at,
            "stage": self.stage,
            "variant": self.variant,
            "planned_variant": self.planned_variant,
            "variants_done": self.variants_done,
            "reps_done": self.reps_done,
            "target_reps": self.target_reps,
            "reps_recorded": self.reps_recorded,
            "reps_complete": self.reps_complete,
            "hold_mean_s": self.hold_mean_s,
            "hold_max_s": self.hold_max_s,
            "peak_trunk_max_deg": self.peak_trunk_max_deg,
        }
        for code in FAULT_CODES:
            row[f"faults_{code}"] = int(self.faults.get(code, 0))
        row["faults_total"] = self.faults_total
        row["pain_before"] = self.pain_before
        row["pain_after"] = self.pain_after
        row["pain_max"] = self.pain_max
        row["location_before"] = self.location_before
        row["location_after"] = self.location_after
        row["symptom_response"] = self.symptom_response
        row["stopped"] = self.stopped
        row["stop_reason"] = self.stop_reason
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SessionSummary:
        """Build from :meth:`to_row` output (values already typed)."""
        return cls(
            source=row["source"],
            session_id=row["session_id"],
            path=row["path"],
            created_at=row["created_at"],
            ended_at=row["ended_at"],
            stage=row["stage"],
            variant=row["variant"],
            planned_variant=row["planned_variant"],
            variants_done=tuple(row["variants_done"]),
            reps_done=row["reps_done"],
            target_reps=row["target_reps"],
            reps_recorded=row["reps_recorded"],
            reps_complete=row["reps_complete"],
            hold_mean_s=row["hold_mean_s"],
            hold_max_s=row["hold_max_s"],
            peak_trunk_max_deg=row["peak_trunk_max_deg"],
            faults={code: row[f"faults_{code}"] for code in FAULT_CODES},
            faults_total=row["faults_total"],
            pain_before=row["pain_before"],
            pain_after=row["pain_after"],
            pain_max=row["pain_max"],
            location_before=row["location_before"],
            location_after=row["location_after"],
            symptom_response=row["symptom_response"],
            stopped=row["stopped"],
            stop_reason=row["stop_reason"],
        )


@dataclass(frozen=True)
class RepRecord:
    """One repetition's row: the fields of :class:`~pressup.analysis.result.Rep`.

    Times ``*_s`` in seconds from the session's first frame, durations ``press_s``,
    ``hold_s``, ``lower_s`` in seconds, angles ``*_deg`` in degrees; ``None`` = not measured.
    ``faults`` holds the fault codes seen in the repetition, each once, in order of first
    appearance.
    """

    source: str
    session_id: str
    index: int
    start_s: float
    top_start_s: Optional[float]
    top_end_s: Optional[float]
    end_s: Optional[float]
    press_s: Optional[float]
    hold_s: Optional[float]
    lower_s: Optional[float]
    variant: str
    peak_trunk_deg: Optional[float]
    peak_elbow_deg: Optional[float]
    faults: tuple[str, ...]
    complete: bool
    not_counted: str | None = None

    def to_row(self) -> dict[str, Any]:
        """The row as Python values keyed by :data:`REP_COLUMNS`."""
        return {name: getattr(self, name) for name in REP_COLUMNS}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RepRecord:
        """Build from :meth:`to_row` output (values already typed)."""
        return cls(**{name: row[name] for name in REP_COLUMNS})


# -- building rows -----------------------------------------------------------------------


def _num(value: Any) -> float | None:
    """A finite float, or None for None/NaN/infinity/non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fault_codes(faults: Any) -> tuple[str, ...]:
    """The distinct fault codes of a repetition's ``faults``, in order of first appearance.

    Accepts fault dicts (``{"code", "start_s", "end_s", "rep"}``, as stored and as in
    analysis.json), :class:`~pressup.analysis.result.Fault` objects or plain code strings.
    """
    out: list[str] = []
    for f in faults or ():
        if isinstance(f, str):
            code = f
        elif isinstance(f, Mapping):
            code = str(f.get("code", ""))
        else:
            code = str(getattr(f, "code", ""))
        if code and code not in out:
            out.append(code)
    return tuple(out)


def rep_record(rep: Mapping[str, Any], *, session_id: str, source: str) -> RepRecord:
    """One :class:`RepRecord` from a stored rep (``Store.list_reps``) or an analysis.json rep.

    Raises:
        InputError: ``index``, ``start_s`` or ``variant`` is missing or malformed.
    """
    try:
        index = int(rep["index"])
        start = _num(rep["start_s"])
        variant = str(rep["variant"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"rep of {session_id}: expected index, start_s and variant: {exc}"
        ) from exc
    if start is None:
        raise InputError(f"rep {index} of {session_id}: start_s must be finite seconds")
    return RepRecord(
        source=source,
        session_id=session_id,
        index=index,
        start_s=start,
        top_start_s=_num(rep.get("top_start_s")),
        top_end_s=_num(rep.get("top_end_s")),
        end_s=_num(rep.get("end_s")),
        press_s=_num(rep.get("press_s")),
        hold_s=_num(rep.get("hold_s")),
        lower_s=_num(rep.get("lower_s")),
        variant=variant,
        peak_trunk_deg=_num(rep.get("peak_trunk_deg")),
        peak_elbow_deg=_num(rep.get("peak_elbow_deg")),
        faults=fault_codes(rep.get("faults")),
        complete=bool(rep.get("complete", True)),
        not_counted=rep.get("not_counted"),
    )


def summarise(
    *,
    source: str,
    session_id: str,
    reps: Sequence[RepRecord],
    reps_done: int,
    target_reps: int | None,
    pain: PainScores | None = None,
    path: str | None = None,
    created_at: datetime | None = None,
    ended_at: datetime | None = None,
    stage: str | None = None,
) -> SessionSummary:
    """A :class:`SessionSummary` from a session's repetitions and pain.

    ``pain`` is the session's pain before/after/worst (:func:`pressup.sessions.outcome.pain_scores`,
    the rule the history page uses too); ``None`` for an analysis (no pain known).
    """
    complete = [r for r in reps if r.complete]
    holds = [r.hold_s for r in complete if r.hold_s is not None]
    peaks = [r.peak_trunk_deg for r in complete if r.peak_trunk_deg is not None]
    counts: dict[str, int] = dict.fromkeys(FAULT_CODES, 0)
    total = 0
    for r in reps:
        for code in r.faults:
            if code in counts:
                counts[code] += 1
            total += 1
    variants = {r.variant for r in reps}
    variant = None if not variants else variants.pop() if len(variants) == 1 else "mixed"
    scores = pain if pain is not None else PainScores()
    return SessionSummary(
        source=source,
        session_id=session_id,
        path=path,
        created_at=created_at,
        ended_at=ended_at,
        stage=stage,
        variant=variant,
        reps_done=int(reps_done),
        target_reps=target_reps,
        reps_recorded=len(reps),
        reps_complete=len(complete),
        hold_mean_s=sum(holds) / len(holds) if holds else None,
        hold_max_s=max(holds) if holds else None,
        peak_trunk_max_deg=max(peaks) if peaks else None,
        faults=counts,
        faults_total=total,
        pain_before=scores.before,
        pain_after=scores.after,
        pain_max=scores.worst,
        variants_done=tuple(r.variant for r in complete),
    )


def stored_session_ids(store: Store) -> list[str]:
    """Every stored session's id, oldest first."""
    return [r.id for r in reversed(store.list_sessions(limit=MAX_SESSIONS))]


def stored_reps(store: Store, session_id: str) -> list[RepRecord]:
    """The repetitions of one stored session, by number.

    Raises:
        StorageError: no session has this id.
    """
    return [
        rep_record(r, session_id=session_id, source=SOURCE_SESSION)
        for r in store.list_reps(session_id)
    ]


def stored_summary(store: Store, session_id: str) -> SessionSummary:
    """The :class:`SessionSummary` of one stored session.

    Raises:
        StorageError: no session has this id.
    """
    return _summary_of(outcome_of(store, session_id))


#: ``analysis.json`` ``protocol.dose_source`` values that mean a person's plan was judged against.
PLANNED_SOURCES = ("prescription", "progression")


def _posture(value: Any) -> str | None:
    """``value`` when it is a posture (``forearms`` or ``hands``), else ``None``."""
    return value if value in POSTURES else None


def _summary_of(o: SessionOutcome) -> SessionSummary:
    record = o.record
    row = summarise(
        source=SOURCE_SESSION,
        session_id=record.id,
        reps=[rep_record(r, session_id=record.id, source=SOURCE_SESSION) for r in o.data.reps],
        reps_done=record.reps_done,
        target_reps=record.target_reps,
        pain=o.pain,
        created_at=record.created_at,
        ended_at=record.ended_at,
        stage=record.stage,
    )
    return replace(
        row,
        location_before=o.before[-1].location if o.before else None,
        location_after=o.after[-1].location if o.after else None,
        symptom_response=o.response,
        stopped=o.stopped,
        stop_reason=str(o.stop_reason) if o.stop_reason is not None else None,
        planned_variant=_posture(record.dose.get("variant")),
    )


# -- analyses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisFile:
    """One ``analysis.json`` read from a ``pressup analyze`` folder.

    ``session_id`` is the name of the folder holding the file; ``data`` the parsed JSON.
    """

    path: Path
    session_id: str
    data: dict[str, Any]


def find_analyses(path: str | Path) -> list[Path]:
    """The analysis.json files at ``path``.

    ``path`` may be an analysis.json file, a folder holding one (``pressup analyze`` with one
    input) or a folder whose sub-folders hold one each (several inputs; sub-folders without
    one, e.g. failed inputs with ``error.json``, are skipped), sorted by name.

    Raises:
        InputError: nothing there, or no analysis.json found.
    """
    p = Path(path)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise InputError(f"{p}: expected an analysis.json file or a pressup analyze folder")
    if (p / ANALYSIS_FILE).is_file():
        return [p / ANALYSIS_FILE]
    found = sorted(d / ANALYSIS_FILE for d in p.iterdir() if (d / ANALYSIS_FILE).is_file())
    if not found:
        raise InputError(f"{p}: no analysis.json in this folder or its sub-folders")
    return found


def load_analysis(path: str | Path) -> AnalysisFile:
    """Read one analysis.json (schema ``pressup.analysis/1``) through
    :func:`pressup.analysis.io.read_analysis`; ``data`` is its contract dict.

    Raises:
        InputError: unreadable, not JSON, another schema or not the contract.
    """
    p = Path(path)
    data = read_analysis(p, frames=False, events=False).to_dict()
    name = p.parent.name if p.name == ANALYSIS_FILE else p.stem
    return AnalysisFile(path=p, session_id=name or p.stem, data=data)


def analysis_reps(analysis: AnalysisFile) -> list[RepRecord]:
    """The repetitions of one analysis."""
    return [
        rep_record(r, session_id=analysis.session_id, source=SOURCE_ANALYSIS)
        for r in analysis.data["reps"]
    ]


def analysis_summary(analysis: AnalysisFile) -> SessionSummary:
    """The :class:`SessionSummary` of one analysis (no dates, stage or pain)."""
    reps = analysis_reps(analysis)
    protocol = analysis.data.get("protocol") or {}
    target = protocol.get("target_reps") if isinstance(protocol, Mapping) else None
    done = analysis.data.get("rep_count")
    planned = None
    if isinstance(protocol, Mapping) and protocol.get("dose_source") in PLANNED_SOURCES:
        planned = _posture(protocol.get("variant"))  # judged against a person's plan
    row = summarise(
        source=SOURCE_ANALYSIS,
        session_id=analysis.session_id,
        path=str(analysis.path),
        reps=reps,
        reps_done=int(done) if isinstance(done, int) else sum(r.complete for r in reps),
        target_reps=int(target) if isinstance(target, int) else None,
    )
    return replace(row, planned_variant=planned)


# -- collecting ------------------------------------------------------------------------------


def collect_sessions(
    store: Store | None = None,
    session_ids: Sequence[str] | None = None,
    analyses: Sequence[str | Path] = (),
) -> list[SessionSummary]:
    """Session rows: stored sessions (``session_ids``, default all, oldest first), then the
    analyses found at each path of ``analyses`` (see :func:`find_analyses`).

    Raises:
        StorageError: an unknown session id or a database error.
        InputError: an analysis path without a readable analysis.json.
    """
    rows: list[SessionSummary] = []
    if store is not None:
        if session_ids:
            records = [require_session(store, sid) for sid in session_ids]
        else:
            records = list(reversed(store.list_sessions(limit=MAX_SESSIONS)))
        rows.extend(_summary_of(o) for o in outcomes_of(store, records))
    for path in analyses:
        rows.extend(analysis_summary(load_analysis(p)) for p in find_analyses(path))
    return rows


def collect_reps(
    store: Store | None = None,
    session_ids: Sequence[str] | None = None,
    analyses: Sequence[str | Path] = (),
) -> list[RepRecord]:
    """Repetition rows, in the order of :func:`collect_sessions`, by number within each."""
    rows: list[RepRecord] = []
    if store is not None:
        ids = list(session_ids) if session_ids else stored_session_ids(store)
        for sid in ids:
            rows.extend(stored_reps(store, sid))
    for path in analyses:
        for p in find_analyses(path):
            rows.extend(analysis_reps(load_analysis(p)))
    return rows


# -- CSV and JSON ------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """One CSV cell: '' for None, repr for floats (exact), true/false, ISO timestamps."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return FAULT_SEPARATOR.join(value)
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _opt(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda text: None if text == "" else parse(text)


def _bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"expected true or false, got {text!r}")
    return text == "true"


def _datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c for c in text.split(FAULT_SEPARATOR) if c)


_SESSION_PARSERS: dict[str, Callable[[str], Any]] = {
    "source": str,
    "session_id": str,
    "path": _opt(str),
    "created_at": _opt(_datetime),
    "ended_at": _opt(_datetime),
    "stage": _opt(str),
    "variant": _opt(str),
    "planned_variant": _opt(str),
    "variants_done": _codes,
    "reps_done": int,
    "target_reps": _opt(int),
    "reps_recorded": int,
    "reps_complete": int,
    "hold_mean_s": _opt(float),
    "hold_max_s": _opt(float),
    "peak_trunk_max_deg": _opt(float),
    **{f"faults_{code}": int for code in FAULT_CODES},
    "faults_total": int,
    "pain_before": _opt(int),
    "pain_after": _opt(int),
    "pain_max": _opt(int),
    "location_before": _opt(str),
    "location_after": _opt(str),
    "symptom_response": _opt(str),
    "stopped": _bool,
    "stop_reason": _opt(str),
}
_REP_PARSERS: dict[str, Callable[[str], Any]] = {
    "source": str,
    "session_id": str,
    "index": int,
    "start_s": float,
    "top_start_s": _opt(float),
    "top_end_s": _opt(float),
    "end_s": _opt(float),
    "press_s": _opt(float),
    "hold_s": _opt(float),
    "lower_s": _opt(float),
    "variant": str,
    "peak_trunk_deg": _opt(float),
    "peak_elbow_deg": _opt(float),
    "faults": _codes,
    "complete": _bool,
    "not_counted": _opt(str),
}


def _write_csv(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Path:
    p = Path(path)
    try:
        with p.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(columns)
            for row in rows:
                w.writerow([_cell(row[c]) for c in columns])
    except OSError as exc:
        raise InputError(f"{p}: cannot write the table: {exc}") from exc
    return p


def _read_csv(
    path: str | Path, parsers: Mapping[str, Callable[[str], Any]]
) -> list[dict[str, Any]]:
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in parsers if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"{p}: expected columns {missing} in the header")
            out: list[dict[str, Any]] = []
            for line, raw in enumerate(reader, start=2):
                try:
                    out.append({c: parse(raw[c] or "") for c, parse in parsers.items()})
                except ValueError as exc:
                    raise InputError(f"{p}, line {line}: {exc}") from exc
            return out
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{p}: expected a readable CSV table: {exc}") from exc


def _write_json(path: str | Path, schema: str, rows: Iterable[dict[str, Any]]) -> Path:
    p = Path(path)
    doc = {"schema": schema, "rows": [{k: _json_value(v) for k, v in r.items()} for r in rows]}
    try:
        p.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{p}: cannot write the table: {exc}") from exc
    return p


def write_sessions_csv(rows: Iterable[SessionSummary], path: str | Path) -> Path:
    """Write the sessions table as CSV (columns :data:`SESSION_COLUMNS`)."""
    return _write_csv(path, SESSION_COLUMNS, (r.to_row() for r in rows))


def write_reps_csv(rows: Iterable[RepRecord], path: str | Path) -> Path:
    """Write the repetitions table as CSV (columns :data:`REP_COLUMNS`)."""
    return _write_csv(path, REP_COLUMNS, (r.to_row() for r in rows))


def read_sessions_csv(path: str | Path) -> list[SessionSummary]:
    """Read a sessions CSV written by :func:`write_sessions_csv`.

    Raises:
        InputError: unreadable, a column missing, or a malformed cell.
    """
    return [SessionSummary.from_row(r) for r in _read_csv(path, _SESSION_PARSERS)]


def read_reps_csv(path: str | Path) -> list[RepRecord]:
    """Read a repetitions CSV written by :func:`write_reps_csv`.

    Raises:
        InputError: unreadable, a column missing, or a malformed cell.
    """
    return [RepRecord.from_row(r) for r in _read_csv(path, _REP_PARSERS)]


def write_sessions_json(rows: Iterable[SessionSummary], path: str | Path) -> Path:
    """Write ``{"schema": "pressup.export.sessions/2", "rows": [...]}``."""
    return _write_json(path, SESSIONS_SCHEMA, (r.to_row() for r in rows))


def write_reps_json(rows: Iterable[RepRecord], path: str | Path) -> Path:
    """Write ``{"schema": "pressup.export.reps/1", "rows": [...]}``."""
    return _write_json(path, REPS_SCHEMA, (r.to_row() for r in rows))
