"""Matplotlib figures of an analysis, rendered to inline-ready SVG strings.

Figures are built with the object-oriented API on an Agg canvas (``matplotlib.pyplot`` and its
global backend state are never touched), then saved as SVG with text kept as real text. The SVG
is cleaned for inlining into HTML: no XML prologue, no DOCTYPE, no namespace URLs, no metadata,
and a fluid width so fonts scale with the page.

Time axes are seconds from the first frame; angles are degrees.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from pressup.analysis.result import FAULT_CODES, LABELS, Analysis, Rep
from pressup.wording import fault_wording, label_wording

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: Most points drawn per series; longer recordings are thinned evenly (every k-th frame).
MAX_PLOT_POINTS = 2000

#: Background colour per position label (light, distinct, colour-blind friendly-ish).
LABEL_COLOURS: dict[str, str] = {
    "prone_flat": "#dbe9f6",
    "rising": "#c7e9c0",
    "sphinx": "#fdd9a8",
    "pressup_hands": "#d9c9ec",
    "updog": "#f7b9b9",
    "lowering": "#b8e3e0",
    "other_pose": "#f2ecb0",
    "not_visible": "#d9d9d9",
}
_FALLBACK_LABEL_COLOUR = "#eeeeee"

#: Bar colour per fault code.
FAULT_COLOURS: dict[str, str] = {
    "elbows_locked": "#d62728",
    "neck_extended": "#9467bd",
    "neck_flexed": "#8c564b",
    "hips_lifted": "#e377c2",
    "shoulders_shrugged": "#ff7f0e",
    "fast_lowering": "#1f77b4",
    "short_hold": "#7f7f7f",
}
_FALLBACK_FAULT_COLOUR = "#555555"

_UNTRACKED_COLOUR = "#8a8a8a"
_GOOD_BAR = "#4daf4a"
_SHORT_BAR = "#f0a030"

#: Series drawn in each angle panel: (column, legend text, colour).
_PANEL_SERIES: tuple[tuple[tuple[str, str, str], ...], ...] = (
    (
        ("trunk_deg", "Trunk lift", "#1f4e9c"),
        ("elbow_deg", "Elbow (180° = straight)", "#e07b00"),
    ),
    (
        ("hip_ext_deg", "Hip extension", "#2e8b57"),
        ("neck_deg", "Neck (+ = head back)", "#8e44ad"),
    ),
)

_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.size": 12.0,
    "axes.titlesize": 13.0,
    "axes.labelsize": 12.0,
    "legend.fontsize": 11.0,
    "xtick.labelsize": 11.0,
    "ytick.labelsize": 11.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# helpers


def thin_indices(n: int, max_points: int = MAX_PLOT_POINTS) -> npt.NDArray[np.intp]:
    """Indices that keep at most about ``max_points`` of ``n`` samples, evenly spaced.

    The last sample is always kept so the time axis reaches the end of the video.
    """
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    if n <= max_points:
        return np.arange(n, dtype=np.intp)
    step = math.ceil(n / max(max_points, 1))
    idx = np.arange(0, n, step, dtype=np.intp)
    if idx[-1] != n - 1:
        idx = np.append(idx, np.intp(n - 1))
    return idx


def runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` frame index runs (``stop`` exclusive) where ``mask`` is True."""
    m = np.asarray(mask, dtype=bool)
    if m.size == 0:
        return []
    padded = np.concatenate(([False], m, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def frame_period_s(t_s: FloatArray) -> float:
    """Typical seconds between frames (median step), or 1/30 s when it cannot be told."""
    if t_s.size < 2:
        return 1.0 / 30.0
    d = np.diff(t_s)
    d = d[np.isfinite(d) & (d > 0)]
    return float(np.median(d)) if d.size else 1.0 / 30.0


def time_span_s(t_s: FloatArray) -> tuple[float, float]:
    """``(start, end)`` in seconds covered by the frames, end including the last frame."""
    if t_s.size == 0:
        return 0.0, 1.0
    return float(t_s[0]), float(t_s[-1]) + frame_period_s(t_s)


def _fmt_clock(x: float, _pos: object = None) -> str:
    """Tick label ``m:ss`` for seconds ``x``."""
    if not math.isfinite(x):
        return ""
    sign = "-" if x < 0 else ""
    total = round(abs(x))
    return f"{sign}{total // 60}:{total % 60:02d}"


def svg_of(fig: Figure, title: str) -> str:
    """Render ``fig`` to SVG text cleaned for inlining in HTML (see module docstring)."""
    buf = io.StringIO()
    fig.savefig(
        buf,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    svg = buf.getvalue()
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError("matplotlib produced no <svg> element")
    svg = svg[start:]
    head_end = svg.find(">")
    head, body = svg[: head_end + 1], svg[head_end + 1 :]
    head = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", head)
    head = re.sub(r'\s+(width|height)="[^"]*"', "", head)
    safe_title = (
        title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
    head = head.replace("<svg", f'<svg class="plot" role="img" aria-label="{safe_title}"', 1)
    return head + body.strip() + "\n"


def apply_style(salt: str) -> None:
    """Set the report style inside an ``rc_context``; ``salt`` makes SVG ids deterministic."""
    matplotlib.rcParams.update(_RC)
    matplotlib.rcParams["svg.hashsalt"] = salt


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure of ``width_in`` x ``height_in`` inches, constrained layout, drawn with Agg."""
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _format_time_axis(ax: Any, t0: float, t1: float) -> None:
    ax.set_xlim(t0, t1)
    if t1 - t0 > 180.0:
        ax.xaxis.set_major_formatter(FuncFormatter(_fmt_clock))
        ax.set_xlabel("time (minutes:seconds)")
    else:
        ax.set_xlabel("time (s)")


def _shade_positions(ax: Any, analysis: Analysis) -> None:
    """Shade each position segment and grey out untracked frames across the full height."""
    by_label: dict[str, list[tuple[float, float]]] = {}
    for seg in analysis.segments:
        width = float(seg.end_s) - float(seg.start_s)
        if math.isfinite(width) and width > 0:
            by_label.setdefault(seg.label, []).append((float(seg.start_s), width))
    trans = ax.get_xaxis_transform()
    for label, spans in by_label.items():
        ax.broken_barh(
            spans,
            (0.0, 1.0),
            transform=trans,
            facecolors=LABEL_COLOURS.get(label, _FALLBACK_LABEL_COLOUR),
            edgecolor="none",
            zorder=0,
        )
    untracked = _untracked_spans(analysis)
    if untracked:
        ax.broken_barh(
            untracked,
            (0.0, 1.0),
            transform=trans,
            facecolors="#bdbdbd",
            edgecolor=_UNTRACKED_COLOUR,
            hatch="///",
            linewidth=0.0,
            alpha=0.55,
            zorder=0.5,
        )


def _untracked_spans(analysis: Analysis) -> list[tuple[float, float]]:
    """``[(start_s, width_s), ...]`` where the pose was not tracked."""
    fr = analysis.frames
    t = np.asarray(fr.t_s, dtype=np.float64)
    tracked = np.asarray(fr.tracked, dtype=bool)
    if t.size == 0 or tracked.size != t.size:
        return []
    dt = frame_period_s(t)
    out: list[tuple[float, float]] = []
    for a, b in runs(~tracked):
        start = float(t[a])
        end = float(t[b]) if b < t.size else float(t[-1]) + dt
        out.append((start, max(end - start, dt)))
    return out


def _rep_marks(ax: Any, reps: Sequence[Rep], t0: float, t1: float) -> None:
    """Write "Rep n" above the middle of each rep's hold on ``ax`` (time span ``t0..t1`` s).

    Labels closer than 1/20 of the span to the previous one are left out so they never overlap
    on long videos; labels near an edge are nudged inside the plot.
    """
    trans = ax.get_xaxis_transform()
    gap = (t1 - t0) / 20.0
    last = -math.inf
    for rep in reps:
        lo, hi = float(rep.top_start_s), float(rep.top_end_s)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            lo, hi = float(rep.start_s), float(rep.end_s)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            continue
        x = min(max((lo + hi) / 2.0, t0 + gap / 2.0), t1 - gap / 2.0)
        if x - last < gap:
            continue
        last = x
        ax.text(
            x,
            0.97,
            f"Rep {rep.index}",
            transform=trans,
            ha="center",
            va="top",
            fontsize=11,
            fontweight="bold",
            color="#333333",
            clip_on=True,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
        )


# --------------------------------------------------------------------------------------------
# figures


def _angles_span_s(analysis: Analysis, t_all: npt.NDArray[np.float64]) -> tuple[float, float]:
    """The time span (s) of the angles figure: the frames, stretched to cover every segment and
    fault; at least one second."""
    t0, t1 = time_span_s(t_all)
    for seg in analysis.segments:
        if math.isfinite(seg.end_s):
            t1 = max(t1, float(seg.end_s))
    for f in analysis.faults:
        if math.isfinite(f.end_s):
            t1 = max(t1, float(f.end_s))
    if t1 <= t0:
        t1 = t0 + 1.0
    return t0, t1


def _fault_lanes(analysis: Analysis) -> list[str]:
    """The fault codes seen, one lane each: known codes in their order, then others sorted."""
    codes_seen = {f.code for f in analysis.faults}
    lanes: list[str] = [c for c in FAULT_CODES if c in codes_seen]
    lanes += sorted(codes_seen.difference(FAULT_CODES))
    return lanes


def _angle_panel(
    ax: Any,
    analysis: Analysis,
    series: tuple[tuple[str, str, str], ...],
    t_all: npt.NDArray[np.float64],
    idx: npt.NDArray[np.intp],
) -> None:
    """One panel of angle series (degrees) at the frame times ``t_all`` thinned to ``idx``."""
    fr = analysis.frames
    t = t_all[idx]
    _shade_positions(ax, analysis)
    drawn = 0
    for col, text, colour in series:
        y_all = fr.columns.get(col)
        if y_all is None or y_all.size != t_all.size:
            y = np.full(t.shape, np.nan)
            has_data = False
        else:
            y = np.asarray(y_all, dtype=np.float64)[idx]
            has_data = bool(np.isfinite(y_all).any())
        drawn += int(has_data)
        ax.plot(
            t,
            y,
            color=colour,
            linewidth=2.0,
            label=text if has_data else f"{text} (no data)",
        )
    if drawn == 0:
        ax.text(
            0.5,
            0.5,
            "Not measured in this video",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color="#555555",
        )
        ax.set_ylim(0.0, 180.0)
    ax.set_ylabel("degrees")
    ax.grid(axis="y", color="#ffffff", linewidth=0.8, alpha=0.9)
    if drawn:
        ax.legend(
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncol=len(series),
            frameon=False,
            borderaxespad=0.1,
        )


def _fault_lane_panel(fax: Any, analysis: Analysis, lanes: list[str], t0: float, t1: float) -> None:
    """The lanes of form faults over ``t0..t1`` s, or a note when none was flagged."""
    _shade_positions(fax, analysis)
    fax.set_title("When form points were seen", loc="left", fontweight="bold")
    if lanes:
        for i, code in enumerate(lanes):
            spans = [
                (float(f.start_s), max(float(f.end_s) - float(f.start_s), 0.0))
                for f in analysis.faults
                if f.code == code and math.isfinite(f.start_s) and math.isfinite(f.end_s)
            ]
            # A zero-length fault (e.g. an instant) still gets a visible sliver.
            min_w = (t1 - t0) / 400.0
            spans = [(s, max(w, min_w)) for s, w in spans]
            fax.broken_barh(
                spans,
                (i - 0.35, 0.7),
                facecolors=FAULT_COLOURS.get(code, _FALLBACK_FAULT_COLOUR),
                edgecolor="none",
                zorder=2,
            )
        fax.set_yticks(range(len(lanes)))
        fax.set_yticklabels([fault_wording(c).name for c in lanes])
        fax.set_ylim(len(lanes) - 0.5, -0.5)
    else:
        fax.set_yticks([])
        fax.set_ylim(0.0, 1.0)
        seen_any = bool(np.asarray(analysis.frames.tracked, dtype=bool).any())
        fax.text(
            0.5,
            0.5,
            "No form points flagged" if seen_any else "Nothing could be judged",
            transform=fax.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color="#2e7d32" if seen_any else "#555555",
        )
    _format_time_axis(fax, t0, t1)


def _position_legend(fig: Figure, analysis: Analysis) -> None:
    """The figure legend of the position colours (and of untracked frames), if any is shown."""
    handles: list[Patch] = []
    labels_seen = {s.label for s in analysis.segments}
    for label in [*LABELS, *sorted(labels_seen.difference(LABELS))]:
        if label in labels_seen:
            handles.append(
                Patch(
                    facecolor=LABEL_COLOURS.get(label, _FALLBACK_LABEL_COLOUR),
                    edgecolor="#999999",
                    label=label_wording(label).name,
                )
            )
    if _untracked_spans(analysis):
        handles.append(
            Patch(
                facecolor="#bdbdbd",
                edgecolor=_UNTRACKED_COLOUR,
                hatch="///",
                label="Camera lost track",
            )
        )
    if handles:
        fig.legend(
            handles=handles,
            loc="outside upper center",
            ncol=min(len(handles), 5),
            frameon=False,
            title="Position (background colour)",
            title_fontsize=12,
        )


def angles_svg(analysis: Analysis, max_points: int = MAX_PLOT_POINTS) -> str:
    """The movement-over-time figure as SVG.

    Panels: trunk lift and elbow angle (degrees); hip extension and neck angle (degrees); and a
    lane per form fault showing when it was seen. Position segments are shaded in every panel,
    untracked frames are hatched grey, and each rep is labelled. At most ``max_points`` samples
    per series are drawn.
    """
    t_all = np.asarray(analysis.frames.t_s, dtype=np.float64)
    idx = thin_indices(int(t_all.size), max_points)
    t0, t1 = _angles_span_s(analysis, t_all)
    lanes = _fault_lanes(analysis)
    lane_h = 0.6 + 0.42 * max(len(lanes), 1)

    with matplotlib.rc_context():
        apply_style("pressup-angles")
        fig = new_figure(10.0, 3.4 + 2.6 + lane_h + 0.9)
        axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3.4, 2.6, lane_h]})
        for ax, series in zip(axes[:2], _PANEL_SERIES):
            _angle_panel(ax, analysis, series, t_all, idx)
        # Headroom above a straight elbow (180 degrees) for the rep labels.
        lo, hi = axes[0].get_ylim()
        axes[0].set_ylim(min(lo, -5.0), max(hi + 20.0, 200.0))
        axes[0].set_title("Trunk and elbows", loc="left", fontweight="bold")
        axes[1].set_title("Hips and neck", loc="left", fontweight="bold")
        axes[1].axhline(0.0, color="#666666", linewidth=0.8, linestyle=":")
        _rep_marks(axes[0], analysis.reps, t0, t1)
        _fault_lane_panel(axes[2], analysis, lanes, t0, t1)
        _position_legend(fig, analysis)
        return svg_of(fig, "Angles over time with positions and form points")


@dataclass(frozen=True)
class _BarChart:
    """One per-rep bar chart of :func:`reps_svg`: values in seconds, the protocol's target
    (seconds, or ``None``), the fault that marks a bar, and the word before the target."""

    title: str
    values: FloatArray
    target: float | None
    fault_code: str
    target_word: str


def _bar_colours(reps: Sequence[Rep], chart: _BarChart) -> list[str]:
    """Worth working on when the rep shows the chart's fault or falls short of its target."""
    colours = []
    for rep, v in zip(reps, chart.values):
        flagged = any(f.code == chart.fault_code for f in rep.faults)
        short = chart.target is not None and math.isfinite(v) and v < chart.target
        colours.append(_SHORT_BAR if (flagged or short) else _GOOD_BAR)
    return colours


def _target_line(ax: Any, chart: _BarChart, top: float) -> float:
    """Mark the chart's target (seconds) with a dashed line; the new top of the values."""
    if chart.target is None:
        return top
    ax.axhline(chart.target, color="#333333", linestyle="--", linewidth=1.5, zorder=3)
    ax.text(
        1.0,
        chart.target,
        f" {chart.target_word} {chart.target:g} s",
        transform=ax.get_yaxis_transform(),
        va="bottom",
        ha="right",
        fontsize=11,
        color="#333333",
    )
    return max(top, chart.target)


def _bar_chart(ax: Any, reps: Sequence[Rep], chart: _BarChart) -> None:
    """One chart of :func:`reps_svg`: a bar per rep (hatched when incomplete), its value in
    seconds above it, and the target line."""
    x = np.arange(len(reps), dtype=np.float64)
    vals = chart.values
    heights = np.where(np.isfinite(vals), vals, 0.0)
    bars = ax.bar(x, heights, color=_bar_colours(reps, chart), width=0.6, zorder=2)
    for bar, rep in zip(bars, reps):
        if not rep.complete:
            bar.set_hatch("//")
            bar.set_edgecolor("#555555")
    top = _target_line(ax, chart, float(np.nanmax(heights)) if heights.size else 0.0)
    ax.set_ylim(0.0, max(top * 1.25, 1.0))
    for xi, v in zip(x, vals):
        ax.text(
            xi,
            (v if math.isfinite(v) else 0.0) + max(top, 1.0) * 0.02,
            f"{v:.1f}" if math.isfinite(v) else "n/a",
            ha="center",
            va="bottom",
            fontsize=11,
        )
    ax.set_xticks(x)
    ax.set_xticklabels([str(r.index) for r in reps])
    ax.set_xlabel("press-up number")
    ax.set_ylabel("seconds")
    ax.set_title(chart.title, loc="left", fontweight="bold")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8, zorder=0)


def reps_svg(analysis: Analysis) -> str | None:
    """Per-rep hold and lowering times (seconds) as bar charts; ``None`` when there are no reps.

    The hold chart marks the protocol's target hold (``protocol["target_hold_s"]``) and the
    lowering chart the shortest advised lowering time when the protocol gives one
    (``min_lowering_s``, else ``target_lower_s``). Incomplete reps are hatched.
    """
    reps = list(analysis.reps)
    if not reps:
        return None

    def seconds(raw: Sequence[Any]) -> FloatArray:
        return np.array([float(v) for v in raw], dtype=np.float64)

    charts = (
        _BarChart(
            "Hold at the top",
            seconds([r.hold_s for r in reps]),
            protocol_number(analysis.protocol, "target_hold_s"),
            "short_hold",
            "target",
        ),
        _BarChart(
            "Lowering time",
            seconds([r.lower_s for r in reps]),
            protocol_number(analysis.protocol, "min_lowering_s", "target_lower_s"),
            "fast_lowering",
            "at least",
        ),
    )
    with matplotlib.rc_context():
        apply_style("pressup-reps")
        fig = new_figure(10.0, 3.8)
        for ax, chart in zip(fig.subplots(1, 2), charts):
            _bar_chart(ax, reps, chart)
        handles = [
            Patch(facecolor=_GOOD_BAR, label="On target"),
            Patch(facecolor=_SHORT_BAR, label="Worth working on"),
        ]
        if any(not r.complete for r in reps):
            handles.append(
                Patch(facecolor="white", edgecolor="#555555", hatch="//", label="Not complete")
            )
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
        return svg_of(fig, "Hold and lowering time per press-up")


def protocol_number(protocol: dict[str, Any], *keys: str) -> float | None:
    """The first of ``keys`` in ``protocol`` as seconds/count; ranges ``[lo, hi]`` give ``lo``.

    Returns ``None`` when no key holds a usable number.
    """
    for key in keys:
        value = protocol.get(key)
        if isinstance(value, (list, tuple)) and value:
            value = value[0]
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) and math.isfinite(float(value)):
            return float(value)
    return None
