"""Load on one live-coach server: N simulated browsers replaying real landmark tracks at 30 Hz.

Usage::

    python benchmarks/bench_load.py [--steps 10,25,50,100,...] [--duration 15] [--warmup 3]
                                    [--max-n 1000] [--fps 30] [--no-compression]
                                    [--tracks ~/.cache/pressup/tracks/full]

One server process is started as a user would start it (``pressup coach --no-browser --port 0
--database sqlite:///TMP/load.db``, default uvicorn settings) with ``PRESSUP_TIMING=1``, which
makes it time every frame reply from right after ``receive_text()`` returns to right after the
reply's ``send_text()`` returns (``GET /api/timing``; see ``pressup.web.timing.ReplyTimer``). That
figure leaves out the time a message waits in the server before its handler runs; the
client-side round trip (send -> reply received) includes it, and also the clients' own
scheduling.

The clients run in this process (asyncio, ``websockets``), each one like the page: connect with
the app's ``Origin`` and token, ``hello``, then one ``frame`` every 1/fps s on absolute deadlines,
without waiting for replies (the page sends when its pose model is done); replies are matched by
``seq``. A client that falls a whole frame behind skips frames, as a camera would, and counts
them. Landmarks come from real tracks cached by ``benchmarks/evaluate_shared.py`` (normalised to
0..1 as MediaPipe gives them); with no cache, from ``pressup.synthetic.make_session``. Each client
starts at its own offset in its track; start times are staggered, so sends are spread over the
frame period.

Steps of N: connect, warm up, reset the server's timing, measure for ``--duration`` s, wait for
late replies, disconnect. The run stops at the first step with server p99 >= 50 ms, errors
(error replies, lost connections, replies missing 3 s after the window) or a client round-trip
p99 over ``--rtt-stop-ms`` (the server is not keeping up). Server and clients share this
machine's cores: the table shows each one's CPU use (100 % = one core). Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from pressup.pose import load_track
from pressup.pose.track import PoseTrack

DEFAULT_STEPS = "10,15,20,25,30,40,50,75,100,150,200,300,400,500,600,800,1000"
DEFAULT_TRACKS = ("s01", "s03", "abdurehmanasif__v2", "s02", "s04", "abdurehmanasif__v1")
TARGET_MS = 50.0
GRACE_S = 3.0
NCPU = os.cpu_count() or 1
CLK_TCK = os.sysconf("SC_CLK_TCK")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# -- tracks ----------------------------------------------------------------------------------
@dataclass
class Track:
    """A landmark track as ready-made ``lm`` JSON per frame (``null`` when no person)."""

    name: str
    width: int
    height: int
    lm: list[str]

    def message(self, seq: int, t: float, row: int) -> str:
        return (
            f'{{"v":1,"type":"frame","seq":{seq},"t":{t:.4f},'
            f'"w":{self.width},"h":{self.height},"lm":{self.lm[row]}}}'
        )


def _as_track(name: str, track: PoseTrack) -> Track:
    w, h = track.source.width, track.source.height
    scale = np.array([w, h, w, 1.0])
    rows = []
    for frame in track.data:
        if not np.isfinite(frame).all():
            rows.append("null")
            continue
        norm = frame / scale
        norm[:, :2] = np.clip(norm[:, :2], -1.0, 2.0)  # the protocol's range for x and y
        rows.append(json.dumps(norm.tolist()))
    return Track(name, w, h, rows)


def load_tracks(folder: Path) -> tuple[list[Track], str]:
    files = sorted(p for p in folder.glob("*.npz") if p.name.startswith(DEFAULT_TRACKS))
    if files:
        tracks = [_as_track(p.name.rsplit("-", 1)[0], load_track(p)) for p in files]
        return tracks, f"real tracks from {folder}"
    from pressup.synthetic import RepScript, SessionScript, make_session

    reps = [RepScript("hands", 1.5, 5.0, 2.0, 3.0) for _ in range(3)]
    synth, _ = make_session(SessionScript(reps=reps, fps=30, noise_px=1.0))
    return [_as_track("synthetic", synth)], f"SYNTHETIC track (no cached tracks in {folder})"


# -- the server ------------------------------------------------------------------------------
def _cpu_s(pid: int | str) -> float:
    """User + system CPU seconds of a process, all its threads."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    vals = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = vals[3] + vals[4]
    total = sum(vals[:8])
    return total - idle, total


class Server:
    """``pressup coach`` in its own process; stopped on exit, Ctrl-C or an exception."""

    def __init__(self, workdir: Path) -> None:
        exe = Path(sys.executable).with_name("pressup")
        cmd = (
            [str(exe)]
            if exe.exists()
            else [sys.executable, "-c", "from pressup.cli import app; app()"]
        )
        db = f"sqlite:///{workdir / 'load.db'}"
        self.cmd = [*cmd, "coach", "--no-browser", "--port", "0", "--database", db]
        self.out = workdir / "server.out"
        self.err = workdir / "server.err"
        env = {
            **os.environ,
            "PRESSUP_TIMING": "1",
            "PRESSUP_REQUIRE_SCREENING": "0",  # simulated clients skip the safety questions
            "COLUMNS": "400",
        }
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                self.cmd, stdout=out, stderr=err, env=env, start_new_session=True
            )
        self.pid = self.proc.pid
        try:
            self.port, self.token = self._wait_for_url(60.0)
            self.base = f"http://127.0.0.1:{self.port}"
            self._wait_healthy(30.0)
        except BaseException:
            self.stop()
            raise

    def _wait_for_url(self, timeout: float) -> tuple[int, str]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(
                r"http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]+)", self.out.read_text()
            )
            if m:
                return int(m.group(1)), m.group(2)
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {self.err.read_text()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"the server printed no URL in {timeout:.0f} s")

    def _wait_healthy(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        while True:
            try:
                with NO_PROXY.open(f"{self.base}/api/health", timeout=2) as r:
                    if json.loads(r.read())["ok"]:
                        return
            except OSError:
                if time.monotonic() > end:
                    raise
            time.sleep(0.05)

    def timing(self, reset: bool) -> dict[str, Any]:
        url = f"{self.base}/api/timing?token={self.token}" + ("&reset=1" if reset else "")
        with NO_PROXY.open(url, timeout=30) as r:
            out: dict[str, Any] = json.loads(r.read())
            return out

    def cpu_s(self) -> float:
        return _cpu_s(self.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# -- the clients -----------------------------------------------------------------------------
@dataclass
class Stats:
    measuring: bool = False
    sent: int = 0  # frames sent inside the window
    replied: int = 0  # ... and answered with an update
    skipped: int = 0  # frames skipped inside the window (a client a whole frame late)
    error_replies: int = 0
    lost: int = 0  # connections refused, failed or dropped
    missing: int = 0  # window frames with no reply GRACE_S after the window
    connected: int = 0
    rtt_ms: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)  # send time minus its deadline
    notes: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)  # session stage of window replies


@dataclass
class Control:
    stop: bool = False  # stop sending
    closing: asyncio.Event = field(default_factory=asyncio.Event)  # disconnect


async def _receive(
    ws: ClientConnection,
    pending: dict[int, tuple[float, bool]],
    stats: Stats,
    ctl: Control,
    dead: list[str],
) -> None:
    try:
        async for raw in ws:
            now = time.perf_counter()
            msg = json.loads(raw)
            kind = msg.get("type")
            if kind == "update":
                entry = pending.pop(msg["seq"], None)
                if entry is not None and entry[1]:
                    stats.replied += 1
                    stats.rtt_ms.append((now - entry[0]) * 1e3)
                    stats.stages[msg["status"]["stage"]] += 1
            elif kind == "error":
                stats.error_replies += 1
                stats.notes[f"error {msg.get('code')}"] += 1
                pending.pop(msg.get("seq"), None)
    except ConnectionClosed as exc:
        if not ctl.closing.is_set():
            dead.append(f"closed {exc.rcvd.code if exc.rcvd else '-'}")


async def _send_frames(
    ws: ClientConnection,
    track: Track,
    offset: int,
    fps: float,
    pending: dict[int, tuple[float, bool]],
    stats: Stats,
    ctl: Control,
) -> None:
    loop = asyncio.get_running_loop()
    period = 1.0 / fps
    start = loop.time()
    k = 0
    while not ctl.stop:
        due = start + k * period
        now = loop.time()
        if due > now:
            await asyncio.sleep(due - now)
            if ctl.stop:
                return
            now = loop.time()
        if now - due >= period:  # a whole frame late: skip, as a camera would
            behind = int((now - due) / period)
            k += behind
            due += behind * period
            if stats.measuring:
                stats.skipped += behind
        in_window = stats.measuring
        pending[k] = (time.perf_counter(), in_window)
        await ws.send(track.message(k, k * period, (offset + k) % len(track.lm)))
        if in_window:
            stats.sent += 1
            stats.lag_ms.append((now - due) * 1e3)
        k += 1


async def run_client(
    i: int,
    url: str,
    origin: str,
    track: Track,
    offset: int,
    start_at: float,
    args: argparse.Namespace,
    stats: Stats,
    ctl: Control,
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start_at - loop.time()))
    pending: dict[int, tuple[float, bool]] = {}
    dead: list[str] = []  # why this client's connection was lost (counted once)
    try:
        async with connect(
            url,
            origin=origin,  # type: ignore[arg-type]
            compression=None if args.no_compression else "deflate",
            proxy=None,
            ping_interval=None,  # browsers do not ping; uvicorn pings every 20 s
            open_timeout=60,
            close_timeout=10,
        ) as ws:
            await ws.send(
                json.dumps({"v": 1, "type": "hello", "session": None, "client": f"load-{i}"})
            )
            welcome = json.loads(await ws.recv())
            if welcome.get("type") != "welcome":
                dead.append(f"no welcome: {welcome.get('code')}")
                return
            stats.connected += 1
            receiver = asyncio.create_task(_receive(ws, pending, stats, ctl, dead))
            try:
                await _send_frames(ws, track, offset, args.fps, pending, stats, ctl)
                await ctl.closing.wait()
            finally:
                receiver.cancel()
    except ConnectionClosed as exc:
        if not ctl.closing.is_set():
            dead.append(f"closed {exc.rcvd.code if exc.rcvd else '-'}")
    except (OSError, WebSocketException, asyncio.TimeoutError) as exc:
        dead.append(type(exc).__name__)
    finally:
        stats.missing += sum(1 for _, in_window in pending.values() if in_window)
        if dead:
            stats.lost += 1
            stats.notes[dead[0]] += 1


# -- one step --------------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


@dataclass
class Row:
    n: int
    offered: float
    delivered: float
    srv: dict[str, Any]
    rtt50: float
    rtt99: float
    lag99: float
    errors: int
    skipped: int
    srv_cpu: float
    cli_cpu: float
    machine_cpu: float
    stats: Stats

    @property
    def server_ok(self) -> bool:
        p99 = self.srv.get("p99_ms")
        return self.errors == 0 and p99 is not None and p99 < TARGET_MS

    @property
    def kept_up(self) -> bool:
        """Also the clients' round trip under the target: no queue built up in the server."""
        return self.server_ok and self.rtt99 < TARGET_MS

    def stage_mix(self) -> str:
        total = sum(self.stats.stages.values()) or 1
        return ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in self.stats.stages.most_common())


async def run_step(
    n: int, server: Server, tracks: list[Track], args: argparse.Namespace, rng: np.random.Generator
) -> Row:
    loop = asyncio.get_running_loop()
    stats, ctl = Stats(), Control()
    url = f"ws://127.0.0.1:{server.port}/ws?token={server.token}"
    origin = server.base
    stagger = max(1.0, n / 100)  # connect about 100 clients a second
    t0 = loop.time() + 0.1
    tasks = []
    for i in range(n):
        track = tracks[i % len(tracks)]
        offset = int(rng.integers(len(track.lm)))
        start_at = t0 + stagger * i / n
        tasks.append(
            asyncio.create_task(
                run_client(i, url, origin, track, offset, start_at, args, stats, ctl)
            )
        )
    await asyncio.sleep(stagger + args.warmup)
    await asyncio.to_thread(server.timing, True)
    s0, c0, m0, w0 = server.cpu_s(), _cpu_s("self"), _machine_busy(), time.perf_counter()
    stats.measuring = True
    await asyncio.sleep(args.duration)
    stats.measuring = False
    s1, c1, m1, w1 = server.cpu_s(), _cpu_s("self"), _machine_busy(), time.perf_counter()
    srv = await asyncio.to_thread(server.timing, True)
    ctl.stop = True
    end = loop.time() + GRACE_S
    while loop.time() < end and stats.replied + stats.error_replies < stats.sent:
        await asyncio.sleep(0.05)
    ctl.closing.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    wall = w1 - w0
    return Row(
        n=n,
        offered=stats.sent / wall,
        delivered=stats.replied / wall,
        srv=srv,
        rtt50=_pct(stats.rtt_ms, 0.50),
        rtt99=_pct(stats.rtt_ms, 0.99),
        lag99=_pct(stats.lag_ms, 0.99),
        errors=stats.error_replies + stats.lost + stats.missing,
        skipped=stats.skipped,
        srv_cpu=100 * (s1 - s0) / wall,
        cli_cpu=100 * (c1 - c0) / wall,
        machine_cpu=100 * NCPU * (m1[0] - m0[0]) / max(1, m1[1] - m0[1]),
        stats=stats,
    )


HEADER = (
    f"{'N':>5} {'sent/s':>8} {'replies/s':>9} {'srv p50':>8} {'srv p99':>8} {'srv max':>8} "
    f"{'rtt p50':>8} {'rtt p99':>8} {'lag p99':>8} {'errors':>6} {'skipped':>7} "
    f"{'srv CPU%':>8} {'cli CPU%':>8} {'all CPU%':>8}"
)


def _fmt(v: Any, spec: str = ".1f") -> str:
    return "-" if v is None else format(v, spec)


def format_row(r: Row) -> str:
    return (
        f"{r.n:>5} {r.offered:>8.0f} {r.delivered:>9.0f} {_fmt(r.srv.get('p50_ms'), '8.2f')} "
        f"{_fmt(r.srv.get('p99_ms'), '8.2f')} {_fmt(r.srv.get('max_ms'), '8.1f')} "
        f"{r.rtt50:>8.1f} {r.rtt99:>8.1f} {r.lag99:>8.1f} {r.errors:>6} {r.skipped:>7} "
        f"{r.srv_cpu:>8.0f} {r.cli_cpu:>8.0f} {r.machine_cpu:>8.0f}"
    )


async def run_all(server: Server, tracks: list[Track], args: argparse.Namespace) -> list[Row]:
    rng = np.random.default_rng(args.seed)
    steps = [n for n in (int(x) for x in args.steps.split(",")) if n <= args.max_n]
    rows: list[Row] = []
    print(HEADER, flush=True)
    for n in steps:
        row = await run_step(n, server, tracks, args, rng)
        rows.append(row)
        print(format_row(row), flush=True)
        print(f"{'':>5} replies by session stage: {row.stage_mix()}", flush=True)
        why = []
        p99 = row.srv.get("p99_ms")
        if p99 is None or p99 >= TARGET_MS:
            why.append(f"server p99 {_fmt(p99, '.1f')} ms >= {TARGET_MS:.0f} ms")
        if row.errors:
            s = row.stats
            why.append(
                f"{row.errors} errors (error replies {s.error_replies}, lost connections "
                f"{s.lost}, missing replies {s.missing}; {dict(s.notes)})"
            )
        if row.rtt99 > args.rtt_stop_ms:
            why.append(f"client round-trip p99 {row.rtt99:.0f} ms > {args.rtt_stop_ms:.0f} ms")
        if why:
            print(f"stopping after N={n}: " + "; ".join(why), flush=True)
            break
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", default=DEFAULT_STEPS, help="comma-separated client counts")
    ap.add_argument("--duration", type=float, default=15.0, help="measured seconds per step")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds after the last connect")
    ap.add_argument("--max-n", type=int, default=1000, help="largest client count tried")
    ap.add_argument("--fps", type=float, default=30.0, help="frames per second per client")
    ap.add_argument("--rtt-stop-ms", type=float, default=500.0, help="stop when rtt p99 exceeds")
    ap.add_argument("--no-compression", action="store_true", help="no permessage-deflate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--tracks", type=Path, default=Path.home() / ".cache" / "pressup" / "tracks" / "full"
    )
    args = ap.parse_args()

    tracks, source = load_tracks(args.tracks)
    print(
        f"pressup coach under load - {platform.python_version()}, {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()})"
    )
    print(f"tracks: {source}: " + ", ".join(f"{t.name} ({len(t.lm)} fr)" for t in tracks))
    print(
        f"clients: one asyncio process (pid {os.getpid()}), websockets, {args.fps:g} frame/s each, "
        f"permessage-deflate {'off' if args.no_compression else 'on (as browsers)'}; "
        f"{args.duration:g} s measured per step after {args.warmup:g} s warm-up"
    )
    print(
        "NOTE: server and clients share the machine's cores; CPU% is of one core "
        f"(the machine has {NCPU * 100}%)."
    )

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    with tempfile.TemporaryDirectory(prefix="pressup-load-") as tmp:
        server = Server(Path(tmp))
        try:
            print(f"server: pid {server.pid}, {server.base}, {' '.join(server.cmd[1:])}")
            print(
                "  srv p50/p99/max: frame received -> update sent, inside the server (ms); "
                "rtt: client send -> reply received (ms);\n"
                "  lag p99: client send delay past its deadline (ms); errors: error replies + "
                "lost connections + missing replies\n",
                flush=True,
            )
            rows = asyncio.run(run_all(server, tracks, args))
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        finally:
            server.stop()
    ok = [r.n for r in rows if r.server_ok]
    kept = [r.n for r in rows if r.kept_up]
    print()
    print(
        f"largest N with server p99 < {TARGET_MS:.0f} ms (and no errors): "
        f"{max(ok) if ok else 'none'}"
    )
    print(
        f"largest N with server p99 and client round-trip p99 < {TARGET_MS:.0f} ms: "
        f"{max(kept) if kept else 'none'}"
    )
    if ok and (not kept or max(kept) < max(ok)):
        print(
            "  the server-side figure leaves out the time a frame waits for the event loop: "
            "once the server's CPU is near 100 % of a core, frames queue up and only the round "
            "trip shows it; the second line is the one to trust."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
