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
    port: Optional[int] = typer.Option(
        None,
        "--port",
        min=0,
        max=65_535,
        help="TCP port (0: any free one; default: the one used last time with this database, "
        "so that an open page can resume)",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="interface to bind (keep 127.0.0.1)"),
    no_browser: bool = typer.Option(False, "--no-browser", help="do not open the page"),
    database: Optional[str] = database_option(create=True),
    protocol: Optional[Path] = protocol_option(),
) -> None:
    """Start the live coach: a local web page that guides a set by voice, using the camera."""
    import webbrowser

    import uvicorn

    from pressup.sessions.store import Store
    from pressup.web.app import WS_MAX_SIZE, create_app
    from pressup.web.ports import listen
    from pressup.web.settings import Settings

    settings = Settings(host=host, port=port or 0, protocol_path=protocol)
    if database:
        settings.database_url = database
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"[yellow]warning:[/] listening on {host}: other machines on the network can reach "
            "the coach (the page token still guards it)"
        )
    try:
        sock, note = listen(host, port, settings.database_url)
    except PressupError as exc:
        raise fail(exc) from None
    if note is not None:
        err.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
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
