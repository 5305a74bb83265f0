"""``pressup analyze``, ``track``, ``evaluate``, ``evaluate-corpus`` and ``demo``: videos and
track files in, analyses and reports out.

Heavy modules (pose, analysis, report) are imported inside the commands.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from pressup.cli.common import database_option, err, fail, out, protocol_option
from pressup.errors import InputError, NoPersonError, PressupError

if TYPE_CHECKING:
    from pressup.protocol.spec import ProtocolSpec
    from pressup.sessions.plan import PlannedDose

TRACKING_HELP = (
    "how the pose model's crop follows the person: keyframes (pressup's, the same landmarks "
    "with or without adaptive sampling; the published accuracy) or mediapipe (MediaPipe's "
    "own, frame to frame)"
)
MODEL_HELP = "pose model: full (bundled), heavy (if installed), auto (heavy when installed)"
PLAN_HELP = (
    "judge against today's plan for the person of the session store (--database): a "
    "clinician's prescription, else pressup's progression, the dose `pressup progress` shows; "
    "without it, against the protocol file's [dose]"
)


def register(app: typer.Typer) -> None:
    """Add ``analyze``, ``track``, ``evaluate``, ``evaluate-corpus`` and ``demo`` to ``app``."""
    app.command()(analyze)
    app.command()(track)
    app.command()(evaluate)
    app.command("evaluate-corpus")(evaluate_corpus)
    app.command()(demo)


#: The pose models ``--model`` accepts (whether one is installed is checked when it is used).
POSE_MODELS = ("auto", "full", "heavy", "lite")


def _check_out_dir(path: Path) -> None:
    """Refuse an output folder that cannot be created or written, before any work."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise InputError(f"{path}: cannot write output there; {p} is a file, not a folder")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{path}: expected a folder that can be created, got {exc.strerror or exc}"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"{path}: expected a folder that can be written, got a read-only one")


def _check_model(model: str) -> None:
    """Refuse an unknown ``--model`` name (bad input, exit 2) before any work."""
    if model not in POSE_MODELS:
        raise InputError(f"--model: expected one of {', '.join(POSE_MODELS)}, got {model!r}")


def _check_tracking(tracking: str, adaptive: bool = False) -> None:
    """Refuse an unknown ``--tracking`` name, or MediaPipe's own tracking with adaptive
    sampling (bad input, exit 2) before any work."""
    from pressup.pose.backends import TRACKING_MODES

    if tracking not in TRACKING_MODES:
        raise InputError(
            f"--tracking: expected one of {', '.join(TRACKING_MODES)}, got {tracking!r}"
        )
    if adaptive and tracking == "mediapipe":
        raise InputError(
            "--tracking mediapipe: works with --every-frame only (adaptive sampling carries "
            "the crop from keyframe to keyframe)"
        )


@contextmanager
def _progress(label: str) -> Iterator[object]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} frames"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as prog:
        task = prog.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total or None)

        yield update


def _analyze_one(
    source: Path,
    out_dir: Path,
    spec: ProtocolSpec,
    planned: PlannedDose | None,
    model: str,
    overlay: Optional[Path],
    tracking: str = "keyframes",
    adaptive: bool = False,
) -> int:
    """Analyse one input into ``out_dir``; return the number of complete reps.

    Judged against ``planned`` set into ``spec`` when given, else against ``spec``'s dose.
    """
    from pressup.report.folder import analyze_source, write_analysis_folder

    if overlay is not None and source.suffix.lower() == ".npz":  # before any work
        raise InputError(f"--overlay needs the source video; {source} is a track file")
    with _progress(f"pose {source.name}") as update:
        track, analysis = analyze_source(
            source,
            spec,
            planned,
            model=model,
            adaptive=adaptive,
            tracking=tracking,
            progress=update,  # type: ignore[arg-type]
        )  # type: ignore[arg-type]
    if overlay is not None and (
        track.source.video is None or not Path(track.source.video).exists()
    ):
        raise InputError(f"--overlay needs the source video; {source} has none")
    for warning in analysis.view.get("warnings") or ():
        err.print(f"[yellow]{source.name}:[/] {warning}", highlight=False, soft_wrap=True)
    _check_tracked(source, track.n_frames, track.source.rotation_deg, analysis.view)
    try:
        write_analysis_folder(track, analysis, out_dir)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write the analysis there: {exc}") from None
    if overlay is not None:
        from pressup.report.overlay import write_overlay

        with _progress("overlay") as update:
            write_overlay(Path(track.source.video), track, analysis, overlay, update)  # type: ignore[arg-type]
    return analysis.rep_count


def _check_tracked(source: Path, n_frames: int, rotation_deg: float, view: dict[str, Any]) -> None:
    """Refuse an analysis in which no frame could be judged: "0 press-ups" would be a false
    answer. The usual cause is a video played sideways (filmed in portrait, its rotation not
    recorded), in which the person seems to stand rather than lie.

    Raises:
        NoPersonError: not one frame shows a person lying on the floor, side-on.
    """
    if n_frames == 0 or float(view.get("tracked_fraction") or 0.0) > 0.0:
        return
    raise NoPersonError(
        f"{source}: expected a person lying face down, filmed from the side, in some of the "
        f"{n_frames} frames, found none that could be judged (rotation recorded in the file: "
        f"{rotation_deg:g} degrees); the video may be rotated: turn it upright so that the floor "
        "runs across the picture, or film again from the side"
    )


def _dose(
    protocol: Optional[Path], plan: bool, database: Optional[str]
) -> tuple[ProtocolSpec, PlannedDose | None]:
    """The protocol, and today's planned dose when ``--plan`` asks for it (nothing stored)."""
    from pressup.protocol import load_spec

    spec = load_spec(protocol)
    if not plan:
        if database is not None:
            raise InputError(
                "--database: only used with --plan (judge against today's plan of the person "
                "in that session store)"
            )
        return spec, None
    from pressup.sessions.plan import todays_dose
    from pressup.sessions.store import Store

    with Store(database) as store:
        return spec, todays_dose(store, spec, save=False)


def analyze(
    inputs: list[Path] = typer.Argument(..., help="videos or pressup track files (.npz)"),
    out_dir: Path = typer.Option(..., "--out", "-o", help="output folder"),
    protocol: Optional[Path] = protocol_option(),
    plan: bool = typer.Option(False, "--plan", help=PLAN_HELP),
    database: Optional[str] = database_option(),
    model: str = typer.Option("full", "--model", help=MODEL_HELP),
    tracking: str = typer.Option("keyframes", "--tracking", help=TRACKING_HELP),
    adaptive: bool = typer.Option(
        False,
        "--adaptive/--every-frame",
        help="--adaptive: run the pose model only where movement needs it and interpolate the "
        "still stretches (faster; the same answers as every frame on most videos, see "
        "docs/bulk.md); default --every-frame, what pressup's accuracy is published with",
    ),
    overlay: Optional[Path] = typer.Option(
        None,
        "--overlay",
        help="also write the video with skeleton, phase, reps and hold timer (a .webm file)",
    ),
) -> None:
    """Analyse press-up videos: reps, holds, angles, form faults, and a report.

    Judged against the protocol file's dose, or with --plan against today's plan for the
    person (the dose `pressup progress` shows); analysis.json and the report say which.
    One input writes into OUT; several write into OUT/<name>/ each, and a failure on one input
    is recorded in OUT/<name>/error.json without stopping the others.
    """
    try:
        _check_model(model)
        _check_tracking(tracking, adaptive)
        spec, planned = _dose(protocol, plan, database)  # a bad protocol creates no folder
        _check_out_dir(out_dir)
        if overlay is not None:
            from pressup.report.overlay import check_overlay_path

            check_overlay_path(overlay)  # before the analysis, not after it
    except PressupError as exc:
        raise fail(exc) from None
    if planned is not None:
        from pressup.vocab import posture_of
        from pressup.wording import dose_sentence

        said = dose_sentence(
            planned.source, planned.reps, planned.hold_s, posture_of(planned.variant)
        )
        out.print(said, highlight=False, soft_wrap=True)
    if len(inputs) == 1:
        try:
            n = _analyze_one(inputs[0], out_dir, spec, planned, model, overlay, tracking, adaptive)
        except PressupError as exc:
            raise fail(exc) from None
        out.print(
            f"{inputs[0].name}: {n} complete press-up(s); report in {out_dir / 'report.html'}"
        )
        return
    if overlay is not None:
        raise fail(PressupError("--overlay works with one input at a time"))
    failed = 0
    for src in inputs:
        d = out_dir / src.stem
        try:
            n = _analyze_one(src, d, spec, planned, model, None, tracking, adaptive)
            (d / "error.json").unlink(missing_ok=True)
            out.print(f"{src.name}: {n} complete press-up(s)")
        except PressupError as exc:
            failed += 1
            d.mkdir(parents=True, exist_ok=True)
            (d / "error.json").write_text(
                json.dumps({"input": str(src), "error": type(exc).__name__, "message": str(exc)})
                + "\n"
            )
            err.print(f"[red]{src.name}:[/] {exc}", highlight=False, soft_wrap=True)
    if failed:
        err.print(f"{failed} of {len(inputs)} input(s) could not be analysed")
        raise typer.Exit(code=1)


def track(
    video: Path = typer.Argument(..., help="video file"),
    output: Path = typer.Option(..., "--output", "-o", help="track file to write (.npz)"),
    model: str = typer.Option("full", "--model", help=MODEL_HELP),
    tracking: str = typer.Option("keyframes", "--tracking", help=TRACKING_HELP),
) -> None:
    """Run pose estimation on a video and save the landmark track (replayable without video)."""
    from pressup.pose import PoseOptions, open_track

    try:
        _check_model(model)
        _check_tracking(tracking)
        _check_out_dir(output.parent)
        with _progress(f"pose {video.name}") as update:
            t = open_track(video, PoseOptions(model=model, tracking=tracking), update)  # type: ignore[arg-type]
        p = t.save(output)
    except PressupError as exc:
        raise fail(exc) from None
    seen = float(t.person_found.mean()) if t.n_frames else 0.0
    out.print(f"{p}: {t.n_frames} frames, person found in {seen:.0%}, model {t.source.model}")


def evaluate(
    predictions: Path = typer.Argument(..., help="folder of analyses (one sub-folder per clip)"),
    labels: list[Path] = typer.Argument(..., help="ground-truth files or folders"),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="also write the tables here"),
) -> None:
    """Score analyses against ground truth (hand labels or rendered-session truth)."""
    from pressup.evaluation import evaluate as run_eval
    from pressup.evaluation import format_details, format_table, summarise

    try:
        scores = run_eval(predictions, labels)
    except PressupError as exc:
        raise fail(exc) from None
    summary = summarise(scores)
    text = format_table(scores, summary) + "\n\n" + format_details(summary)
    sys.stdout.write(text + "\n")
    if markdown is not None:
        markdown.write_text(text + "\n")


def evaluate_corpus(
    corpus_dir: Path = typer.Argument(..., help="rendered corpus (scenarios/, tracks/, truth/)"),
    out_dir: Path = typer.Option(
        Path("out/corpus-eval"), "--out", "-o", help="folder of the per-clip analyses"
    ),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="also write the matrix here"),
    split: str = typer.Option("all", "--split", help="dev, eval or all"),
    protocol: Optional[Path] = protocol_option(),
) -> None:
    """Analyse every complete clip of a rendered corpus and print the accuracy matrix."""
    from pressup.evaluation.corpus import SPLITS, evaluate_corpus, format_matrix, load_corpus
    from pressup.protocol import load_spec

    try:
        if split not in (*SPLITS, "all"):
            raise InputError(f"--split: expected dev, eval or all, got {split!r}")
        _check_out_dir(out_dir)
        spec = load_spec(protocol)
        names = [c.name for c in load_corpus(corpus_dir) if split in ("all", c.split)]
        if not names:
            raise InputError(
                f"{corpus_dir}: expected complete clips (a track and a truth file) in split "
                f"{split!r}, found none"
            )
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} clips"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as prog:
            task = prog.add_task("corpus", total=len(names))

            def update(done: int, total: int, name: str) -> None:
                prog.update(task, completed=done, total=total, description=name)

            results = evaluate_corpus(corpus_dir, spec, out_dir, names, update)
    except PressupError as exc:
        raise fail(exc) from None
    text = format_matrix(results)
    sys.stdout.write(text)
    if markdown is not None:
        markdown.write_text(text)


def demo(
    out_dir: Path = typer.Option(Path("pressup-demo"), "--out", "-o", help="output folder"),
) -> None:
    """Analyse a generated session (3 press-ups with known faults) and write its report."""
    from pressup.analysis.io import write_folder
    from pressup.analysis.run import analyze_track
    from pressup.protocol import load_spec
    from pressup.report import write_report
    from pressup.synthetic import demo_session

    try:
        _check_out_dir(out_dir)
    except PressupError as exc:
        raise fail(exc) from None
    track, truth = demo_session()
    analysis = analyze_track(track, load_spec())
    write_folder(analysis, out_dir, track, events=False, report=write_report)
    out.print(
        f"demo session: {analysis.rep_count} complete press-ups found "
        f"(script: {truth.rep_count}); report in {out_dir / 'report.html'}"
    )
