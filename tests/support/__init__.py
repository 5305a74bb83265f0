"""Helpers shared by the test modules (not collected: pytest collects only ``test_*.py``)."""

from __future__ import annotations

import asyncio
import base64
import http.client
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def ws_upgrade(
    port: int, path: str, headers: dict[str, str]
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Ask the server on 127.0.0.1:``port`` to upgrade ``path`` to a WebSocket (a real
    handshake request, with ``headers`` added or replacing the defaults, ``Host`` included).
    Returns the status (101: accepted), the reply's headers and its body (none after a 101)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        fields = {
            "Host": f"127.0.0.1:{port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(secrets.token_bytes(16)).decode(),
            **headers,
        }
        for name, value in fields.items():
            conn.putheader(name, value)
        conn.endheaders()
        r = conn.getresponse()
        body = b"" if r.status == 101 else r.read()
        return r.status, r.headers, body
    finally:
        conn.close()


def free_socket() -> socket.socket:
    """A listening TCP socket on 127.0.0.1 and a free port (for :func:`uvicorn_thread`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@contextmanager
def uvicorn_thread(app: Any, sock: socket.socket) -> Iterator[None]:
    """Serve the ASGI ``app`` with a real uvicorn server on ``sock`` in a thread of this
    process (its default HTTP and WebSocket implementations); stopped on exit."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
