"""What every command shares: the consoles, the ``--database`` and ``--protocol`` options, and
the one mapping from a :class:`~pressup.errors.PressupError` to its line on stderr and exit code.

Exit codes (:mod:`pressup.errors`): 1 any other pressup error, 2 bad input, 3 no person found,
4 camera view cannot be judged, 5 bad protocol file, 6 pose model or backend not installed,
7 session store cannot be opened or a stored record is missing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from pressup.errors import PressupError, StorageError

err = Console(stderr=True)
out = Console()

DB_HELP = (
    "SQLAlchemy URL of the session store (default: PRESSUP_DATABASE_URL or the user data folder)"
)
PROTOCOL_HELP = "protocol TOML file"


def database_option(*, create: bool = False) -> Any:
    """``--database URL``: the session store (default: ``$PRESSUP_DATABASE_URL`` or the user
    data folder).

    A SQLite file named with ``--database`` must exist, so that a typo does not silently read
    an empty new database (exit 7, the message names the path); a command that records
    (``create=True``: ``coach``, ``screen``, ``sessions add``, ``progress``) creates it and says
    so on stderr. The default database is created on first use, as before.
    """
    return typer.Option(
        None,
        "--database",
        help=DB_HELP + ("; a new SQLite file is created" if create else "; must exist"),
        callback=_new_database_created if create else _existing_database,
    )


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL, or ``None`` (another database, or in memory)."""
    if not url.startswith("sqlite:///"):
        return None
    name = url[len("sqlite:///") :].split("?", 1)[0]
    return Path(name) if name and name != ":memory:" else None


def _existing_database(value: Optional[str]) -> Optional[str]:
    path = sqlite_file(value) if value else None
    if path is not None and not path.exists():
        raise fail(
            StorageError(
                f"--database {value}: expected an existing pressup database, found no file at "
                f"{path} (check the path; `pressup coach`, `screen`, `sessions add` and "
                "`progress` create a new one)"
            )
        )
    return value


def _new_database_created(value: Optional[str]) -> Optional[str]:
    path = sqlite_file(value) if value else None
    if path is not None and not path.exists():
        err.print(f"new database created at {path}", highlight=False, soft_wrap=True)
    return value


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
    "sqlite_file",
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
