"""``pressup batch``: many videos at once, on Ray, into one results table.

Heavy modules (Ray, pyarrow, the pose layer) are imported inside the command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pressup.cli.common import err, fail, out, protocol_option
from pressup.errors import InputError, PressupError

if TYPE_CHECKING:
    from pressup.batch.run import BatchOptions, BatchResult
    from pressup.batch.run import Progress as BatchProgress
    from pressup.protocol import ProtocolSpec

RUNNERS = ("ray", "local")


def register(app: typer.Typer) -> None:
    """Add ``batch`` to ``app``."""
    app.command()(batch)


def batch(
    inputs: list[str] = typer.Argument(
        None, help="videos, folders (searched at any depth) or glob patterns ('clinic/**/*.mp4')"
    ),
    out_dir: Path = typer.Option(..., "--out", "-o", help="output folder (also the resume state)"),
    list_file: list[Path] = typer.Option(
        [], "--list", help="a text file of inputs, one per line (repeatable)"
    ),
    protocol: Optional[Path] = protocol_option(),
    model: str = typer.Option("full", "--model", help="pose model: full, heavy or auto"),
    adaptive: bool = typer.Option(
        False,
        "--adaptive/--every-frame",
        help="--adaptive: run the pose model only where movement needs it and interpolate "
        "the still stretches (1.5 to 3.1 times less CPU on the clips measured, about 1.3 at "
        "15 frames/s; the frames it poses get the every-frame landmarks, see docs/bulk.md); "
        "default --every-frame, what pressup's accuracy is published with",
    ),
    runner: str = typer.Option("ray", "--runner", help="ray (default) or local (one by one here)"),
    ray_address: Optional[str] = typer.Option(
        None,
        "--ray-address",
        envvar="RAY_ADDRESS",
        help="Ray cluster to join (default: RAY_ADDRESS, else a local Ray on every core)",
    ),
    workers: Optional[int] = typer.Option(
        None, "--workers", min=1, help="local Ray only: videos at once (default: every core)"
    ),
) -> None:
    """Analyse many press-up videos into one table of sessions and repetitions.

    Each video gets its own folder under OUT/videos/ (as `pressup analyze` writes it); OUT
    gets sessions.parquet/.csv and reps.parquet/.csv with one row per video (failed ones with
    their reason) and per repetition. Re-running skips the videos already done with the same
    content and protocol; a killed run loses only the videos in flight.
    """
    from pressup.batch.run import BatchOptions

    videos, spec = _videos_and_spec(
        inputs or [], list_file, out_dir, protocol, runner, ray_address, workers
    )
    options = BatchOptions(
        model=model,
        adaptive=adaptive,
        runner=runner,
        ray_address=ray_address,
        workers=workers,
    )
    result = _run_with_progress(videos, out_dir, spec, options)
    _summary(result.records, result.tables)
    if any(r["status"] in ("error", "crashed") for r in result.records):
        raise typer.Exit(code=1)


def _check_options(
    inputs: list[str],
    list_file: list[Path],
    out_dir: Path,
    runner: str,
    ray_address: Optional[str],
    workers: Optional[int],
) -> None:
    """Refuse a runner, ``--workers`` without a local Ray, no inputs, or an output that is a file.

    Raises:
        InputError: one of those.
    """
    if runner not in RUNNERS:
        raise InputError(f"--runner: expected ray or local, got {runner!r}")
    if workers is not None and (ray_address or runner != "ray"):
        raise InputError("--workers: only for a local Ray (no --ray-address, --runner ray)")
    if not inputs and not list_file:
        raise InputError("expected videos, folders, patterns or --list FILE; got none")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: cannot write output there; it is a file, not a folder")


def _videos_and_spec(
    inputs: list[str],
    list_file: list[Path],
    out_dir: Path,
    protocol: Optional[Path],
    runner: str,
    ray_address: Optional[str],
    workers: Optional[int],
) -> tuple[list[Path], ProtocolSpec]:
    """The videos the arguments name and the protocol to score them with, once the options
    are checked (:func:`_check_options`); a mistake ends the command with its message."""
    from pressup.batch.inputs import expand_inputs
    from pressup.protocol import load_spec

    try:
        _check_options(inputs, list_file, out_dir, runner, ray_address, workers)
        videos = expand_inputs(inputs, list_file)
        if not videos:
            raise InputError("no video found in the inputs given")
        spec = load_spec(protocol)
    except PressupError as exc:
        raise fail(exc) from None
    return videos, spec


def _progress_bar() -> Progress:
    """The bar on stderr: videos done of all, rates, time taken and time left."""
    return Progress(
        TextColumn("[bold]batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("videos"),
        TextColumn("{task.fields[rates]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
    )


def _reporter(bar: Progress, task: TaskID) -> Callable[[BatchProgress], None]:
    """A progress callback for :func:`~pressup.batch.run.run_batch` that moves ``task`` on
    ``bar`` (rates in videos/s, videos/h and frames/s) and prints each slow-video message and
    each video that did not end ``ok``, once."""
    told: set[int] = set()  # records already reported (by id: one line each)

    def update(p: BatchProgress) -> None:
        bar.update(
            task,
            completed=p.done,
            rates=f"{p.videos_per_s:.3f} videos/s ({p.videos_per_s * 3600:.0f}/h) "
            f"{p.frames_per_s:6.1f} frames/s",
        )
        for message in p.messages:
            bar.console.print(f"[yellow]slow:[/] {message}", highlight=False)
        last = p.last
        if last is not None and last["status"] != "ok" and id(last) not in told:
            told.add(id(last))
            bar.console.print(
                f"[red]{last['status']}:[/] {last['video']}: {last['reason']}",
                highlight=False,
                soft_wrap=True,
            )

    return update


def _run_with_progress(
    videos: list[Path], out_dir: Path, spec: ProtocolSpec, options: BatchOptions
) -> BatchResult:
    """:func:`~pressup.batch.run.run_batch` under a progress bar; a failure of the batch as a
    whole ends the command with its message."""
    from pressup.batch.run import run_batch

    with _progress_bar() as bar:
        task = bar.add_task("batch", total=len(videos), rates="")
        try:
            return run_batch(videos, out_dir, spec, options, _reporter(bar, task))
        except PressupError as exc:
            raise fail(exc) from None


def _summary(records: list[dict[str, Any]], tables: dict[str, Path]) -> None:
    counts = {
        s: sum(r["status"] == s for r in records) for s in ("ok", "failed", "error", "crashed")
    }
    reused = sum(bool(r.get("reused")) for r in records)
    said = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    out.print(
        f"{len(records)} video(s): {said}; {reused} reused from an earlier run",
        highlight=False,
    )
    if "sessions.parquet" in tables:
        out.print(
            f"tables: {tables['sessions.parquet'].parent}/{{sessions,reps}}.{{parquet,csv}}",
            highlight=False,
        )
