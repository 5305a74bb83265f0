"""One video of a batch: what to do (:class:`Job`) and what came of it (the result record).

A job runs the same per-video analysis as ``pressup analyze`` (:mod:`pressup.report.folder`:
pose track, analysis, analysis.json, frames.csv, report) into its
own folder, and returns a small JSON-able record. Everything a job can raise is caught here
and recorded as its one-line reason: one video never stops the others.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pressup
from pressup.analysis import ANALYSIS_REVISION
from pressup.errors import PressupError
from pressup.pose.adaptive import AdaptiveConfig
from pressup.protocol import ProtocolSpec

#: The record each video's folder holds once it is done (written last: its presence means done).
RESULT_FILE = "result.json"
#: Statuses: ``ok`` analysed; ``failed`` refused with a reason (corrupt, empty, no person, ...);
#: ``error`` an unexpected exception in the analysis; ``crashed`` the worker process died.
STATUSES = ("ok", "failed", "error", "crashed")
#: Statuses that a re-run with the same input and protocol does not try again.
FINAL_STATUSES = ("ok", "failed")

#: How the pose model's crop follows the person in a batch: keyframe tracking at the default
#: keyframe rate and votes (:class:`pressup.pose.backends.PoseOptions`, :class:`AdaptiveConfig`:
#: they decide which frames carry the crop on).
TRACKING = (
    f"keyframes-{AdaptiveConfig().coarse_hz:g}hz"
    f"-votes{AdaptiveConfig().votes}/{AdaptiveConfig().votes_dense}"
)

#: Memory a worker needs whatever the video (MediaPipe graph, interpreter, libraries), bytes.
BASE_MEMORY_BYTES = 700 * 1024 * 1024
#: Memory per decoded frame kept by the analysis (landmarks, features, frame table), bytes.
MEMORY_PER_FRAME_BYTES = 16 * 1024


@dataclass(frozen=True)
class Job:
    """One video to analyse.

    Attributes:
        video: path of the input as given.
        folder: output folder of this video (analysis files and :data:`RESULT_FILE`).
        content_hash: SHA-256 of the video's bytes.
        protocol_hash: :func:`pressup.batch.inputs.protocol_hash` of the protocol judged with.
        model: pose model (``full``, ``heavy``, ``auto``).
        adaptive: pose only where movement needs it (:mod:`pressup.pose.adaptive`).
        frames: frames the container announces (0 when unknown): for the memory and time
            estimates only.
    """

    video: str
    folder: str
    content_hash: str
    protocol_hash: str
    model: str
    adaptive: bool
    frames: int

    @property
    def memory_bytes(self) -> int:
        """Memory this job is expected to need, bytes (the Ray task's memory request)."""
        return BASE_MEMORY_BYTES + MEMORY_PER_FRAME_BYTES * max(self.frames, 0)

    @property
    def sampling(self) -> str:
        """``adaptive`` or ``every-frame``; ``track-file`` for a stored track (no pose model)."""
        if self.video.lower().endswith(".npz"):
            return "track-file"
        return "adaptive" if self.adaptive else "every-frame"

    def key(self) -> dict[str, Any]:
        """What must be unchanged for an earlier result to be reused (``tracking``: how the
        pose model's crop follows the person, :data:`TRACKING`; results made with another,
        such as MediaPipe's own before pressup carried it from keyframe to keyframe, are made
        again; ``analysis_revision``: :data:`pressup.analysis.ANALYSIS_REVISION`, so results
        of an analysis that has changed since are made again too)."""
        return {
            "content_hash": self.content_hash,
            "protocol_hash": self.protocol_hash,
            "model": self.model,
            "sampling": self.sampling,
            "tracking": TRACKING,
            "analysis_revision": ANALYSIS_REVISION,
        }


def one_line(exc: BaseException) -> str:
    """An exception as one line: its message, prefixed by its type unless it is pressup's."""
    msg = " ".join(str(exc).split()) or type(exc).__name__
    return msg if isinstance(exc, PressupError) else f"{type(exc).__name__}: {msg}"


def record(job: Job, status: str, reason: str | None, elapsed_s: float) -> dict[str, Any]:
    """The result record of ``job`` (what :data:`RESULT_FILE` holds)."""
    return {
        "video": job.video,
        "folder": job.folder,
        **job.key(),
        "status": status,
        "reason": reason,
        "elapsed_s": round(elapsed_s, 3),
        "frames_announced": job.frames,
        "frames": None,
        "pressup_version": pressup.__version__,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def run_job(job: Job, spec: ProtocolSpec) -> dict[str, Any]:
    """Analyse one video into ``job.folder``; return its result record (never raises for
    anything the analysis raises: an unexpected exception is recorded as ``error`` with its
    type and message, and its traceback is kept in ``traceback.txt`` in the folder)."""
    from pressup.report.folder import analyze_source, write_analysis_folder

    t0 = time.perf_counter()
    folder = Path(job.folder)
    folder.mkdir(parents=True, exist_ok=True)
    status, reason = "ok", None
    try:
        track, analysis = analyze_source(
            Path(job.video), spec, model=job.model, adaptive=job.adaptive
        )
        write_analysis_folder(track, analysis, folder)
    except PressupError as exc:
        status, reason = "failed", one_line(exc)
    except Exception as exc:  # recorded (with traceback), never lost: one video must not stop all
        status, reason = "error", one_line(exc)
        (folder / "traceback.txt").write_text(traceback.format_exc())
    rec = record(job, status, reason, time.perf_counter() - t0)
    if status == "ok":
        rec["frames"] = _frames_analysed(folder)
    return rec


def _frames_analysed(folder: Path) -> int | None:
    """Frames the analysis covered (``source.frames`` of its analysis.json)."""
    try:
        frames = json.loads((folder / "analysis.json").read_text())["source"]["frames"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # only the frames/s display and the slow check read it
    return int(frames) if isinstance(frames, int) else None


def write_result(job: Job, rec: dict[str, Any]) -> Path:
    """Write ``rec`` into the job's folder, atomically (a killed run never leaves half a file)."""
    folder = Path(job.folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (RESULT_FILE + ".tmp")
    tmp.write_text(json.dumps(rec, indent=1) + "\n")
    tmp.replace(folder / RESULT_FILE)
    return folder / RESULT_FILE


def reusable(job: Job) -> dict[str, Any] | None:
    """The earlier result of ``job`` when it can stand: a final status, and the same video
    content, protocol, model and sampling. None otherwise (the video is analysed again)."""
    p = Path(job.folder) / RESULT_FILE
    if not p.is_file():
        return None
    try:
        rec = json.loads(p.read_text())
    except (OSError, ValueError):
        return None  # half-written or damaged: analyse again
    if not isinstance(rec, dict) or rec.get("status") not in FINAL_STATUSES:
        return None
    if any(rec.get(k) != v for k, v in job.key().items()):
        return None
    if rec["status"] == "ok" and not (Path(job.folder) / "analysis.json").is_file():
        return None
    return {**rec, "video": job.video, "reused": True}


def job_dict(job: Job) -> dict[str, Any]:
    return asdict(job)
