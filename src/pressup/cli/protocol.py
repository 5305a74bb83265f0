"""``pressup protocol show`` and ``check``: the protocol file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from pressup.cli.common import fail, out
from pressup.errors import PressupError

protocol_app = typer.Typer(no_args_is_help=True, help="Show or check a protocol file.")


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
        raise fail(exc) from None
    out.print(json.dumps(spec.summary()))
