"""Live-coach WebSocket load: N concurrent sessions at 30 frames/s, stepped up until it breaks.

Usage::

    python benchmarks/load_ws.py [--sessions 25,50,100,200,300] [--seconds 10] [--fps 30]
                                 [--batch 1] [--warmup 2] [--target-ms 50] [--no-compression]
                                 [--target coach|serve] [--workers 2] [--database sqlite]
                                 [--keep-going]

Three kinds of process, so that each one's CPU is measured on its own:

* the **server**, one of

  - ``--target coach`` (default): ``pressup coach --no-browser --port 0 --database
    sqlite:///TMP/load.db`` (as ``tests/support/browser.py`` ``coach_server`` starts it) with
    ``PRESSUP_TIMING=1`` (frame replies timed inside the server, ``GET /api/timing``, see
    ``pressup.web.timing``) and ``PRESSUP_REQUIRE_SCREENING=0`` (simulated clients skip the
    safety questions);
  - ``--target serve``: ``pressup serve --workers N`` (the clinic) on a free port, on SQLite in
    a temporary folder (``--database sqlite``), on PostgreSQL (``--database postgres``: the
    database of ``PRESSUP_TEST_POSTGRES_URL``, so run this under ``scripts/pg-throwaway``), or
    on any SQLAlchemy URL; with ``PRESSUP_REQUIRE_SCREENING=0``, a cheap Argon2 cost (1 MiB, 1
    pass: signing 300 patients in must not be the benchmark) and ``PRESSUP_LOG_LEVEL=WARNING``.
    One patient account per session (``load-0``, ``load-1``, ...) is created by the driver
    through the application layer (:func:`pressup.sessions.clinic.create_account`, as the
    clinic tests do), once the server has migrated the database. Each simulated page signs in
    through ``/login`` as a browser does (form, CSRF token, session cookie) and opens ``/ws``
    with the cookie and its page token. The server runs with ``PRESSUP_TIMING=1``: each worker
    times its own replies; the generator asks ``/api/timing`` (as the first patient) until every
    worker has answered and merges their samples (``srv`` columns; ``workers timed`` in the
    step's JSON says how many answered);

* the **load generator**: this file run again with ``--generate`` for each step, in its own
  process (asyncio + ``websockets``): N sessions, each like the page - the app's ``Origin``,
  the token, Host ``127.0.0.1``, ``hello``, then frames at ``--fps`` on absolute deadlines
  without waiting for replies, replies matched by ``seq``; ``--batch N`` sends N frames per
  ``frames`` message (``docs/protocol.md``), each message when its last frame is due, as the
  page does (``--batch 1``: one ``frame`` message per frame); landmarks from one synthetic
  track (``pressup.synthetic.make_session``, normalised as MediaPipe gives them), each session
  at its own offset in it; connects staggered (about 100 a second); permessage-deflate on, as
  browsers do (``--no-compression``: off);
* this **driver**, which starts both, samples the CPU time of the server's processes (all of
  them: ``pressup serve`` and its workers) and of the generator, and the server's RSS, from
  ``/proc`` (psutil when installed) over the measured window, and prints.

Per step: connect, warm up ``--warmup`` s, reset the server's timing, measure ``--seconds`` s,
read the timing, wait up to 3 s for late replies, disconnect. Figures:

* ``srv p50/p99``: message received -> its reply sent, inside the server (``/api/timing``;
  leaves out the time a message waits for the event loop before its handler runs; a ``frames``
  message is one sample);
* ``rtt p50/p99``: the client's send of the message carrying a frame -> the reply received
  (includes that wait, and the generator's own scheduling, which shares the machine's cores);
* ``age p99``: a frame's due time (when the camera would have given it) -> its reply received:
  ``rtt`` plus the time the frame waited for the rest of its batch;
* ``offered/s``: N x fps; ``sent/s``: frames the generator managed to send; ``replies/s``:
  frames answered (both in the window);
* ``failed``: sessions refused, without ``welcome``, dropped, or with any ``error`` reply but
  the ``storage_unavailable`` notice (``seq`` null: the database is slow, the frames are still
  answered; counted apart, after the stages); ``missing``: window frames with no reply 3 s after
  the window;
* ``srv CPU%`` / ``gen CPU%``: CPU time over wall time (100 % = one core; the server's summed
  over its processes), ``srv RSS``: the largest sampled (summed likewise); ``CPU ms/fr``: server
  CPU time per frame answered (PostgreSQL's own processes not included); ``db CPU%``:
  PostgreSQL's processes, when it runs from ``scripts/pg-throwaway`` (``-`` otherwise).

A step passes when server p99 (when measured) and round-trip p99 are under ``--target-ms``, no
session failed, no reply is missing and at least 95 % of the offered frames were answered;
stepping stops at the first step that does not (``--keep-going``: goes on while at least half
the frames are answered, for the CPU figures; the verdict is the last step before the first
that failed). Figures
are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import math
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
GRACE_S = 3.0
PASSWORD = "load test password"  # the simulated patients' (a throw-away database)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

try:  # psutil if installed, else /proc
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None

#: What reading a process's figures raises once it has gone.
GONE: tuple[type[BaseException], ...] = (OSError, LookupError) + (
    (psutil.Error,) if psutil is not None else ()
)

try:  # the generator reads replies with msgspec when it is installed (cheaper)
    from msgspec.json import decode as json_decode
except ImportError:  # pragma: no cover
    json_decode = json.loads


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads); 0 once it has gone."""
    try:
        if psutil is not None:
            t = psutil.Process(pid).cpu_times()
            return float(t.user + t.system)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except GONE:
        return 0.0
    f = stat[stat.rindex(")") + 2 :].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    try:
        if psutil is not None:
            return float(psutil.Process(pid).memory_info().rss) / 2**20
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except GONE:
        return 0.0


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn's workers)."""
    parents: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# == the load generator (its own process: ``--generate``) ====================================
def synthetic_lm() -> tuple[int, int, list[str]]:
    """A synthetic set (3 press-ups) as ready-made ``lm`` JSON per frame, normalised to 0..1."""
    from pressup.synthetic import RepScript, SessionScript, make_session

    reps = [RepScript("hands", 1.5, 5.0, 2.0, 3.0) for _ in range(3)]
    track, _ = make_session(SessionScript(reps=reps, fps=30, noise_px=1.0))
    w, h = track.source.width, track.source.height
    rows = []
    for frame in track.data.tolist():
        if not all(math.isfinite(c) for p in frame for c in p):  # no person
            rows.append("null")
            continue
        lm = [
            [
                min(2.0, max(-1.0, x / w)),
                min(2.0, max(-1.0, y / h)),
                min(10.0, max(-10.0, z / w)),
                min(1.0, max(0.0, v)),
            ]
            for x, y, z, v in frame
        ]
        rows.append(json.dumps(lm, separators=(",", ":")))
    return w, h, rows


@dataclass
class GenStats:
    measuring: bool = False
    sent: int = 0
    replied: int = 0
    error_replies: int = 0
    missing: int = 0
    connected: int = 0
    failed: int = 0
    notices: int = 0  # storage_unavailable told to a tab (seq null): the database is slow
    rtt_ms: list[float] = field(default_factory=list)
    age_ms: list[float] = field(default_factory=list)
    why: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)


@dataclass
class Page:
    """One simulated page: where its socket goes and what it sends with it."""

    url: str
    origin: str
    headers: dict[str, str]


def sign_in(origin: str, username: str) -> Page:
    """Sign ``username`` in to ``pressup serve`` as a browser does; its page's socket."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    )
    with opener.open(f"{origin}/login", timeout=60) as r:
        found = _CSRF.search(r.read().decode())
    assert found is not None, "no CSRF token on /login"
    form = {"username": username, "password": PASSWORD, "csrf_token": found.group(1)}
    data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(f"{origin}/login", data=data, headers={"Origin": origin})
    with opener.open(req, timeout=60) as r:  # follows the redirect to /me
        page = _CSRF.search(r.read().decode())
    assert page is not None, f"{username}: no page token after signing in"
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    ws = origin.replace("http://", "ws://")
    return Page(f"{ws}/ws?token={page.group(1)}", origin, {"Cookie": cookie})


def pages(args: argparse.Namespace) -> list[Page]:
    origin = f"http://127.0.0.1:{args.port}"
    if args.target == "coach":
        return [Page(f"ws://127.0.0.1:{args.port}/ws?token={args.token}", origin, {})] * args.n
    return [sign_in(origin, f"load-{i}") for i in range(args.n)]


@dataclass
class Feed:
    """One session's frames: what is sent, and the frames waiting for a reply
    (``seq`` -> (message sent, frame due, in the measured window), loop time)."""

    w: int
    h: int
    rows: list[str]
    offset: int
    pending: dict[int, tuple[float, float, bool]] = field(default_factory=dict)

    def message(self, k: int, n: int, period: float) -> str:
        """Frames ``k .. k+n-1`` as one message (``frame`` when ``n`` is 1)."""
        frames = [
            f'"seq":{j},"t":{j * period:.4f},"w":{self.w},"h":{self.h},'
            f'"lm":{self.rows[(self.offset + j) % len(self.rows)]}'
            for j in range(k, k + n)
        ]
        if n == 1:
            return '{"v":1,"type":"frame",' + frames[0] + "}"
        return '{"v":1,"type":"frames","frames":[{' + "},{".join(frames) + "}]}"


async def receive(ws: Any, feed: Feed, stats: GenStats, failure: list[str], close: Any) -> None:
    """Match replies to their frames."""
    from websockets.exceptions import ConnectionClosed

    loop = asyncio.get_running_loop()
    try:
        async for raw in ws:
            now = loop.time()
            msg = json_decode(raw)
            kind = msg.get("type")
            if kind in ("update", "updates"):
                for seq in msg["seqs"] if kind == "updates" else [msg["seq"]]:
                    sent_at, due, in_window = feed.pending.pop(seq, (0.0, 0.0, False))
                    if in_window:
                        stats.replied += 1
                        stats.rtt_ms.append((now - sent_at) * 1e3)
                        stats.age_ms.append((now - due) * 1e3)
                        stats.stages[msg["status"]["stage"]] += 1
            elif kind == "error" and _notice(msg):
                stats.notices += 1
            elif kind == "error":
                stats.error_replies += 1
                failure.append(f"error {msg.get('code')}")
                feed.pending.pop(msg.get("seq"), None)
    except ConnectionClosed as exc:
        if not close.is_set():
            failure.append(f"closed {exc.rcvd.code if exc.rcvd else '-'}")


def _notice(msg: dict[str, Any]) -> bool:
    """The server telling the page the database cannot keep up (not a refusal of a message:
    the frames are still answered, docs/protocol.md)."""
    return msg.get("code") == "storage_unavailable" and msg.get("seq") is None


async def send_frames(
    ws: Any, feed: Feed, args: argparse.Namespace, stats: GenStats, stop: Any
) -> None:
    """Frames at ``args.fps`` on absolute deadlines, ``args.batch`` to a message (each sent when
    its last frame is due); a batch that is a whole batch late is skipped, as a camera would."""
    loop = asyncio.get_running_loop()
    period, n = 1.0 / args.fps, args.batch
    start, k = loop.time(), 0
    while not stop.is_set():
        due = start + (k + n - 1) * period
        now = loop.time()
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due >= n * period:
            k += int((now - due) / (n * period)) * n
            continue
        if stop.is_set():
            break
        msg = feed.message(k, n, period)
        sent_at = loop.time()
        for j in range(k, k + n):
            feed.pending[j] = (sent_at, start + j * period, stats.measuring)
        await ws.send(msg)
        if stats.measuring:
            stats.sent += n
        k += n


async def session(
    i: int,
    page: Page,
    args: argparse.Namespace,
    lm: tuple[int, int, list[str]],
    start_at: float,
    stats: GenStats,
    events: tuple[asyncio.Event, asyncio.Event],
) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, WebSocketException

    stop, close = events
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start_at - loop.time()))
    feed = Feed(lm[0], lm[1], lm[2], (i * 97) % len(lm[2]))
    failure: list[str] = []
    try:
        async with connect(
            page.url,
            origin=page.origin,  # type: ignore[arg-type]
            additional_headers=page.headers,
            compression=None if args.no_compression else "deflate",  # browsers: deflate
            proxy=None,
            ping_interval=None,  # browsers do not ping
            open_timeout=60,
            close_timeout=10,
        ) as ws:
            hello = {"v": 1, "type": "hello", "session": None, "client": f"load_ws-{i}"}
            await ws.send(json.dumps(hello))
            welcome = json.loads(await ws.recv())
            while welcome.get("type") == "error" and _notice(welcome):  # opening waits for it
                stats.notices += 1
                welcome = json.loads(await ws.recv())
            if welcome.get("type") != "welcome":
                failure.append(f"no welcome: {welcome.get('code')}")
                return
            stats.connected += 1
            receiver = asyncio.create_task(receive(ws, feed, stats, failure, close))
            try:
                await send_frames(ws, feed, args, stats, stop)
                await close.wait()
            finally:
                receiver.cancel()
    except ConnectionClosed as exc:
        if not close.is_set():
            failure.append(f"closed {exc.rcvd.code if exc.rcvd else '-'}")
    except (OSError, WebSocketException, asyncio.TimeoutError) as exc:
        failure.append(type(exc).__name__)
    finally:
        stats.missing += sum(1 for *_, in_window in feed.pending.values() if in_window)
        if failure:
            stats.failed += 1
            stats.why[failure[0]] += 1


def timing(args: argparse.Namespace, reset: bool, page: Page | None = None) -> dict[str, Any]:
    """The server's reply timing: the coach's, or every ``pressup serve`` worker's merged
    (asked as ``page``, the first patient)."""
    if args.target != "coach":
        return serve_timing(args, reset, page) if page is not None else {}
    url = f"http://127.0.0.1:{args.port}/api/timing?token={args.token}"
    try:
        with NO_PROXY.open(url + ("&reset=1" if reset else ""), timeout=30) as r:
            out: dict[str, Any] = json.loads(r.read())
    except OSError as exc:  # the server too busy to answer within 30 s: no figure (a failure)
        return {"p50_ms": None, "p99_ms": None, "error": str(exc)}
    return out


def serve_timing(args: argparse.Namespace, reset: bool, page: Page) -> dict[str, Any]:
    """Each ``pressup serve`` worker times its own replies: ask (a new connection each time,
    which any worker may accept) until every worker has answered, at most 25 times per worker,
    and merge their samples."""
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["token"][0]
    url = f"{page.origin}/api/timing?token={token}&samples=1" + ("&reset=1" if reset else "")
    seen: dict[int, dict[str, Any]] = {}
    for _ in range(25 * args.workers):
        try:
            with NO_PROXY.open(urllib.request.Request(url, headers=page.headers), timeout=30) as r:
                out: dict[str, Any] = json.loads(r.read())
        except OSError as exc:
            return {"p50_ms": None, "p99_ms": None, "error": str(exc)}
        seen.setdefault(int(out["pid"]), out)
        if len(seen) >= args.workers:
            break
    merged = sorted(us for o in seen.values() for us in o["samples_us"])
    return {
        "workers timed": len(seen),
        "count": sum(int(o["count"]) for o in seen.values()),
        "p50_ms": merged[int(0.50 * len(merged))] / 1e3 if merged else None,
        "p99_ms": merged[min(len(merged) - 1, int(0.99 * len(merged)))] / 1e3 if merged else None,
    }


async def generate(args: argparse.Namespace) -> dict[str, Any]:
    """One step: N sessions; prints ``START``/``END`` lines around the measured window (the
    driver samples CPU there), returns the figures."""
    lm = synthetic_lm()
    signed = await asyncio.to_thread(pages, args)
    loop = asyncio.get_running_loop()
    stats, stop, close = GenStats(), asyncio.Event(), asyncio.Event()
    stagger = max(1.0, args.n / 100)
    t0 = loop.time() + 0.1
    tasks = [
        asyncio.create_task(
            session(i, signed[i], args, lm, t0 + stagger * i / args.n, stats, (stop, close))
        )
        for i in range(args.n)
    ]
    await asyncio.sleep(stagger + args.warmup)
    await asyncio.to_thread(timing, args, True, signed[0])
    print("START", flush=True)
    w0 = time.perf_counter()
    stats.measuring = True
    await asyncio.sleep(args.seconds)
    stats.measuring = False
    wall = time.perf_counter() - w0
    print("END", flush=True)
    srv = await asyncio.to_thread(timing, args, True, signed[0])
    stop.set()
    end = loop.time() + GRACE_S
    while loop.time() < end and stats.replied + stats.error_replies < stats.sent:
        await asyncio.sleep(0.05)
    close.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return summary(args, stats, wall, srv)


def summary(args: argparse.Namespace, stats: GenStats, wall: float, srv: Any) -> dict[str, Any]:
    total = sum(stats.stages.values()) or 1
    return {
        "n": args.n,
        "wall": wall,
        "sent": stats.sent,
        "replied": stats.replied,
        "connected": stats.connected,
        "failed": stats.failed,
        "error_replies": stats.error_replies,
        "missing": stats.missing,
        "notices": stats.notices,
        "why": dict(stats.why),
        "rtt50": pct(stats.rtt_ms, 0.50),
        "rtt99": pct(stats.rtt_ms, 0.99),
        "age99": pct(stats.age_ms, 0.99),
        "srv": srv,
        "stages": {k: round(100 * v / total) for k, v in stats.stages.most_common()},
    }


# == the driver ==============================================================================
def _pressup_cli() -> list[str]:
    exe = Path(sys.executable).with_name("pressup")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "pressup"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], err: Path, end: float) -> None:
    while True:
        try:
            with NO_PROXY.open(url, timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"the server did not start: {err.read_text()[-3000:]}") from None
            time.sleep(0.1)


class Server(ABC):
    """The server under load in its own process(es), stopped on exit."""

    port: int
    token: str = ""
    label: str

    def __init__(self, workdir: Path, args: argparse.Namespace) -> None:
        self.out, self.err = workdir / "server.out", workdir / "server.err"
        env = {**os.environ, "PRESSUP_REQUIRE_SCREENING": "0", "COLUMNS": "400", "NO_COLOR": "1"}
        self.cmd, env = self.command(workdir, args, env)
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=err, env=env)
        self.pid = self.proc.pid
        try:
            self.started(time.monotonic() + 120, args)
        except BaseException:
            self.stop()
            raise

    @abstractmethod
    def command(
        self, workdir: Path, args: argparse.Namespace, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        """The server's command line and environment."""

    @abstractmethod
    def started(self, end: float, args: argparse.Namespace) -> None:
        """Wait until the server answers (``end``: monotonic deadline, seconds)."""

    def pids(self) -> list[int]:
        return process_tree(self.pid)

    def db_pids(self) -> list[int]:
        """The database server's processes (none for SQLite, which runs inside the server)."""
        return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class CoachServer(Server):
    """``pressup coach`` (one process, SQLite)."""

    def command(
        self, workdir: Path, args: argparse.Namespace, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        db = f"sqlite:///{workdir / 'load.db'}"
        self.label = f"pressup coach, one process, {db}"
        cmd = [*_pressup_cli(), "coach", "--no-browser", "--port", "0", "--database", db]
        return cmd, {**env, "PRESSUP_TIMING": "1"}

    def started(self, end: float, args: argparse.Namespace) -> None:
        m = None
        while m is None:
            m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", self.out.read_text())
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"pressup coach did not start: {self.err.read_text()}")
            time.sleep(0.05)
        self.port, self.token = int(m.group(1)), m.group(2)
        _wait_http(f"http://127.0.0.1:{self.port}/api/health", self.proc, self.err, end)


class ClinicServer(Server):
    """``pressup serve --workers N`` with one patient account per session."""

    def command(
        self, workdir: Path, args: argparse.Namespace, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        self.port = _free_port()
        self.url = database_url(args.database, workdir)
        from pressup.sessions.clinic import safe_url

        self.label = f"pressup serve, {args.workers} worker(s), {safe_url(self.url)}"
        origin = f"http://127.0.0.1:{self.port}"
        env = {
            **env,
            "PRESSUP_PUBLIC_ORIGIN": origin,
            "PRESSUP_COOKIE_SECURE": "0",
            "PRESSUP_ARGON2_MEMORY_KIB": "1024",
            "PRESSUP_ARGON2_TIME_COST": "1",
            "PRESSUP_LOG_LEVEL": "WARNING",
        }
        env["PRESSUP_TIMING"] = "1"
        cmd = [*_pressup_cli(), "serve", "--database", self.url, "--port", str(self.port)]
        return [*cmd, "--workers", str(args.workers)], env

    def started(self, end: float, args: argparse.Namespace) -> None:
        _wait_http(f"http://127.0.0.1:{self.port}/healthz", self.proc, self.err, end)
        patients(self.url, max(int(x) for x in args.sessions.split(",") if x.strip()))

    def db_pids(self) -> list[int]:
        """PostgreSQL's processes when it runs from ``scripts/pg-throwaway`` (its socket folder
        ``ROOT/sock`` in the URL, its ``postmaster.pid`` in ``ROOT/data``)."""
        found = re.search(r"host=([^&]+)", self.url)
        if found is None:
            return []
        pidfile = Path(urllib.parse.unquote(found.group(1))).parent / "data" / "postmaster.pid"
        try:
            return process_tree(int(pidfile.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            return []


def database_url(choice: str, workdir: Path) -> str:
    if choice == "sqlite":
        return f"sqlite:///{workdir / 'load.db'}"
    if choice == "postgres":
        url = os.environ.get("PRESSUP_TEST_POSTGRES_URL", "")
        if not url:
            raise SystemExit(
                "--database postgres: run under scripts/pg-throwaway (PRESSUP_TEST_POSTGRES_URL)"
            )
        return url
    return choice


def patients(url: str, n: int) -> None:
    """Patient accounts ``load-0`` .. ``load-{n-1}`` (through the application layer)."""
    from pressup.clinic.auth import Passwords
    from pressup.sessions.clinic import create_account
    from pressup.sessions.store import Store

    password_hash = Passwords(1024, 1).hash(PASSWORD)
    store = Store(url, migrate=False)
    try:
        for i in range(n):
            create_account(
                store,
                username=f"load-{i}",
                display_name=f"Load {i}",
                role="patient",
                password_hash=password_hash,
            )
    finally:
        store.close()


@dataclass
class Row:
    n: int
    res: dict[str, Any]
    srv_cpu: float  # % of one core
    gen_cpu: float
    srv_cpu_s: float
    rss_mb: float
    fps: float
    db_cpu: float | None = None  # % of one core, PostgreSQL's processes (None: not measured)

    @property
    def offered(self) -> float:
        return self.n * self.fps

    @property
    def sent(self) -> float:
        return self.res["sent"] / self.res["wall"]

    @property
    def replies(self) -> float:
        return self.res["replied"] / self.res["wall"]

    @property
    def cpu_ms_per_frame(self) -> float:
        return 1e3 * self.srv_cpu_s / max(1, self.res["replied"])

    def failures(self, target_ms: float) -> list[str]:
        r, why = self.res, []
        p99 = r["srv"].get("p99_ms", -1.0)  # -1: not measured
        if p99 is None or p99 >= target_ms:
            why.append(f"server p99 {p99} ms >= {target_ms:g} ms")
        if not r["rtt99"] < target_ms:
            why.append(f"round-trip p99 {r['rtt99']:.1f} ms >= {target_ms:g} ms")
        if r["failed"] or r["connected"] < self.n:
            why.append(f"{r['failed']} sessions failed ({r['why']})")
        if r["missing"]:
            why.append(f"{r['missing']} replies missing")
        if self.replies < 0.95 * self.offered:
            why.append(f"answered {self.replies:.0f} of {self.offered:.0f} frames/s offered")
        return why


def run_step(server: Server, n: int, args: argparse.Namespace) -> Row:
    cmd = [
        sys.executable, __file__, "--generate", "--n", str(n), "--port", str(server.port),
        "--seconds", str(args.seconds), "--fps", str(args.fps), "--batch", str(args.batch),
        "--warmup", str(args.warmup), "--target", args.target, "--workers", str(args.workers),
        *(["--no-compression"] if args.no_compression else []),
    ]  # fmt: skip
    env = {**os.environ, "LOAD_WS_TOKEN": server.token}  # not on the command line
    gen = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    pids, db = server.pids(), server.db_pids()
    marks: dict[str, tuple[float, float, float, float]] = {}
    result: list[str] = []
    window = threading.Event()

    def read() -> None:
        nonlocal pids, db
        for line in gen.stdout or []:
            line = line.strip()
            if line in ("START", "END"):
                if line == "START":  # the sessions' database connections are open by now
                    pids, db = server.pids(), server.db_pids()
                now = time.perf_counter()
                cpu = (sum(map(cpu_s, pids)), cpu_s(gen.pid), sum(map(cpu_s, db)))
                marks[line] = (*cpu, now)
                (window.set if line == "START" else window.clear)()
            elif line:
                result.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    peak = sum(map(rss_mb, pids))
    while gen.poll() is None:
        if window.is_set():
            peak = max(peak, sum(map(rss_mb, pids)))
        time.sleep(0.25)
    reader.join(timeout=5)
    if gen.returncode != 0 or not result or "END" not in marks:
        raise RuntimeError(f"the load generator failed (exit {gen.returncode}) at N={n}")
    (s0, g0, d0, w0), (s1, g1, d1, w1) = marks["START"], marks["END"]
    return Row(
        n=n,
        res=json.loads(result[-1]),
        srv_cpu=100 * (s1 - s0) / (w1 - w0),
        gen_cpu=100 * (g1 - g0) / (w1 - w0),
        srv_cpu_s=s1 - s0,
        rss_mb=peak,
        fps=args.fps,
        db_cpu=100 * (d1 - d0) / (w1 - w0) if db else None,
    )


HEADER = (
    f"{'N':>4} {'offered/s':>9} {'sent/s':>7} {'replies/s':>9} {'srv p50':>7} {'srv p99':>7} "
    f"{'rtt p50':>7} {'rtt p99':>7} {'age p99':>7} {'failed':>6} {'missing':>7} "
    f"{'srv CPU%':>8} {'srv RSS':>7} {'CPU ms/fr':>9} {'gen CPU%':>8} {'db CPU%':>7}"
)


def fmt_row(r: Row) -> str:
    srv = r.res["srv"]

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.2f}"

    return (
        f"{r.n:>4} {r.offered:>9.0f} {r.sent:>7.0f} {r.replies:>9.0f} {f(srv.get('p50_ms')):>7} "
        f"{f(srv.get('p99_ms')):>7} {r.res['rtt50']:>7.1f} {r.res['rtt99']:>7.1f} "
        f"{r.res['age99']:>7.1f} {r.res['failed']:>6} {r.res['missing']:>7} {r.srv_cpu:>8.0f} "
        f"{r.rss_mb:>5.0f}MB {r.cpu_ms_per_frame:>9.2f} {r.gen_cpu:>8.0f} "
        f"{'-' if r.db_cpu is None else f'{r.db_cpu:.0f}':>7}"
    )


def verdict(rows: list[Row], steps: list[int], args: argparse.Namespace) -> str:
    """The steps held before the first one that failed, and the CPU per frame."""
    held: list[Row] = []
    for r in rows:
        if r.failures(args.target_ms):
            break
        held.append(r)
    failed = rows[len(held)] if len(held) < len(rows) else None
    what = f"at {args.fps:g} frames/s ({args.batch} a message) with p99 < {args.target_ms:g} ms"
    if held:
        best = held[-1]
        return (
            f"verdict: server holds {best.n} sessions {what} on this machine; per frame it "
            f"needs {best.cpu_ms_per_frame:.2f} ms CPU"
            + ("" if failed is None else f" (fails at {failed.n})")
        )
    return (
        f"verdict: server holds none of the tried counts (fails at {steps[0]}) {what} on this "
        "machine" + (f"; per frame it needs {rows[0].cpu_ms_per_frame:.2f} ms CPU" if rows else "")
    )


def drive(args: argparse.Namespace) -> int:
    steps = [int(x) for x in args.sessions.split(",") if x.strip()]
    print(
        f"pressup {args.target} WebSocket load - Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}; load generator on the same machine; "
        f"CPU and RSS from {'psutil' if psutil is not None else '/proc'}"
    )
    print(
        f"each session: synthetic track, {args.fps:g} frames/s, {args.batch} frame(s) a "
        f"message, deflate {'off' if args.no_compression else 'on'}; per step "
        f"{args.warmup:g} s warm-up, {args.seconds:g} s measured; pass: srv and rtt p99 < "
        f"{args.target_ms:g} ms, no failed session, >= 95 % answered; CPU% of one core"
    )
    t_start = time.monotonic()
    rows: list[Row] = []
    kind = CoachServer if args.target == "coach" else ClinicServer
    with tempfile.TemporaryDirectory(prefix="pressup-load-ws-") as tmp:
        server = kind(Path(tmp), args)
        try:
            db = server.db_pids()
            print(f"server: pid {server.pid}, {server.label}", flush=True)
            if db:
                print(f"database: PostgreSQL, {len(db)} processes from pid {db[0]}", flush=True)
            print(flush=True)
            print(HEADER, flush=True)
            for n in steps:
                row = run_step(server, n, args)
                rows.append(row)
                print(fmt_row(row), flush=True)
                why = row.failures(args.target_ms)
                stages = ", ".join(f"{k} {v}%" for k, v in row.res["stages"].items())
                notices = row.res.get("notices", 0)
                told = f"; storage_unavailable told {notices} times" if notices else ""
                print(f"{'':>4} replies by stage: {stages}{told}", flush=True)
                if why and not (args.keep_going and row.replies >= 0.5 * row.offered):
                    print(f"stopping after N={n}: " + "; ".join(why), flush=True)
                    break
                if why:
                    print(f"{'':>4} fails: " + "; ".join(why), flush=True)
        finally:
            server.stop()
    print(f"\n(run took {time.monotonic() - t_start:.0f} s)")
    print(verdict(rows, steps, args))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sessions", default="25,50,100,200,300", help="comma-separated steps")
    ap.add_argument("--seconds", type=float, default=10.0, help="measured seconds per step")
    ap.add_argument("--fps", type=float, default=30.0, help="frames per second per session")
    ap.add_argument("--batch", type=int, default=1, help="frames per message (1..30)")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds after the last connect")
    ap.add_argument("--target-ms", type=float, default=50.0, help="p99 limit")
    ap.add_argument("--no-compression", action="store_true", help="no permessage-deflate")
    ap.add_argument(
        "--keep-going",
        action="store_true",
        help="go on after a failing step (for the CPU figures) while half the frames are answered",
    )
    ap.add_argument("--target", choices=("coach", "serve"), default="coach")
    ap.add_argument("--workers", type=int, default=2, help="pressup serve's worker processes")
    ap.add_argument(
        "--database",
        default="sqlite",
        help="pressup serve's database: sqlite (temporary), postgres (PRESSUP_TEST_POSTGRES_URL, "
        "see scripts/pg-throwaway) or a SQLAlchemy URL",
    )
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not 1 <= args.batch <= 30:
        ap.error("--batch: expected 1..30 (the protocol's limit)")
    args.token = os.environ.get("LOAD_WS_TOKEN", "")
    if args.generate:
        print(json.dumps(asyncio.run(generate(args))), flush=True)
        return 0
    return drive(args)


if __name__ == "__main__":
    sys.exit(main())
