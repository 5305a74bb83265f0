"""Command-line interface: a thin shell over the library.

Every user error becomes one clear line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from pressup.errors import InputError, PressupError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="pressup: coach and measure the prone press-up (back extension lying face down).",
)
protocol_app = typer.Typer(no_args_is_help=True, help="Show or check a protocol file.")
models_app = typer.Typer(no_args_is_help=True, help="Pose models on this machine.")
sessions_app = typer.Typer(
    no_args_is_help=True, help="Stored sessions: list, export a track, add a recorded set."
)
app.add_typer(protocol_app, name="protocol")
app.add_typer(models_app, name="models")
app.add_typer(sessions_app, name="sessions")

err = Console(stderr=True)
out = Console()

MODEL_HELP = "pose model: full (bundled), heavy (if installed), auto (heavy when installed)"


def _fail(exc: PressupError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=exc.exit_code)


def _check_out_dir(path: Path) -> None:
    """Refuse an output folder that cannot be created because a file is in its way."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise InputError(f"{path}: cannot write output there; {p} is a file, not a folder")
            return


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
    spec_path: Optional[Path],
    model: str,
    overlay: Optional[Path],
) -> int:
    """Analyse one input into ``out_dir``; return the number of complete reps."""
    from pressup.analysis.run import analyze_track
    from pressup.pose import PoseOptions, open_track
    from pressup.protocol import load_spec
    from pressup.report import write_report

    spec = load_spec(spec_path)
    with _progress(f"pose {source.name}") as update:
        track = open_track(source, PoseOptions(model=model), update)  # type: ignore[arg-type]
    analysis = analyze_track(track, spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    analysis.write_json(out_dir / "analysis.json")
    analysis.frames.write_csv(out_dir / "frames.csv")
    (out_dir / "events.json").write_text(json.dumps(analysis.events, indent=1) + "\n")
    if track.source.backend != "trackfile":
        track.save(out_dir / "track.npz")
    write_report(analysis, out_dir / "report.html")
    if overlay is not None:
        from pressup.report.overlay import write_overlay

        if track.source.video is None or not Path(track.source.video).exists():
            raise PressupError(f"--overlay needs the source video; {source} has none")
        with _progress("overlay") as update:
            write_overlay(Path(track.source.video), track, analysis, overlay, update)  # type: ignore[arg-type]
    return analysis.rep_count


@app.command()
def analyze(
    inputs: list[Path] = typer.Argument(..., help="videos or pressup track files (.npz)"),
    out_dir: Path = typer.Option(..., "--out", "-o", help="output folder"),
    protocol: Optional[Path] = typer.Option(None, "--protocol", help="protocol TOML file"),
    model: str = typer.Option("full", "--model", help=MODEL_HELP),
    overlay: Optional[Path] = typer.Option(
        None, "--overlay", help="also write the video with skeleton, phase, reps and hold timer"
    ),
) -> None:
    """Analyse press-up videos: reps, holds, angles, form faults, and a report.

    One input writes into OUT; several write into OUT/<name>/ each, and a failure on one input
    is recorded in OUT/<name>/error.json without stopping the others.
    """
    try:
        _check_out_dir(out_dir)
    except PressupError as exc:
        raise _fail(exc) from None
    if len(inputs) == 1:
        try:
            n = _analyze_one(inputs[0], out_dir, protocol, model, overlay)
        except PressupError as exc:
            raise _fail(exc) from None
        out.print(
            f"{inputs[0].name}: {n} complete press-up(s); report in {out_dir / 'report.html'}"
        )
        return
    if overlay is not None:
        raise _fail(PressupError("--overlay works with one input at a time"))
    failed = 0
    for src in inputs:
        d = out_dir / src.stem
        try:
            n = _analyze_one(src, d, protocol, model, None)
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


@app.command()
def track(
    video: Path = typer.Argument(..., help="video file"),
    output: Path = typer.Option(..., "--output", "-o", help="track file to write (.npz)"),
    model: str = typer.Option("full", "--model", help=MODEL_HELP),
) -> None:
    """Run pose estimation on a video and save the landmark track (replayable without video)."""
    from pressup.pose import PoseOptions, open_track

    try:
        _check_out_dir(output.parent)
        with _progress(f"pose {video.name}") as update:
            t = open_track(video, PoseOptions(model=model), update)  # type: ignore[arg-type]
        p = t.save(output)
    except PressupError as exc:
        raise _fail(exc) from None
    seen = float(t.person_found.mean()) if t.n_frames else 0.0
    out.print(f"{p}: {t.n_frames} frames, person found in {seen:.0%}, model {t.source.model}")


@app.command()
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
        raise _fail(exc) from None
    summary = summarise(scores)
    text = format_table(scores, summary) + "\n\n" + format_details(summary)
    sys.stdout.write(text + "\n")
    if markdown is not None:
        markdown.write_text(text + "\n")


@app.command("evaluate-corpus")
def evaluate_corpus(
    corpus_dir: Path = typer.Argument(..., help="rendered corpus (scenarios/, tracks/, truth/)"),
    out_dir: Path = typer.Option(
        Path("out/corpus-eval"), "--out", "-o", help="folder of the per-clip analyses"
    ),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="also write the matrix here"),
    split: str = typer.Option("all", "--split", help="dev, eval or all"),
    protocol: Optional[Path] = typer.Option(None, "--protocol", help="protocol TOML file"),
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
        raise _fail(exc) from None
    text = format_matrix(results)
    sys.stdout.write(text)
    if markdown is not None:
        markdown.write_text(text)


@app.command()
def demo(
    out_dir: Path = typer.Option(Path("pressup-demo"), "--out", "-o", help="output folder"),
) -> None:
    """Analyse a generated session (3 press-ups with known faults) and write its report."""
    from pressup.analysis.run import analyze_track
    from pressup.protocol import load_spec
    from pressup.report import write_report
    from pressup.synthetic import demo_session

    try:
        _check_out_dir(out_dir)
    except PressupError as exc:
        raise _fail(exc) from None
    track, truth = demo_session()
    out_dir.mkdir(parents=True, exist_ok=True)
    track.save(out_dir / "track.npz")
    analysis = analyze_track(track, load_spec())
    analysis.write_json(out_dir / "analysis.json")
    analysis.frames.write_csv(out_dir / "frames.csv")
    write_report(analysis, out_dir / "report.html")
    out.print(
        f"demo session: {analysis.rep_count} complete press-ups found "
        f"(script: {truth.rep_count}); report in {out_dir / 'report.html'}"
    )


@app.command()
def coach(
    port: int = typer.Option(0, "--port", help="TCP port (default: a free one)"),
    host: str = typer.Option("127.0.0.1", "--host", help="interface to bind (keep 127.0.0.1)"),
    no_browser: bool = typer.Option(False, "--no-browser", help="do not open the page"),
    database: Optional[str] = typer.Option(
        None, "--database", help="SQLAlchemy URL of the session store (default: user data folder)"
    ),
    protocol: Optional[Path] = typer.Option(None, "--protocol", help="protocol TOML file"),
) -> None:
    """Start the live coach: a local web page that guides a set by voice, using the camera."""
    import socket
    import webbrowser

    import uvicorn

    from pressup.storage import Store
    from pressup.web.app import create_app
    from pressup.web.settings import Settings

    settings = Settings(host=host, port=port, protocol_path=protocol)
    if database:
        settings.database_url = database
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"[yellow]warning:[/] listening on {host}: other machines on the network can reach "
            "the coach (the page token still guards it)"
        )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise _fail(PressupError(f"cannot listen on {host}:{port}: {exc}")) from None
    settings.port = sock.getsockname()[1]
    try:
        store = Store(settings.database_url)
        app_ = create_app(settings, store=store)
    except PressupError as exc:
        raise _fail(exc) from None
    if settings.pose_assets_dir is None:
        err.print(
            "[yellow]warning:[/] the pose runtime (@mediapipe/pose) is not installed; run "
            "`make demo` or `npm ci --prefix web` first"
        )
    url = settings.page_url()
    out.print(f"pressup coach: open {url}")
    if not no_browser:
        webbrowser.open(url)
    config = uvicorn.Config(app_, log_level="warning", ws_max_size=1 << 17)
    uvicorn.Server(config).run(sockets=[sock])


DB_HELP = (
    "SQLAlchemy URL of the session store (default: PRESSUP_DATABASE_URL or the user data folder)"
)


@sessions_app.command("list")
def sessions_list(database: Optional[str] = typer.Option(None, "--database", help=DB_HELP)) -> None:
    """List stored sessions, newest first."""
    from pressup.storage import Store

    try:
        store = Store(database)
        rows = store.list_sessions()
    except PressupError as exc:
        raise _fail(exc) from None
    for r in rows:
        out.print(
            f"{r.id}  {r.created_at:%Y-%m-%d %H:%M}  {r.stage:<11}  "
            f"{r.reps_done}/{r.target_reps} reps",
            highlight=False,
        )
    if not rows:
        out.print("no sessions stored yet")


@sessions_app.command("track")
def sessions_track(
    session_id: str = typer.Argument(..., help="session id (see `pressup sessions list`)"),
    output: Path = typer.Option(..., "--output", "-o", help="track file to write (.npz)"),
    database: Optional[str] = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Export a stored session's landmark track; `pressup analyze` re-analyses it."""
    from pressup.storage import Store

    try:
        track = Store(database).load_track(session_id)
        p = track.save(output)
    except PressupError as exc:
        raise _fail(exc) from None
    out.print(f"{p}: {track.n_frames} frames; analyse with `pressup analyze {p} --out DIR`")


@protocol_app.command("show")
def protocol_show() -> None:
    """Print the default protocol file (copy it to adjust the dose and thresholds)."""
    from pressup.protocol import default_spec_text

    sys.stdout.write(default_spec_text())


@protocol_app.command("check")
def protocol_check(path: Path = typer.Argument(..., help="protocol TOML file")) -> None:
    """Validate a protocol file and print the dose it prescribes."""
    from pressup.protocol import load_spec

    try:
        spec = load_spec(path)
    except PressupError as exc:
        raise _fail(exc) from None
    out.print(json.dumps(spec.summary()))


@models_app.command("list")
def models_list() -> None:
    """Show which pose models are installed."""
    from pressup.pose.mediapipe_backend import model_installed

    for m in ("lite", "full", "heavy"):
        out.print(f"{m}: {'installed' if model_installed(m) else 'not installed'}")


@models_app.command("install-heavy")
def models_install_heavy(
    source: Optional[Path] = typer.Option(None, "--from", help="pose_landmark_heavy.tflite"),
) -> None:
    """Copy the heavy model from a local file (e.g. the npm package @mediapipe/pose)."""
    from pressup.pose.mediapipe_backend import install_heavy_model

    try:
        p = install_heavy_model(source)
    except PressupError as exc:
        raise _fail(exc) from None
    out.print(f"heavy model installed: {p}")


def _register_subcommands() -> None:
    from pressup.export.cli import export_app
    from pressup.report.history_cli import history_app
    from pressup.safety.cli import add_session
    from pressup.safety.cli import register as register_safety

    register_safety(app)
    sessions_app.command("add")(add_session)
    app.add_typer(export_app, name="export")
    app.add_typer(history_app, name="history")


_register_subcommands()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
