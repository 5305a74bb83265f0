"""Server CPU per live frame, stage by stage, without the network: where a frame's time goes.

Usage::

    python benchmarks/frame_cost.py [--sessions 20] [--seconds 30] [--batch 1] [--repeats 3]

``--sessions`` live sessions of the coach's :class:`~pressup.web.hub.SessionHub` (SQLite in a
temporary folder, its one writer thread as in the server) are fed, round robin, the frames the
load generator sends (``benchmarks/load_ws.py``: a synthetic set of 3 press-ups normalised as
MediaPipe gives them, each session at its own offset, ``--seconds`` of frames at 30 frames/s
per session), as raw JSON text. Each message goes through the server's own steps, each timed
in the CPU time of its thread (below):

* ``inflate`` / ``deflate``: permessage-deflate of the message in and of the reply out, as
  the ``websockets`` library does it for one connection (raw deflate, 12 window bits, memLevel
  5, context kept between messages);
* ``parse``: :func:`pressup.web.schemas.parse_message` (size and nesting checks, JSON decode,
  validation; the first version of this file also timed the standard ``json`` module's decode
  alone: 45 of the 117 µs then);
* ``engine``: :meth:`pressup.live.LiveSession.on_frame` (set-up checks, kinematics, engine,
  cues), timed inside ``hub``; also split by the stage the session was in (``setup``: camera
  checks, ``start_check``: camera and start-position checks, judged every ``CHECK_EVERY_S``;
  ``exercise``; ``done``);
* ``hub``: :meth:`SessionHub.on_frame` less ``engine`` (order checks, pixels, the store's checks,
  queueing the writes);
* ``reply``: the rest of the WebSocket handler's answer
  (:meth:`pressup.web.routes.ws.Connection.handle` less ``hub`` and ``engine``): the reply's
  text, handing it to the socket (a stand-in that keeps it), the storage check;
* ``writer``: CPU time of the writer thread (``time.pthread_getcpuclockid``) over the run,
  per frame (SQLite writes of the frame chunks, events and repetitions). The hub hands its
  writes over every ``FLUSH_S`` of the frames' own clock (given to it), as it would in real
  time, although the frames are fed faster.

Every stage is timed in CPU time of its thread (``time.thread_time_ns``), not wall time, so
that other processes on a busy machine do not count (they still slow the caches down).

``--batch N`` sends N frames per ``frames`` message (``docs/protocol.md``), ``--batch 1`` one
``frame`` message per frame. The websocket framing and the ASGI layers (uvicorn,
starlette) are left out: ``benchmarks/load_ws.py`` measures the whole server.

Figures: per frame, the median over ``--repeats`` runs of each stage's mean (µs), and each
stage's share of the total. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_ws import synthetic_lm

from pressup.protocol import load_spec
from pressup.sessions.store import Store
from pressup.web import schemas
from pressup.web.hub import Live, SessionHub
from pressup.web.routes.ws import Connection
from pressup.web.schemas import FramesIn

STAGES = ("inflate", "parse", "engine", "hub", "reply", "deflate", "writer")


class Deflate:
    """One connection's permessage-deflate as ``websockets`` sets it up on the server."""

    def __init__(self) -> None:
        self.c = zlib.compressobj(wbits=-12, memLevel=5)
        self.d = zlib.decompressobj(wbits=-12)

    def compress(self, data: bytes) -> bytes:
        return self.c.compress(data) + self.c.flush(zlib.Z_SYNC_FLUSH)[:-4]

    def decompress(self, data: bytes) -> bytes:
        return self.d.decompress(data + b"\x00\x00\xff\xff")


def messages(n_sessions: int, seconds: float, batch: int) -> list[list[str]]:
    """Per session, the raw messages of ``seconds`` of frames (30 frames/s)."""
    w, h, rows = synthetic_lm()
    period = 1 / 30
    n = int(seconds * 30)
    out = []
    for i in range(n_sessions):
        offset = (i * 97) % len(rows)
        frames = [
            f'{{"seq":{k},"t":{k * period:.4f},"w":{w},"h":{h},'
            f'"lm":{rows[(offset + k) % len(rows)]}}}'
            for k in range(n)
        ]
        if batch <= 1:
            out.append(['{"v":1,"type":"frame",' + f[1:] for f in frames])
        else:
            out.append(
                [
                    '{"v":1,"type":"frames","frames":[' + ",".join(frames[j : j + batch]) + "]}"
                    for j in range(0, n, batch)
                ]
            )
    return out


class Timed:
    """A stand-in for a method that adds its thread CPU time to ``acc[key]``."""

    def __init__(self, fn: Callable[..., Any], acc: dict[str, int], key: str) -> None:
        self.fn, self.acc, self.key = fn, acc, key

    def __call__(self, *a: Any, **kw: Any) -> Any:
        t0 = time.thread_time_ns()
        try:
            return self.fn(*a, **kw)
        finally:
            self.acc[self.key] += time.thread_time_ns() - t0


class TimedEngine(Timed):
    """:class:`Timed` for ``LiveSession.on_frame``, also per stage the session was in when the
    frame came (``engine@setup`` and so on, with ``frames@setup``)."""

    def __init__(self, fn: Callable[..., Any], acc: dict[str, int], session: Any) -> None:
        super().__init__(fn, acc, "engine")
        self.session = session

    def __call__(self, *a: Any, **kw: Any) -> Any:
        stage = self.session.stage
        t0 = time.thread_time_ns()
        try:
            return self.fn(*a, **kw)
        finally:
            ns = time.thread_time_ns() - t0
            self.acc["engine"] += ns
            self.acc[f"engine@{stage}"] += ns
            self.acc[f"frames@{stage}"] += 1


class Tab:
    """A stand-in for the WebSocket: keeps what the server sends."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.query_params: dict[str, str] = {}

    async def send_text(self, data: str) -> None:
        self.sent.append(data)


async def one_run(args: argparse.Namespace, tmp: Path, run: int) -> tuple[dict[str, int], int]:
    """Feed every session's messages; the nanoseconds per stage and the frames answered."""
    store = Store(f"sqlite:///{tmp / f'cost{run}.db'}")
    now = [0.0]  # the frames' own clock: the hub writes every FLUSH_S of it, as in real time
    hub = SessionHub(load_spec(None), store, clock=lambda: now[0])
    acc: dict[str, int] = defaultdict(int)
    hub.on_frame = Timed(hub.on_frame, acc, "hub_all")  # type: ignore[method-assign]
    lives: list[Live] = []
    pipes = []
    for i in range(args.sessions):
        tab = Tab()
        live, _ = await hub.open(None, f"cost-{i}", tab)  # type: ignore[arg-type]
        hub.join(live, tab)  # type: ignore[arg-type]
        live.session.on_frame = TimedEngine(live.session.on_frame, acc, live.session)  # type: ignore[method-assign]
        lives.append(live)
        pipes.append(Pipe(Connection(tab, hub, None, store, None, None, live), acc))  # type: ignore[arg-type]
    raw = messages(args.sessions, args.seconds, args.batch)
    wire = [[Deflate().compress(m.encode()) for m in ms] for ms in raw]
    writer_clock = None
    cpu0 = 0.0
    frames = 0
    for k in range(len(raw[0])):
        now[0] = k * max(args.batch, 1) / 30
        for pipe, ws in zip(pipes, wire):
            frames += await pipe.step(ws[k])
            if writer_clock is None and hub.writer._thread is not None:
                writer_clock = time.pthread_getcpuclockid(hub.writer._thread.ident or 0)
                cpu0 = time.clock_gettime(writer_clock)
    for live in lives:
        hub.flush(live)
    await hub.writer.idle(60)
    if writer_clock is not None:
        acc["writer"] = int((time.clock_gettime(writer_clock) - cpu0) * 1e9)
    await hub.close()
    store.close()
    return acc, frames


class Pipe:
    """One connection's server side: inflate, parse, answer (hub, engine, reply), deflate."""

    def __init__(self, conn: Connection, acc: dict[str, int]) -> None:
        self.conn, self.acc = conn, acc
        self.inflate, self.deflate = Deflate(), Deflate()

    async def step(self, wire: bytes) -> int:
        """One message from the wire; how many frames it carried."""
        acc, clock = self.acc, time.thread_time_ns
        t0 = clock()
        raw = self.inflate.decompress(wire).decode()
        t1 = clock()
        msg = schemas.parse_message(raw)
        t3 = clock()
        hub0, engine0 = acc["hub_all"], acc["engine"]
        await self.conn.handle(msg, 0)
        t4 = clock()
        sent, self.conn.ws.sent = self.conn.ws.sent, []  # type: ignore[attr-defined]
        for r in sent:
            self.deflate.compress(r.encode())
        t5 = clock()
        hub_ns = acc["hub_all"] - hub0
        acc["inflate"] += t1 - t0
        acc["parse"] += t3 - t1
        acc["hub"] += hub_ns - (acc["engine"] - engine0)
        acc["reply"] += (t4 - t3) - hub_ns
        acc["deflate"] += t5 - t4
        return len(msg.frames) if isinstance(msg, FramesIn) else 1


def report(runs: list[tuple[dict[str, int], int]]) -> None:
    per = {s: [acc.get(s, 0) / 1e3 / n for acc, n in runs] for s in STAGES}
    med = {s: statistics.median(v) for s, v in per.items()}
    total = sum(med.values())
    print(f"{'stage':<10} {'µs/frame':>9} {'share':>6}")
    for s in STAGES:
        print(f"{s:<10} {med[s]:>9.1f} {100 * med[s] / total:>5.0f}%")
    print(f"{'total':<10} {total:>9.1f}")
    print("engine by the stage the session was in (µs per frame of that stage, share of frames):")
    for stage in ("setup", "start_check", "exercise", "done"):
        ns = [acc.get(f"engine@{stage}", 0) for acc, _ in runs]
        fr = [acc.get(f"frames@{stage}", 0) for acc, _ in runs]
        if sum(fr):
            us = statistics.median(n / 1e3 / max(f, 1) for n, f in zip(ns, fr))
            share = 100 * sum(fr) / sum(n for _, n in runs)
            print(f"  {stage:<12} {us:>7.1f} µs  {share:>3.0f}% of frames")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--batch", type=int, default=1, help="frames per message")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(
        f"server CPU per frame - Python {platform.python_version()}, {platform.machine()}; "
        f"{args.sessions} sessions x {args.seconds:g} s at 30 frames/s, batch {args.batch}, "
        f"median of {args.repeats} runs"
    )
    runs = []
    with tempfile.TemporaryDirectory(prefix="pressup-frame-cost-") as tmp:
        for r in range(args.repeats):
            runs.append(asyncio.run(one_run(args, Path(tmp), r)))
    report(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
