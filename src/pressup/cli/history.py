"""``pressup history``: the history and progress page, and the report of one stored session.

* ``pressup history [-o FILE.html] [--database URL] [--protocol FILE] [--open]`` writes the
  history page (default ``out/history.html``);
* ``pressup history report SESSION_ID -o FILE.html`` re-analyses a stored session's landmark
  frames and writes the ``pressup analyze`` report.

Every user error is one line on stderr and the exit code of its
:class:`~pressup.errors.PressupError`. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from pressup.cli.common import database_option, fail, out, protocol_option
from pressup.errors import InputError, PressupError

if TYPE_CHECKING:
    from pressup.protocol import ProtocolSpec
    from pressup.sessions.store import Store

history_app = typer.Typer(
    invoke_without_command=True,
    help="Your sessions over the weeks: a page with the table, plots and calendar.",
)

HISTORY_PROTOCOL_HELP = "protocol TOML file (dose defaults and progression rules)"
DEFAULT_OUTPUT = Path("out") / "history.html"


def _write(path: Path, text: str) -> None:
    if path.is_dir():
        raise InputError(f"{path}: is a folder; expected an output file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _write_page(
    output: Path,
    database: Optional[str],
    protocol: Optional[Path],
    render: Callable[[Store, ProtocolSpec], str],
    what: str,
    open_page: bool,
) -> None:
    """Render a page from the store and the protocol, write it to ``output`` and say so
    (``{what} written: ...``); open it in the web browser when asked. A
    :class:`~pressup.errors.PressupError` exits (:func:`fail`)."""
    from pressup.protocol import load_spec
    from pressup.sessions.store import Store

    try:
        spec = load_spec(protocol)
        store = Store(database)
        try:
            page = render(store, spec)
        finally:
            store.close()
        _write(output, page)
    except PressupError as exc:
        raise fail(exc) from None
    out.print(f"{what} written: {output}", highlight=False)
    if open_page:
        webbrowser.open(output.resolve().as_uri())


@history_app.callback()
def history(
    ctx: typer.Context,
    output: Path = typer.Option(DEFAULT_OUTPUT, "--output", "-o", help="HTML file to write"),
    database: Optional[str] = database_option(),
    protocol: Optional[Path] = protocol_option(HISTORY_PROTOCOL_HELP),
    open_page: bool = typer.Option(False, "--open", help="open the page in the web browser"),
) -> None:
    """Write the history page: sessions, progress plots and the adherence calendar."""
    ctx.obj = {"database": database, "protocol": protocol}
    if ctx.invoked_subcommand is not None:
        return
    from pressup.report.history import render_history

    _write_page(output, database, protocol, render_history, "history", open_page)


@history_app.command("report")
def history_report(
    ctx: typer.Context,
    session_id: str = typer.Argument(..., help="session id (see `pressup sessions list`)"),
    output: Path = typer.Option(..., "--output", "-o", help="HTML file to write"),
    database: Optional[str] = database_option(),
    protocol: Optional[Path] = protocol_option(HISTORY_PROTOCOL_HELP),
    open_page: bool = typer.Option(False, "--open", help="open the report in the web browser"),
) -> None:
    """Write the report of one stored session (as `pressup analyze` makes for a video)."""
    from pressup.report.history import session_report

    parent = ctx.obj if isinstance(ctx.obj, dict) else {}
    db = database if database is not None else parent.get("database")
    proto = protocol if protocol is not None else parent.get("protocol")

    def render(store: Store, spec: ProtocolSpec) -> str:
        return session_report(store, session_id, spec)

    _write_page(output, db, proto, render, "report", open_page)


__all__ = ["DEFAULT_OUTPUT", "history_app"]
