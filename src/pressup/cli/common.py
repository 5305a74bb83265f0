"""What every command shares: the consoles, the ``--database`` and ``--protocol`` options, and
the one mapping from a :class:`~pressup.errors.PressupError` to its line on stderr and exit code.

Exit codes (:mod:`pressup.errors`): 1 any other pressup error, 2 bad input, 3 no person found,
4 camera view cannot be judged, 5 bad protocol file, 6 pose model or backend not installed,
7 session store cannot be opened or a stored record is missing.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from rich.console import Console

from pressup.errors import PressupError

err = Console(stderr=True)
out = Console()

DB_HELP = (
    "SQLAlchemy URL of the session store (default: PRESSUP_DATABASE_URL or the user data folder)"
)
PROTOCOL_HELP = "protocol TOML file"


def database_option() -> Any:
    """``--database URL``: the session store (default: ``$PRESSUP_DATABASE_URL`` or the user
    data folder)."""
    return typer.Option(None, "--database", help=DB_HELP)


def protocol_option(help: str = PROTOCOL_HELP) -> Any:
    """``--protocol FILE``: the protocol TOML file (default: the bundled one)."""
    return typer.Option(None, "--protocol", help=help)


def say(text: str = "", style: str | None = None) -> None:
    """One message on stdout, as written (no highlighting, no hard wrapping)."""
    out.print(text, style=style, highlight=False, soft_wrap=True)


def fail(exc: PressupError) -> typer.Exit:
    """Print ``exc`` as one line on stderr; the exit to raise, with the error's exit code.

    Use as ``raise fail(exc) from None`` so that no traceback is shown.
    """
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=exc.exit_code)


__all__ = [
    "DB_HELP",
    "PROTOCOL_HELP",
    "database_option",
    "err",
    "fail",
    "out",
    "protocol_option",
    "say",
]


_quieted = False


def quiet_native_logs() -> None:
    """Keep the native libraries' log lines (MediaPipe's glog, TensorFlow Lite, FFmpeg decoder
    messages) off the terminal, while pressup's own messages still reach it.

    The native code writes to file descriptor 2 directly, so descriptor 2 is pointed at the null
    device and Python's ``sys.stderr`` (the consoles, typer's errors) at a copy of the real one.
    Also sets the libraries' own log levels for the parts that honour them. Idempotent.
    """
    global _quieted
    if _quieted:
        return
    _quieted = True
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    try:
        if sys.stderr.fileno() != 2:
            return  # stderr is not the process's own (a test runner captures it): leave it
    except (AttributeError, OSError, ValueError):
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
    except OSError:
        return  # no descriptor 2 to redirect (embedded use): leave things as they are
    sys.stderr = os.fdopen(real, "w", buffering=1, encoding="utf-8", errors="replace")
