"""Faults under a real ``pressup serve`` on PostgreSQL, while a patient streams a set over the
WebSocket:

* a worker killed with SIGKILL mid-set: every frame acknowledged more than a second before is
  in the database, and the set resumes on a reconnect (any worker) with its count going on;
* PostgreSQL restarted mid-set: the page is told ``storage_unavailable`` (and ``storage_back``
  once it is up), the set goes on, and nothing acknowledged is lost.

The frames of :data:`FPS` per second are sent faster than real time (the engine counts the
frames' own times, not the clock) to keep the tests short.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from pressup.clinic.auth import Passwords
from pressup.sessions.clinic import create_account
from pressup.sessions.store import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from support import stop_process
from support.pg import find_initdb, fresh_database, throwaway_postgres

pytestmark = pytest.mark.postgres

PASSWORD = "a good long password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: Frames sent per second of wall-clock time (the frames' times step at 30 per second).
FPS = 100
#: What the server promises: a frame acknowledged longer ago than this is in the database.
DURABLE_AFTER_S = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _frames(n_reps: int = 3) -> list[dict[str, Any]]:
    """A synthetic set of ``n_reps`` press-ups as the page's frame messages (30 frames/s)."""
    reps = [RepScript("forearms", 2.0, 11.0, 2.5, 3.0) for _ in range(n_reps)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    w, h = track.source.width, track.source.height
    out = []
    for i in range(track.n_frames):
        row = track.data[i]
        lm = None
        if np.isfinite(row[0, 0]):
            lm = [[x / w, y / h, z / w, v] for x, y, z, v in row.tolist()]
        out.append(
            {"v": 1, "type": "frame", "seq": i, "t": float(track.t_s[i]), "w": w, "h": h, "lm": lm}
        )
    return out


@dataclass
class Server:
    """A running ``pressup serve`` and a signed-in patient."""

    proc: subprocess.Popen[str]
    port: int
    url: str
    cookie: str = ""
    csrf: str = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sign_in(self) -> None:
        with httpx.Client(base_url=self.base, follow_redirects=False) as c:
            token = _CSRF.search(c.get("/login").text)
            assert token is not None
            r = c.post(
                "/login",
                data={"username": "pat", "password": PASSWORD, "csrf_token": token.group(1)},
            )
            assert r.status_code == 303, r.text
            home = c.get(r.headers["location"], follow_redirects=True)
            found = _CSRF.search(home.text)
            assert found is not None, home.text
            self.csrf = found.group(1)
            self.cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())

    def open_ws(self) -> ClientConnection:
        return connect(
            f"ws://127.0.0.1:{self.port}/ws?token={self.csrf}",
            additional_headers={"Origin": self.base, "Cookie": self.cookie},
            open_timeout=10,
        )

    def workers(self) -> list[int]:
        """The worker processes (children of uvicorn's supervisor)."""
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                out.append(int(stat.parent.name))
        return out

    def worker_of(self, ws: ClientConnection) -> int:
        """The worker process holding the server's end of ``ws`` (from ``/proc``)."""
        client_port = ws.socket.getsockname()[1]
        inodes: set[str] = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                local, remote, inode = parts[1], parts[2], parts[9]
                if (
                    int(local.rsplit(":", 1)[1], 16) == self.port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port
                ):
                    inodes.add(f"socket:[{inode}]")
        assert inodes, f"expected the server's end of port {client_port} in /proc/net/tcp"
        for pid in self.workers():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) in inodes:
                        return pid
                except OSError:
                    continue
        raise AssertionError(f"expected a worker of {self.workers()} to hold the connection")


@contextmanager
def serve(url: str, workers: int, log: Path) -> Iterator[Server]:
    """``pressup serve --workers N`` on ``url`` with a patient ``pat`` (no screening gate);
    its JSON log lines go to ``log`` (a file: a full pipe would block the workers)."""
    store = Store(url)
    create_account(
        store,
        username="pat",
        display_name="Pat",
        role="patient",
        password_hash=Passwords(1024, 1).hash(PASSWORD),
    )
    store.close()
    port = _free_port()
    env = {
        **os.environ,
        "PRESSUP_PUBLIC_ORIGIN": f"http://127.0.0.1:{port}",
        "PRESSUP_COOKIE_SECURE": "0",
        "PRESSUP_ARGON2_MEMORY_KIB": "1024",
        "PRESSUP_ARGON2_TIME_COST": "1",
        "PRESSUP_REQUIRE_SCREENING": "0",
        "PRESSUP_POSE_ASSETS": "",
    }
    argv = [sys.executable, "-c", "from pressup.cli import main; main()", "serve"]
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*argv, "--database", url, "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            text=True,
        )
    server = Server(proc, port, url)
    try:
        end = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"pressup serve exited with {proc.returncode}"
            assert time.monotonic() < end, "pressup serve: expected /readyz 200 within 60 s"
            try:
                if httpx.get(f"{server.base}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        server.sign_in()
        yield server
    finally:
        stop_process(proc, timeout=20)


@dataclass
class Patient:
    """The page's side of the protocol: frames sent at :data:`FPS` and their acknowledgements
    (the ``update`` replies) with the time each came."""

    frames: list[dict[str, Any]]
    next: int = 0
    acked: dict[int, float] = field(default_factory=dict)  # frame index -> when acknowledged
    last: dict[str, Any] = field(default_factory=dict)
    notices: list[dict[str, Any]] = field(default_factory=list)

    def hello(self, ws: ClientConnection, session: str | None = None) -> dict[str, Any]:
        ws.send(json.dumps({"v": 1, "type": "hello", "session": session, "client": "fault test"}))
        while True:
            msg = json.loads(ws.recv(timeout=30))
            if msg["type"] == "welcome":
                return dict(msg)
            self.notices.append(msg)

    def stream(self, ws: ClientConnection, until: Any, *, seconds: float = 30.0) -> None:
        """Send frames (one at a time, each waiting for its reply) until ``until()``."""
        end = time.monotonic() + seconds
        while not until():
            assert time.monotonic() < end, f"expected the condition within {seconds} s"
            assert self.next < len(self.frames), "expected more frames of the set"
            t0 = time.monotonic()
            frame = self.frames[self.next]
            ws.send(json.dumps(frame))
            while True:
                msg = json.loads(ws.recv(timeout=30))
                if msg.get("type") == "update" and msg["seq"] == frame["seq"]:
                    self.acked[self.next] = time.monotonic()
                    self.last = msg
                    break
                notice = msg.get("code") == "storage_unavailable" or msg["type"] == "storage_back"
                assert notice, msg
                self.notices.append(msg)
            self.next += 1
            time.sleep(max(0.0, 1 / FPS - (time.monotonic() - t0)))

    @property
    def reps(self) -> int:
        return int(self.last["status"]["reps_done"]) if self.last else 0


def _stored_times(url: str, session: str) -> np.ndarray:
    store = Store(url, migrate=False)
    try:
        return np.asarray(store.load_track(session).t_s, dtype=float)
    finally:
        store.close()


def _stored(url: str, session: str) -> tuple[int, int]:
    """The stored count and number of frames of ``session``."""
    store = Store(url, migrate=False)
    try:
        rec = store.get_session(session)
        assert rec is not None
        return rec.reps_done, store.load_track(session).n_frames
    finally:
        store.close()


def _eventually(fn: Any, want: Any, seconds: float = 15.0) -> Any:
    """``fn()`` once it equals ``want``, or its last value after ``seconds``."""
    end = time.monotonic() + seconds
    got = fn()
    while got != want and time.monotonic() < end:
        time.sleep(0.2)
        got = fn()
    return got


def _missing(url: str, session: str, p: Patient, before: float) -> list[int]:
    """Frames acknowledged before ``before`` (monotonic) whose time is not stored."""
    stored = _stored_times(url, session)
    out = []
    for i, when in p.acked.items():
        if when < before and not np.isclose(stored, p.frames[i]["t"], atol=1e-4).any():
            out.append(i)
    return out


def test_a_worker_killed_mid_set_loses_no_frame_older_than_a_second(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = fresh_database(request.getfixturevalue("postgres_server"))
    with serve(url, workers=2, log=tmp_path / "serve.log") as server:
        p = Patient(_frames(3))
        with server.open_ws() as ws:
            sid = str(p.hello(ws)["session"])
            p.stream(ws, lambda: p.reps >= 1)
            counted_at = time.monotonic()
            # mid-set, past the first press-up and long enough after it that it is stored
            p.stream(ws, lambda: time.monotonic() - counted_at > DURABLE_AFTER_S + 0.5)
            reps_at_kill = p.reps
            victim = server.worker_of(ws)
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            with pytest.raises((ConnectionClosed, OSError, TimeoutError)):
                p.stream(ws, lambda: False, seconds=10)
        assert reps_at_kill == 1

        # every frame acknowledged more than a second before the kill is in the database
        missing = _missing(url, sid, p, killed_at - DURABLE_AFTER_S)
        assert missing == [], (
            f"expected every frame acknowledged over {DURABLE_AFTER_S} s before the kill to "
            f"be stored, got {len(missing)} missing (frame indexes {missing[:10]}...)"
        )
        lost = len(p.acked) - len(_stored_times(url, sid))
        assert lost <= FPS * DURABLE_AFTER_S * 1.5, f"{lost} acknowledged frames lost"

        # the set resumes on whichever worker answers, its count going on
        with server.open_ws() as ws2:
            assert server.worker_of(ws2) != victim
            again = p.hello(ws2, sid)
            assert again["resumed"] is True and again["session"] == sid
            assert again["status"]["reps_done"] == reps_at_kill, again["status"]
            p.stream(ws2, lambda: p.reps > reps_at_kill)
        # the tab left: the resumed session's frames and count are written (by the worker's
        # writer, after the close)
        want = (reps_at_kill + 1, len(p.acked) - lost)
        assert _eventually(lambda: _stored(url, sid), want) == want
    log = (tmp_path / "serve.log").read_text()
    assert "WebSocket /ws" in log and "token=" not in log, "expected no page token in the logs"


# -- PostgreSQL restarted mid-set ---------------------------------------------------------------


@contextmanager
def _own_cluster() -> Iterator[tuple[str, Any]]:
    """A throw-away cluster of this test's own (restarting it must not disturb the other
    tests) and a function ``pg_ctl(action)`` that stops or starts it."""
    bindir = find_initdb()
    if bindir is None:
        if os.environ.get("PRESSUP_REQUIRE_POSTGRES") == "1":
            pytest.fail("PRESSUP_REQUIRE_POSTGRES=1 but no initdb to restart a cluster with")
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    with throwaway_postgres() as server_url:
        sock = parse_qs(urlsplit(server_url).query)["host"][0]
        port = parse_qs(urlsplit(server_url).query)["port"][0]
        data = Path(sock).parent / "data"  # support.pg's layout: ROOT/data, ROOT/sock
        options = (
            f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )

        def pg_ctl(action: str) -> None:
            argv = [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "30"]
            if action == "stop":
                argv += ["-m", "fast", "stop"]
            else:
                argv += ["-o", options, "-l", str(Path(sock).parent / "server.log"), "start"]
            if os.geteuid() == 0:
                argv = ["runuser", "-u", "nobody", "--", *argv]
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            assert done.returncode == 0, f"pg_ctl {action}: {done.stderr[-800:]}"

        yield server_url, pg_ctl


def test_postgres_restarted_mid_set_loses_nothing_acknowledged(tmp_path: Path) -> None:
    with _own_cluster() as (server_url, pg_ctl):
        url = fresh_database(server_url)
        with serve(url, workers=1, log=tmp_path / "serve.log") as server:
            p = Patient(_frames(3))
            with server.open_ws() as ws:
                sid = str(p.hello(ws)["session"])
                p.stream(ws, lambda: p.reps >= 1)
                pg_ctl("stop")
                stopped_at = time.monotonic()
                # the set goes on while the database is down, and the page is told
                p.stream(ws, lambda: bool(p.notices) and time.monotonic() - stopped_at > 3.0)
                assert [n["code"] for n in p.notices][:1] == ["storage_unavailable"], p.notices
                # in plain words: not the database's address, socket or the driver's text
                for told in [n["message"] for n in p.notices if n["type"] == "error"]:
                    assert told.startswith("the database cannot be written now ("), told
                    for secret in ("postgres", "/tmp", "socket", "connection", "FATAL"):
                        assert secret not in told, told
                pg_ctl("start")
                p.stream(ws, lambda: p.last["status"]["stage"] == "done")
                assert p.reps == 3, p.last["status"]
                # and told when it can be written again
                assert "storage_back" in [n["type"] for n in p.notices], p.notices
            # the tab left: every acknowledged frame and the count are written
            want = (3, len(p.acked))
            assert _eventually(lambda: _stored(url, sid), want, seconds=30) == want
            missing = _missing(url, sid, p, time.monotonic())
            assert missing == [], f"expected every acknowledged frame stored, {len(missing)} not"
