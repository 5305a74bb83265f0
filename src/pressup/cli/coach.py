"""``pressup coach``: the live coach, a local web page served by uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from pressup.cli.common import database_option, err, fail, out, protocol_option
from pressup.errors import PressupError


def register(app: typer.Typer) -> None:
    """Add ``coach`` to ``app``."""
    app.command()(coach)


def coach(
    port: int = typer.Option(0, "--port", help="TCP port (default: a free one)"),
    host: str = typer.Option("127.0.0.1", "--host", help="interface to bind (keep 127.0.0.1)"),
    no_browser: bool = typer.Option(False, "--no-browser", help="do not open the page"),
    database: Optional[str] = database_option(),
    protocol: Optional[Path] = protocol_option(),
) -> None:
    """Start the live coach: a local web page that guides a set by voice, using the camera."""
    import socket
    import webbrowser

    import uvicorn

    from pressup.sessions.store import Store
    from pressup.web.app import WS_MAX_SIZE, create_app
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
        raise fail(PressupError(f"cannot listen on {host}:{port}: {exc}")) from None
    settings.port = sock.getsockname()[1]
    try:
        store = Store(settings.database_url)
        app_ = create_app(settings, store=store)
    except PressupError as exc:
        raise fail(exc) from None
    if settings.pose_assets_dir is None:
        err.print(
            "[yellow]warning:[/] the pose runtime (@mediapipe/pose) is not installed; run "
            "`make demo` or `npm ci --prefix web` first"
        )
    url = settings.page_url()
    out.print(f"pressup coach: open {url}")
    if not no_browser:
        webbrowser.open(url)
    config = uvicorn.Config(app_, log_level="warning", ws_max_size=WS_MAX_SIZE)
    uvicorn.Server(config).run(sockets=[sock])
