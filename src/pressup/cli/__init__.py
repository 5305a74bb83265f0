"""Command-line interface: a thin shell over the library (the entry point ``pressup``).

Every user error becomes one clear line on stderr and a non-zero exit code, never a traceback
(:func:`pressup.cli.common.fail`). One module per command group:

* :mod:`pressup.cli.common` - the consoles, ``--database`` and ``--protocol``, ``fail``;
* :mod:`pressup.cli.analyze` - ``analyze``, ``track``, ``evaluate``, ``evaluate-corpus``, ``demo``;
* :mod:`pressup.cli.batch` - ``batch``;
* :mod:`pressup.cli.coach` - ``coach``;
* :mod:`pressup.cli.serve` - ``serve`` (the clinic), ``db upgrade|current``, ``accounts add-admin``;
* :mod:`pressup.cli.safety` - ``screen``, ``progress``;
* :mod:`pressup.cli.protocol` - ``protocol show|check``;
* :mod:`pressup.cli.models` - ``models list|install-heavy``;
* :mod:`pressup.cli.sessions` - ``sessions list|track|add``;
* :mod:`pressup.cli.export` - ``export sessions|reps|fhir|trc``;
* :mod:`pressup.cli.history` - ``history`` and ``history report``.
"""

from __future__ import annotations

import typer

from pressup.cli import analyze, batch, coach, safety, serve
from pressup.cli.common import quiet_native_logs
from pressup.cli.export import export_app
from pressup.cli.history import history_app
from pressup.cli.models import models_app
from pressup.cli.protocol import protocol_app
from pressup.cli.sessions import sessions_app

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="pressup: coach and measure the prone press-up (back extension lying face down).",
)


@app.callback()
def _options(
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="also show the native libraries' own log lines (MediaPipe, TensorFlow Lite, FFmpeg)",
    ),
) -> None:
    """Options for every command."""
    if not verbose:
        quiet_native_logs()


analyze.register(app)
batch.register(app)
coach.register(app)
safety.register(app)
serve.register(app)
app.add_typer(protocol_app, name="protocol")
app.add_typer(models_app, name="models")
app.add_typer(sessions_app, name="sessions")
app.add_typer(export_app, name="export")
app.add_typer(history_app, name="history")


def main() -> None:  # pragma: no cover
    app()


__all__ = ["app", "main"]
