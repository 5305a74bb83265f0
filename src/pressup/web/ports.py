"""A stable port per database, so that a coach restarted after a crash keeps its origin.

The page keeps the session it shows in the browser's storage for its origin
(``http://127.0.0.1:PORT``); a coach that came back on another port would be another origin, and
the reopened page could not resume. So ``pressup coach`` without ``--port`` takes the port it
used last time with the same database, remembered in a small file beside it (``pressup.db`` ->
``pressup.db.port``; for a database that is not a SQLite file, in the user's data folder under a
name made from the URL). When that port is taken it falls back to a free one and says so.
"""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

from pressup.errors import PressupError


def port_file(database_url: str) -> Path:
    """Where the port used with ``database_url`` is remembered."""
    if database_url.startswith("sqlite:///"):
        name = database_url[len("sqlite:///") :].split("?", 1)[0]
        if name and name != ":memory:":
            db = Path(name)
            return db.with_name(db.name + ".port")
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    key = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return base / "pressup" / "ports" / f"{key}.port"


def remembered_port(database_url: str) -> int | None:
    """The port used last time with this database, or ``None`` (none remembered, or the file
    does not hold a port number)."""
    path = port_file(database_url)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise PressupError(f"cannot read the remembered port in {path}: {exc}") from exc
    if not text.isdigit() or not 1 <= int(text) <= 65_535:
        return None
    return int(text)


def remember_port(database_url: str, port: int) -> Path:
    """Remember ``port`` for this database; the file written."""
    path = port_file(database_url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{port}\n", encoding="ascii")
    except OSError as exc:
        raise PressupError(f"cannot remember the port in {path}: {exc}") from exc
    return path


def listen(host: str, port: int | None, database_url: str) -> tuple[socket.socket, str | None]:
    """A socket bound to ``host`` and the port to use, and a note for the user (or ``None``).

    ``port``: the ``--port`` given (0: any free port), or ``None`` for this database's
    remembered port (a free one the first time, or when the remembered one is taken).

    Raises:
        PressupError: the port given cannot be bound.
    """
    wanted = port if port is not None else remembered_port(database_url)
    note = None
    try:
        sock = _bind(host, wanted or 0)
    except OSError as exc:
        if port is not None or wanted is None:
            raise PressupError(f"cannot listen on {host}:{wanted or 0}: {exc}") from None
        try:
            sock = _bind(host, 0)
        except OSError as again:
            raise PressupError(f"cannot listen on {host}: {again}") from None
        note = (
            f"port {wanted}, used last time with this database, is taken ({exc.strerror}); "
            f"using port {sock.getsockname()[1]} instead: a page still open from before "
            "cannot resume its session, open the new address below"
        )
    if port is None:
        remember_port(database_url, sock.getsockname()[1])
    return sock, note


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


__all__ = ["listen", "port_file", "remember_port", "remembered_port"]
