"""``pressup export``: tables, FHIR bundles and OpenSim marker files for clinicians and
researchers.

Every user error becomes one line on stderr and the exit code of its
:class:`~pressup.errors.PressupError`. Heavy modules (the store, numpy, fhir.resources) are
imported inside the commands.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TypeVar

import typer

from pressup.cli.common import database_option, fail, out
from pressup.errors import InputError, PressupError

if TYPE_CHECKING:
    from pressup.sessions.store import Store

export_app = typer.Typer(
    no_args_is_help=True,
    help="Export sessions for clinicians and researchers: CSV/JSON tables, FHIR, OpenSim.",
)

SESSION_HELP = "only this stored session (repeat for several; default: every stored session)"
ANALYSIS_HELP = (
    "a `pressup analyze` output folder (or analysis.json, or a folder of such folders); "
    "repeatable. With only --analysis given, the session store is not read"
)
FORMAT_HELP = "table format (default: from the file name, .csv or .json; any other is refused)"

_Row = TypeVar("_Row")


class TableFormat(str, Enum):
    """File format of the session and repetition tables."""

    csv = "csv"
    json = "json"


def _prepare_output(path: Path) -> None:
    """Create the output file's folder; refuse a folder as the output file."""
    if path.is_dir():
        raise InputError(f"{path}: is a folder; expected an output file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot create its folder: {exc}") from exc


def _format(fmt: Optional[TableFormat], output: Path) -> TableFormat:
    """``--format``, else the one the file name says (``.csv``, ``.json``); any other name is
    refused (exit 2) rather than written as CSV under a name that promises something else."""
    if fmt is not None:
        return fmt
    suffix = output.suffix.lower()
    if suffix == ".json":
        return TableFormat.json
    if suffix == ".csv":
        return TableFormat.csv
    raise fail(
        InputError(
            f"{output}: expected a file name ending in .csv or .json (or --format csv|json), "
            f"got {suffix or 'no extension'!r}"
        )
    )


def _open_store(database: Optional[str]) -> Store:
    from pressup.sessions.store import Store

    return Store(database)


def _table_store(
    database: Optional[str], sessions: list[str], analyses: list[Path]
) -> Optional[Store]:
    """The store to read, or None when only analysis folders were asked for."""
    if analyses and database is None and not sessions:
        return None
    return _open_store(database)


def _export_table(
    output: Path,
    database: Optional[str],
    sessions: list[str],
    analyses: list[Path],
    collect: Callable[[Optional[Store], Optional[list[str]], list[Path]], list[_Row]],
    write: Callable[[list[_Row], Path], object],
) -> int:
    """Collect the table's rows from the store and/or analysis folders and write them to
    ``output``; the number of rows. A :class:`~pressup.errors.PressupError` exits (:func:`fail`).
    """
    try:
        _prepare_output(output)
        store = _table_store(database, sessions, analyses)
        try:
            rows = collect(store, sessions or None, analyses)
        finally:
            if store is not None:
                store.close()
        write(rows, output)
    except PressupError as exc:
        raise fail(exc) from None
    return len(rows)


@export_app.command("sessions")
def export_sessions(
    output: Path = typer.Option(..., "--output", "-o", help="file to write (.csv or .json)"),
    fmt: Optional[TableFormat] = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    database: Optional[str] = database_option(),
    session: list[str] = typer.Option([], "--session", help=SESSION_HELP),
    analysis: list[Path] = typer.Option([], "--analysis", help=ANALYSIS_HELP),
) -> None:
    """Table of sessions: reps done/target, hold (s), peak trunk (deg), faults, pain.

    One row per stored session and per analysis folder: dates, stage, repetitions done and
    prescribed, mean/max hold in seconds, highest trunk angle in degrees, fault counts, pain
    (0-10) before and after the set.
    """
    from pressup.export.tables import collect_sessions, write_sessions_csv, write_sessions_json

    writer = write_sessions_json if _format(fmt, output) is TableFormat.json else write_sessions_csv
    n = _export_table(output, database, session, analysis, collect_sessions, writer)
    out.print(f"{output}: {n} session(s)", highlight=False)


@export_app.command("reps")
def export_reps(
    output: Path = typer.Option(..., "--output", "-o", help="file to write (.csv or .json)"),
    fmt: Optional[TableFormat] = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    database: Optional[str] = database_option(),
    session: list[str] = typer.Option([], "--session", help=SESSION_HELP),
    analysis: list[Path] = typer.Option([], "--analysis", help=ANALYSIS_HELP),
) -> None:
    """Table of repetitions: times and durations (s), angles (deg), faults, complete."""
    from pressup.export.tables import collect_reps, write_reps_csv, write_reps_json

    writer = write_reps_json if _format(fmt, output) is TableFormat.json else write_reps_csv
    n = _export_table(output, database, session, analysis, collect_reps, writer)
    out.print(f"{output}: {n} repetition(s)", highlight=False)


@export_app.command("fhir")
def export_fhir(
    session_id: str = typer.Argument(..., help="stored session id (see `pressup sessions list`)"),
    patient: str = typer.Option(
        ..., "--patient", help="pseudonymous FHIR Patient id (1-64 of A-Z a-z 0-9 - .)"
    ),
    output: Path = typer.Option(..., "--output", "-o", help="bundle file to write (.json)"),
    per_rep: bool = typer.Option(
        False, "--per-rep", help="also one trunk-extension and one hold Observation per rep"
    ),
    database: Optional[str] = database_option(),
) -> None:
    """One session as a FHIR R4 Bundle of Observations.

    Pain scores (LOINC 72514-3), peak trunk extension (deg), hold time (s) and repetitions,
    about a pseudonymous Patient whose id you give.
    """
    from pressup.export.fhir import check_id, session_bundle, write_bundle

    try:
        check_id(patient)
        _prepare_output(output)
        store = _open_store(database)
        try:
            bundle = session_bundle(store, session_id, patient, per_rep=per_rep)
        finally:
            store.close()
        write_bundle(bundle, output)
    except PressupError as exc:
        raise fail(exc) from None
    n = sum(1 for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    out.print(f"{output}: FHIR R4 bundle with {n} observation(s)", highlight=False)


@export_app.command("trc")
def export_trc(
    session_id: Optional[str] = typer.Argument(None, help="stored session id"),
    track_file: Optional[Path] = typer.Option(
        None, "--track", help="pressup track file (.npz) instead of a stored session"
    ),
    output: Path = typer.Option(..., "--output", "-o", help="marker file to write (.trc)"),
    scale: Optional[float] = typer.Option(
        None,
        "--scale-mm-per-px",
        help="millimetres per image pixel (default: estimated from the trunk, see --trunk-mm)",
    ),
    trunk_mm: float = typer.Option(
        450.0, "--trunk-mm", help="hip-to-shoulder distance in mm assumed to estimate the scale"
    ),
    min_visibility: float = typer.Option(
        0.0, "--min-visibility", help="write landmarks less visible than this (0-1) as missing"
    ),
    database: Optional[str] = database_option(),
) -> None:
    """The landmark track as an OpenSim .trc marker file (33 BlazePose markers, mm, Y up)."""
    from pressup.export.trc import write_trc
    from pressup.pose.track import load_track

    try:
        if (session_id is None) == (track_file is None):
            raise InputError("expected a stored SESSION_ID or --track FILE (exactly one)")
        _prepare_output(output)
        if track_file is not None:
            track = load_track(track_file)
        else:
            store = _open_store(database)
            try:
                track = store.load_track(str(session_id))
            finally:
                store.close()
        used = write_trc(
            track,
            output,
            scale_mm_per_px=scale,
            trunk_mm=trunk_mm,
            min_visibility=min_visibility,
        )
    except PressupError as exc:
        raise fail(exc) from None
    out.print(
        f"{output}: {track.n_frames} frames, 33 markers, {used:.4g} mm per pixel", highlight=False
    )
