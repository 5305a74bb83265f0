"""Replay a recorded pose track through the live coach, and compare it with the offline analysis.

:func:`replay_live` feeds a :class:`~pressup.pose.PoseTrack` to a fresh
:class:`~pressup.live.LiveSession` the way the coach page does: every frame as the browser sends
it (landmarks normalised to the picture and rounded as ``static/pose.js`` packs them, a frame
with no person as ``None``), turned back into pixels by
:func:`~pressup.live.session.landmarks_to_pixels`, at the track's own times. With ``fps`` given
only the frames nearest a regular grid at that rate are fed, as a slow laptop that runs pose
estimation at 9 or 15 frames a second would. The session goes through the camera set-up and
start-position checks into the exercise by itself, exactly as live.

Two honest differences from a live session, both so that replay sees what the offline analysis
sees:

* **The set does not stop at its target.** Live, the session ends (stage ``done``) at the
  ``set_completed`` event once ``dose.target_reps`` press-ups are complete. A recording may hold
  more press-ups than the dose; the replay session is built with ``continue_after_set=True``,
  so every later frame is still judged. The spec is *not* changed (the engine and the coach see
  the same dose as live and offline; ``set_completed`` is emitted at the same moment and its
  time is kept in :attr:`LiveReplay.set_completed_s`); cues after it count past the target
  ("That's 4 of 3.").
* **The end of the recording closes the set**, as the offline analysis does: a press-up still
  under way is reported as ``rep_unfinished`` (``not_counted: ended_up``), see
  :meth:`~pressup.live.LiveSession.end`.

:func:`compare_live_offline` matches the repetitions of both by time and says where they differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from pressup.analysis.result import Analysis, Rep
from pressup.engine import Event
from pressup.live.cues import Cue
from pressup.live.session import LiveSession, landmarks_to_pixels
from pressup.pose.track import PoseTrack
from pressup.protocol import ProtocolSpec

Array = npt.NDArray[np.float64]

#: Largest difference in hold time (seconds) between live and offline that still agrees.
HOLD_TOLERANCE_S = 0.3


@dataclass
class LiveReplay:
    """What a live session made of a recorded track.

    Attributes:
        reps: finished repetitions (complete or not) as the engine emits them (dicts).
        events: every event, in order (``hold_tick`` included).
        cues: ``(t_s, cue)``: what the coach showed and said, with the frame time it came at.
        stages: ``(t_s, stage)`` each time the session's stage changed (``setup``,
            ``start_check``, ``exercise``, ``rest``, ``done``).
        exercise_from_s: the first frame time judged by the engine (frames from there on, since
            the camera checks passed, are replayed at the start of the set); NaN if the set
            never began.
        set_completed_s: when the live set would have ended (``set_completed``), else NaN.
        frames_fed: how many frames were fed.
        fps: the rate asked for (None: every frame of the track).
    """

    reps: list[dict[str, Any]]
    events: list[Event]
    cues: list[tuple[float, Cue]]
    stages: list[tuple[float, str]]
    exercise_from_s: float
    set_completed_s: float
    frames_fed: int
    fps: float | None = None

    @property
    def count(self) -> int:
        """Complete press-ups."""
        return sum(1 for r in self.reps if r.get("complete"))


def grid_frames(t_s: Array, fps: float) -> npt.NDArray[np.intp]:
    """Indices of the frames nearest a regular grid at ``fps`` from the first frame (sorted,
    each at most once)."""
    if t_s.size == 0:
        return np.zeros(0, dtype=np.intp)
    if not (fps > 0 and math.isfinite(fps)):
        raise ValueError(f"fps must be a positive number, got {fps}")
    if t_s.size == 1:
        return np.zeros(1, dtype=np.intp)
    grid = t_s[0] + np.arange(0.0, t_s[-1] - t_s[0] + 0.5 / fps, 1.0 / fps)
    right = np.clip(np.searchsorted(t_s, grid), 1, t_s.size - 1)
    left = right - 1
    pick = np.where(np.abs(t_s[left] - grid) <= np.abs(t_s[right] - grid), left, right)
    out: npt.NDArray[np.intp] = np.unique(pick).astype(np.intp)
    return out


def browser_landmarks(row: Array, width: int, height: int) -> list[list[float]] | None:
    """One track frame as the coach page sends it (``packLandmarks`` in ``static/pose.js``):
    normalised, clamped and rounded; ``None`` when no person was found."""
    if not np.isfinite(row[:, :2]).any():
        return None
    out: list[list[float]] = []
    for x, y, z, vis in row.tolist():
        if not (math.isfinite(x) and math.isfinite(y)):
            out.append([0.0, 0.0, 0.0, 0.0])
            continue
        zn = z / width if math.isfinite(z) else 0.0
        v = min(max(vis, 0.0), 1.0) if math.isfinite(vis) else 0.0
        out.append(
            [
                round(min(max(x / width, -1.0), 2.0), 5),
                round(min(max(y / height, -1.0), 2.0), 5),
                round(min(max(zn, -50.0), 50.0), 5),
                round(v, 4),
            ]
        )
    return out


def replay_live(track: PoseTrack, spec: ProtocolSpec, fps: float | None = None) -> LiveReplay:
    """Feed ``track`` through a fresh live session (see the module docstring).

    Args:
        track: the recorded landmarks (pixels), at its own frame times.
        spec: the protocol with the session's dose (the same spec as the offline analysis).
        fps: pose frames per second of the simulated device; ``None`` feeds every frame.
    """
    session = LiveSession(spec, continue_after_set=True)
    w, h = track.source.width, track.source.height
    idx = np.arange(track.n_frames) if fps is None else grid_frames(track.t_s, fps)
    events: list[Event] = []
    cues: list[tuple[float, Cue]] = []
    stages: list[tuple[float, str]] = []
    reps: list[dict[str, Any]] = []
    t = 0.0
    for i in idx.tolist():
        t = float(track.t_s[i])
        packed = browser_landmarks(track.data[i], w, h)
        lm = landmarks_to_pixels(packed, w, h) if packed is not None else None
        upd = session.on_frame(t, w, h, lm)
        stage = str(upd.status["stage"])
        if not stages or stages[-1][1] != stage:
            stages.append((t, stage))
        events.extend(upd.events)
        cues.extend((t, c) for c in upd.cues)
        reps.extend(upd.reps)
    t_end = float(track.duration_s) if track.n_frames else t  # as the offline analysis ends
    end = session.end(t_end)
    events.extend(end.events)
    cues.extend((t_end, c) for c in end.cues)
    reps.extend(end.reps)
    done = [e.t_s for e in events if e.kind == "set_completed"]
    return LiveReplay(
        reps=reps,
        events=events,
        cues=cues,
        stages=stages,
        exercise_from_s=session.exercise_from_s,
        set_completed_s=done[0] if done else math.nan,
        frames_fed=int(idx.size),
        fps=fps,
    )


# -- live vs offline ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RepPair:
    """One offline repetition and the live repetition matched with it (by time)."""

    offline_index: int
    live_index: int
    offline_complete: bool
    live_complete: bool
    hold_offline_s: float
    hold_live_s: float
    faults_offline: frozenset[str]
    faults_live: frozenset[str]

    @property
    def hold_diff_s(self) -> float:
        """Live minus offline hold (seconds)."""
        return self.hold_live_s - self.hold_offline_s


@dataclass
class Parity:
    """How the live replay of a track compares with its offline analysis.

    Attributes:
        count_offline, count_live: complete press-ups.
        matched: offline/live repetitions paired by time (the pair's intervals overlap).
        hold_diff_s: live - offline hold of each matched pair where both are complete.
        faults_offline, faults_live: the fault codes of each matched pair (same order).
        unmatched_offline, unmatched_live: repetition indices seen by one side only
            (with ``complete`` and ``not_counted`` of each).
        ok: the counts agree, every matched complete hold is within ``HOLD_TOLERANCE_S``, every
            matched pair has the same fault codes and agrees on counting, and no complete
            repetition is seen by one side only.
        reasons: what differs, in words (empty when ``ok``).
    """

    count_offline: int
    count_live: int
    matched: list[RepPair] = field(default_factory=list)
    hold_diff_s: list[float] = field(default_factory=list)
    faults_offline: list[frozenset[str]] = field(default_factory=list)
    faults_live: list[frozenset[str]] = field(default_factory=list)
    unmatched_offline: list[dict[str, Any]] = field(default_factory=list)
    unmatched_live: list[dict[str, Any]] = field(default_factory=list)
    ok: bool = True
    reasons: list[str] = field(default_factory=list)


def _interval(start: float, top_end: float, end: float) -> tuple[float, float]:
    hi = end if math.isfinite(end) else top_end
    return start, hi if math.isfinite(hi) else start


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def _codes(faults: Any) -> frozenset[str]:
    return frozenset(str(f["code"] if isinstance(f, dict) else f.code) for f in faults)


def _pair_by_overlap(
    spans_off: list[tuple[float, float]], spans_live: list[tuple[float, float]]
) -> list[tuple[int, int]]:
    """``(offline, live)`` index pairs, matched greedily by overlap (largest first; a pair must
    overlap), in offline order."""
    cands = sorted(
        (
            (-_overlap(a, b), i, j)
            for i, a in enumerate(spans_off)
            for j, b in enumerate(spans_live)
            if _overlap(a, b) > 0
        ),
    )
    used_off: set[int] = set()
    used_live: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in cands:
        if i in used_off or j in used_live:
            continue
        used_off.add(i)
        used_live.add(j)
        pairs.append((i, j))
    pairs.sort()
    return pairs


def _compare_pair(
    p: Parity, r: Rep, d: dict[str, Any], where: str, hold_tolerance_s: float
) -> None:
    """Add the matched pair of offline ``r`` and live ``d`` to ``p``, with what differs."""
    pair = RepPair(
        offline_index=r.index,
        live_index=int(d["index"]),
        offline_complete=bool(r.complete),
        live_complete=bool(d.get("complete")),
        hold_offline_s=float(r.hold_s),
        hold_live_s=float(d["hold_s"]),
        faults_offline=_codes(r.faults),
        faults_live=_codes(d.get("faults", [])),
    )
    p.matched.append(pair)
    p.faults_offline.append(pair.faults_offline)
    p.faults_live.append(pair.faults_live)
    if pair.offline_complete != pair.live_complete:
        p.reasons.append(
            f"{where}: counted offline {pair.offline_complete} "
            f"({r.not_counted or 'complete'}), live {pair.live_complete} "
            f"({d.get('not_counted') or 'complete'})"
        )
    if pair.offline_complete and pair.live_complete:
        diff = pair.hold_diff_s
        p.hold_diff_s.append(diff)
        if not (abs(diff) <= hold_tolerance_s):
            p.reasons.append(
                f"{where}: hold {pair.hold_offline_s:.2f} s offline, "
                f"{pair.hold_live_s:.2f} s live ({diff:+.2f} s)"
            )
    if pair.faults_offline != pair.faults_live:
        only_off = sorted(pair.faults_offline - pair.faults_live)
        only_live = sorted(pair.faults_live - pair.faults_offline)
        p.reasons.append(
            f"{where}: faults only offline {only_off or '-'}, only live {only_live or '-'}"
        )


def _add_unmatched(
    p: Parity,
    off: list[Rep],
    live: list[dict[str, Any]],
    pairs: list[tuple[int, int]],
    spans_off: list[tuple[float, float]],
    spans_live: list[tuple[float, float]],
) -> None:
    """Add the repetitions seen by one side only to ``p``; a complete one is a difference."""
    used_off = {i for i, _ in pairs}
    used_live = {j for _, j in pairs}
    for i, r in enumerate(off):
        if i not in used_off:
            p.unmatched_offline.append(
                {"index": r.index, "complete": r.complete, "not_counted": r.not_counted}
            )
            if r.complete:
                p.reasons.append(
                    f"complete rep at {r.start_s:.1f}-{spans_off[i][1]:.1f} s "
                    f"(offline #{r.index}) not seen live"
                )
    for j, d in enumerate(live):
        if j not in used_live:
            p.unmatched_live.append(
                {
                    "index": d["index"],
                    "complete": bool(d.get("complete")),
                    "not_counted": d.get("not_counted"),
                }
            )
            if d.get("complete"):
                p.reasons.append(
                    f"complete rep at {spans_live[j][0]:.1f}-{spans_live[j][1]:.1f} s "
                    f"(live #{d['index']}) not seen offline"
                )


def compare_live_offline(
    analysis: Analysis, replay: LiveReplay, hold_tolerance_s: float = HOLD_TOLERANCE_S
) -> Parity:
    """Compare the offline ``analysis`` of a track with its live ``replay``.

    Repetitions are paired greedily by the overlap of their ``[start, end]`` intervals (the
    largest overlap first); a pair must overlap. Count = complete press-ups. Every fault code is
    compared, ``short_hold`` and ``fast_lowering`` included.
    """
    off: list[Rep] = list(analysis.reps)
    live = replay.reps
    spans_off = [_interval(r.start_s, r.top_end_s, r.end_s) for r in off]
    spans_live = [
        _interval(float(d["start_s"]), float(d["top_end_s"]), float(d["end_s"])) for d in live
    ]
    pairs = _pair_by_overlap(spans_off, spans_live)
    p = Parity(count_offline=analysis.rep_count, count_live=replay.count)
    for i, j in pairs:
        r = off[i]
        where = f"rep at {r.start_s:.1f}-{spans_off[i][1]:.1f} s (offline #{r.index})"
        _compare_pair(p, r, live[j], where, hold_tolerance_s)
    _add_unmatched(p, off, live, pairs, spans_off, spans_live)
    if p.count_offline != p.count_live:
        p.reasons.insert(0, f"count {p.count_offline} offline, {p.count_live} live")
    p.ok = not p.reasons
    return p
