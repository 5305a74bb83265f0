"""History and progress: every stored session on one self-contained HTML page.

:func:`render_history` gives the page: the dose in force and the latest decision with its
one-line reason, a table of sessions (date, variant, reps done of target, mean hold in seconds,
peak trunk angle in degrees, form faults, pain before -> after on 0..10), plots over the weeks
(peak trunk angle; mean hold against the target hold; pain before and after) and an adherence
calendar of the last eight weeks against the prescribed sessions per day.
:func:`session_report` re-analyses one stored session's landmark track and gives the same
report as ``pressup analyze``.

Everything is inline (CSS and SVG; no scripts, no external assets). Dates are shown in the
time zone of ``now`` (default: the computer's local zone).

Viewing the page stores nothing: the dose shown is :func:`pressup.sessions.plan.todays_dose`
with ``save=False`` (the stored decision when nothing changed since it, else the decision the
next ``pressup progress`` would store), unless ``save_decision=True``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Optional

import matplotlib
import numpy as np
import numpy.typing as npt
from markupsafe import Markup

from pressup import __version__
from pressup.errors import PressupError, RecordNotFoundError, StorageError
from pressup.protocol.spec import ProtocolSpec
from pressup.report import plots
from pressup.report.html import templates
from pressup.safety.progression import VARIANT_WORDS, parse_variant
from pressup.safety.symptoms import RESPONSE_WORDS, Response, first_stop
from pressup.sessions.outcome import build_outcome
from pressup.sessions.plan import planned_from_dose, todays_dose
from pressup.sessions.records import SessionData, session_data
from pressup.sessions.store import SessionRecord, Store
from pressup.vocab import POSTURES
from pressup.wording import fault_wording, postures_cell, variant_name

FloatArray = npt.NDArray[np.float64]

_TEMPLATE = "history.html.j2"
_DASH = "\u2014"
#: Weeks shown in the adherence calendar.
CALENDAR_WEEKS = 8
#: Most sessions read from the store.
SESSION_LIMIT = 500

_ACTION_WORDS: dict[str, str] = {
    "start": "Start here",
    "progress": "Step up",
    "keep": "Keep going",
    "regress": "Step down",
    "clinician": "Your clinician's plan",
}

_TRUNK_COLOUR = "#1f4e9c"
_HOLD_COLOUR = "#2e8b57"
_TARGET_COLOUR = "#333333"
_BEFORE_COLOUR = "#7f7f7f"
_AFTER_COLOUR = "#d62728"


# -- rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPoint:
    """One stored session's numbers (seconds, degrees, pain 0..10; ``None`` = not known)."""

    id: str
    when: datetime
    variant: str
    reps_done: int
    target_reps: int
    mean_hold_s: Optional[float]
    target_hold_s: Optional[float]
    peak_trunk_deg: Optional[float]
    faults: tuple[str, ...]
    pain_before: Optional[int]
    pain_after: Optional[int]
    response: Optional[Response] = (
        None  # centralising / peripheralising / unchanged (None: not rated)
    )
    stopped: Optional[str] = None  # why a stop rule stopped the set, if one did
    postures: str = _DASH  # the posture of each press-up done, against the plan's


@dataclass(frozen=True)
class HistoryRow:
    """One row of the session table, formatted for display."""

    id: str
    short_id: str
    date: str
    time: str
    variant: str
    reps: str
    reps_ok: bool
    hold: str
    target_hold: str
    peak: str
    faults: list[str]
    pain: str
    pain_worse: bool
    link: Optional[str]
    symptoms: str = _DASH
    stopped: Optional[str] = None
    postures: str = _DASH


@dataclass(frozen=True)
class Day:
    """One calendar cell: ``done`` sessions of ``due``; ``level`` is the CSS class."""

    date: date
    label: str
    done: int
    due: int
    level: str
    future: bool
    today: bool = False


def _finite(values: Sequence[Any]) -> list[float]:
    return [
        float(v)
        for v in values
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    ]


def _dose_hold(record: SessionRecord) -> float | None:
    hold = record.dose.get("target_hold_s")
    if isinstance(hold, (int, float)) and not isinstance(hold, bool) and hold > 0:
        return float(hold)
    return None


def _variant(record: SessionRecord, reps: list[dict[str, Any]]) -> str:
    for key in ("ladder_variant", "variant"):
        value = record.dose.get(key)
        if isinstance(value, str) and value:
            try:
                ladder = parse_variant(value)
            except PressupError:
                return variant_name(value)
            return VARIANT_WORDS[ladder].replace("on your ", "").capitalize()
    seen = Counter(str(r.get("variant") or "") for r in reps)
    if not seen:
        return _DASH
    if len(seen) > 1:
        return "Mixed"
    return variant_name(next(iter(seen)))


def _planned_posture(record: SessionRecord) -> str | None:
    """The posture the session's plan asked for (``None`` for an older session without one)."""
    value = record.dose.get("variant")
    return value if value in POSTURES and record.dose.get("ladder_variant") else None


def _fault_codes(reps: list[dict[str, Any]]) -> list[str]:
    """The fault codes seen on ``reps`` (stored as codes or as ``{"code": ...}``), each once, in
    the order first seen."""
    codes: list[str] = []
    for r in reps:
        for f in r.get("faults") or []:
            code = f.get("code") if isinstance(f, dict) else f
            if isinstance(code, str) and code not in codes:
                codes.append(code)
    return codes


def session_point(
    store: Store, record: SessionRecord, spec: ProtocolSpec, data: SessionData | None = None
) -> SessionPoint:
    """The numbers of one stored session (complete reps only); ``data`` when already read
    (:func:`~pressup.sessions.records.session_data`)."""
    d = data if data is not None else session_data(store, [record.id])[record.id]
    o = build_outcome(record, d)
    reps = o.complete_reps
    holds = _finite([r.get("hold_s") for r in reps])
    peaks = _finite([r.get("peak_trunk_deg") for r in reps])
    codes = _fault_codes(reps)
    rule = first_stop(list(o.reports), spec.pain)
    reason = o.stop_reason if o.stop_event else (rule.message if rule else None)
    return SessionPoint(
        id=record.id,
        when=record.created_at,
        variant=_variant(record, reps),
        reps_done=len(reps),
        target_reps=record.target_reps,
        mean_hold_s=sum(holds) / len(holds) if holds else None,
        target_hold_s=_dose_hold(record) or spec.dose.target_hold_s,
        peak_trunk_deg=max(peaks) if peaks else None,
        faults=tuple(codes),
        pain_before=o.pain_before,
        pain_after=o.pain_after,
        response=o.response,
        stopped=str(reason) if reason else None,
        postures=postures_cell(
            [str(r["variant"]) for r in reps if r.get("variant") in POSTURES],
            _planned_posture(record),
        ),
    )


def collect(store: Store, spec: ProtocolSpec, limit: int = SESSION_LIMIT) -> list[SessionPoint]:
    """Stored sessions with at least one complete rep or a pain rating, oldest first (read in
    a few queries, whatever their number)."""
    records = list(reversed(store.list_sessions(limit=limit)))
    data = session_data(store, [r.id for r in records])
    out: list[SessionPoint] = []
    for record in records:
        p = session_point(store, record, spec, data[record.id])
        if p.reps_done or p.pain_before is not None or p.pain_after is not None:
            out.append(p)
    return out


def _fmt(x: float | None, fmt: str, unit: str = "") -> str:
    return _DASH if x is None else f"{x:{fmt}}{unit}"


def _pain_text(before: int | None, after: int | None) -> str:
    if before is None and after is None:
        return _DASH
    b = _DASH if before is None else str(before)
    a = _DASH if after is None else str(after)
    return f"{b} \u2192 {a}"


def table_rows(
    points: Sequence[SessionPoint], zone: tzinfo | None, link: Callable[[str], str] | None
) -> list[HistoryRow]:
    """The session table, newest first."""
    rows: list[HistoryRow] = []
    for p in reversed(points):
        local = p.when.astimezone(zone)
        rows.append(
            HistoryRow(
                id=p.id,
                short_id=p.id[:8],
                date=local.strftime("%a %d %b %Y"),
                time=local.strftime("%H:%M"),
                variant=p.variant,
                reps=f"{p.reps_done} / {p.target_reps}",
                reps_ok=p.reps_done >= p.target_reps > 0,
                hold=_fmt(p.mean_hold_s, ".1f", " s"),
                target_hold=_fmt(p.target_hold_s, "g", " s"),
                peak=_fmt(p.peak_trunk_deg, ".0f", "\u00b0"),
                faults=[fault_wording(c).name for c in p.faults],
                pain=_pain_text(p.pain_before, p.pain_after),
                pain_worse=(
                    p.pain_before is not None
                    and p.pain_after is not None
                    and p.pain_after > p.pain_before
                ),
                link=link(p.id) if link is not None else None,
                symptoms=RESPONSE_WORDS[p.response] if p.response is not None else _DASH,
                stopped=p.stopped,
                postures=p.postures,
            )
        )
    return rows


# -- calendar ------------------------------------------------------------------------------


def calendar(
    points: Sequence[SessionPoint], today: date, zone: tzinfo | None, per_day: int
) -> list[list[Day]]:
    """The last :data:`CALENDAR_WEEKS` weeks, Monday first, ending with the week of ``today``.

    Each day counts the sessions done (those in ``points``) against ``per_day``; days after
    ``today`` are marked ``future``. Levels: ``none``, ``some`` (fewer than due), ``full``.
    """
    counts = Counter(p.when.astimezone(zone).date() for p in points)
    start = today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))
    weeks: list[list[Day]] = []
    for w in range(CALENDAR_WEEKS):
        week: list[Day] = []
        for d in range(7):
            day = start + timedelta(days=7 * w + d)
            done = counts.get(day, 0)
            level = "none" if done == 0 else ("full" if done >= per_day else "some")
            week.append(
                Day(
                    date=day,
                    label=day.strftime("%d %b"),
                    done=done,
                    due=per_day,
                    level=level,
                    future=day > today,
                    today=day == today,
                )
            )
        weeks.append(week)
    return weeks


# -- plots ---------------------------------------------------------------------------------


_EPOCH = datetime(1970, 1, 1)


def _dates(points: Sequence[SessionPoint], zone: tzinfo | None) -> FloatArray:
    """Local dates of the sessions as days since 1970-01-01 (the plots' x axis)."""
    return np.array(
        [
            (p.when.astimezone(zone).replace(tzinfo=None) - _EPOCH).total_seconds() / 86400.0
            for p in points
        ],
        dtype=np.float64,
    )


def week_ticks(x: FloatArray) -> tuple[tuple[float, float], list[float], list[str]]:
    """The x range and the labelled ticks of a date axis over the day numbers ``x`` (days
    since 1970-01-01, local time): the range runs from the Monday of the first session's week
    (at least a week, and a little past the last session); a tick at 00:00 on each Monday in it
    (every k-th Monday when more than 8 weeks), labelled with its date (``"09 Nov"``)."""
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    first = _EPOCH + timedelta(days=math.floor(lo))
    first -= timedelta(days=first.weekday())
    left = float((first - _EPOCH).days)
    right = max(hi + max(1.0, (hi - left) * 0.05), left + 7.0)
    step = max(1, math.ceil((right - left) / 7.0 / 8.0))
    ticks: list[float] = []
    labels: list[str] = []
    day = first
    while (day - _EPOCH).days <= right:
        ticks.append(float((day - _EPOCH).days))
        labels.append(day.strftime("%d %b"))
        day += timedelta(days=7 * step)
    return (left - 0.5, right), ticks, labels


def _date_axis(ax: Any, x: FloatArray) -> None:
    """Day-number axis with a labelled tick on Mondays (see :func:`week_ticks`)."""
    (lo, hi), ticks, labels = week_ticks(x)
    ax.set_xlim(lo, hi)
    ax.set_xticks(ticks, labels)
    ax.set_xlabel("week starting (Monday)")
    ax.grid(True, axis="both", color="#e3e8ee", zorder=0)


def _series(values: Sequence[float | None]) -> FloatArray:
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _drawn(label: str, y: FloatArray) -> str:
    """``label`` for a line with at least one point drawn; else matplotlib's "no label"."""
    return label if np.isfinite(y).any() else "_nolegend_"


def _legend(ax: Any, **kwargs: Any) -> None:
    """The legend of the lines that are drawn (none when none has a label)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, **kwargs)


def _line(
    ax: Any,
    when: FloatArray,
    y: FloatArray,
    fmt: str,
    colour: str,
    label: str,
    *,
    zorder: int,
    width: float = 2.2,
) -> None:
    """One series over the sessions' dates (``when``, days since 1970-01-01) with markers;
    ``width`` in points; labelled only if anything of it is drawn."""
    ax.plot(
        when,
        y,
        fmt,
        color=colour,
        linewidth=width,
        markersize=7,
        zorder=zorder,
        label=_drawn(label, y),
    )


def trunk_svg(points: Sequence[SessionPoint], zone: tzinfo | None) -> str:
    """Peak trunk angle (degrees) of each session over the weeks."""
    when = _dates(points, zone)
    y = _series([p.peak_trunk_deg for p in points])
    with matplotlib.rc_context():
        plots.apply_style("pressup-history-trunk")
        fig = plots.new_figure(9.0, 3.4)
        ax = fig.subplots()
        ax.plot(when, y, "-o", color=_TRUNK_COLOUR, linewidth=2.2, markersize=7, zorder=3)
        ax.set_ylabel("peak trunk lift (\u00b0)")
        top = float(np.nanmax(y)) if np.isfinite(y).any() else 30.0
        ax.set_ylim(0, max(10.0, top * 1.2))
        ax.set_title("How high you pressed up (best rep of each session)", loc="left")
        _date_axis(ax, when)
        return plots.svg_of(fig, "Peak trunk angle per session over the weeks")


def hold_svg(points: Sequence[SessionPoint], zone: tzinfo | None) -> str:
    """Mean hold (seconds) of each session, with each session's target hold."""
    when = _dates(points, zone)
    y = _series([p.mean_hold_s for p in points])
    target = _series([p.target_hold_s for p in points])
    with matplotlib.rc_context():
        plots.apply_style("pressup-history-hold")
        fig = plots.new_figure(9.0, 3.4)
        ax = fig.subplots()
        _line(ax, when, y, "-o", _HOLD_COLOUR, "your mean hold", zorder=3)
        ax.step(
            when,
            target,
            where="post",
            color=_TARGET_COLOUR,
            linestyle="--",
            linewidth=1.6,
            zorder=2,
            label=_drawn("target hold", target),
        )
        ax.set_ylabel("hold at the top (s)")
        finite = np.concatenate([y[np.isfinite(y)], target[np.isfinite(target)]])
        top = float(finite.max()) if finite.size else 10.0
        ax.set_ylim(0, max(5.0, top * 1.25))
        ax.set_title("How long you held at the top", loc="left")
        _legend(ax, loc="lower right", frameon=False)
        _date_axis(ax, when)
        return plots.svg_of(fig, "Mean hold against the target hold over the weeks")


def pain_svg(points: Sequence[SessionPoint], zone: tzinfo | None) -> str:
    """Pain before and after each session (0..10)."""
    when = _dates(points, zone)
    before = _series([p.pain_before for p in points])
    after = _series([p.pain_after for p in points])
    with matplotlib.rc_context():
        plots.apply_style("pressup-history-pain")
        fig = plots.new_figure(9.0, 3.4)
        ax = fig.subplots()
        _line(ax, when, before, "-s", _BEFORE_COLOUR, "before the set", zorder=3, width=2.0)
        _line(ax, when, after, "-o", _AFTER_COLOUR, "after the set", zorder=4)
        ax.set_ylim(-0.3, 10.3)
        ax.set_yticks([0, 2, 4, 6, 8, 10])
        ax.set_ylabel("pain (0 = none, 10 = worst)")
        ax.set_title("Pain before and after each session", loc="left")
        _legend(ax, loc="upper right", frameon=False, ncols=2)
        _date_axis(ax, when)
        return plots.svg_of(fig, "Pain before and after each session over the weeks")


# -- rendering -----------------------------------------------------------------------------


def render_history(
    store: Store,
    spec: ProtocolSpec,
    now: datetime | None = None,
    *,
    report_link: Callable[[str], str] | None = None,
    save_decision: bool = False,
    progress_link: str | None = None,
    export_token: str | None = None,
) -> str:
    """The history page as one HTML string.

    Args:
        store: the session store.
        spec: the protocol (dose defaults, progression rules).
        now: the moment the page is made (timezone-aware; its zone is used for dates and
            the calendar). Default: now in the computer's local zone.
        report_link: maps a session id to the URL of its report (``None``: no links).
        save_decision: store the decision if it is new (as ``pressup progress`` does);
            by default viewing the page stores nothing.
        progress_link: URL of the progress and prescription page (``None``: no link).
        export_token: the coach app's token: the page then offers the downloads of
            :mod:`pressup.web.routes.exports` (``None``, as in a saved file: no downloads).
    """
    when = now if now is not None else datetime.now().astimezone()
    if when.tzinfo is None:
        when = when.astimezone()
    zone = when.tzinfo
    points = collect(store, spec)
    # today's dose and why: the one plan the coach runs and `pressup progress` prints
    today = todays_dose(store, spec, save=save_decision)
    assert today.review is not None  # todays_dose always reviews
    decision = today.review.decision
    current = today.review.current
    per_day = current.sessions_per_day or 1
    weeks = calendar(points, when.astimezone(zone).date(), zone, per_day)
    days = [d for w in weeks for d in w if not d.future]
    context = {
        "title": "Your press-up history",
        "generated": when.strftime("%Y-%m-%d %H:%M"),
        "version": __version__,
        "n_sessions": len(points),
        "progress_link": progress_link,
        "export_token": export_token,
        "rows": table_rows(points, zone, report_link),
        "trunk_svg": Markup(trunk_svg(points, zone)) if points else None,
        "hold_svg": Markup(hold_svg(points, zone)) if points else None,
        "pain_svg": Markup(pain_svg(points, zone)) if points else None,
        "has_pain": any(p.pain_before is not None or p.pain_after is not None for p in points),
        "weeks": weeks,
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "per_day": per_day,
        "days_full": sum(1 for d in days if d.level == "full"),
        "days_some": sum(1 for d in days if d.level == "some"),
        "days_shown": len(days),
        "decision": {
            "action": _ACTION_WORDS.get(decision.action, decision.action.capitalize()),
            "code": decision.action,
            "words": today.words(),
            "reason": today.reason,
            "advice": list(decision.advice),
            "source": "your clinician" if decision.source == "clinician" else "the coach",
            "notes": decision.notes,
        },
        "current": {
            "words": current.words(),
            "source": "your clinician" if current.source == "clinician" else "the coach",
            "since": (
                current.since.astimezone(zone).strftime("%d %b %Y") if current.since else None
            ),
            "per_day": per_day,
            "prescribed_per_day": current.sessions_per_day is not None,
        },
    }
    return templates().get_template(_TEMPLATE).render(**context)


_EMPTY_TRACK_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>No recording</title>
<style>body{{font-family:system-ui,sans-serif;font-size:20px;max-width:40rem;margin:3rem auto;
padding:0 1rem;color:#1f2933;line-height:1.55}}</style></head>
<body><h1>No recording for this session</h1>
<p>Session <code>{sid}</code> has no stored movement (landmark) frames, so there is nothing to
analyse. Its reps and pain ratings still appear on the history page.</p></body></html>
"""


def session_report(store: Store, session_id: str, spec: ProtocolSpec) -> str:
    """The ``pressup analyze`` report of a stored session, from its stored landmark track.

    When the session has no frames the page says so.

    Raises:
        StorageError: no session with this id (or a corrupt track).
        NoPersonError, ViewError: the track cannot be judged (from the analysis).
    """
    from pressup.analysis.run import analyze_track
    from pressup.report.html import render_report

    record = store.get_session(session_id)
    if record is None:
        raise RecordNotFoundError(f"no session with id {session_id!r} in the database")
    try:
        track = store.load_track(session_id)
    except StorageError:
        track = None
    if track is None or track.n_frames == 0:
        sid = Markup.escape(session_id)
        return _EMPTY_TRACK_PAGE.format(sid=sid)
    planned = planned_from_dose(spec, dict(record.dose))
    if planned is None:  # an older session: it ran the protocol file's dose
        analysis = analyze_track(track, spec)
    else:  # judged against the dose the session was planned with, as the coach did
        analysis = analyze_track(
            track, planned.apply(spec), dose_source=planned.source, dose_reason=planned.reason
        )
    analysis.source["path"] = f"session {session_id[:8]} ({record.created_at:%Y-%m-%d %H:%M} UTC)"
    return render_report(analysis)


__all__ = [
    "CALENDAR_WEEKS",
    "Day",
    "HistoryRow",
    "SessionPoint",
    "calendar",
    "collect",
    "render_history",
    "session_point",
    "session_report",
    "table_rows",
]
