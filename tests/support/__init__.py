"""Helpers shared by the test modules (not collected: pytest collects only ``test_*.py``)."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

#: The repository's root folder.
REPO = Path(__file__).resolve().parents[2]


def shared_data_root() -> Path:
    """Where the shared development clips live: ``$PRESSUP_DATA``, else ``../shared/data``."""
    default = REPO.parent / "shared" / "data"
    return Path(os.environ.get("PRESSUP_DATA", str(default)))


#: Base URL of the web test clients: a ``Host`` the coach answers to (its guard refuses the
#: test client's default ``testserver``, as it would a DNS-rebinding page).
LOCAL = "http://127.0.0.1"
#: The same for their WebSocket URLs (the test client sends ``Host: testserver`` for a bare path).
LOCAL_WS = "ws://127.0.0.1"


def settle(client: Any) -> None:
    """Wait until the coach app behind a test client has written what its live sessions queued.

    The test client cancels the app's WebSocket task as soon as a test closes the socket, which
    can cut short the server's own wait for those writes; a test that then opens the database
    itself waits here first."""
    assert client.app.state.hub.writer.wait_idle(10.0), "the coach's writes did not finish"


def post_endless_body(
    app: Any,
    path: str,
    headers: list[tuple[bytes, bytes]],
    *,
    query_string: bytes = b"",
    server: tuple[str, int] = ("testserver", 80),
) -> tuple[dict[str, Any], int]:
    """POST a 300 MB body without ``Content-Length`` to the ASGI ``app``, fed chunk by chunk (a
    test client would read it all first). Returns the ``http.response.start`` message and the
    number of bytes the app read before answering."""
    chunk = b"x" * 65_536
    chunks_read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": chunk, "more_body": chunks_read < 300 * 16}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query_string,
        "headers": headers,
        "server": server,
        "client": ("127.0.0.1", 50000),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start, chunks_read * len(chunk)


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Ask a server process to stop (SIGTERM); kill it if it has not ended after ``timeout`` s."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
