"""Server CPU per live frame, stage by stage, without the network: where a frame's time goes.

Usage::

    python benchmarks/frame_cost.py [--sessions 20] [--seconds 30] [--repeats 3]

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
  validation), and its parts ``decode`` (the same JSON decode alone) and ``validate`` (the rest);
* ``engine``: :meth:`pressup.live.LiveSession.on_frame` (set-up checks, kinematics, engine,
  cues), timed inside ``hub``;
* ``hub``: :meth:`SessionHub.on_frame` less ``engine`` (order checks, pixels, the store's checks,
  queueing the writes);
* ``reply``: the reply's text as the WebSocket handler makes it;
* ``writer``: CPU time of the writer thread (``time.pthread_getcpuclockid``) over the run,
  per frame (SQLite writes of the frame chunks, events and repetitions).

Every stage is timed in CPU time of its thread (``time.thread_time_ns``), not wall time, so
that other processes on a busy machine do not count (they still slow the caches down).

The websocket framing and the ASGI layers (uvicorn,
starlette) are left out: ``benchmarks/load_ws.py`` measures the whole server.

Figures: per frame, the median over ``--repeats`` runs of each stage's mean (µs), and each
stage's share of the total. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from pressup.web.messages import Update, encode

STAGES = ("inflate", "decode", "validate", "parse", "engine", "hub", "reply", "deflate", "writer")


class Deflate:
    """One connection's permessage-deflate as ``websockets`` sets it up on the server."""

    def __init__(self) -> None:
        self.c = zlib.compressobj(wbits=-12, memLevel=5)
        self.d = zlib.decompressobj(wbits=-12)

    def compress(self, data: bytes) -> bytes:
        return self.c.compress(data) + self.c.flush(zlib.Z_SYNC_FLUSH)[:-4]

    def decompress(self, data: bytes) -> bytes:
        return self.d.decompress(data + b"\x00\x00\xff\xff")


def messages(n_sessions: int, seconds: float) -> list[list[str]]:
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
        out.append(['{"v":1,"type":"frame",' + f[1:] for f in frames])
    return out


class Timed:
    """A stand-in for one session's :meth:`LiveSession.on_frame` that adds its time."""

    def __init__(self, fn: Callable[..., Any], acc: dict[str, int]) -> None:
        self.fn, self.acc = fn, acc

    def __call__(self, *a: Any, **kw: Any) -> Any:
        t0 = time.thread_time_ns()
        try:
            return self.fn(*a, **kw)
        finally:
            self.acc["engine"] += time.thread_time_ns() - t0


class FakeTab:
    async def send_text(self, data: str) -> None:
        pass


async def one_run(args: argparse.Namespace, tmp: Path, run: int) -> tuple[dict[str, int], int]:
    """Feed every session's messages; the nanoseconds per stage and the frames answered."""
    store = Store(f"sqlite:///{tmp / f'cost{run}.db'}")
    hub = SessionHub(load_spec(None), store)
    acc: dict[str, int] = defaultdict(int)
    lives: list[Live] = []
    conns = []
    for i in range(args.sessions):
        tab = FakeTab()
        live, _ = await hub.open(None, f"cost-{i}", tab)  # type: ignore[arg-type]
        hub.join(live, tab)  # type: ignore[arg-type]
        live.session.on_frame = Timed(live.session.on_frame, acc)  # type: ignore[method-assign]
        lives.append(live)
        conns.append(Pipe(hub, live, acc))
    raw = messages(args.sessions, args.seconds)
    wire = [[Deflate().compress(m.encode()) for m in ms] for ms in raw]
    writer_clock = None
    cpu0 = 0.0
    frames = 0
    for k in range(len(raw[0])):
        for conn, ms, ws in zip(conns, raw, wire):
            frames += conn.step(ws[k], ms[k])
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
    """One connection's server side: inflate, parse, hub, reply, deflate (each timed)."""

    def __init__(self, hub: SessionHub, live: Live, acc: dict[str, int]) -> None:
        self.hub, self.live, self.acc = hub, live, acc
        self.inflate, self.deflate = Deflate(), Deflate()

    def step(self, wire: bytes, text: str) -> int:
        acc, clock = self.acc, time.thread_time_ns
        t0 = clock()
        raw = self.inflate.decompress(wire).decode()
        t1 = clock()
        json.loads(raw)
        t2 = clock()
        msg = schemas.parse_message(raw)
        t3 = clock()
        engine0 = acc["engine"]
        replies, n, reply_ns = self.answer(msg)
        t4 = clock()
        for r in replies:
            self.deflate.compress(r.encode())
        t5 = clock()
        acc["inflate"] += t1 - t0
        acc["decode"] += t2 - t1
        acc["parse"] += t3 - t2
        acc["validate"] += (t3 - t2) - (t2 - t1)
        acc["hub"] += (t4 - t3) - (acc["engine"] - engine0) - reply_ns
        acc["reply"] += reply_ns
        acc["deflate"] += t5 - t4
        return n

    def answer(self, msg: Any) -> tuple[list[str], int, int]:
        """The reply texts to one parsed message, the frames answered and the nanoseconds
        spent making the replies' text, as :mod:`pressup.web.routes.ws` does it."""
        upd = self.hub.on_frame(self.live, msg)
        t0 = time.thread_time_ns()
        text = encode(Update.of(msg.seq, upd))
        return [text], 1, time.thread_time_ns() - t0


def report(runs: list[tuple[dict[str, int], int]], args: argparse.Namespace) -> None:
    per = {s: [acc.get(s, 0) / 1e3 / n for acc, n in runs] for s in STAGES}
    med = {s: statistics.median(v) for s, v in per.items()}
    total = sum(med[s] for s in STAGES if s not in ("decode", "validate"))
    print(f"{'stage':<10} {'µs/frame':>9} {'share':>6}")
    for s in STAGES:
        part = s in ("decode", "validate")
        name = f"  {s}" if part else s
        print(f"{name:<10} {med[s]:>9.1f} {'' if part else f'{100 * med[s] / total:>5.0f}%':>6}")
    print(f"{'total':<10} {total:>9.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(
        f"server CPU per frame - Python {platform.python_version()}, {platform.machine()}; "
        f"{args.sessions} sessions x {args.seconds:g} s at 30 frames/s, "
        f"median of {args.repeats} runs"
    )
    runs = []
    with tempfile.TemporaryDirectory(prefix="pressup-frame-cost-") as tmp:
        for r in range(args.repeats):
            runs.append(asyncio.run(one_run(args, Path(tmp), r)))
    report(runs, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
