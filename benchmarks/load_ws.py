"""Live-coach WebSocket load: N concurrent sessions at 30 frames/s, stepped up until it breaks.

Usage::

    python benchmarks/load_ws.py [--sessions 25,50,100,200,300] [--seconds 10] [--fps 30]
                                 [--warmup 2] [--target-ms 50] [--no-compression]

Three processes, so that each one's CPU is measured on its own:

* the **server**: ``pressup coach --no-browser --port 0 --database sqlite:///TMP/load.db``
  (as ``tests/support/browser.py`` ``coach_server`` starts it) with ``PRESSUP_TIMING=1`` (frame
  replies timed inside the server, ``GET /api/timing``, see ``pressup.web.timing``) and
  ``PRESSUP_REQUIRE_SCREENING=0`` (simulated clients skip the safety questions);
* the **load generator**: this file run again with ``--generate`` for each step, in its own
  process (asyncio + ``websockets``): N sessions, each like the page - the app's ``Origin``,
  the launch token, Host ``127.0.0.1``, ``hello``, then one ``frame`` every 1/fps s on absolute
  deadlines without waiting for replies, replies matched by ``seq``; landmarks from one
  synthetic track (``pressup.synthetic.make_session``, normalised as MediaPipe gives them), each
  session at its own offset in it; connects staggered (about 100 a second); permessage-deflate
  on, as browsers do (``--no-compression``: off);
* this **driver**, which starts both, samples the server's and the generator's CPU time and the
  server's RSS from ``/proc`` (psutil when installed) over the measured window, and prints.

Per step: connect, warm up ``--warmup`` s, reset the server's timing, measure ``--seconds`` s,
read the timing, wait up to 3 s for late replies, disconnect. Figures:

* ``srv p50/p99``: frame received -> its ``update`` sent, inside the server (``/api/timing``;
  leaves out the time a frame waits for the event loop before its handler runs);
* ``rtt p50/p99``: client send -> reply received (includes that wait, and the generator's own
  scheduling, which shares the machine's cores);
* ``offered/s``: N x fps; ``sent/s``: frames the generator managed to send; ``replies/s``:
  updates received (both in the window);
* ``failed``: sessions refused, without ``welcome``, dropped, or with any ``error`` reply;
  ``missing``: window frames with no reply 3 s after the window;
* ``srv CPU%`` / ``gen CPU%``: CPU time over wall time (100 % = one core), ``srv RSS``: the
  largest sampled; ``CPU ms/fr``: server CPU time per frame answered.

A step passes when server p99 and round-trip p99 are under ``--target-ms``, no session failed,
no reply is missing and at least 95 % of the offered frames were answered; stepping stops at the
first step that does not. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
GRACE_S = 3.0

try:  # psutil if installed, else /proc
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    if psutil is not None:
        t = psutil.Process(pid).cpu_times()
        return float(t.user + t.system)
    stat = Path(f"/proc/{pid}/stat").read_text()
    f = stat[stat.rindex(")") + 2 :].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    if psutil is not None:
        return float(psutil.Process(pid).memory_info().rss) / 2**20
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


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
    rtt_ms: list[float] = field(default_factory=list)
    why: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)


async def session(
    i: int,
    args: argparse.Namespace,
    lm: tuple[int, int, list[str]],
    start_at: float,
    stats: GenStats,
    stop: asyncio.Event,
    close: asyncio.Event,
) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, WebSocketException

    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start_at - loop.time()))
    w, h, rows = lm
    offset = (i * 97) % len(rows)
    period = 1.0 / args.fps
    pending: dict[int, tuple[float, bool]] = {}
    failure: list[str] = []

    async def receive(ws: Any) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                msg = json.loads(raw)
                if msg.get("type") == "update":
                    sent_at, in_window = pending.pop(msg["seq"], (0.0, False))
                    if in_window:
                        stats.replied += 1
                        stats.rtt_ms.append((now - sent_at) * 1e3)
                        stats.stages[msg["status"]["stage"]] += 1
                elif msg.get("type") == "error":
                    stats.error_replies += 1
                    failure.append(f"error {msg.get('code')}")
                    pending.pop(msg.get("seq"), None)
        except ConnectionClosed as exc:
            if not close.is_set():
                failure.append(f"closed {exc.rcvd.code if exc.rcvd else '-'}")

    try:
        async with connect(
            f"ws://127.0.0.1:{args.port}/ws?token={args.token}",
            origin=f"http://127.0.0.1:{args.port}",  # type: ignore[arg-type]
            compression=None if args.no_compression else "deflate",  # browsers: deflate
            proxy=None,
            ping_interval=None,  # browsers do not ping
            open_timeout=60,
            close_timeout=10,
        ) as ws:
            hello = {"v": 1, "type": "hello", "session": None, "client": f"load_ws-{i}"}
            await ws.send(json.dumps(hello))
            welcome = json.loads(await ws.recv())
            if welcome.get("type") != "welcome":
                failure.append(f"no welcome: {welcome.get('code')}")
                return
            stats.connected += 1
            receiver = asyncio.create_task(receive(ws))
            start, k = loop.time(), 0
            try:
                while not stop.is_set():
                    due = start + k * period
                    now = loop.time()
                    if due > now:
                        await asyncio.sleep(due - now)
                    elif now - due >= period:  # a whole frame late: skip, as a camera would
                        k += int((now - due) / period)
                    if stop.is_set():
                        break
                    msg = (
                        f'{{"v":1,"type":"frame","seq":{k},"t":{k * period:.4f},"w":{w},'
                        f'"h":{h},"lm":{rows[(offset + k) % len(rows)]}}}'
                    )
                    pending[k] = (time.perf_counter(), stats.measuring)
                    await ws.send(msg)
                    if stats.measuring:
                        stats.sent += 1
                    k += 1
                await close.wait()
            finally:
                receiver.cancel()
    except ConnectionClosed as exc:
        if not close.is_set():
            failure.append(f"closed {exc.rcvd.code if exc.rcvd else '-'}")
    except (OSError, WebSocketException, asyncio.TimeoutError) as exc:
        failure.append(type(exc).__name__)
    finally:
        stats.missing += sum(1 for _, in_window in pending.values() if in_window)
        if failure:
            stats.failed += 1
            stats.why[failure[0]] += 1


def timing(args: argparse.Namespace, reset: bool) -> dict[str, Any]:
    url = f"http://127.0.0.1:{args.port}/api/timing?token={args.token}"
    with NO_PROXY.open(url + ("&reset=1" if reset else ""), timeout=30) as r:
        out: dict[str, Any] = json.loads(r.read())
    return out


async def generate(args: argparse.Namespace) -> dict[str, Any]:
    """One step: N sessions; prints ``START``/``END`` lines around the measured window (the
    driver samples CPU there), returns the figures."""
    lm = synthetic_lm()
    loop = asyncio.get_running_loop()
    stats, stop, close = GenStats(), asyncio.Event(), asyncio.Event()
    stagger = max(1.0, args.n / 100)
    t0 = loop.time() + 0.1
    tasks = [
        asyncio.create_task(session(i, args, lm, t0 + stagger * i / args.n, stats, stop, close))
        for i in range(args.n)
    ]
    await asyncio.sleep(stagger + args.warmup)
    await asyncio.to_thread(timing, args, True)
    print("START", flush=True)
    w0 = time.perf_counter()
    stats.measuring = True
    await asyncio.sleep(args.seconds)
    stats.measuring = False
    wall = time.perf_counter() - w0
    print("END", flush=True)
    srv = await asyncio.to_thread(timing, args, True)
    stop.set()
    end = loop.time() + GRACE_S
    while loop.time() < end and stats.replied + stats.error_replies < stats.sent:
        await asyncio.sleep(0.05)
    close.set()
    await asyncio.gather(*tasks, return_exceptions=True)
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
        "why": dict(stats.why),
        "rtt50": pct(stats.rtt_ms, 0.50),
        "rtt99": pct(stats.rtt_ms, 0.99),
        "srv": srv,
        "stages": {k: round(100 * v / total) for k, v in stats.stages.most_common()},
    }


# == the driver ==============================================================================
class Server:
    """``pressup coach`` in its own process, stopped on exit."""

    def __init__(self, workdir: Path) -> None:
        exe = Path(sys.executable).with_name("pressup")
        cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "pressup"]
        db = f"sqlite:///{workdir / 'load.db'}"
        self.cmd = [*cli, "coach", "--no-browser", "--port", "0", "--database", db]
        env = {
            **os.environ,
            "PRESSUP_TIMING": "1",
            "PRESSUP_REQUIRE_SCREENING": "0",
            "COLUMNS": "400",
            "NO_COLOR": "1",
        }
        self.out, self.err = workdir / "server.out", workdir / "server.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=err, env=env)
        self.pid = self.proc.pid
        try:
            end = time.monotonic() + 60
            m = None
            while m is None:
                m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", self.out.read_text())
                if self.proc.poll() is not None or time.monotonic() > end:
                    raise RuntimeError(f"pressup coach did not start: {self.err.read_text()}")
                time.sleep(0.05)
            self.port, self.token = int(m.group(1)), m.group(2)
            while True:
                try:
                    with NO_PROXY.open(f"http://127.0.0.1:{self.port}/api/health", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > end:
                        raise
                    time.sleep(0.1)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Row:
    n: int
    res: dict[str, Any]
    srv_cpu: float  # % of one core
    gen_cpu: float
    srv_cpu_s: float
    rss_mb: float
    fps: float

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
        p99 = r["srv"].get("p99_ms")
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
        "--seconds", str(args.seconds), "--fps", str(args.fps),
        "--warmup", str(args.warmup), *(["--no-compression"] if args.no_compression else []),
    ]  # fmt: skip
    env = {**os.environ, "LOAD_WS_TOKEN": server.token}  # not on the command line
    gen = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    marks: dict[str, tuple[float, float, float]] = {}
    result: list[str] = []
    window = threading.Event()

    def read() -> None:
        for line in gen.stdout or []:
            line = line.strip()
            if line in ("START", "END"):
                marks[line] = (cpu_s(server.pid), cpu_s(gen.pid), time.perf_counter())
                if line == "START":
                    window.set()
                else:
                    window.clear()
            elif line:
                result.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    peak = rss_mb(server.pid)
    while gen.poll() is None:
        if window.is_set():
            peak = max(peak, rss_mb(server.pid))
        time.sleep(0.25)
    reader.join(timeout=5)
    if gen.returncode != 0 or not result or "END" not in marks:
        raise RuntimeError(f"the load generator failed (exit {gen.returncode}) at N={n}")
    (s0, g0, w0), (s1, g1, w1) = marks["START"], marks["END"]
    return Row(
        n=n,
        res=json.loads(result[-1]),
        srv_cpu=100 * (s1 - s0) / (w1 - w0),
        gen_cpu=100 * (g1 - g0) / (w1 - w0),
        srv_cpu_s=s1 - s0,
        rss_mb=peak,
        fps=args.fps,
    )


HEADER = (
    f"{'N':>4} {'offered/s':>9} {'sent/s':>7} {'replies/s':>9} {'srv p50':>7} {'srv p99':>7} "
    f"{'rtt p50':>7} {'rtt p99':>7} {'failed':>6} {'missing':>7} {'srv CPU%':>8} "
    f"{'srv RSS':>7} {'CPU ms/fr':>9} {'gen CPU%':>8}"
)


def fmt_row(r: Row) -> str:
    srv = r.res["srv"]

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.2f}"

    return (
        f"{r.n:>4} {r.offered:>9.0f} {r.sent:>7.0f} {r.replies:>9.0f} {f(srv.get('p50_ms')):>7} "
        f"{f(srv.get('p99_ms')):>7} {r.res['rtt50']:>7.1f} {r.res['rtt99']:>7.1f} "
        f"{r.res['failed']:>6} {r.res['missing']:>7} {r.srv_cpu:>8.0f} "
        f"{r.rss_mb:>5.0f}MB {r.cpu_ms_per_frame:>9.2f} {r.gen_cpu:>8.0f}"
    )


def drive(args: argparse.Namespace) -> int:
    steps = [int(x) for x in args.sessions.split(",") if x.strip()]
    print(
        f"pressup coach WebSocket load - Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}; load generator on the same machine; "
        f"CPU and RSS from {'psutil' if psutil is not None else '/proc'}"
    )
    print(
        f"each session: synthetic track, {args.fps:g} frames/s; per step {args.warmup:g} s "
        f"warm-up, {args.seconds:g} s measured; pass: srv and rtt p99 < {args.target_ms:g} ms, "
        "no failed session, >= 95 % answered; CPU% of one core"
    )
    t_start = time.monotonic()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="pressup-load-ws-") as tmp:
        server = Server(Path(tmp))
        try:
            print(f"server: pid {server.pid}, {' '.join(server.cmd[1:])}\n", flush=True)
            print(HEADER, flush=True)
            for n in steps:
                row = run_step(server, n, args)
                rows.append(row)
                print(fmt_row(row), flush=True)
                why = row.failures(args.target_ms)
                stages = ", ".join(f"{k} {v}%" for k, v in row.res["stages"].items())
                print(f"{'':>4} replies by stage: {stages}", flush=True)
                if why:
                    print(f"stopping after N={n}: " + "; ".join(why), flush=True)
                    break
        finally:
            server.stop()
    held = [r for r in rows if not r.failures(args.target_ms)]
    print(f"\n(run took {time.monotonic() - t_start:.0f} s)")
    if held:
        best = held[-1]
        print(
            f"verdict: server holds {best.n} sessions at {args.fps:g} frames/s with p99 < "
            f"{args.target_ms:g} ms on this machine; per frame it needs "
            f"{best.cpu_ms_per_frame:.2f} ms CPU"
            + ("" if best is rows[-1] else f" (fails at {rows[-1].n})")
        )
    else:
        last = rows[-1] if rows else None
        print(
            f"verdict: server holds none of the tried counts (fails at {steps[0]}) at "
            f"{args.fps:g} frames/s with p99 < {args.target_ms:g} ms on this machine"
            + (f"; per frame it needs {last.cpu_ms_per_frame:.2f} ms CPU" if last else "")
        )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sessions", default="25,50,100,200,300", help="comma-separated steps")
    ap.add_argument("--seconds", type=float, default=10.0, help="measured seconds per step")
    ap.add_argument("--fps", type=float, default=30.0, help="frames per second per session")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds after the last connect")
    ap.add_argument("--target-ms", type=float, default=50.0, help="p99 limit")
    ap.add_argument("--no-compression", action="store_true", help="no permessage-deflate")
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.token = os.environ.get("LOAD_WS_TOKEN", "")
    if args.generate:
        print(json.dumps(asyncio.run(generate(args))), flush=True)
        return 0
    return drive(args)


if __name__ == "__main__":
    sys.exit(main())
