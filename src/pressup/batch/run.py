"""Run a batch: plan the jobs, skip what is already done, run the rest on Ray (or in this
process), record each result as it arrives, and write the results tables.

Resumable: each video's folder gets its :data:`~pressup.batch.job.RESULT_FILE` when that
video is done, written atomically, and only as many videos as there are worker slots are in
flight at once; a killed run therefore loses at most the videos in flight, and a re-run skips
every video whose result exists with the same content hash, protocol hash, model and sampling.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2

from pressup.batch.inputs import HashCache, protocol_hash
from pressup.batch.job import Job, one_line, record, reusable, run_job, write_result
from pressup.batch.table import write_tables
from pressup.errors import BackendUnavailableError
from pressup.protocol import ProtocolSpec

#: Folder (under the batch output folder) holding one folder per video.
VIDEOS_DIR = "videos"
#: Frames per second per worker assumed before any video has finished (for the slow check).
INITIAL_FPS_GUESS = 8.0


@dataclass(frozen=True)
class BatchOptions:
    """How to run a batch.

    Attributes:
        model: pose model (``full``, ``heavy``, ``auto``).
        adaptive: pose only where movement needs it; False poses every frame.
        runner: ``ray`` (one Ray task per video) or ``local`` (one after the other, here).
        ray_address: a Ray cluster to join; None starts a local Ray on this machine.
        workers: with a local Ray, how many videos at once (default: every core).
        slow_factor: a video still running after this many times its expected time (its
            frames at the median frames/s of the videos done so far) is reported as slow.
        slow_grace_s: ... and only after at least this many seconds.
    """

    model: str = "full"
    adaptive: bool = False
    runner: str = "ray"
    ray_address: str | None = None
    workers: int | None = None
    slow_factor: float = 3.0
    slow_grace_s: float = 60.0


@dataclass
class Progress:
    """What the batch has done so far, for a progress display.

    Attributes:
        total: videos in the batch; done: finished (analysed, failed or reused); reused:
            of those, skipped because their result was already there.
        frames: frames of the videos analysed in this run; elapsed_s: seconds since the
            first video was started.
        last: the last finished record; messages: lines to show now (slow videos).
    """

    total: int
    done: int = 0
    reused: int = 0
    frames: int = 0
    elapsed_s: float = 0.0
    last: dict[str, Any] | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def videos_per_s(self) -> float:
        ran = self.done - self.reused
        return ran / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0


ProgressFn = Callable[[Progress], None]


@dataclass
class BatchResult:
    """What a batch did: one record per video (in input order) and the tables written."""

    records: list[dict[str, Any]]
    tables: dict[str, Path] = field(default_factory=dict)
    slow: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.records)


def announced_frames(video: Path) -> int:
    """Frames the container announces, without decoding (0 when unknown or unreadable)."""
    cap = cv2.VideoCapture(str(video))
    try:
        return max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0) if cap.isOpened() else 0
    finally:
        cap.release()


def plan_jobs(
    videos: list[Path], out_dir: Path, spec: ProtocolSpec, options: BatchOptions
) -> list[Job]:
    """One job per video; its folder is named after the video and its content hash."""
    cache = HashCache(out_dir / "hashes.json")
    phash = protocol_hash(spec)
    jobs = []
    for v in videos:
        # a video vanished since it was listed: its job records why
        digest = cache.get(v) if v.is_file() else "missing"
        folder = out_dir / VIDEOS_DIR / f"{v.stem}-{digest[:12]}"
        frames = announced_frames(v) if v.is_file() and v.stat().st_size else 0
        jobs.append(
            Job(str(v), str(folder), digest, phash, options.model, options.adaptive, frames)
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    cache.save()
    return jobs


def _frames_of(rec: dict[str, Any]) -> int:
    """Frames of a finished video: analysed, else announced by the container (0: unknown)."""
    return int(rec.get("frames") or rec.get("frames_announced") or 0)


class _SlowWatch:
    """Reports a video running far longer than expected (once per video)."""

    def __init__(self, options: BatchOptions) -> None:
        self.options = options
        self.fps: list[float] = []  # per video: frames / elapsed seconds
        self.reported: set[str] = set()

    def done(self, rec: dict[str, Any]) -> None:
        if rec["status"] == "ok" and rec["elapsed_s"] > 0 and _frames_of(rec):
            self.fps.append(_frames_of(rec) / rec["elapsed_s"])

    def check(self, job: Job, running_s: float) -> str | None:
        if job.video in self.reported:
            return None
        fps = statistics.median(self.fps) if self.fps else INITIAL_FPS_GUESS
        expected = max(job.frames, 1) / fps
        if running_s > max(self.options.slow_factor * expected, self.options.slow_grace_s):
            self.reported.add(job.video)
            return (
                f"{job.video}: still running after {running_s:.0f} s, about "
                f"{running_s / expected:.0f} times the {expected:.0f} s expected"
            )
        return None


def _run_local(
    jobs: list[Job], spec: ProtocolSpec, watch: _SlowWatch
) -> Iterator[tuple[Job | None, dict[str, Any], list[str]]]:
    for job in jobs:
        rec = run_job(job, spec)
        msg = watch.check(job, rec["elapsed_s"])
        yield job, rec, [msg] if msg else []


def _ray_init(options: BatchOptions) -> None:
    import ray

    if ray.is_initialized():
        return
    address = options.ray_address or os.environ.get("RAY_ADDRESS") or None
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
    }
    if address is None and options.workers:
        kwargs["num_cpus"] = options.workers
    try:
        ray.init(address=address, **kwargs)
    except Exception as exc:  # Ray raises several kinds; the user gets one line
        where = f"join the Ray cluster at {address}" if address else "start a local Ray"
        raise BackendUnavailableError(f"could not {where}: {one_line(exc)}") from exc


def _run_ray(
    jobs: list[Job], spec: ProtocolSpec, options: BatchOptions, watch: _SlowWatch
) -> Iterator[tuple[Job | None, dict[str, Any], list[str]]]:
    import ray
    from ray.exceptions import RayError

    _ray_init(options)
    slots = max(1, int(ray.available_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]
    task = ray.remote(num_cpus=1, max_retries=0)(run_job)
    spec_ref = ray.put(spec)
    queue = list(jobs)
    flight: dict[Any, tuple[Job, float]] = {}
    while queue or flight:
        while queue and len(flight) < slots:
            job = queue.pop(0)
            ref = task.options(memory=job.memory_bytes).remote(job, spec_ref)
            flight[ref] = (job, time.perf_counter())
        ready, _ = ray.wait(list(flight), num_returns=1, timeout=1.0)
        messages: list[str] = []
        for ref, (job, t0) in flight.items():
            if ref not in ready:
                msg = watch.check(job, time.perf_counter() - t0)
                if msg:
                    messages.append(msg)
        for ref in ready:
            job, t0 = flight.pop(ref)
            try:
                rec = ray.get(ref)
            except RayError as exc:  # the worker died (crash, out of memory): recorded
                reason = " ".join(str(exc).split())[:300]
                rec = record(
                    job, "crashed", f"{type(exc).__name__}: {reason}", time.perf_counter() - t0
                )
            yield job, rec, messages
            messages = []
        if messages:  # slow videos reported while nothing finished
            yield None, {}, messages


def run_batch(
    videos: list[Path],
    out_dir: Path,
    spec: ProtocolSpec,
    options: BatchOptions | None = None,
    progress: ProgressFn | None = None,
) -> BatchResult:
    """Analyse ``videos`` into ``out_dir`` and write the results tables there.

    ``out_dir/videos/<name>-<hash>/`` holds each video's analysis (as ``pressup analyze``
    writes it) and its ``result.json``; ``out_dir`` gets ``sessions.parquet``,
    ``sessions.csv``, ``reps.parquet`` and ``reps.csv`` (:mod:`pressup.batch.table`).
    """
    options = options or BatchOptions()
    jobs = plan_jobs(videos, out_dir, spec, options)
    records: dict[str, dict[str, Any]] = {}
    todo: list[Job] = []
    twins: dict[str, list[Job]] = {}  # same content in several places: analysed once
    prog = Progress(total=len(jobs))
    for job in jobs:
        rec = reusable(job)
        if rec is None and job.folder in twins:
            twins[job.folder].append(job)
        elif rec is None:
            todo.append(job)
            twins[job.folder] = []
        else:
            records[job.video] = rec
            prog.done += 1
            prog.reused += 1
    if progress:
        progress(prog)
    watch = _SlowWatch(options)
    slow: list[str] = []
    t0 = time.perf_counter()
    if todo:
        runs = (
            _run_ray(todo, spec, options, watch)
            if options.runner == "ray"
            else _run_local(todo, spec, watch)
        )
        for done_job, rec, messages in runs:
            slow.extend(messages)
            prog.messages = messages
            prog.elapsed_s = time.perf_counter() - t0
            if done_job is not None:
                rec["slow"] = any(m.startswith(f"{done_job.video}:") for m in slow)
                write_result(done_job, rec)
                watch.done(rec)
                records[done_job.video] = rec
                prog.done += 1
                if rec["status"] == "ok":
                    prog.frames += _frames_of(rec)
                prog.last = rec
                for twin in twins.get(done_job.folder, ()):
                    records[twin.video] = {**rec, "video": twin.video, "reused": True}
                    prog.done += 1
                    prog.reused += 1
            if progress:
                progress(prog)
    ordered = [records[j.video] for j in jobs]
    result = BatchResult(records=ordered, slow=slow)
    result.tables = write_tables(jobs, ordered, out_dir)
    return result
