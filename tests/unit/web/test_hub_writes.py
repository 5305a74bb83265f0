"""The hub hands its sessions' writes to the writer every ``FLUSH_S``: all its sessions in one
call when a frame comes that late, and by its timer when the frames stop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np

import pressup.web.hub as hub_module
from pressup.protocol import load_spec
from pressup.sessions.store import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.hub import FLUSH_S, SessionHub
from pressup.web.schemas import FrameIn


def _frames(n: int) -> list[FrameIn]:
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 5.0, 2.5, 3.0)]))
    w, h = track.source.width, track.source.height
    scale = np.array([w, h, w, 1.0])
    return [FrameIn(i, float(track.t_s[i]), w, h, track.data[i] / scale, None) for i in range(n)]


def test_every_session_in_one_call_and_the_timer_writes_when_frames_stop(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    now = [0.0]
    hub = SessionHub(load_spec(None), store, clock=lambda: now[0])
    calls: list[str] = []
    submit = hub.writer.submit

    def counted(what: str, fn: Any, *, frames: int = 0) -> Any:
        calls.append(what)
        return submit(what, fn, frames=frames)

    hub.writer.submit = counted  # type: ignore[method-assign]
    frames = _frames(12)

    async def run() -> list[int]:
        lives = [(await hub.open(None, f"t{i}"))[0] for i in range(3)]
        opened = len(calls)
        for k in range(10):  # 10 frames each, all within FLUSH_S of the clock: nothing written
            for live in lives:
                hub.on_frame(live, frames[k])
        assert len(calls) == opened
        now[0] = FLUSH_S  # the next frame comes FLUSH_S later: every session's, one call
        hub.on_frame(lives[0], frames[10])
        assert len(calls) == opened + 1 and "3 sessions" in calls[-1], calls
        hub.on_frame(lives[1], frames[11])  # and then no frame: the timer writes it
        now[0] = 2 * FLUSH_S
        await asyncio.sleep(3 * FLUSH_S)
        assert len(calls) == opened + 2, calls
        assert await hub.writer.idle(10)
        counts = [store.load_track(live.id).n_frames for live in lives]
        await hub.close()
        return counts

    counts = asyncio.run(run())
    assert counts == [11, 11, 10]
    assert hub_module.MAX_HELD_FRAMES > 11  # the counts above are the clock's doing
    store.close()
