"""One input (a video or a pose-track file) analysed into an output folder.

``pressup analyze`` and ``pressup batch`` both go through here, so a video analysed alone and
the same video in a batch give the same folder: ``analysis.json``, ``report.html``, the tables
and the pose track (a track read from a track file is not copied).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from pressup.analysis.result import Analysis
    from pressup.pose import PoseTrack
    from pressup.pose.backends import ProgressFn
    from pressup.protocol.spec import ProtocolSpec
    from pressup.sessions.plan import PlannedDose


def analyze_source(
    source: Path,
    spec: ProtocolSpec,
    planned: Optional[PlannedDose] = None,
    *,
    model: str = "full",
    adaptive: bool = False,
    tracking: str = "keyframes",
    progress: Optional[ProgressFn] = None,
) -> tuple[PoseTrack, Analysis]:
    """The pose track of ``source`` and its analysis.

    Judged against ``planned`` set into ``spec`` when given (the analysis records where that
    dose came from), else against ``spec``'s own dose. ``model`` is the pose model
    (``full``/``heavy``/``auto``); ``adaptive`` runs it only where movement needs it;
    ``tracking`` is how its crop follows the person (:attr:`pressup.pose.PoseOptions.tracking`);
    with ``adaptive``, the frames around each hold are then posed too
    (:mod:`pressup.analysis.settle`);
    ``progress(done, total)`` is called with frame counts while the pose runs.
    """
    from pressup.analysis.run import analyze_track
    from pressup.pose import PoseOptions, open_adaptive, open_track

    def judge(track: PoseTrack) -> Analysis:
        if planned is None:
            return analyze_track(track, spec)
        return analyze_track(
            track, planned.apply(spec), dose_source=planned.source, dose_reason=planned.reason
        )

    options = PoseOptions(model=model, adaptive=adaptive, tracking=tracking)
    if adaptive:
        from pressup.analysis.settle import settle

        sampled = open_adaptive(source, options, progress)
        if sampled is not None:  # second pass: the frames around each hold posed
            return settle(sampled.track, judge, sampled.pose_more)
    track = open_track(source, options, progress)
    return track, judge(track)


def write_analysis_folder(track: PoseTrack, analysis: Analysis, out_dir: Path) -> None:
    """Write ``analysis`` (with its report) and ``track`` into ``out_dir``; a track that was
    read from a track file is not copied."""
    from pressup.analysis.io import write_folder
    from pressup.report import write_report

    keep = None if track.source.backend == "trackfile" else track
    write_folder(analysis, out_dir, keep, report=write_report)
