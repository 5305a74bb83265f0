"""``pressup models list`` and ``install-heavy``: the pose models on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from pressup.cli.common import fail, out
from pressup.errors import PressupError

models_app = typer.Typer(no_args_is_help=True, help="Pose models on this machine.")


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
        raise fail(exc) from None
    out.print(f"heavy model installed: {p}")
